"""Conditions and operators, per Microsoft's policy-rule documentation."""

from __future__ import annotations

import pytest

from generator.engine.conditions import OPERATORS, compile_condition
from generator.engine.values import EvaluationError
from generator.errors import PolicyCompileError

from engine_helpers import T, ev

R = {
    "type": T,
    "name": "myServer/db01",
    "kind": "OpenAI",
    "location": "East US 2",
    "tags": {"Sector": "Police", "cost-center": "42"},
    "identity": {"type": "SystemAssigned, UserAssigned"},
    "properties": {"count": 5, "flag": True, "when": "2024-06-01T00:00:00Z", "obj": {"Key": 1}, "nothing": None},
}


def field(name, op, value):
    return ev({"field": name, op: value}, R)


def test_all_nineteen_operators_are_known():
    assert len(OPERATORS) == 19


@pytest.mark.parametrize(
    "op, value, expected",
    [
        ("equals", "openai", True),
        ("notEquals", "OPENAI", False),
        ("like", "open*", True),
        ("notLike", "*AI", False),
        ("match", "??????", True),
        ("match", "??????#", False),
        ("match", "openai", False),  # match is case-sensitive
        ("matchInsensitively", "openai", True),
        ("notMatch", "OpenAI", False),
        ("notMatchInsensitively", "OPEN..", False),
        ("contains", "ENA", True),
        ("notContains", "x", True),
        ("in", ["Face", "OPENAI"], True),
        ("notIn", ["Face", "OPENAI"], False),
    ],
)
def test_string_operators_on_kind(op, value, expected):
    assert field("kind", op, value) is expected


def test_match_symbols():
    assert ev({"value": "ab-12", "match": "??-##"}) is True
    assert ev({"value": "ab-1x", "match": "??-##"}) is False
    assert ev({"value": "a1", "match": ".."}) is True
    assert ev({"value": "a1x", "match": ".."}) is False  # whole string


def test_like_single_wildcard_and_no_wildcard():
    assert ev({"value": "rg-netrg", "like": "*netrg"}) is True
    assert ev({"value": "rg-netrg-x", "like": "*netrg"}) is False
    assert ev({"value": "Exact", "like": "exact"}) is True


def test_contains_key_and_exists():
    assert field("tags", "containsKey", "sector") is True
    assert field("tags", "notContainsKey", "owner") is True
    assert field("Microsoft.Test/resourceType/obj", "containsKey", "key") is True
    assert field("tags['owner']", "exists", "false") is True
    assert field("tags['Sector']", "exists", True) is True
    assert field("Microsoft.Test/resourceType/nothing", "exists", "true") is False
    assert field("Microsoft.Test/resourceType/missing", "exists", "false") is True


def test_ordering_operators():
    assert field("Microsoft.Test/resourceType/count", "greater", 4) is True
    assert field("Microsoft.Test/resourceType/count", "lessOrEquals", 4) is False
    assert field("Microsoft.Test/resourceType/when", "less", "2024-11-01") is True
    assert field("Microsoft.Test/resourceType/when", "greaterOrEquals", "2024-06-01T00:00:00.0000000Z") is True
    assert ev({"value": "B", "greater": "a"}) is True  # InvariantCultureIgnoreCase


def test_ordering_across_types_is_an_error():
    with pytest.raises(EvaluationError, match="cannot order"):
        field("Microsoft.Test/resourceType/count", "less", "abc")
    with pytest.raises(EvaluationError):
        ev({"value": "[createArray(1)]", "greater": 0})


def test_keys_in_any_letter_case():
    cond = {"AnyOf": [{"Field": "kind", "EQUALS": "nope"}, {"not": {"field": "kind", "notin": ["openai"]}}]}
    assert ev(cond, R) is True
    assert ev({"allof": [{"field": "name", "Like": "myServer*"}]}, R) is True


def test_logical_operators():
    t, f = {"value": "a", "equals": "a"}, {"value": "a", "equals": "b"}
    assert ev({"allOf": [t, t]}) is True
    assert ev({"allOf": [t, f]}) is False
    assert ev({"anyOf": [f, t]}) is True
    assert ev({"anyOf": [f, f]}) is False
    assert ev({"not": f}) is True


def test_generic_fields():
    assert field("name", "equals", "myServer/db01") is True
    assert field("fullName", "equals", "myServer/db01") is True
    assert field("identity.type", "contains", "userassigned") is True
    assert field("tags['sector']", "equals", "POLICE") is True
    assert field("tags.Sector", "equals", "police") is True
    assert field("tags[cost-center]", "equals", 42) is True
    assert field("type", "equals", T.upper()) is True


def test_full_name_from_id():
    res = {"type": "Microsoft.Sql/servers/databases", "name": "db01",
           "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/srv/databases/db01"}
    assert ev({"field": "fullName", "equals": "srv/db01"}, res) is True
    assert ev({"field": "name", "equals": "db01"}, res) is True


def test_tag_with_apostrophes():
    res = {"type": T, "tags": {"'My.Apostrophe.Tag'": "x"}}
    assert ev({"field": "tags['''My.Apostrophe.Tag''']", "equals": "x"}, res) is True


def test_field_given_as_expression():
    # Microsoft's "use tags with parameters" example.
    cond = {"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"}
    assert ev(cond, R, parameters={"tagName": "owner"}) is True
    assert ev(cond, R, parameters={"tagName": "sector"}) is False


def test_location_is_normalised():
    assert field("location", "equals", "eastus2") is True
    assert field("location", "in", ["westus", "EASTUS2"]) is True
    assert field("location", "notEquals", "East US2") is False


def test_null_left_compares_as_empty_string():
    missing = "Microsoft.Test/resourceType/missing"
    assert field(missing, "equals", "") is True
    assert field(missing, "notEquals", "x") is True
    assert field(missing, "in", ["", "a"]) is True
    assert field(missing, "like", "*") is True
    assert ev({"value": "[tryGet(createObject(), 'x')]", "equals": ""}) is True


def test_null_right_side_is_an_error():
    with pytest.raises(EvaluationError, match="null") as info:
        ev({"allOf": [{"value": "a", "equals": "[tryGet(createObject(), 'x')]"}]})
    assert info.value.pointer == "/if/allOf/0"
    with pytest.raises(PolicyCompileError, match="null"):
        compile_condition({"field": "kind", "equals": None}, "/if")


def test_in_needs_an_array():
    with pytest.raises(EvaluationError, match="array"):
        ev({"value": "a", "in": "[parameters('p')]"}, parameters={"p": "a"})


def test_boolean_result_equals_string_true():
    # Microsoft's value example: "[less(length(field('tags')), 3)]" equals "true".
    res = {"type": T, "tags": {"a": "1"}}
    assert ev({"value": "[less(length(field('tags')), 3)]", "equals": "true"}, res) is True
    assert ev({"field": "Microsoft.Test/resourceType/flag", "equals": "True"}, R) is True


def test_template_failure_is_an_evaluation_error():
    with pytest.raises(EvaluationError):
        ev({"value": "[substring(field('name'), 0, 3)]", "equals": "abc"}, {"type": T, "name": "ab"})


@pytest.mark.parametrize(
    "cond, message, pointer",
    [
        ({"field": "kind", "equalz": "x"}, "unknown operator", "/if/equalz"),
        ({"field": "kind"}, "no operator", "/if"),
        ({"field": "kind", "equals": "a", "in": ["a"]}, "one operator", "/if"),
        ({"field": "kind", "value": "a", "equals": "a"}, "cannot combine", "/if"),
        ({"allOf": [{"field": "kind", "equals": "a"}, {"foo": 1}]}, "needs 'field'", "/if/allOf/1"),
        ({"allOf": {"field": "kind"}}, "must be an array", "/if/allOf"),
        ({"field": "kind", "exists": "maybe"}, "true or false", "/if/exists"),
        ({"field": "kind", "in": "a"}, "takes an array", "/if/in"),
        ({"value": "[concat('a', ]", "equals": "a"}, "column 14", "/if/value"),
        ({"count": {"field": "Microsoft.Test/resourceType/stringArray"}, "equals": 1}, "array alias", "/if/count/field"),
        ({"count": {"value": [1], "name": "bad name"}, "equals": 1}, "letters and digits", "/if/count/name"),
        ([], "JSON object", "/if"),
    ],
)
def test_compile_errors_name_the_pointer(cond, message, pointer):
    with pytest.raises(PolicyCompileError, match=message) as info:
        compile_condition(cond, "/if")
    assert info.value.pointer == pointer


def test_required_types_for_cheap_prefiltering():
    from generator.engine.conditions import required_types

    def types(cond):
        return required_types(compile_condition(cond, "/if"))

    assert types({"allOf": [{"field": "type", "equals": "A/b"}, {"field": "kind", "equals": "x"}]}) == {"a/b"}
    assert types({"anyOf": [{"field": "type", "equals": "A/b"}, {"field": "type", "in": ["C/d"]}]}) == {"a/b", "c/d"}
    assert types({"anyOf": [{"field": "type", "equals": "A/b"}, {"field": "kind", "equals": "x"}]}) is None
    assert types({"not": {"field": "type", "equals": "A/b"}}) is None
    assert types({"field": "type", "notEquals": "A/b"}) is None


def test_count_field_given_as_expression():
    res = {"type": T, "properties": {"list": [1, 2, 3]}}
    cond = {"count": {"field": "[concat('Microsoft.Test/resourceType/', 'list[*]')]"}, "equals": 3}
    assert ev(cond, res) is True


def test_deep_nesting_is_a_compile_error_not_a_crash():
    cond: dict = {"field": "kind", "equals": "a"}
    for _ in range(300):
        cond = {"not": cond}
    with pytest.raises(PolicyCompileError, match="nested"):
        compile_condition(cond, "/if")


def test_try_get_ignores_case():
    cond = {"value": "[tryGet(requestContext().identity, 'IDTYP')]", "equals": "user"}
    assert ev(cond, R, request_context={"identity": {"idtyp": "user"}}) is True


def test_ordering_type_mismatch_is_an_error_saying_what_was_compared():
    # Policy rule structure, "Conditions": "if the property type doesn't match the condition type,
    # an error is thrown" (issue 14 item 7): a numeric string is not ordered against a number.
    res = {"type": T, "properties": {"days": "30"}}
    with pytest.raises(EvaluationError) as err:
        ev({"field": "Microsoft.Test/resourceType/days", "greaterOrEquals": 7}, res)
    assert 'Microsoft.Test/resourceType/days' in err.value.message
    assert 'string "30" against integer 7' in err.value.message
    with pytest.raises(EvaluationError, match='integer 5 against string "10"'):
        ev({"value": 5, "less": "10"})
    with pytest.raises(EvaluationError):
        ev({"value": True, "less": 1})
    res = {"type": T, "properties": {"rules": [1, 2]}}
    with pytest.raises(EvaluationError, match=r'count\(Microsoft.Test/resourceType/rules\[\*\]\): .*integer 2 against string "1"'):
        ev({"count": {"field": "Microsoft.Test/resourceType/rules[*]"}, "greater": "1"}, res)


def test_ordering_on_a_missing_property_is_false_not_an_error():
    assert ev({"field": "Microsoft.Test/resourceType/missing", "less": 3}, R) is False
    assert ev({"field": "Microsoft.Test/resourceType/missing", "greaterOrEquals": "1.2"}, R) is False
