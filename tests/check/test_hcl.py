"""The HCL reader: variables and their precedence, locals, count / for_each, modules, unknowns, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.errors import InputError
from generator.terraform import UNKNOWN
from generator.terraform.tfconfig import read_directory

DEPLOYMENT = '''
resource "azurerm_cognitive_deployment" "d" {
  for_each             = var.models
  name                 = each.key
  cognitive_account_id = azurerm_cognitive_account.a.id
  model {
    format  = "OpenAI"
    name    = each.value
    version = "1"
  }
  sku {
    name = "Standard"
  }
}
resource "azurerm_cognitive_account" "a" {
  name                = "${local.prefix}-acct"
  resource_group_name = "rg"
  location            = "eastus"
  kind                = var.kind
  sku_name            = "S0"
}
locals {
  prefix = lower("TEAM")
}
variable "kind" {
  default = "OpenAI"
}
variable "models" {
  type    = map(string)
  default = { a = "gpt-4o" }
}
'''


def _by_address(result: Any) -> dict[str, Any]:
    return {r.address: r for r in result.resources}


def test_for_each_expands_with_keys_and_lines(write: Any, tmp_path: Path) -> None:
    write("main.tf", DEPLOYMENT)
    res = _by_address(read_directory(tmp_path))
    dep = res['azurerm_cognitive_deployment.d["a"]']
    assert dep.values["model"] == [{"format": "OpenAI", "name": "gpt-4o", "version": "1"}]
    assert dep.values["cognitive_account_id"] is UNKNOWN
    assert dep.refs == {"cognitive_account_id": [("azurerm_cognitive_account.a", "id")]}
    assert (dep.file, dep.line) == ("main.tf", 2)
    assert res["azurerm_cognitive_account.a"].values["name"] == "team-acct"


def test_variable_precedence(write: Any, tmp_path: Path) -> None:
    write("main.tf", DEPLOYMENT)
    write("terraform.tfvars", 'kind = "FromTfvars"\nmodels = { b = "o1" }\n')
    write("a.auto.tfvars", 'kind = "FromAuto"\n')
    extra = write("extra.tfvars", 'kind = "FromVarFile"\n')
    res = _by_address(read_directory(tmp_path))
    assert res["azurerm_cognitive_account.a"].values["kind"] == "FromAuto"
    assert 'azurerm_cognitive_deployment.d["b"]' in res
    res = _by_address(read_directory(tmp_path, var_files=[str(extra)]))
    assert res["azurerm_cognitive_account.a"].values["kind"] == "FromVarFile"
    res = _by_address(read_directory(tmp_path, var_files=[str(extra)], variables={"kind": "FromVar", "models": '{ c = "x" }'}))
    assert res["azurerm_cognitive_account.a"].values["kind"] == "FromVar"
    assert 'azurerm_cognitive_deployment.d["c"]' in res


def test_count_conditionals_for_expressions_and_functions(write: Any, tmp_path: Path) -> None:
    write("main.tf", '''
variable "n" { default = 2 }
variable "names" { default = ["x", "y", ""] }
locals {
  names  = [for n in var.names : upper(n) if n != ""]
  tagmap = merge({ a = "1" }, { for k in local.names : k => length(k) })
}
resource "azurerm_resource_group" "rg" {
  count    = var.n > 1 ? var.n : 0
  name     = "rg-${count.index}-${join("-", local.names)}"
  location = try(var.missing, "westeurope")
  tags     = local.tagmap
}
''')
    res = _by_address(read_directory(tmp_path))
    assert sorted(res) == ["azurerm_resource_group.rg[0]", "azurerm_resource_group.rg[1]"]
    rg = res["azurerm_resource_group.rg[1]"].values
    assert rg["name"] == "rg-1-X-Y" and rg["location"] == "westeurope"
    assert rg["tags"] == {"a": "1", "X": 1, "Y": 1}  # no provider schema: numbers stay numbers


def test_child_module_outputs_and_addresses(write: Any, tmp_path: Path) -> None:
    write("main.tf", '''
module "acct" {
  for_each = toset(["east", "west"])
  source   = "./modules/acct"
  name     = "oai-${each.key}"
}
resource "azurerm_cognitive_deployment" "d" {
  name                 = "chat"
  cognitive_account_id = module.acct["east"].id
  model {
    format = "OpenAI"
    name   = module.acct["east"].model
  }
}
''')
    write("modules/acct/main.tf", '''
variable "name" {}
resource "azurerm_cognitive_account" "this" {
  name                = var.name
  resource_group_name = "rg"
  kind                = "OpenAI"
}
output "id" { value = azurerm_cognitive_account.this.id }
output "model" { value = "gpt-4o" }
''')
    res = _by_address(read_directory(tmp_path))
    assert 'module.acct["west"].azurerm_cognitive_account.this' in res
    east = res['module.acct["east"].azurerm_cognitive_account.this']
    assert east.values["name"] == "oai-east" and east.file == "modules/acct/main.tf"
    dep = res["azurerm_cognitive_deployment.d"]
    assert dep.refs["cognitive_account_id"] == [('module.acct["east"].azurerm_cognitive_account.this', "id")]
    assert dep.values["model"][0]["name"] == "gpt-4o"


def test_unknowns_are_never_guessed(write: Any, tmp_path: Path) -> None:
    write("main.tf", '''
data "azurerm_client_config" "c" {}
variable "no_default" {}
resource "azurerm_cognitive_account" "a" {
  name                = var.no_default
  resource_group_name = data.azurerm_client_config.c.tenant_id
  kind                = timestamp()
  sku_name            = "S0"
}
resource "azurerm_cognitive_deployment" "unknown_keys" {
  for_each = toset([azurerm_cognitive_account.a.id])
  name     = each.key
}
''')
    result = read_directory(tmp_path)
    res = _by_address(result)
    values = res["azurerm_cognitive_account.a"].values
    assert values["name"] is UNKNOWN and values["resource_group_name"] is UNKNOWN and values["kind"] is UNKNOWN
    # count/for_each unknown: read as one uncertain instance (never skipped), its key unknown
    assert result.not_expanded == 1
    stand_in = res["azurerm_cognitive_deployment.unknown_keys[*]"]
    assert stand_in.uncertain and stand_in.values["name"] is UNKNOWN
    assert not res["azurerm_cognitive_account.a"].uncertain
    assert any("no_default" in w for w in result.warnings)
    assert any("timestamp()" in w for w in result.warnings)


def test_dynamic_blocks_and_jsonencode_body(write: Any, tmp_path: Path) -> None:
    write("main.tf", '''
resource "azapi_resource" "dep" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2024-10-01"
  name      = "d"
  parent_id = azapi_resource.acct.id
  body = jsonencode({
    properties = { model = { format = "OpenAI", name = "gpt-4o", version = azapi_resource.acct.output } }
  })
}
resource "azapi_resource" "acct" {
  type      = "Microsoft.CognitiveServices/accounts@2024-10-01"
  name      = "a"
  parent_id = "/subscriptions/s/resourceGroups/rg"
  body      = { kind = "Face" }
  dynamic "identity" {
    for_each = ["SystemAssigned"]
    content {
      type = identity.value
    }
  }
}
''')
    res = _by_address(read_directory(tmp_path))
    dep = res["azapi_resource.dep"]
    assert dep.values["body"] == {"properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": UNKNOWN}}}
    assert res["azapi_resource.acct"].values["identity"] == [{"type": "SystemAssigned"}]


def test_syntax_error_names_file_and_line(write: Any, tmp_path: Path) -> None:
    write("main.tf", 'resource "azurerm_resource_group" "rg" {\n  name = "x"\n  location = \n}\n')
    with pytest.raises(InputError) as exc:
        read_directory(tmp_path)
    assert exc.value.file == "main.tf" and exc.value.line in (3, 4)
    assert "syntax error" in str(exc.value)


def test_missing_local_module_is_input_error(write: Any, tmp_path: Path) -> None:
    write("main.tf", 'module "m" {\n  source = "./nowhere"\n}\n')
    with pytest.raises(InputError, match="source directory"):
        read_directory(tmp_path)


def test_registry_module_is_warned_not_guessed(write: Any, tmp_path: Path) -> None:
    write("main.tf", 'module "m" {\n  source = "Azure/avm-res-cognitiveservices-account/azurerm"\n}\n')
    result = read_directory(tmp_path)
    assert result.resources == [] and any("not installed" in w and "terraform init" in w for w in result.warnings)


def test_splats_heredocs_keyword_keys_and_counted_module(write: Any, tmp_path: Path) -> None:
    write("main.tf", '''
variable "on" { default = true }
locals {
  doc = <<-EOT
    mode: ${var.on ? "yes" : "no"}
  EOT
}
resource "azurerm_resource_group" "rg" {
  count    = 2
  name     = "rg-${count.index}"
  location = "eastus"
  tags     = { for = "kw", doc = local.doc, ws = terraform.workspace, tpl = "%{if var.on}x%{endif}" }
}
resource "azurerm_cognitive_account" "a" {
  name                = "acct"
  resource_group_name = azurerm_resource_group.rg[1].name
  tags                = { all = join(",", azurerm_resource_group.rg[*].name) }
}
module "m" {
  source = "./m"
  count  = var.on ? 1 : 0
  rg     = azurerm_resource_group.rg[0].name
}
''')
    write("m/main.tf", 'variable "rg" {}\nresource "azurerm_video_indexer_account" "vi" {\n  name = "vi"\n  resource_group_name = var.rg\n}\n')
    res = _by_address(read_directory(tmp_path))
    tags = res["azurerm_resource_group.rg[0]"].values["tags"]
    assert tags["for"] == "kw" and tags["doc"] == "mode: yes\n" and tags["ws"] == "default"
    assert tags["tpl"] == "x"  # template directives are evaluated as Terraform does
    acct = res["azurerm_cognitive_account.a"].values
    assert acct["resource_group_name"] == "rg-1" and acct["tags"] == {"all": "rg-0,rg-1"}
    assert res["module.m[0].azurerm_video_indexer_account.vi"].values["resource_group_name"] == "rg-0"


def test_type_constraints_apply_optional_defaults_and_conversions(write: Any, tmp_path: Path) -> None:
    write("main.tf", '''
variable "deployments" {
  type = map(object({
    model   = string
    version = optional(string, "2024-11-20")
    sku     = optional(string)
    cap     = optional(number, 10)
  }))
}
variable "n" {
  type    = number
  default = "3"
}
resource "azurerm_resource_group" "rg" {
  for_each = var.deployments
  name     = "${each.key}-${each.value.model}-${each.value.version}-${coalesce(each.value.sku, "none")}-${each.value.cap + var.n}"
}
''')
    write("terraform.tfvars", 'deployments = { a = { model = "gpt-4o" }, b = { model = "o1", version = 1, cap = "5" } }\n')
    res = read_directory(tmp_path)
    assert sorted(r.values["name"] for r in res.resources) == ["a-gpt-4o-2024-11-20-none-13", "b-o1-1-none-8"]
    assert res.warnings == []


@pytest.mark.parametrize("second, message", [
    ('variable "x" {\n  default = 2\n}\n', "b.tf:1: duplicate variable 'x' (first declared at a.tf:1"),
    ('locals {\n  y = 3\n}\n', "b.tf:2: duplicate local value 'y' (first defined at a.tf:5"),
    ('resource "azurerm_resource_group" "rg" {\n  name = "b"\n  location = "eastus"\n}\n',
     "b.tf:1: duplicate resource azurerm_resource_group.rg (first declared at a.tf:7"),
])
def test_duplicate_declarations_are_rejected_as_terraform_does(tmp_path: Path, second: str, message: str) -> None:
    (tmp_path / "a.tf").write_text('variable "x" {\n  default = 1\n}\nlocals {\n  y = 2\n}\n'
                                   'resource "azurerm_resource_group" "rg" {\n  name = "a"\n  location = "eastus"\n}\n')
    (tmp_path / "b.tf").write_text(second)
    with pytest.raises(InputError) as err:
        read_directory(tmp_path)
    assert message in str(err.value)
