"""Results remembered for identical inputs: the same report, byte for byte, as evaluating each resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.engine.memo import reads_identity
from generator.terraform.check import default_library
from tests.check.conftest import EXAMPLES, run_check


@pytest.mark.parametrize("doc, reads", [
    ({"if": {"field": "type", "equals": "x"}}, False),
    ({"if": {"field": "Microsoft.CognitiveServices/accounts/deployments/model.name", "in": []}}, False),
    ({"if": {"value": "[field('Microsoft.CognitiveServices/accounts/deployments/model.version')]", "equals": 1}},
     False),
    ({"if": {"field": "name", "like": "x*"}}, True),
    ({"if": {"field": "ID", "exists": True}}, True),
    ({"if": {"field": "fullName", "exists": True}}, True),
    ({"if": {"value": "[concat(field('name'), 'x')]", "equals": 1}}, True),
    ({"if": {"value": "[field(parameters('f'))]", "equals": 1}}, True),  # a field named by an expression
    ({"if": {"field": "[parameters('f')]", "equals": 1}}, True),
    ({"if": {"field": "Microsoft.Web/sites/name", "equals": 1}}, True),  # may be the resource's own name
    ({"then": {"details": {"existenceCondition": {"field": "name", "equals": "[field('name')]"}}}}, True),
    ({"if": {"count": {"field": "Microsoft.X/y/z[*]", "where": {"field": "Microsoft.X/y/z[*].id", "equals": 1}}}},
     False),
])
def test_what_counts_as_reading_a_resources_name_or_id(doc: dict[str, Any], reads: bool) -> None:
    assert reads_identity(doc) is reads


def test_the_shipped_pack_never_reads_name_or_id() -> None:
    # If a clause one day needs the resource name, results stop being shared (still correct); this
    # test then says so, so that the change is seen.
    assert default_library()[0].identity_free is True


def _examples() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if (p / "expected.yaml").is_file())


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.name)
def test_remembered_results_give_the_same_report(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = yaml.safe_load((example / "expected.yaml").read_text("utf-8"))
    args = [str(example / spec.get("input", ".")), *[str(a) for a in spec.get("args", [])], "--format", "json", "--all"]
    outputs = []
    for memo in ("1", "0"):
        monkeypatch.setenv("CLAUSEGATE_RESULT_MEMO", memo)
        result = run_check(args, cwd=example)
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert outputs[0] == outputs[1]


def test_remembered_results_keep_each_resources_address_and_line(write: Any, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    deployments = "\n".join(f'''
resource "azurerm_cognitive_deployment" "d{i}" {{
  name                 = "dep{i}"
  cognitive_account_id = azurerm_cognitive_account.a.id
  model {{
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }}
  sku {{
    name = "Standard"
  }}
}}''' for i in range(5))
    write("main.tf", '''
provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  location = "eastus"
}
resource "azurerm_cognitive_account" "a" {
  name                = "acct"
  location            = "eastus"
  kind                = "OpenAI"
  sku_name            = "S0"
  resource_group_name = azurerm_resource_group.rg.name
}
''' + deployments)
    args = [str(tmp_path), "--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US",
            "--format", "json"]
    monkeypatch.setenv("CLAUSEGATE_RESULT_MEMO", "1")
    import json

    report = json.loads(run_check(args).stdout)
    matched = {(r["resource"], r["line"]) for r in report["results"] if r["result"] == "match"}
    lines = {f"azurerm_cognitive_deployment.d{i}": None for i in range(5)}
    text = (tmp_path / "main.tf").read_text("utf-8").splitlines()
    for n, line in enumerate(text, 1):
        for i in range(5):
            if line.startswith(f'resource "azurerm_cognitive_deployment" "d{i}"'):
                lines[f"azurerm_cognitive_deployment.d{i}"] = n
    assert {(a, ln) for a, ln in lines.items()} <= matched
