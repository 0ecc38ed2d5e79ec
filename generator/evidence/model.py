"""The evidence report as plain data: clauses, their policies, coverage, findings and exemptions (sorted)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from generator.errors import InputError
from generator.evidence.catalog import Catalog, ClauseInfo
from generator.evidence.inputs import FINDING_WORDS, ResultsFile, subscription_of

EXPIRY_WINDOW_DAYS = 30
NO_SUBSCRIPTION = "(subscription not known)"


def parse_as_of(text: str | None) -> date | None:
    """``--as-of``: YYYY-MM-DD (or an ISO date-time, whose UTC date counts); bad input otherwise."""
    if text is None:
        return None
    raw = text.strip()
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return (moment.astimezone(timezone.utc) if moment.tzinfo else moment).date()
    except ValueError:
        raise InputError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _exemption_rows(azure: Any, catalog: Catalog, as_of: date | None) -> tuple[dict[str, list[dict[str, Any]]],
                                                                             list[str]]:
    """Exemptions per clause key, each with its expiry status relative to ``as_of``."""
    from generator.engine.assignments import parse_exemption
    from generator.evidence.coverage import _assignment_kind

    kinds = {}
    for row in azure.assignments:
        props = row.get("properties") or {}
        kinds[str(row.get("id", "")).lower()] = (_assignment_kind(str(props.get("policyDefinitionId") or "")),
                                                 str(row.get("name") or ""))
    out: dict[str, list[dict[str, Any]]] = {}
    warnings: list[str] = []
    start = datetime(as_of.year, as_of.month, as_of.day, tzinfo=timezone.utc) if as_of else None
    for row in azure.exemptions:
        try:
            ex = parse_exemption(row)
        except InputError as exc:
            warnings.append(f"exemption {row.get('id')!r} could not be read: {exc.message}")
            continue
        (kind, name), assignment = kinds.get(ex.assignment_id.lower(), (("", ""), ""))
        covered = catalog.for_assignment(kind, name) if kind else []
        if ex.reference_ids:
            refs = {r.lower() for r in ex.reference_ids}
            covered = [c for c in covered if kind != "set" or c.clause.id.lower() in refs]
        expires = ex.expires_on
        if expires is None:
            status, days = "no expiry", None
        elif start is None:
            status, days = "expiry not compared (no --as-of)", None
        else:
            delta = expires - start
            days = delta.days
            if delta <= timedelta(0):
                status = "expired"
            elif delta <= timedelta(days=EXPIRY_WINDOW_DAYS):
                status = "expires soon"
            else:
                status = "active"
        item = {"name": ex.name, "displayName": ex.display_name or "", "scope": ex.scope or "",
                "category": ex.category, "assignment": assignment or ex.assignment_id,
                "expiresOn": expires.strftime("%Y-%m-%d %H:%M UTC") if expires else "",
                "status": status, "daysLeft": days,
                "highlight": status in ("expires soon", "expired"),
                "referenceIds": sorted(ex.reference_ids)}
        for c in covered:
            out.setdefault(c.key, []).append(item)
    for items in out.values():
        items.sort(key=lambda e: (e["expiresOn"] or "9999", e["scope"].lower(), e["name"].lower()))
    return out, warnings


def _finding(resource: str, result: str, effect: str, source: str, *, note: str = "", message: str = "",
             where: str = "") -> dict[str, Any]:
    return {"resource": resource, "result": result, "effect": effect, "source": source, "note": note,
            "message": message, "where": where}


def _group(findings: list[tuple[str | None, dict[str, Any]]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Findings grouped by subscription, then resource (sorted; duplicates dropped)."""
    subs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for sid, f in findings:
        res = subs.setdefault(sid or "", {}).setdefault(f["resource"], [])
        if f not in res:
            res.append(f)
    groups = []
    for sid in sorted(subs, key=lambda s: (s == "", names.get(s, s).lower(), s)):
        resources = [{"resource": r, "items": sorted(items, key=lambda f: (f["source"], f["result"], f["effect"],
                                                                           f["note"], f["message"]))}
                     for r, items in sorted(subs[sid].items(), key=lambda kv: kv[0].lower())]
        groups.append({"subscriptionId": sid, "displayName": names.get(sid, "") if sid else NO_SUBSCRIPTION,
                       "resources": resources})
    return groups


def _note(r: dict[str, Any]) -> str:
    notes = []
    if isinstance(r.get("exemption"), dict):
        ex = r["exemption"]
        notes.append(f"exempt ({ex.get('category', '')} {ex.get('name', '')})".replace("  ", " "))
    if r.get("enforcementMode") == "DoNotEnforce":
        notes.append("assignment DoNotEnforce")
    return "; ".join(notes)


def build_evidence(files: list[ResultsFile], catalog: Catalog, *, azure: Any = None, as_of: date | None = None,
                   packs_named: bool = False, le_pattern: str | None = None) -> dict[str, Any]:
    """Everything the templates show, as sorted plain data (same inputs, same data)."""
    from generator import __version__
    from generator.evidence.coverage import build_coverage, coverage_from_scan

    warnings: list[str] = []
    files = sorted(files, key=lambda f: f.path)  # the same files in any order give the same bytes
    names: dict[str, str] = {}
    for f in files:  # a scan names the subscriptions it lists
        for key in ("lawEnforcementUntagged", "lawEnforcementUnassigned"):
            for s in (f.scan or {}).get(key) or []:
                if isinstance(s, dict) and s.get("subscriptionId") and s.get("displayName"):
                    names[str(s["subscriptionId"]).lower()] = str(s["displayName"])
    if azure is not None:
        names.update({s["subscriptionId"]: s["displayName"] for s in azure.subscriptions})
    per_clause: dict[str, list[tuple[str | None, dict[str, Any]]]] = {}
    other: list[tuple[str | None, dict[str, Any]]] = []
    used: set[str] = set()
    for f in files:
        warnings.extend(f"{f.path}: {w}" for w in f.warnings)
        for r in f.results:
            if r["result"] not in FINDING_WORDS:
                continue
            info = catalog.find(r.get("policyDefinitionName"), r.get("policySetDefinitionName"),
                                r.get("policyDefinitionReferenceId"), r.get("clauseId"), r.get("clauseSource"))
            where = f"{r['file']}:{r['line']}" if r.get("file") and r.get("line") else str(r.get("file") or "")
            item = _finding(r["resource"], r["result"], r["effect"], f"{f.kind} {f.path}", note=_note(r),
                            message=str(r.get("message") or ""), where=where)
            sid = subscription_of(r["resource"])
            if info is None:
                item["policy"] = str(r.get("policyDefinitionName") or "")
                other.append((sid, item))
            else:
                used.add(info.pack.name)
                per_clause.setdefault(info.key, []).append((sid, item))
    state_counts: dict[str, dict[str, int]] = {}
    if azure is not None:
        for s in azure.non_compliant:
            info = catalog.find(s["policyDefinitionName"], s["policySetDefinitionName"],
                                s["policyDefinitionReferenceId"])
            if info is None:
                continue
            used.add(info.pack.name)
            when = s["timestamp"][:10] if s["timestamp"] else ""
            item = _finding(s["resourceId"], "NonCompliant", s["effect"] or "", "Azure compliance",
                            note=f"evaluated {when}" if when else "")
            per_clause.setdefault(info.key, []).append((s["subscriptionId"] or subscription_of(s["resourceId"]), item))
        for c in azure.state_counts:
            info = catalog.find(c["definition"], None, None)
            if info is None:
                continue
            bucket = state_counts.setdefault(info.key, {})
            bucket[c["state"] or "Unknown"] = bucket.get(c["state"] or "Unknown", 0) + c["resources"]
        for row in azure.assignments:
            from generator.evidence.coverage import _assignment_kind

            kind, name = _assignment_kind(str((row.get("properties") or {}).get("policyDefinitionId") or ""))
            used.update(c.pack.name for c in catalog.for_assignment(kind, name))
    shown: list[ClauseInfo] = [c for c in catalog.clauses if packs_named or not used or c.pack.name in used]
    coverage = build_coverage(azure, catalog, shown, le_pattern) if azure is not None else None
    scan_cov = [coverage_from_scan(f.scan, f.path) for f in files if f.scan]
    exemptions, ex_warn = _exemption_rows(azure, catalog, as_of) if azure is not None else ({}, [])
    warnings += ex_warn + (coverage["warnings"] if coverage else [])
    clauses = []
    for info in shown:
        c, src = info.clause, info.clause.source
        remediation, from_pack = info.remediation
        found = per_clause.get(info.key, [])
        clauses.append({
            "key": info.key, "anchor": info.anchor, "id": c.id, "title": c.title, "quote": " ".join(c.quote.split()),
            "rationale": " ".join(c.rationale.split()),
            "pack": info.pack.name, "packVersion": info.pack.version,
            "source": {"publisher": src.publisher, "title": src.title, "url": src.url,
                       "effective": src.effective or ""},
            "references": [{"publisher": s.publisher, "title": s.title, "url": s.url, "effective": s.effective or ""}
                           for s in c.references],
            "remediation": remediation, "remediationFromPack": from_pack,
            "policies": [{"kind": "policy definition", "name": info.definition, "set": info.set,
                          "referenceId": c.id, "effectParameter": info.effect_parameter,
                          "defaultEffect": c.effect.default, "allowedEffects": list(c.effect.allowed)}],
            "coverage": ({"counts": coverage["perClause"][info.key], "gaps": coverage["clauseGaps"][info.key],
                          "lawEnforcementEnforced": coverage["lawEnforcementEnforced"][info.key],
                          "lawEnforcementTotal": coverage["lawEnforcementTotal"]} if coverage else None),
            "findingCount": len({(sid, f["resource"]) for sid, f in found}),
            "findings": _group(found, names),
            "azureStates": dict(sorted(state_counts.get(info.key, {}).items())),
            "exemptions": exemptions.get(info.key, []),
        })
    inputs = [{"path": f.path, "kind": f.kind, "sha256": f.sha256, "results": len(f.results)} for f in files]
    return {
        "generator": f"clausegate {__version__}",
        "asOf": as_of.isoformat() if as_of else "",
        "inputs": inputs,
        "azure": ({"scope": azure.scope, "subscriptions": len(azure.subscriptions),
                   "assignments": len(azure.assignments), "exemptions": len(azure.exemptions),
                   "nonCompliant": len(azure.non_compliant), "incomplete": list(azure.incomplete)}
                  if azure is not None else None),
        "packs": sorted({(c.pack.name, c.pack.version, c.pack.display_name) for c in shown}),
        "clauses": clauses,
        "coverage": coverage,
        "scanCoverage": scan_cov,
        "other": _group(other, names),
        "expiringSoon": len({(e["scope"], e["name"]) for c in clauses for e in c["exemptions"] if e["highlight"]}),
        "warnings": sorted(set(warnings)),
    }


__all__ = ["EXPIRY_WINDOW_DAYS", "build_evidence", "parse_as_of"]
