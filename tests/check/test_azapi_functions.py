"""azapi's provider functions, from the examples of the provider's docs (docs/functions/*.md of
Azure/terraform-provider-azapi), and the layout of Azure Verified Modules that use them: a module taking
a ``parent_id`` is placed in its resource group, so its deployments get a verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.terraform import UNKNOWN
from generator.terraform.tfconfig import read_directory
from generator.terraform.tfconfig.functions import azapi
from generator.terraform.tfconfig.values import EvalError
from tests.check.conftest import report_of, run_check

SUB = "00000000-0000-0000-0000-000000000000"
VNET = f"/subscriptions/{SUB}/resourceGroups/myResourceGroup/providers/Microsoft.Network/virtualNetworks/myVNet"


def test_parse_resource_id_documented_example() -> None:
    assert azapi.parse_resource_id("Microsoft.Network/virtualNetworks", VNET) == {
        "id": VNET,
        "name": "myVNet",
        "parent_id": f"/subscriptions/{SUB}/resourceGroups/myResourceGroup",
        "parts": {"providers": "Microsoft.Network", "resourceGroups": "myResourceGroup", "subscriptions": SUB,
                  "virtualNetworks": "myVNet"},
        "provider_namespace": "Microsoft.Network",
        "resource_group_name": "myResourceGroup",
        "subscription_id": SUB,
        "type": "Microsoft.Network/virtualNetworks",
    }


def test_parse_resource_id_resource_group_child_and_scope_outside_a_subscription() -> None:
    rg = azapi.parse_resource_id("Microsoft.Resources/resourceGroups", f"/subscriptions/{SUB}/resourceGroups/rg1")
    assert (rg["name"], rg["parent_id"], rg["subscription_id"], rg["resource_group_name"]) == (
        "rg1", f"/subscriptions/{SUB}", SUB, "rg1")
    subnet = azapi.parse_resource_id("Microsoft.Network/virtualNetworks/subnets", VNET + "/subnets/s1")
    assert (subnet["name"], subnet["parent_id"]) == ("s1", VNET)
    tenant = azapi.parse_resource_id("Microsoft.Billing/billingAccounts",
                                     "/providers/Microsoft.Billing/billingAccounts/ba1")
    assert tenant["subscription_id"] is UNKNOWN and tenant["resource_group_name"] is UNKNOWN  # not guessed


@pytest.mark.parametrize("resource_type, rid", [
    ("Microsoft.Network/virtualNetworks", f"/subscriptions/{SUB}/resourceGroups/rg1"),
    ("Microsoft.Resources/resourceGroups", VNET),
    ("Microsoft.Network/virtualNetworks/subnets", VNET),
    ("Microsoft.Network/virtualNetworks", "not-an-id"),
    ("Microsoft.Network/virtualNetworks", "/subscriptions/x/resourceGroups"),
])
def test_parse_resource_id_refuses_an_id_of_another_type(resource_type: str, rid: str) -> None:
    with pytest.raises(EvalError):
        azapi.parse_resource_id(resource_type, rid)


def test_builders_documented_examples() -> None:
    parent = f"/subscriptions/{SUB}/resourceGroups/myResourceGroup"
    assert azapi.build_resource_id(parent, "Microsoft.Network/virtualNetworks", "myVNet") == VNET
    assert azapi.build_resource_id(VNET, "Microsoft.Network/virtualNetworks/subnets", "s1") == VNET + "/subnets/s1"
    assert azapi.build_resource_id(f"/subscriptions/{SUB}", "Microsoft.Resources/resourceGroups", "rg1") == \
        f"/subscriptions/{SUB}/resourceGroups/rg1"
    assert azapi.resource_group_resource_id(SUB, "rg1", "Microsoft.Network/virtualNetworks/subnets",
                                            ["vnet1", "subnet1"]) == \
        f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/subnet1"
    base = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1"
    assert azapi.extension_resource_id(base, "Microsoft.Authorization/locks", ["mylock"]) == \
        base + "/providers/Microsoft.Authorization/locks/mylock"
    assert azapi.subscription_resource_id(SUB, "Microsoft.Resources/resourceGroups", ["rg1"]) == \
        f"/subscriptions/{SUB}/resourceGroups/rg1"
    assert azapi.tenant_resource_id("Microsoft.Billing/billingAccounts/billingProfiles", ["ba1", "bp1"]) == \
        "/providers/Microsoft.Billing/billingAccounts/ba1/billingProfiles/bp1"
    assert azapi.management_group_resource_id("mg1", "Microsoft.Billing/billingAccounts/billingProfiles",
                                              ["ba1", "bp1"]) == \
        "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Billing/billingAccounts/ba1/" \
        "billingProfiles/bp1"
    with pytest.raises(EvalError):
        azapi.resource_group_resource_id(SUB, "rg1", "Microsoft.Network/virtualNetworks/subnets", ["vnet1"])


MODULE = '''
variable "parent_id" {
  type = string
}
variable "models" {
  type = map(string)
}
locals {
  parsed = provider::azapi::parse_resource_id("Microsoft.Resources/resourceGroups", var.parent_id)
}
resource "azurerm_cognitive_account" "this" {
  name                = "oai-avm"
  location            = "francecentral"
  resource_group_name = local.parsed.name
  kind                = "OpenAI"
  sku_name            = "S0"
}
resource "azurerm_cognitive_deployment" "this" {
  for_each             = var.models
  name                 = each.key
  cognitive_account_id = azurerm_cognitive_account.this.id
  model {
    format  = "OpenAI"
    name    = each.value
    version = "2024-11-20"
  }
  sku {
    name = "Standard"
  }
}
'''

ROOT = '''
provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}
module "openai" {
  source    = "./modules/openai"
  parent_id = %s
  models    = { chat = "gpt-4o" }
}
'''


def _folder(tmp_path: Path, parent: str) -> Path:
    (tmp_path / "modules" / "openai").mkdir(parents=True)
    (tmp_path / "modules" / "openai" / "main.tf").write_text(MODULE, "utf-8")
    (tmp_path / "main.tf").write_text(ROOT % parent, "utf-8")
    return tmp_path


def _verdicts(folder: Path) -> tuple[int, list[Any]]:
    # the resource group exists outside the configuration: the context gives its tags
    context = folder / "context.json"
    context.write_text('{"resourceGroups": {"rg-ai": {"location": "francecentral", "tags": {}}}}', "utf-8")
    result = run_check([str(folder), "--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR",
                        "--context", str(context), "--format", "json"])
    report = report_of(result)
    return result.exit_code, sorted({(r["resource"], r["result"]) for r in report["results"]})


def test_a_module_given_a_parent_id_is_placed_and_denied(tmp_path: Path) -> None:
    folder = _folder(tmp_path, '"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ai"')
    values = {r.address: r.values for r in read_directory(folder).resources}
    assert values["module.openai.azurerm_cognitive_account.this"]["resource_group_name"] == "rg-ai"
    code, verdicts = _verdicts(folder)
    assert code == 1
    assert ('module.openai.azurerm_cognitive_deployment.this["chat"]', "match") in verdicts


def test_an_unknown_parent_id_stays_unknown(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "azurerm_resource_group_id_from_nowhere.rg.id")
    values = {r.address: r.values for r in read_directory(folder).resources}
    assert values["module.openai.azurerm_cognitive_account.this"]["resource_group_name"] is UNKNOWN


def test_an_id_of_the_wrong_type_is_unknown_with_a_warning(tmp_path: Path) -> None:
    folder = _folder(tmp_path, f'"{VNET}"')
    result = read_directory(folder)
    values = {r.address: r.values for r in result.resources}
    assert values["module.openai.azurerm_cognitive_account.this"]["resource_group_name"] is UNKNOWN
    assert any("parse_resource_id" in w and "not a resource group id" in w for w in result.warnings)
