"""Traces: built only when asked for, naming pointer, subject, operator and parameters."""

from __future__ import annotations

import pytest

from generator.engine.conditions import compile_condition
from generator.engine.scope import TraceEntry
from generator.engine.values import UNKNOWN, EvaluationError

from engine_helpers import make_scope

DEP = "Microsoft.CognitiveServices/accounts/deployments"
RULE = {"allOf": [
    {"field": "type", "equals": DEP},
    {"field": f"{DEP}/model.name", "notIn": "[parameters('clearedModels')]"},
]}
RES = {"type": DEP, "name": "d", "properties": {"model": {"name": "gpt-4o"}}}


def test_trace_entries_for_each_leaf():
    scope = make_scope(RES, parameters={"clearedModels": ["gpt-35-turbo"]}, trace=[])
    assert compile_condition(RULE, "/properties/policyRule/if").evaluate(scope) is True
    first, second = scope.trace
    assert first.pointer == "/properties/policyRule/if/allOf/0" and first.outcome is True
    assert second == TraceEntry(
        "/properties/policyRule/if/allOf/1", "field", f"{DEP}/model.name", "notIn",
        "[parameters('clearedModels')]", "gpt-4o", ["gpt-35-turbo"], True,
    )
    assert second.to_dict()["outcome"] == "true"


def test_no_trace_when_not_requested():
    scope = make_scope(RES, parameters={"clearedModels": []})
    assert scope.trace is None
    assert compile_condition(RULE, "/if").evaluate(scope) is True
    assert scope.trace is None


def test_trace_of_unknown_and_error():
    scope = make_scope({"type": DEP, "properties": {"model": {"name": UNKNOWN}}}, parameters={"clearedModels": []}, trace=[])
    assert compile_condition(RULE, "/if").evaluate(scope) is UNKNOWN
    assert scope.trace[-1].to_dict()["actual"] == "(known after apply)"
    assert scope.trace[-1].to_dict()["outcome"] == "unknown"
    scope = make_scope({"type": "t", "name": "ab"}, trace=[])
    with pytest.raises(EvaluationError):
        compile_condition({"value": "[substring(field('name'), 0, 3)]", "equals": "abc"}, "/if").evaluate(scope)
    assert scope.trace[-1].outcome == "error" and scope.trace[-1].kind == "value"
