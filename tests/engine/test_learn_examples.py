"""Microsoft Learn's worked examples, each test citing the page and section it comes from.

Pages: "Author policies for array properties on Azure resources" (how-to/author-policies-for-arrays)
and "Azure Policy definition structure policy rule" (concepts/definition-structure-policy-rule).
"""

from __future__ import annotations

import pytest

from generator.engine.policies import compile_definition
from generator.errors import PolicyCompileError

from engine_helpers import ev

SA = "Microsoft.Storage/storageAccounts"
FIELD = f"{SA}/networkAcls.ipRules[*].value"
IP_RULES_ACCOUNT = {"type": SA, "name": "st", "properties": {"networkAcls": {"ipRules": [
    {"value": "127.0.0.1", "action": "Allow"}, {"value": "192.168.1.1", "action": "Allow"}]}}}


# Author policies for array properties, "Evaluating the [*] alias": the scenario table. Each row's
# condition goes into allOf [ipRules exists, <condition>]; "effect" means the if holds.
@pytest.mark.parametrize("condition, effect", [
    ({"field": FIELD, "notEquals": "127.0.0.1"}, False),
    ({"field": FIELD, "notEquals": "10.0.4.1"}, True),
    ({"not": {"field": FIELD, "Equals": "127.0.0.1"}}, True),
    ({"not": {"field": FIELD, "Equals": "10.0.4.1"}}, True),
    ({"not": {"field": FIELD, "notEquals": "127.0.0.1"}}, True),
    ({"not": {"field": FIELD, "notEquals": "10.0.4.1"}}, False),
    ({"field": FIELD, "Equals": "127.0.0.1"}, False),
    ({"field": FIELD, "Equals": "10.0.4.1"}, False),
])
def test_array_alias_scenario_table(condition, effect):
    rule = {"allOf": [{"field": f"{SA}/networkAcls.ipRules", "exists": "true"}, condition]}
    assert ev(rule, IP_RULES_ACCOUNT) is effect


def _definition(rule_if: dict, parameters: dict | None = None) -> dict:
    return {"name": "d", "properties": {"mode": "All", "parameters": parameters or {},
                                        "policyRule": {"if": rule_if, "then": {"effect": "audit"}}}}


def test_equals_with_an_array_parameter_is_refused():
    # Author policies for array properties, "Array conditions": equals with a parameter of type Array
    # is refused on create ("... is type 'Array', expected type is 'String'"); in / notIn are fine.
    params = {"allowedLocations": {"type": "Array"}}
    with pytest.raises(PolicyCompileError, match="expected type is 'String'.*'Array conditions'"):
        compile_definition(_definition({"not": {"field": "location", "equals": "[parameters('allowedLocations')]"}},
                                       params))
    compile_definition(_definition({"not": {"field": "location", "in": "[parameters('allowedLocations')]"}}, params))
    with pytest.raises(PolicyCompileError, match="expected type is 'String'"):
        compile_definition(_definition({"field": "location", "equals": ["eastus", "westus"]}))


NSG = "Microsoft.Network/networkSecurityGroups"
RULES = f"{NSG}/securityRules[*]"


def _nsg(*rules: dict) -> dict:
    # Alias paths of the full table: properties.securityRules[*].properties.<name>.
    return {"type": NSG, "name": "nsg", "properties": {"securityRules": [{"name": r.get("name", "r"), "properties": r}
                                                                         for r in rules]}}


RDP = {"name": "rdp", "direction": "Inbound", "access": "Allow", "destinationPortRange": "3389",
       "description": "My unique description"}
HTTPS = {"name": "https", "direction": "Inbound", "access": "Allow", "destinationPortRange": "443",
         "description": "web"}


def test_field_count_example_empty_array():
    # Policy rule structure, "Field count examples", example 1: check if an array is empty.
    cond = {"count": {"field": RULES}, "equals": 0}
    assert ev(cond, _nsg()) is True
    assert ev(cond, _nsg(HTTPS)) is False


def test_field_count_example_one_member_meets_the_condition():
    # Policy rule structure, "Field count examples", example 2: at least one member matches.
    cond = {"count": {"field": RULES, "where": {"field": f"{RULES}.description", "equals": "My unique description"}},
            "greater": 0}
    assert ev(cond, _nsg(HTTPS, RDP)) is True
    assert ev(cond, _nsg(HTTPS)) is False


def test_field_count_example_multiple_conditions():
    # Policy rule structure, "Field count examples", example 3: one member meets several conditions.
    cond = {"count": {"field": RULES, "where": {"allOf": [
        {"field": f"{RULES}.direction", "equals": "Inbound"},
        {"field": f"{RULES}.access", "equals": "Allow"},
        {"field": f"{RULES}.destinationPortRange", "equals": "3389"}]}}, "greater": 0}
    assert ev(cond, _nsg(HTTPS, RDP)) is True
    assert ev(cond, _nsg(HTTPS, {**RDP, "access": "Deny"})) is False


def test_field_count_example_current_in_where():
    # Policy rule structure, "Field count examples": current() of the counted member inside where.
    cond = {"count": {"field": RULES, "where": {"value": f"[current('{RULES}.destinationPortRange')]",
                                                "equals": "3389"}}, "greater": 0}
    assert ev(cond, _nsg(HTTPS, RDP)) is True
    assert ev(cond, _nsg(HTTPS)) is False


def test_field_count_example_field_function_in_where():
    # Policy rule structure, "Field count examples": field() inside where returns the current member
    # (as a one-member array for a [*] alias).
    cond = {"count": {"field": RULES, "where": {"value": f"[length(field('{RULES}.name'))]", "equals": 1}},
            "equals": f"[length(field('{RULES}'))]"}
    assert ev(cond, _nsg(HTTPS, RDP)) is True


def test_value_count_example_in_a_literal_array():
    # Policy rule structure, "Value count examples", example 1: the name matches one of the patterns.
    cond = {"count": {"value": ["prefix1_*", "prefix2_*"], "name": "pattern",
                      "where": {"field": "name", "like": "[current('pattern')]"}}, "greater": 0}
    assert ev(cond, {"type": SA, "name": "prefix1_store"}) is True
    assert ev(cond, {"type": SA, "name": "other"}) is False


def test_value_count_limits_are_checked_on_create():
    # Policy rule structure, "Value count": at most 10 value counts in a rule and 100 iterations each.
    one = {"count": {"value": [1]}, "equals": 1}
    with pytest.raises(PolicyCompileError, match="at most 10.*'Value count'"):
        compile_definition(_definition({"allOf": [one] * 11}))
    compile_definition(_definition({"allOf": [one] * 10}))
    with pytest.raises(PolicyCompileError, match="at most 100 iterations"):
        compile_definition(_definition({"count": {"value": list(range(101))}, "equals": 101}))


def test_value_count_iterations_include_the_parents():
    from generator.engine.values import EvaluationError

    inner = {"count": {"value": "[range(0, 11)]", "name": "i"}, "equals": 11}
    cond = {"count": {"value": "[range(0, 10)]", "name": "o", "where": inner}, "equals": 10}
    with pytest.raises(EvaluationError, match="110 iterations"):
        ev(cond)
    ok = {"count": {"value": "[range(0, 10)]", "name": "o", "where": {**inner, "count": {
        "value": "[range(0, 10)]", "name": "i"}, "equals": 10}}, "equals": 10}
    assert ev(ok) is True


# Author policies for array properties, "Referencing array resource properties": field() examples
# are in test_arrays.py (test_field_function_table, test_field_function_inside_where_returns_single_member_array).
