"""Render the evidence data as one self-contained HTML page or as Markdown (Jinja2, templates/report/).

Everything that came from input is escaped by default: the HTML environment autoescapes and its
``finalize`` shows control characters escaped; the Markdown environment's ``finalize`` also escapes
HTML and Markdown punctuation. Only the charts (drawn here, their labels escaped) are marked safe.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from generator.evidence.charts import bars, stacked_bars, text_bar, visible

ROW_LIMIT = 500  # rows per long table; the rest are counted, not listed (a 10,000-subscription tenant)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~<>@:])")


def templates_dir() -> Path:
    """``generator/templates`` in a wheel (pyproject force-include), else the repository's ``templates/``."""
    from importlib import resources

    packaged = resources.files("generator") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


class MarkdownSafe(str):
    """Markdown produced by this module (not from input): the Markdown finalize leaves it alone."""


def md_escape(value: Any) -> str:
    """One line of input as inert Markdown: control characters shown, HTML and Markdown punctuation escaped."""
    if value is None:
        return ""
    if isinstance(value, MarkdownSafe):
        return str(value)
    text = " ".join(visible(value).split()) if isinstance(value, str) else visible(value)
    text = text.replace("&", "&amp;")
    return _MD_SPECIAL.sub(lambda m: "&lt;" if m.group(1) == "<" else "&gt;" if m.group(1) == ">" else "\\" + m.group(1),
                           text)


def safe_url(url: Any) -> str:
    """The URL when it is http(s), else '' (no javascript: or data: links from a pack)."""
    text = str(url or "")
    return text if re.match(r"https?://[^\s\"'<>]+\Z", text) else ""


def _env(kind: str) -> Any:
    import jinja2
    from markupsafe import Markup

    if kind == "html":
        def finalize(value: Any) -> Any:
            if value is None:
                return ""
            return value if isinstance(value, Markup) else visible(value)

        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "report")),
                                 autoescape=True, finalize=finalize, undefined=jinja2.StrictUndefined,
                                 trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    else:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "report")),
                                 autoescape=False, finalize=md_escape, undefined=jinja2.StrictUndefined,
                                 trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["safe_url"] = safe_url
    env.filters["text_bar"] = lambda v, biggest: MarkdownSafe(text_bar(int(v), int(biggest)))
    env.filters["trusted"] = lambda v: MarkdownSafe(v)  # output of our own macros (already escaped)
    return env


def _charts(data: dict[str, Any]) -> dict[str, Any]:
    from markupsafe import Markup

    from generator.evidence.coverage import SUB_STATUSES

    out: dict[str, Any] = {"coverage": None}
    cov = data.get("coverage")
    if cov:
        statuses = [s for s in SUB_STATUSES if any(r["counts"].get(s) for r in cov["byManagementGroup"])] or ["missing"]
        out["coverage"] = Markup(stacked_bars(
            "chart-coverage", "Coverage per management group",
            f"Subscriptions in {cov['scope']} per nearest management group, by whether the pack's assignment is in "
            f"force, DoNotEnforce, assigned to resource groups only, or missing.", cov["byManagementGroup"], statuses))
    rows = [{"label": c["id"], "value": c["findingCount"]} for c in data["clauses"]]
    out["findings"] = Markup(bars("chart-findings", "Findings per clause",
                                  "Resources with a finding (match, undetermined, error or NonCompliant in Azure) "
                                  "per clause over the inputs.", rows, "resource(s)"))
    return out


def render(data: dict[str, Any], fmt: str) -> str:
    """The report as ``html`` or ``markdown`` text (same data, same bytes)."""
    if fmt not in ("html", "markdown"):
        from generator.errors import InputError

        raise InputError(f"unknown report format {fmt!r}; use html or markdown")
    env = _env(fmt)
    context = {"d": data, "row_limit": ROW_LIMIT}
    if fmt == "html":
        from markupsafe import Markup

        css = (templates_dir() / "report" / "report.css").read_text(encoding="utf-8")
        context.update(charts=_charts(data), css=Markup(css))
        text = env.get_template("report.html.j2").render(**context)
    else:
        finding_max = max([c["findingCount"] for c in data["clauses"]] + [1])
        text = env.get_template("report.md.j2").render(**context, finding_max=finding_max)
        text = re.sub(r"(?<=[^\n])\n(#{1,6} )", r"\n\n\1", text)  # a heading always follows a blank line
    # Templates leave blank runs where optional parts are empty; keep the output tidy and stable.
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.rstrip("\n") + "\n"


__all__ = ["MarkdownSafe", "md_escape", "render", "safe_url", "templates_dir"]
