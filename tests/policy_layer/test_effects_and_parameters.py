"""Definitions: parameters, effect resolution, modes and what each effect reports."""

from __future__ import annotations

import pytest

from generator.context import Context
from generator.engine.evaluator import Evaluator, load_policy_files
from generator.engine.policies import unwrap_parameter_values
from generator.errors import InputError
from policy_layer.helpers import SUB, deployment, police_context, vision_definition, write


def run(tmp_path, definition, resource, parameters=None, context=None, **kw):
    path = write(tmp_path / "def.json", definition)
    lib = load_policy_files([path])
    assert not lib.invalid, lib.invalid
    ev = Evaluator(lib, parameters=parameters or {}, **kw)
    if ev.plan_errors:
        raise InputError(ev.plan_errors[0].message, file=ev.plan_errors[0].file, pointer=ev.plan_errors[0].pointer)
    ctx = Context.from_data(context if context is not None else police_context())
    return ev.evaluate(resource, ctx.resolve(resource.get("id")), address="r")


def test_default_effect_deny_matches_with_explanation(tmp_path) -> None:
    [res] = run(tmp_path, vision_definition(), deployment("gpt-4o"))
    assert (res.result, res.effect) == ("match", "deny")
    assert res.clauseId == "aoai-police-1" and res.clauseSource == "https://example.test/coc"
    assert res.definitionFile.endswith("def.json")
    joined = " | ".join(res.explanation)
    assert "model.name 'gpt-4o' is not in parameter clearedModels" in joined
    assert "subscription tag sector='police' is in parameter lawEnforcementValues" in joined
    assert res.trace and res.trace[0]["pointer"].startswith("/properties/policyRule/if")


def test_cleared_model_does_not_match_and_is_not_traced_by_default(tmp_path) -> None:
    [res] = run(tmp_path, vision_definition(), deployment("text-embedding-3-large"))
    assert res.result == "no-match"
    assert res.trace is None and res.explanation is None  # traces are built only for reported results


def test_definition_without_properties_wrapper(tmp_path) -> None:
    [res] = run(tmp_path, vision_definition(wrapped=False), deployment("gpt-4o"))
    assert res.result == "match"
    assert res.trace[0]["pointer"].startswith("/policyRule/if")


@pytest.mark.parametrize("given", [{"effect": {"value": "Audit"}}, {"effect": "Audit"}, {"effect": "audit"}])
def test_effect_parameter_forms(tmp_path, given) -> None:
    [res] = run(tmp_path, vision_definition(), deployment(), parameters=unwrap_parameter_values(given))
    assert (res.result, res.effect) == ("match", "audit")


def test_effect_outside_allowed_values_is_bad_input(tmp_path) -> None:
    with pytest.raises(InputError) as err:
        run(tmp_path, vision_definition(), deployment(), parameters={"effect": "Modify"})
    assert "allowedValues" in err.value.message and err.value.exit_code == 2


def test_parameter_of_wrong_type_is_bad_input(tmp_path) -> None:
    with pytest.raises(InputError, match="declared array"):
        run(tmp_path, vision_definition(), deployment(), parameters={"clearedModels": "gpt-4o"})


def test_missing_required_parameter_is_bad_input(tmp_path) -> None:
    d = vision_definition()
    del d["properties"]["parameters"]["clearedModels"]["defaultValue"]
    with pytest.raises(InputError, match="'clearedModels' has no value"):
        run(tmp_path, d, deployment())


def test_disabled_is_not_applicable(tmp_path) -> None:
    [res] = run(tmp_path, vision_definition(), deployment(), parameters={"effect": "Disabled"})
    assert (res.result, res.effect) == ("not-applicable", "disabled")
    assert "Disabled" in res.message


def test_indexed_mode_skips_deployments_but_not_tagged_types(tmp_path) -> None:
    [res] = run(tmp_path, vision_definition(mode="Indexed"), deployment())
    assert res.result == "not-applicable" and "Indexed" in res.message
    d = vision_definition(mode="Indexed")
    d["properties"]["policyRule"]["if"] = {"field": "type", "equals": "Microsoft.Storage/storageAccounts"}
    storage = {"id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s",
               "type": "Microsoft.Storage/storageAccounts", "name": "s", "location": "eastus", "tags": {}}
    [res] = run(tmp_path, d, storage)
    assert res.result == "match"


def test_missing_mode_behaves_as_indexed(tmp_path) -> None:
    d = vision_definition()
    del d["properties"]["mode"]
    [res] = run(tmp_path, d, deployment())
    assert res.result == "not-applicable"


def test_resource_provider_mode_is_not_evaluable_offline(tmp_path) -> None:
    [res] = run(tmp_path, vision_definition(mode="Microsoft.CognitiveServices.Data"), deployment())
    assert res.result == "not-applicable"
    assert "not evaluable offline" in res.message and "Microsoft.CognitiveServices.Data" in res.message


def _with_then(then: dict) -> dict:
    d = vision_definition()
    d["properties"]["policyRule"]["then"] = then
    return d


def test_modify_reports_operations(tmp_path) -> None:
    d = _with_then({"effect": "modify", "details": {
        "roleDefinitionIds": ["/providers/microsoft.authorization/roleDefinitions/x"],
        "operations": [{"operation": "addOrReplace", "field": "tags['sector']",
                        "value": "[subscription().tags['sector']]"}]}})
    [res] = run(tmp_path, d, deployment())
    assert (res.result, res.effect) == ("match", "modify")
    assert res.details["operations"] == [{"field": "tags['sector']", "operation": "addOrReplace", "value": "police"}]
    assert "addOrReplace tags['sector'] = \"police\"" in res.message


def test_append_reports_operations(tmp_path) -> None:
    d = _with_then({"effect": "append", "details": [{"field": "tags['owner']", "value": "ops"}]})
    [res] = run(tmp_path, d, deployment())
    assert res.effect == "append" and res.details["operations"] == [{"field": "tags['owner']", "value": "ops"}]


@pytest.mark.parametrize("effect", ["auditIfNotExists", "deployIfNotExists"])
def test_if_not_exists_reports_existence_check(tmp_path, effect) -> None:
    d = _with_then({"effect": effect, "details": {"type": "Microsoft.Insights/diagnosticSettings",
                                                  "existenceCondition": {"field": "name", "equals": "x"}}})
    [res] = run(tmp_path, d, deployment())
    assert res.effect == effect.lower()
    assert "existence check would run for Microsoft.Insights/diagnosticSettings" in res.message
    assert res.details["existenceCheck"]["hasExistenceCondition"] is True


def test_deny_action_blocks_delete_only(tmp_path) -> None:
    d = _with_then({"effect": "denyAction", "details": {"actionNames": ["delete"]}})
    path = write(tmp_path / "d.json", d)
    ev = Evaluator(load_policy_files([path]))
    ctx = Context.from_data(police_context()).resolve(deployment()["id"])
    [create] = ev.evaluate(deployment(), ctx, address="r")
    [delete] = ev.evaluate(deployment(), ctx, address="r", action="delete")
    assert create.details["blocks"] is False and delete.details["blocks"] is True
    assert "would be blocked" in delete.message


def test_manual_effect(tmp_path) -> None:
    [res] = run(tmp_path, _with_then({"effect": "manual"}), deployment())
    assert res.effect == "manual" and "manual" in res.message


def test_undetermined_when_value_known_after_apply(tmp_path) -> None:
    from generator.engine.values import UNKNOWN

    res_doc = deployment()
    res_doc["properties"]["model"]["name"] = UNKNOWN
    [res] = run(tmp_path, vision_definition(), res_doc)
    assert (res.result, res.effect) == ("undetermined", "deny")
    assert "known only after apply" in res.message


def test_evaluation_error_is_error_result(tmp_path) -> None:
    d = vision_definition()
    d["properties"]["policyRule"]["if"] = {"value": "[substring(field('name'), 0, 500)]", "equals": "x"}
    [res] = run(tmp_path, d, deployment())
    assert (res.result, res.effect) == ("error", "deny")


def test_untagged_subscription_names_the_missing_tag(tmp_path) -> None:
    [res] = run(tmp_path, vision_definition(), deployment(), context={}, trace="all")
    assert res.result == "no-match"
    assert any("reads subscription tag 'sector', which no context gives" in e for e in res.explanation)


def test_unresolvable_parameters_make_only_that_definition_invalid(tmp_path) -> None:
    write(tmp_path / "a.json", vision_definition("a"))
    write(tmp_path / "b.json", vision_definition("b"))
    lib = load_policy_files([tmp_path])
    ev = Evaluator(lib, parameters={"effect": "Append"})  # outside allowedValues of both
    assert len(ev.plan_errors) == 2 and not ev.plans
    [inv, _] = ev.invalid_results("r")
    assert inv.result == "invalid" and "allowedValues" in inv.message and inv.definitionFile.endswith(".json")
    d = vision_definition("c")
    d["properties"]["parameters"]["effect"]["allowedValues"].append("Append")
    write(tmp_path / "c.json", d)
    ev = Evaluator(load_policy_files([tmp_path]), parameters={"effect": "Append"})
    assert len(ev.plans) == 1 and len(ev.plan_errors) == 2


def test_parameters_file_wrappers() -> None:
    assert unwrap_parameter_values({"a": {"value": 1}, "b": [1]}) == {"a": 1, "b": [1]}
    arm = {"$schema": "x", "contentVersion": "1.0.0.0", "parameters": {"effect": {"value": "Audit"}}}
    assert unwrap_parameter_values(arm) == {"effect": "Audit"}
