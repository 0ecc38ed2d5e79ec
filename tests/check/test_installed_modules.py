"""Installed modules (issue 11 item 2): registry and git modules under .terraform/modules are read as
modules.json maps them; a module that is not installed gives one warning naming it and `terraform init`,
and is undetermined, never a silent pass. Module sources outside the configuration folder are not read."""

from __future__ import annotations

import json
from pathlib import Path

from tests.check.conftest import report_of, run_check

FR = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR", "--format", "json"]

ROOT_TF = """
module "openai" {
  source              = "Azure/avm-res-cognitiveservices-account/azurerm"
  version             = "0.7.0"
  name                = "oai-police"
  location            = "francecentral"
  resource_group_name = azurerm_resource_group.rg.name
  cognitive_deployments = {
    chat = { name = "chat", model = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" } }
  }
}

module "tags" {
  source = "git::https://example.com/org/tags.git?ref=v1.2.0"
}

resource "azurerm_resource_group" "rg" {
  name     = "rg-police"
  location = "francecentral"
  tags     = module.tags.tags
}
"""

# a hand-made stand-in for the registry module: the same inputs, an account and a for_each of deployments,
# and a nested local module (recorded as key "openai.naming")
MODULE_TF = """
variable "name" { type = string }
variable "location" { type = string }
variable "resource_group_name" { type = string }
variable "cognitive_deployments" {
  type = map(object({ name = string, model = object({ format = string, name = string, version = string }) }))
  default = {}
}

module "naming" {
  source = "./modules/naming"
  base   = var.name
}

resource "azurerm_cognitive_account" "this" {
  name                = module.naming.account
  location            = var.location
  resource_group_name = var.resource_group_name
  kind                = "OpenAI"
  sku_name            = "S0"
}

resource "azurerm_cognitive_deployment" "this" {
  for_each             = var.cognitive_deployments
  name                 = each.value.name
  cognitive_account_id = azurerm_cognitive_account.this.id
  model {
    format  = each.value.model.format
    name    = each.value.model.name
    version = each.value.model.version
  }
  sku {
    name = "Standard"
  }
}
"""

NAMING_TF = """
variable "base" { type = string }
output "account" { value = "${var.base}-acct" }
"""

TAGS_TF = """
output "tags" { value = { env = "prod" } }
"""


def _tree(root: Path, *, installed: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(ROOT_TF, "utf-8")
    if installed:
        mods = root / ".terraform" / "modules"
        (mods / "openai" / "modules" / "naming").mkdir(parents=True)
        (mods / "tags").mkdir(parents=True)
        (mods / "openai" / "main.tf").write_text(MODULE_TF, "utf-8")
        (mods / "openai" / "modules" / "naming" / "main.tf").write_text(NAMING_TF, "utf-8")
        (mods / "tags" / "main.tf").write_text(TAGS_TF, "utf-8")
        (mods / "modules.json").write_text(json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "openai", "Source": "registry.terraform.io/Azure/avm-res-cognitiveservices-account/azurerm",
             "Version": "0.7.0", "Dir": ".terraform/modules/openai"},
            {"Key": "openai.naming", "Source": "./modules/naming", "Dir": ".terraform/modules/openai/modules/naming"},
            {"Key": "tags", "Source": "git::https://example.com/org/tags.git?ref=v1.2.0", "Dir": ".terraform/modules/tags"},
        ]}), "utf-8")
    return root


def test_an_installed_registry_module_is_evaluated(tmp_path: Path) -> None:
    result = run_check([str(_tree(tmp_path / "cfg")), *FR])
    report = report_of(result)
    assert result.exit_code == 1, result.output
    denied = {(r["resource"], r["clauseId"]) for r in report["results"] if r["result"] == "match"}
    assert denied == {('module.openai.azurerm_cognitive_deployment.this["chat"]', "mobile-realtime-fr")}
    assert not any("not installed" in w for w in report.get("warnings") or [])
    # the nested local module gave the account its name, the git module the resource group's tags
    from generator.terraform.tfconfig import read_directory

    res = {r.address: r for r in read_directory(tmp_path / "cfg").resources}
    assert res["module.openai.azurerm_cognitive_account.this"].values["name"] == "oai-police-acct"
    assert res["azurerm_resource_group.rg"].values["tags"] == {"env": "prod"}


def test_without_terraform_init_a_warning_and_undetermined_never_a_silent_pass(tmp_path: Path) -> None:
    result = run_check([str(_tree(tmp_path / "cfg", installed=False)), *FR])
    report = report_of(result)
    warnings = report.get("warnings") or []
    missing = [w for w in warnings if "not installed" in w]
    assert len(missing) == 2, warnings  # one per module call, each naming the command that installs it
    assert all("terraform init" in w for w in missing)
    assert any("module 'openai'" in w for w in missing)
    by = {r["resource"]: r["result"] for r in report["results"]}
    assert by.get("module.openai") == "undetermined"
    # the resource group's tags come from the missing git module: unknown, so undetermined (not absent)
    assert result.exit_code == 0
    assert "match" not in by.values()


def test_a_module_not_installed_is_not_also_placed_only_after_apply(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "x" {\n  source = "Azure/a/azurerm"\n}\n', "utf-8")
    report = report_of(run_check([str(tmp_path), *FR]))
    warnings = report.get("warnings") or []
    assert any("module 'x'" in w and "not installed" in w for w in warnings)
    # its results say why they are undetermined (not "no context gives resource group UNKNOWN")
    messages = {r["message"] for r in report["results"] if r["result"] == "undetermined"}
    assert messages and all("not installed" in m and "UNKNOWN" not in m for m in messages), messages
    # the placeholder is explained by the "not installed" warning, not as placed "only after apply"
    assert not any("known only after apply" in w for w in warnings), warnings


def test_a_module_installed_from_another_source_is_not_used(tmp_path: Path) -> None:
    root = _tree(tmp_path / "cfg")
    (root / "main.tf").write_text(ROOT_TF.replace("avm-res-cognitiveservices-account", "other-module"), "utf-8")
    report = report_of(run_check([str(root), *FR]))
    assert any("differs from the one `terraform init` installed" in w for w in report["warnings"])
    assert {r["resource"]: r["result"] for r in report["results"]}.get("module.openai") == "undetermined"


def test_module_sources_outside_the_configuration_folder_are_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "main.tf").write_text('resource "azurerm_resource_group" "x" {\n  name = "leak"\n  location = "eastus"\n}\n',
                                     "utf-8")
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "main.tf").write_text('module "up" {\n  source = "../outside"\n}\n', "utf-8")
    (root / "link").symlink_to(outside)
    (root / "via_link.tf").write_text('module "link" {\n  source = "./link"\n}\n', "utf-8")
    report = report_of(run_check([str(root), *FR]))
    warnings = report["warnings"]
    assert sum("outside the configuration folder" in w for w in warnings) == 2, warnings
    resources = {r["resource"] for r in report["results"]}
    assert "module.up.azurerm_resource_group.x" not in resources
    assert {"module.up", "module.link"} <= resources


def test_local_module_sources_elsewhere_in_the_repository_are_read(tmp_path: Path) -> None:
    """A monorepo: `envs/prod` calls `../../modules/openai`; both are inside one repository, so the module
    is read as Terraform reads it (and its deployment is denied), while the folder above the repository
    stays out of reach."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    module = repo / "modules" / "openai"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(
        'variable "rg" {}\n'
        'resource "azurerm_cognitive_account" "a" {\n  name = "acct"\n  location = "eastus"\n  kind = "OpenAI"\n'
        '  sku_name = "S0"\n  resource_group_name = var.rg\n}\n'
        'resource "azurerm_cognitive_deployment" "d" {\n  name = "dep"\n'
        '  cognitive_account_id = azurerm_cognitive_account.a.id\n'
        '  model {\n    format = "OpenAI"\n    name = "gpt-4o"\n    version = "2024-11-20"\n  }\n'
        '  sku {\n    name = "Standard"\n  }\n}\n', "utf-8")
    env = repo / "envs" / "prod"
    env.mkdir(parents=True)
    (env / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "rg-ai"\n  location = "eastus"\n}\n'
                                 'module "ai" {\n  source = "../../modules/openai"\n'
                                 '  rg = azurerm_resource_group.rg.name\n}\n'
                                 'module "up" {\n  source = "../../../outside"\n}\n', "utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "main.tf").write_text('resource "azurerm_resource_group" "x" {\n  name = "leak"\n'
                                                  '  location = "eastus"\n}\n', "utf-8")
    proc = run_check([str(env), *FR])
    report = report_of(proc)
    results = {(r["resource"], r["policyDefinitionName"]): r["result"] for r in report["results"]}
    assert any(res == "module.ai.azurerm_cognitive_deployment.d" and out == "match"
               for (res, _), out in results.items()), results
    assert "module.up.azurerm_resource_group.x" not in {r for r, _ in results}
    assert sum("outside the configuration folder" in w for w in report["warnings"]) == 1, report["warnings"]


def test_a_module_not_installed_counts_its_instances(tmp_path: Path) -> None:
    # count = 0 / an empty for_each create nothing: no placeholder; count = 2 two, each addressed;
    # an unknown count one [*]
    (tmp_path / "main.tf").write_text("""
variable "n" {
  type = number
}
module "none" {
  source  = "Azure/avm-res-keyvault-vault/azurerm"
  version = "0.10.0"
  count   = 0
}
module "empty" {
  source   = "Azure/avm-res-keyvault-vault/azurerm"
  version  = "0.10.0"
  for_each = {}
}
module "two" {
  source  = "Azure/avm-res-keyvault-vault/azurerm"
  version = "0.10.0"
  count   = 2
}
module "keyed" {
  source   = "Azure/avm-res-keyvault-vault/azurerm"
  version  = "0.10.0"
  for_each = toset(["a"])
}
module "unknown" {
  source  = "Azure/avm-res-keyvault-vault/azurerm"
  version = "0.10.0"
  count   = var.n
}
""", "utf-8")
    result = run_check([str(tmp_path), *FR])
    addresses = sorted(r["resource"] for r in report_of(result)["results"] if r["result"] == "undetermined")
    assert sorted(set(addresses)) == ['module.keyed["a"]', "module.two[0]", "module.two[1]", "module.unknown[*]"]
    assert result.exit_code == 0  # undetermined does not fail by default


def test_an_argument_the_module_does_not_declare_is_named(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text('variable "name" {\n  type = string\n}\n', "utf-8")
    (tmp_path / "main.tf").write_text('module "x" {\n  source  = "./m"\n  name    = "a"\n  product = "b"\n}\n', "utf-8")
    warnings = report_of(run_check([str(tmp_path), *FR])).get("warnings") or []
    assert any("module 'x'" in w and "product" in w and "not declared" in w for w in warnings), warnings
    assert not any("name" in w.split("argument(s)")[-1] for w in warnings if "argument(s)" in w)
