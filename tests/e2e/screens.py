"""What every screen must hold in the browser, whatever the language and width: nothing the
Content-Security-Policy refused, no native dialog, no sideways scrolling, and the elements a
person needs inside the viewport."""

from __future__ import annotations

from typing import Any

# Records what the browser itself reports: a securitypolicyviolation event for anything the
# CSP blocked (an inline style or handler included), on every page the context opens.
_LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""

LOCALES = {"fr": "fr-FR", "en": "en-GB"}
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SIZES = {"wide": WIDE, "phone": PHONE}


class Watch:
    """Listens to one page: the CSP violations it reports and the native dialogs it opens
    (each dismissed, so a journey that opens one fails instead of hanging)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.console: list[str] = []
        page.add_init_script(_LISTEN)
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.__cspViolations || []")) + self.console

    def assert_clean(self) -> None:
        assert self.violations() == [], self.violations()
        assert self.dialogs == [], self.dialogs


# The innermost elements that reach past the window's right edge, to say what overflows.
_OVERFLOWING = """
() => [...document.querySelectorAll("body *")]
  .filter((n) => n.getBoundingClientRect().right > window.innerWidth + 0.5 && n.offsetParent !== null)
  .filter((n, _, all) => !all.some((m) => m !== n && n.contains(m)))
  .slice(0, 5)
  .map((n) => n.tagName.toLowerCase() + (n.id ? "#" + n.id : "") + (n.className ? "." + String(n.className).split(" ").join(".") : "")
              + " right=" + Math.round(n.getBoundingClientRect().right))
"""


def assert_no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], (f"the page is {width[0]} px wide in a {width[1]} px window: "
                                  f"{page.evaluate(_OVERFLOWING)}")


def assert_in_view(page: Any, *selectors: str) -> None:
    """Each element is shown and wholly inside the viewport, without scrolling."""
    size = page.viewport_size
    for selector in selectors:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not shown"
        inside = (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5
                  and box["y"] + box["height"] <= size["height"] + 0.5)
        assert inside, f"{selector} at {box} is outside the {size['width']}x{size['height']} viewport"


def assert_within_width(page: Any, *selectors: str) -> None:
    """Each element fits the viewport's width (it may be further down the page)."""
    width = page.viewport_size["width"]
    for selector in selectors:
        for box in page.locator(selector).evaluate_all(
                "nodes => nodes.filter(n => n.offsetParent !== null).map(n => n.getBoundingClientRect().toJSON())"):
            assert box["left"] >= 0 and box["right"] <= width + 0.5, f"{selector} at {box} overflows {width} px"
