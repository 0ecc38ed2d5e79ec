"""Acceptance regressions for `clausegate check` inputs: truncated / BOM / UTF-16 / state files,
-var and -var-file order, nested ARM template resources, the pre-commit hook's file pattern."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.check.conftest import EXAMPLES, REPO, report_of, run_check

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]
PLAN = EXAMPLES / "plan-nested-modules" / "plan.json"


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.5, 0.9])
def test_a_plan_cut_inside_a_string_is_reported_as_truncated(tmp_path: Path, fraction: float) -> None:
    text = json.dumps(json.loads(PLAN.read_text("utf-8")), indent=1)
    cut = int(len(text) * fraction)
    while text[cut - 1] in '"{}[],: \n':  # end inside a string or a value
        cut += 1
    path = tmp_path / "plan.json"
    path.write_text(text[:cut], encoding="utf-8")
    result = run_check([str(path)])
    assert result.exit_code == 2, result.output
    assert "truncated JSON" in result.output and "starting at" not in result.output
    _no_traceback(result)


def test_a_plan_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xef\xbb\xbf" + PLAN.read_bytes())
    plain = report_of(run_check([str(PLAN), *POLICE_US, "--format", "json"]))
    result = run_check([str(path), *POLICE_US, "--format", "json"])
    assert result.exit_code == 1, result.output
    assert report_of(result)["summary"] == plain["summary"]


def test_a_utf16_plan_exits_2_and_says_utf16(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(PLAN.read_text("utf-8").encode("utf-16"))  # Windows PowerShell 5's `>`
    result = run_check([str(path)])
    assert result.exit_code == 2 and "UTF-16" in result.output
    _no_traceback(result)


def test_a_state_file_exits_2_and_says_state(tmp_path: Path) -> None:
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps({"version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "x",
                                "outputs": {}, "resources": []}), encoding="utf-8")
    result = run_check([str(path)])
    assert result.exit_code == 2 and "state file" in result.output
    _no_traceback(result)


_MODEL_TF = """
variable "model" {
  type    = string
  default = "text-embedding-3-large"
}
resource "azurerm_cognitive_deployment" "d" {
  name                 = "d"
  cognitive_account_id = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a"
  model {
    format  = "OpenAI"
    name    = var.model
    version = "2024-11-20"
  }
  sku {
    name = "Standard"
  }
}
"""


@pytest.mark.parametrize("args, denied", [
    (["--var-file", "{vf}", "--var", "model=whisper"], False),    # the later -var wins
    (["--var", "model=whisper", "--var-file", "{vf}"], True),     # the later -var-file wins
    (["--var", "model=whisper", "--var-file={vf}", "--var=model=gpt-4o"], True),
    (["--var", "model=gpt-4o", "--var-file", "{vf}", "--var", "model=whisper"], False),
])
def test_var_and_var_file_apply_in_command_line_order(write: Any, tmp_path: Path, args: list[str],
                                                       denied: bool) -> None:
    write("tf/main.tf", _MODEL_TF)
    vf = write("prod.tfvars", 'model = "gpt-4o"\n')
    argv = [a.format(vf=vf) for a in args]
    result = run_check([str(tmp_path / "tf"), *POLICE_US, *argv])
    assert result.exit_code == (1 if denied else 0), result.output


def test_nested_template_resources_are_checked(write: Any) -> None:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{
            "type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": "acc",
            "location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"}, "properties": {},
            "resources": [{
                "type": "deployments", "apiVersion": "2024-10-01", "name": "gpt-4", "dependsOn": ["acc"],
                "sku": {"name": "Standard", "capacity": 1},
                "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}},
            }],
        }],
    }
    path = write("template.json", json.dumps(template))
    result = run_check([str(path), *POLICE_US, "--format", "json"])
    assert result.exit_code == 1, result.output
    report = report_of(result)
    assert report["summary"]["resources"]["read"] == 2
    hits = {r["resource"] for r in report["results"] if r["result"] == "match"}
    assert hits == {"Microsoft.CognitiveServices/accounts/deployments/acc/gpt-4"}


def test_pre_commit_hook_runs_for_terraform_json_files_too() -> None:
    hook = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))[0]
    pattern = re.compile(hook["files"])
    for name in ("main.tf", "main.tf.json", "prod.tfvars", "x.auto.tfvars.json"):
        assert pattern.search(name), name
    assert not pattern.search("README.md")


@pytest.mark.parametrize("change", ['[1]', '"x"', '{"actions": "create", "after": {}}'])
def test_a_malformed_resource_change_exits_2_not_3(tmp_path: Path, change: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"format_version": "1.2", "resource_changes": [{"address": "azurerm_cognitive_deployment.x", '
                    '"mode": "managed", "type": "azurerm_cognitive_deployment", "name": "x", '
                    f'"change": {change}}}]}}', encoding="utf-8")
    result = run_check([str(path)])
    assert result.exit_code == 2, result.output
    assert "resource_changes[0]" in result.output
    _no_traceback(result)


def test_resources_of_a_nested_deployment_are_checked(write: Any) -> None:
    # `az bicep build` turns Bicep modules into nested Microsoft.Resources/deployments
    inner = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
             "contentVersion": "1.0.0.0",
             "resources": [{"type": "Microsoft.CognitiveServices/accounts/deployments", "apiVersion": "2024-10-01",
                            "name": "acc/vision", "sku": {"name": "Standard", "capacity": 1},
                            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o",
                                                     "version": "2024-11-20"}}}]}
    template = {"$schema": inner["$schema"], "contentVersion": "1.0.0.0",
                "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                               "name": "ai", "properties": {"mode": "Incremental", "template": inner}}]}
    path = write("main.json", json.dumps(template))
    result = run_check([str(path), *POLICE_US, "--format", "json"])
    assert result.exit_code == 1, result.output
    hits = {r["resource"] for r in report_of(result)["results"] if r["result"] == "match"}
    # the nested deployment's address, then the resource's type/name
    assert hits == {"Microsoft.Resources/deployments/ai::Microsoft.CognitiveServices/accounts/deployments/acc/vision"}
