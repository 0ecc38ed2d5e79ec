"""`clausegate exempt`: suppression is an Azure Policy exemption, honoured offline by check and eval."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from tests.check.conftest import EXAMPLES, run_check

SUB = "/subscriptions/11111111-2222-3333-4444-555555555555"
PLAN = EXAMPLES / "plan-nested-modules" / "plan.json"
POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]


def exempt(tmp_path: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["exempt", "--out", str(tmp_path / "ex"), *args], catch_exceptions=False)


def test_exemption_needs_reason_and_expiry(tmp_path: Path) -> None:
    base = ["--clause", "us-police", "--scope", SUB, "--category", "Waiver"]
    r = exempt(tmp_path, *base, "--expires", "2099-01-01")
    assert r.exit_code == 2 and "--reason" in r.output
    r = exempt(tmp_path, *base, "--reason", "because")
    assert r.exit_code == 2 and "--expires" in r.output
    r = exempt(tmp_path, *base, "--reason", "because", "--expires", "2001-01-01")
    assert r.exit_code == 2 and "in the past" in r.output
    r = exempt(tmp_path, "--clause", "nope", "--scope", SUB, "--category", "Waiver", "--reason", "x",
               "--expires", "2099-01-01")
    assert r.exit_code == 2 and "us-police" in r.output
    assert not (tmp_path / "ex").exists()


def test_exemption_files_for_publish_and_terraform(tmp_path: Path) -> None:
    r = exempt(tmp_path, "--clause", "us-police", "--scope", SUB, "--category", "Mitigated",
               "--expires", "2099-01-31", "--reason", "text-only use, reviewed", "--name", "pilot")
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "ex" / "pilot.json").read_text("utf-8"))
    props = doc["properties"]
    assert props["policyAssignmentId"] == f"{SUB}/providers/Microsoft.Authorization/policyAssignments/aoai-law-enforcement"
    assert props["policyDefinitionReferenceIds"] == ["us-police"]
    assert props["expiresOn"] == "2099-01-31T23:59:59Z" and props["exemptionCategory"] == "Mitigated"
    assert props["description"] == "text-only use, reviewed" and doc["scope"] == SUB
    tf = (tmp_path / "ex" / "pilot.tf").read_text("utf-8")
    assert '"pilot" = {' in tf and f'scope_id                        = "{SUB}"' in tf
    # publish reads the same file as it is
    from generator.azure.publish import load_exemption_files

    assert load_exemption_files([str(tmp_path / "ex" / "pilot.json")])[0]["name"] == "pilot"
    # below a subscription: a resource naming the module's assignment
    r = exempt(tmp_path, "--clause", "us-police", "--scope", f"{SUB}/resourceGroups/rg-a", "--category", "Waiver",
               "--expires", "2099-01-31", "--reason", "r")
    assert r.exit_code == 0
    tf = (tmp_path / "ex" / "us-police-rg-a.tf").read_text("utf-8")
    assert 'resource "azurerm_resource_group_policy_exemption"' in tf and "policy_assignment_id" in tf


def test_check_honours_the_exemption_without_an_assignment_file(tmp_path: Path) -> None:
    assert run_check([str(PLAN), *POLICE_US, "--fail-on", "undetermined"]).exit_code == 1
    for clause in ("us-police", "mobile-realtime-fr"):
        assert exempt(tmp_path, "--clause", clause, "--scope", SUB, "--category", "Waiver",
                      "--expires", "2099-01-31", "--reason", "r").exit_code == 0
    result = run_check([str(PLAN), *POLICE_US, "--exemption", str(tmp_path / "ex"), "-o", "json",
                        "--fail-on", "undetermined"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["exempt"] == 4
    assert all(r.get("exemption") for r in report["results"] if r["result"] != "no-match")
    # an exemption elsewhere exempts nothing here
    other = tmp_path / "other"
    CliRunner().invoke(cli, ["exempt", "--out", str(other), "--clause", "us-police", "--scope",
                             "/subscriptions/99999999-2222-3333-4444-555555555555", "--category", "Waiver",
                             "--expires", "2099-01-31", "--reason", "r"])
    assert run_check([str(PLAN), *POLICE_US, "--exemption", str(other)]).exit_code == 1


def test_expired_exemption_stops_applying_and_is_reported(tmp_path: Path) -> None:
    assert exempt(tmp_path, "--clause", "us-police", "--scope", SUB, "--category", "Waiver",
                  "--expires", "2099-01-31", "--reason", "r", "--name", "old").exit_code == 0
    path = tmp_path / "ex" / "old.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["properties"]["expiresOn"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = run_check([str(PLAN), *POLICE_US, "--exemption", str(path), "-o", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"]["exempt"] == 0
    assert any("exemption old" in w and "expired" in w for w in report["warnings"])
    assert "expired" in result.stderr


def test_bad_yaml_exemption_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "ex.yaml"
    bad.write_text("name: x\nproperties:\n  policyAssignmentId: [unclosed\n", encoding="utf-8")
    result = run_check([str(PLAN), "--exemption", str(bad)])
    assert result.exit_code == 2
    line = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(line) == 1 and "ex.yaml:" in line[0]


def test_eval_honours_the_exemption_too(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    policies = repo / "modules" / "aoai-law-enforcement-definitions" / "policies"
    resource = tmp_path / "r.json"
    resource.write_text(json.dumps({
        "id": f"{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/deployments/d",
        "type": "Microsoft.CognitiveServices/accounts/deployments", "name": "a/d",
        "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}}), encoding="utf-8")
    args = ["eval", "--definition", str(policies), "--resource", str(resource), *POLICE_US, "-o", "json"]
    before = CliRunner().invoke(cli, args)
    assert before.exit_code == 1, before.output
    assert exempt(tmp_path, "--clause", "us-police", "--scope", f"{SUB}/resourceGroups/rg", "--category", "Waiver",
                  "--expires", "2099-01-31", "--reason", "r").exit_code == 0
    after = CliRunner().invoke(cli, [*args, "--exemption", str(tmp_path / "ex")])
    report = json.loads(after.stdout)
    us = [r for r in report["results"] if r.get("policyDefinitionReferenceId") == "us-police" and r["result"] == "match"]
    assert us and all(r.get("exemption") for r in us)
