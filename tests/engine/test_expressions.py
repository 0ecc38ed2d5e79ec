"""The ARM expression parser and template functions."""

from __future__ import annotations

import pytest

from generator.engine.conditions import compile_value
from generator.engine.expressions import (
    Call,
    ExpressionSyntaxError,
    Literal,
    Member,
    is_expression,
    parse_expression,
)
from generator.engine.values import UNKNOWN, EvaluationError
from generator.errors import PolicyCompileError

from engine_helpers import make_scope


def val(text, resource=None, **kw):
    return compile_value(text, "/v").evaluate(make_scope(resource, **kw))


def test_parse_call_with_escaped_quote_and_numbers():
    node = parse_expression("[concat('it''s', 12, -3, 1.5)]")
    assert isinstance(node, Call) and node.name == "concat"
    assert [a.value for a in node.args] == ["it's", 12, -3, 1.5]


def test_parse_property_and_index_access():
    node = parse_expression("[split(field('id'), '/')[4].x['y']]")
    assert isinstance(node, Member) and node.key.value == "y" and not node.dotted
    inner = node.target
    assert isinstance(inner, Member) and inner.dotted and inner.key.value == "x"
    assert isinstance(inner.target.key, Literal) and inner.target.key.value == 4


@pytest.mark.parametrize(
    "text, column",
    [
        ("[concat('a', ]", 14),
        ("[concat('a']", 12),
        ("[concat('abc)]", 9),
        ("[foo]", 5),
        ("[]", 2),
        ("[parameters('a') parameters('b')]", 18),
    ],
)
def test_syntax_errors_carry_column(text, column):
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text)
    assert info.value.column == column


def test_compile_error_names_pointer_and_column():
    with pytest.raises(PolicyCompileError) as info:
        compile_value("[concat('a', ]", "/properties/policyRule/if/value")
    assert info.value.pointer == "/properties/policyRule/if/value"
    assert info.value.column == 14
    assert "column 14" in info.value.message


def test_unknown_and_excluded_functions_do_not_compile():
    with pytest.raises(PolicyCompileError, match="unknown function nosuch"):
        compile_value("[nosuch(1)]", "/x")
    with pytest.raises(PolicyCompileError, match="not available in policy rules"):
        compile_value("[reference('x')]", "/x")
    with pytest.raises(PolicyCompileError, match="takes 1 argument"):
        compile_value("[toLower('a', 'b')]", "/x")


def test_string_not_ending_in_bracket_is_a_literal():
    assert not is_expression("[concat('a'")
    assert val("[concat('a'") == "[concat('a'"


def test_escaped_bracket_is_a_literal():
    assert not is_expression("[[notAnExpression]")
    assert val("[[notAnExpression]") == "[notAnExpression]"
    assert val("[WindowsSerialConsole]x") == "[WindowsSerialConsole]x"


def test_function_names_ignore_case():
    assert val("[TOLOWER('AbC')]") == "abc"
    assert val("[tolower(concat('A', 'B'))]") == "ab"


def test_string_functions():
    assert val("[split('a,b;c', createArray(',', ';'))]") == ["a", "b", "c"]
    assert val("[replace('a b c', ' ', '')]") == "abc"
    assert val("[padLeft(7, 3, '0')]") == "007"
    assert val("[format('{0}-{1}', 'a', 2)]") == "a-2"
    assert val("[substring('abcdef', 1, 3)]") == "bcd"
    assert val("[first(split('x/y', '/'))]") == "x"
    assert val("[last(split('x/y', '/'))]") == "y"
    assert val("[string(length('abc'))]") == "3"
    assert val("[base64('hi')]") == "aGk="
    assert val("[startsWith('Microsoft.Web', 'microsoft')]") is True
    assert val("[trim('  a ')]") == "a"


def test_array_object_and_number_functions():
    assert val("[union(createArray(1, 2), createArray(2, 3))]") == [1, 2, 3]
    assert val("[intersection(createObject('a', 1, 'b', 2), createObject('A', 1))]") == {"a": 1}
    assert val("[length(createObject('a', 1))]") == 1
    assert val("[mul(max(1, 3), add(1, 1))]") == 6
    assert val("[div(-7, 2)]") == -3
    assert val("[int('42')]") == 42
    assert val("[empty(createArray())]") is True
    assert val("[contains(createArray('a'), 'a')]") is True
    assert val("[contains(createObject('Key', 1), 'key')]") is True


def test_lazy_if_does_not_evaluate_the_other_branch():
    # Microsoft's "avoiding template failures" example: substring would fail on a short name.
    text = "[if(greaterOrEquals(length(field('name')), 3), substring(field('name'), 0, 3), 'not starting with abc')]"
    assert val(text, {"type": "t", "name": "ab"}) == "not starting with abc"
    assert val(text, {"type": "t", "name": "abcdef"}) == "abc"
    with pytest.raises(EvaluationError):
        val("[substring(field('name'), 0, 3)]", {"type": "t", "name": "ab"})


def test_try_get_and_coalesce():
    scope_kw = {"request_context": {"identity": {"idtyp": "user", "nested": {"x": 1}}}}
    assert val("[tryGet(requestContext().identity, 'idtyp')]", **scope_kw) == "user"
    assert val("[tryGet(requestContext().identity, 'nested', 'x')]", **scope_kw) == 1
    assert val("[tryGet(requestContext().identity, 'missing')]", **scope_kw) is None
    assert val("[coalesce(tryGet(requestContext().identity, 'missing'), 'd')]", **scope_kw) == "d"
    assert val("[tryGet(null(), 'x')]") is None


def test_property_access_ignores_case_and_missing_key_is_empty():
    sub = {"subscriptionId": "s1", "tags": {"sector": "police"}}
    assert val("[subscription().tags['Sector']]", subscription=sub) == "police"
    assert val("[subscription().Tags.SECTOR]", subscription=sub) == "police"
    assert val("[subscription().tags['absent']]", subscription=sub) == ""
    with pytest.raises(EvaluationError):
        val("[createArray(1)[3]]")


def test_scope_functions():
    kw = {
        "subscription": {"subscriptionId": "s1", "tags": {}},
        "resource_group": {"name": "rg-netrg", "location": "eastus"},
        "policy": {"assignmentId": "/a/1"},
        "request_context": {"apiVersion": "2024-01-01"},
    }
    assert val("[concat(subscription().subscriptionId, '/', resourceGroup().name)]", **kw) == "s1/rg-netrg"
    assert val("[policy().assignmentId]", **kw) == "/a/1"
    assert val("[greaterOrEquals(requestContext().apiVersion, '2021-06-01')]", **kw) is True
    # Issue 14: a resource without an id and no context: which group it lands in is unknown.
    from generator.engine.values import UNKNOWN

    assert val("[resourceGroup().name]") is UNKNOWN
    sub_level = {"type": "Microsoft.Test/resourceType", "id": "/subscriptions/s1/providers/Microsoft.Test/resourceType/r"}
    with pytest.raises(EvaluationError, match="resourceGroup"):
        val("[resourceGroup().name]", resource=sub_level)


def test_dates_use_the_scope_clock():
    assert val("[utcNow()]") == "2026-01-02T03:04:05.0000000Z"
    assert val("[addDays(utcNow(), -2)]") == "2025-12-31T03:04:05.0000000Z"
    assert val("[utcNow('yyyy-MM-dd')]") == "2026-01-02"


def test_ip_range_contains():
    assert val("[ipRangeContains('10.0.0.0/24', '10.0.0.5')]") is True
    assert val("[ipRangeContains('10.0.0.0/24', '10.0.1.0/30')]") is False
    assert val("[ipRangeContains('192.168.0.1-192.168.0.9', '192.168.0.3')]") is True
    assert val("[ipRangeContains('2001:0DB8::/110', '2001:0DB8::3:FFFE')]") is True
    with pytest.raises(EvaluationError):
        val("[ipRangeContains('10.0.0.0/24', '2001:0DB8::1')]")
    with pytest.raises(EvaluationError):
        val("[ipRangeContains('', '10.0.0.1')]")


def test_unknown_propagates_through_functions():
    resource = {"type": "t", "name": UNKNOWN, "tags": {"a": UNKNOWN}}
    assert val("[toLower(field('name'))]", resource) is UNKNOWN
    assert val("[concat('x', field('name'))]", resource) is UNKNOWN
    assert val("[length(field('tags'))]", resource) == 1  # the keys are known
    assert val("[coalesce('known', field('name'))]", resource) == "known"
    assert val("[coalesce(field('name'), 'x')]", resource) is UNKNOWN
    assert val("[if(true(), 'a', field('name'))]", resource) == "a"
    assert val("[if(equals(field('name'), 'x'), 'same', 'same')]", resource) == "same"
    assert val("[if(equals(field('name'), 'x'), 'a', 'b')]", resource) is UNKNOWN


def test_parameters_lookup():
    assert val("[parameters('Effect')]", parameters={"effect": "Deny"}) == "Deny"
    with pytest.raises(EvaluationError, match="no value"):
        val("[parameters('missing')]")


def test_nested_literal_arrays_evaluate_expressions():
    assert val(["[toLower('A')]", "b", "[[c]"]) == ["a", "b", "[c]"]


def test_more_array_functions():
    assert val("[flatten(createArray(createArray(1), createArray(2, 3)))]") == [1, 2, 3]
    assert val("[shallowMerge(createArray(createObject('a', 1), createObject('b', 2)))]") == {"a": 1, "b": 2}
    assert val("[indexFromEnd(createArray(1, 2, 3), 1)]") == 3
    assert val("[tryIndexFromEnd(createArray(1), 5)]") is None
    assert val("[join(createArray('a', 'b'), '-')]") == "a-b"
    assert val("[indexOf('abcABC', 'C')]") == 2
