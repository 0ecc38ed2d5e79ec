"""Real built-in definitions from ../shared evaluated against small resources (skipped without it)."""

from __future__ import annotations

import json

import pytest

from generator.engine.conditions import compile_condition
from generator.engine.values import UNKNOWN, EvaluationError

from engine_helpers import make_scope

pytestmark = pytest.mark.shared


def load(shared_dir, rel):
    doc = json.loads((shared_dir / "azure-policy-builtins/policyDefinitions" / rel).read_text(encoding="utf-8-sig"))
    props = doc["properties"]
    defaults = {k: v["defaultValue"] for k, v in props.get("parameters", {}).items() if "defaultValue" in v}
    return compile_condition(props["policyRule"]["if"], "/properties/policyRule/if"), defaults


def test_cmk_audit(shared_dir):
    cond, params = load(shared_dir, "Cognitive Services/CustomerManagedKey_Audit.json")
    acct = {"type": "Microsoft.CognitiveServices/accounts", "kind": "OpenAI",
            "properties": {"encryption": {"keySource": "Microsoft.CognitiveServices"}}}
    assert cond.evaluate(make_scope(acct, parameters=params)) is True
    acct["properties"]["encryption"]["keySource"] = "microsoft.keyvault"
    assert cond.evaluate(make_scope(acct, parameters=params)) is False
    acct["properties"]["encryption"]["keySource"] = UNKNOWN
    assert cond.evaluate(make_scope(acct, parameters=params)) is UNKNOWN
    acct["kind"] = "AIServices"  # excluded kind decides even with the unknown key source
    assert cond.evaluate(make_scope(acct, parameters=params)) is False


def test_allowed_locations_normalises(shared_dir):
    cond, _ = load(shared_dir, "General/AllowedLocations_Deny.json")
    params = {"listOfAllowedLocations": ["eastus2", "westeurope"]}
    res = {"type": "Microsoft.Storage/storageAccounts", "location": "East US 2"}
    assert cond.evaluate(make_scope(res, parameters=params)) is False
    res["location"] = "North Europe"
    assert cond.evaluate(make_scope(res, parameters=params)) is True
    with pytest.raises(EvaluationError, match="listOfAllowedLocations"):
        cond.evaluate(make_scope(res))


def test_resource_group_location(shared_dir):
    cond, _ = load(shared_dir, "General/ResourcesInResourceGroupLocation_Audit.json")
    res = {"type": "Microsoft.Storage/storageAccounts", "location": "westeurope"}
    assert cond.evaluate(make_scope(res, resource_group={"name": "rg", "location": "West Europe"})) is False
    assert cond.evaluate(make_scope(res, resource_group={"name": "rg", "location": "eastus"})) is True


@pytest.mark.parametrize("sub_tags, resource_tags, expected", [
    ({"Sector": "police"}, {}, True),
    ({"sector": "police"}, {"SECTOR": "x"}, False),
    ({}, {}, False),
])
def test_inherit_tag_from_subscription(shared_dir, sub_tags, resource_tags, expected):
    cond, _ = load(shared_dir, "Tags/InheritTag_Add_FromSubscription.json")
    res = {"type": "Microsoft.Storage/storageAccounts", "tags": resource_tags}
    scope = make_scope(res, parameters={"tagName": "sector"}, subscription={"subscriptionId": "s", "tags": sub_tags})
    assert cond.evaluate(scope) is expected


def test_mfa_deny_unguarded_try_get_fails(shared_dir):
    cond, _ = load(shared_dir, "General/MFA_Deny.json")
    identity = {"idtyp": "user", "acrs": "p1", "http://schemas.microsoft.com/claims/authnmethodsreferences": "pwd,mfa"}
    assert cond.evaluate(make_scope({"type": "t"}, request_context={"identity": identity})) is False
    identity["http://schemas.microsoft.com/claims/authnmethodsreferences"] = "pwd"
    identity["acrs"] = "p0"
    assert cond.evaluate(make_scope({"type": "t"}, request_context={"identity": identity})) is True
    del identity["http://schemas.microsoft.com/claims/authnmethodsreferences"]
    with pytest.raises(EvaluationError, match="split"):
        cond.evaluate(make_scope({"type": "t"}, request_context={"identity": identity}))
