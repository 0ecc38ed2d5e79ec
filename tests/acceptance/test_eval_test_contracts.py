"""CONTRACTS.md from the outside: exit codes, bad input, JSON shape of `eval` and `test`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.acceptance.helpers import POLICIES, REPO, run, write_json

SUB = "11111111-2222-3333-4444-555555555555"
DEPLOYMENT = {
    "id": f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.CognitiveServices/accounts/a/deployments/d",
    "type": "Microsoft.CognitiveServices/accounts/deployments", "name": "a/d",
    "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}},
}
STORAGE_DEF = {"name": "no-public", "properties": {
    "mode": "All",
    "parameters": {"effect": {"type": "String", "defaultValue": "Deny", "allowedValues": ["Deny", "Audit"]}},
    "policyRule": {"if": {"allOf": [{"field": "type", "equals": "Microsoft.Storage/storageAccounts"},
                                    {"field": "Microsoft.Storage/storageAccounts/allowBlobPublicAccess",
                                     "equals": True}]},
                   "then": {"effect": "[parameters('effect')]"}}}}
PUBLIC = {"type": "Microsoft.Storage/storageAccounts", "name": "s", "location": "eastus",
          "properties": {"allowBlobPublicAccess": True}}
PRIVATE = {**PUBLIC, "properties": {"allowBlobPublicAccess": False}}


@pytest.fixture
def resource(tmp_path: Path) -> Path:
    return write_json(tmp_path / "resource.json", DEPLOYMENT)


@pytest.fixture
def rg_context(tmp_path: Path) -> Path:
    # The resource group with no tags: without an entry its tags would be unknown (issue 14).
    return write_json(tmp_path / "context.json", {"resourceGroups": {"rg1": {"location": "eastus", "tags": {}}}})


@pytest.mark.parametrize("option", ["--context", "--parameters", "--resource"])
@pytest.mark.parametrize("content", ["", "   \n", "# only a comment\n"])
def test_empty_input_file_is_bad_input(tmp_path: Path, resource: Path, option: str, content: str) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text(content, encoding="utf-8")
    args = {"--resource": resource}
    args[option] = empty
    proc = run("eval", "--definition", POLICIES, *[x for kv in args.items() for x in kv])
    assert proc.returncode == 2
    assert "empty.yaml" in proc.stderr


def test_eval_json_matches_contract_and_schema(resource: Path, rg_context: Path) -> None:
    proc = run("eval", "--definition", POLICIES, "--resource", resource, "--subscription-tag", "sector=police",
               "--context", rg_context, "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    schema = json.loads((REPO / "generator" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    assert report["schemaVersion"] == 1
    assert len(report["results"]) == 2  # every evaluation, no-match included
    for r in report["results"]:
        for key in ("resource", "policyDefinitionName", "result", "effect", "message", "trace", "definitionFile"):
            assert key in r
        assert r["policySetDefinitionName"] == "aoai-law-enforcement"
        assert r["clauseId"] == r["policyDefinitionReferenceId"]
    s = report["summary"]
    assert s["results"]["match"] == 1 and s["results"]["no-match"] == 1
    assert s["effects"] == {"deny": 2}
    assert s["resources"] == {"read": 1, "skipped": 0, "checked": 1}


def _test_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "policy"
    write_json(folder / "definition.json", STORAGE_DEF)
    write_json(folder / "tests" / "public-deny.json", PUBLIC)
    write_json(folder / "tests" / "private-none.json", PRIVATE)
    write_json(folder / "tests" / "audit.json", {"resource": PUBLIC, "parameters": {"effect": "Audit"},
                                                 "expect": {"result": "match", "effect": "audit"}})
    return folder


@pytest.mark.parametrize("fail_on", [[], ["deny"], ["deny", "error"], ["audit"], ["undetermined"]])
def test_passing_policy_tests_exit_0_whatever_fail_on(tmp_path: Path, fail_on: list[str]) -> None:
    # The default is "deny and error"; naming it explicitly must not turn expected denials into failures.
    folder = _test_folder(tmp_path)
    proc = run("test", folder, *[x for w in fail_on for x in ("--fail-on", w)])
    assert proc.returncode == 0, proc.stdout
    assert "3 passed, 0 failed" in proc.stdout


def test_failing_policy_test_exits_1(tmp_path: Path) -> None:
    folder = _test_folder(tmp_path)
    write_json(folder / "tests" / "wrong-none.json", PUBLIC)
    for extra in ([], ["--fail-on", "audit"]):
        proc = run("test", folder, *extra)
        assert proc.returncode == 1
        assert "FAIL tests/wrong-none.json" in proc.stdout


@pytest.mark.parametrize("content", [b"[]", b"\"text\"", b"", b"\xff\xfe", b"{\"a\": "])
def test_unreadable_bare_case_is_reported_not_a_crash(tmp_path: Path, content: bytes) -> None:
    folder = _test_folder(tmp_path)
    (folder / "broken-deny.json").write_bytes(content)   # a bare case next to the definition
    proc = run("test", folder, "--format", "json")
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    broken = [t for t in report["tests"] if t["case"] == "broken-deny.json"]
    assert broken and not broken[0]["passed"]
    assert report["summary"]["tests"]["passed"] == 3


def test_epac_set_members_by_name_evaluate(tmp_path: Path, resource: Path, rg_context: Path) -> None:
    # `generate --target epac` writes sets whose members carry policyDefinitionName (EPAC's shape).
    out = tmp_path / "out"
    gen = run("generate", "--out", out, "--target", "epac")
    assert gen.returncode == 0, gen.stderr
    proc = run("eval", "--definition", out / "epac" / "Definitions", "--resource", resource,
               "--subscription-tag", "sector=police", "--context", rg_context, "--format", "json")
    assert proc.returncode == 1, proc.stdout
    report = json.loads(proc.stdout)
    assert [(r["policyDefinitionReferenceId"], r["result"]) for r in report["results"]] == [
        ("us-police", "no-match"), ("mobile-realtime-fr", "match")]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    # Windows PowerShell writes UTF-8 with a BOM; ARM accepts it, so must eval and test.
    bom = b"\xef\xbb\xbf"
    definition = tmp_path / "definition.json"
    definition.write_bytes(bom + json.dumps(STORAGE_DEF).encode())
    resource = tmp_path / "resource.json"
    resource.write_bytes(bom + json.dumps(PUBLIC).encode())
    context = tmp_path / "context.json"
    context.write_bytes(bom + b'{"subscriptions": {"*": {"tags": {"a": "b"}}}}')
    proc = run("eval", "--definition", definition, "--resource", resource, "--context", context, "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [r["result"] for r in json.loads(proc.stdout)["results"]] == ["match"]
    folder = _test_folder(tmp_path)
    (folder / "tests" / "bom-deny.json").write_bytes(bom + json.dumps(PUBLIC).encode())
    proc = run("test", folder)
    assert proc.returncode == 0 and "4 passed, 0 failed" in proc.stdout, proc.stdout


def test_a_definition_named_twice_is_evaluated_once(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    definition = write_json(folder / "definition.json", STORAGE_DEF)
    resource = write_json(tmp_path / "resource.json", PUBLIC)
    for defs in ([definition, definition], [folder, definition], [folder, folder / "." / "definition.json"]):
        proc = run("eval", *[x for d in defs for x in ("--definition", d)], "--resource", resource,
                   "--format", "json")
        assert proc.returncode == 1
        report = json.loads(proc.stdout)
        assert [r["policyDefinitionName"] for r in report["results"]] == ["no-public"], defs
        assert report["summary"]["total"] == 1


def test_yaml_context_keeps_tag_values_as_written(tmp_path: Path, resource: Path) -> None:
    # Azure tag values are text: `jurisdiction: NO` (Norway) must not become false, a date stays as
    # written, and an empty `tags:` means no tags.
    context = tmp_path / "context.yaml"
    context.write_text(
        "subscriptions:\n"
        "  '*':\n"
        "    tags:\n"
        "      sector: police\n"
        "      jurisdiction: NO\n"
        "      since: 2024-01-01\n"
        "      camera-context: yes\n"
        f"  {SUB}:\n"
        "    displayName: 1234\n"
        "resourceGroups:\n"
        "  rg1:\n"
        "    tags:\n", encoding="utf-8")
    proc = run("eval", "--definition", POLICIES, "--resource", resource, "--context", context, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    explained = " ".join(e for r in report["results"] for e in r["explanation"])
    assert "jurisdiction='NO'" in explained
    assert "'yes'" in explained
    assert [(r["policyDefinitionReferenceId"], r["result"]) for r in report["results"]] == [
        ("us-police", "no-match"), ("mobile-realtime-fr", "match")]
