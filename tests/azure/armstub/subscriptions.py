"""Subscriptions, resource groups and the management-group tree of the stand-in (issue 7).

State lives in ``stub.state["tenant"]`` (:class:`TenantState`): subscriptions with display name and
tags, resource groups with location and tags, each subscription's management-group chain, and
scopes that answer 403 (to test the Reader message). Resource Graph (graph.py) and the resource
listings (resources.py) read the same state, so every way of looking sees the same tenant.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .policy import policy_state
from .server import ArmError, ArmStub, StubRequest, StubResponse, route

TENANT_ID = "72f988bf-0000-4000-8000-000000000001"
ROOT_MG = "tenant-root"


@dataclass
class TenantState:
    """The tenant as the stand-in sees it."""

    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower id -> subscription JSON
    resource_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower "sub/rg" -> RG JSON
    mg_parent: dict[str, str | None] = field(default_factory=lambda: {ROOT_MG: None})  # mg -> parent mg
    mg_display: dict[str, str] = field(default_factory=lambda: {ROOT_MG: "Tenant Root Group"})
    sub_mg: dict[str, str] = field(default_factory=dict)  # lower subscription id -> its management group
    denied: set[str] = field(default_factory=set)  # lower scope ids that answer 403 to GETs at or below them

    # building ------------------------------------------------------------------------------------
    def add_management_group(self, name: str, parent: str = ROOT_MG, display: str | None = None) -> None:
        """Add a management group under ``parent``."""
        self.mg_parent[name] = parent
        self.mg_display[name] = display or name

    def add_subscription(self, sub_id: str, display_name: str, tags: dict[str, str] | None = None,
                         mg: str = ROOT_MG, stub: ArmStub | None = None) -> dict[str, Any]:
        """Add a subscription placed in management group ``mg`` (and in the policy hierarchy)."""
        doc = {
            "id": f"/subscriptions/{sub_id}",
            "subscriptionId": sub_id,
            "tenantId": TENANT_ID,
            "displayName": display_name,
            "state": "Enabled",
            "tags": dict(tags or {}),
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                     "quotaId": "EnterpriseAgreement_2014-09-01", "spendingLimit": "Off"},
            "authorizationSource": "RoleBased",
        }
        self.subscriptions[sub_id.lower()] = doc
        self.sub_mg[sub_id.lower()] = mg
        if stub is not None:
            pstate = policy_state(stub)
            pstate.set_parent(f"/subscriptions/{sub_id}", mg_id(mg))
            for child, parent in self.mg_parent.items():
                if parent:
                    pstate.set_parent(mg_id(child), mg_id(parent))
        return doc

    def add_resource_group(self, sub_id: str, name: str, location: str = "eastus",
                           tags: dict[str, str] | None = None) -> dict[str, Any]:
        """Add a resource group."""
        doc = {
            "id": f"/subscriptions/{sub_id}/resourceGroups/{name}",
            "name": name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": location,
            "tags": dict(tags or {}),
            "properties": {"provisioningState": "Succeeded"},
        }
        self.resource_groups[f"{sub_id}/{name}".lower()] = doc
        return doc

    # reading -------------------------------------------------------------------------------------
    def mg_chain(self, sub_id: str) -> list[str]:
        """The subscription's management groups, nearest first, up to the root."""
        out: list[str] = []
        cur: str | None = self.sub_mg.get(sub_id.lower(), ROOT_MG)
        while cur:
            out.append(cur)
            cur = self.mg_parent.get(cur)
        return out

    def under(self, mg: str) -> list[str]:
        """Lower-case ids of the subscriptions at or below management group ``mg``."""
        return [s for s in self.subscriptions if mg in self.mg_chain(s)]

    def check_access(self, path: str) -> None:
        """403 when ``path`` is at or below a denied scope."""
        low = path.lower()
        for scope in self.denied:
            if low == scope or low.startswith(scope + "/"):
                raise ArmError(403, "AuthorizationFailed",
                               f"The client 'clausegate-test-principal' does not have authorization to perform action "
                               f"'read' over scope '{path}' or the scope is invalid.")


def mg_id(name: str) -> str:
    """The ARM id of a management group."""
    return f"/providers/Microsoft.Management/managementGroups/{name}"


def tenant_state(stub: ArmStub) -> TenantState:
    """The stub's tenant state, created on first use."""
    return stub.state.setdefault("tenant", TenantState())


@route("GET", r"/subscriptions")
def list_subscriptions(stub: ArmStub, req: StubRequest) -> StubResponse:
    """GET /subscriptions (paged)."""
    state = tenant_state(stub)
    return stub.paged(req, [copy.deepcopy(s) for _, s in sorted(state.subscriptions.items())])


@route("GET", r"/subscriptions/(?P<sub>[^/]+)")
def get_subscription(stub: ArmStub, req: StubRequest) -> StubResponse:
    """GET one subscription."""
    state = tenant_state(stub)
    state.check_access(req.path)
    doc = state.subscriptions.get(req.params["sub"].lower())
    if doc is None:
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{req.params['sub']}' could not be found.")
    return StubResponse(200, copy.deepcopy(doc))


@route("GET", r"/subscriptions/(?P<sub>[^/]+)/resourcegroups")
def list_resource_groups(stub: ArmStub, req: StubRequest) -> StubResponse:
    """GET a subscription's resource groups (paged)."""
    state = tenant_state(stub)
    state.check_access(req.path)
    prefix = req.params["sub"].lower() + "/"
    return stub.paged(req, [copy.deepcopy(v) for k, v in sorted(state.resource_groups.items()) if k.startswith(prefix)])


@route("GET", r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)")
def get_resource_group(stub: ArmStub, req: StubRequest) -> StubResponse:
    """GET one resource group."""
    state = tenant_state(stub)
    state.check_access(req.path)
    if req.params["sub"].lower() not in state.subscriptions:
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{req.params['sub']}' could not be found.")
    doc = state.resource_groups.get(f"{req.params['sub']}/{req.params['rg']}".lower())
    if doc is None:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{req.params['rg']}' could not be found.")
    return StubResponse(200, copy.deepcopy(doc))
