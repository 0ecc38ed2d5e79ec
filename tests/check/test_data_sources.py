"""Data sources: what the configuration alone decides (a resource group's id from its name and its
provider's subscription, the client configuration's subscription) is known, as Terraform knows it at
plan; what Azure holds (a resource group's tags and location) stays unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.terraform import UNKNOWN
from generator.terraform.tfconfig import read_directory
from tests.check.conftest import report_of, run_check

SUB = "11111111-2222-3333-4444-555555555555"

ACCOUNTS = '''
data "azurerm_resource_group" "rg" {
  name = "rg-police"
}
data "azurerm_client_config" "current" {}
resource "azapi_resource" "by_data_id" {
  type      = "Microsoft.CognitiveServices/accounts@2024-10-01"
  name      = "oai"
  location  = data.azurerm_resource_group.rg.location
  parent_id = data.azurerm_resource_group.rg.id
  body      = { kind = "OpenAI", sku = { name = "S0" }, properties = {} }
}
resource "azapi_resource" "dep" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2024-10-01"
  name      = "vision"
  parent_id = azapi_resource.by_data_id.id
  body      = { sku = { name = "GlobalStandard" }, properties = { model = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" } } }
}
resource "azapi_resource" "by_client_config" {
  type      = "Microsoft.CognitiveServices/accounts@2024-10-01"
  name      = "oai2"
  location  = "francecentral"
  parent_id = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/resourceGroups/rg-police"
  body      = { kind = "OpenAI", sku = { name = "S0" }, properties = {} }
}
resource "azapi_resource" "dep2" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2024-10-01"
  name      = "vision"
  parent_id = azapi_resource.by_client_config.id
  body      = { sku = { name = "GlobalStandard" }, properties = { model = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" } } }
}
'''


def _check(folder: Path, *extra: str) -> tuple[int, dict[str, str], list[str]]:
    context = folder / "context.json"
    context.write_text('{"resourceGroups": {"rg-police": {"location": "francecentral", "tags": {}}}}', "utf-8")
    result = run_check([str(folder), "--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR",
                        "--context", str(context), "--format", "json", *extra])
    report = report_of(result)
    return result.exit_code, {r["resource"]: r["result"] for r in report["results"]}, report["warnings"]


def _values(folder: Path, **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {r.address: r.values for r in read_directory(folder, **kwargs).resources}


def test_a_resource_group_data_source_places_its_resources(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ACCOUNTS, "utf-8")
    code, verdicts, warnings = _check(tmp_path)
    assert code == 1
    assert verdicts == {"azapi_resource.dep": "match", "azapi_resource.dep2": "match"}
    assert any("data source's id uses 00000000" in w for w in warnings)


def test_the_provider_or_the_run_names_the_subscription(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ACCOUNTS + f'provider "azurerm" {{\n  features {{}}\n  subscription_id = "{SUB}"\n}}\n',
                                      "utf-8")
    values = _values(tmp_path)
    assert values["azapi_resource.by_data_id"]["parent_id"] == f"/subscriptions/{SUB}/resourceGroups/rg-police"
    assert values["azapi_resource.by_client_config"]["parent_id"] == f"/subscriptions/{SUB}/resourceGroups/rg-police"
    (tmp_path / "main.tf").write_text(ACCOUNTS, "utf-8")
    values = _values(tmp_path, subscription_id="22222222-0000-0000-0000-000000000000")
    assert values["azapi_resource.by_data_id"]["parent_id"] == \
        "/subscriptions/22222222-0000-0000-0000-000000000000/resourceGroups/rg-police"
    code, _, warnings = _check(tmp_path, "--subscription-id", SUB)
    assert code == 1 and not any("data source's id" in w for w in warnings)


def test_what_azure_holds_stays_unknown(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ACCOUNTS.replace('name = "rg-police"', "name = var.rg")
                                      + 'variable "rg" {\n  type = string\n}\n', "utf-8")
    values = _values(tmp_path)
    # the name is unknown (no value given): so is the id; the location is Azure's in any case
    assert values["azapi_resource.by_data_id"]["parent_id"] is UNKNOWN
    assert values["azapi_resource.by_data_id"]["location"] is UNKNOWN
    code, verdicts, _ = _check(tmp_path)
    assert code == 1 and verdicts["azapi_resource.dep"] == "undetermined"


def test_repeated_data_sources_are_read_per_instance(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(f'''
provider "azurerm" {{
  features {{}}
  subscription_id = "{SUB}"
}}
variable "existing" {{
  type    = string
  default = "rg-police"
}}
data "azurerm_resource_group" "by_count" {{
  count = var.existing == null ? 0 : 1
  name  = var.existing
}}
data "azurerm_resource_group" "by_key" {{
  for_each = toset(["rg-a", "rg-b"])
  name     = each.key
}}
resource "azurerm_cognitive_account" "a" {{
  name                = "oai"
  location            = "francecentral"
  resource_group_name = data.azurerm_resource_group.by_count[0].name
  kind                = "OpenAI"
  sku_name            = "S0"
  tags = {{
    first = data.azurerm_resource_group.by_count[0].id
    other = data.azurerm_resource_group.by_key["rg-b"].id
    loc   = try(data.azurerm_resource_group.by_count[0].location, "unknown")
  }}
}}
''', "utf-8")
    values = _values(tmp_path)["azurerm_cognitive_account.a"]
    assert values["resource_group_name"] == "rg-police"
    assert values["tags"]["first"] == f"/subscriptions/{SUB}/resourceGroups/rg-police"
    assert values["tags"]["other"] == f"/subscriptions/{SUB}/resourceGroups/rg-b"
    assert values["tags"]["loc"] is UNKNOWN
