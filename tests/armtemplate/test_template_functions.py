"""Template functions evaluate with the engine's one expression evaluator, in a template context only."""

from __future__ import annotations

from typing import Any

import pytest

from generator.armtemplate.expand import Where, _Expander, Expansion
from generator.armtemplate.frame import Frame, Run, Target
from generator.engine.values import UNKNOWN

SUB = "11111111-2222-3333-4444-555555555555"


def ev(expr: Any, *, parameters: dict | None = None, variables: dict | None = None, given: dict | None = None,
       target: Target | None = None, functions: list | None = None) -> tuple[Any, list[str]]:
    """Evaluate ``expr`` (a JSON value) in a template with the given declarations."""
    tpl: dict[str, Any] = {"parameters": parameters or {}, "variables": variables or {}, "resources": []}
    if functions:
        tpl["functions"] = functions
    run = Run()
    target = target or Target("resourceGroup", SUB, "rg1")
    frame = Frame(run, tpl, where=Where("t.json"), base="", target=target, given=given or {},
                  deployment={"name": "dep1"})
    scope = _Expander(run, Expansion()).scope_for(frame, target)
    return frame.eval(expr, "/x", scope, props=True), run.warnings


def value(expr: Any, **kw: Any) -> Any:
    out, warnings = ev(expr, **kw)
    assert not warnings, warnings
    return out


@pytest.mark.parametrize("expr, expected", [
    # resourceId: the docs' forms at resource-group level
    ("[resourceId('Microsoft.Network/virtualNetworks', 'vnet')]",
     f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet"),
    ("[resourceId('otherRg', 'Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sn')]",
     f"/subscriptions/{SUB}/resourceGroups/otherRg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sn"),
    ("[resourceId('22222222-2222-2222-2222-222222222222', 'rg2', 'Microsoft.Storage/storageAccounts', 'st')]",
     "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/st"),
    ("[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg9')]",
     f"/subscriptions/{SUB}/providers/Microsoft.Resources/resourceGroups/rg9"),
    ("[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p1')]",
     "/providers/Microsoft.Authorization/policyDefinitions/p1"),
    ("[extensionResourceId('/subscriptions/x/resourceGroups/y', 'Microsoft.Authorization/locks', 'l')]",
     "/subscriptions/x/resourceGroups/y/providers/Microsoft.Authorization/locks/l"),
    ("[resourceGroup().name]", "rg1"),
    ("[subscription().subscriptionId]", SUB),
    ("[deployment().name]", "dep1"),
    ("[createObject('a', 1, 'b', createArray(1, 2))]", {"a": 1, "b": [1, 2]}),
    ("[union(createObject('a', 1), createObject('b', 2))]", {"a": 1, "b": 2}),
    ("[items(createObject('b', 2, 'a', 1))]", [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
    ("[if(equals(1, 1), 'yes', 'no')]", "yes"),
    ("[filter(createArray(1, 2, 3, 4), lambda('n', greater(lambdaVariables('n'), 2)))]", [3, 4]),
    ("[map(range(0, 3), lambda('i', mul(lambdaVariables('i'), 10)))]", [0, 10, 20]),
    ("[reduce(createArray(1, 2, 3), 0, lambda('acc', 'n', add(lambdaVariables('acc'), lambdaVariables('n'))))]", 6),
    ("[sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]", [1, 2, 3]),
    ("[toObject(createArray('x', 'y'), lambda('k', lambdaVariables('k')), lambda('k', length(lambdaVariables('k'))))]",
     {"x": 1, "y": 1}),
    ("[groupBy(createArray('ab', 'ac', 'b'), lambda('s', first(lambdaVariables('s'))))]", {"a": ["ab", "ac"], "b": ["b"]}),
    ("[mapValues(createObject('a', 1), lambda('v', add(lambdaVariables('v'), 1)))]", {"a": 2}),
    ("[dateTimeAdd('2020-04-07T14:53:14Z', 'P3Y')]", "2023-04-07T14:53:14Z"),
    ("[dateTimeAdd('2020-04-07T14:53:14Z', '-PT1H')]", "2020-04-07T13:53:14Z"),
    ("[dateTimeFromEpoch(1683040573)]", "2023-05-02T15:16:13Z"),
    ("[dateTimeToEpoch('2023-05-02T15:16:13Z')]", 1683040573),
    ("[[not an expression]", "[not an expression]"),
    ({"[concat('k', '1')]": "v"}, {"k1": "v"}),
])
def test_documented_functions(expr: Any, expected: Any) -> None:
    assert value(expr) == expected


def test_guid_and_unique_string_are_deterministic() -> None:
    a = value("[guid(resourceGroup().id, 'x')]")
    assert a == value("[guid(resourceGroup().id, 'x')]") and len(a) == 36
    u = value("[uniqueString(resourceGroup().id)]")
    assert len(u) == 13 and u == value("[uniqueString(resourceGroup().id)]")


def test_parameters_variables_and_copy() -> None:
    params = {"n": {"type": "int", "defaultValue": 2}, "prefix": {"type": "string", "defaultValue": "[concat('p', 'x')]"}}
    variables = {"name": "[concat(parameters('prefix'), '-', parameters('n'))]",
                 "copy": [{"name": "disks", "count": "[parameters('n')]", "input": {"lun": "[copyIndex('disks', 1)]"}}]}
    assert value("[variables('name')]", parameters=params, variables=variables) == "px-2"
    assert value("[variables('disks')]", parameters=params, variables=variables) == [{"lun": 1}, {"lun": 2}]
    assert value("[parameters('n')]", parameters=params, given={"n": 5}) == 5
    # property copy loops inside an object
    loop = {"copy": [{"name": "rules", "count": 2, "input": "[concat('r', copyIndex('rules'))]"}]}
    assert value(loop) == {"rules": ["r0", "r1"]}


def test_user_defined_functions() -> None:
    functions = [{"namespace": "contoso", "members": {"prefixed": {
        "parameters": [{"name": "name", "type": "string"}],
        "output": {"type": "string", "value": "[concat('ct-', parameters('name'))]"}}}}]
    assert value("[contoso.prefixed('ai')]", functions=functions) == "ct-ai"


@pytest.mark.parametrize("expr, fragment", [
    ("[reference('acct').properties]", "reference() is known only at deployment"),
    ("[listKeys('acct', '2024-10-01').key1]", "listKeys() is known only at deployment"),
    ("[newGuid()]", "newGuid() is known only at deployment"),
    ("[utcNow()]", "utcNow() outside a parameter's defaultValue"),
    ("[environment().name]", "environment() is known only at deployment"),
])
def test_runtime_functions_are_unknown_with_a_warning(expr: str, fragment: str) -> None:
    out, warnings = ev(expr)
    assert out is UNKNOWN
    assert any(fragment in w and "t.json /x" in w for w in warnings), warnings


def test_utc_now_in_a_parameter_default_is_evaluated() -> None:
    params = {"stamp": {"type": "string", "defaultValue": "[utcNow('yyyy')]"}}
    out = value("[parameters('stamp')]", parameters=params)
    assert isinstance(out, str) and len(out) == 4 and out.isdigit()


@pytest.mark.parametrize("expr, fragment", [
    ("[field('type')]", "field() is available in policy rules only"),
    ("[current('x')]", "current() is available in policy rules only"),
    ("[parameters('nope')]", "the template declares no parameter 'nope'"),
    ("[variables('nope')]", "the template declares no variable 'nope'"),
    ("[copyIndex()]", "copyIndex() is used outside a copy loop"),
    ("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'only-one')]", "needs 2 name segment(s)"),
    ("[concat('a', ]", "cannot evaluate"),
])
def test_what_cannot_be_evaluated_is_a_warning_and_unknown(expr: str, fragment: str) -> None:
    out, warnings = ev(expr)
    assert out is UNKNOWN
    assert any(fragment in w for w in warnings), warnings


def test_a_required_parameter_without_value_is_unknown() -> None:
    out, warnings = ev("[toUpper(parameters('model'))]", parameters={"model": {"type": "string"}})
    assert out is UNKNOWN
    assert any("parameter 'model' has no value" in w for w in warnings)


def test_an_unknown_resource_group_name_makes_ids_unknown() -> None:
    out = value("[resourceId('Microsoft.Web/sites', 'x')]", target=Target("resourceGroup", SUB, UNKNOWN))
    assert out is UNKNOWN


def test_subscription_level_resource_id() -> None:
    assert value("[resourceId('Microsoft.Resources/resourceGroups', 'rg')]", target=Target("subscription", SUB)) == \
        f"/subscriptions/{SUB}/providers/Microsoft.Resources/resourceGroups/rg"


@pytest.mark.parametrize("expr", [
    "[resourceId('Microsoft.Web/sites', 'x')]", "[variables('v')]", "[copyIndex()]", "[deployment().name]",
    "[reference('x')]", "[map(createArray(1), lambda('i', lambdaVariables('i')))]",
])
def test_policy_rules_keep_azure_policys_function_set(expr: str) -> None:
    from generator.engine.expressions import ExpressionSyntaxError, compile_node, parse_expression

    with pytest.raises(ExpressionSyntaxError):
        compile_node(parse_expression(expr), expr)


def test_policy_rules_still_compile_field_and_parameters() -> None:
    from generator.engine.expressions import compile_node, parse_expression

    for expr in ("[field('type')]", "[parameters('x')]", "[current('a')]"):
        compile_node(parse_expression(expr), expr)


def test_resource_ids_in_a_template_without_subscription_use_the_placeholder(tmp_path: Any) -> None:
    from generator.armtemplate import read_template_file
    from tests.armtemplate.helpers import dump, template

    path = dump(tmp_path / "t.json", template([{"type": "Microsoft.Web/sites", "name": "s",
                                                "properties": {"ref": "[resourceId('Microsoft.Web/sites', 's')]"}}]))
    expansion, run = read_template_file(str(path))
    ref = expansion.resources[0].resource["properties"]["ref"]
    assert ref == ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/deployment-resource-group"
                   "/providers/Microsoft.Web/sites/s")
    assert run.used_placeholder_subscription


def test_a_nullable_parameter_without_value_is_null() -> None:
    assert value("[coalesce(parameters('sku'), 'S0')]", parameters={"sku": {"type": "string", "nullable": True}}) == "S0"
