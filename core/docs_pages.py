"""Where a report is published: its own section of a page in docs/, between two markers
(the benchmarks in bench/ and `manage.py evaluate_screening`)."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, name: str, block: str) -> Path:
    """Put `block` between `<!-- name:start -->` and `<!-- name:end -->` in `path` (appended
    with its markers when the page has none); every other byte of the page stays."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    marked = f"{start}\n{block}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + marked + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + marked + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
