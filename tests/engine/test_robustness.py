"""Property tests: malformed input gives clean errors, never a stray exception."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.engine.conditions import compile_condition, compile_value
from generator.engine.expressions import ExpressionSyntaxError, parse_expression
from generator.engine.values import UNKNOWN, EvaluationError
from generator.errors import PolicyCompileError

from engine_helpers import T, make_scope

TOKENS = ["concat(", "field(", "parameters(", "'a'", "'it''s'", "1", "-2", "3.5", ",", ")", "(", ".", "x",
          "[", "]", "[0]", "['k']", " ", "if(", "true()", "length(", "split(", "'/'", "tryGet(", "coalesce("]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=12))
def test_parser_never_raises_anything_else(tokens):
    text = "[" + "".join(tokens) + "]"
    try:
        parse_expression(text)
    except ExpressionSyntaxError as exc:
        assert 1 <= exc.column <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=12))
def test_compiled_expressions_fail_cleanly(tokens):
    text = "[" + "".join(tokens) + "]"
    try:
        value = compile_value(text, "/v")
    except PolicyCompileError as exc:
        assert exc.pointer == "/v"
        return
    scope = make_scope({"type": T, "name": "n", "properties": {"x": [1, {"k": "v"}]}}, parameters={"a": "b"})
    try:
        value.evaluate(scope)
    except EvaluationError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["", "a", "A", "10.0.0.1", "2024-01-01", "*"])
    | st.just(UNKNOWN),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["a", "A", "b", "x"]), children, max_size=3),
    max_leaves=8,
)
OPS = ["equals", "notEquals", "like", "notLike", "match", "notMatch", "matchInsensitively", "notMatchInsensitively",
       "contains", "notContains", "in", "notIn", "containsKey", "notContainsKey", "less", "lessOrEquals",
       "greater", "greaterOrEquals", "exists"]


@settings(max_examples=500, deadline=None)
@given(json_values, st.sampled_from(OPS), json_values)
def test_every_operator_on_any_values_gives_a_result_or_an_evaluation_error(left, op, right):
    resource = {"type": T, "properties": {"p": left, "arr": [left, left]}}
    for subject in ("Microsoft.Test/resourceType/p", "Microsoft.Test/resourceType/arr[*]"):
        try:
            cond = compile_condition({"field": subject, op: right}, "/if")
        except PolicyCompileError:
            continue  # e.g. a literal null operator value
        try:
            result = cond.evaluate(make_scope(resource))
        except EvaluationError:
            continue
        assert result in (True, False) or result is UNKNOWN, json.dumps(str(result))


scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "a", "A", "b", "1"])
ITEM_OPS = ["equals", "notEquals", "in", "notIn", "contains", "like", "exists", "greater"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.lists(st.fixed_dictionaries({}, optional={"x": scalars}), max_size=4)),
       st.sampled_from(ITEM_OPS), scalars.filter(lambda v: v is not None))
def test_star_field_condition_equals_count_of_failures_is_zero(items, op, value):
    # "[*] means every selected value" restated as a count: no member fails the condition.
    right = [value] if op in ("in", "notIn") else ("true" if op == "exists" else value)
    if op == "like" and not isinstance(value, str):
        return
    resource = {"type": T, "properties": {} if items is None else {"arr": items}}
    star = {"field": f"{T}/arr[*].x", op: right}
    counted = {"count": {"field": f"{T}/arr[*]", "where": {"not": {"field": f"{T}/arr[*].x", op: right}}}, "equals": 0}
    try:
        a = compile_condition(star, "/if").evaluate(make_scope(resource))
    except EvaluationError:
        a = "error"
    try:
        b = compile_condition(counted, "/if").evaluate(make_scope(resource))
    except EvaluationError:
        b = "error"
    # The [*] form stops at the first failing member; count visits every member, so only
    # count can meet a failing (error) member that [*] never reaches.
    if b == "error":
        assert a in ("error", False)
    else:
        assert a == b
