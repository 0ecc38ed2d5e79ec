"""Fixtures for the report tests: the HTTPS ARM stand-in with compliance states, and recorded results."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
AZURE_TESTS = HERE.parent / "azure"
FIXTURES = HERE / "fixtures"
if str(AZURE_TESTS) not in sys.path:
    sys.path.insert(0, str(AZURE_TESTS))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from armstub import ArmStub, policy_state  # noqa: E402
from armstub.fixtures import CREDENTIAL_ENV, arm_stub, azure_env, stub_ca  # noqa: E402,F401  (fixtures)
from armstub.compliance import install_policy_states  # noqa: E402
from armstub.resources import resource_state  # noqa: E402
from armstub.subscriptions import mg_id, tenant_state  # noqa: E402
from tenant_seed import SET_NAME, assignment_doc, seed_tenant, sub_id  # noqa: E402

AS_OF = "2026-12-01"
HOSTILE = "<script>alert(1)</script>\x1b[31m"


@dataclass
class EvidenceTenant:
    """What the seed put in the stand-in, for assertions."""

    count: int
    do_not_enforce: str = ""
    audit_only: str = ""
    hostile_sub: str = ""
    non_compliant: list[str] = field(default_factory=list)
    exemptions: dict[str, str] = field(default_factory=dict)  # name -> expected status


def set_id() -> str:
    return f"{mg_id('tenant-root')}/providers/Microsoft.Authorization/policySetDefinitions/{SET_NAME}"


def exemption_doc(scope: str, name: str, assignment_id: str, expires: str | None, refs: list[str] | None = None,
                  category: str = "Waiver") -> dict[str, Any]:
    props: dict[str, Any] = {"policyAssignmentId": assignment_id, "exemptionCategory": category,
                             "displayName": f"Exemption {name}", "policyDefinitionReferenceIds": refs or []}
    if expires:
        props["expiresOn"] = expires
    return {"id": f"{scope}/providers/Microsoft.Authorization/policyExemptions/{name}",
            "type": "Microsoft.Authorization/policyExemptions", "name": name, "properties": props}


def seed_evidence(stub: ArmStub, count: int = 200, hostile: bool = True) -> EvidenceTenant:
    """seed_tenant's layout plus: a DoNotEnforce and an Audit assignment, exemptions around the
    30-day window of AS_OF, compliance states, and a subscription whose name is hostile markup."""
    seeded = seed_tenant(stub, count)
    out = EvidenceTenant(count)
    pstate = policy_state(stub)
    tenant = tenant_state(stub)
    le_mg_assignment = f"{mg_id('le-us')}/providers/Microsoft.Authorization/policyAssignments/aoai-le"
    # justice-50 is a law-enforcement subscription in corp (no management-group assignment): DoNotEnforce.
    out.do_not_enforce = seeded.le_unassigned[0]
    pstate.put_raw(assignment_doc(f"/subscriptions/{out.do_not_enforce}", "aoai-le-dne",
                                  enforcementMode="DoNotEnforce"))
    # justice-150: assigned at the subscription with us-police set to Audit.
    out.audit_only = seeded.le_unassigned[1]
    pstate.put_raw(assignment_doc(f"/subscriptions/{out.audit_only}", "aoai-le-audit",
                                  parameters={"usPoliceEffect": {"value": "Audit"}}))
    # An unrelated assignment (another set) must not count.
    pstate.put_raw({"id": f"/subscriptions/{sub_id(1)}/providers/Microsoft.Authorization/policyAssignments/other",
                    "type": "Microsoft.Authorization/policyAssignments", "name": "other",
                    "properties": {"scope": f"/subscriptions/{sub_id(1)}", "enforcementMode": "Default",
                                   "policyDefinitionId": "/providers/Microsoft.Authorization/policySetDefinitions/"
                                                         "something-else", "parameters": {}}})
    sub0 = f"/subscriptions/{sub_id(0)}"
    for name, expires, status in (("soon", "2026-12-11T00:00:00Z", "expires soon"),
                                  ("later", "2027-03-01T00:00:00Z", "active"),
                                  ("gone", "2026-11-20T00:00:00Z", "expired"),
                                  ("forever", None, "no expiry")):
        refs = ["mobile-realtime-fr"] if name == "later" else []
        pstate.put_raw(exemption_doc(f"{sub0}/resourceGroups/rg-ai", f"ex-{name}", le_mg_assignment, expires, refs))
        out.exemptions[f"ex-{name}"] = status
    # An exemption of an unrelated assignment is not shown.
    pstate.put_raw(exemption_doc(sub0, "ex-unrelated", f"/subscriptions/{sub_id(1)}/providers/Microsoft.Authorization/"
                                                       f"policyAssignments/other", "2026-12-05T00:00:00Z"))
    # A subscription whose display name is markup, and a resource whose name carries a script and ESC.
    out.hostile_sub = sub_id(count + 1)
    tenant.add_subscription(out.hostile_sub, f"pd-{HOSTILE}" if hostile else "pd-metro-west", {"sector": "police", "jurisdiction": "US"}, "le-us",
                            stub)
    states = install_policy_states(stub)
    for acct in seeded.le_accounts:
        sid = acct.split("/")[2]
        if tenant.sub_mg.get(sid.lower()) != "le-us":
            continue
        for dep, state in (("chat", "NonCompliant"), ("embed", "Compliant")):
            rid = f"{acct}/deployments/{dep}"
            for ref in ("us-police", "mobile-realtime-fr"):
                states.add(rid, le_mg_assignment, state, set_name=SET_NAME, definition=f"{SET_NAME}-{ref}",
                           reference_id=ref)
            if state == "NonCompliant":
                out.non_compliant.append(rid)
    hostile_rid = (f"/subscriptions/{out.hostile_sub}/resourceGroups/rg/providers/Microsoft.CognitiveServices/"
                   f"accounts/{HOSTILE if hostile else 'patrol-vision'}")
    states.add(hostile_rid, le_mg_assignment, "NonCompliant", set_name=SET_NAME,
               definition=f"{SET_NAME}-us-police", reference_id="us-police")
    out.non_compliant.append(hostile_rid)
    resource_state(stub)  # (created for completeness: the report reads no resources)
    return out


@pytest.fixture
def tenant(arm_stub: ArmStub, azure_env: dict[str, str]) -> EvidenceTenant:
    seeded = seed_evidence(arm_stub)
    arm_stub.clear_log()
    return seeded
