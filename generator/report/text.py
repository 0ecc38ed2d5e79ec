"""Plain-text report for people: results grouped under one heading per resource, then one summary line."""

from __future__ import annotations

from typing import Any, Mapping

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
    return f" ({r['file']}:{r['line']})" if r.get("line") else f" ({r['file']})"


def _verdict_lines(r: Mapping[str, Any], fail_on: tuple[str, ...]) -> list[str]:
    """One policy's verdict under its resource heading, with its explanation lines."""
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
    lines = [f"  {label} {r.get('effect', '')} {_policy_label(r)}{suffix}"]
    if r.get("message"):
        lines.append(f"      {r['message']}")
    if r.get("nonComplianceMessage") and r["result"] == "match":
        lines.append(f"      non-compliance message: {r['nonComplianceMessage']}")
    if r.get("clauseId"):
        src = f" ({r['clauseSource']})" if r.get("clauseSource") else ""
        lines.append(f"      clause {r['clauseId']}{src}")
    for line in r.get("explanation") or ():
        lines.append(f"      - {line}")
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


def format_text(report: Mapping[str, Any]) -> str:
    """Render ``report`` as text: a heading per resource, each policy's verdict, warnings, one summary line."""
    fail_on = normalise_fail_on(report.get("failOn"))
    # Group in order of first appearance; a resource read from two places (file, line) stays apart.
    groups: dict[tuple[str, Any, Any], list[Mapping[str, Any]]] = {}
    for r in report.get("results", []):
        groups.setdefault((r["resource"], r.get("file"), r.get("line")), []).append(r)
    lines: list[str] = []
    for (resource, _file, _line), results in groups.items():
        failing = sum(1 for r in results if selected_by(r, fail_on))
        mark = f"  [FAILS: {failing}]" if failing else ""
        lines.append(f"{resource}{_where(results[0])}{mark}")
        for r in results:
            lines.extend(_verdict_lines(r, fail_on))
        lines.append("")
    # Warnings come before the summary so that the summary is always the last line.
    for w in report.get("warnings") or ():
        lines.append(f"warning: {w}")
    lines.append(summary_line(report, fail_on))
    return "\n".join(lines) + "\n"
