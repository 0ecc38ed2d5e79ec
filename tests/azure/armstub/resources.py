"""Resources of the stand-in: Cognitive Services accounts and their deployments, and any other type.

State lives in ``stub.state["resources"]`` (:class:`ResourceState`). Resource Graph (graph.py) sees
the top-level resources only, like the real service, which does not index
``Microsoft.CognitiveServices/accounts/deployments``; the deployments are listed here, per account,
through Resource Manager (``GET {account}/deployments``, paged).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .server import ArmError, ArmStub, StubRequest, StubResponse, route
from .subscriptions import tenant_state

DEPLOYMENT_TYPE = "Microsoft.CognitiveServices/accounts/deployments"


@dataclass
class ResourceState:
    """Resources keyed by lower-case id."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_account(self, sub: str, rg: str, name: str, kind: str = "OpenAI", location: str = "eastus",
                    tags: dict[str, str] | None = None) -> dict[str, Any]:
        """Add a Cognitive Services account."""
        rid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{name}"
        doc = {"id": rid, "name": name, "type": "Microsoft.CognitiveServices/accounts", "kind": kind,
               "location": location, "tags": dict(tags or {}), "sku": {"name": "S0"},
               "properties": {"customSubDomainName": name, "publicNetworkAccess": "Enabled",
                              "provisioningState": "Succeeded"}}
        self.items[rid.lower()] = doc
        return doc

    def add_deployment(self, account_id: str, name: str, model: str, version: str = "1",
                       model_format: str = "OpenAI") -> dict[str, Any]:
        """Add a deployment under an account."""
        rid = f"{account_id}/deployments/{name}"
        doc = {"id": rid, "name": name, "type": DEPLOYMENT_TYPE, "sku": {"name": "Standard", "capacity": 10},
               "properties": {"model": {"format": model_format, "name": model, "version": version},
                              "provisioningState": "Succeeded"}}
        self.items[rid.lower()] = doc
        return doc

    def add(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Add any resource as given (needs ``id`` and ``type``)."""
        self.items[doc["id"].lower()] = doc
        return doc

    def top_level(self) -> list[dict[str, Any]]:
        """Resources whose type has one segment after the namespace."""
        return [r for r in self.items.values() if r["type"].count("/") == 1]

    def children(self, parent_id: str, segment: str) -> list[dict[str, Any]]:
        """Direct children of ``parent_id`` under ``/segment/``."""
        prefix = f"{parent_id}/{segment}/".lower()
        return [r for k, r in sorted(self.items.items()) if k.startswith(prefix) and "/" not in k[len(prefix):]]


def resource_state(stub: ArmStub) -> ResourceState:
    """The stub's resource state, created on first use."""
    return stub.state.setdefault("resources", ResourceState())


_RES = r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/(?!Microsoft\.Authorization/)(?P<rest>.+)"


@route("GET", _RES)
def get_or_list(stub: ArmStub, req: StubRequest) -> StubResponse:
    """GET a resource by id, or LIST a child collection (``{parent}/{segment}``), paged."""
    tenant_state(stub).check_access(req.path)
    state = resource_state(stub)
    doc = state.items.get(req.path.lower())
    if doc is not None:
        return StubResponse(200, copy.deepcopy(doc))
    parent, _, segment = req.path.rpartition("/")
    if parent.lower() in state.items and parent.count("/") >= 8:
        return stub.paged(req, copy.deepcopy(state.children(parent, segment)))
    raise ArmError(404, "ResourceNotFound", f"The Resource '{req.params['rest']}' under resource group "
                                           f"'{req.params['rg']}' was not found.")
