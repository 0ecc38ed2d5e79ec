"""Seed the stand-in with a tenant: management groups, subscriptions with tags, accounts, deployments.

``seed_tenant(stub, 2000)`` builds the large tenant the scan tests use; the layout is arithmetic
on the subscription index so tests can compute what the scan must find:

- ``i % 50 == 0``: law enforcement (``sector=police``, ``jurisdiction=US``); in management group
  ``le-us`` (where the set is assigned) when ``i % 100 == 0``, else in ``corp`` (no assignment);
- ``i % 50 == 25``: named ``pd-metro-<i>``, no tags (looks like law enforcement by name);
- ``i % 97 == 3`` (and none of the above): in ``le-us`` without tags (looks so by management group);
- every other subscription: ``sector=retail`` in ``corp``;
- ``i % 10 == 0``: resource group ``rg-ai`` with an OpenAI account holding a ``gpt-4o`` and a
  ``text-embedding-3-small`` deployment; subscription 0 also has a Face account.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from armstub import ArmStub, policy_state
from armstub.resources import resource_state
from armstub.subscriptions import mg_id, tenant_state

SET_NAME = "aoai-law-enforcement"


def sub_id(i: int) -> str:
    """A deterministic subscription id for index ``i``."""
    return f"{i:08x}-0000-4000-8000-{i:012x}"


@dataclass
class Seeded:
    """What the seed created, for assertions."""

    count: int
    le: list[str] = field(default_factory=list)
    le_unassigned: list[str] = field(default_factory=list)
    untagged_by_name: list[str] = field(default_factory=list)
    untagged_by_mg: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    le_accounts: list[str] = field(default_factory=list)


def assignment_doc(scope: str, name: str = "aoai-le", **props: object) -> dict[str, object]:
    """An assignment of the shipped set at ``scope`` (as the service stores it)."""
    body: dict[str, object] = {
        "displayName": "AOAI law enforcement", "scope": scope, "notScopes": [], "enforcementMode": "Default",
        "policyDefinitionId": f"{mg_id('tenant-root')}/providers/Microsoft.Authorization/policySetDefinitions/"
                              f"{SET_NAME}",
        "parameters": {}, "metadata": {},
    }
    body.update(props)
    return {"id": f"{scope}/providers/Microsoft.Authorization/policyAssignments/{name}",
            "type": "Microsoft.Authorization/policyAssignments", "name": name, "properties": body}


def seed_tenant(stub: ArmStub, count: int) -> Seeded:
    """Create the tenant described in the module docstring."""
    tenant = tenant_state(stub)
    resources = resource_state(stub)
    tenant.add_management_group("corp", display="Corporate")
    tenant.add_management_group("justice", display="Public Safety")
    tenant.add_management_group("le-us", parent="justice", display="Police US")
    out = Seeded(count)
    for i in range(count):
        sid = sub_id(i)
        if i % 50 == 0:
            mg = "le-us" if i % 100 == 0 else "corp"
            tenant.add_subscription(sid, f"justice-{i}", {"sector": "police", "jurisdiction": "US"}, mg, stub)
            out.le.append(sid)
            if mg == "corp":
                out.le_unassigned.append(sid)
        elif i % 50 == 25:
            tenant.add_subscription(sid, f"pd-metro-{i}", {}, "corp", stub)
            out.untagged_by_name.append(sid)
        elif i % 97 == 3:
            tenant.add_subscription(sid, f"ops-{i}", {}, "le-us", stub)
            out.untagged_by_mg.append(sid)
        else:
            tenant.add_subscription(sid, f"corp-{i}", {"sector": "retail"}, "corp", stub)
        if i % 10 == 0:
            tenant.add_resource_group(sid, "rg-ai", "eastus", {"owner": "ai-team"})
            acct = resources.add_account(sid, "rg-ai", f"aoai-{i}")
            resources.add_deployment(acct["id"], "chat", "gpt-4o", "2024-11-20")
            resources.add_deployment(acct["id"], "embed", "text-embedding-3-small", "1")
            out.accounts.append(acct["id"])
            if i % 50 == 0:
                out.le_accounts.append(acct["id"])
            if i == 0:
                face = resources.add_account(sid, "rg-ai", "face-0", kind="Face")
                out.accounts.append(face["id"])
    policy_state(stub).put_raw(assignment_doc(mg_id("le-us")))
    return out
