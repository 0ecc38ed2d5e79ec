"""Output options for pipelines (CONTRACTS "Output options"): formats, files, stderr summary, quiet, colour."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from generator.report import load_schema
from generator.report.emit import OutputSpec, emit, use_color
from tests.check.conftest import EXAMPLES, run_check

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]
PLAN = EXAMPLES / "plan-nested-modules" / "plan.json"


def test_sarif_to_a_file_prints_summary_and_warnings_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "x.sarif"
    result = run_check([str(PLAN), "--format", "sarif", "--output-file", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "subscription tag 'sector'" in result.stderr and "no source gives" in result.stderr
    assert "evaluation(s)" in result.stderr.splitlines()[-2] or "evaluation(s)" in result.stderr
    assert json.loads(out.read_text("utf-8"))["version"] == "2.1.0"


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.sarif"
    result = run_check([str(PLAN), *POLICE_US, "-o", "sarif", "--output-file", str(out), "--quiet"])
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr == ""
    assert out.exists()


def test_json_on_stdout_keeps_stdout_clean() -> None:
    result = run_check([str(PLAN), "-o", "json"])
    json.loads(result.stdout)
    assert "evaluation(s)" in result.stderr


def test_several_formats_need_output_dir(tmp_path: Path) -> None:
    result = run_check([str(PLAN), *POLICE_US, "-o", "json", "-o", "sarif"])
    assert result.exit_code == 2 and "--output-dir" in result.output
    result = run_check([str(PLAN), *POLICE_US, "-o", "json", "-o", "sarif", "-o", "junit", "-o", "text",
                        "--output-dir", str(tmp_path / "reports")])
    assert result.exit_code == 1, result.output
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == ["clausegate.json", "clausegate.sarif", "clausegate.txt", "clausegate.xml"]
    assert "wrote " in result.stderr


@pytest.mark.parametrize("value, hint", [("json", "-o json"), ("report.txt", "--output-file report.txt")])
def test_old_output_option_is_refused_with_a_hint(tmp_path: Path, value: str, hint: str) -> None:
    result = run_check([str(PLAN), "--output", value], cwd=tmp_path)
    assert result.exit_code == 2
    assert hint in result.output and "--output-file" in result.output
    assert not (tmp_path / value).exists()


def test_unwritable_output_file_is_bad_input(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = run_check([str(PLAN), "--output-file", str(blocker / "sub" / "r.json"), "-o", "json"])
    assert result.exit_code == 2
    assert "cannot write" in result.output and "internal error" not in result.output


def test_fail_on_none_is_a_soft_fail() -> None:
    assert run_check([str(PLAN), *POLICE_US]).exit_code == 1
    result = run_check([str(PLAN), *POLICE_US, "--fail-on", "none", "-o", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["failOn"] == ["none"]
    assert run_check([str(PLAN), "--fail-on", "none", "--fail-on", "deny"]).exit_code == 2


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty(), None) is True
    assert use_color(io.StringIO(), None) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(Tty(), None) is False
    out, err = Tty(), Tty()
    report = {"schemaVersion": 1, "results": [], "warnings": ["w"], "failOn": ["deny"],
              "summary": {"total": 0, "results": {}, "effects": {}, "failing": 0,
                          "resources": {"read": 0, "checked": 0, "skipped": 0}}}
    emit(report, OutputSpec(formats=("json",), stdout=out, stderr=err))
    assert "\x1b[" not in err.getvalue()
    monkeypatch.delenv("NO_COLOR")
    err = Tty()
    emit(report, OutputSpec(formats=("json",), stdout=out, stderr=err))
    assert "\x1b[" in err.getvalue() and "warning: w" in err.getvalue()


def test_findings_carry_clause_title_quote_and_remediation() -> None:
    result = run_check([str(PLAN), *POLICE_US, "-o", "json"])
    report = json.loads(result.stdout)
    jsonschema.validate(report, load_schema("report"))
    match = next(r for r in report["results"] if r["result"] == "match")
    assert match["clauseTitle"] and match["clauseQuote"] and match["clauseSourceTitle"].startswith("Microsoft")
    assert "cleared: " in match["remediation"] and "{" not in match["remediation"]
    keys = list(match)
    assert keys.index("clauseTitle") == keys.index("clauseSource") + 1
    # trimmed to what decided: no "type X equals X", no switch that did not matter
    assert not any(line.startswith("type ") for line in match["explanation"])
    assert not any("treatScopeAsLawEnforcement" in line for line in match["explanation"])
    full = json.loads(run_check([str(PLAN), *POLICE_US, "-o", "json", "--explain"]).stdout)
    full_match = next(r for r in full["results"] if r["resource"] == match["resource"] and r["result"] == "match")
    assert len(full_match["explanation"]) > len(match["explanation"])


def test_undetermined_names_the_terraform_attribute() -> None:
    result = run_check([str(EXAMPLES / "plan-azapi-unknowns" / "plan.json"), *POLICE_US, "-o", "json"])
    report = json.loads(result.stdout)
    und = [r for r in report["results"] if r["result"] == "undetermined"]
    assert und
    for r in und:
        assert "field(" not in r["message"] and "[coalesce" not in r["message"]
    # values known only after apply are named in Terraform words (a resource group no context gives is
    # undetermined for another reason, with the engine's own message)
    after_apply = [r for r in und if "missing" in r]
    assert after_apply
    for r in after_apply:
        assert all(m.startswith(r["resource"] + ".") for m in r["missing"]), r["missing"]


def test_undetermined_azurerm_attribute_in_terraform_words(tmp_path: Path) -> None:
    from generator.report.findings import missing_values

    r = {"resource": "azurerm_cognitive_deployment.x", "trace": [
        {"pointer": "/if/allOf/1", "kind": "value", "outcome": "unknown",
         "subject": "[coalesce(field('Microsoft.CognitiveServices/accounts/deployments/model.name'), '')]"}]}
    assert missing_values(r) == ["azurerm_cognitive_deployment.x.model[0].name"]


def test_text_shows_quote_and_fix() -> None:
    result = run_check([str(PLAN), *POLICE_US])
    assert "fix: Deploy a text-only model" in result.stdout
    assert "source: Microsoft" in result.stdout
    assert "\x1b[" not in result.stdout  # piped: no colour


def test_eval_and_test_take_the_same_output_options(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import cli

    repo = Path(__file__).resolve().parents[2]
    policies = repo / "modules" / "aoai-law-enforcement-definitions" / "policies"
    r = CliRunner().invoke(cli, ["test", str(policies), "-o", "junit", "--output-file", str(tmp_path / "t.xml")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "t.xml").read_text("utf-8").startswith("<?xml")
    assert r.stdout == ""


def test_sarif_locations_of_a_folder_given_by_absolute_path_resolve(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "main.tf").write_text(
        'resource "azurerm_cognitive_deployment" "d" {\n  name = "d"\n  cognitive_account_id = '
        '"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/'
        'Microsoft.CognitiveServices/accounts/a"\n  model {\n    format = "OpenAI"\n    name = "gpt-4o"\n'
        '    version = "1"\n  }\n}\n', "utf-8")

    def uris(cwd: Path) -> set[str]:
        result = run_check([str(folder), "--subscription-tag", "sector=police", "--subscription-tag",
                            "jurisdiction=US", "-o", "sarif"], cwd=cwd)
        sarif = json.loads(result.stdout)
        return {loc["physicalLocation"]["artifactLocation"]["uri"]
                for res in sarif["runs"][0]["results"] for loc in res["locations"]}

    # from the folder's parent the file is cfg/main.tf; from elsewhere its absolute path, never "main.tf"
    assert uris(tmp_path) == {"cfg/main.tf"}
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    assert uris(elsewhere) == {(folder / "main.tf").as_posix()}
