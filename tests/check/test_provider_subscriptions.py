"""Resources land in their provider configuration's subscription: `provider = azurerm.alias`, a module
call's `providers` map, inherited defaults, azapi's `subscription_id`, ARM_SUBSCRIPTION_ID."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.terraform.tfconfig import read_directory
from tests.check.conftest import report_of, run_check

DEV = "11111111-1111-1111-1111-111111111111"
POLICE = "22222222-2222-2222-2222-222222222222"

PROVIDERS = f'''
provider "azurerm" {{
  features {{}}
  subscription_id = "{DEV}"
}}
provider "azurerm" {{
  alias           = "police"
  features {{}}
  subscription_id = "{POLICE}"
}}
'''

STACK = '''
resource "azurerm_resource_group" "rg" {{
  {provider}
  name     = "rg-ai"
  location = "eastus"
}}
resource "azurerm_cognitive_account" "a" {{
  {provider}
  name                = "acct"
  location            = "eastus"
  kind                = "OpenAI"
  sku_name            = "S0"
  resource_group_name = azurerm_resource_group.rg.name
}}
resource "azurerm_cognitive_deployment" "d" {{
  {provider}
  name                 = "dep"
  cognitive_account_id = azurerm_cognitive_account.a.id
  model {{
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }}
  sku {{
    name = "Standard"
  }}
}}
'''

CONTEXT = {"subscriptions": {DEV: {"tags": {"sector": "retail"}},
                             POLICE: {"tags": {"sector": "police", "jurisdiction": "US"}}}}


def _check(folder: Path) -> tuple[int, dict[str, Any]]:
    ctx = folder.parent / "context.json"
    ctx.write_text(json.dumps(CONTEXT), "utf-8")
    result = run_check([str(folder), "--context", str(ctx), "--format", "json"])
    return result.exit_code, report_of(result)


def _by_address(folder: Path) -> dict[str, Any]:
    return {r.address: r for r in read_directory(folder).resources}


def test_an_aliased_provider_places_its_resources_in_its_subscription(write: Any, tmp_path: Path) -> None:
    write("cfg/main.tf", PROVIDERS + STACK.format(provider="provider = azurerm.police"))
    folder = tmp_path / "cfg"
    res = _by_address(folder)
    assert {r.subscription for r in res.values()} == {POLICE}
    code, report = _check(folder)
    assert code == 1
    denied = [r for r in report["results"] if r["resource"] == "azurerm_cognitive_deployment.d"]
    assert any(r["result"] == "match" and r["effect"] == "deny" for r in denied)


def test_the_default_provider_stays_the_default(write: Any, tmp_path: Path) -> None:
    write("cfg/main.tf", PROVIDERS + STACK.format(provider=""))
    folder = tmp_path / "cfg"
    assert {r.subscription for r in _by_address(folder).values()} == {DEV}
    code, report = _check(folder)
    assert code == 0 and not any(r["result"] == "match" for r in report["results"])


def test_a_module_call_passes_its_providers(write: Any, tmp_path: Path) -> None:
    write("cfg/main.tf", PROVIDERS + '''
module "ai" {
  source    = "./ai"
  providers = { azurerm = azurerm.police }
}
module "dev" {
  source = "./ai"
}
''')
    write("cfg/ai/main.tf", STACK.format(provider=""))
    folder = tmp_path / "cfg"
    res = _by_address(folder)
    assert res["module.ai.azurerm_cognitive_deployment.d"].subscription == POLICE
    assert res["module.dev.azurerm_cognitive_deployment.d"].subscription == DEV  # inherits the default
    code, report = _check(folder)
    assert code == 1
    matched = {r["resource"] for r in report["results"] if r["result"] == "match"}
    assert "module.ai.azurerm_cognitive_deployment.d" in matched
    assert not any(a.startswith("module.dev.") for a in matched)


def test_azapi_provider_subscription_is_read(write: Any, tmp_path: Path) -> None:
    write("cfg/main.tf", f'''
provider "azapi" {{
  subscription_id = "{POLICE}"
}}
resource "azapi_resource" "rg" {{
  type     = "Microsoft.Resources/resourceGroups@2024-03-01"
  name     = "rg-ai"
  location = "eastus"
}}
''')
    result = read_directory(tmp_path / "cfg")
    assert result.subscription_id == POLICE
    assert result.resources[0].subscription == POLICE


def test_arm_subscription_id_is_the_default_providers_fallback(write: Any, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write("cfg/main.tf", 'provider "azurerm" {\n  features {}\n}\n' + STACK.format(provider=""))
    monkeypatch.setenv("ARM_SUBSCRIPTION_ID", POLICE)
    result = read_directory(tmp_path / "cfg")
    assert result.subscription_id == POLICE
    monkeypatch.delenv("ARM_SUBSCRIPTION_ID")
    assert read_directory(tmp_path / "cfg").subscription_id is None


def _plan(provider_key: str) -> dict[str, Any]:
    """A hand-written plan: an account and a gpt-4o deployment created with ``provider_key``."""
    acct_after = {"name": "acct", "location": "eastus", "kind": "OpenAI", "sku_name": "S0", "resource_group_name": "rg-ai"}
    dep_after = {"name": "dep", "model": [{"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}],
                 "sku": [{"name": "Standard"}]}

    def change(tf_type: str, name: str, after: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
        return {"address": f"{tf_type}.{name}", "mode": "managed", "type": tf_type, "name": name,
                "provider_name": "registry.terraform.io/hashicorp/azurerm",
                "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown}}

    def config(tf_type: str, name: str, exprs: dict[str, Any]) -> dict[str, Any]:
        return {"address": f"{tf_type}.{name}", "mode": "managed", "type": tf_type, "name": name,
                "provider_config_key": provider_key, "expressions": exprs}

    return {
        "format_version": "1.2", "terraform_version": "1.11.0",
        "resource_changes": [
            change("azurerm_cognitive_account", "a", acct_after, {"id": True}),
            change("azurerm_cognitive_deployment", "d", dep_after, {"id": True, "cognitive_account_id": True}),
        ],
        "configuration": {
            "provider_config": {
                "azurerm": {"name": "azurerm", "full_name": "registry.terraform.io/hashicorp/azurerm",
                            "expressions": {"subscription_id": {"constant_value": DEV}}},
                "azurerm.police": {"name": "azurerm", "full_name": "registry.terraform.io/hashicorp/azurerm",
                                   "alias": "police", "expressions": {"subscription_id": {"constant_value": POLICE}}},
            },
            "root_module": {"resources": [
                config("azurerm_cognitive_account", "a", {}),
                config("azurerm_cognitive_deployment", "d",
                       {"cognitive_account_id": {"references": ["azurerm_cognitive_account.a.id",
                                                                "azurerm_cognitive_account.a"]}}),
            ]},
        },
    }


@pytest.mark.parametrize("key, denied", [("azurerm.police", True), ("azurerm", False)])
def test_a_plan_names_each_resources_provider_configuration(tmp_path: Path, key: str, denied: bool) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan(key)), "utf-8")
    ctx = tmp_path / "context.json"
    ctx.write_text(json.dumps({**CONTEXT, "resourceGroups": {"rg-ai": {"location": "eastus", "tags": {}}}}), "utf-8")
    result = run_check([str(plan), "--context", str(ctx), "--format", "json"])
    report = report_of(result)
    matched = [r for r in report["results"] if r["resource"] == "azurerm_cognitive_deployment.d" and r["result"] == "match"]
    assert bool(matched) is denied and result.exit_code == (1 if denied else 0), report["results"]
