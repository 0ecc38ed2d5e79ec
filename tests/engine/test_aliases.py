"""The alias table: shipped data, per-type resolution, fallback with a warning, extra files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.engine.aliases import STAR, AliasTable, parse_path, split_alias

from engine_helpers import ev, make_scope

REPO = Path(__file__).resolve().parents[2]
DEP = "Microsoft.CognitiveServices/accounts/deployments"


def test_parse_path_and_split_alias():
    assert parse_path("properties.rules[*].matchPatterns[*].path") == ("properties", "rules", STAR, "matchPatterns", STAR, "path")
    assert parse_path("tags['a.b']") == ("tags", "a.b")
    assert split_alias(f"{DEP}/model.name") == (DEP, "model.name")
    assert split_alias("Microsoft.Web/sites/config/web.ipSecurityRestrictions[*].ipAddress")[1] == "web.ipSecurityRestrictions[*].ipAddress"


def test_shipped_table_has_source_and_target_types():
    data = json.loads((REPO / "generator/engine/data/aliases.json").read_text(encoding="utf-8"))
    assert "jeircul/azure-policy-aliases" in data["source"] and "df5015aae9d8" in data["source"]
    table = AliasTable.default()
    assert table.path_for(f"{DEP}/model.name", DEP) == "properties.model.name"
    assert table.path_for(f"{DEP}/sku.name", DEP) == "sku.name"
    assert "microsoft.resources/subscriptions/resourcegroups" in table.types


def test_table_path_is_used_and_lookup_ignores_case():
    res = {"type": DEP.lower(), "sku": {"name": "GlobalStandard"}, "properties": {"sku": {"name": "wrong"}}}
    assert ev({"field": f"{DEP}/SKU.NAME", "equals": "globalstandard"}, res) is True


def test_alias_of_another_type_is_missing():
    res = {"type": DEP, "sku": {"name": "S0"}}
    scope = make_scope(res)
    from generator.engine.conditions import compile_condition

    cond = compile_condition({"field": "Microsoft.CognitiveServices/accounts/sku.name", "exists": "false"}, "/if")
    assert cond.evaluate(scope) is True
    assert scope.warnings == []


def test_unknown_alias_falls_back_with_a_warning():
    from generator.engine.conditions import compile_condition

    res = {"type": "Microsoft.Storage/storageAccounts", "properties": {"minimumTlsVersion": "TLS1_0"}}
    scope = make_scope(res)
    cond = compile_condition({"field": "Microsoft.Storage/storageAccounts/minimumTlsVersion", "equals": "TLS1_0"}, "/if")
    assert cond.evaluate(scope) is True
    assert len(scope.warnings) == 1 and "properties.minimumTlsVersion" in scope.warnings[0]
    cond.evaluate(scope)
    assert len(scope.warnings) == 1  # once per scope


def test_extra_alias_file(tmp_path):
    extra = tmp_path / "aliases.json"
    extra.write_text(json.dumps({"Microsoft.Storage/storageAccounts/tls": "properties.minimumTlsVersion"}))
    table = AliasTable.with_extra(extra)
    res = {"type": "Microsoft.Storage/storageAccounts", "properties": {"minimumTlsVersion": "TLS1_2"}}
    scope = make_scope(res, aliases=table)
    from generator.engine.conditions import compile_condition

    assert compile_condition({"field": "Microsoft.Storage/storageAccounts/tls", "equals": "TLS1_2"}, "/if").evaluate(scope) is True
    assert scope.warnings == []
    assert table.path_for(f"{DEP}/model.name", DEP) == "properties.model.name"  # shipped entries kept


def test_bad_alias_file(tmp_path):
    from generator.errors import InputError

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        AliasTable.from_file(bad)


@pytest.mark.shared
def test_build_script_reproduces_shipped_table(shared_dir, tmp_path):
    out = tmp_path / "aliases.json"
    subprocess.run(
        [sys.executable, str(REPO / "bench/build_alias_table.py"), "--shared", str(shared_dir), "--out", str(out)],
        check=True, capture_output=True,
    )
    assert out.read_bytes() == (REPO / "generator/engine/data/aliases.json").read_bytes()
