"""count / for_each known only after apply: the block is read as one uncertain instance, never skipped.

Terraform needs for_each keys and count before it can plan; clausegate reading a folder often does not
have them (a variable without a value, a module output). Skipping such a block would let a gpt-4o
deployment through with exit 0: instead one instance ``[*]`` is read with each.key, each.value and
count.index unknown, and a match on it is undetermined (it may not be deployed at all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.terraform import UNKNOWN
from generator.terraform.tfconfig import read_directory
from tests.check.conftest import report_of, run_check

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US", "--format", "json"]

HEAD = '''
provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}
resource "azurerm_resource_group" "rg" {
  name     = "rg-ai"
  location = "eastus"
}
'''

ACCOUNT = '''
resource "azurerm_cognitive_account" "a" {
  name                = "acct"
  location            = "eastus"
  kind                = "OpenAI"
  sku_name            = "S0"
  resource_group_name = azurerm_resource_group.rg.name
}
'''


def _deployment(meta: str, model: str = '"gpt-4o"') -> str:
    return f'''
resource "azurerm_cognitive_deployment" "d" {{
  {meta}
  name                 = "dep"
  cognitive_account_id = azurerm_cognitive_account.a.id
  model {{
    format  = "OpenAI"
    name    = {model}
    version = "2024-11-20"
  }}
  sku {{
    name = "Standard"
  }}
}}
'''


def _results_for(report: dict[str, Any], address: str) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r.get("resource") == address]


@pytest.mark.parametrize("meta", [
    "for_each = var.models",
    "count = var.replicas",
    "for_each = toset(var.names)",
    "count = length(var.names) > 0 ? 1 : 0",
])
def test_unknown_expansion_is_undetermined_not_a_pass(write: Any, tmp_path: Path, meta: str) -> None:
    write("main.tf", HEAD + ACCOUNT + _deployment(meta) + '''
variable "models" { type = map(string) }
variable "replicas" { type = number }
variable "names" { type = list(string) }
''')
    result = run_check([str(tmp_path), *POLICE_US])
    report = report_of(result)
    mine = _results_for(report, "azurerm_cognitive_deployment.d[*]")
    words = {r["result"] for r in mine}
    assert "undetermined" in words and "match" not in words, mine
    denied = [r for r in mine if r["result"] == "undetermined" and "count known at deployment" in r["message"]]
    assert denied, mine
    assert report["summary"]["resources"]["skipped"] == 0
    assert any("[*]" in w and "unknown before apply" in w for w in report["warnings"])
    # undetermined never fails the default --fail-on deny; with --fail-on undetermined it does
    assert result.exit_code == 0
    strict = run_check([str(tmp_path), *POLICE_US, "--fail-on", "deny", "--fail-on", "undetermined"])
    assert strict.exit_code == 1


def test_known_expansion_still_denies(write: Any, tmp_path: Path) -> None:
    write("main.tf", HEAD + ACCOUNT + _deployment('for_each = toset(["a", "b"])'))
    result = run_check([str(tmp_path), *POLICE_US])
    report = report_of(result)
    assert result.exit_code == 1
    for key in ("a", "b"):
        assert any(r["result"] == "match" for r in _results_for(report, f'azurerm_cognitive_deployment.d["{key}"]'))


def test_text_only_model_with_unknown_count_is_not_undetermined(write: Any, tmp_path: Path) -> None:
    # uncertain only turns a match into undetermined: a deployment that passes anyway still passes
    write("main.tf", HEAD + ACCOUNT + _deployment("count = var.n", '"gpt-35-turbo"').replace(
        '"2024-11-20"', '"0125"') + 'variable "n" { type = number }\n')
    report = report_of(run_check([str(tmp_path), *POLICE_US]))
    mine = _results_for(report, "azurerm_cognitive_deployment.d[*]")
    assert report["summary"]["resources"]["checked"] >= 3
    assert not any(r["result"] in ("match", "undetermined") for r in mine), mine


def test_module_with_unknown_for_each_is_read_as_one_uncertain_instance(write: Any, tmp_path: Path) -> None:
    write("main.tf", HEAD + '''
variable "teams" { type = set(string) }
module "ai" {
  for_each = var.teams
  source   = "./modules/ai"
  team     = each.key
  rg       = azurerm_resource_group.rg.name
}
output "account" { value = module.ai }
''')
    write("modules/ai/main.tf", '''
variable "team" {}
variable "rg" {}
resource "azurerm_cognitive_account" "a" {
  name                = "acct-${var.team}"
  location            = "eastus"
  kind                = "OpenAI"
  sku_name            = "S0"
  resource_group_name = var.rg
}
resource "azurerm_cognitive_deployment" "d" {
  name                 = "dep"
  cognitive_account_id = azurerm_cognitive_account.a.id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name = "Standard"
  }
}
''')
    result = read_directory(tmp_path)
    by_address = {r.address: r for r in result.resources}
    acct = by_address["module.ai[*].azurerm_cognitive_account.a"]
    dep = by_address["module.ai[*].azurerm_cognitive_deployment.d"]
    assert acct.uncertain and dep.uncertain
    assert acct.values["name"] is UNKNOWN and acct.values["kind"] == "OpenAI"
    assert not by_address["azurerm_resource_group.rg"].uncertain
    assert any("module 'ai'" in w and "unknown before apply" in w for w in result.warnings)

    report = report_of(run_check([str(tmp_path), *POLICE_US]))
    mine = _results_for(report, "module.ai[*].azurerm_cognitive_deployment.d")
    assert any(r["result"] == "undetermined" for r in mine) and not any(r["result"] == "match" for r in mine)
