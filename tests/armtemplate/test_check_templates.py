"""`clausegate check TEMPLATE.json`: templates evaluated as Azure would deploy them (issue 13)."""

from __future__ import annotations

from pathlib import Path

from tests.armtemplate.helpers import (
    ALLOW, DENY, POLICE_US, SUB, SUB_SCHEMA, UNDETERMINED, account, check, dump, model_deployment,
    parameter_file, template, verdicts,
)

DEP = "Microsoft.CognitiveServices/accounts/deployments"


def _model_template() -> dict:
    return template(
        [account("[parameters('accountName')]"),
         model_deployment("[format('{0}/{1}', parameters('accountName'), 'chat')]", "[parameters('modelName')]",
                          dependsOn=["[resourceId('Microsoft.CognitiveServices/accounts', parameters('accountName'))]"])],
        parameters={"accountName": {"type": "string", "defaultValue": "police-oai"},
                    "modelName": {"type": "string", "defaultValue": "gpt-4.1-mini"}})


def test_a_parameter_default_is_the_deployed_value_and_is_denied(tmp_path: Path) -> None:
    path = dump(tmp_path / "template.json", _model_template())
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {
        f"{DEP}/police-oai/chat": DENY,
        "Microsoft.CognitiveServices/accounts/police-oai": ALLOW,
    }


def test_a_parameter_file_value_wins_over_the_default(tmp_path: Path) -> None:
    path = dump(tmp_path / "template.json", _model_template())
    params = parameter_file(tmp_path / "template.parameters.json", modelName="text-embedding-3-small")
    code, report, _ = check([str(path), "--template-parameters", str(params), *POLICE_US])
    assert code == 0
    assert verdicts(report) == {
        f"{DEP}/police-oai/chat": ALLOW,
        "Microsoft.CognitiveServices/accounts/police-oai": ALLOW,
    }


def test_later_parameter_files_win(tmp_path: Path) -> None:
    path = dump(tmp_path / "template.json", _model_template())
    first = parameter_file(tmp_path / "a.parameters.json", modelName="text-embedding-3-small")
    second = parameter_file(tmp_path / "b.parameters.json", modelName="gpt-4o")
    code, report, _ = check([str(path), "--template-parameters", str(first), "--template-parameters", str(second),
                             *POLICE_US])
    assert code == 1
    assert verdicts(report)[f"{DEP}/police-oai/chat"] == DENY


def test_a_required_parameter_without_a_value_is_undetermined_with_a_warning(tmp_path: Path) -> None:
    doc = _model_template()
    del doc["parameters"]["modelName"]["defaultValue"]
    path = dump(tmp_path / "template.json", doc)
    code, report, err = check([str(path), *POLICE_US])
    assert code == 0
    assert verdicts(report)[f"{DEP}/police-oai/chat"] == UNDETERMINED
    assert "parameter 'modelName' has no value" in err and "/parameters/modelName" in err
    code, _, _ = check([str(path), *POLICE_US, "--fail-on", "undetermined"])
    assert code == 1


def test_results_name_the_resource_and_its_line(tmp_path: Path) -> None:
    path = dump(tmp_path / "template.json", _model_template())
    _, report, _ = check([str(path), *POLICE_US])
    lines = path.read_text("utf-8").splitlines()
    hit = next(r for r in report["results"] if r["resource"] == f"{DEP}/police-oai/chat")
    assert hit["file"] == str(path)
    # the line where the resource's object starts: the one before its "type"
    assert lines[hit["line"]].strip() == f'"type": "{DEP}",'


def test_copy_count_zero_yields_nothing_and_copy_index_names_instances(tmp_path: Path) -> None:
    doc = template(
        [account(),
         model_deployment("[format('acct/d{0}', copyIndex(1))]", "[parameters('models')[copyIndex()]]",
                          copy={"name": "models", "count": "[length(parameters('models'))]"}),
         account("[concat('face', copyIndex())]", kind="Face", copy={"name": "faces", "count": 0})],
        parameters={"models": {"type": "array", "defaultValue": ["gpt-4o", "text-embedding-3-small"]}})
    path = dump(tmp_path / "template.json", doc)
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {
        "Microsoft.CognitiveServices/accounts/acct": ALLOW,
        f"{DEP}/acct/d1": DENY,
        f"{DEP}/acct/d2": ALLOW,
    }
    assert report["summary"]["resources"]["read"] == 3


def test_conditions_drop_keep_or_leave_undetermined(tmp_path: Path) -> None:
    doc = template(
        [account("face-off", kind="Face", condition="[equals(parameters('withFace'), 'yes')]"),
         account("face-on", kind="Face", condition="[not(equals(parameters('withFace'), 'yes'))]"),
         account("face-maybe", kind="Face", condition="[parameters('deployMaybe')]")],
        parameters={"withFace": {"type": "string", "defaultValue": "no"}, "deployMaybe": {"type": "bool"}})
    path = dump(tmp_path / "template.json", doc)
    code, report, err = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {
        "Microsoft.CognitiveServices/accounts/face-on": DENY,
        "Microsoft.CognitiveServices/accounts/face-maybe": UNDETERMINED,
    }
    assert "/resources/2/condition" in err


def test_languageversion_2_symbolic_names_and_existing_resources(tmp_path: Path) -> None:
    doc = template(
        {"acct": {**account("[parameters('name')]"), "existing": True},
         "chat": model_deployment("[format('{0}/{1}', parameters('name'), 'chat')]", "gpt-4o"),
         "embed": model_deployment("[format('{0}/{1}', parameters('name'), 'embed')]", "text-embedding-3-small")},
        parameters={"name": {"type": "string", "defaultValue": "oai"}}, languageVersion="2.0")
    path = dump(tmp_path / "main.json", doc)
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    # the existing account is read for its name only: not checked as deployed
    assert verdicts(report) == {"chat": DENY, "embed": ALLOW}


def _bicep_module(model: str) -> dict:
    """What `az bicep build` emits for `module ai 'ai.bicep' = { params: { modelName: '...' } }`."""
    inner = template(
        {"account": account("[parameters('accountName')]"),
         "deployment": model_deployment("[format('{0}/{1}', parameters('accountName'), parameters('modelName'))]",
                                        "[parameters('modelName')]",
                                        dependsOn=["account"])},
        parameters={"accountName": {"type": "string"}, "modelName": {"type": "string"}},
        languageVersion="2.0", metadata={"_generator": {"name": "bicep", "version": "0.30.0"}})
    return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "ai-module",
            "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                           "parameters": {"accountName": {"value": "[parameters('prefix')]"},
                                          "modelName": {"value": model}},
                           "template": inner}}


def test_bicep_nested_deployments_with_literal_parameters_are_fully_decided(tmp_path: Path) -> None:
    doc = template({"ai": _bicep_module("gpt-4o"), "embeddings": {**_bicep_module("text-embedding-3-small"),
                                                                  "name": "embed-module"}},
                   parameters={"prefix": {"type": "string", "defaultValue": "police"}}, languageVersion="2.0")
    path = dump(tmp_path / "main.json", doc)
    code, report, err = check([str(path), *POLICE_US, "--subscription-id", SUB, "--resource-group", "rg-ai"])
    assert code == 1
    assert verdicts(report) == {
        "ai::account": ALLOW, "ai::deployment": DENY,
        "embeddings::account": ALLOW, "embeddings::deployment": ALLOW,
    }
    assert not any(r["result"] == "undetermined" for r in report["results"])
    assert "cannot evaluate" not in err and "known only" not in err and "no value" not in err, err
    hit = next(r for r in report["results"] if r["resource"] == "ai::deployment")
    assert hit["file"] == str(path) and isinstance(hit["line"], int)


def test_nested_outer_scope_reads_the_parents_parameters_inner_its_own(tmp_path: Path) -> None:
    outer_nested = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outer",
                    "properties": {"mode": "Incremental", "template": template(
                        [model_deployment("outer-chat", "[parameters('modelName')]")],
                        parameters={"modelName": {"type": "string", "defaultValue": "text-embedding-3-small"}})}}
    inner_nested = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
                    "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                                   "template": template(
                                       [model_deployment("inner-chat", "[parameters('modelName')]")],
                                       parameters={"modelName": {"type": "string",
                                                                 "defaultValue": "text-embedding-3-small"}})}}
    doc = template([outer_nested, inner_nested],
                   parameters={"modelName": {"type": "string", "defaultValue": "gpt-4o"}})
    path = dump(tmp_path / "template.json", doc)
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {
        f"Microsoft.Resources/deployments/outer::{DEP}/acct/outer-chat": DENY,    # the parent's gpt-4o
        f"Microsoft.Resources/deployments/inner::{DEP}/acct/inner-chat": ALLOW,   # its own default
    }


def test_runtime_functions_and_unevaluable_expressions_warn_with_their_pointer(tmp_path: Path) -> None:
    doc = template(
        [account(),
         model_deployment("by-reference", "[reference('other').modelName]"),
         model_deployment("bad-function", "[noSuchFunction('x')]"),
         model_deployment("bad-syntax", "[concat('a', ]"),
         model_deployment("policy-only", "[field('name')]")])
    path = dump(tmp_path / "template.json", doc)
    code, report, err = check([str(path), *POLICE_US])
    assert code == 0
    v = verdicts(report)
    for name in ("by-reference", "bad-function", "bad-syntax", "policy-only"):
        assert v[f"{DEP}/acct/{name}"] == UNDETERMINED, name
    for i in (1, 2, 3, 4):
        assert f"/resources/{i}/properties/model/name" in err
    assert "reference() is known only at deployment" in err
    assert "unknown function noSuchFunction()" in err
    assert "field() is available in policy rules only" in err


def test_resource_group_option_and_context_tags(tmp_path: Path) -> None:
    # The resource group named by --resource-group takes its tags from the context: an attested
    # resource group lifts the mobile clause, not the US one.
    doc = template([account("face", kind="Face", location="[resourceGroup().location]")])
    path = dump(tmp_path / "template.json", doc)
    context = dump(tmp_path / "context.json", {
        "subscriptions": {SUB: {"tags": {"sector": "police", "jurisdiction": "US"}}},
        "resourceGroups": {f"{SUB}/rg-cams": {"location": "westeurope",
                                               "tags": {"camera-context": "stationary-controlled"}}}})
    code, report, _ = check([str(path), "--context", str(context), "--subscription-id", SUB,
                             "--resource-group", "rg-cams"])
    assert code == 1
    assert verdicts(report) == {"Microsoft.CognitiveServices/accounts/face": {
        "us-police": "match deny", "mobile-realtime-fr": "no-match deny"}}


def test_subscription_template_creates_the_resource_group_and_deploys_into_it(tmp_path: Path) -> None:
    nested = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "cams",
              "resourceGroup": "rg-cams", "dependsOn": ["[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg-cams')]"],
              "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                             "template": template([account("face", kind="Face")])}}
    rg = {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "rg-cams",
          "location": "westeurope", "tags": {"camera-context": "stationary-controlled"}}
    doc = template([rg, nested], **{"$schema": SUB_SCHEMA})
    path = dump(tmp_path / "template.json", doc)
    code, report, _ = check([str(path), *POLICE_US, "--subscription-id", SUB])
    assert code == 1
    v = verdicts(report)
    assert v["Microsoft.Resources/deployments/cams::Microsoft.CognitiveServices/accounts/face"] == {
        "us-police": "match deny", "mobile-realtime-fr": "no-match deny"}
    # mobile-realtime-fr is lifted only by the tag of rg-cams, which the template itself creates


def test_linked_templates_relative_path_is_read_uri_is_undetermined(tmp_path: Path) -> None:
    dump(tmp_path / "modules" / "ai.json", template([model_deployment("linked", "gpt-4o")]))
    doc = template([
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "local",
         "properties": {"mode": "Incremental", "templateLink": {"relativePath": "modules/ai.json"}}},
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "remote",
         "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.invalid/ai.json"}}}])
    path = dump(tmp_path / "main.json", doc)
    code, report, err = check([str(path), *POLICE_US])
    assert code == 1
    v = verdicts(report)
    assert v[f"Microsoft.Resources/deployments/local::{DEP}/acct/linked"] == DENY
    assert v["Microsoft.Resources/deployments/remote::(not read)"] == UNDETERMINED
    linked = next(r for r in report["results"] if r["resource"].endswith("/acct/linked"))
    assert linked["file"] == str(tmp_path / "modules" / "ai.json")
    assert "templateLink.uri is not fetched" in err and "/resources/1/properties/templateLink" in err


def test_variables_property_copy_and_lambdas(tmp_path: Path) -> None:
    doc = template(
        [account(properties={"copy": [{"name": "networkAcls", "count": 2,
                                       "input": {"value": "[format('10.0.{0}.0/24', copyIndex('networkAcls'))]"}}]}),
         model_deployment("[format('acct/{0}', variables('picked')[copyIndex()])]",
                          "[variables('picked')[copyIndex()]]",
                          copy={"name": "d", "count": "[length(variables('picked'))]"})],
        parameters={"models": {"type": "array", "defaultValue": [
            {"name": "gpt-4o", "enabled": True}, {"name": "text-embedding-3-small", "enabled": True},
            {"name": "gpt-4.1", "enabled": False}]}},
        variables={"picked": "[map(filter(parameters('models'), lambda('m', lambdaVariables('m').enabled)), "
                             "lambda('m', lambdaVariables('m').name))]"})
    path = dump(tmp_path / "template.json", doc)
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {
        "Microsoft.CognitiveServices/accounts/acct": ALLOW,
        f"{DEP}/acct/gpt-4o": DENY,
        f"{DEP}/acct/text-embedding-3-small": ALLOW,
    }


def test_bad_template_json_is_exit_2_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "template.json"
    path.write_text('{\n  "$schema": "x",\n  "contentVersion": "1.0.0.0",\n  "resources": [\n    {"type": }\n  ]\n}\n',
                    encoding="utf-8")
    result = __import__("tests.check.conftest", fromlist=["run_check"]).run_check([str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert ":5" in result.output or "line 5" in result.output


def test_a_parameter_file_in_the_wrong_shape_is_exit_2(tmp_path: Path) -> None:
    path = dump(tmp_path / "template.json", _model_template())
    bad = dump(tmp_path / "bad.parameters.json", {"parameters": {"modelName": "gpt-4o"}})
    result = __import__("tests.check.conftest", fromlist=["run_check"]).run_check(
        [str(path), "--template-parameters", str(bad)])
    assert result.exit_code == 2
    assert "modelName" in result.output and "value" in result.output


def test_a_value_outside_allowed_values_warns_that_azure_rejects_it(tmp_path: Path) -> None:
    doc = _model_template()
    doc["parameters"]["modelName"]["allowedValues"] = ["gpt-4.1-mini", "text-embedding-3-small"]
    path = dump(tmp_path / "template.json", doc)
    params = parameter_file(tmp_path / "p.json", modelName="gpt-4o")
    code, report, err = check([str(path), "--template-parameters", str(params), *POLICE_US])
    assert code == 1
    assert verdicts(report)[f"{DEP}/police-oai/chat"] == DENY
    assert "not one of its allowedValues" in err and "/parameters/modelName" in err


def test_a_bad_resource_group_name_is_exit_2(tmp_path: Path) -> None:
    from tests.check.conftest import run_check

    path = dump(tmp_path / "template.json", _model_template())
    result = run_check([str(path), "--resource-group", "bad/name"])
    assert result.exit_code == 2 and "--resource-group" in result.output


def test_a_bicepparam_file_is_exit_2_with_the_command_that_converts_it(tmp_path: Path) -> None:
    from tests.check.conftest import run_check

    path = dump(tmp_path / "template.json", _model_template())
    bp = tmp_path / "main.bicepparam"
    bp.write_text("using 'main.bicep'\nparam modelName = 'gpt-4o'\n", encoding="utf-8")
    result = run_check([str(path), "--template-parameters", str(bp)])
    assert result.exit_code == 2 and "az bicep build-params" in result.output


def test_a_bicep_module_loop_passes_each_item_by_value(tmp_path: Path) -> None:
    # module models 'model.bicep' = [for m in models: { name: 'model-${m}', params: { model: m } }]
    module = {"copy": {"name": "models", "count": "[length(parameters('models'))]"},
              "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
              "name": "[format('model-{0}', parameters('models')[copyIndex()])]",
              "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                             "parameters": {"model": {"value": "[parameters('models')[copyIndex()]]"}},
                             "template": template({"dep": model_deployment("[parameters('model')]",
                                                                           "[parameters('model')]")},
                                                  parameters={"model": {"type": "string"}}, languageVersion="2.0")}}
    doc = template({"models": module}, parameters={"models": {"type": "array", "defaultValue": [
        "text-embedding-3-small", "gpt-4o", "text-embedding-3-large"]}}, languageVersion="2.0")
    path = dump(tmp_path / "main.json", doc)
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {"models[0]::dep": ALLOW, "models[1]::dep": DENY, "models[2]::dep": ALLOW}


def test_module_outputs_feed_other_modules(tmp_path: Path) -> None:
    # module account 'account.bicep' = {...}; module models 'models.bicep' = { params: { accountName:
    # account.outputs.name, model: account.outputs.model } } -- Bicep writes reference('account').outputs
    account_module = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "account-module",
                      "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                                     "template": template({"acct": account("police-oai")}, languageVersion="2.0",
                                                          outputs={"name": {"type": "string", "value": "police-oai"},
                                                                   "model": {"type": "string", "value": "[concat('gpt-', '4o')]"},
                                                                   "endpoint": {"type": "string",
                                                                                "value": "[reference('acct').endpoint]"}})}}

    def models_module(name: str, source: str) -> dict:
        return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": name,
                "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                               "parameters": {"accountName": {"value": f"[{source}.outputs.name.value]"},
                                              "model": {"value": f"[{source}.outputs.model.value]"}},
                               "template": template({"dep": model_deployment(
                                   "[format('{0}/chat', parameters('accountName'))]", "[parameters('model')]")},
                                   parameters={"accountName": {"type": "string"}, "model": {"type": "string"}},
                                   languageVersion="2.0")}}

    doc = template({"models": models_module("models-module", "reference('account')"),
                    "models2": models_module("models-2", "reference(resourceId('Microsoft.Resources/deployments', "
                                                         "'account-module'), '2022-09-01')"),
                    "account": account_module}, languageVersion="2.0")
    path = dump(tmp_path / "main.json", doc)
    code, report, err = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {"account::acct": ALLOW, "models::dep": DENY, "models2::dep": DENY}
    assert "known only" not in err  # the unread `endpoint` output is never evaluated
