"""`clausegate eval` and `clausegate test` through click's CliRunner: exit codes, output, bad input."""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.report import load_schema
from policy_layer.helpers import (
    SUB,
    deployment,
    face_account,
    face_definition,
    law_set,
    police_context,
    vision_definition,
    write,
)


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def files(tmp_path):
    return {
        "def": write(tmp_path / "vision.json", vision_definition()),
        "res": write(tmp_path / "res.json", deployment("gpt-4o")),
        "ok": write(tmp_path / "ok.json", deployment("text-embedding-3-large")),
        "ctx": write(tmp_path / "ctx.json", police_context()),
        "dir": tmp_path,
    }


def test_eval_deny_match_exits_1_with_explanation(files) -> None:
    r = invoke("eval", "--definition", str(files["def"]), "--resource", str(files["res"]),
               "--context", str(files["ctx"]))
    assert r.exit_code == 1
    assert "MATCH deny" in r.output
    assert "model.name 'gpt-4o' is not in parameter clearedModels" in r.output
    assert "subscription tag sector='police' is in parameter lawEnforcementValues" in r.output


def test_eval_subscription_tag_shorthand_and_no_match_exits_0(files) -> None:
    r = invoke("eval", "--definition", str(files["def"]), "--resource", str(files["ok"]),
               "--subscription-tag", "sector=police")
    assert r.exit_code == 0 and "no-match deny" in r.output


def test_eval_json_output_validates_against_schema(files) -> None:
    r = invoke("eval", "--definition", str(files["dir"]), "--resource", str(files["res"]),
               "--subscription-tag", "sector=police", "--format", "json")
    report = json.loads(r.stdout)
    jsonschema.Draft202012Validator(load_schema("report")).validate(report)
    [res] = report["results"]
    assert res["result"] == "match" and res["effect"] == "deny" and res["resource"] == deployment()["id"]
    assert res["trace"] and res["clauseId"] == "aoai-police-1"
    assert r.exit_code == 1


def test_eval_parameters_file_and_fail_on(files) -> None:
    params = write(files["dir"] / "p" / "params.json", {"effect": {"value": "Audit"}})
    args = ["eval", "--definition", str(files["def"]), "--resource", str(files["res"]),
            "--subscription-tag", "sector=police", "--parameters", str(params)]
    assert invoke(*args).exit_code == 0
    r = invoke(*args, "--fail-on", "audit")
    assert r.exit_code == 1 and "MATCH audit" in r.output


def test_eval_missing_context_names_the_tag(files) -> None:
    r = invoke("eval", "--definition", str(files["def"]), "--resource", str(files["res"]))
    assert r.exit_code == 0
    assert "reads subscription tag 'sector', which no context gives" in r.output


def test_eval_through_set_assignment_and_exemption(tmp_path) -> None:
    pol = tmp_path / "policies"
    write(pol / "vision.json", vision_definition())
    write(pol / "face.json", face_definition())
    write(pol / "set.json", law_set())
    a = write(tmp_path / "assign.json", {"name": "law-assign", "properties": {
        "scope": f"/subscriptions/{SUB}", "policyDefinitionId": "law-set",
        "nonComplianceMessages": [{"message": "Restricted by the AI terms."}]}})
    e = write(tmp_path / "ex.json", {"name": "ex1", "properties": {
        "policyAssignmentId": "law-assign", "exemptionCategory": "Mitigated",
        "policyDefinitionReferenceIds": ["face"]}})
    res = write(tmp_path / "face.json", face_account())
    ctx = write(tmp_path / "ctx.json", police_context())
    base = ["eval", "--definition", str(pol), "--resource", str(res), "--context", str(ctx),
            "--assignment", str(a), "--format", "json"]
    r = invoke(*base)
    report = json.loads(r.stdout)
    face = next(x for x in report["results"] if x["policyDefinitionReferenceId"] == "face")
    assert face["result"] == "match" and face["policySetDefinitionName"] == "law-set"
    assert face["nonComplianceMessage"] == "Restricted by the AI terms."
    assert face["policyAssignmentName"] == "law-assign"
    assert r.exit_code == 1
    r = invoke(*base, "--exemption", str(e))
    report = json.loads(r.stdout)
    face = next(x for x in report["results"] if x["policyDefinitionReferenceId"] == "face")
    assert face["exemption"]["category"] == "Mitigated"
    assert r.exit_code == 0
    jsonschema.Draft202012Validator(load_schema("report")).validate(report)


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ('{"name": "x",\n "properties": {,}}', ["bad.json:2", "not valid JSON"]),
        ('{"hello": 1}', ["bad.json", "not a policy definition or set"]),
        (json.dumps({"properties": {"mode": "All", "policyRule": {
            "if": {"field": "type", "equalz": "x"}, "then": {"effect": "deny"}}}}),
         ["bad.json", "/properties/policyRule/if/equalz", "unknown operator"]),
        (json.dumps({"properties": {"mode": "All", "policyRule": {
            "if": {"value": "[concat(field('name'), ]", "equals": "x"}, "then": {"effect": "deny"}}}}),
         ["bad.json", "/properties/policyRule/if/value", "column"]),
        (json.dumps({"properties": {"mode": "All", "policyRule": {
            "if": {"field": "type", "equals": "x"}, "then": {"effect": "explode"}}}}),
         ["bad.json", "/properties/policyRule/then/effect", "unknown effect"]),
    ],
)
def test_eval_bad_definition_is_invalid_exit_2_while_others_still_evaluate(files, content, expect) -> None:
    bad = write(files["dir"] / "bad" / "bad.json", content)
    r = invoke("eval", "--definition", str(bad), "--definition", str(files["def"]), "--resource",
               str(files["res"]), "--subscription-tag", "sector=police")
    assert r.exit_code == 2
    assert "INVALID" in r.output and "MATCH deny" in r.output  # the good definition still ran
    for text in expect:
        assert text in r.output


@pytest.mark.parametrize(
    ("option", "content", "expect"),
    [
        ("--resource", '{"type": ', "res-bad.json:1: not valid JSON"),
        ("--resource", '{"name": "x"}', "at /type"),
        ("--parameters", '{"effect": {"value": "Explode"}}', "allowedValues"),
        ("--context", '{"subscriptions": {"*": {"tags": {"a": [1]}}}}', "at /subscriptions/*/tags/a"),
        ("--assignment", '{"properties": {"policyDefinitionId": "vision-nope"}}', "no --definition gives"),
        ("--exemption", '{"properties": {"policyAssignmentId": "a"}}', "exemptionCategory"),
    ],
)
def test_eval_bad_inputs_exit_2_with_location(files, option, content, expect) -> None:
    bad = write(files["dir"] / "res-bad.json", content)
    args = ["eval", "--definition", str(files["def"]), "--resource", str(files["res"])]
    if option == "--resource":
        args[-1] = str(bad)
    else:
        args += [option, str(bad)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert expect in r.output and "res-bad.json" in r.output
    assert "Traceback" not in r.output


def test_eval_bad_subscription_tag_is_usage_error(files) -> None:
    r = CliRunner().invoke(cli, ["eval", "--definition", str(files["def"]), "--resource", str(files["res"]),
                                 "--subscription-tag", "sector"])
    assert r.exit_code == 2 and "K=V" in r.output


# -- clausegate test ---------------------------------------------------------------------------------

def make_test_folder(root, *, failing: bool = False):
    single = root / "vision"
    write(single / "vision.json", vision_definition())
    write(single / "tests" / "gpt4o-police.json", {
        "resource": deployment("gpt-4o"), "context": police_context(),
        "expect": {"result": "match", "effect": "deny"}})
    write(single / "tests" / "embedding-police.json", {
        "resource": deployment("text-embedding-3-large"), "context": police_context(),
        "expect": {"result": "match" if failing else "no-match"}})
    write(single / "tests" / "audit-param.json", {
        "resource": deployment("gpt-4o"), "context": police_context(), "parameters": {"effect": {"value": "Audit"}},
        "expect": {"result": "match", "effect": "audit"}})
    setdir = root / "set"
    write(setdir / "vision.json", vision_definition())
    write(setdir / "face.json", face_definition())
    write(setdir / "set.json", law_set())
    write(setdir / "face-deny.json", face_account())
    ok = deployment("gpt-4o", sub="22222222-2222-2222-2222-222222222222")
    write(setdir / "health-sub-none.json", ok)


def test_test_command_all_pass(tmp_path) -> None:
    make_test_folder(tmp_path)
    ctx = write(tmp_path.parent / f"{tmp_path.name}-ctx.json", police_context())
    r = invoke("test", str(tmp_path), "--context", str(ctx))
    assert r.exit_code == 0, r.output
    assert "5 case(s) in 2 folder(s): 5 passed, 0 failed" in r.output
    assert "PASS set/face-deny.json" in r.output


def test_test_command_failure_shows_trace_and_exits_1(tmp_path) -> None:
    make_test_folder(tmp_path, failing=True)
    r = invoke("test", str(tmp_path))
    assert r.exit_code == 1
    assert "FAIL vision/tests/embedding-police.json: expected match; got 1 no-match" in r.output
    assert "model.name 'text-embedding-3-large' is in parameter clearedModels" in r.output
    assert "trace /properties/policyRule/if/allOf/1" in r.output


def test_test_command_json_and_junit(tmp_path) -> None:
    make_test_folder(tmp_path, failing=True)
    ctx = str(write(tmp_path.parent / f"{tmp_path.name}-ctx.json", police_context()))
    r = invoke("test", str(tmp_path), "--format", "json", "--context", ctx)
    report = json.loads(r.stdout)
    jsonschema.Draft202012Validator(load_schema("report")).validate(report)
    assert report["summary"]["tests"] == {"total": 5, "passed": 4, "failed": 1, "folders": 2}
    r = invoke("test", str(tmp_path), "--format", "junit", "--context", ctx)
    assert 'failures="1"' in r.output and r.exit_code == 1


def test_test_command_bad_case_is_exit_2(tmp_path) -> None:
    make_test_folder(tmp_path)
    write(tmp_path / "vision" / "tests" / "broken.json", {"resource": {"type": "x"}, "expect": {"result": "maybe"}})
    r = invoke("test", str(tmp_path))
    assert r.exit_code == 2
    assert "broken.json at /expect/result: invalid test case" in r.output


def test_test_command_with_no_cases_is_bad_input(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    r = invoke("test", str(tmp_path))
    assert r.exit_code == 2 and "no policy test cases found" in r.output


def test_eval_sarif_and_junit_formats(files) -> None:
    base = ["eval", "--definition", str(files["def"]), "--resource", str(files["res"]),
            "--subscription-tag", "sector=police"]
    r = invoke(*base, "--format", "sarif")
    log = json.loads(r.stdout)
    assert log["version"] == "2.1.0" and log["runs"][0]["results"][0]["level"] == "error"
    assert r.exit_code == 1
    r = invoke(*base, "--format", "junit")
    assert '<failure message="the request would be denied"' in r.output and r.exit_code == 1
