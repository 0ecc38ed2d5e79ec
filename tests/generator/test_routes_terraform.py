"""`clausegate check` on Terraform for every model-deployment route: vision denied, cleared allowed, unknown denied.

azurerm where a resource exists (azurerm_cognitive_deployment), azapi_resource otherwise; the same
outcomes as the pack's behaviour table (policy-test cases), evaluated through the shipped policies.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli

LE_US = ["--subscription-tag", "sector=law-enforcement", "--subscription-tag", "jurisdiction=US"]
SUB = "00000000-0000-0000-0000-000000000000"
WS = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/hub"
ACCOUNT = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/foundry"
V = "azureml://registries/azureml-meta/models/Llama-3.2-11B-Vision-Instruct/versions/1"
T = "azureml://registries/azureml-meta/models/Llama-3.3-70B-Instruct/versions/4"
U = "azureml://registries/contoso/models/contoso-facematch/versions/2"

_HEAD = """
terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm" }
    azapi   = { source = "Azure/azapi" }
  }
}
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  location = "eastus"
}
resource "azurerm_cognitive_account" "acc" {
  name                = "oai"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.rg.name
  kind                = "AIServices"
  sku_name            = "S0"
}
"""


def _azurerm(name: str, model: str, version: str) -> str:
    return f"""
resource "azurerm_cognitive_deployment" "{name}" {{
  name                 = "{name}"
  cognitive_account_id = azurerm_cognitive_account.acc.id
  model {{
    format  = "OpenAI"
    name    = "{model}"
    version = "{version}"
  }}
  sku {{
    name = "GlobalStandard"
  }}
}}
"""


def _azapi(name: str, rtype: str, parent: str, body: str) -> str:
    return f"""
resource "azapi_resource" "{name}" {{
  type      = "{rtype}@2024-10-01"
  name      = "{name}"
  parent_id = "{parent}"
  body      = {body}
}}
"""


ML = "Microsoft.MachineLearningServices/workspaces"
ROWS = [  # (resource name, HCL, denied?)
    ("cs_vision", _azurerm("cs_vision", "gpt-4o", "2024-11-20"), True),
    ("cs_cleared", _azurerm("cs_cleared", "gpt-4-32k", "0613"), False),
    ("cs_unknown", _azurerm("cs_unknown", "gpt-9-omni-vision", "2030-01-01"), True),
    ("mc_vision", _azapi("mc_vision", "Microsoft.CognitiveServices/accounts/managedComputeDeployments", ACCOUNT,
                         f'{{ sku = {{ name = "GlobalManagedCompute", capacity = 1 }}, properties = {{ model = "{V}" }} }}'),
     True),
    ("mc_text", _azapi("mc_text", "Microsoft.CognitiveServices/accounts/managedComputeDeployments", ACCOUNT,
                       f'{{ properties = {{ model = "{T}" }} }}'), True),  # no alias: denied (fail-closed)
]
for short, rtype, parent, body in (
    ("conn", f"{ML}/connections/deployments", f"{WS}/connections/aoai",
     '{{ properties = {{ model = {{ format = "OpenAI", name = "{n}", version = "{v}" }} }} }}'),
    ("ep", f"{ML}/endpoints/deployments", f"{WS}/endpoints/aoai",
     '{{ properties = {{ model = {{ format = "OpenAI", name = "{n}", version = "{v}" }} }} }}'),
):
    for outcome, n, v, denied in (("vision", "gpt-4o", "2024-11-20", True), ("cleared", "gpt-35-turbo", "0125", False),
                                  ("unknown", "gpt-9-omni-vision", "1", True)):
        name = f"{short}_{outcome}"
        ROWS.append((name, _azapi(name, rtype, parent, body.format(n=n, v=v)), denied))
for short, rtype, parent, body in (
    ("online", f"{ML}/onlineEndpoints/deployments", f"{WS}/onlineEndpoints/e",
     '{{ properties = {{ endpointComputeType = "Managed", model = "{a}" }} }}'),
    ("batch", f"{ML}/batchEndpoints/deployments", f"{WS}/batchEndpoints/e",
     '{{ properties = {{ model = {{ referenceType = "Id", assetId = "{a}" }} }} }}'),
    ("serverless", f"{ML}/serverlessEndpoints", WS,
     '{{ sku = {{ name = "Consumption" }}, properties = {{ modelSettings = {{ modelId = "{a}" }} }} }}'),
    ("hubep", f"{ML}/endpoints", WS,
     '{{ properties = {{ endpointType = "serverlessEndpoint", modelSettings = {{ modelId = "{a}" }} }} }}'),
    ("market", f"{ML}/marketplaceSubscriptions", WS, '{{ properties = {{ modelId = "{a}" }} }}'),
):
    for outcome, asset, denied in (("vision", V, True), ("cleared", T, False), ("unknown", U, True)):
        name = f"{short}_{outcome}"
        ROWS.append((name, _azapi(name, rtype, parent, body.format(a=asset)), denied))


def _check(tmp_path: Path, *extra: str) -> tuple[int, dict]:
    folder = tmp_path / "tf"
    folder.mkdir(exist_ok=True)
    (folder / "main.tf").write_text(_HEAD + "".join(hcl for _, hcl, _ in ROWS), "utf-8")
    old = Path.cwd()
    try:
        os.chdir(tmp_path)
        res = CliRunner().invoke(cli, ["check", str(folder), *LE_US, "--format", "json", *extra],
                                 catch_exceptions=False)
    finally:
        os.chdir(old)
    return res.exit_code, json.loads(res.stdout)


def _denied(report: dict) -> set[str]:
    return {r["resource"].rsplit(".", 1)[-1] for r in report["results"]
            if r["result"] == "match" and r["effect"] == "deny"}


def test_every_route_from_terraform(tmp_path: Path) -> None:
    code, report = _check(tmp_path)
    assert code == 1
    assert report["summary"]["resources"]["skipped"] == 0, report.get("warnings")
    assert not [r for r in report["results"] if r["result"] in ("error", "undetermined", "invalid")]
    expected = {name for name, _, denied in ROWS if denied}
    assert _denied(report) == expected
    assert report["summary"]["resources"]["checked"] == len(ROWS) + 2  # + resource group and account


def test_the_managed_compute_parameter_lifts_that_route_only(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"allowManagedComputeDeployments": {"value": True}}))
    _, report = _check(tmp_path, "--parameters", str(params))
    expected = {name for name, _, denied in ROWS if denied and not name.startswith("mc_")}
    assert _denied(report) == expected
