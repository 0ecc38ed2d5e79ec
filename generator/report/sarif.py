"""SARIF 2.1.0 output, for code-scanning uploads from `check` and `scan`."""

from __future__ import annotations

import json
from typing import Any, Mapping

from generator import __version__
from generator.report.model import normalise_fail_on, selected_by

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# result word -> SARIF kind (SARIF 2.1.0 section 3.27.9)
_KIND = {
    "match": "fail",
    "no-match": "pass",
    "undetermined": "review",
    "error": "fail",
    "not-applicable": "notApplicable",
    "invalid": "fail",
}


def _level(r: Mapping[str, Any], fail_on: tuple[str, ...]) -> str:
    if r["result"] in ("no-match", "not-applicable"):
        return "none"
    if r["result"] == "invalid" or selected_by(r, fail_on):
        return "error"
    if r["result"] == "match" and r.get("effect") in ("deny", "audit", "auditifnotexists"):
        return "warning"
    return "note"


def _rule_id(r: Mapping[str, Any]) -> str:
    if r.get("policySetDefinitionName"):
        return f"{r['policySetDefinitionName']}/{r.get('policyDefinitionReferenceId') or r['policyDefinitionName']}"
    return r.get("policyDefinitionName") or "unknown"


def format_sarif(report: Mapping[str, Any]) -> str:
    """Render ``report`` as a SARIF 2.1.0 log with one rule per policy and one result per evaluation."""
    fail_on = normalise_fail_on(report.get("failOn"))
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for r in report.get("results", []):
        rid = _rule_id(r)
        if rid not in rules:
            rule: dict[str, Any] = {"id": rid, "name": r.get("policyDefinitionName") or rid}
            props = {k: r[k] for k in ("clauseId", "clauseSource", "policySetDefinitionName") if r.get(k)}
            if props:
                rule["properties"] = props
            if r.get("clauseSource"):
                rule["helpUri"] = r["clauseSource"]
            rules[rid] = rule
        text = r.get("message") or r["result"]
        if r.get("explanation"):
            text += " (" + "; ".join(r["explanation"]) + ")"
        item: dict[str, Any] = {
            "ruleId": rid,
            "ruleIndex": list(rules).index(rid),
            "kind": _KIND.get(r["result"], "informational"),
            "level": _level(r, fail_on),
            "message": {"text": text},
            "properties": {"result": r["result"], "effect": r.get("effect"), "resource": r["resource"]},
        }
        location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": r["resource"], "kind": "resource"}]}
        uri = r.get("file") or (r.get("definitionFile") if r["result"] == "invalid" else None)
        if uri:
            phys: dict[str, Any] = {"artifactLocation": {"uri": _uri_reference(str(uri))}}
            if r.get("line"):
                phys["region"] = {"startLine": int(r["line"])}
            location["physicalLocation"] = phys
        item["locations"] = [location]
        suppressions = []
        if r.get("exemption"):
            ex = r["exemption"]
            suppressions.append({"kind": "external", "status": "accepted",
                                 "justification": f"exemption {ex.get('name')} ({ex.get('category')})"})
        if r.get("enforcementMode") == "DoNotEnforce":
            suppressions.append({"kind": "external", "status": "accepted",
                                 "justification": "assignment enforcementMode DoNotEnforce"})
        if suppressions:
            item["suppressions"] = suppressions
        results.append(item)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "clausegate", "version": __version__,
                                "informationUri": "https://github.com/clausegate/clausegate",
                                "rules": list(rules.values())}},
            "results": results,
            "properties": {"summary": report.get("summary", {})},
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False, default=str) + "\n"


def _uri_reference(path: str) -> str:
    """A file path as a SARIF ``uri-reference``: forward slashes, reserved characters percent-encoded."""
    from urllib.parse import quote

    # Spaces and the like must be encoded, or GitHub code scanning rejects the log; '/' stays.
    return quote(path.replace("\\", "/"), safe="/:@-._~!$&'()*+,;=")
