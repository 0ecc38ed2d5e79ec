"""The mapping table: azurerm / azapi attributes to the ARM shape aliases read."""

from __future__ import annotations

from typing import Any

import pytest

from generator.terraform import UNKNOWN, TfResource
from generator.terraform.mapping import Mapper, child_id, load_table

SUB = "11111111-2222-3333-4444-555555555555"
ACCOUNT_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct"


def _arm(tf_type: str, values: dict[str, Any], **kw: Any) -> dict[str, Any]:
    res = TfResource(address=f"{tf_type}.x", type=tf_type, name="x", values=values, **kw)
    out = Mapper(subscription_id=SUB).to_arm(res)
    assert out is not None
    return out


def test_every_table_entry_is_well_formed() -> None:
    for tf_type, spec in load_table().items():
        assert spec["arm_type"] and spec["id"], tf_type
        for rule in spec["fields"]:
            assert "to" in rule and ("from" in rule or "value" in rule), (tf_type, rule)


def test_cognitive_account() -> None:
    arm = _arm("azurerm_cognitive_account", {
        "name": "acct", "resource_group_name": "rg", "location": "eastus", "kind": "Face", "sku_name": "S0",
        "custom_subdomain_name": "sub", "public_network_access_enabled": False, "local_auth_enabled": True,
        "identity": [{"type": "UserAssigned", "identity_ids": ["/id/1"]}], "tags": {"a": "b"}})
    assert arm["id"] == ACCOUNT_ID and arm["type"] == "Microsoft.CognitiveServices/accounts"
    assert arm["kind"] == "Face" and arm["sku"] == {"name": "S0"} and arm["tags"] == {"a": "b"}
    assert arm["properties"] == {"customSubDomainName": "sub", "publicNetworkAccess": "Disabled", "disableLocalAuth": False}
    assert arm["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {"/id/1": {}}}


def test_provider_defaults_apply_only_when_unset_and_unknown_stays_unknown() -> None:
    arm = _arm("azurerm_cognitive_account", {"name": "a", "resource_group_name": "rg", "local_auth_enabled": UNKNOWN})
    assert arm["properties"]["publicNetworkAccess"] == "Enabled"
    assert arm["properties"]["disableLocalAuth"] is UNKNOWN


def test_ai_services_is_an_aiservices_account() -> None:
    arm = _arm("azurerm_ai_services", {"name": "a", "resource_group_name": "rg", "sku_name": "S0",
                                       "public_network_access": "Disabled", "local_authentication_enabled": False})
    assert arm["kind"] == "AIServices" and arm["type"] == "Microsoft.CognitiveServices/accounts"
    assert arm["properties"]["publicNetworkAccess"] == "Disabled" and arm["properties"]["disableLocalAuth"] is True


def test_deployment_model_comes_from_model_block_never_from_name() -> None:
    arm = _arm("azurerm_cognitive_deployment", {
        "name": "gpt-4", "cognitive_account_id": ACCOUNT_ID,
        "model": [{"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}],
        "sku": [{"name": "GlobalStandard", "capacity": 10}], "rai_policy_name": "Microsoft.DefaultV2",
        "version_upgrade_option": "NoAutoUpgrade"})
    assert arm["id"] == f"{ACCOUNT_ID}/deployments/gpt-4" and arm["name"] == "gpt-4"
    assert arm["properties"]["model"] == {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}
    assert arm["sku"] == {"name": "GlobalStandard", "capacity": 10}
    assert arm["properties"]["raiPolicyName"] == "Microsoft.DefaultV2"
    assert arm["properties"]["versionUpgradeOption"] == "NoAutoUpgrade"
    # no model block: no model name at all (not the deployment's name)
    bare = _arm("azurerm_cognitive_deployment", {"name": "gpt-4", "cognitive_account_id": ACCOUNT_ID})
    assert "model" not in bare.get("properties", {})


def test_v3_scale_block_is_the_sku() -> None:
    arm = _arm("azurerm_cognitive_deployment", {"name": "d", "cognitive_account_id": ACCOUNT_ID,
                                                "scale": [{"type": "Standard", "capacity": 5, "tier": None}]})
    assert arm["sku"] == {"name": "Standard", "capacity": 5}


@pytest.mark.parametrize("body", [
    {"kind": "Face", "sku": {"name": "S0"}, "properties": {"publicNetworkAccess": "Disabled"}},
    '{"kind": "Face", "sku": {"name": "S0"}, "properties": {"publicNetworkAccess": "Disabled"}}',
])
def test_azapi_body_as_object_or_jsonencoded_string(body: Any) -> None:
    arm = _arm("azapi_resource", {"type": "Microsoft.CognitiveServices/accounts@2024-10-01", "name": "acct",
                                  "parent_id": f"/subscriptions/{SUB}/resourceGroups/rg", "body": body,
                                  "location": "eastus", "tags": {"t": "1"}})
    assert arm["id"] == ACCOUNT_ID and arm["type"] == "Microsoft.CognitiveServices/accounts"
    assert arm["kind"] == "Face" and arm["sku"] == {"name": "S0"} and arm["tags"] == {"t": "1"}
    assert arm["properties"] == {"publicNetworkAccess": "Disabled"} and arm["location"] == "eastus"


def test_azapi_child_of_account_and_update_resource() -> None:
    arm = _arm("azapi_resource", {"type": "Microsoft.CognitiveServices/accounts/deployments@2024-10-01", "name": "d",
                                  "parent_id": ACCOUNT_ID, "body": {"properties": {"model": {"name": "gpt-4o"}}}})
    assert arm["id"] == f"{ACCOUNT_ID}/deployments/d"
    upd = _arm("azapi_update_resource", {"type": "Microsoft.CognitiveServices/accounts/deployments@2024-10-01",
                                         "resource_id": f"{ACCOUNT_ID}/deployments/old", "body": {"properties": {"model": {"name": "gpt-4.1"}}}})
    assert upd["id"] == f"{ACCOUNT_ID}/deployments/old" and upd["name"] == "old"
    assert upd["properties"]["model"]["name"] == "gpt-4.1"


def test_azapi_unknown_body_is_unknown() -> None:
    arm = _arm("azapi_resource", {"type": "Microsoft.CognitiveServices/accounts/deployments@2024-10-01", "name": "d",
                                  "parent_id": ACCOUNT_ID, "body": UNKNOWN})
    assert arm["properties"] is UNKNOWN


def test_resource_group_video_indexer_and_ml_workspace() -> None:
    rg = _arm("azurerm_resource_group", {"name": "rg", "location": "eastus", "tags": {"x": "y"}})
    assert rg["id"] == f"/subscriptions/{SUB}/resourceGroups/rg" and rg["tags"] == {"x": "y"}
    vi = _arm("azurerm_video_indexer_account", {"name": "vi", "resource_group_name": "rg"})
    assert vi["type"] == "Microsoft.VideoIndexer/accounts" and vi["id"].endswith("/Microsoft.VideoIndexer/accounts/vi")
    ws = _arm("azurerm_machine_learning_workspace", {"name": "w", "resource_group_name": "rg"})
    assert ws["type"] == "Microsoft.MachineLearningServices/workspaces" and ws["kind"] == "Default"


def test_unmapped_type_is_none() -> None:
    res = TfResource(address="azurerm_storage_account.s", type="azurerm_storage_account", name="s")
    assert Mapper(subscription_id=SUB).to_arm(res) is None


def test_child_id_under_a_scope_or_a_parent() -> None:
    rg = f"/subscriptions/{SUB}/resourceGroups/rg"
    assert child_id(rg, "Microsoft.CognitiveServices/accounts", "acct") == ACCOUNT_ID
    assert child_id(ACCOUNT_ID, "Microsoft.CognitiveServices/accounts/deployments", "d") == f"{ACCOUNT_ID}/deployments/d"


def test_existing_resource_keeps_its_real_id() -> None:
    real = f"/subscriptions/{SUB}/resourceGroups/Other/providers/Microsoft.CognitiveServices/accounts/acct"
    arm = _arm("azurerm_cognitive_account", {"id": real, "name": "acct", "resource_group_name": "rg"})
    assert arm["id"] == real


def test_azapi_resource_group_has_an_arm_resource_group_id() -> None:
    arm = _arm("azapi_resource", {"type": "Microsoft.Resources/resourceGroups@2024-03-01", "name": "rg",
                                  "parent_id": f"/subscriptions/{SUB}", "location": "eastus", "tags": {"camera-context": "x"}})
    assert arm["id"] == f"/subscriptions/{SUB}/resourceGroups/rg" and arm["tags"] == {"camera-context": "x"}


def test_azapi_update_leaves_what_it_does_not_set_unknown() -> None:
    upd = _arm("azapi_update_resource", {"type": "Microsoft.CognitiveServices/accounts/deployments@2024-10-01",
                                         "resource_id": f"{ACCOUNT_ID}/deployments/old", "body": {"sku": {"name": "Standard"}}})
    # the patch sets only the SKU: the deployed model is not known from the plan, never "absent"
    assert upd["sku"]["name"] == "Standard" and upd["sku"]["capacity"] is UNKNOWN
    assert upd["properties"]["model"]["name"] is UNKNOWN
