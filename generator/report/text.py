"""Plain-text report for people: one block per result with its explanation, then the summary."""

from __future__ import annotations

from typing import Any, Mapping

from generator.report.model import RESULT_WORDS, normalise_fail_on, selected_by

_LABEL = {
    "match": "MATCH",
    "no-match": "pass",
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


def format_text(report: Mapping[str, Any]) -> str:
    """Render ``report`` as text; explanations are shown for every result that is not a plain pass."""
    fail_on = normalise_fail_on(report.get("failOn"))
    lines: list[str] = []
    for r in report.get("results", []):
        where = ""
        if r.get("file"):
            where = f" ({r['file']}:{r['line']})" if r.get("line") else f" ({r['file']})"
        label = _LABEL.get(r["result"], r["result"])
        tags = []
        if r.get("exemption"):
            ex = r["exemption"]
            tags.append(f"exempt: {ex.get('category') or 'exemption'} {ex.get('name') or ''}".rstrip())
        if r.get("enforcementMode") == "DoNotEnforce":
            tags.append("not enforced (DoNotEnforce)")
        if selected_by(r, fail_on):
            tags.append("FAILS")
        suffix = f" [{'; '.join(tags)}]" if tags else ""
        lines.append(f"{label} {r.get('effect', '')} {r['resource']}{where} :: {_policy_label(r)}{suffix}")
        if r.get("message"):
            lines.append(f"    {r['message']}")
        if r.get("nonComplianceMessage") and r["result"] == "match":
            lines.append(f"    non-compliance message: {r['nonComplianceMessage']}")
        if r.get("clauseId"):
            src = f" ({r['clauseSource']})" if r.get("clauseSource") else ""
            lines.append(f"    clause {r['clauseId']}{src}")
        if r.get("explanation"):
            for line in r["explanation"]:
                lines.append(f"    - {line}")
        for w in r.get("warnings") or []:
            lines.append(f"    warning: {w}")
    s = report["summary"]
    counts = ", ".join(f"{s['results'].get(w, 0)} {w}" for w in RESULT_WORDS if s["results"].get(w))
    res = s["resources"]
    extra = []
    if s.get("exempt"):
        extra.append(f"{s['exempt']} exempt")
    if s.get("notEnforced"):
        extra.append(f"{s['notEnforced']} not enforced")
    if "failing" in s:
        extra.append(f"{s['failing']} failing (--fail-on {','.join(fail_on)})")
    lines.append(
        f"{s['total']} evaluation(s): {counts or 'none'}"
        + (f"; {', '.join(extra)}" if extra else "")
        + f"; resources read {res['read']}, checked {res['checked']}, skipped {res['skipped']}"
    )
    for w in report.get("warnings") or []:
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"
