"""ARM template target: one management-group deployment template per pack (``az deployment mg create``).

The template holds the pack's policy definitions, its policy set (depending on the definitions) and
an optional assignment of the set at the deployment's management group, switched on by the template
parameter ``deployAssignment`` and driven by one template parameter per set parameter.

Two expression languages meet here. The template engine evaluates every JSON string that starts
with ``[`` and ends with ``]`` when the template is deployed; Azure Policy evaluates the same syntax
later, when a resource is checked. Everything that comes from the policy objects (rules, parameter
references in the set, display texts) must reach Azure Policy as written, so each such string is
escaped once more (``[`` -> ``[[``, see ``arm_escape``); only the expressions written below (ids,
dependsOn, template parameters) are left for the template engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.errors import PackError
from generator.targets.base import RenderOptions
from generator.targets.policy_json import assignment_name, build_bundle, dump_json

if TYPE_CHECKING:
    from generator.pack.model import Pack

MG_TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"
CONTENT_VERSION = "1.0.0.0"
# 2023-04-01 is the first Microsoft.Authorization API version with `properties.version` on
# definitions and sets (policy_json writes it); all three types are served by it.
API_VERSION = "2023-04-01"
DEFINITION_TYPE = "Microsoft.Authorization/policyDefinitions"
SET_TYPE = "Microsoft.Authorization/policySetDefinitions"
ASSIGNMENT_TYPE = "Microsoft.Authorization/policyAssignments"
MG_ASSIGNMENT_NAME_MAX = 24

# Template parameters the target adds itself; a set parameter with one of these names is refused.
CONTROL_PARAMETERS = ("deployAssignment", "assignmentName", "enforcementMode", "notScopes")

# Azure Policy parameter types -> ARM template parameter types.
_ARM_TYPES = {"string": "string", "array": "array", "boolean": "bool", "integer": "int", "object": "object"}


def _expression_shaped(text: str) -> bool:
    return text.startswith("[") and text.endswith("]")


def arm_escape(value: Any, pointer: str = "") -> Any:
    """Escape every string the template engine would evaluate: ``[x]`` becomes ``[[x]``.

    ARM strips one ``[`` from a string starting with ``[[`` and otherwise evaluates a string that
    starts with ``[`` and ends with ``]``; strings not ending with ``]`` are literals already and
    stay as they are. Policy literals that policy_json already escaped (``[[x]``) get a third
    bracket, so that Azure Policy receives ``[[x]`` and reads ``[x]``. Object keys are not
    evaluated by ARM; an expression-shaped key is refused rather than guessed at.
    """
    if isinstance(value, str):
        return "[" + value if _expression_shaped(value) else value
    if isinstance(value, list):
        return [arm_escape(v, f"{pointer}/{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if _expression_shaped(k):
                raise PackError(f"ARM target: object key {k!r} looks like a template expression", pointer=pointer)
            out[k] = arm_escape(v, f"{pointer}/{k}")
        return out
    return value


def _quote(text: str) -> str:
    """A template-expression string literal."""
    return "'" + text.replace("'", "''") + "'"


def mg_resource_id(resource_type: str, name: str) -> str:
    """Expression text (no brackets) for a resource at the deployment's management group."""
    return f"extensionResourceId(managementGroup().id, {_quote(resource_type)}, {_quote(name)})"


def _template_parameter(name: str, decl: dict[str, Any]) -> dict[str, Any]:
    ptype = _ARM_TYPES.get(str(decl.get("type", "")).lower())
    if ptype is None:
        raise PackError(f"ARM target: set parameter {name!r} has type {decl.get('type')!r}, which has no ARM template type")
    meta = decl.get("metadata", {})
    text = meta.get("displayName", name)
    if meta.get("description"):
        text = f"{text}. {meta['description']}"
    out: dict[str, Any] = {"type": ptype}
    if "defaultValue" in decl:
        out["defaultValue"] = arm_escape(decl["defaultValue"])
    allowed = decl.get("allowedValues")
    # allowedValues are compared with the supplied value, not evaluated; an expression-shaped one
    # could only be written escaped (and then compare wrongly), so such a list is left to the set,
    # which checks allowedValues again when the assignment is created.
    if allowed is not None and arm_escape(allowed) == allowed:
        out["allowedValues"] = list(allowed)
    out["metadata"] = {"description": arm_escape(text)}
    return out


def build_template(pack: Pack, options: RenderOptions) -> dict[str, Any]:
    """The management-group deployment template for ``pack`` as Python data (deterministic)."""
    bundle = build_bundle(pack, options.get_catalog())
    set_obj = bundle.policy_set
    set_params: dict[str, Any] = set_obj["properties"]["parameters"]
    clash = sorted(set(set_params) & set(CONTROL_PARAMETERS))
    if clash:
        raise PackError(f"ARM target: set parameters {', '.join(clash)} clash with the template's own parameters",
                        file=pack.path)

    def_ids = {d["name"]: mg_resource_id(DEFINITION_TYPE, d["name"]) for d in bundle.definitions}
    set_id = mg_resource_id(SET_TYPE, set_obj["name"])

    resources: list[dict[str, Any]] = []
    for d in bundle.definitions:
        resources.append({
            "type": DEFINITION_TYPE,
            "apiVersion": API_VERSION,
            "name": d["name"],
            "properties": arm_escape(d["properties"], "/properties"),
        })

    set_props = arm_escape(set_obj["properties"], "/properties")
    for ref in set_props["policyDefinitions"]:
        member = ref["policyDefinitionId"].rsplit("/", 1)[1]
        ref["policyDefinitionId"] = f"[{def_ids[member]}]"
    resources.append({
        "type": SET_TYPE,
        "apiVersion": API_VERSION,
        "name": set_obj["name"],
        "dependsOn": [f"[{def_ids[d['name']]}]" for d in bundle.definitions],
        "properties": set_props,
    })

    mg_name = assignment_name(pack, management_group=True)
    sample = bundle.assignment(f"/providers/Microsoft.Management/managementGroups/{'x' * 8}", name=mg_name)["properties"]
    resources.append({
        "type": ASSIGNMENT_TYPE,
        "apiVersion": API_VERSION,
        "name": "[parameters('assignmentName')]",
        "condition": "[parameters('deployAssignment')]",
        "dependsOn": [f"[{set_id}]"],
        "properties": {
            "displayName": arm_escape(sample["displayName"]),
            "description": arm_escape(sample["description"]),
            "metadata": arm_escape(sample["metadata"]),
            "policyDefinitionId": f"[{set_id}]",
            "parameters": {name: {"value": f"[parameters({_quote(name)})]"} for name in set_params},
            "enforcementMode": "[parameters('enforcementMode')]",
            "notScopes": "[parameters('notScopes')]",
            "nonComplianceMessages": arm_escape(sample["nonComplianceMessages"]),
        },
    })

    parameters: dict[str, Any] = {
        "deployAssignment": {
            "type": "bool",
            "defaultValue": False,
            "metadata": {"description": "Also assign the policy set at this management group (off by default: "
                                        "the template then only creates the definitions and the set)."},
        },
        "assignmentName": {
            "type": "string",
            "defaultValue": mg_name,
            "minLength": 1,
            "maxLength": MG_ASSIGNMENT_NAME_MAX,
            "metadata": {"description": "Name of the assignment (at most 24 characters at a management group)."},
        },
        "enforcementMode": {
            "type": "string",
            "defaultValue": "Default",
            "allowedValues": ["Default", "DoNotEnforce"],
            "metadata": {"description": "DoNotEnforce evaluates and reports without denying anything."},
        },
        "notScopes": {
            "type": "array",
            "defaultValue": [],
            "metadata": {"description": "Scopes (management groups, subscriptions, resource groups) the assignment excludes."},
        },
    }
    for name, decl in set_params.items():
        parameters[name] = _template_parameter(name, decl)

    return {
        "$schema": MG_TEMPLATE_SCHEMA,
        "contentVersion": CONTENT_VERSION,
        "metadata": arm_escape({
            "description": f"{pack.display_name}: policy definitions, policy set and an optional assignment "
                           f"for a management group. Deploy with: az deployment mg create --management-group-id "
                           f"<id> --location <region> --template-file arm/{pack.slug}.json",
            "clausegate": {"pack": pack.name, "packVersion": pack.version},
        }),
        "parameters": parameters,
        "resources": resources,
        "outputs": {
            "policyDefinitionIds": {"type": "array", "value": [f"[{def_ids[d['name']]}]" for d in bundle.definitions]},
            "policySetDefinitionId": {"type": "string", "value": f"[{set_id}]"},
            "policyAssignmentId": {
                "type": "string",
                "value": "[if(parameters('deployAssignment'), extensionResourceId(managementGroup().id, "
                         f"{_quote(ASSIGNMENT_TYPE)}, parameters('assignmentName')), '')]",
            },
        },
    }


class ArmTarget:
    """ARM template for management-group deployment: ``arm/<pack-slug>.json``."""

    name = "arm"
    description = "ARM template per pack for management-group deployment (definitions, set, optional assignment)"
    render_api = 1

    def render(self, pack: Pack, options: RenderOptions) -> dict[str, str]:
        """Render the pack's template to ``{"arm/<slug>.json": text}``."""
        return {f"arm/{pack.slug}.json": dump_json(build_template(pack, options))}
