"""JUnit XML output: one test suite per policy, one test case per (resource, policy) evaluation."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Mapping

from generator.report.model import normalise_fail_on, selected_by


def _clause_lines(r: Mapping[str, Any]) -> list[str]:
    """The clause behind the result and what to do, for the failure body."""
    lines = []
    if r.get("clauseId"):
        lines.append(f"clause {r['clauseId']}" + (f": {r['clauseTitle']}" if r.get("clauseTitle") else ""))
    if r.get("clauseQuote"):
        lines.append(f'"{r["clauseQuote"]}"')
    src = ", ".join(x for x in (r.get("clauseSourceTitle"), r.get("clauseSource")) if x)
    if src:
        lines.append(f"source: {src}")
    if r.get("remediation"):
        lines.append(f"fix: {r['remediation']}")
    return lines


def format_junit(report: Mapping[str, Any]) -> str:
    """Render ``report`` as JUnit XML: --fail-on findings fail, errors/invalid error, n/a and exempt skip."""
    fail_on = normalise_fail_on(report.get("failOn"))
    suites: dict[str, list[Mapping[str, Any]]] = {}
    for r in report.get("results", []):
        name = r.get("policyDefinitionName") or "unknown"
        if r.get("policySetDefinitionName"):
            name = f"{r['policySetDefinitionName']}/{r.get('policyDefinitionReferenceId') or name}"
        suites.setdefault(name, []).append(r)
    root = ET.Element("testsuites", name="clausegate")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name, items in suites.items():
        suite = ET.SubElement(root, "testsuite", name=name)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for r in items:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", name=str(r["resource"]), classname=name)
            if r.get("file"):
                case.set("file", str(r["file"]))
                if r.get("line"):
                    case.set("line", str(r["line"]))
            body = "\n".join([r.get("message") or ""] + [f"- {e}" for e in r.get("explanation") or []]
                             + _clause_lines(r))
            if r["result"] == "invalid":
                ET.SubElement(case, "error", message=r.get("message") or "invalid", type="invalid").text = body
                counts["errors"] += 1
            elif selected_by(r, fail_on):
                tag = "error" if r["result"] == "error" else "failure"
                ET.SubElement(case, tag, message=r.get("message") or r["result"],
                              type=f"{r['result']}:{r.get('effect')}").text = body
                counts["errors" if tag == "error" else "failures"] += 1
            elif r["result"] == "not-applicable" or r.get("exemption") or r.get("enforcementMode") == "DoNotEnforce":
                ET.SubElement(case, "skipped", message=r.get("message") or r["result"])
                counts["skipped"] += 1
            elif r["result"] != "no-match":
                ET.SubElement(case, "system-out").text = f"{r['result']} {r.get('effect')}: {body}"
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    from generator.sanitize import xml_document  # control characters and non-ASCII addresses stay well-formed

    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml_document(ET.tostring(root, encoding="unicode")) + "\n"
