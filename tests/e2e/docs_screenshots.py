"""Copy the browser tests' screenshots of the main screens into docs/screenshots/, small:
cropped to a screen and a half, reduced to a 64-colour palette.

    make test (or the e2e files that take them), then:
    .venv/bin/python -m tests.e2e.docs_screenshots
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "e2e" / "screenshots"
TARGET = ROOT / "docs" / "screenshots"
# The screens docs/ui.md shows, in English, wide (1280x800) and on a phone (390x844).
SCREENS = ("chat-blocked", "chat-message-menu", "chat-slow-mode", "account", "safety", "console-queue",
           "console-confirm-ban", "console-overview")
SIZES = {"wide": (1280, 800), "phone": (390, 844)}


def main() -> None:
    TARGET.mkdir(exist_ok=True)
    for screen in SCREENS:
        for size, (width, height) in SIZES.items():
            source = SOURCE / f"{screen}-en-{size}.png"
            image = Image.open(source).convert("RGB")
            image = image.crop((0, 0, width, min(image.height, height * 3 // 2)))
            if size == "wide":
                image = image.resize((width * 3 // 4, image.height * 3 // 4), Image.LANCZOS)
            image.quantize(colors=64).save(TARGET / f"{screen}-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
