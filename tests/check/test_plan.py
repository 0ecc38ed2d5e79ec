"""Plan reading: actions, after_unknown, references through configuration and modules, bad plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.errors import InputError
from generator.terraform import UNKNOWN
from generator.terraform.plan import action_of, merge_unknown, read_plan, resolve_refs, _module_config

SUB = "11111111-2222-3333-4444-555555555555"


def _plan(changes: list[dict[str, Any]], configuration: dict[str, Any] | None = None, version: str = "1.2") -> dict[str, Any]:
    return {"format_version": version, "terraform_version": "1.9.8", "planned_values": {"root_module": {}},
            "resource_changes": changes, "configuration": configuration or {"root_module": {}}}


def _change(address: str, tf_type: str, actions: list[str], after: Any, unknown: Any = None, **extra: Any) -> dict[str, Any]:
    name = address.split(".")[-1].split("[")[0]
    return {"address": address, "mode": "managed", "type": tf_type, "name": name, **extra,
            "change": {"actions": actions, "before": None, "after": after, "after_unknown": unknown or {}}}


def _write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_merge_unknown_marks_leaves_blocks_and_list_items() -> None:
    after = {"name": "d", "model": [{"format": "OpenAI", "name": "gpt-4o"}], "tags": {"a": "1"}}
    unknown = {"id": True, "model": [{"version": True}], "tags": {"b": True}, "sku": True}
    merged = merge_unknown(after, unknown)
    assert merged["id"] is UNKNOWN and merged["sku"] is UNKNOWN
    assert merged["model"] == [{"format": "OpenAI", "name": "gpt-4o", "version": UNKNOWN}]
    assert merged["tags"] == {"a": "1", "b": UNKNOWN}
    assert merge_unknown(["x"], [False, True]) == ["x", UNKNOWN]


@pytest.mark.parametrize("actions, expected", [
    (["create"], "create"), (["update"], "update"), (["no-op"], "no-op"), (["delete"], "delete"),
    (["delete", "create"], "create"), (["create", "delete"], "create"), (["read"], None), (["forget"], None),
])
def test_action_of(actions: list[str], expected: str | None) -> None:
    assert action_of(actions) == expected


def test_actions_decide_what_is_read(tmp_path: Path) -> None:
    plan = read_plan(_write(tmp_path, _plan([
        _change("azurerm_resource_group.a", "azurerm_resource_group", ["create"], {"name": "a"}),
        _change("azurerm_resource_group.b", "azurerm_resource_group", ["no-op"], {"name": "b"}),
        _change("azurerm_resource_group.c", "azurerm_resource_group", ["delete"], None),
        _change("azurerm_storage_account.s", "azurerm_storage_account", ["create"], {"name": "s"}),
        {"address": "data.x.y", "mode": "data", "type": "x", "name": "y", "change": {"actions": ["read"]}},
    ])))
    assert [(r.address, r.action) for r in plan.resources] == [("azurerm_resource_group.a", "create"),
                                                               ("azurerm_resource_group.b", "no-op")]
    assert plan.deleted == 1 and plan.skipped == {"azurerm_storage_account": 1} and plan.read == 4


def test_reference_through_module_variable_and_output() -> None:
    raw = {"module_calls": {"acct": {"source": "./acct", "expressions": {"rg": {"references": ["azurerm_resource_group.r.name", "azurerm_resource_group.r"]}},
                                     "module": {"outputs": {"id": {"expression": {"references": ["azurerm_cognitive_account.a.id", "azurerm_cognitive_account.a"]}}},
                                                "resources": [{"mode": "managed", "type": "azurerm_cognitive_account", "name": "a",
                                                               "expressions": {"resource_group_name": {"references": ["var.rg"]}}}]}}}}
    root = _module_config(raw)
    # in the root: module.acct.id -> the account's id inside the module
    assert resolve_refs(root, [], ["module.acct.id", "module.acct"]) == [("module.acct.azurerm_cognitive_account.a", "id")]
    # inside the module: var.rg -> the root's resource group name
    assert resolve_refs(root, [("acct", "")], ["var.rg"]) == [("azurerm_resource_group.r", "name")]
    # locals and data sources are not followed (never guessed)
    assert resolve_refs(root, [], ["local.x", "data.azurerm_client_config.c.subscription_id"]) == []


def test_repeated_module_output_without_key_is_not_guessed() -> None:
    raw = {"module_calls": {"m": {"for_each_expression": {"references": ["var.x"]}, "module": {
        "outputs": {"id": {"expression": {"references": ["azurerm_cognitive_account.a.id"]}}}}}}}
    root = _module_config(raw)
    assert resolve_refs(root, [], ["module.m.id"]) == []
    assert resolve_refs(root, [], ['module.m["k"].id']) == [('module.m["k"].azurerm_cognitive_account.a', "id")]


def test_unknown_account_id_places_the_deployment_through_configuration(tmp_path: Path) -> None:
    from generator.terraform.check import read_input

    changes = [
        _change("azurerm_resource_group.rg", "azurerm_resource_group", ["create"], {"name": "rg-x", "location": "eastus", "tags": {"camera-context": "stationary-controlled"}}, {"id": True}),
        _change("azurerm_cognitive_account.a", "azurerm_cognitive_account", ["create"], {"name": "acct", "kind": "OpenAI"}, {"id": True, "resource_group_name": True}),
        _change('azurerm_cognitive_deployment.d["x"]', "azurerm_cognitive_deployment", ["create"],
                {"name": "gpt-4", "model": [{"format": "OpenAI", "name": "gpt-4o", "version": "1"}]}, {"id": True, "cognitive_account_id": True}, index="x"),
    ]
    configuration = {"provider_config": {"azurerm": {"name": "azurerm", "expressions": {"subscription_id": {"constant_value": SUB}}}},
                     "root_module": {"resources": [
                         {"mode": "managed", "type": "azurerm_cognitive_account", "name": "a",
                          "expressions": {"resource_group_name": {"references": ["azurerm_resource_group.rg.name", "azurerm_resource_group.rg"]}}},
                         {"mode": "managed", "type": "azurerm_cognitive_deployment", "name": "d",
                          "expressions": {"cognitive_account_id": {"references": ["azurerm_cognitive_account.a.id", "azurerm_cognitive_account.a"]}}}]}}
    inp = read_input(_write(tmp_path, _plan(changes, configuration)))
    dep = list(inp.iter_items())[2]
    assert dep.resource["id"] == f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.CognitiveServices/accounts/acct/deployments/gpt-4"
    assert dep.resource["properties"]["model"]["name"] == "gpt-4o"
    assert inp.resource_groups == {f"{SUB}/rg-x": {"tags": {"camera-context": "stationary-controlled"}, "location": "eastus"}}


def test_unresolvable_parent_keeps_id_unknown(tmp_path: Path) -> None:
    from generator.terraform.check import read_input

    changes = [_change("azurerm_cognitive_deployment.d", "azurerm_cognitive_deployment", ["create"],
                       {"name": "d", "model": [{"format": "OpenAI", "name": "gpt-4o"}]}, {"cognitive_account_id": True})]
    inp = read_input(_write(tmp_path, _plan(changes)))
    item = next(inp.iter_items())
    assert item.resource["id"] is UNKNOWN and item.scope_id is None


@pytest.mark.parametrize("data, message", [
    (_plan([], version="2.0"), "unsupported plan format_version '2.0'"),
    ({"format_version": "1.0", "values": {"root_module": {}}}, "not a Terraform plan"),
])
def test_bad_plans(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_plan(_write(tmp_path, data))


def test_state_json_is_not_a_plan(tmp_path: Path) -> None:
    state = {"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"resources": []}}}
    with pytest.raises(InputError, match="looks like state"):
        read_plan(_write(tmp_path, state))


def test_plan_without_changes_is_fine(tmp_path: Path) -> None:
    plan = read_plan(_write(tmp_path, {"format_version": "1.2", "terraform_version": "1.9.8",
                                       "planned_values": {"root_module": {}}, "configuration": {"root_module": {}}}))
    assert plan.resources == [] and plan.read == 0


def test_key_order_does_not_matter(tmp_path: Path) -> None:
    # e.g. a plan re-written with `jq -S`: configuration first, format_version after resource_changes
    data = {"resource_changes": [_change("azurerm_resource_group.a", "azurerm_resource_group", ["create"], {"name": "a"})],
            "configuration": {"root_module": {}}, "format_version": "1.2"}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    assert [r.address for r in read_plan(str(path)).resources] == ["azurerm_resource_group.a"]


def test_azapi_resource_group_in_a_plan_gives_context(tmp_path: Path) -> None:
    from generator.terraform.check import read_input

    changes = [_change("azapi_resource.rg", "azapi_resource", ["create"],
                       {"type": "Microsoft.Resources/resourceGroups@2024-03-01", "name": "rg-a", "location": "eastus",
                        "parent_id": f"/subscriptions/{SUB}", "tags": {"camera-context": "stationary-controlled"}}, {"id": True})]
    inp = read_input(_write(tmp_path, _plan(changes)))
    assert inp.resource_groups == {f"{SUB}/rg-a": {"tags": {"camera-context": "stationary-controlled"}, "location": "eastus"}}
