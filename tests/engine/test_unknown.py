"""Three-valued evaluation: values known only after apply."""

from __future__ import annotations

import copy
import pickle

from generator.engine.values import UNKNOWN, and3, has_unknown, not3, or3

from engine_helpers import T, ev

DEP = "Microsoft.CognitiveServices/accounts/deployments"


def deployment(model=None):
    return {"type": DEP, "name": "d", "properties": {"model": model if model is not None else {"name": UNKNOWN, "format": "OpenAI"}}}


def test_helpers():
    assert and3(True, UNKNOWN) is UNKNOWN and and3(False, UNKNOWN) is False
    assert or3(False, UNKNOWN) is UNKNOWN and or3(True, UNKNOWN) is True
    assert not3(UNKNOWN) is UNKNOWN and not3(False) is True
    assert has_unknown({"a": [1, {"b": UNKNOWN}]}) and not has_unknown({"a": [1]})
    assert copy.deepcopy(UNKNOWN) is UNKNOWN and pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN


def test_unknown_leaf_makes_condition_unknown():
    assert ev({"field": f"{DEP}/model.name", "in": ["gpt-4o"]}, deployment()) is UNKNOWN
    assert ev({"not": {"field": f"{DEP}/model.name", "in": ["gpt-4o"]}}, deployment()) is UNKNOWN
    assert ev({"field": f"{DEP}/model.format", "equals": "OpenAI"}, deployment()) is True


def test_unknown_subtree():
    res = {"type": DEP, "name": "d", "properties": UNKNOWN}
    assert ev({"field": f"{DEP}/model.name", "equals": "x"}, res) is UNKNOWN
    assert ev({"field": f"{DEP}/model.name", "exists": "true"}, res) is UNKNOWN
    assert ev({"value": f"[field('{DEP}/model.name')]", "equals": "x"}, res) is UNKNOWN


def test_short_circuit_with_unknown_siblings():
    unknown = {"field": f"{DEP}/model.name", "equals": "x"}
    assert ev({"allOf": [unknown, {"field": "type", "equals": "Other/type"}]}, deployment()) is False
    assert ev({"allOf": [unknown, {"field": "type", "equals": DEP}]}, deployment()) is UNKNOWN
    assert ev({"anyOf": [unknown, {"field": "type", "equals": DEP}]}, deployment()) is True
    assert ev({"anyOf": [unknown, {"field": "type", "equals": "Other/type"}]}, deployment()) is UNKNOWN


def test_unknown_type_is_unknown():
    res = {"type": UNKNOWN}
    assert ev({"field": "type", "equals": DEP}, res) is UNKNOWN


def test_unknown_value_expression_in_value_condition():
    # The Foundry allowed-models rule with an unknown version.
    cond = {"allOf": [
        {"field": "type", "equals": DEP},
        {"not": {"value": f"[concat(field('{DEP}/model.name'), ',', field('{DEP}/model.version'))]",
                 "in": "[parameters('allowedModels')]"}}]}
    params = {"allowedModels": ["gpt-4o,2024-11-20"]}
    assert ev(cond, deployment({"name": "gpt-4o", "version": UNKNOWN}), parameters=params) is UNKNOWN
    assert ev(cond, deployment({"name": "gpt-4o", "version": "2024-11-20"}), parameters=params) is False
    assert ev(cond, deployment({"name": "gpt-4o", "version": "0613"}), parameters=params) is True


def test_unknown_array_element_and_array():
    alias = f"{T}/items[*].name"
    res = {"type": T, "properties": {"items": [{"name": "a"}, {"name": UNKNOWN}]}}
    assert ev({"field": alias, "equals": "a"}, res) is UNKNOWN
    assert ev({"field": alias, "equals": "b"}, res) is False  # a known element already fails
    res_all = {"type": T, "properties": {"items": UNKNOWN}}
    assert ev({"field": alias, "equals": "a"}, res_all) is UNKNOWN
    assert ev({"count": {"field": f"{T}/items[*]"}, "equals": 0}, res_all) is UNKNOWN


def test_count_with_unknown_members_decides_when_the_range_agrees():
    alias = f"{T}/items[*]"
    res = {"type": T, "properties": {"items": [{"name": "a"}, {"name": UNKNOWN}, {"name": "a"}]}}
    where = {"field": f"{alias}.name", "equals": "a"}
    assert ev({"count": {"field": alias, "where": where}, "greater": 1}, res) is True   # 2 or 3
    assert ev({"count": {"field": alias, "where": where}, "equals": 2}, res) is UNKNOWN
    assert ev({"count": {"field": alias, "where": where}, "less": 2}, res) is False


def test_unknown_tag_value_but_known_key():
    res = {"type": T, "tags": {"sector": UNKNOWN}}
    assert ev({"field": "tags", "containsKey": "sector"}, res) is True
    assert ev({"field": "tags['sector']", "equals": "police"}, res) is UNKNOWN
