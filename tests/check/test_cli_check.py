"""`clausegate check` end to end: exit codes, bad input, formats (SARIF against its schema), options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.check.conftest import EXAMPLES, report_of, run_check
from tests.check.test_sarif_schema import validate as validate_sarif

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]
PLAN = EXAMPLES / "plan-nested-modules" / "plan.json"


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("name, content, message", [
    ("not-a-plan.json", b'{"hello": "world"}', "not a Terraform plan, a Terraform directory"),
    ("truncated.json", PLAN.read_bytes()[:4000], "truncated"),
    ("latin1.json", b'{"format_version": "1.2", "resource_changes": [{"address": "caf\xe9"}]}', "not UTF-8"),
    ("future.json", b'{"format_version": "2.0", "resource_changes": []}', "unsupported plan format_version"),
    ("empty.json", b"", "empty file"),
])
def test_bad_input_exits_2_with_a_message(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run_check([str(path)])
    assert result.exit_code == 2, result.output
    assert message in result.output and name in result.output
    _no_traceback(result)


def test_hcl_syntax_error_exits_2_with_its_line(write: Any, tmp_path: Path) -> None:
    write("main.tf", 'resource "azurerm_resource_group" "rg" {\n  name = "x"\n  location = = "y"\n}\n')
    result = run_check([str(tmp_path)])
    assert result.exit_code == 2
    assert "main.tf:3" in result.output and "syntax error" in result.output
    _no_traceback(result)


def test_non_utf8_tf_file_exits_2(write: Any, tmp_path: Path) -> None:
    write("main.tf", b'variable "x" { default = "caf\xe9" }\n')
    result = run_check([str(tmp_path)])
    assert result.exit_code == 2 and "not UTF-8" in result.output
    _no_traceback(result)


def test_exit_codes_follow_fail_on() -> None:
    assert run_check([str(PLAN)]).exit_code == 0                       # no tags: nothing applies
    assert run_check([str(PLAN), *POLICE_US]).exit_code == 1           # deny matches
    assert run_check([str(PLAN), *POLICE_US, "--fail-on", "audit"]).exit_code == 0
    # undetermined alone fails only when asked for
    only_unknown = EXAMPLES / "plan-nested-modules"
    report = report_of(run_check([str(PLAN), *POLICE_US, "--format", "json"], cwd=only_unknown))
    assert report["summary"]["results"]["undetermined"] == 2


def test_undetermined_fails_with_fail_on_undetermined(tmp_path: Path) -> None:
    data = json.loads(PLAN.read_text("utf-8"))
    data["resource_changes"] = [c for c in data["resource_changes"] if not c["address"].endswith('["chat"]')]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert run_check([str(path), *POLICE_US]).exit_code == 0
    assert run_check([str(path), *POLICE_US, "--fail-on", "undetermined"]).exit_code == 1


def test_existing_resources_never_fail_the_run(tmp_path: Path) -> None:
    folder = EXAMPLES / "plan-attested-resource-group"
    data = json.loads((folder / "plan.json").read_text("utf-8"))
    data["resource_changes"] = [c for c in data["resource_changes"] if c["change"]["actions"] == ["no-op"]]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run_check([str(path), "--context", str(folder / "context.yaml"), "--format", "json"])
    assert result.exit_code == 0
    report = report_of(result)
    assert [r["result"] for r in report["results"]] == ["match"] and report["results"][0]["existing"] is True
    assert report["summary"]["failing"] == 0


def test_sarif_validates_and_locates_hcl_results() -> None:
    result = run_check([".", *POLICE_US, "--format", "sarif"], cwd=EXAMPLES / "azurerm-modules-for-each")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    validate_sarif(log)  # the OASIS schema (tests/check/data/sarif-schema-2.1.0.json)
    results = log["runs"][0]["results"]
    assert results, "SARIF has no results"
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r.get("locations", [])
            if "physicalLocation" in loc}
    assert "modules/openai/main.tf" in uris


def test_junit_and_text_formats() -> None:
    junit = run_check([str(PLAN), *POLICE_US, "--format", "junit"])
    assert junit.stdout.lstrip().startswith("<?xml") and "<testsuite" in junit.stdout
    text = run_check([str(PLAN), *POLICE_US])
    assert 'module.platform.module.models["east"].azurerm_cognitive_deployment.this["chat"]' in text.stdout
    assert "evaluation(s)" in text.stdout  # the summary line


def test_source_dir_adds_file_and_line_to_plan_results(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(EXAMPLES / "azurerm-modules-for-each", src)
    plan = {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {}},
            "resource_changes": [{
                "address": 'module.openai.azurerm_cognitive_deployment.this["chat"]', "module_address": "module.openai",
                "mode": "managed", "type": "azurerm_cognitive_deployment", "name": "this", "index": "chat",
                "change": {"actions": ["create"], "before": None, "after_unknown": {"cognitive_account_id": True},
                           "after": {"name": "chat", "model": [{"format": "OpenAI", "name": "gpt-4o", "version": "1"}]}}}],
            "configuration": {"root_module": {}}}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    report = report_of(run_check([str(path), "--source", str(src), *POLICE_US, "--format", "json"]))
    assert {(r["file"], r["line"]) for r in report["results"]} == {("modules/openai/main.tf", 23)}


def test_output_file_and_policy_option(tmp_path: Path) -> None:
    policy = tmp_path / "no-face.json"
    policy.write_text(json.dumps({"name": "no-face", "properties": {"mode": "All", "policyRule": {
        "if": {"allOf": [{"field": "type", "equals": "Microsoft.CognitiveServices/accounts"},
                         {"field": "kind", "equals": "Face"}]}, "then": {"effect": "deny"}}}}), encoding="utf-8")
    out = tmp_path / "report.json"
    result = run_check([str(EXAMPLES / "plan-azapi-unknowns" / "plan.json"), "--policy", str(policy),
                        "--format", "json", "--output-file", str(out)])
    assert result.exit_code == 1 and result.stdout == ""
    report = json.loads(out.read_text("utf-8"))
    assert [(r["resource"], r["result"]) for r in report["results"]] == [("azapi_resource.face", "match")]
    assert report["results"][0]["definitionFile"] == str(policy)


def test_tag_no_source_gives_is_named() -> None:
    report = report_of(run_check([str(PLAN), "--format", "json"]))
    assert any("subscription tag 'sector'" in w and "no source gives" in w for w in report.get("warnings", []))


def test_subscription_placeholder_is_named(write: Any, tmp_path: Path) -> None:
    write("main.tf", 'resource "azurerm_resource_group" "rg" {\n  name = "rg"\n  location = "eastus"\n}\n')
    report = report_of(run_check([str(tmp_path), "--format", "json"]))
    assert any("subscription id unknown" in w for w in report["warnings"])
    sub = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
    report = report_of(run_check([str(tmp_path), "--format", "json", "--subscription-id", sub]))
    assert not any("subscription id unknown" in w for w in report.get("warnings", []))


def test_subscription_id_that_is_not_a_guid_is_bad_input(write: Any, tmp_path: Path) -> None:
    write("main.tf", 'resource "azurerm_resource_group" "rg" {\n  name = "rg"\n  location = "eastus"\n}\n')
    result = run_check([str(tmp_path), "--subscription-id", "abc"])
    assert result.exit_code == 2
    assert "'abc' is not a subscription id" in result.output


def test_var_option_and_relative_file_names(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "azurerm-modules-for-each", tmp_path / "infra")
    result = run_check(["infra", *POLICE_US, "--format", "json", "--var", "location=westeurope"], cwd=tmp_path)
    report = report_of(result)
    files = {r["file"] for r in report["results"]}
    assert files == {"infra/modules/openai/main.tf"}
    bad = run_check(["infra", "--var", "no-equals-sign"], cwd=tmp_path)
    assert bad.exit_code == 2 and "expected K=V" in bad.output


def test_summary_counts_do_not_depend_on_all() -> None:
    listed = report_of(run_check([str(PLAN), *POLICE_US, "--format", "json"]))
    every = report_of(run_check([str(PLAN), *POLICE_US, "--format", "json", "--all"]))
    assert listed["summary"] == every["summary"]
    assert len(every["results"]) == every["summary"]["total"] > len(listed["results"])
    assert all(r["result"] != "no-match" for r in listed["results"])


def test_variables_given_for_a_plan_are_reported_as_ignored() -> None:
    report = report_of(run_check([str(PLAN), "--format", "json", "--var", "x=1"]))
    assert any(w.startswith("ignored --var x") for w in report.get("warnings", []))
    report = report_of(run_check([str(PLAN), "--format", "json"]))
    assert not any(w.startswith("ignored --var") for w in report.get("warnings", []))


def test_context_for_another_subscription_is_named(tmp_path: Path) -> None:
    other = "99999999-9999-9999-9999-999999999999"
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps({"subscriptions": {other: {"tags": {"sector": "police"}}}}))
    report = report_of(run_check([str(PLAN), "--format", "json", "--context", str(ctx)]))
    assert any(w.startswith(f"the context file gives tags for subscription(s) {other}")
               for w in report.get("warnings", []))
    ctx.write_text(json.dumps({"subscriptions": {"*": {"tags": {"sector": "police"}}}}))
    report = report_of(run_check([str(PLAN), "--format", "json", "--context", str(ctx)]))
    assert not any("the context file gives tags" in w for w in report.get("warnings", []))
