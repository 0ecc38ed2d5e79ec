"""Issue 14 items 2 and 3 through the CLI: an unknown alias, a missing resource group context and a
missing subscription tag, each shown in `eval` text and JSON and in `clausegate test` output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

SUB = "11111111-2222-3333-4444-555555555555"
RID = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/st1"
STORAGE = {"id": RID, "type": "Microsoft.Storage/storageAccounts", "name": "st1", "location": "eastus",
           "properties": {"madeUpSetting": "on", "minimumTlsVersion": "TLS1_0"}}


def _definition(name: str, condition: dict) -> dict:
    return {"name": name, "properties": {"mode": "All", "policyRule": {
        "if": {"allOf": [{"field": "type", "equals": "Microsoft.Storage/storageAccounts"}, condition]},
        "then": {"effect": "deny"}}}}


UNKNOWN_ALIAS = _definition("unknown-alias", {"field": "Microsoft.Storage/storageAccounts/madeUpSetting",
                                              "equals": "on"})
RG_LOCATION = _definition("rg-location", {"value": "[resourceGroup().location]", "notEquals": "eastus"})
RG_TAG = _definition("rg-tag", {"value": "[resourceGroup().tags['owner']]", "equals": ""})
SUB_TAG = _definition("sub-tag", {"value": "[subscription().tags['sector']]", "equals": "police"})


def invoke(*args: str):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _eval(tmp_path: Path, definition: dict, fmt: str, *extra: str):
    d = _write(tmp_path / f"{definition['name']}.json", definition)
    r = _write(tmp_path / "resource.json", STORAGE)
    return invoke("eval", "--definition", d, "--resource", r, "--format", fmt, *extra)


def _test_folder(tmp_path: Path, definition: dict, expect: dict, context: dict | None = None) -> Path:
    folder = tmp_path / "policies" / definition["name"]
    _write(folder / "definition.json", definition)
    case: dict = {"resource": STORAGE, "expect": expect}
    if context is not None:
        case["context"] = context
    _write(folder / "tests" / "case.json", case)
    return folder


# -- unknown alias ------------------------------------------------------------------------------

ALIAS_WORDS = ("'Microsoft.Storage/storageAccounts/madeUpSetting' is not in the alias table",
               "clausegate aliases sync", "--aliases FILE")


def test_unknown_alias_is_undetermined_in_text_and_json(tmp_path: Path) -> None:
    text = _eval(tmp_path, UNKNOWN_ALIAS, "text")
    assert text.exit_code == 0  # undetermined is not a deny finding by default
    assert "UNDETERMINED deny unknown-alias" in text.output
    assert all(w in text.output for w in ALIAS_WORDS)
    report = json.loads(_eval(tmp_path, UNKNOWN_ALIAS, "json").stdout)
    [res] = report["results"]
    assert res["result"] == "undetermined" and res["effect"] == "deny"
    assert all(w in res["message"] for w in ALIAS_WORDS)
    failing = _eval(tmp_path, UNKNOWN_ALIAS, "json", "--fail-on", "undetermined")
    assert failing.exit_code == 1


def test_unknown_alias_in_policy_test_output(tmp_path: Path) -> None:
    folder = _test_folder(tmp_path, UNKNOWN_ALIAS, {"result": "match", "effect": "deny"})
    out = invoke("test", folder)
    assert out.exit_code == 1
    assert "FAIL tests/case.json: expected match deny; got undetermined deny" in out.output
    assert all(w in out.output for w in ALIAS_WORDS)
    report = json.loads(invoke("test", folder, "--format", "json").stdout)
    assert report["results"][0]["result"] == "undetermined"
    assert all(w in report["results"][0]["message"] for w in ALIAS_WORDS)
    ok = _test_folder(tmp_path / "ok", UNKNOWN_ALIAS, {"result": "undetermined", "effect": "deny"})
    assert invoke("test", ok).exit_code == 0


def test_aliases_file_resolves_it(tmp_path: Path) -> None:
    extra = _write(tmp_path / "extra.json", {"Microsoft.Storage/storageAccounts/madeUpSetting":
                                             "properties.madeUpSetting"})
    report = json.loads(_eval(tmp_path, UNKNOWN_ALIAS, "json", "--aliases", extra).stdout)
    assert report["results"][0]["result"] == "match"


# -- missing resource group context --------------------------------------------------------------

@pytest.mark.parametrize("definition,field", [(RG_LOCATION, "location"), (RG_TAG, "tags")])
def test_missing_resource_group_context_is_undetermined(tmp_path: Path, definition: dict, field: str) -> None:
    want = f"resourceGroup().{field} is unknown: no context gives resource group rg-app"
    text = _eval(tmp_path, definition, "text")
    assert f"UNDETERMINED deny {definition['name']}" in text.output and want in text.output
    [res] = json.loads(_eval(tmp_path, definition, "json").stdout)["results"]
    assert res["result"] == "undetermined" and want in res["message"]
    # With the group in the context the value is known (its tags are then given, absent ones absent).
    ctx = _write(tmp_path / "ctx.json", {"resourceGroups": {"rg-app": {"location": "westeurope", "tags": {}}}})
    [res] = json.loads(_eval(tmp_path, definition, "json", "--context", ctx).stdout)["results"]
    assert res["result"] == "match"

    folder = _test_folder(tmp_path, definition, {"result": "match", "effect": "deny"})
    out = invoke("test", folder)
    assert out.exit_code == 1 and "got undetermined deny" in out.output and want in out.output
    known = _test_folder(tmp_path / "known", definition, {"result": "match", "effect": "deny"},
                         {"resourceGroups": {"rg-app": {"location": "westeurope"}}})
    assert invoke("test", known).exit_code == 0


# -- missing subscription tag: absent (CONTRACTS), with a warning ----------------------------------

def test_missing_subscription_tag_is_absent_with_a_warning(tmp_path: Path) -> None:
    warn = "the policy reads subscription tag 'sector', which no context gives (evaluated as missing)"
    text = _eval(tmp_path, SUB_TAG, "text")
    assert "no-match deny sub-tag" in text.output and warn in text.output
    report = json.loads(_eval(tmp_path, SUB_TAG, "json").stdout)
    assert report["results"][0]["result"] == "no-match"
    assert any(warn in w for w in report["warnings"])
    report = json.loads(_eval(tmp_path, SUB_TAG, "json", "--subscription-tag", "sector=police").stdout)
    assert report["results"][0]["result"] == "match" and not report.get("warnings")

    folder = _test_folder(tmp_path, SUB_TAG, {"result": "no-match"})
    out = invoke("test", folder)
    assert out.exit_code == 0 and "PASS tests/case.json" in out.output and warn in out.output
    report = json.loads(invoke("test", folder, "--format", "json").stdout)
    assert report["results"][0]["result"] == "no-match" and any(warn in w for w in report["warnings"])
