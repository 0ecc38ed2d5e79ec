"""The alias table: shipped data (every alias), per-type and per-API-version resolution, unknown aliases, extra files."""

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
    data = json.loads((REPO / "generator/engine/data/aliases/index.json").read_text(encoding="utf-8"))
    assert "jeircul/azure-policy-aliases" in data["source"] and "df5015aae9d8" in data["source"]
    assert data["sourceDate"] == "2026-08-21" and data["types"] > 1400 and data["aliases"] > 70000
    table = AliasTable.shipped()
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


def test_full_table_resolves_the_aliases_the_fallback_got_wrong():
    # Issue 14: sku.name, namespace-level aliases and child arrays are not properties.<rest>.
    table = AliasTable.shipped()
    vm = "Microsoft.Compute/virtualMachines"
    assert table.path_for(f"{vm}/sku.name", vm) == "properties.hardwareProfile.vmSize"
    assert table.path_for("Microsoft.Compute/imagePublisher", vm) == "properties.storageProfile.imageReference.publisher"
    nsg = "Microsoft.Network/networkSecurityGroups"
    assert table.path_for(f"{nsg}/securityRules[*].description", nsg) == \
        "properties.securityRules[*].properties.description"


def test_unknown_alias_is_unknown_with_a_message_naming_it():
    from generator.engine.conditions import compile_condition
    from generator.engine.values import UNKNOWN

    res = {"type": "Microsoft.Storage/storageAccounts", "properties": {"madeUp": "TLS1_0"}}
    scope = make_scope(res)
    cond = compile_condition({"field": "Microsoft.Storage/storageAccounts/madeUp", "equals": "TLS1_0"}, "/if")
    assert cond.evaluate(scope) is UNKNOWN
    assert len(scope.unknown_reasons) == 1
    assert "'Microsoft.Storage/storageAccounts/madeUp'" in scope.unknown_reasons[0]
    assert "clausegate aliases sync" in scope.unknown_reasons[0] and "--aliases FILE" in scope.unknown_reasons[0]
    cond.evaluate(scope)
    assert len(scope.unknown_reasons) == 1  # once per scope
    count = compile_condition({"count": {"field": "Microsoft.Storage/storageAccounts/madeUp[*]"}, "equals": 0}, "/if")
    assert count.evaluate(scope) is UNKNOWN


def test_per_api_version_paths_from_a_synced_table(tmp_path):
    synced = {"types": {"Microsoft.Contoso/widgets": {"Microsoft.Contoso/widgets/colour": "properties.colour"}},
              "versions": {"Microsoft.Contoso/widgets": {"Microsoft.Contoso/widgets/colour": [
                  {"apiVersions": ["2020-01-01"], "path": "properties.legacy.colour"}]}}}
    f = tmp_path / "synced.json"
    f.write_text(json.dumps(synced))
    table = AliasTable.shipped().merged(AliasTable.from_file(f))
    w = "Microsoft.Contoso/widgets"
    assert table.path_for(f"{w}/colour", w, "2020-01-01") == "properties.legacy.colour"
    assert table.path_for(f"{w}/colour", w, "2024-01-01") == "properties.colour"
    from engine_helpers import make_scope as ms
    from generator.engine.conditions import compile_condition

    cond = compile_condition({"field": f"{w}/colour", "equals": "red"}, "/if")
    old = {"type": w, "apiVersion": "2020-01-01", "properties": {"legacy": {"colour": "red"}, "colour": "blue"}}
    s1 = ms(old, aliases=table, request_context={"apiVersion": "2020-01-01"})
    assert cond.evaluate(s1) is True
    s2 = ms(old, aliases=table, request_context={"apiVersion": "2024-01-01"})
    assert cond.evaluate(s2) is False


def test_synced_table_overrides_the_shipped_one(tmp_path):
    dep = DEP
    f = tmp_path / "synced.json"
    f.write_text(json.dumps({"types": {dep: {f"{dep}/model.name": "properties.other.name"}}}))
    table = AliasTable.shipped().merged(AliasTable.from_file(f))
    assert table.path_for(f"{dep}/model.name", dep) == "properties.other.name"
    assert table.path_for(f"{dep}/sku.name", dep) == "sku.name"  # the rest of the type is kept


def test_broken_synced_cache_is_ignored_with_a_warning(tmp_path, monkeypatch):
    from generator.engine import aliases as mod

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "aliases.json").write_text("{broken")
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(cache))
    table = mod.AliasTable.default()
    assert len(table.warnings) == 1
    assert str(cache / "aliases.json") in table.warnings[0] and "clausegate aliases sync" in table.warnings[0]
    assert table.path_for(f"{DEP}/model.name", DEP) == "properties.model.name"


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
    out = tmp_path / "aliases"
    subprocess.run(
        [sys.executable, str(REPO / "bench/build_alias_table.py"), "--shared", str(shared_dir), "--out", str(out)],
        check=True, capture_output=True,
    )
    shipped = REPO / "generator/engine/data/aliases"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in shipped.iterdir())
    for p in out.iterdir():
        assert p.read_bytes() == (shipped / p.name).read_bytes(), p.name


def test_sync_parser_keeps_per_version_paths():
    import io

    from generator.azure.aliases_sync import parse_providers_versions

    answer = {"namespace": "Microsoft.Contoso", "resourceTypes": [{"resourceType": "widgets", "aliases": [
        {"name": "Microsoft.Contoso/widgets/colour", "defaultPath": "properties.colour",
         "paths": [{"path": "properties.legacy.colour", "apiVersions": ["2019-01-01", "2020-01-01"]},
                   {"path": "properties.colour", "apiVersions": ["2024-01-01"]}]},
        {"name": "Microsoft.Contoso/widgets/size", "paths": [{"path": "properties.size", "apiVersions": ["x"]}]}]}]}
    types, versions, namespaces, next_link = parse_providers_versions(io.BytesIO(json.dumps(answer).encode()), "")
    w = "Microsoft.Contoso/widgets"
    assert types[w] == {f"{w}/colour": "properties.colour", f"{w}/size": "properties.size"}
    assert versions == {w: {f"{w}/colour": [{"apiVersions": ["2019-01-01", "2020-01-01"],
                                             "path": "properties.legacy.colour"}]}}
    assert namespaces == ["Microsoft.Contoso"] and next_link is None
    table = AliasTable.from_data({"types": types, "versions": versions})
    assert table.path_for(f"{w}/colour", w, "2019-01-01") == "properties.legacy.colour"
