"""Template deployments whose jsonencode() template is partly unknown before apply (issue 11 item 4):
the known structure is read, the unknown leaves stay unknown, and what a policy reads unknown is undetermined."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.armtemplate.helpers import ALLOW, DENY, SUB, UNDETERMINED, check, dump, verdicts

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]
POLICE_FR = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR"]
RETAIL = ["--subscription-tag", "sector=retail", "--subscription-tag", "jurisdiction=US"]
DEP = "Microsoft.CognitiveServices/accounts/deployments"
TPL = "azurerm_resource_group_template_deployment.t"
MODEL = '{ model = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" } }'

_HEAD = f'''
provider "azurerm" {{
  features {{}}
  subscription_id = "{SUB}"
}}
variable "loc" {{ type = string }}
resource "random_string" "s" {{ length = 6 }}
resource "azurerm_resource_group" "rg" {{
  name     = "rg"
  location = "eastus"
}}
'''


def _resource(*, type_: str = f'"{DEP}"', name: str = '"acct/dep"', properties: str = MODEL, extra: str = "") -> str:
    """One ARM resource written in HCL inside jsonencode(); its location is unknown before apply."""
    return f'''{{
      type       = {type_}
      apiVersion = "2024-10-01"
      name       = {name}
      location   = var.loc
      sku        = {{ name = "Standard", capacity = 1 }}
      properties = {properties}
      {extra}
    }}'''


def _rg_deployment(resources: str, *, top: str = "", parameters: str = "") -> str:
    """The reproduction's shape: an azurerm resource group template deployment with a jsonencode() template."""
    params = f"\n  parameters_content = jsonencode({parameters})" if parameters else ""
    return _HEAD + f'''
resource "azurerm_resource_group_template_deployment" "t" {{
  name                = "t"
  resource_group_name = azurerm_resource_group.rg.name
  deployment_mode     = "Incremental"
  template_content = jsonencode({{
    "$schema"      = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    contentVersion = "1.0.0.0"
    {top}
    resources = {resources}
  }}){params}
}}
'''


def _run(tmp_path: Path, tf: str, context: list[str]) -> tuple[int, dict[str, dict[str, str]], str]:
    (tmp_path / "main.tf").write_text(tf, encoding="utf-8")
    code, report, err = check([".", *context], cwd=tmp_path)
    assert code in (0, 1), err
    found = verdicts(report)
    found.pop("azurerm_resource_group.rg", None)
    return code, found, err


# -- the reproduction: one unknown leaf no policy reads ----------------------------------------------

def test_unknown_location_still_denies_gpt4o_in_a_us_police_subscription(tmp_path: Path) -> None:
    code, found, err = _run(tmp_path, _rg_deployment(f"[{_resource()}]"), POLICE_US)
    assert code == 1
    assert found == {f"{TPL}::{DEP}/acct/dep": DENY}
    assert "the template is known only after apply" not in err
    assert f"{TPL}: the template has 1 value(s) known only after apply (/resources/0/location)" in err


@pytest.mark.parametrize("context", [POLICE_US, POLICE_FR], ids=["US", "FR"])
def test_the_reported_reproduction_denies(context: list[str]) -> None:
    # tests/armtemplate/data/partial-template/main.tf is the configuration of the report, unchanged.
    folder = Path(__file__).parent / "data" / "partial-template"
    code, report, err = check([str(folder), *context])
    assert code == 1, err
    address = f"{TPL}::{DEP}/acct/dep"
    hits = {r["clauseId"] for r in report["results"] if r["resource"] == address and r["result"] == "match"}
    assert "mobile-realtime-fr" in hits
    assert ("us-police" in hits) == (context is POLICE_US)


def test_unknown_location_in_a_french_police_subscription(tmp_path: Path) -> None:
    code, found, _ = _run(tmp_path, _rg_deployment(f"[{_resource()}]"), POLICE_FR)
    assert code == 1
    assert found == {f"{TPL}::{DEP}/acct/dep": {"us-police": "no-match deny", "mobile-realtime-fr": "match deny"}}


def test_unknown_location_outside_police_is_allowed(tmp_path: Path) -> None:
    code, found, _ = _run(tmp_path, _rg_deployment(f"[{_resource()}]"), RETAIL)
    assert code == 0
    assert found == {f"{TPL}::{DEP}/acct/dep": ALLOW}


def test_a_name_known_only_after_apply_does_not_hide_the_model(tmp_path: Path) -> None:
    # The policies decide on the model and the subscription, not on the name: Azure denies whatever the name.
    tf = _rg_deployment(f'[{_resource(name="random_string.s.result")}]')
    code, found, _ = _run(tmp_path, tf, POLICE_US)
    assert code == 1
    assert found == {f"{TPL}::{DEP}/(name unknown)": DENY}


def test_unknown_kind_is_undetermined_and_unknown_sku_is_not_read(tmp_path: Path) -> None:
    account = '''{
      type = "Microsoft.CognitiveServices/accounts", apiVersion = "2024-10-01", name = "acct", location = "eastus"
      kind = var.loc, sku = { name = "S0" }, properties = {}
    }'''
    deployment = '''{
      type = "Microsoft.CognitiveServices/accounts/deployments", apiVersion = "2024-10-01", name = "acct/dep"
      sku = var.loc, properties = { model = { format = "OpenAI", name = "gpt-4o", version = "1" } }
    }'''
    code, found, _ = _run(tmp_path, _rg_deployment(f"[{account}, {deployment}]"), POLICE_US)
    assert code == 1
    assert found == {f"{TPL}::Microsoft.CognitiveServices/accounts/acct": UNDETERMINED,
                     f"{TPL}::{DEP}/acct/dep": DENY}


def test_parameters_content_partly_unknown_keeps_the_known_parameter(tmp_path: Path) -> None:
    props = '{ model = { format = "OpenAI", name = "[parameters(\'model\')]", version = "1" } }'
    tf = _rg_deployment(f"[{_resource(properties=props)}]",
                        top='parameters = { model = { type = "string" }, where = { type = "string" } }',
                        parameters='{ model = { value = "gpt-4o" }, where = { value = var.loc } }')
    code, found, err = _run(tmp_path, tf, POLICE_US)
    assert code == 1
    assert found == {f"{TPL}::{DEP}/acct/dep": DENY}
    assert f"{TPL}: parameter 'where' is known only after apply" in err


# -- what stays undetermined: an unknown a policy reads ---------------------------------------------

_BY_PARAMETER = MODEL.replace('"gpt-4o"', '"[parameters(\'m\')]"')
_BY_VARIABLE = MODEL.replace('"gpt-4o"', '"[variables(\'m\')]"')
_UNKNOWN_MODEL = '{ model = { format = "OpenAI", name = var.loc, version = "1" } }'
_NESTED_JSON = '{ model = { format = "OpenAI", name = jsonencode({ n = var.loc }), version = "1" } }'
_COPY_NAME = '"[concat(\'acct/dep\', copyIndex())]"'
_DECLARE_M = 'parameters = { m = { type = "string" } }'
_CASES: dict[str, tuple[str, str, str, str | None]] = {
    "type": ("[" + _resource(type_="var.loc") + "]", "", "", f"{TPL}::(type unknown)/acct/dep"),
    "model": ("[" + _resource(properties=_UNKNOWN_MODEL) + "]", "", "", f"{TPL}::{DEP}/acct/dep"),
    "nested jsonencode": ("[" + _resource(properties=_NESTED_JSON) + "]", "", "", f"{TPL}::{DEP}/acct/dep"),
    "properties": ("[" + _resource(properties="var.loc") + "]", "", "", f"{TPL}::{DEP}/acct/dep"),
    "resources": ("var.loc", "", "", f"{TPL}::(not read)"),
    "one resource": ("[var.loc]", "", "", f"{TPL}::resources[0]::(not read)"),
    "copy": ("[" + _resource(name=_COPY_NAME, extra="copy = var.loc") + "]", "", "",
             f"{TPL}::{DEP}/[concat('acct/dep', copyIndex())][*]"),
    "condition": ("[" + _resource(extra="condition = var.loc") + "]", "", "", f"{TPL}::{DEP}/acct/dep"),
    "existing": ("[" + _resource(extra="existing = var.loc") + "]", "", "", f"{TPL}::{DEP}/acct/dep"),
    "children": ("[" + _resource(extra="resources = var.loc") + "]", "", "", None),
    "parameter declarations": ("[" + _resource(properties=_BY_PARAMETER) + "]", "parameters = var.loc", "",
                               f"{TPL}::{DEP}/acct/dep"),
    "variable declarations": ("[" + _resource(properties=_BY_VARIABLE) + "]", "variables = var.loc", "",
                              f"{TPL}::{DEP}/acct/dep"),
    "parameter value": ("[" + _resource(properties=_BY_PARAMETER) + "]", _DECLARE_M, "{ m = { value = var.loc } }",
                        f"{TPL}::{DEP}/acct/dep"),
    "parameter entry": ("[" + _resource(properties=_BY_PARAMETER) + "]", _DECLARE_M, "{ m = var.loc }",
                        f"{TPL}::{DEP}/acct/dep"),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_an_unknown_that_decides_the_verdict_is_undetermined(tmp_path: Path, case: str) -> None:
    resources, top, parameters, address = _CASES[case]
    code, found, _ = _run(tmp_path, _rg_deployment(resources, top=top, parameters=parameters), POLICE_US)
    if case == "children":
        # The parent is read (and denied); its children are a stand-in that every policy finds undetermined.
        assert code == 1
        assert found == {f"{TPL}::{DEP}/acct/dep": DENY, f"{TPL}::{DEP}/acct/dep::resources::(not read)": UNDETERMINED}
        return
    assert code == 0, found
    assert found == {address: UNDETERMINED}


_TEMPLATE_TEXT = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [{
    "type": "%s", "apiVersion": "2024-10-01", "name": "acct/dep", "location": LOCATION,
    "sku": {"name": "Standard", "capacity": CAPACITY},
    "properties": {"model": {"format": "OpenAI", "name": MODEL, "version": "1"}}
  }]
}""" % DEP
_TEMPLATEFILE_CASES = {
    # (location, capacity, model) as written in the template file -> (address, verdict)
    "bare in a string": ('"${location}"', "1", '"gpt-4o"', (f"{TPL}::{DEP}/acct/dep", DENY)),
    "escaped": ('"$${location}"', "1", '"${model}"', (f"{TPL}::{DEP}/acct/dep", UNDETERMINED)),
    "the model": ('"eastus"', "1", '"${model}"', (f"{TPL}::{DEP}/acct/dep", UNDETERMINED)),
    "inside an ARM expression": ('"eastus"', "1", '"[concat(\'gpt-\', \'${model}\')]"',
                                 (f"{TPL}::{DEP}/acct/dep", UNDETERMINED)),
    "a function reads it": ('"${upper(location)}"', "1", '"gpt-4o"', (f"{TPL}::(not read)", UNDETERMINED)),
    "a directive reads it": ('"%{ if location == "x" }a%{ else }b%{ endif }"', "1", '"gpt-4o"',
                             (f"{TPL}::(not read)", UNDETERMINED)),
    "outside a JSON string": ('"eastus"', "${location}", '"gpt-4o"', (f"{TPL}::(not read)", UNDETERMINED)),
}


@pytest.mark.parametrize("case", sorted(_TEMPLATEFILE_CASES))
def test_templatefile_with_an_unknown_variable(tmp_path: Path, case: str) -> None:
    # A variable interpolated bare inside a JSON string is the only unknown part of the rendered JSON;
    # when a directive or function reads it, or it lands outside a string, the whole template is unknown.
    location, capacity, model, (address, verdict) = _TEMPLATEFILE_CASES[case]
    text = _TEMPLATE_TEXT.replace("LOCATION", location).replace("CAPACITY", capacity).replace("MODEL", model)
    (tmp_path / "t.json.tftpl").write_text(text, encoding="utf-8")
    tf = _HEAD + '''
variable "model" { type = string }
resource "azurerm_resource_group_template_deployment" "t" {
  name                = "t"
  resource_group_name = azurerm_resource_group.rg.name
  deployment_mode     = "Incremental"
  template_content    = templatefile("${path.module}/t.json.tftpl", { location = var.loc, model = var.model })
}
'''
    code, found, err = _run(tmp_path, tf, POLICE_US)
    assert found == {address: verdict}
    assert code == (1 if verdict is DENY else 0)
    if address.endswith("(not read)"):
        assert "the template is known only after apply" in err


def test_templatefile_with_known_variables_is_rendered(tmp_path: Path) -> None:
    text = _TEMPLATE_TEXT.replace("LOCATION", '"${location}"').replace("CAPACITY", "1").replace("MODEL", '"${model}"')
    (tmp_path / "t.json.tftpl").write_text(text, encoding="utf-8")
    tf = _HEAD + '''
resource "azurerm_resource_group_template_deployment" "t" {
  name                = "t"
  resource_group_name = azurerm_resource_group.rg.name
  deployment_mode     = "Incremental"
  template_content    = templatefile("${path.module}/t.json.tftpl", { location = "eastus", model = "gpt-4o" })
}
'''
    code, found, err = _run(tmp_path, tf, POLICE_US)
    assert code == 1
    assert found == {f"{TPL}::{DEP}/acct/dep": DENY}
    assert "known only after apply" not in err


def test_azapi_body_with_jsondecode_of_a_partly_known_templatefile(tmp_path: Path) -> None:
    text = _TEMPLATE_TEXT.replace("LOCATION", '"${location}"').replace("CAPACITY", "1").replace("MODEL", '"gpt-4o"')
    (tmp_path / "t.json.tftpl").write_text(text, encoding="utf-8")
    tf = _AZAPI_HEAD + '''
resource "azapi_resource" "t" {
  type      = "Microsoft.Resources/deployments@2022-09-01"
  name      = "t"
  parent_id = azapi_resource.rg.id
  body = {
    properties = {
      mode     = "Incremental"
      template = jsondecode(templatefile("${path.module}/t.json.tftpl", { location = var.loc }))
    }
  }
}
'''
    code, found, _ = _run(tmp_path, tf, POLICE_US)
    found.pop("azapi_resource.rg", None)
    assert found == {f"azapi_resource.t::{DEP}/acct/dep": DENY}
    assert code == 1


# -- the other deployment resources -----------------------------------------------------------------

def test_subscription_template_deployment_with_an_unknown_leaf(tmp_path: Path) -> None:
    nested = f'''{{
      type          = "Microsoft.Resources/deployments"
      apiVersion    = "2022-09-01"
      name          = "ai"
      resourceGroup = azurerm_resource_group.rg.name
      properties = {{
        mode     = "Incremental"
        template = {{
          "$schema"      = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
          contentVersion = "1.0.0.0"
          resources      = [{_resource()}]
        }}
      }}
    }}'''
    tf = _HEAD + f'''
resource "azurerm_subscription_template_deployment" "s" {{
  name     = "s"
  location = "eastus"
  template_content = jsonencode({{
    "$schema"      = "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
    contentVersion = "1.0.0.0"
    resources      = [{nested}]
  }})
}}
'''
    code, found, _ = _run(tmp_path, tf, POLICE_US)
    assert code == 1
    assert found == {f"azurerm_subscription_template_deployment.s::Microsoft.Resources/deployments/ai::{DEP}/acct/dep":
                     DENY}


_AZAPI_HEAD = f'''
terraform {{
  required_providers {{
    azapi = {{ source = "Azure/azapi" }}
  }}
}}
provider "azapi" {{
  subscription_id = "{SUB}"
}}
variable "loc" {{ type = string }}
resource "azapi_resource" "rg" {{
  type     = "Microsoft.Resources/resourceGroups@2021-04-01"
  name     = "rg"
  location = "eastus"
}}
'''


@pytest.mark.parametrize("encoded", [True, False], ids=["jsonencode-body", "object-body"])
def test_azapi_deployment_with_an_unknown_leaf(tmp_path: Path, encoded: bool) -> None:
    body = f'''{{
    properties = {{
      mode = "Incremental"
      template = {{
        "$schema"      = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
        contentVersion = "1.0.0.0"
        resources      = [{_resource()}]
      }}
    }}
  }}'''
    tf = _AZAPI_HEAD + f'''
resource "azapi_resource" "t" {{
  type      = "Microsoft.Resources/deployments@2022-09-01"
  name      = "t"
  parent_id = azapi_resource.rg.id
  body      = {f"jsonencode({body})" if encoded else body}
}}
'''
    code, found, _ = _run(tmp_path, tf, POLICE_US)
    assert code == 1
    found.pop("azapi_resource.rg", None)
    assert found == {f"azapi_resource.t::{DEP}/acct/dep": DENY}


# -- plans ------------------------------------------------------------------------------------------

def _plan(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {}},
            "resource_changes": changes, "configuration": {"root_module": {}}}


def _change(address: str, tf_type: str, after: Any, unknown: Any) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": tf_type, "name": address.split(".")[-1],
            "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown}}


def _template(location: Any) -> dict[str, Any]:
    return {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [{"type": DEP, "apiVersion": "2024-10-01", "name": "acct/dep", "location": location,
                           "sku": {"name": "Standard", "capacity": 1},
                           "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "1"}}}]}


def test_plan_azapi_body_with_an_unknown_leaf_denies(tmp_path: Path) -> None:
    # azapi 2.x plans carry `body` as an object: the unknown leaf is marked in after_unknown.
    change = _change("azapi_resource.t", "azapi_resource", {
        "type": "Microsoft.Resources/deployments@2022-09-01", "name": "t",
        "parent_id": f"/subscriptions/{SUB}/resourceGroups/rg",
        "body": {"properties": {"mode": "Incremental", "template": _template(None)}}},
        {"body": {"properties": {"template": {"resources": [{"location": True}]}}}})
    rg = _change("azurerm_resource_group.rg", "azurerm_resource_group",
                 {"name": "rg", "location": "eastus", "tags": {}}, {"id": True})
    path = dump(tmp_path / "plan.json", _plan([rg, change]))
    code, report, err = check([str(path), *POLICE_US, "--subscription-id", SUB])
    assert code == 1, err
    found = verdicts(report)
    found.pop("azurerm_resource_group.rg", None)
    assert found == {f"azapi_resource.t::{DEP}/acct/dep": DENY}
    assert "(/resources/0/location)" in err


def test_plan_template_content_with_an_unknown_leaf_is_wholly_unknown(tmp_path: Path) -> None:
    # Terraform's jsonencode() of a value with any unknown part is an unknown string, so a plan carries no
    # part of such a template_content: it stays undetermined (never a pass).
    change = _change(TPL, "azurerm_resource_group_template_deployment", {
        "name": "t", "resource_group_name": "rg", "deployment_mode": "Incremental"}, {"template_content": True})
    path = dump(tmp_path / "plan.json", _plan([change]))
    code, report, err = check([str(path), *POLICE_US, "--subscription-id", SUB])
    assert code == 0
    assert verdicts(report) == {f"{TPL}::(not read)": UNDETERMINED}
    assert "the template is known only after apply" in err
