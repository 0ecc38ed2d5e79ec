"""Terraform directories: `.tf.json` files and override files (`override.tf`, `*_override.tf`, JSON forms)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.errors import InputError
from generator.terraform import UNKNOWN
from generator.terraform.tfconfig import is_override_file, read_directory
from tests.check.conftest import report_of, run_check

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]

JSON_CONFIG = {
    "variable": {
        "models": {"type": "map(string)", "default": {"chat": "gpt-4o", "legacy": "gpt-35-turbo"}},
        "kind": {"default": "OpenAI"},
    },
    "locals": {"prefix": "${lower(\"TEAM\")}"},
    "resource": {
        "azurerm_resource_group": {"rg": {"name": "rg-${local.prefix}", "location": "eastus",
                                          "tags": {"env": "prod", "model": "not a block"}}},
        "azurerm_cognitive_account": {"a": {
            "//": "JSON comments are ignored",
            "name": "${local.prefix}-acct", "resource_group_name": "${azurerm_resource_group.rg.name}",
            "location": "eastus", "kind": "${var.kind}", "sku_name": "S0",
            "identity": {"type": "SystemAssigned"},
        }},
        "azurerm_cognitive_deployment": {"d": {
            "for_each": "${var.models}",
            "name": "${each.key}",
            "cognitive_account_id": "${azurerm_cognitive_account.a.id}",
            "model": {"format": "OpenAI", "name": "${each.value}", "version": "1"},
            "sku": [{"name": "Standard"}],
        }},
    },
}


def _by_address(result: Any) -> dict[str, Any]:
    return {r.address: r for r in result.resources}


def test_tf_json_is_read_like_hcl(write: Any, tmp_path: Path) -> None:
    write("main.tf.json", json.dumps(JSON_CONFIG, indent=2))
    res = _by_address(read_directory(tmp_path))
    dep = res['azurerm_cognitive_deployment.d["chat"]']
    assert dep.values["model"] == [{"format": "OpenAI", "name": "gpt-4o", "version": "1"}]  # an object is a block
    assert dep.values["sku"] == [{"name": "Standard"}]
    assert dep.values["cognitive_account_id"] is UNKNOWN
    assert dep.refs == {"cognitive_account_id": [("azurerm_cognitive_account.a", "id")]}
    assert res['azurerm_cognitive_deployment.d["legacy"]'].values["model"][0]["name"] == "gpt-35-turbo"
    acct = res["azurerm_cognitive_account.a"]
    assert acct.values["name"] == "team-acct" and acct.values["kind"] == "OpenAI"
    assert acct.values["resource_group_name"] == "rg-team"
    assert acct.values["identity"] == [{"type": "SystemAssigned"}]
    assert res["azurerm_resource_group.rg"].values["tags"] == {"env": "prod", "model": "not a block"}
    assert dep.file == "main.tf.json"
    lines = (tmp_path / "main.tf.json").read_text("utf-8").splitlines()
    assert '"d"' in lines[dep.line - 1]  # the block's own key


def test_tf_json_strings_escape_like_terraform(write: Any, tmp_path: Path) -> None:
    write("main.tf.json", json.dumps({"resource": {"azurerm_resource_group": {"rg": {
        "name": 'a"b\\c $${literal} ${upper("x")}', "location": "eastus"}}}}))
    rg = read_directory(tmp_path).resources[0]
    assert rg.values["name"] == 'a"b\\c ${literal} X'


def test_tf_json_syntax_error_exits_2(write: Any, tmp_path: Path) -> None:
    write("main.tf.json", '{"resource": {')
    result = run_check([str(tmp_path)])
    assert result.exit_code == 2 and "main.tf.json" in result.output and "valid JSON" in result.output


@pytest.mark.parametrize("name, expected", [
    ("override.tf", True), ("a_override.tf", True), ("override.tf.json", True), ("x_override.tf.json", True),
    ("main.tf", False), ("overrides.tf", False), ("my-override.tf", False), ("main.tf.json", False),
])
def test_override_file_names(name: str, expected: bool) -> None:
    assert is_override_file(name) is expected


MAIN_TF = '''
resource "azurerm_cognitive_deployment" "d" {
  name                 = "gpt-4"
  cognitive_account_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a"
  rai_policy_name      = "Microsoft.Default"
  model {
    format  = "OpenAI"
    name    = "gpt-4"
    version = "0613"
  }
  sku {
    name = "Standard"
  }
}
locals {
  keep  = "kept"
  swap  = "original"
}
variable "region" {
  default = "eastus"
}
resource "azurerm_resource_group" "rg" {
  name     = "rg-${local.swap}-${local.keep}"
  location = var.region
}
'''


def test_override_merges_attributes_and_replaces_nested_blocks(write: Any, tmp_path: Path) -> None:
    write("main.tf", MAIN_TF)
    write("model_override.tf", '''
resource "azurerm_cognitive_deployment" "d" {
  model {
    format = "OpenAI"
    name   = "gpt-4o"
  }
}
locals {
  swap = "override"
}
variable "region" {
  default = "francecentral"
}
''')
    res = _by_address(read_directory(tmp_path))
    dep = res["azurerm_cognitive_deployment.d"]
    # the override's model block replaces the original's whole block (its version is gone, not merged)
    assert dep.values["model"] == [{"format": "OpenAI", "name": "gpt-4o"}]
    assert dep.values["sku"] == [{"name": "Standard"}]            # blocks of other types are kept
    assert dep.values["name"] == "gpt-4" and dep.values["rai_policy_name"] == "Microsoft.Default"
    assert (dep.file, dep.line) == ("main.tf", 2)                 # still located at the original block
    rg = res["azurerm_resource_group.rg"]
    assert rg.values["name"] == "rg-override-kept"                 # locals replaced one by one
    assert rg.values["location"] == "francecentral"                # a variable's default overridden


def test_override_files_apply_in_lexical_order_and_json_overrides_hcl(write: Any, tmp_path: Path) -> None:
    write("main.tf", MAIN_TF)
    write("a_override.tf", 'resource "azurerm_cognitive_deployment" "d" {\n  rai_policy_name = "first"\n}\n')
    write("b_override.tf", 'resource "azurerm_cognitive_deployment" "d" {\n  rai_policy_name = "second"\n}\n')
    write("override.tf.json", json.dumps({"resource": {"azurerm_resource_group": {"rg": {"location": "westeurope"}}}}))
    res = _by_address(read_directory(tmp_path))
    assert res["azurerm_cognitive_deployment.d"].values["rai_policy_name"] == "second"
    assert res["azurerm_resource_group.rg"].values["location"] == "westeurope"


def test_override_without_an_original_block_is_bad_input(write: Any, tmp_path: Path) -> None:
    write("main.tf", MAIN_TF)
    write("extra_override.tf", '\nresource "azurerm_resource_group" "other" {\n  name = "x"\n}\n')
    with pytest.raises(InputError, match="no original block") as info:
        read_directory(tmp_path)
    assert info.value.file == "extra_override.tf" and info.value.line == 2
    result = run_check([str(tmp_path)])
    assert result.exit_code == 2 and "extra_override.tf:2" in result.output


def test_check_sees_the_overridden_model(write: Any, tmp_path: Path) -> None:
    write("main.tf", MAIN_TF)
    before = report_of(run_check([str(tmp_path), *POLICE_US, "--format", "json"]))
    assert not [r for r in before["results"] if r["result"] == "match"]  # gpt-4 0613 is text-only: allowed
    write("model_override.tf", 'resource "azurerm_cognitive_deployment" "d" {\n'
                               '  model {\n    format = "OpenAI"\n    name = "gpt-4o"\n    version = "2024-11-20"\n  }\n}\n')
    result = run_check([str(tmp_path), *POLICE_US, "--format", "json"])
    assert result.exit_code == 1
    assert {r["clauseId"] for r in report_of(result)["results"] if r["result"] == "match"} >= {"us-police"}


def test_a_tf_json_file_as_path_checks_its_directory(write: Any, tmp_path: Path) -> None:
    path = write("main.tf.json", json.dumps(JSON_CONFIG))
    report = report_of(run_check([str(path), *POLICE_US, "--format", "json"]))
    assert report["summary"]["resources"]["read"] == 4  # rg, account, two deployments: read as HCL, not ARM
