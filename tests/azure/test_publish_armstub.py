"""The stand-in validates what Azure validates, so publish tests mean something: checked with the real SDK."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from armstub import ArmStub, policy_state
from publish_helpers import BUNDLE, MG, SUB_ID

from generator.azure.clients import RequestStats, make_policy_client
from generator.azure.credentials import make_credential
from generator.azure.settings import resolve_settings

MG_NAME = MG.rsplit("/", 1)[1]


@pytest.fixture
def client(arm_stub: ArmStub, azure_env: dict[str, str]) -> Any:
    settings = resolve_settings()
    c = make_policy_client(settings, make_credential(settings), SUB_ID, RequestStats(), retry_total=0)
    yield c
    c.close()


def _error(fn: Any, *args: Any) -> tuple[int, str]:
    from azure.core.exceptions import HttpResponseError

    with pytest.raises(HttpResponseError) as info:
        fn(*args)
    code = info.value.error.code if info.value.error else ""
    return info.value.status_code, code


def _definitions(client: Any) -> None:
    for d in BUNDLE["definitions"]:
        client.policy_definitions.create_or_update_at_management_group(MG_NAME, d["name"], {"properties": d["properties"]})


def _set_body(**member: Any) -> dict[str, Any]:
    props = copy.deepcopy(BUNDLE["policySet"]["properties"])
    for m in props["policyDefinitions"]:
        m["policyDefinitionId"] = f"{MG}/providers/Microsoft.Authorization/policyDefinitions/{m['policyDefinitionId']}"
    props["policyDefinitions"][0].update(member)
    return {"properties": props}


def test_set_validation(client: Any) -> None:
    sets = client.policy_set_definitions
    assert _error(sets.create_or_update_at_management_group, MG_NAME, "s", _set_body()) == \
        (400, "PolicyDefinitionNotFound")
    _definitions(client)
    assert _error(sets.create_or_update_at_management_group, MG_NAME, "s",
                  _set_body(parameters={"allowedModels": {"value": []}, "nope": {"value": 1}})) == \
        (400, "UndefinedPolicyParameter")
    assert _error(sets.create_or_update_at_management_group, MG_NAME, "s", _set_body(parameters={})) == \
        (400, "MissingPolicyParameter")
    created = sets.create_or_update_at_management_group(MG_NAME, "s", _set_body()).as_dict()
    assert created["properties"]["policyType"] == "Custom" and created["systemData"]["createdAt"]
    assert created["properties"]["metadata"]["createdBy"]
    # A definition still in a set cannot be deleted.
    assert _error(client.policy_definitions.delete_at_management_group, MG_NAME, "cg-allowed-models") == \
        (400, "PolicyDefinitionInUse")


def test_definition_alias_and_parameter_validation(client: Any) -> None:
    props = copy.deepcopy(BUNDLE["definitions"][1]["properties"])
    props["policyRule"]["if"]["allOf"][1]["field"] = "Microsoft.CognitiveServices/accounts/noSuchAlias"
    assert _error(client.policy_definitions.create_or_update_at_management_group, MG_NAME, "d",
                  {"properties": props}) == (400, "InvalidPolicyAlias")
    props = copy.deepcopy(BUNDLE["definitions"][0]["properties"])
    del props["parameters"]["allowedModels"]
    assert _error(client.policy_definitions.create_or_update_at_management_group, MG_NAME, "d",
                  {"properties": props}) == (400, "UndefinedPolicyParameter")


def test_assignment_validation(client: Any, arm_stub: ArmStub) -> None:
    _definitions(client)
    client.policy_set_definitions.create_or_update_at_management_group(MG_NAME, "s", _set_body())
    set_id = f"{MG}/providers/Microsoft.Authorization/policySetDefinitions/s"
    good = {"properties": {"policyDefinitionId": set_id, "parameters": {"allowedModels": {"value": ["gpt-4o"]}}}}
    asg = client.policy_assignments
    scope = MG.lstrip("/")
    assert _error(asg.create, scope, "a" * 25, good) == (400, "InvalidPolicyAssignmentName")
    assert _error(asg.create, scope, "a", {"properties": {"policyDefinitionId": set_id}}) == \
        (400, "MissingPolicyParameter")
    bad_msg = copy.deepcopy(good)
    bad_msg["properties"]["nonComplianceMessages"] = [{"message": "m", "policyDefinitionReferenceId": "nope"}]
    assert _error(asg.create, scope, "a", bad_msg) == (400, "InvalidNonComplianceMessage")
    assert asg.create(scope, "a" * 24, good).as_dict()["properties"]["enforcementMode"] == "Default"
    # 64 characters are fine at a subscription, when the set is visible from it.
    sub_scope = f"subscriptions/{SUB_ID}"
    assert _error(asg.create, sub_scope, "b" * 30, good) == (400, "PolicyDefinitionNotFound")  # not visible
    policy_state(arm_stub).set_parent(f"/subscriptions/{SUB_ID}", MG)
    assert asg.create(sub_scope, "b" * 30, good).as_dict()["name"] == "b" * 30


def test_requests_without_a_valid_token_are_rejected(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    import requests

    r = requests.get(arm_stub.endpoint + MG + "/providers/Microsoft.Authorization/policyDefinitions",
                     headers={"Authorization": "Bearer forged"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "AuthenticationFailed"
