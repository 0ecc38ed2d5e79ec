"""Issue 20 (engine part) and issue 14 items 4-6: unknown names are bad input, a broken synced alias cache
is a warning, every current effect is accepted, authoring limits and string sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.engine.policies import compile_definition
from generator.errors import PolicyCompileError

DEF = {"name": "tls", "properties": {"mode": "All", "parameters": {
    "effect": {"type": "String", "defaultValue": "Deny"}},
    "policyRule": {"if": {"field": "type", "equals": "Microsoft.Storage/storageAccounts"},
                   "then": {"effect": "[parameters('effect')]"}}}}
RES = {"type": "Microsoft.Storage/storageAccounts", "name": "s", "properties": {}}


def invoke(*args: object):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_unknown_parameter_name_is_bad_input_for_eval(tmp_path: Path) -> None:
    d, r = _write(tmp_path / "d.json", DEF), _write(tmp_path / "r.json", RES)
    params = _write(tmp_path / "p.json", {"efect": {"value": "Audit"}})
    res = invoke("eval", "--definition", d, "--resource", r, "--parameters", params)
    assert res.exit_code == 2
    assert "'efect'" in res.output and "p.json" in res.output
    ok = _write(tmp_path / "ok.json", {"effect": {"value": "Audit"}})
    assert invoke("eval", "--definition", d, "--resource", r, "--parameters", ok).exit_code == 0


def test_unknown_parameter_name_is_bad_input_for_test(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    _write(folder / "definition.json", DEF)
    _write(folder / "tests" / "case.json", {"resource": RES, "parameters": {"efect": "Audit"},
                                            "expect": {"result": "match", "effect": "audit"}})
    res = invoke("test", folder)
    assert res.exit_code == 2 and "'efect'" in res.output


def test_unknown_mode_is_invalid_with_its_pointer(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(DEF))
    bad["properties"]["mode"] = "Everything"
    with pytest.raises(PolicyCompileError) as err:
        compile_definition(bad)
    assert err.value.pointer == "/properties/mode" and "'Everything'" in err.value.message
    res = invoke("eval", "--definition", _write(tmp_path / "d.json", bad), "--resource", _write(tmp_path / "r.json", RES))
    assert res.exit_code == 2 and "unknown mode 'Everything'" in res.output
    for mode in ("all", "Indexed", "Microsoft.Kubernetes.Data", "Microsoft.KeyVault.Data"):
        bad["properties"]["mode"] = mode
        compile_definition(bad)


def test_broken_synced_alias_cache_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "aliases.json").write_text('{"types": [1, 2', encoding="utf-8")
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(cache))
    d, r = _write(tmp_path / "d.json", DEF), _write(tmp_path / "r.json", RES)
    res = invoke("eval", "--definition", d, "--resource", r, "--format", "json")
    assert res.exit_code == 1  # evaluated: the deny matches
    report = json.loads(res.stdout)
    [warning] = [w for w in report["warnings"] if "synced alias table" in w]
    assert str(cache / "aliases.json") in warning and "clausegate aliases sync" in warning


@pytest.mark.parametrize("effect", ["AuditAction", "DenyAction", "addToNetworkGroup", "Manual", "Mutate"])
def test_every_current_effect_compiles(effect: str) -> None:
    doc = json.loads(json.dumps(DEF))
    doc["properties"]["policyRule"]["then"] = {"effect": effect, "details": {"actionNames": ["delete"]}}
    compile_definition(doc)


def test_audit_action_reports_what_it_would_audit(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(DEF))
    doc["properties"]["parameters"]["effect"] = {"type": "String", "allowedValues": ["AuditAction", "DenyAction",
                                                                                     "Disabled"],
                                                 "defaultValue": "AuditAction"}
    doc["properties"]["policyRule"]["then"]["details"] = {"actionNames": ["delete"]}
    d, r = _write(tmp_path / "d.json", doc), _write(tmp_path / "r.json", RES)
    res = invoke("eval", "--definition", d, "--resource", r, "--action", "delete", "--format", "json")
    [result] = json.loads(res.stdout)["results"]
    assert (result["result"], result["effect"]) == ("match", "auditaction")
    assert "would be audited" in result["message"]


def test_a_string_over_azures_limit_is_an_evaluation_error() -> None:
    from engine_helpers import ev

    from generator.engine.values import EvaluationError

    with pytest.raises(EvaluationError, match="131,072"):
        ev({"value": "[padLeft('x', 200000, 'y')]", "equals": "x"})
    big = {"type": "Microsoft.Test/resourceType", "name": "n" * 140000}
    with pytest.raises(EvaluationError, match="131,072"):
        ev({"field": "name", "like": "n*"}, big)
    with pytest.raises(EvaluationError, match="131,072"):
        ev({"value": "[concat(field('name'), 'x')]", "equals": "x"}, big)


def test_like_does_not_backtrack() -> None:
    from engine_helpers import ev

    # A pattern built to backtrack (many '*') against a long non-matching string: linear here.
    pattern = "*a" * 40 + "*b"
    res = {"type": "Microsoft.Test/resourceType", "name": "a" * 100000}
    assert ev({"field": "name", "like": pattern}, res) is False
    assert ev({"field": "name", "like": "*a*a*"}, res) is True
    assert ev({"field": "name", "notLike": "A*"}, res) is False  # case ignored


def test_field_built_from_an_empty_parameter_selects_nothing() -> None:
    from engine_helpers import ev

    cond = {"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"}
    res = {"type": "Microsoft.Test/resourceType", "name": "r", "tags": {"env": "prod"}}
    assert ev(cond, res, parameters={"tagName": ""}) is True
    assert ev(cond, res, parameters={"tagName": "env"}) is False
    assert ev({"field": "[concat('tags[', parameters('tagName'), ']')]", "equals": ""}, res,
              parameters={"tagName": ""}) is True
