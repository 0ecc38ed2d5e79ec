"""Azure Resource Graph of the stand-in: ``POST /providers/Microsoft.ResourceGraph/resources``.

Answers the query shapes ``clausegate scan`` sends, parsed loosely: the table (first word), the
``type`` filters (``=~``, ``==``, ``in~ (...)``, ``in (...)``) and the request's scope
(``subscriptions``, ``managementGroups``, or neither for the whole tenant). ``project`` is ignored:
rows carry the usual Graph columns. Pages of ``options.$top`` (at most 1000) rows chain with
``$skipToken``; a request naming more than 1000 subscriptions is refused, so callers must batch.
Like the real service, the ``resources`` table does not index
``microsoft.cognitiveservices/accounts/deployments`` (see resources.py).
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass, field
from typing import Any

from .policy import policy_state
from .resources import resource_state
from .server import ArmError, ArmStub, StubRequest, StubResponse, route
from .subscriptions import TENANT_ID, mg_id, tenant_state

MAX_SUBSCRIPTIONS = 1000
NOT_INDEXED = {"microsoft.cognitiveservices/accounts/deployments"}


@dataclass
class GraphState:
    """Settings and a log of the queries answered."""

    page_size: int = 1000
    queries: list[dict[str, Any]] = field(default_factory=list)
    # Per-user quota: requests per window, counted down in x-ms-user-quota-remaining (the real
    # service allows 15 per 5 seconds; the default here is high so only the quota test is paced).
    quota: int = 1000
    window: float = 5.0
    stamps: list[float] = field(default_factory=list)


def graph_state(stub: ArmStub) -> GraphState:
    """The stub's Resource Graph state, created on first use."""
    return stub.state.setdefault("graph", GraphState())


_TYPE_EQ = re.compile(r"\btype\s*(?:=~|==)\s*'([^']+)'", re.IGNORECASE)
_TYPE_IN = re.compile(r"\btype\s*in~?\s*\(([^)]*)\)", re.IGNORECASE)


def parse_query(text: str) -> tuple[str, set[str] | None]:
    """(table, lower-case types the query keeps, or None for every type)."""
    m = re.match(r"\s*([A-Za-z_]+)", text)
    table = m.group(1).lower() if m else ""
    types: set[str] = {t.lower() for t in _TYPE_EQ.findall(text)}
    for group in _TYPE_IN.findall(text):
        types.update(t.lower() for t in re.findall(r"'([^']+)'", group))
    return table, (types or None)


def _sub_row(state: Any, doc: dict[str, Any]) -> dict[str, Any]:
    chain = [{"name": mg, "displayName": state.mg_display.get(mg, mg)} for mg in state.mg_chain(doc["subscriptionId"])]
    return {
        "id": doc["id"], "name": doc["displayName"], "type": "microsoft.resources/subscriptions",
        "tenantId": doc["tenantId"], "subscriptionId": doc["subscriptionId"], "resourceGroup": "",
        "location": "", "tags": copy.deepcopy(doc.get("tags") or {}),
        "properties": {"state": doc.get("state", "Enabled"), "managementGroupAncestorsChain": chain},
    }


def _rg_row(doc: dict[str, Any]) -> dict[str, Any]:
    sub = doc["id"].split("/")[2]
    return {"id": doc["id"], "name": doc["name"], "type": "microsoft.resources/subscriptions/resourcegroups",
            "tenantId": TENANT_ID, "subscriptionId": sub, "resourceGroup": doc["name"],
            "location": doc.get("location"), "tags": copy.deepcopy(doc.get("tags") or {}),
            "properties": copy.deepcopy(doc.get("properties") or {})}


def _resource_row(doc: dict[str, Any]) -> dict[str, Any]:
    parts = doc["id"].split("/")
    row = {k: copy.deepcopy(v) for k, v in doc.items()}
    row.update({"type": doc["type"].lower(), "tenantId": TENANT_ID, "subscriptionId": parts[2],
                "resourceGroup": parts[4].lower()})
    for key in ("kind", "location", "sku", "identity", "tags", "properties"):
        row.setdefault(key, None)
    return row


def _policy_row(obj: dict[str, Any]) -> dict[str, Any]:
    row = copy.deepcopy(obj)
    row["type"] = obj["type"].lower()
    m = re.match(r"/subscriptions/([^/]+)(?:/resourcegroups/([^/]+))?", obj["id"], re.IGNORECASE)
    row["subscriptionId"] = m.group(1) if m else ""
    row["resourceGroup"] = (m.group(2) or "").lower() if m else ""
    row["tenantId"] = TENANT_ID
    return row


def _rows(stub: ArmStub, table: str) -> list[dict[str, Any]]:
    tenant = tenant_state(stub)
    if table == "resourcecontainers":
        rows = [_sub_row(tenant, s) for _, s in sorted(tenant.subscriptions.items())]
        rows += [_rg_row(r) for _, r in sorted(tenant.resource_groups.items())]
        return rows
    if table == "resources":
        return [_resource_row(r) for r in sorted(resource_state(stub).items.values(), key=lambda r: r["id"].lower())
                if r["type"].lower() not in NOT_INDEXED]
    if table == "policyresources":
        objs = [o for o in policy_state(stub).objects.values()
                if o["type"].lower() in ("microsoft.authorization/policyassignments",
                                         "microsoft.authorization/policyexemptions")]
        return [_policy_row(o) for o in sorted(objs, key=lambda o: o["id"].lower())]
    raise ArmError(400, "BadRequest", f"Table '{table}' is not supported by the stand-in")


def _in_scope(stub: ArmStub, row: dict[str, Any], subs: set[str] | None, mgs: list[str] | None) -> bool:
    sub = (row.get("subscriptionId") or "").lower()
    if subs is not None:
        return sub in subs
    if mgs is not None:
        tenant = tenant_state(stub)
        if sub:
            chain = tenant.mg_chain(sub)
            return any(mg in chain for mg in mgs)
        # A management-group-level object: in scope when it sits at or below a requested group.
        scope = str((row.get("properties") or {}).get("scope") or row["id"]).lower()
        for mg in mgs:
            for name in tenant.mg_parent:
                if scope.startswith(mg_id(name).lower() + "/") or scope == mg_id(name).lower():
                    cur: str | None = name
                    while cur:
                        if cur == mg:
                            return True
                        cur = tenant.mg_parent.get(cur)
        return False
    return True


@route("POST", r"/providers/Microsoft\.ResourceGraph/resources")
def query_resources(stub: ArmStub, req: StubRequest) -> StubResponse:
    """Answer one Resource Graph query page."""
    body = req.body if isinstance(req.body, dict) else {}
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise ArmError(400, "BadRequest", "Please provide a query")
    subs_raw = body.get("subscriptions")
    if subs_raw is not None and len(subs_raw) > MAX_SUBSCRIPTIONS:
        raise ArmError(400, "BadRequest", f"The number of subscriptions {len(subs_raw)} exceeds {MAX_SUBSCRIPTIONS}")
    mgs = body.get("managementGroups")
    options = body.get("options") or {}
    top = int(options.get("$top") or 100)
    if top > 1000:
        raise ArmError(400, "BadRequest", "$top must be at most 1000")
    state = graph_state(stub)
    state.queries.append({"query": text, "subscriptions": len(subs_raw) if subs_raw else 0,
                          "managementGroups": mgs, "skipToken": options.get("$skipToken")})
    table, types = parse_query(text)
    subs = {s.lower() for s in subs_raw} if subs_raw is not None else None
    rows = [r for r in _rows(stub, table)
            if (types is None or r["type"] in types) and _in_scope(stub, r, subs, mgs)]
    token = options.get("$skipToken")
    start = int(token[2:]) if isinstance(token, str) and token.startswith("st") and token[2:].isdigit() else 0
    size = min(top, state.page_size)
    page = rows[start:start + size]
    out: dict[str, Any] = {"totalRecords": len(rows), "count": len(page), "resultTruncated": "false",
                           "data": page, "facets": []}
    if start + size < len(rows):
        out["$skipToken"] = f"st{start + size}"
    now = time.monotonic()
    state.stamps = [t for t in state.stamps if now - t < state.window] + [now]
    remaining = max(0, state.quota - len(state.stamps))
    resets = state.window - (now - state.stamps[0])
    return StubResponse(200, out, {"x-ms-user-quota-remaining": str(remaining),
                                   "x-ms-user-quota-resets-after": f"00:00:{resets:06.3f}"})
