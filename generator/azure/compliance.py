"""Live Azure facts for ``clausegate report --from-azure``: assignments in force, compliance, exemptions.

Resource Graph only, paged like ``scan`` (1,000 rows a page, ``$skipToken``, subscription lists in
batches of 1,000), so a tenant of 10,000 subscriptions costs a few requests, not one per subscription:

1. ``resourcecontainers``: the subscriptions in scope, with tags and management-group chain;
2. ``policyresources``: policy assignments and exemptions (tenant-wide, so management-group
   assignments above the scope are seen); only those of the pack's set or definitions are kept;
3. ``policyresources``: Azure's compliance states of the pack's policies, counted per policy and
   state (``summarize``: a handful of rows, one page);
4. ``policyresources``: the ``NonCompliant`` states themselves (paged; they carry an ``id`` column,
   which Resource Graph needs to hand out a ``$skipToken``).

A page that fails after retries is recorded in ``incomplete`` (the report says so, the command exits 3).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from generator.errors import InputError
from generator.ids import is_guid

STATES_TYPE = "microsoft.policyinsights/policystates"
_NAME_RE = re.compile(r"[A-Za-z0-9_.()-]{1,128}")
_SUB_ID_RE = re.compile(r"/subscriptions/([^/]+)/?", re.IGNORECASE)


@dataclass
class AzureEvidence:
    """What Azure says about a pack in a scope (plain JSON-like values, ready for the report)."""

    scope: str
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    exemptions: list[dict[str, Any]] = field(default_factory=list)
    state_counts: list[dict[str, Any]] = field(default_factory=list)
    non_compliant: list[dict[str, Any]] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    requests: int = 0
    graph_pages: int = 0
    read_on: str = ""  # UTC date Azure was read (the default --as-of)


def parse_scope(text: str) -> dict[str, Any]:
    """``--scope``: a management group (name or ARM id), a subscription (GUID or ARM id) or ``tenant``."""
    from generator.azure.scan import parse_management_group

    raw = text.strip()
    if raw.lower() in ("tenant", "/"):
        return {"scope_text": "the tenant"}
    m = _SUB_ID_RE.fullmatch(raw)
    sub = m.group(1) if m else raw
    if is_guid(sub):
        return {"subscriptions": [sub.lower()], "scope_text": f"subscription {sub.lower()}"}
    if m:
        raise InputError(f"--scope {text!r}: {sub!r} is not a subscription id (a GUID)")
    try:
        mg = parse_management_group(raw)
    except InputError:
        raise InputError(f"--scope {text!r} is neither 'tenant', a subscription id, nor a management group "
                         f"(name or /providers/Microsoft.Management/managementGroups/NAME)") from None
    return {"management_groups": [mg], "scope_text": f"management group {mg}"}


def _kql_list(names: Iterable[str]) -> str:
    out = []
    for n in sorted(set(names)):
        if not _NAME_RE.fullmatch(n):  # never quote an odd value into a query
            raise InputError(f"policy name {n!r} cannot be queried in Resource Graph")
        out.append(f"'{n.lower()}'")
    return ", ".join(out)


def states_queries(set_names: Iterable[str], definition_names: Iterable[str]) -> tuple[str, str]:
    """(counts query, NonCompliant rows query) over the pack's policies' compliance states."""
    sets, defs = _kql_list(set_names) or "''", _kql_list(definition_names) or "''"
    base = (f"policyresources | where type =~ '{STATES_TYPE}' "
            f"| where tolower(tostring(properties.policySetDefinitionName)) in ({sets}) "
            f"or tolower(tostring(properties.policyDefinitionName)) in ({defs})")
    counts = (base + " | summarize resources = count() by referenceId = tostring(properties.policyDefinitionReferenceId), "
                     "definition = tostring(properties.policyDefinitionName), state = tostring(properties.complianceState)")
    rows = base + " | where tostring(properties.complianceState) =~ 'NonCompliant' | project id, subscriptionId, properties"
    return counts, rows


def _definition_name(def_id: str) -> tuple[str, str]:
    """(kind, name) of a policyDefinitionId: kind ``set`` or ``definition``."""
    parts = def_id.rstrip("/").split("/")
    kind = parts[-2].lower() if len(parts) >= 2 else ""
    return ("set" if kind == "policysetdefinitions" else "definition"), parts[-1].lower()


def read_compliance(
    scope_text: str,
    *,
    set_names: Iterable[str],
    definition_names: Iterable[str],
    cloud: str | None = None,
    tenant: str | None = None,
    retry_total: int = 6,
    retry_backoff: float = 0.8,
    progress: Callable[[str], None] | None = None,
    debug: bool = False,
) -> AzureEvidence:
    """Read subscriptions, the pack's assignments and exemptions, and compliance states in ``scope_text``."""
    from datetime import datetime, timezone

    from generator.azure.arm_read import client_kwargs, read_error
    from generator.azure.clients import RequestStats
    from generator.azure.credentials import install_log_redaction, make_credential
    from generator.azure.scan import _POLICY_QUERY, _SUBS_QUERY, _Graph
    from generator.azure.settings import resolve_settings

    scope = parse_scope(scope_text)
    set_names, definition_names = sorted({s.lower() for s in set_names}), sorted({d.lower() for d in definition_names})
    counts_query, rows_query = states_queries(set_names, definition_names)
    install_log_redaction()
    settings = resolve_settings(cloud, tenant)
    stats = RequestStats()
    credential = make_credential(settings)
    describe = read_error(settings, advice="or leave out --from-azure", above=False)
    out = AzureEvidence(scope=scope["scope_text"], read_on=datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    from azure.mgmt.resourcegraph import ResourceGraphClient

    client = ResourceGraphClient(credential, **client_kwargs(settings, stats, debug=debug, retry_total=retry_total,
                                                             retry_backoff=retry_backoff))
    graph = _Graph(client, describe, out.incomplete, progress)
    try:
        subs: dict[str, dict[str, Any]] = {}
        for row in graph.rows(_SUBS_QUERY, "subscriptions", **scope):
            sid = str(row.get("subscriptionId") or "").lower()
            if sid:
                chain = ((row.get("properties") or {}).get("managementGroupAncestorsChain") or [])
                subs[sid] = {"subscriptionId": sid, "displayName": str(row.get("name") or sid),
                             "tags": {str(k): str(v) for k, v in (row.get("tags") or {}).items()},
                             "managementGroups": [{"name": str(m.get("name") or ""),
                                                   "displayName": str(m.get("displayName") or m.get("name") or "")}
                                                  for m in chain if isinstance(m, dict)]}
        out.subscriptions = sorted(subs.values(), key=lambda s: s["subscriptionId"])
        if not subs:
            return out
        wanted = {("set", n) for n in set_names} | {("definition", n) for n in definition_names}
        exemptions: list[dict[str, Any]] = []
        for row in graph.rows(_POLICY_QUERY, "policy assignments and exemptions", scope_text="the tenant"):
            t = str(row.get("type", "")).lower()
            if t.endswith("policyassignments"):
                def_id = str((row.get("properties") or {}).get("policyDefinitionId") or "")
                if _definition_name(def_id) in wanted:
                    out.assignments.append(row)
            else:
                exemptions.append(row)
        kept = {str(a.get("id", "")).lower() for a in out.assignments}
        out.assignments.sort(key=lambda a: str(a.get("id", "")).lower())
        out.exemptions = sorted((e for e in exemptions
                                 if str((e.get("properties") or {}).get("policyAssignmentId") or "").lower() in kept),
                                key=lambda e: str(e.get("id", "")).lower())
        for row in graph.rows(counts_query, "compliance counts", **scope):
            out.state_counts.append({"referenceId": str(row.get("referenceId") or ""),
                                     "definition": str(row.get("definition") or ""),
                                     "state": str(row.get("state") or ""), "resources": int(row.get("resources") or 0)})
        for row in graph.rows(rows_query, "non-compliant resources", **scope):
            props = row.get("properties") or {}
            out.non_compliant.append({
                "resourceId": str(props.get("resourceId") or ""),
                "subscriptionId": str(row.get("subscriptionId") or props.get("subscriptionId") or "").lower(),
                "policyAssignmentId": str(props.get("policyAssignmentId") or ""),
                "policyDefinitionName": str(props.get("policyDefinitionName") or ""),
                "policySetDefinitionName": str(props.get("policySetDefinitionName") or ""),
                "policyDefinitionReferenceId": str(props.get("policyDefinitionReferenceId") or ""),
                "effect": str(props.get("policyDefinitionAction") or "").lower(),
                "timestamp": str(props.get("timestamp") or ""),
            })
    finally:
        client.close()
        close = getattr(credential, "close", None)
        if callable(close):
            close()
        out.requests = stats.requests
        out.graph_pages = graph.pages
    return out


__all__ = ["AzureEvidence", "parse_scope", "read_compliance", "states_queries"]
