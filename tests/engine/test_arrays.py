"""`[*]` aliases, field() on arrays and count expressions: Microsoft's array-properties examples."""

from __future__ import annotations

import pytest

from generator.engine.conditions import compile_value

from engine_helpers import T, ev, make_scope

SA = f"{T}/stringArray"
OA = f"{T}/objectArray"


def fval(expr, resource):
    return compile_value(expr, "/v").evaluate(make_scope(resource))


@pytest.mark.parametrize(
    "alias, expected",
    [
        (f"{T}/missingArray", ""),
        (f"{T}/missingArray[*]", []),
        (f"{T}/missingArray[*].property", []),
        (f"{SA}", ["a", "b", "c"]),
        (f"{SA}[*]", ["a", "b", "c"]),
        (f"{OA}[*].property", ["value1", "value2"]),
        (f"{OA}[*].nestedArray", [[1, 2], [3, 4]]),
        (f"{OA}[*].nestedArray[*]", [1, 2, 3, 4]),
    ],
)
def test_field_function_table(docs_resource, alias, expected):
    assert fval(f"[field('{alias}')]", docs_resource) == expected


def test_field_condition_on_star_alias_means_every_element(docs_resource):
    assert ev({"field": f"{SA}[*]", "in": ["a", "b", "c"]}, docs_resource) is True
    assert ev({"field": f"{SA}[*]", "equals": "a"}, docs_resource) is False
    assert ev({"field": f"{OA}[*].property", "like": "value*"}, docs_resource) is True
    assert ev({"field": f"{OA}[*].nestedArray[*]", "greater": 0}, docs_resource) is True
    assert ev({"field": f"{OA}[*].nestedArray[*]", "greater": 1}, docs_resource) is False


def test_empty_and_missing_arrays_satisfy_star_conditions(docs_resource):
    docs_resource["properties"]["emptyArray"] = []
    assert ev({"field": f"{T}/emptyArray[*]", "equals": "x"}, docs_resource) is True
    assert ev({"field": f"{T}/missingArray[*].property", "equals": "x"}, docs_resource) is True
    # The array itself (no [*]) is null when missing.
    assert ev({"field": f"{T}/missingArray", "exists": "false"}, docs_resource) is True


def test_ip_rules_example():
    # Microsoft's ipRules example: notEquals over [*] is false when one element equals.
    res = {"type": "Microsoft.Storage/storageAccounts", "properties": {"networkAcls": {"ipRules": [
        {"value": "127.0.0.1", "action": "Allow"}, {"value": "192.168.1.1", "action": "Allow"}]}}}
    cond = {"allOf": [
        {"field": "Microsoft.Storage/storageAccounts/networkAcls.ipRules", "exists": "true"},
        {"field": "Microsoft.Storage/storageAccounts/networkAcls.ipRules[*].value", "notEquals": "127.0.0.1"},
    ]}
    assert ev(cond, res) is False
    res["properties"]["networkAcls"]["ipRules"].pop(0)
    assert ev(cond, res) is True


def test_count_without_where(docs_resource):
    assert ev({"count": {"field": f"{SA}[*]"}, "equals": 3}, docs_resource) is True
    assert ev({"count": {"field": f"{OA}[*].nestedArray[*]"}, "greaterOrEquals": 4}, docs_resource) is True
    assert ev({"count": {"field": f"{T}/missingArray[*]"}, "equals": 0}, docs_resource) is True


def test_count_with_where(docs_resource):
    cond = {"count": {"field": f"{SA}[*]", "where": {"field": f"{SA}[*]", "equals": "a"}}, "equals": 1}
    assert ev(cond, docs_resource) is True
    complex_ = {"count": {"field": f"{OA}[*]", "where": {"allOf": [
        {"field": f"{OA}[*].property", "equals": "value2"},
        {"field": f"{OA}[*].nestedArray[*]", "greater": 2},
    ]}}, "equals": 1}
    assert ev(complex_, docs_resource) is True


def test_where_can_refer_outside_the_array(docs_resource):
    cond = {"count": {"field": f"{OA}[*]", "where": {"field": "tags.env", "equals": "prod"}}, "equals": 2}
    assert ev(cond, docs_resource) is True


def test_nested_count(docs_resource):
    inner = {"count": {"field": f"{OA}[*].nestedArray[*]",
                       "where": {"field": f"{OA}[*].nestedArray[*]", "equals": 3}}, "greater": 0}
    cond = {"count": {"field": f"{OA}[*]", "where": {"allOf": [
        {"field": f"{OA}[*].property", "equals": "value2"}, inner]}}, "equals": 1}
    assert ev(cond, docs_resource) is True
    cond["equals"] = 2
    assert ev(cond, docs_resource) is False


def test_field_function_inside_where_returns_single_member_array(docs_resource):
    bare = {"count": {"field": f"{SA}[*]", "where": {"field": f"{SA}[*]",
            "equals": f"[field('{SA}[*]')]"}}, "equals": 0}
    assert ev(bare, docs_resource) is True
    first = {"count": {"field": f"{SA}[*]", "where": {"field": f"{SA}[*]",
             "equals": f"[first(field('{SA}[*]'))]"}}, "equals": 3}
    assert ev(first, docs_resource) is True


def test_current_in_field_count():
    vnet = {"type": "Microsoft.Network/virtualNetworks",
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/26", "10.0.1.0/24"]}}}
    alias = "Microsoft.Network/virtualNetworks/addressSpace.addressPrefixes[*]"
    ex6 = {"count": {"field": alias, "where": {
        "value": f"[ipRangeContains('10.0.0.0/24', current('{alias}'))]", "equals": False}}, "greater": 0}
    assert ev(ex6, vnet) is True
    ex7 = {"count": {"field": alias, "where": {
        "value": f"[ipRangeContains('10.0.0.0/24', first(field(('{alias}'))))]", "equals": False}}, "equals": 1}
    assert ev(ex7, vnet) is True
    vnet["properties"]["addressSpace"]["addressPrefixes"] = ["10.0.0.0/26"]
    assert ev(ex6, vnet) is False


def test_current_of_member_property():
    res = {"type": "Microsoft.Security/pricings", "properties": {"extensions": [
        {"name": "a", "additionalExtensionProperties": {"SecurityGatingEnabled": "true"}},
        {"name": "b"}]}}
    alias = "Microsoft.Security/pricings/extensions[*]"
    cond = {"count": {"field": alias, "where": {
        "value": f"[coalesce(tryGet(current('{alias}.additionalExtensionProperties'), 'SecurityGatingEnabled'), '')]",
        "equals": "true"}}, "equals": 1}
    assert ev(cond, res) is True


@pytest.mark.parametrize("name_key, current", [({"name": "pattern"}, "[current('pattern')]"), ({}, "[current()]")])
def test_value_count_examples(name_key, current):
    cond = {"count": {"value": ["prefix1_*", "prefix2_*"], **name_key,
                      "where": {"field": "name", "like": current}}, "greater": 0}
    assert ev(cond, {"type": T, "name": "prefix2_abc"}) is True
    assert ev(cond, {"type": T, "name": "other"}) is False


def test_value_count_over_parameter_nested_in_field_count():
    # Microsoft's value count example 4: prefixes not under an approved prefix.
    alias = "Microsoft.Network/virtualNetworks/addressSpace.addressPrefixes[*]"
    cond = {"count": {"field": alias, "where": {"count": {
        "value": "[parameters('approvedPrefixes')]", "name": "approvedPrefix",
        "where": {"value": f"[ipRangeContains(current('approvedPrefix'), current('{alias}'))]", "equals": True}},
        "equals": 0}}, "greater": 0}
    vnet = {"type": "Microsoft.Network/virtualNetworks",
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/26", "172.16.0.0/24"]}}}
    params = {"approvedPrefixes": ["10.0.0.0/16", "192.168.0.0/16"]}
    assert ev(cond, vnet, parameters=params) is True
    params["approvedPrefixes"].append("172.16.0.0/12")
    assert ev(cond, vnet, parameters=params) is False


def test_reserved_nsg_rules_example():
    # Microsoft's value count example 5: objects in a parameter matched against NSG rules.
    rules = [{"priority": 101, "access": "deny", "direction": "inbound", "destinationPortRange": 22},
             {"priority": 102, "access": "deny", "direction": "inbound", "destinationPortRange": 3389}]
    nsg = "Microsoft.Network/networkSecurityGroups/securityRules[*]"
    cond = {"count": {"value": "[parameters('reservedNsgRules')]", "name": "reservedNsgRule", "where": {"count": {
        "field": nsg, "where": {"allOf": [
            {"field": f"{nsg}.{p}", "equals": f"[current('reservedNsgRule').{p}]"}
            for p in ("priority", "access", "direction", "destinationPortRange")]}}, "equals": 1}},
        "equals": "[length(parameters('reservedNsgRules'))]"}
    # The real alias paths (full table): properties.securityRules[*].properties.<name>.
    res = {"type": "Microsoft.Network/networkSecurityGroups", "properties": {"securityRules": [{"properties": r} for r in [
        {"priority": 101, "access": "Deny", "direction": "Inbound", "destinationPortRange": "22"},
        {"priority": 102, "access": "Deny", "direction": "Inbound", "destinationPortRange": "3389"},
        {"priority": 200, "access": "Allow", "direction": "Inbound", "destinationPortRange": "443"}]]}}
    assert ev(cond, res, parameters={"reservedNsgRules": rules}) is True
    res["properties"]["securityRules"].pop(1)
    assert ev(cond, res, parameters={"reservedNsgRules": rules}) is False


def test_count_all_members_example():
    # Field count example 4: all members meet the condition.
    nsg = "Microsoft.Network/networkSecurityGroups/securityRules[*]"
    cond = {"count": {"field": nsg, "where": {"field": f"{nsg}.description", "equals": "description"}},
            "equals": f"[length(field('{nsg}'))]"}
    res = {"type": "Microsoft.Network/networkSecurityGroups",
           "properties": {"securityRules": [{"properties": {"description": "Description"}},
                                            {"properties": {"description": "description"}}]}}
    assert ev(cond, res) is True
    res["properties"]["securityRules"].append({"properties": {"description": "other"}})
    assert ev(cond, res) is False
