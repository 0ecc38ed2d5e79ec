"""SARIF output of `check` validated against the official OASIS SARIF 2.1.0 schema (vendored, see SOURCE)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from generator.report import build_report
from generator.report.sarif import format_sarif
from tests.check.conftest import EXAMPLES, run_check

DATA = Path(__file__).parent / "data"
OASIS_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text("utf-8"))
POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]

# jsonschema checks "uri" only with the optional rfc3987 package (not installed); check what the
# schema asks for here instead: "uri" is absolute (has a scheme), "uri-reference" has no raw spaces.
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("uri", raises=ValueError)
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or (bool(urlsplit(value).scheme) and not re.search(r"\s", value))


@_FORMATS.checks("uri-reference", raises=ValueError)
def _is_uri_reference(value: object) -> bool:
    return not isinstance(value, str) or (not re.search(r"[\s\\]", value) and urlsplit(value) is not None)


def validate(log: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless ``log`` is valid SARIF 2.1.0 (Draft 4, as the schema says)."""
    assert OASIS_SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator(OASIS_SCHEMA, format_checker=_FORMATS).validate(log)


def test_vendored_schema_is_the_oasis_one() -> None:
    assert OASIS_SCHEMA["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert OASIS_SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]
    jsonschema.Draft4Validator.check_schema(OASIS_SCHEMA)


@pytest.mark.parametrize("folder, args", [
    ("azurerm-modules-for-each", ["."]),
    ("plan-nested-modules", ["plan.json", "--all"]),
    ("plan-azapi-unknowns", ["plan.json", "--fail-on", "undetermined"]),
    ("arm-template", ["template.json"]),
])
def test_check_sarif_is_valid_sarif_2_1_0(folder: str, args: list[str]) -> None:
    result = run_check([*args, *POLICE_US, "--format", "sarif"], cwd=EXAMPLES / folder)
    assert result.exit_code in (0, 1), result.output
    log = json.loads(result.stdout)
    validate(log)
    assert log["runs"][0]["results"], f"{folder}: no SARIF results"


def test_every_result_kind_and_suppression_is_valid() -> None:
    base = {"policyDefinitionName": "p", "effect": "deny", "message": "m"}
    results = [
        {**base, "resource": "a", "result": "match", "file": "dir/main.tf", "line": 3,
         "clauseId": "c1", "clauseSource": "https://example.org/code-of-conduct", "explanation": ["x"]},
        {**base, "resource": "b", "result": "undetermined", "policySetDefinitionName": "s",
         "policyDefinitionReferenceId": "r"},
        {**base, "resource": "c", "result": "error"},
        {**base, "resource": "d", "result": "not-applicable", "effect": "disabled"},
        {**base, "resource": "e", "result": "no-match"},
        {**base, "resource": "f", "result": "invalid", "definitionFile": "policies\\bad.json"},
        {**base, "resource": "g", "result": "match", "exemption": {"name": "ex", "category": "Waiver"}},
        {**base, "resource": "h", "result": "match", "enforcementMode": "DoNotEnforce"},
    ]
    log = json.loads(format_sarif(build_report(results, fail_on=["deny"])))
    validate(log)
    kinds = {r["properties"]["resource"]: r["kind"] for r in log["runs"][0]["results"]}
    assert kinds["b"] == "review" and kinds["d"] == "notApplicable"
    assert [s["status"] for s in log["runs"][0]["results"][6]["suppressions"]] == ["accepted"]


@pytest.mark.parametrize("broken", [
    {"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]},                          # driver without name
    {"version": "2.1", "runs": []},                                                     # wrong version
    {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                   "results": [{"message": {"text": "t"}, "level": "fatal"}]}]},
    {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "informationUri": "no scheme"}}}]},
])
def test_oasis_schema_rejects_broken_logs(broken: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_paths_with_spaces_are_encoded_uri_references() -> None:
    result = {"policyDefinitionName": "p", "effect": "deny", "message": "m", "resource": "a",
              "result": "match", "file": "my infra/main #1.tf", "line": 2}
    log = json.loads(format_sarif(build_report([result], fail_on=["deny"])))
    validate(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20infra/main%20%231.tf"


def _example_runs() -> list[tuple[str, list[str]]]:
    import yaml

    out = []
    for expected in sorted(EXAMPLES.glob("*/expected.yaml")):
        spec = yaml.safe_load(expected.read_text("utf-8"))
        out.append((expected.parent.name, [str(spec["input"]), *[str(a) for a in spec.get("args", [])]]))
    return out


@pytest.mark.parametrize("folder, args", _example_runs())
def test_every_example_traces_to_its_clause_in_sarif(folder: str, args: list[str], tmp_path: Path) -> None:
    """Every example: valid SARIF, ruleId, a located result with a line where the input has lines, a rule
    whose help quotes the clause, and partial fingerprints equal across two runs."""
    logs = []
    for i in range(2):
        out = tmp_path / f"run{i}.sarif"
        result = run_check([*args, "-o", "sarif", "--output-file", str(out)], cwd=EXAMPLES / folder)
        assert result.exit_code in (0, 1), result.output
        assert result.stdout == ""
        assert "evaluation(s)" in result.stderr  # the summary goes to stderr whatever the destination
        logs.append(json.loads(out.read_text("utf-8")))
    log = logs[0]
    validate(log)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    has_lines = (EXAMPLES / folder / "main.tf").exists() and args[0] == "."
    for res in run["results"]:
        assert res["ruleId"] in rules
        phys = res["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"]["uri"]
        if has_lines:
            assert phys["region"]["startLine"] >= 1
        rule = rules[res["ruleId"]]
        if res["properties"]["result"] in ("match", "undetermined"):
            assert '"' in rule["help"]["text"] and "> " in rule["help"]["markdown"]  # the quoted sentence
            assert "What to do:" in rule["help"]["markdown"]
            assert rule["properties"]["security-severity"]
    fingerprints = [[r["partialFingerprints"] for r in lg["runs"][0]["results"]] for lg in logs]
    assert fingerprints[0] == fingerprints[1]
    assert len({json.dumps(f) for f in fingerprints[0]}) == len(fingerprints[0])  # one per result


def test_warnings_are_tool_execution_notifications() -> None:
    result = run_check(["plan.json", "--format", "sarif"], cwd=EXAMPLES / "plan-nested-modules")
    log = json.loads(result.stdout)
    validate(log)
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("no source gives" in n["message"]["text"] for n in notes)
    assert "no source gives" in result.stderr  # and on stderr too
