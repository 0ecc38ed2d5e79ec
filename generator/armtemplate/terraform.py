"""Terraform template deployments (azurerm_*_template_deployment, azapi Microsoft.Resources/deployments):
their template's resources, expanded with the template reader at the scope the deployment targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.armtemplate import Target, TemplateResource, expand_embedded, target_from_id
from generator.engine.values import UNKNOWN

__all__ = ["deployment_items"]


def _target(res: Any, item: Any, mapper: Any) -> Target:
    """Where the deployment's template deploys to, from the Terraform resource."""
    sub = mapper.subscription_id
    if res.type == "azurerm_resource_group_template_deployment":
        rg = mapper.attribute(res, "resource_group_name")
        return Target("resourceGroup", sub, rg if isinstance(rg, str) else UNKNOWN)
    if res.type == "azurerm_subscription_template_deployment":
        return Target("subscription", sub)
    if res.type == "azurerm_tenant_template_deployment":
        return Target("tenant")
    if res.type == "azurerm_template_deployment":
        rg = mapper.attribute(res, "resource_group_name")
        return Target("resourceGroup", sub, rg if isinstance(rg, str) else UNKNOWN)
    if res.type == "azurerm_management_group_template_deployment":
        mg = mapper.attribute(res, "management_group_id")
        return target_from_id(mg, None) if isinstance(mg, str) else Target("managementGroup", managementGroup=UNKNOWN)
    parent = mapper.attribute(res, "parent_id")  # azapi_resource: the deployment's parent is its scope
    if isinstance(parent, str):
        return target_from_id(parent, sub)
    hint = mapper.scope_hint(res)
    if hint.get("subscription"):
        return Target("resourceGroup", hint["subscription"], hint.get("resourceGroup", UNKNOWN))
    return Target("resourceGroup", sub, UNKNOWN)


def deployment_items(res: Any, item: Any, mapper: Any, context: Any) -> tuple[list[TemplateResource], list[str]]:
    """The resources a Terraform template deployment deploys (an undetermined stand-in when unreadable)."""
    props = item.resource.get("properties")
    template: Any = UNKNOWN
    parameters: Any = None
    if isinstance(props, dict):
        template = props.get("template", None)
        parameters = props.get("parameters")
        pmap = props.get("parameterMap")  # azurerm_template_deployment's `parameters` (strings)
        if isinstance(pmap, dict) and parameters is None:
            parameters = {k: {"value": v} for k, v in pmap.items()}
        elif pmap is UNKNOWN and parameters is None:
            parameters = UNKNOWN
        if template is None and isinstance(props.get("templateSpecId"), str):
            template = "(a template spec, which clausegate does not read)"
        elif template is None and "templateLink" in props:
            template = "(a linked template, which is not fetched)"
    name = mapper.attribute(res, "name")
    folder = Path(res.file).parent if getattr(res, "file", None) else None
    expansion, run = expand_embedded(template, parameters, target=_target(res, item, mapper), label=res.address,
                                     file=item.file, line=item.line, context=context,
                                     name=name if isinstance(name, str) else UNKNOWN, folder=folder)
    # Every resource is reported at the Terraform block that deploys it.
    for r in expansion.resources:
        r.file, r.line = item.file, item.line
    return expansion.resources, list(run.warnings)
