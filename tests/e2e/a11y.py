"""A small accessibility audit run inside the page: names of controls, contrast of text.

Not a full WCAG checker: it measures what the browser journeys can break without anyone
noticing — a control with no accessible name, text below the AA contrast ratio.
"""

from __future__ import annotations

AUDIT_JS = r"""
() => {
  const problems = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none" && box.width > 0 && box.height > 0;
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");

  // 1. Every visible control has an accessible name.
  for (const el of document.querySelectorAll("input, select, textarea, button, a[href]")) {
    if (!visible(el) || el.type === "hidden") continue;
    const labelled = (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim())) ||
      (el.getAttribute("aria-label") || "").trim() ||
      (el.getAttribute("aria-labelledby") || "").split(/\s+/).some((id) => id && document.getElementById(id) && document.getElementById(id).textContent.trim()) ||
      ((el.tagName === "BUTTON" || el.tagName === "A") && el.textContent.trim()) ||
      (el.getAttribute("title") || "").trim();
    if (!labelled) problems.push({kind: "no-name", element: describe(el)});
  }

  // 2. Text contrast (WCAG 2.x AA: 4.5:1, or 3:1 for large text).
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[,\s/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const blend = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let colour = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) colour = blend(layer, colour);
    return colour;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || !visible(el)) continue;
    if (el.closest("[disabled]")) continue; // WCAG exempts inactive controls
    seen.add(el);
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const fore = blend(fg, bg);
    const L1 = lum(fore), L2 = lum(bg);
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    if (ratio < needed) problems.push({kind: "contrast", element: describe(el), text: node.textContent.trim().slice(0, 40),
                                       ratio: Math.round(ratio * 100) / 100, needed});
  }
  return problems;
}
"""


def audit(page) -> list[dict]:
    """Problems found in what the page shows now (empty when all is well)."""
    return page.evaluate(AUDIT_JS)


FOCUS_JS = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  return el.id || (el.getAttribute("aria-label") || el.textContent || el.tagName).trim().slice(0, 60);
}
"""


def focused(page) -> str:
    return page.evaluate(FOCUS_JS)
