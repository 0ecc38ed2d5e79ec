"""The evaluation fast paths give exactly the results of the generic code they bypass.

- `in` / `notIn` decide a string (or null) left side from a cached set of the array's texts;
- a `value` condition reading only parameters / subscription() / resourceGroup() remembers its
  outcome per (parameters, subscription, resource group) when the scope says they are shared;
- `type_guard` lets the Evaluator report no-match for other resource types without evaluating;
- explanation lines are remembered per trace-entry content.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from engine_helpers import T, make_scope
from generator.engine.conditions import apply_operator, compile_condition, type_guard
from generator.engine.values import UNKNOWN, EvaluationError

LEFTS = ["police", "POLICE", "Police", "", None, "1", "1.0", "2", "true", "True", "false", "null",
         "[]", "eastus2", "East US 2", "straße", "STRASSE", 1, 1.0, True, False, 0, ["police"],
         {"a": 1}, UNKNOWN]
ARRAYS = [
    ["police", "law-enforcement"],
    ["POLICE"],
    ["Police", 1, True, None, 2.5, ["police"], {"police": 1}],
    [1.0, False, "STRASSE"],
    [],
    [None],
    ["x", UNKNOWN],
    ["eastus2", "West Europe"],
]


def _generic(op: str, left, right):
    try:
        return apply_operator(op, left, right)
    except EvaluationError:
        return "error"


def _fast(cond: dict, scope):
    try:
        return compile_condition(cond, "/if").evaluate(scope)
    except EvaluationError:
        return "error"


@pytest.mark.parametrize("op", ["in", "notIn"])
def test_in_from_parameter_and_literal_agrees_with_the_generic_operator(op):
    for left, arr in itertools.product(LEFTS, ARRAYS):
        want = _generic(op, left, arr)
        params = {"p": left, "list": arr}
        scope = make_scope(parameters=params)
        by_param = {"value": "[parameters('p')]", op: "[parameters('list')]"}
        assert _fast(by_param, scope) == want, (left, arr)
        # again: the second evaluation uses the cached texts of the same array
        assert _fast(by_param, scope) == want, (left, arr)
        if UNKNOWN not in arr:
            literal = {"value": "[parameters('p')]", op: arr}
            assert _fast(literal, scope) == want, (left, arr)


def test_in_mixed_case_parameter_list():
    scope = make_scope(parameters={"list": ["Police", "LAW-enforcement"]})
    assert _fast({"value": "police", "in": "[parameters('list')]"}, scope) is True
    assert _fast({"value": "law-ENFORCEMENT", "notIn": "[parameters('list')]"}, scope) is False
    assert _fast({"value": "health", "notIn": "[parameters('list')]"}, scope) is True


def test_in_parameter_list_with_non_strings():
    scope = make_scope(parameters={"list": [1, True, None, 2.5, {"a": "x"}, ["x"]]})
    assert _fast({"value": "1", "in": "[parameters('list')]"}, scope) is True
    assert _fast({"value": "TRUE", "in": "[parameters('list')]"}, scope) is True
    assert _fast({"value": "", "in": "[parameters('list')]"}, scope) is True  # null compares as ''
    assert _fast({"value": "2.5", "in": "[parameters('list')]"}, scope) is True
    assert _fast({"value": "x", "in": "[parameters('list')]"}, scope) is False  # containers never equal text
    assert _fast({"value": "[parameters('list')]", "in": [[1]]}, scope) is False


def test_in_operator_value_that_is_not_an_array_still_fails():
    scope = make_scope(parameters={"list": "police"})
    with pytest.raises(EvaluationError, match="needs an array"):
        compile_condition({"value": "police", "in": "[parameters('list')]"}, "/if").evaluate(scope)


def test_unknown_values_still_give_unknown():
    res = {"type": T, "properties": {"model": {"name": UNKNOWN}}}
    scope = make_scope(res, parameters={"list": ["gpt-4o"]})
    cond = {"field": "Microsoft.Test/resourceType/model.name", "notIn": "[parameters('list')]"}
    assert _fast(cond, scope) is UNKNOWN
    cond = {"value": "[field('Microsoft.Test/resourceType/model.name')]", "in": "[parameters('list')]"}
    assert _fast(cond, scope) is UNKNOWN
    # an UNKNOWN inside the operator array
    scope = make_scope(parameters={"list": ["a", UNKNOWN]})
    assert _fast({"value": "b", "in": "[parameters('list')]"}, scope) is UNKNOWN


def test_array_field_in_parameter_list():
    res = {"type": T, "properties": {"items": [{"n": "A"}, {"n": "b"}, {}]}}
    scope = make_scope(res, parameters={"list": ["a", "B", ""]})
    cond = {"field": "Microsoft.Test/resourceType/items[*].n", "in": "[parameters('list')]"}
    assert _fast(cond, scope) is True  # the member without n selects null, which is ''
    scope = make_scope(res, parameters={"list": ["a", "B"]})
    assert _fast(cond, scope) is False
    scope = make_scope({"type": T, "properties": {"items": [{"n": UNKNOWN}]}}, parameters={"list": ["a"]})
    assert _fast(cond, scope) is UNKNOWN


def test_location_in_parameter_list_is_normalised():
    scope = make_scope({"type": T, "location": "East US 2"}, parameters={"allowed": ["eastus2", "West Europe"]})
    cond = {"field": "location", "in": "[parameters('allowed')]"}
    assert _fast(cond, scope) is True
    scope.resource = {"type": T, "location": "westeurope"}
    assert _fast(cond, scope) is True
    scope.resource = {"type": T, "location": "northeurope"}
    assert _fast(cond, scope) is False
    assert _fast({"field": "location", "notIn": "[parameters('allowed')]"}, scope) is True


def test_in_trace_shows_the_operator_value_as_before():
    scope = make_scope(parameters={"list": ["East US"]}, trace=[])
    compile_condition({"field": "location", "in": "[parameters('list')]"}, "/if").evaluate(scope)
    [entry] = scope.trace
    assert entry.expected == ["eastus"] and entry.expected_source == "[parameters('list')]"


# -- context-only value conditions --------------------------------------------------------------------

SECTOR = {"value": "[coalesce(tryGet(subscription().tags, parameters('tag')), '')]",
          "in": "[parameters('values')]"}


def test_context_only_condition_remembers_per_shared_objects():
    cond = compile_condition(SECTOR, "/if")
    params = {"tag": "sector", "values": ["police"]}
    police = {"tags": {"sector": "Police"}}
    health = {"tags": {"sector": "health"}}
    scope = make_scope(parameters=params, subscription=police)
    scope.shared = True
    assert cond.evaluate(scope) is True
    scope.subscription = health
    assert cond.evaluate(scope) is False
    scope.subscription = police
    assert cond.evaluate(scope) is True
    scope.parameters = {"tag": "sector", "values": ["health"]}
    assert cond.evaluate(scope) is False


def test_scopes_not_marked_shared_are_never_remembered():
    cond = compile_condition(SECTOR, "/if")
    sub = {"tags": {"sector": "police"}}
    scope = make_scope(parameters={"tag": "sector", "values": ["police"]}, subscription=sub)
    assert cond.evaluate(scope) is True
    sub["tags"]["sector"] = "health"  # mutated in place: a plain Scope sees it
    assert cond.evaluate(scope) is False


def test_resource_dependent_value_conditions_are_not_remembered():
    cond = compile_condition({"value": "[field('name')]", "equals": "a"}, "/if")
    assert cond.memo is None
    for text in ("[requestContext().apiVersion]", "[policy().assignmentId]", "[utcNow()]", "[current('x')]"):
        assert compile_condition({"value": text, "equals": "a"}, "/if").memo is None
    assert compile_condition(SECTOR, "/if").memo is not None


def test_errors_are_raised_every_time_and_traces_stay_complete():
    cond = compile_condition({"value": "[resourceGroup().tags.x]", "equals": "a"}, "/if")
    scope = make_scope({"type": "A/b", "id": "/subscriptions/s1/providers/A/b/r1"}, parameters={})
    scope.shared = True
    for _ in range(2):
        with pytest.raises(EvaluationError, match="resourceGroup"):
            cond.evaluate(scope)
    cond = compile_condition(SECTOR, "/if")
    scope = make_scope(parameters={"tag": "sector", "values": ["police"]}, subscription={"tags": {"sector": "police"}})
    scope.shared = True
    assert cond.evaluate(scope) is True  # remembered without a trace
    for _ in range(2):
        scope.trace = []
        assert cond.evaluate(scope) is True
        [entry] = scope.trace
        assert (entry.actual, entry.outcome, entry.expected) == ("police", True, ["police"])


# -- type guard ---------------------------------------------------------------------------------------

def _guard(cond):
    return type_guard(compile_condition(cond, "/if"))


def test_type_guard_only_where_the_type_decides_alone():
    assert _guard({"allOf": [{"field": "type", "equals": "A/b"}, {"field": "kind", "equals": "x"}]}) == {"a/b"}
    assert _guard({"anyOf": [{"field": "type", "equals": "A/b"}, {"field": "type", "in": ["C/d"]}]}) == {"a/b", "c/d"}
    assert _guard({"allOf": [{"field": "type", "notEquals": "X/y"}, {"field": "type", "equals": "A/b"}]}) == {"a/b"}
    # something else runs before the type test: it could fail, warn or be UNKNOWN
    assert _guard({"allOf": [{"field": "kind", "equals": "x"}, {"field": "type", "equals": "A/b"}]}) is None
    assert _guard({"allOf": [{"value": "[parameters('p')]", "equals": 1}, {"field": "type", "equals": "A/b"}]}) is None
    assert _guard({"anyOf": [{"field": "type", "equals": "A/b"}, {"field": "kind", "equals": "x"}]}) is None
    assert _guard({"not": {"field": "type", "equals": "A/b"}}) is None
    assert _guard({"field": "type", "notEquals": "A/b"}) is None
    assert _guard({"field": "type", "like": "A/*"}) is None


def _definition(name: str, rule_if: dict) -> dict:
    return {"name": name, "properties": {"mode": "All", "parameters": {"p": {"type": "String", "defaultValue": "x"}},
                                         "policyRule": {"if": rule_if, "then": {"effect": "audit"}}}}


GUARDED = [
    {"allOf": [{"field": "type", "equals": "A/b"}, {"field": "kind", "equals": "k"}]},
    {"anyOf": [{"allOf": [{"field": "type", "in": ["A/b", "C/d"]}, {"field": "kind", "in": ["k"]}]},
               {"field": "type", "equals": "E/f"}]},
    # not guarded: an unknown alias warns, a bad expression fails, before the type test
    {"allOf": [{"field": "Microsoft.Nothing/x/prop", "exists": "false"}, {"field": "type", "equals": "A/b"}]},
    {"allOf": [{"value": "[int('x')]", "equals": 1}, {"field": "type", "equals": "A/b"}]},
    {"allOf": [{"field": "kind", "equals": "k"}, {"field": "type", "equals": "A/b"}]},
]
RESOURCES = [
    {"type": "A/b", "kind": "k", "id": "/subscriptions/s/resourceGroups/g/providers/A/b/r1"},
    {"type": "a/B", "kind": "other"},
    {"type": "C/d", "kind": "K"},
    {"type": "E/f"},
    {"type": "Z/z", "kind": "k"},
    {"Type": "A/b", "kind": "k"},  # no "type" key: evaluated (ci lookup)
    {"type": UNKNOWN, "kind": "k"},
    {"type": None},
    {"kind": "k"},
    {"type": 5},
]


def _results(tmp_path: Path, skip: bool, trace: str):
    from generator.context import Context
    from generator.engine.evaluator import Evaluator, load_policy_files

    files = []
    for i, cond in enumerate(GUARDED):
        f = tmp_path / f"d{i}.json"
        f.write_text(json.dumps(_definition(f"d{i}", cond)))
        files.append(f)
    evaluator = Evaluator(load_policy_files(files), trace=trace)
    if skip:
        assert evaluator._skips("Z/z") == (True, True, False, False, False)
    else:
        evaluator._skips = lambda rtype: evaluator._no_skips  # type: ignore[method-assign]
    ctx = Context.empty().resolve(None)
    out = []
    for r in RESOURCES:
        for res in evaluator.evaluate(r, ctx, address="r"):
            out.append((res.policyDefinitionName, res.to_json(), res.warnings, res.explanation))
    return out


@pytest.mark.parametrize("trace", ["reported", "all", "none"])
def test_type_prefilter_never_changes_a_result(tmp_path, trace):
    with_skip = _results(tmp_path, True, trace)
    without = _results(tmp_path, False, trace)
    assert with_skip == without
    words = {r[1]["result"] for r in with_skip}
    assert {"match", "no-match", "undetermined", "error"} <= words


# -- explanation lines --------------------------------------------------------------------------------

def test_remembered_explanation_lines_keep_types_apart():
    from generator.engine.explain import explain_entry
    from generator.engine.scope import TraceEntry

    params: dict = {}
    lines = [explain_entry(TraceEntry("/if", "value", "[x()]", "equals", v, v, v, False), params)
             for v in (1, True, "1", None, 1, True)]
    assert lines[0] == lines[4] and lines[1] == lines[5]
    assert len({lines[0], lines[1], lines[2], lines[3]}) == 4


def test_in_array_built_by_an_expression_keeps_the_generic_comparison():
    cond = compile_condition({"value": "[parameters('p')]", "in": "[split(parameters('csv'), ',')]"}, "/if")
    assert cond.members is None
    for csv, want in (("Police,health", True), ("health", False), ("POLICE", True)):
        assert cond.evaluate(make_scope(parameters={"p": "police", "csv": csv})) is want


def test_parameter_operator_value_read_directly_keeps_case_and_missing_rules():
    cond = compile_condition({"value": "Police", "in": "[parameters('LawValues')]"}, "/if")
    assert cond.rhs_param == "LawValues"
    assert cond.evaluate(make_scope(parameters={"lawvalues": ["police"]})) is True  # names ignore case
    assert cond.evaluate(make_scope(parameters={"LawValues": ["health"]})) is False
    with pytest.raises(EvaluationError, match="has no value"):
        cond.evaluate(make_scope(parameters={}))
