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
            rules[rid] = _rule(rid, r)
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
            "partialFingerprints": {"clausegate/v1": _fingerprint(rid, r)},
        }
        if r.get("remediation") and r["result"] in ("match", "undetermined", "error"):
            item["properties"]["remediation"] = r["remediation"]
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
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "clausegate", "version": __version__,
                            "informationUri": "https://github.com/clausegate/clausegate",
                            "rules": list(rules.values())}},
        # Warnings (a tag no source gives, skipped types) travel with the log, where code scanning shows them.
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {"level": "warning", "message": {"text": w}} for w in report.get("warnings") or ()
            ],
        }],
        "results": results,
        "properties": {"summary": report.get("summary", {})},
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False, default=str) + "\n"


# security-severity (GitHub code scanning: 9.0+ critical, 7.0+ high, 4.0+ medium) by effect
_SEVERITY = {"deny": "8.0", "denyaction": "8.0", "audit": "5.0", "auditifnotexists": "5.0", "modify": "4.0",
             "append": "4.0", "deployifnotexists": "4.0"}


def _rule(rid: str, r: Mapping[str, Any]) -> dict[str, Any]:
    """One rule per policy: the clause title, the quoted sentence, where it comes from and what to do."""
    rule: dict[str, Any] = {"id": rid, "name": r.get("policyDefinitionName") or rid}
    title = r.get("clauseTitle") or r.get("policyDefinitionName") or rid
    rule["shortDescription"] = {"text": title}
    full = r.get("clauseQuote") or title
    rule["fullDescription"] = {"text": full}
    md = [f"**{title}**"]
    text = [title]
    if r.get("clauseQuote"):
        md.append(f"> {r['clauseQuote']}")
        text.append(f'"{r["clauseQuote"]}"')
    src = ", ".join(x for x in (r.get("clauseSourceTitle"),) if x)
    if r.get("clauseSource"):
        md.append(f"Source: [{src or r['clauseSource']}]({r['clauseSource']})")
        text.append(f"Source: {src + ' ' if src else ''}{r['clauseSource']}")
    if r.get("remediation"):
        md.append(f"**What to do:** {r['remediation']}")
        text.append(f"What to do: {r['remediation']}")
    if r.get("clauseId"):
        md.append(f"Clause `{r['clauseId']}`; policy definition `{r.get('policyDefinitionName')}`.")
    rule["help"] = {"text": "\n".join(text), "markdown": "\n\n".join(md)}
    props: dict[str, Any] = {k: r[k] for k in ("clauseId", "clauseSource", "policySetDefinitionName") if r.get(k)}
    props["tags"] = ["security", "azure-policy"] + (["clausegate-clause"] if r.get("clauseId") else [])
    sev = _SEVERITY.get(str(r.get("effect") or "").lower())
    if sev:
        props["security-severity"] = sev
    rule["properties"] = props
    if r.get("clauseSource"):
        rule["helpUri"] = r["clauseSource"]
    rule["defaultConfiguration"] = {"level": "error" if str(r.get("effect")).lower() == "deny" else "warning"}
    return rule


def _fingerprint(rid: str, r: Mapping[str, Any]) -> str:
    """Stable across runs and line moves: the rule and the resource address (not the message, not the line)."""
    import hashlib

    key = "\0".join([rid, str(r.get("resource") or ""), str(r.get("file") or "")])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _uri_reference(path: str) -> str:
    """A file path as a SARIF ``uri-reference``: forward slashes, reserved characters percent-encoded."""
    from urllib.parse import quote

    # Spaces and the like must be encoded, or GitHub code scanning rejects the log; '/' stays.
    return quote(path.replace("\\", "/"), safe="/:@-._~!$&'()*+,;=")
