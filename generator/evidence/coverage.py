"""Coverage: which subscriptions in scope have the pack's assignment in force, per clause, from Azure's answers."""

from __future__ import annotations

import re
from typing import Any

from generator.errors import InputError
from generator.evidence.catalog import Catalog, ClauseInfo

_MG_PREFIX = "/providers/microsoft.management/managementgroups/"
# Per-clause status, best first; a subscription gets the best any assignment in force gives it.
CLAUSE_STATUSES = ("enforced", "audit only", "DoNotEnforce", "disabled", "resource groups only", "missing")
SUB_STATUSES = ("in force", "DoNotEnforce", "resource groups only", "missing")
CHART_TOP = 20  # management groups drawn one bar each; the rest share one bar


def _param(params: dict[str, Any], name: str) -> Any:
    for k, v in (params or {}).items():
        if str(k).lower() == name.lower():
            return v.get("value") if isinstance(v, dict) and "value" in v else v
    return None


def _tag(tags: dict[str, str], name: str) -> str | None:
    for k, v in tags.items():
        if k.lower() == name.lower():
            return v
    return None


def _assignment_kind(def_id: str) -> tuple[str, str]:
    parts = def_id.rstrip("/").split("/")
    return ("set" if len(parts) > 1 and parts[-2].lower() == "policysetdefinitions" else "definition"), parts[-1]


def _covers(a: Any, sid: str, chain: set[str]) -> str | None:
    """'sub' when the assignment covers the whole subscription, 'rg' for part of it, None otherwise."""
    from generator.engine.assignments import scope_contains

    scope = (a.scope or "").rstrip("/").lower()
    sub_scope = f"/subscriptions/{sid}"
    if any(scope_contains(ns.rstrip("/").lower(), sub_scope) for ns in a.not_scopes):
        return None
    if scope.startswith(_MG_PREFIX):
        return "sub" if scope[len(_MG_PREFIX):] in chain else None
    if scope == sub_scope:
        return "sub"
    if scope.startswith(sub_scope + "/"):
        return "rg"
    return None


def _clause_status(info: ClauseInfo, a: Any, kind: str, part: str) -> str:
    if part == "rg":
        return "resource groups only"
    if not a.enforced:
        return "DoNotEnforce"
    effect = _param(a.parameters, info.effect_parameter if kind == "set" else "effect")
    effect = str(effect if isinstance(effect, str) else info.clause.effect.default).lower()
    # An effect override wins over the parameter when its selectors name this clause (or nothing);
    # one that selects by location or type varies per resource and is left to the parameter.
    for o in getattr(a, "overrides", []):
        if o.kind.lower() != "policyeffect":
            continue
        if not o.selectors or all(sel.kind.lower() == "policydefinitionreferenceid"
                                  and sel.matches({sel.kind: info.clause.id.lower()}) for sel in o.selectors):
            effect = o.value.lower()
    return {"deny": "enforced", "audit": "audit only", "disabled": "disabled"}.get(effect, "enforced")


def build_coverage(azure: Any, catalog: Catalog, clauses: list[ClauseInfo], le_pattern: str | None) -> dict[str, Any]:
    """Per-subscription and per-clause coverage, law-enforcement signals, and the per-management-group chart data."""
    from generator.azure.scan import DEFAULT_LE_PATTERN, DEFAULT_LE_VALUES, DEFAULT_SECTOR_TAG
    from generator.engine.assignments import parse_assignment

    try:
        pattern = re.compile(le_pattern or DEFAULT_LE_PATTERN, re.IGNORECASE)
    except re.error as exc:
        raise InputError(f"--law-enforcement-pattern is not a regular expression: {exc}") from None
    assignments = []
    warnings: list[str] = []
    for row in azure.assignments:
        try:
            a = parse_assignment(row)
        except InputError as exc:
            warnings.append(f"assignment {row.get('id')!r} could not be read: {exc.message}")
            continue
        kind, name = _assignment_kind(a.policy_definition_id)
        covered = catalog.for_assignment(kind, name)
        if covered:
            assignments.append((a, kind, covered))
    packs = {c.pack.name: c.pack for c in clauses}
    tag_name, le_values = DEFAULT_SECTOR_TAG, {v.lower() for v in DEFAULT_LE_VALUES}
    for pack in packs.values():
        p = pack.parameters.get("sectorTagName")
        if p is not None and isinstance(p.default, str):
            tag_name = p.default
        p = pack.parameters.get("lawEnforcementValues")
        if p is not None and isinstance(p.default, list):
            le_values = {str(v).lower() for v in p.default}
    rows: list[dict[str, Any]] = []
    per_clause: dict[str, dict[str, int]] = {c.key: {s: 0 for s in CLAUSE_STATUSES} for c in clauses}
    clause_gaps: dict[str, list[dict[str, Any]]] = {c.key: [] for c in clauses}
    for sub in azure.subscriptions:
        sid = sub["subscriptionId"]
        chain = {m["name"].lower() for m in sub["managementGroups"]}
        statuses: dict[str, str] = {c.key: "missing" for c in clauses}
        sub_status = "missing"
        names: list[str] = []
        sub_tag, sub_values, whole = tag_name, set(le_values), False
        for a, kind, covered in assignments:
            part = _covers(a, sid, chain)
            if part is None:
                continue
            names.append(a.name)
            mine = "resource groups only" if part == "rg" else ("in force" if a.enforced else "DoNotEnforce")
            if SUB_STATUSES.index(mine) < SUB_STATUSES.index(sub_status):
                sub_status = mine
            if part == "sub":
                t = _param(a.parameters, "sectorTagName")
                v = _param(a.parameters, "lawEnforcementValues")
                sub_tag = t if isinstance(t, str) else sub_tag
                sub_values = {str(x).lower() for x in v} if isinstance(v, list) else sub_values
                whole = whole or _param(a.parameters, "treatScopeAsLawEnforcement") is True
            for info in covered:
                if info.key not in statuses:
                    continue
                st = _clause_status(info, a, kind, part)
                if CLAUSE_STATUSES.index(st) < CLAUSE_STATUSES.index(statuses[info.key]):
                    statuses[info.key] = st
        value = _tag(sub["tags"], sub_tag)
        nearest = sub["managementGroups"][0] if sub["managementGroups"] else {"name": "", "displayName": "(none)"}
        if whole:
            le, le_note = "yes", "the assignment treats its whole scope as law enforcement"
        elif value is not None:
            le = "yes" if value.lower() in sub_values else "no"
            le_note = f"{sub_tag}={value}"
        else:
            reasons = []
            if pattern.search(sub["displayName"]):
                reasons.append(f"name {sub['displayName']!r}")
            for mg in sub["managementGroups"]:
                if pattern.search(mg["displayName"]) or pattern.search(mg["name"]):
                    reasons.append(f"management group {mg['displayName']!r}")
            le = "looks like it" if reasons else "unknown"
            le_note = (f"no '{sub_tag}' tag; " + "; ".join(reasons)) if reasons else f"no '{sub_tag}' tag"
        row = {"subscriptionId": sid, "displayName": sub["displayName"],
               "managementGroup": nearest["displayName"] or nearest["name"], "status": sub_status,
               "lawEnforcement": le, "lawEnforcementNote": le_note, "assignments": sorted(set(names)),
               "clauses": statuses}
        rows.append(row)
        for info in clauses:
            st = statuses[info.key]
            per_clause[info.key][st] += 1
            # A gap worth listing: a clause not enforced where it applies, or might apply.
            if st not in ("enforced",) and le in ("yes", "looks like it"):
                clause_gaps[info.key].append(row)
    # Rows that need attention first: law enforcement (or looking like it) and not in force.
    le_rank = {"yes": 0, "looks like it": 1, "unknown": 2, "no": 3}
    rows.sort(key=lambda r: (le_rank[r["lawEnforcement"]], r["status"] == "in force", SUB_STATUSES.index(r["status"]),
                             r["displayName"].lower(), r["subscriptionId"]))
    le_total = sum(1 for r in rows if r["lawEnforcement"] == "yes")
    le_enforced = {c.key: sum(1 for r in rows if r["lawEnforcement"] == "yes" and r["clauses"][c.key] == "enforced")
                   for c in clauses}
    for gaps in clause_gaps.values():
        gaps.sort(key=lambda r: (r["displayName"].lower(), r["subscriptionId"]))
    by_mg: dict[str, dict[str, int]] = {}
    for r in rows:
        counts = by_mg.setdefault(r["managementGroup"], {s: 0 for s in SUB_STATUSES})
        counts[r["status"]] += 1
    ordered = sorted(by_mg.items(), key=lambda kv: (-sum(kv[1].values()), kv[0].lower()))
    chart = [{"label": k, "counts": v} for k, v in ordered[:CHART_TOP]]
    if len(ordered) > CHART_TOP:
        rest = {s: sum(v[s] for _, v in ordered[CHART_TOP:]) for s in SUB_STATUSES}
        chart.append({"label": f"{len(ordered) - CHART_TOP} other management group(s)", "counts": rest})
    totals = {s: sum(1 for r in rows if r["status"] == s) for s in SUB_STATUSES}
    return {
        "source": "azure",
        "scope": azure.scope,
        "sectorTag": tag_name,
        "subscriptions": rows,
        "totals": totals,
        "perClause": per_clause,
        "lawEnforcementTotal": le_total,
        "lawEnforcementEnforced": le_enforced,
        "clauseGaps": clause_gaps,
        "untagged": [r for r in rows if r["lawEnforcement"] == "looks like it"],
        "byManagementGroup": chart,
        "assignments": sorted({a.name for a, _, _ in assignments}),
        "warnings": warnings,
    }


def coverage_from_scan(scan: dict[str, Any], path: str) -> dict[str, Any]:
    """What a ``scan`` JSON says about coverage: law-enforcement subscriptions untagged or unassigned."""
    def rows(key: str) -> list[dict[str, Any]]:
        out = []
        for s in scan.get(key) or []:
            if isinstance(s, dict):
                out.append({"subscriptionId": str(s.get("subscriptionId") or ""),
                             "displayName": str(s.get("displayName") or s.get("subscriptionId") or ""),
                             "note": str(s.get("why") or s.get("tag") or ""),
                             "managementGroups": [str(m) for m in (s.get("managementGroups") or []) if m]})
        return sorted(out, key=lambda r: (r["displayName"].lower(), r["subscriptionId"]))

    return {"source": "scan", "file": path, "scope": str(scan.get("scope") or ""),
            "subscriptions": int(scan.get("subscriptions") or 0),
            "lawEnforcement": int(scan.get("lawEnforcementSubscriptions") or 0),
            "sectorTag": str(scan.get("sectorTag") or "sector"),
            "untagged": rows("lawEnforcementUntagged"), "unassigned": rows("lawEnforcementUnassigned")}


__all__ = ["CLAUSE_STATUSES", "SUB_STATUSES", "build_coverage", "coverage_from_scan"]
