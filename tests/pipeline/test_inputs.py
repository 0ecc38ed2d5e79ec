"""Inputs for pipelines: several PATHs, a plan on stdin, --recursive Terraform roots, a binary tfplan."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from tests.check.conftest import EXAMPLES, run_check

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]
PLAN = EXAMPLES / "plan-nested-modules" / "plan.json"
TEMPLATE = EXAMPLES / "arm-template" / "template.json"


def _json(result: object) -> dict:
    return json.loads(result.stdout)  # type: ignore[attr-defined]


def test_several_paths_in_one_run() -> None:
    one = _json(run_check([str(PLAN), *POLICE_US, "-o", "json"]))
    two = _json(run_check([str(TEMPLATE), *POLICE_US, "-o", "json"]))
    both = run_check([str(PLAN), str(TEMPLATE), *POLICE_US, "-o", "json"])
    assert both.exit_code == 1
    report = _json(both)
    assert report["summary"]["total"] == one["summary"]["total"] + two["summary"]["total"]
    assert report["summary"]["failing"] == one["summary"]["failing"] + two["summary"]["failing"]
    assert report["inputs"] == [str(PLAN), str(TEMPLATE)]
    assert {r["input"] for r in report["results"]} == {str(PLAN), str(TEMPLATE)}


def test_plan_on_stdin() -> None:
    result = CliRunner().invoke(cli, ["check", "-", *POLICE_US, "-o", "json"], input=PLAN.read_bytes(),
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["results"]["match"] == _json(run_check([str(PLAN), *POLICE_US, "-o", "json"]))[
        "summary"]["results"]["match"]
    empty = CliRunner().invoke(cli, ["check", "-"], input=b"")
    assert empty.exit_code == 2 and "standard input is empty" in empty.output


def test_recursive_finds_terraform_roots_not_child_modules(tmp_path: Path) -> None:
    def write(rel: str, text: str) -> None:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")

    deployment = ('resource "azurerm_cognitive_deployment" "d" {\n  name = "d"\n  cognitive_account_id = '
                  '"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/'
                  'Microsoft.CognitiveServices/accounts/a"\n  model {\n    format = "OpenAI"\n    name = "gpt-4o"\n'
                  '    version = "1"\n  }\n  sku {\n    name = "Standard"\n  }\n}\n')
    write("envs/prod/main.tf", 'provider "azurerm" {\n  features {}\n}\n' + deployment)
    write("envs/prod/modules.tf", 'module "openai" {\n  source = "../../modules/openai"\n  count  = 0\n}\n')
    write("envs/dev/backend.tf", 'terraform {\n  backend "azurerm" {}\n}\n')
    write("envs/dev/main.tf", deployment)
    write("modules/openai/main.tf", deployment)  # a child module: a module call uses it
    write("envs/prod/.terraform/modules/x/main.tf", 'provider "azurerm" {}\n' + deployment)
    from generator.check import terraform_roots

    assert terraform_roots(str(tmp_path)) == [str(tmp_path / "envs" / "dev"), str(tmp_path / "envs" / "prod")]
    # a folder no module call uses is a root even without a provider block (azapi needs none): skipping
    # it would be a silent pass
    write("envs/ai/main.tf", deployment)
    assert str(tmp_path / "envs" / "ai") in terraform_roots(str(tmp_path))
    (tmp_path / "envs" / "ai" / "main.tf").unlink()
    (tmp_path / "envs" / "ai").rmdir()
    result = run_check(["--recursive", str(tmp_path), *POLICE_US, "-o", "json"])
    assert result.exit_code == 1, result.output
    report = _json(result)
    # two roots: the US clause denies in each; the mobile clause reads the attestation tag of resource group
    # "rg", which no context gives, so it is undetermined (never guessed absent)
    assert report["summary"]["results"]["match"] == 2
    assert report["summary"]["results"]["undetermined"] == 2
    assert {r["input"] for r in report["results"]} == {str(tmp_path / "envs" / "dev"), str(tmp_path / "envs" / "prod")}
    none = tmp_path / "modules"
    result = run_check(["-r", str(none), *POLICE_US])
    assert result.exit_code == 1, result.output  # a module no call uses below PATH is checked as a root
    (tmp_path / "empty" / "docs").mkdir(parents=True)
    result = run_check(["-r", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no Terraform root" in result.output


def test_binary_tfplan_says_how_to_get_json(tmp_path: Path) -> None:
    plan = tmp_path / "tfplan"
    plan.write_bytes(b"PK\x03\x04" + os.urandom(64))
    result = run_check([str(plan)])
    assert result.exit_code == 2
    assert "terraform show -json tfplan" in result.output and "Traceback" not in result.output


def test_no_path_is_bad_input(tmp_path: Path) -> None:
    result = run_check([], cwd=tmp_path)
    assert result.exit_code == 2 and "give a PATH" in result.output


def test_recursive_text_report_keeps_roots_sharing_a_module_apart(tmp_path: Path) -> None:
    module = ('resource "azurerm_cognitive_deployment" "d" {\n  name = "d"\n  cognitive_account_id = '
              '"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/'
              'Microsoft.CognitiveServices/accounts/a"\n  model {\n    format = "OpenAI"\n    name = "gpt-4o"\n'
              '    version = "1"\n  }\n}\n')
    (tmp_path / ".git").mkdir()  # one repository: roots may use modules elsewhere in it
    (tmp_path / "modules" / "openai").mkdir(parents=True)
    (tmp_path / "modules" / "openai" / "main.tf").write_text(module, "utf-8")
    for root in ("a", "b"):
        (tmp_path / "envs" / root).mkdir(parents=True)
        (tmp_path / "envs" / root / "main.tf").write_text(
            'provider "azurerm" {\n  features {}\n}\nmodule "m" {\n  source = "../../modules/openai"\n}\n', "utf-8")
    result = run_check(["--recursive", "envs", *POLICE_US], cwd=tmp_path)
    heads = [line for line in result.output.splitlines() if line.startswith("module.m.")]
    assert heads == ["module.m.azurerm_cognitive_deployment.d (modules/openai/main.tf:1) in envs/a  [FAILS: 1]",
                     "module.m.azurerm_cognitive_deployment.d (modules/openai/main.tf:1) in envs/b  [FAILS: 1]"]
