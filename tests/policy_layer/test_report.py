"""Report building, exit codes (CONTRACTS), formatters and the shipped JSON Schema."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from generator.errors import InputError
from generator.report import Result, build_report, exit_code, formatters, load_schema


def r(word: str, effect: str = "deny", **extra) -> Result:
    res = Result(resource="res1", policyDefinitionName="p", result=word, effect=effect, message="m",
                 file="plan.json", line=3)
    for k, v in extra.items():
        setattr(res, k, v)
    return res


def validate(report: dict) -> None:
    jsonschema.Draft202012Validator(load_schema("report")).validate(report)


def test_summary_counts_and_schema() -> None:
    rep = build_report([r("match"), r("no-match"), r("no-match", "audit"), r("error", "audit")],
                       resources_read=2, skipped=1, checked=1)
    validate(rep)
    s = rep["summary"]
    assert s["total"] == 4
    assert s["results"]["match"] == 1 and s["results"]["no-match"] == 2 and s["results"]["invalid"] == 0
    assert s["effects"] == {"audit": 2, "deny": 2}
    assert s["resources"] == {"read": 2, "skipped": 1, "checked": 1}
    assert rep["schemaVersion"] == 1
    first = rep["results"][0]
    assert list(first)[:13] == ["resource", "file", "line", "definitionFile", "policyDefinitionName",
                                "policySetDefinitionName", "policyDefinitionReferenceId", "result", "effect",
                                "clauseId", "clauseSource", "message", "trace"]


def test_show_all_false_lists_only_findings_but_counts_all() -> None:
    rep = build_report([r("match"), r("no-match"), r("not-applicable")], show_all=False)
    assert [x["result"] for x in rep["results"]] == ["match", "not-applicable"]
    assert rep["summary"]["results"]["no-match"] == 1


@pytest.mark.parametrize(
    ("results", "fail_on", "code"),
    [
        ([r("match", "deny")], None, 1),
        ([r("match", "audit")], None, 0),
        ([r("match", "audit")], ["audit"], 1),
        ([r("match", "deny")], ["audit"], 0),
        ([r("error", "deny")], None, 1),          # implicit deny
        ([r("error", "audit")], None, 0),
        ([r("error", "audit")], ["error"], 1),
        ([r("undetermined", "deny")], None, 0),
        ([r("undetermined", "deny")], ["undetermined"], 1),
        ([r("no-match"), r("not-applicable")], ["deny", "audit", "error", "undetermined"], 0),
        ([r("match", "deny", exemption={"name": "x", "category": "Waiver", "expiresOn": None})], None, 0),
        ([r("match", "deny", enforcementMode="DoNotEnforce")], None, 0),
        ([r("match", "deny"), r("invalid", "unknown")], None, 2),   # highest wins
        ([r("match", "modify")], ["deny", "audit"], 0),
    ],
)
def test_exit_codes(results, fail_on, code) -> None:
    rep = build_report(results, fail_on=fail_on)
    assert exit_code(rep, fail_on) == code
    assert exit_code(rep) == code  # the recorded failOn gives the same answer


def test_unknown_fail_on_word_is_bad_input() -> None:
    with pytest.raises(InputError):
        build_report([], fail_on=["warn"])


def test_text_formatter_shows_explanation_exemption_and_summary() -> None:
    rep = build_report([
        r("match", explanation=["model.name 'gpt-4o' is not in parameter clearedModels"]),
        r("match", exemption={"name": "ex1", "category": "Waiver", "expiresOn": None}),
    ])
    text = formatters["text"](rep)
    assert "model.name 'gpt-4o' is not in parameter clearedModels" in text
    assert "exempt: Waiver ex1" in text
    assert "FAILS" in text.splitlines()[0]
    assert "2 evaluation(s): 2 match; 1 exempt, 1 failing" in text


def test_json_formatter_round_trips() -> None:
    rep = build_report([r("match")])
    assert json.loads(formatters["json"](rep)) == rep


def test_sarif_formatter() -> None:
    rep = build_report([r("match"), r("no-match"),
                        r("match", "audit", exemption={"name": "e", "category": "Mitigated", "expiresOn": None})])
    log = json.loads(formatters["sarif"](rep))
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert [x["kind"] for x in results] == ["fail", "pass", "fail"]
    assert results[0]["level"] == "error"
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert results[2]["suppressions"][0]["kind"] == "external"
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "p"


def test_junit_formatter() -> None:
    rep = build_report([r("match"), r("no-match"), r("not-applicable"), r("invalid", "unknown"),
                        r("match", "audit")])
    root = ET.fromstring(formatters["junit"](rep))
    assert root.get("tests") == "5"
    assert root.get("failures") == "1"     # deny match (default fail-on); the audit match does not fail
    assert root.get("errors") == "1"       # invalid
    assert root.get("skipped") == "1"


def test_shipped_schemas_are_valid_json_schemas() -> None:
    for name in ("report", "context", "policy-test"):
        jsonschema.Draft202012Validator.check_schema(load_schema(name))
