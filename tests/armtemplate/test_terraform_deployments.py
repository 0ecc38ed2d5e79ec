"""Terraform template deployments are checked through the template reader (issue 11 item 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.armtemplate.helpers import (
    ALLOW, DENY, POLICE_US, SUB, SUB_SCHEMA, UNDETERMINED, account, check, dump, model_deployment, template,
    verdicts,
)

VI = "Microsoft.VideoIndexer/accounts"
VI_DENY = {"us-police": "match deny", "mobile-realtime-fr": "no-match deny"}


def _vi_template() -> dict:
    return template(
        [{"type": VI, "apiVersion": "2024-01-01", "name": "[parameters('accountName')]",
          "location": "[resourceGroup().location]", "properties": {}}],
        parameters={"accountName": {"type": "string"}})


_RG_DEPLOYMENT_TF = """
provider "azurerm" {
  features {}
  subscription_id = "%s"
}

resource "azurerm_resource_group" "rg" {
  name     = "rg-vi"
  location = "eastus"
}

resource "azurerm_resource_group_template_deployment" "vi" {
  name                = "video-indexer"
  resource_group_name = azurerm_resource_group.rg.name
  deployment_mode     = "Incremental"
  template_content    = file("${path.module}/vi.json")
  parameters_content  = jsonencode({ accountName = { value = "police-vi" } })
}
""" % SUB


def test_video_indexer_through_a_resource_group_template_deployment_is_denied(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_RG_DEPLOYMENT_TF, encoding="utf-8")
    dump(tmp_path / "vi.json", _vi_template())
    code, report, _ = check([".", *POLICE_US], cwd=tmp_path)
    assert code == 1
    address = f"azurerm_resource_group_template_deployment.vi::{VI}/police-vi"
    assert verdicts(report) == {address: VI_DENY, "azurerm_resource_group.rg": ALLOW}
    hit = next(r for r in report["results"] if r["resource"] == address and r["result"] == "match")
    assert hit["file"].endswith("main.tf") and hit["line"] == 12


def test_jsonencode_template_and_subscription_deployment_into_a_resource_group(tmp_path: Path) -> None:
    nested = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "ai",
              "resourceGroup": "rg-ai",
              "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                             "parameters": {"model": {"value": "[parameters('model')]"}},
                             "template": template([account(), model_deployment("chat", "[parameters('model')]")],
                                                  parameters={"model": {"type": "string"}})}}
    tpl = template([nested], parameters={"model": {"type": "string", "defaultValue": "gpt-4o"}},
                   **{"$schema": SUB_SCHEMA})
    tf = f'''
provider "azurerm" {{
  features {{}}
  subscription_id = "{SUB}"
}}

resource "azurerm_subscription_template_deployment" "ai" {{
  name             = "ai"
  location         = "eastus"
  template_content = jsonencode({json.dumps(tpl)})
}}
'''
    (tmp_path / "main.tf").write_text(tf, encoding="utf-8")
    code, report, _ = check([".", *POLICE_US], cwd=tmp_path)
    assert code == 1
    prefix = "azurerm_subscription_template_deployment.ai::Microsoft.Resources/deployments/ai::"
    assert verdicts(report) == {
        f"{prefix}Microsoft.CognitiveServices/accounts/acct": ALLOW,
        f"{prefix}Microsoft.CognitiveServices/accounts/deployments/acct/chat": DENY,
    }


def _plan(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {}},
            "resource_changes": changes, "configuration": {"root_module": {}}}


def _change(address: str, tf_type: str, after: Any, unknown: Any = None) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": tf_type, "name": address.split(".")[-1],
            "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown or {}}}


def test_plan_template_deployments_known_and_unknown(tmp_path: Path) -> None:
    known = _change("azurerm_resource_group_template_deployment.vi", "azurerm_resource_group_template_deployment", {
        "name": "vi", "resource_group_name": "rg-vi", "deployment_mode": "Incremental",
        "template_content": json.dumps(_vi_template()),
        "parameters_content": json.dumps({"accountName": {"value": "police-vi"}})})
    later = _change("azurerm_resource_group_template_deployment.later", "azurerm_resource_group_template_deployment", {
        "name": "later", "resource_group_name": "rg-vi", "deployment_mode": "Incremental",
        "parameters_content": "{}"}, {"template_content": True})
    path = dump(tmp_path / "plan.json", _plan([known, later]))
    code, report, err = check([str(path), *POLICE_US, "--subscription-id", SUB])
    assert code == 1
    assert verdicts(report) == {
        f"azurerm_resource_group_template_deployment.vi::{VI}/police-vi": VI_DENY,
        "azurerm_resource_group_template_deployment.later::(not read)": UNDETERMINED,
    }
    assert "the template is known only after apply" in err


def test_azapi_deployment_resource_is_read_at_its_parent_scope(tmp_path: Path) -> None:
    body = {"properties": {"mode": "Incremental", "template": _vi_template(),
                           "parameters": {"accountName": {"value": "police-vi"}}}}
    change = _change("azapi_resource.vi", "azapi_resource", {
        "type": "Microsoft.Resources/deployments@2022-09-01", "name": "vi",
        "parent_id": f"/subscriptions/{SUB}/resourceGroups/rg-vi", "body": body})
    path = dump(tmp_path / "plan.json", _plan([change]))
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {f"azapi_resource.vi::{VI}/police-vi": VI_DENY}


def test_video_indexer_outside_police_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_RG_DEPLOYMENT_TF, encoding="utf-8")
    dump(tmp_path / "vi.json", _vi_template())
    code, report, _ = check([".", "--subscription-tag", "sector=retail", "--subscription-tag", "jurisdiction=US"],
                            cwd=tmp_path)
    assert code == 0
    assert verdicts(report) == {f"azurerm_resource_group_template_deployment.vi::{VI}/police-vi": ALLOW,
                                "azurerm_resource_group.rg": ALLOW}


def test_management_group_deployment_reaches_a_subscription_through_a_nested_deployment(tmp_path: Path) -> None:
    mg_schema = "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"
    nested = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "vi",
              "subscriptionId": SUB, "resourceGroup": "rg-vi", "location": "eastus",
              "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                             "parameters": {"accountName": {"value": "police-vi"}}, "template": _vi_template()}}
    tpl = template([nested], **{"$schema": mg_schema})
    change = _change("azurerm_management_group_template_deployment.vi", "azurerm_management_group_template_deployment",
                     {"name": "vi", "location": "eastus",
                      "management_group_id": "/providers/Microsoft.Management/managementGroups/police",
                      "template_content": json.dumps(tpl)})
    path = dump(tmp_path / "plan.json", _plan([change]))
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {
        f"azurerm_management_group_template_deployment.vi::Microsoft.Resources/deployments/vi::{VI}/police-vi": VI_DENY}


def test_legacy_template_deployment_with_a_parameter_map(tmp_path: Path) -> None:
    change = _change("azurerm_template_deployment.vi", "azurerm_template_deployment", {
        "name": "vi", "resource_group_name": "rg-vi", "deployment_mode": "Incremental",
        "template_body": json.dumps(_vi_template()), "parameters": {"accountName": "police-vi"}})
    path = dump(tmp_path / "plan.json", _plan([change]))
    code, report, _ = check([str(path), *POLICE_US, "--subscription-id", SUB])
    assert code == 1
    assert verdicts(report) == {f"azurerm_template_deployment.vi::{VI}/police-vi": VI_DENY}


def test_tenant_deployment_reaches_a_resource_group(tmp_path: Path) -> None:
    nested = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "vi",
              "subscriptionId": SUB, "resourceGroup": "rg-vi", "location": "eastus",
              "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                             "parameters": {"accountName": {"value": "police-vi"}}, "template": _vi_template()}}
    tpl = template([nested], **{"$schema": "https://schema.management.azure.com/schemas/2019-08-01/"
                                           "tenantDeploymentTemplate.json#"})
    change = _change("azurerm_tenant_template_deployment.vi", "azurerm_tenant_template_deployment",
                     {"name": "vi", "location": "eastus", "template_content": json.dumps(tpl)})
    path = dump(tmp_path / "plan.json", _plan([change]))
    code, report, _ = check([str(path), *POLICE_US])
    assert code == 1
    assert verdicts(report) == {
        f"azurerm_tenant_template_deployment.vi::Microsoft.Resources/deployments/vi::{VI}/police-vi": VI_DENY}
