"""Plain-text report for people: results grouped under one heading per resource, then one summary line."""

from __future__ import annotations

import os
from typing import Any, Iterator, Mapping

from generator.report.model import RESULT_WORDS, normalise_fail_on, selected_by

_LABEL = {
    "match": "MATCH",
    "no-match": "no-match",  # the contract word (CONTRACTS "Result words")
    "undetermined": "UNDETERMINED",
    "error": "ERROR",
    "not-applicable": "n/a",
    "invalid": "INVALID",
}


def _policy_label(r: Mapping[str, Any]) -> str:
    name = r.get("policyDefinitionName") or "?"
    if r.get("policySetDefinitionName"):
        ref = r.get("policyDefinitionReferenceId") or name
        return f"{r['policySetDefinitionName']}/{ref}"
    return name


def _where(r: Mapping[str, Any]) -> str:
    if not r.get("file"):
        return ""
    where = f" ({r['file']}:{r['line']})" if r.get("line") else f" ({r['file']})"
    source = r.get("input")
    if source and source != "stdin":
        # a module shared by several root folders (--recursive): say which root this result is for
        root = os.path.normpath(str(source)).replace(os.sep, "/")
        if root not in (".", str(r["file"])) and not str(r["file"]).startswith(root + "/"):
            where += f" in {source}"
    return where


_COLOUR = {"MATCH": "red", "ERROR": "red", "INVALID": "red", "UNDETERMINED": "yellow", "pass": "green"}


def _paint(text: str, colour: str, on: bool) -> str:
    from generator.report.emit import paint

    return paint(text, colour, on)


def _verdict_lines(r: Mapping[str, Any], fail_on: tuple[str, ...], color: bool = False,
                   quoted: set[str] | None = None) -> list[str]:
    """One policy's verdict under its resource heading, with its explanation lines.

    ``quoted``: clause ids already quoted in this report; a clause is quoted in full (sentence and
    source) at its first finding only, later ones name it (a large report stays readable)."""
    label = _LABEL.get(r["result"], r["result"])
    tags = []
    if r.get("existing"):
        tags.append("existing, unchanged")
    if r.get("exemption"):
        ex = r["exemption"]
        tags.append(f"exempt: {ex.get('category') or 'exemption'} {ex.get('name') or ''}".rstrip())
    if r.get("enforcementMode") == "DoNotEnforce":
        tags.append("not enforced (DoNotEnforce)")
    if selected_by(r, fail_on):
        tags.append("FAILS")
    suffix = f" [{'; '.join(tags)}]" if tags else ""
    if color and label in _COLOUR:
        label = _paint(label, _COLOUR[label], True)
    if color and suffix.endswith("FAILS]"):
        suffix = suffix[:-6] + _paint("FAILS", "red", True) + "]"
    lines = [f"  {label} {r.get('effect', '')} {_policy_label(r)}{suffix}"]
    if r.get("message"):
        lines.append(f"      {r['message']}")
    if r.get("nonComplianceMessage") and r["result"] == "match":
        lines.append(f"      non-compliance message: {r['nonComplianceMessage']}")
    if r.get("clauseId"):
        title = f": {r['clauseTitle']}" if r.get("clauseTitle") else ""
        if quoted is not None and r["clauseId"] in quoted:
            lines.append(f"      clause {r['clauseId']}{title} (quoted above)")
        else:
            lines.append(f"      clause {r['clauseId']}{title}")
            if r.get("clauseQuote"):
                lines.append(f"        \"{r['clauseQuote']}\"")
            src = ", ".join(x for x in (r.get("clauseSourceTitle"), r.get("clauseSource")) if x)
            if src:
                lines.append(f"        source: {src}")
            if quoted is not None:
                quoted.add(r["clauseId"])
    for line in r.get("explanation") or ():
        lines.append(f"      - {line}")
    if r.get("remediation") and r["result"] in ("match", "undetermined", "error"):
        lines.append(f"      {_paint('fix:', 'cyan', color)} {r['remediation']}")
    for w in r.get("warnings") or ():
        lines.append(f"      warning: {w}")
    return lines


def summary_line(report: Mapping[str, Any], fail_on: tuple[str, ...]) -> str:
    """The one-line summary: counts per result word, exemptions, failing findings and resources."""
    s = report["summary"]
    counts = ", ".join(f"{s['results'].get(w, 0)} {w}" for w in RESULT_WORDS if s["results"].get(w))
    res = s["resources"]
    extra = []
    if s.get("exempt"):
        extra.append(f"{s['exempt']} exempt")
    if s.get("notEnforced"):
        extra.append(f"{s['notEnforced']} not enforced")
    if s.get("existing"):
        extra.append(f"{s['existing']} on unchanged resources")
    if "failing" in s:
        extra.append(f"{s['failing']} failing (--fail-on {','.join(fail_on)})")
    return (
        f"{s['total']} evaluation(s): {counts or 'none'}"
        + (f"; {', '.join(extra)}" if extra else "")
        + f"; resources read {res['read']}, checked {res['checked']}, skipped {res['skipped']}"
    )


def _cleaned(value: Any, memo: dict[str, str]) -> Any:
    """``value`` with every string passed through :func:`generator.sanitize.clean_line`."""
    from generator.sanitize import clean_line

    if isinstance(value, str):
        # The same clause quote or message repeats on every result: clean each distinct string once.
        done = memo.get(value)
        if done is None:
            done = memo[value] = clean_line(value)
        return done
    if isinstance(value, Mapping):
        return {k: _cleaned(v, memo) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cleaned(v, memo) for v in value]
    return value


def _cleaned_result(r: Mapping[str, Any], memo: dict[str, str]) -> dict[str, Any]:
    """A result with every string the text report can show cleaned (the evaluation trace, by far the
    largest part of a result, is JSON/SARIF material and never shown here)."""
    out = {}
    for k, v in r.items():
        if k == "trace":
            continue
        if v.__class__ is str:
            done = memo.get(v)
            out[k] = done if done is not None else _cleaned(v, memo)
        elif v is None or v.__class__ in (int, bool, float):
            out[k] = v
        else:
            out[k] = _cleaned(v, memo)
    return out


def format_text(report: Mapping[str, Any], *, color: bool = False, explain: bool = False) -> str:
    """Render ``report`` as text: a heading per resource, each policy's verdict, warnings, one summary line."""
    return "".join(iter_text(report, color=color))


def iter_text(report: Mapping[str, Any], *, color: bool = False) -> Iterator[str]:
    """:func:`format_text` in pieces (one per resource, then warnings and the summary), for writing as
    they come: a large report is never held twice (its text and the lines it is joined from)."""
    # Every value shown came from an input or from Azure: cleaned before colour is added, so that no
    # value can carry a terminal control sequence or a newline that fakes a line. Each result is
    # cleaned as it is rendered: no second copy of a large report is held.
    memo: dict[str, str] = {}
    report = {k: (v if k == "results" else _cleaned(v, memo)) for k, v in report.items()}
    fail_on = normalise_fail_on(report.get("failOn"))
    # Group in order of first appearance; a resource read from two places (file, line) or for two
    # inputs (a module shared by two root folders) stays apart.
    groups: dict[tuple[str, Any, Any, Any], list[Mapping[str, Any]]] = {}
    for r in report.get("results", []):
        groups.setdefault((r["resource"], r.get("file"), r.get("line"), r.get("input")), []).append(r)
    quoted: set[str] = set()
    for raw in groups.values():
        results = [_cleaned_result(r, memo) for r in raw]
        failing = sum(1 for r in results if selected_by(r, fail_on))
        mark = f"  [FAILS: {failing}]" if failing else ""
        head = f"{results[0]['resource']}{_where(results[0])}"
        lines = [(_paint(head, "bold", True) if color else head) + (_paint(mark, "red", True) if color else mark)]
        for r in results:
            lines.extend(_verdict_lines(r, fail_on, color, quoted))
        lines.append("")
        yield "\n".join(lines) + "\n"
    from generator.report.emit import paint_summary

    # Warnings come before the summary so that the summary is always the last line.
    lines = [_paint(f"warning: {w}", "yellow", color) for w in report.get("warnings") or ()]
    lines.append(paint_summary(summary_line(report, fail_on), report, color))
    yield "\n".join(lines) + "\n"
