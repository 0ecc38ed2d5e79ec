"""Plan references through each.key, count.index, each.value.* and local.* (issue 5, configuration refs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.terraform import TfResource
from generator.terraform.tfconfig import expression_references, source_config
from generator.terraform.plan import _module_config, attach_locals, resolve_refs, resolve_resource_refs
from tests.check.conftest import EXAMPLES

ACC = "azurerm_cognitive_account.acc"


def _res(tf_type: str, name: str, exprs: dict[str, list[str]], for_each: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": "managed", "type": tf_type, "name": name,
                           "expressions": {k: {"references": v} for k, v in exprs.items()}}
    if for_each is not None:
        out["for_each_expression"] = {"references": for_each}
    return out


def _dep(index: Any, module: str = "", name: str = "d") -> TfResource:
    return TfResource(address=f"azurerm_cognitive_deployment.{name}", type="azurerm_cognitive_deployment",
                      name=name, module=module, index=index)


def test_each_key_index_names_the_instance_with_the_same_key() -> None:
    root = _module_config({"resources": [_res("azurerm_cognitive_deployment", "d", {"cognitive_account_id": [ACC, "each.key"]},
                                              for_each=["var.sites"])]})
    assert resolve_resource_refs(root, _dep("east")) == {"cognitive_account_id": [(f'{ACC}["east"]', "id")]}


def test_count_index_names_the_instance_with_the_same_index() -> None:
    root = _module_config({"resources": [_res("azurerm_cognitive_deployment", "d", {"cognitive_account_id": [ACC, "count.index"]})]})
    assert resolve_resource_refs(root, _dep(1)) == {"cognitive_account_id": [(f"{ACC}[1]", "id")]}


def test_resource_group_name_through_each_key_reads_the_groups_name() -> None:
    refs = resolve_refs(_module_config({}), [], ["azurerm_resource_group.rg", "each.key"], each='["a"]',
                        attr="resource_group_name")
    assert refs == [('azurerm_resource_group.rg["a"]', "name")]


def test_other_key_expressions_are_not_guessed() -> None:
    # acc[var.pick[each.key]].id lists var.pick too: the key is not each.key
    assert resolve_refs(_module_config({}), [], [ACC, "var.pick", "each.key"], each='["a"]', attr="cognitive_account_id") == []
    # a single resource without for_each/count has no each: nothing to match
    assert resolve_refs(_module_config({}), [], [ACC, "each.key"], each=None, attr="cognitive_account_id") == []


def test_each_value_of_a_for_each_over_resources() -> None:
    root = _module_config({"resources": [_res("azurerm_cognitive_deployment", "d", {"cognitive_account_id": ["each.value.id", "each.value"]},
                                              for_each=[ACC])]})
    assert resolve_resource_refs(root, _dep("west")) == {"cognitive_account_id": [(f'{ACC}["west"]', "id")]}


def test_each_value_through_a_module_variable() -> None:
    # root: module "models" { accounts = azurerm_cognitive_account.acc }; inside: for_each = var.accounts
    inner = {"resources": [_res("azurerm_cognitive_deployment", "d", {"cognitive_account_id": ["each.value.id", "each.value"]},
                                for_each=["var.accounts"])]}
    root = _module_config({"module_calls": {"models": {"expressions": {"accounts": {"references": [ACC]}}, "module": inner}}})
    assert resolve_resource_refs(root, _dep("k", module="module.models")) == {
        "cognitive_account_id": [(f'{ACC}["k"]', "id")]}


def test_each_value_over_two_collections_is_not_guessed() -> None:
    root = _module_config({"resources": [_res("azurerm_cognitive_deployment", "d", {"cognitive_account_id": ["each.value.id", "each.value"]},
                                              for_each=[ACC, "azurerm_ai_services.svc"])]})
    assert resolve_resource_refs(root, _dep("k")) == {}


def test_module_call_each_key_is_the_module_instance_key() -> None:
    # module "models" { for_each = ...; account_id = azurerm_cognitive_account.acc[each.key].id }
    inner = {"resources": [_res("azurerm_cognitive_deployment", "d", {"cognitive_account_id": ["var.account_id"]})]}
    root = _module_config({"module_calls": {"models": {
        "for_each_expression": {"references": ["var.sites"]},
        "expressions": {"account_id": {"references": [ACC, "each.key"]}}, "module": inner}}})
    assert resolve_resource_refs(root, _dep(None, module='module.models["east"]')) == {
        "cognitive_account_id": [(f'{ACC}["east"]', "id")]}


def test_locals_are_followed_only_when_the_source_gives_them() -> None:
    root = _module_config({"resources": [_res("azurerm_cognitive_deployment", "d", {"cognitive_account_id": ["local.account_id"]})]})
    assert resolve_resource_refs(root, _dep(None)) == {}
    attach_locals(root, {"": {"account_id": ["local.accounts", "local.pick"],
                              "accounts": [f'{ACC}["cams"].id', ACC]}})
    # local.account_id -> local.accounts -> acc["cams"].id (local.pick has no definition: ignored)
    assert resolve_resource_refs(root, _dep(None)) == {"cognitive_account_id": [(f'{ACC}["cams"]', "id")]}


def test_locals_inside_a_module_are_attached_by_module_path() -> None:
    inner = {"resources": [_res("azurerm_cognitive_deployment", "d", {"cognitive_account_id": ["local.id"]})]}
    root = _module_config({"module_calls": {"m": {"expressions": {}, "module": inner}}})
    attach_locals(root, {"module.m": {"id": ["azurerm_cognitive_account.a.id", "azurerm_cognitive_account.a"]}})
    assert resolve_resource_refs(root, _dep(None, module="module.m")) == {
        "cognitive_account_id": [("module.m.azurerm_cognitive_account.a", "id")]}


def test_expression_references_match_terraforms_shape(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'locals {\n'
        '  a = azurerm_cognitive_account.acc[each.key].id\n'
        '  b = azurerm_cognitive_account.acc["cams"].id\n'
        '  c = [for k, v in azurerm_cognitive_account.acc : v.id if k != var.skip]\n'
        '  d = "${var.prefix}-${local.suffix}"\n'
        '}\n', encoding="utf-8")
    _, local_refs = source_config(tmp_path)
    assert local_refs[""] == {
        "a": [ACC, "each.key"],
        "b": [f'{ACC}["cams"].id', ACC],
        "c": [ACC, "var.skip"],           # k and v are the for expression's own names
        "d": ["var.prefix", "local.suffix"],
    }


def test_example_plan_references_are_what_its_main_tf_gives() -> None:
    # The example's hand-written references are what the extractor derives from its main.tf, in
    # Terraform's shape; this also pins the shapes the resolver is tested on.
    from generator.terraform.tfconfig import load_definition

    folder = EXAMPLES / "plan-for-each-references"
    plan = json.loads((folder / "plan.json").read_text("utf-8"))
    blocks = {f"{b.labels[0]}.{b.labels[1]}": b for b in load_definition(folder, "").resources}
    compared = 0
    for res in plan["configuration"]["root_module"]["resources"]:
        block = blocks[res["address"]]
        for name, expr in res["expressions"].items():
            if "references" in expr:
                assert expr["references"] == expression_references(block.body.attributes[name][0]), (res["address"], name)
                compared += 1
        if "for_each_expression" in res:
            assert res["for_each_expression"]["references"] == expression_references(block.body.attributes["for_each"][0])
    assert compared >= 10
    assert source_config(folder)[1][""]["cams_account_id"] == [f'{ACC}["cams"].id', ACC]


def test_key_from_each_value_of_a_root_variable() -> None:
    root = _module_config({"resources": [_res("azurerm_cognitive_deployment", "d",
                                              {"cognitive_account_id": [ACC, "each.value.site", "each.value"]},
                                              for_each=["var.deployments"])]})
    root.variables = {"deployments": {"face": {"site": "cams"}, "other": {"site": 3}}}
    assert resolve_resource_refs(root, _dep("face")) == {"cognitive_account_id": [(f'{ACC}["cams"]', "id")]}
    assert resolve_resource_refs(root, _dep("other")) == {}   # not a string key: not guessed
    assert resolve_resource_refs(root, _dep("missing")) == {}
    # for_each over a set of strings: each.value is the key itself
    root.variables = {"deployments": ["cams", "patrol"]}
    refs = resolve_refs(root, [], [ACC, "each.value"], each='["patrol"]', for_each=["var.deployments"],
                        attr="cognitive_account_id")
    assert refs == [(f'{ACC}["patrol"]', "id")]
    # another value taking part in the key: not guessed
    assert resolve_refs(root, [], [ACC, "each.value", "var.suffix"], each='["patrol"]', for_each=["var.deployments"],
                        attr="cognitive_account_id") == []


def test_example_without_source_leaves_the_local_unresolved() -> None:
    from tests.check.conftest import report_of, run_check

    folder = EXAMPLES / "plan-for-each-references"
    args = ["plan.json", "--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR", "--format", "json"]
    without = {r["resource"]: r["result"] for r in report_of(run_check(args, cwd=folder))["results"]
               if r.get("clauseId") == "mobile-realtime-fr"}
    with_source = {r["resource"]: r["result"] for r in report_of(run_check([*args, "--source", "."], cwd=folder))["results"]
                   if r.get("clauseId") == "mobile-realtime-fr"}
    assert "azurerm_cognitive_deployment.via_local" in without          # no resource group: not allowed
    assert "azurerm_cognitive_deployment.via_local" not in with_source  # in rg-cams: no-match, not listed
    assert 'azurerm_cognitive_deployment.vision["cams"]' not in without  # each.key needs no source
