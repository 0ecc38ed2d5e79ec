"""Azure Policy compliance states in the stand-in's Resource Graph (``policyresources`` table).

``install_policy_states(stub)`` adds, to one stub instance, answers for the ``policyresources``
queries over ``microsoft.policyinsights/policystates`` that ``clausegate report --from-azure``
sends; every other Resource Graph query goes on to graph.py unchanged. Parsed loosely, like graph.py:
the scope of the request, the policy names in ``policySetDefinitionName``/``policyDefinitionName``
``in (...)`` lists, a ``complianceState =~ '...'`` filter, and ``summarize ... by`` reference id,
definition and state (answered as the columns ``referenceId``, ``definition``, ``state``,
``resources``). Rows page with ``$skipToken`` like the other tables; summarize answers are one page,
as on the real service (rows without an ``id`` column are not paged there).
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from . import graph
from .server import ArmError, ArmStub, StubRequest, StubResponse

STATES_TYPE = "microsoft.policyinsights/policystates"
_NAMES = re.compile(r"(policySetDefinitionName|policyDefinitionName)\)\)\s*in~?\s*\(([^)]*)\)", re.IGNORECASE)
_STATE = re.compile(r"complianceState\)\s*=~\s*'([^']+)'", re.IGNORECASE)


@dataclass
class ComplianceState:
    """Policy state records (one per resource and policy), as Resource Graph rows."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, resource_id: str, assignment_id: str, state: str, *, set_name: str | None,
            definition: str, reference_id: str = "", effect: str = "deny",
            timestamp: str = "2026-11-30T06:00:00Z") -> dict[str, Any]:
        """Record ``resource_id``'s state for one policy of an assignment."""
        parts = resource_id.split("/")
        digest = hashlib.sha1(f"{resource_id}|{assignment_id}|{reference_id}".lower().encode()).hexdigest()[:16]
        row = {
            "id": f"{resource_id}/providers/Microsoft.PolicyInsights/policyStates/{digest}",
            "name": digest, "type": STATES_TYPE, "subscriptionId": parts[2],
            "resourceGroup": parts[4].lower() if len(parts) > 4 else "",
            "properties": {
                "resourceId": resource_id, "complianceState": state, "policyAssignmentId": assignment_id,
                "policyAssignmentName": assignment_id.rsplit("/", 1)[-1],
                "policySetDefinitionName": set_name or "", "policyDefinitionName": definition,
                "policyDefinitionReferenceId": reference_id, "policyDefinitionAction": effect,
                "timestamp": timestamp, "subscriptionId": parts[2],
            },
        }
        self.rows.append(row)
        return row


def compliance_state(stub: ArmStub) -> ComplianceState:
    """The stub's policy states, created on first use."""
    return stub.state.setdefault("compliance", ComplianceState())


def _names(text: str, column: str) -> set[str] | None:
    found = [m for m in _NAMES.findall(text) if m[0].lower() == column.lower()]
    if not found:
        return None
    return {n.lower() for _, group in found for n in re.findall(r"'([^']*)'", group)}


def answer_states(stub: ArmStub, req: StubRequest) -> StubResponse:
    """One page of a policy-states query, or delegate any other query to graph.py."""
    body = req.body if isinstance(req.body, dict) else {}
    text = str(body.get("query") or "")
    if STATES_TYPE not in text.lower():
        return graph.query_resources(stub, req)
    subs_raw = body.get("subscriptions")
    if subs_raw is not None and len(subs_raw) > graph.MAX_SUBSCRIPTIONS:
        raise ArmError(400, "BadRequest", f"The number of subscriptions {len(subs_raw)} exceeds "
                                          f"{graph.MAX_SUBSCRIPTIONS}")
    options = body.get("options") or {}
    top = int(options.get("$top") or 100)
    state = graph.graph_state(stub)
    state.queries.append({"query": text, "subscriptions": len(subs_raw) if subs_raw else 0,
                          "managementGroups": body.get("managementGroups"), "skipToken": options.get("$skipToken")})
    subs = {s.lower() for s in subs_raw} if subs_raw is not None else None
    sets, defs = _names(text, "policySetDefinitionName"), _names(text, "policyDefinitionName")
    wanted = _STATE.search(text)
    rows = []
    for row in compliance_state(stub).rows:
        props = row["properties"]
        if not graph._in_scope(stub, row, subs, body.get("managementGroups")):
            continue
        if sets is not None or defs is not None:
            if props["policySetDefinitionName"].lower() not in (sets or set()) and \
                    props["policyDefinitionName"].lower() not in (defs or set()):
                continue
        if wanted and props["complianceState"].lower() != wanted.group(1).lower():
            continue
        rows.append(copy.deepcopy(row))
    if "summarize" in text.lower():
        counts: dict[tuple[str, str, str], int] = {}
        for row in rows:
            p = row["properties"]
            key = (p["policyDefinitionReferenceId"], p["policyDefinitionName"], p["complianceState"])
            counts[key] = counts.get(key, 0) + 1
        data = [{"referenceId": k[0], "definition": k[1], "state": k[2], "resources": n}
                for k, n in sorted(counts.items())]
        return StubResponse(200, {"totalRecords": len(data), "count": len(data), "resultTruncated": "false",
                                  "data": data, "facets": []})
    rows.sort(key=lambda r: r["id"].lower())
    token = options.get("$skipToken")
    start = int(token[2:]) if isinstance(token, str) and token.startswith("st") and token[2:].isdigit() else 0
    size = min(top, state.page_size)
    page = rows[start:start + size]
    out: dict[str, Any] = {"totalRecords": len(rows), "count": len(page), "resultTruncated": "false",
                           "data": page, "facets": []}
    if start + size < len(rows):
        out["$skipToken"] = f"st{start + size}"
    return StubResponse(200, out)


def install_policy_states(stub: ArmStub) -> ComplianceState:
    """Answer policy-states queries on this stub instance (other Resource Graph queries are unchanged)."""
    stub.add_route("POST", r"/providers/Microsoft\.ResourceGraph/resources", answer_states)
    return compliance_state(stub)


__all__ = ["ComplianceState", "STATES_TYPE", "compliance_state", "install_policy_states"]
