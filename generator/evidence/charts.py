"""Static inline SVG charts drawn by the project: no script, no web font, readable without colour.

Every bar carries its number as text, and each status has a fill pattern as well as a colour, so the
charts read the same in greyscale print. Labels come from input, so every text goes through
``visible`` (control characters shown escaped) and XML escaping.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

# status -> (fill colour, pattern id or None); patterns are defined once per chart.
STYLES = {
    "in force": ("#1a7f37", None),
    "enforced": ("#1a7f37", None),
    "DoNotEnforce": ("#9a6700", "hatch"),
    "resource groups only": ("#6639ba", "dots"),
    "missing": ("#cf222e", "cross"),
    "findings": ("#0969da", None),
}
LABEL_W = 230
BAR_W = 380
ROW_H = 28
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"13\""
_BIDI = {0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF}


def visible(text: Any) -> str:
    """``text`` with control, bidi-override, separator and lone-surrogate characters shown as ``\\xNN``/``\\uNNNN``."""
    s = str(text)
    if s.isprintable() and not any(ord(ch) in _BIDI for ch in s):
        return s
    out = []
    for ch in s:
        code = ord(ch)
        if ch.isprintable() and code not in _BIDI:
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def _t(text: Any) -> str:
    return escape(visible(text), {'"': "&quot;"})


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _defs(prefix: str) -> str:
    return (f"<defs>"
            f"<pattern id=\"{prefix}-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
            f"patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff8c5\"/>"
            f"<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9a6700\" stroke-width=\"3\"/></pattern>"
            f"<pattern id=\"{prefix}-dots\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
            f"<rect width=\"6\" height=\"6\" fill=\"#fbefff\"/><circle cx=\"3\" cy=\"3\" r=\"1.6\" fill=\"#6639ba\"/>"
            f"</pattern>"
            f"<pattern id=\"{prefix}-cross\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\">"
            f"<rect width=\"8\" height=\"8\" fill=\"#ffebe9\"/><path d=\"M0 0L8 8M8 0L0 8\" stroke=\"#cf222e\" "
            f"stroke-width=\"1.2\"/></pattern></defs>")


def _fill(status: str, prefix: str) -> str:
    colour, pattern = STYLES.get(status, ("#57606a", None))
    return f"url(#{prefix}-{pattern})" if pattern else colour


def _legend(statuses: list[str], prefix: str, y: int) -> str:
    parts, x = [], LABEL_W
    for s in statuses:
        parts.append(f"<rect x=\"{x}\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{_fill(s, prefix)}\" "
                     f"stroke=\"#24292f\" stroke-width=\"0.5\"/>"
                     f"<text x=\"{x + 19}\" y=\"{y + 12}\" {FONT}>{_t(s)}</text>")
        x += 34 + 8 * len(s)
    return "".join(parts)


def stacked_bars(chart_id: str, title: str, description: str, rows: list[dict[str, Any]],
                 statuses: list[str]) -> str:
    """Horizontal stacked bars, one per row (``{"label", "counts": {status: n}}``), numbers as text."""
    height = 40 + ROW_H * max(1, len(rows)) + 10
    texts = [" · ".join(f"{r['counts'].get(s, 0)} {s}" for s in statuses if r["counts"].get(s, 0)) for r in rows]
    width = LABEL_W + BAR_W + max(200, 8 * max([len(t) for t in texts] + [0]) + 20)
    biggest = max([sum(r["counts"].values()) for r in rows] + [1])
    out = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{chart_id}\" class=\"chart\" role=\"img\" "
           f"viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" "
           f"aria-labelledby=\"{chart_id}-title {chart_id}-desc\">",
           f"<title id=\"{chart_id}-title\">{_t(title)}</title><desc id=\"{chart_id}-desc\">{_t(description)}</desc>",
           _defs(chart_id), _legend(statuses, chart_id, 6)]
    if not rows:
        out.append(f"<text x=\"{LABEL_W}\" y=\"56\" {FONT}>nothing to draw</text>")
    for i, r in enumerate(rows):
        y = 34 + i * ROW_H
        total = sum(r["counts"].values())
        out.append(f"<g><title>{_t(r['label'])}: " + _t(", ".join(f"{r['counts'].get(s, 0)} {s}" for s in statuses))
                   + "</title>")
        out.append(f"<text x=\"{LABEL_W - 8}\" y=\"{y + 17}\" text-anchor=\"end\" {FONT}>{_t(_short(r['label']))}</text>")
        x = float(LABEL_W)
        for s in statuses:
            n = r["counts"].get(s, 0)
            if not n:
                continue
            w = max(2.0, BAR_W * n / biggest)
            out.append(f"<rect x=\"{x:.1f}\" y=\"{y + 4}\" width=\"{w:.1f}\" height=\"{ROW_H - 8}\" "
                       f"fill=\"{_fill(s, chart_id)}\" stroke=\"#24292f\" stroke-width=\"0.5\"/>")
            x += w
        out.append(f"<text x=\"{x + 6:.1f}\" y=\"{y + 17}\" {FONT}>{_t(texts[i] if total else '0')}</text></g>")
    out.append("</svg>")
    return "".join(out)


def bars(chart_id: str, title: str, description: str, rows: list[dict[str, Any]], unit: str) -> str:
    """Horizontal bars (``{"label", "value"}``), each with its number written after it."""
    height = 14 + ROW_H * max(1, len(rows)) + 10
    width = LABEL_W + BAR_W + 200
    biggest = max([r["value"] for r in rows] + [1])
    out = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{chart_id}\" class=\"chart\" role=\"img\" "
           f"viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" "
           f"aria-labelledby=\"{chart_id}-title {chart_id}-desc\">",
           f"<title id=\"{chart_id}-title\">{_t(title)}</title><desc id=\"{chart_id}-desc\">{_t(description)}</desc>"]
    if not rows:
        out.append(f"<text x=\"{LABEL_W}\" y=\"30\" {FONT}>nothing to draw</text>")
    for i, r in enumerate(rows):
        y = 8 + i * ROW_H
        w = BAR_W * r["value"] / biggest if r["value"] else 0
        out.append(f"<g><title>{_t(r['label'])}: {r['value']} {_t(unit)}</title>"
                   f"<text x=\"{LABEL_W - 8}\" y=\"{y + 17}\" text-anchor=\"end\" {FONT}>{_t(_short(r['label']))}</text>"
                   f"<rect x=\"{LABEL_W}\" y=\"{y + 4}\" width=\"{max(w, 1):.1f}\" height=\"{ROW_H - 8}\" "
                   f"fill=\"{STYLES['findings'][0]}\" stroke=\"#24292f\" stroke-width=\"0.5\"/>"
                   f"<text x=\"{LABEL_W + max(w, 1) + 6:.1f}\" y=\"{y + 17}\" {FONT}>{r['value']} {_t(unit)}</text></g>")
    out.append("</svg>")
    return "".join(out)


def text_bar(value: int, biggest: int, width: int = 20) -> str:
    """A bar of block characters for Markdown tables (at least one block when ``value`` > 0)."""
    if not value:
        return ""
    return "█" * max(1, round(width * value / max(biggest, 1)))


__all__ = ["bars", "stacked_bars", "text_bar", "visible"]
