"""EPAC target: the pack as an Enterprise Policy as Code ``Definitions/`` tree under ``epac/``.

Shapes follow EPAC's documentation and JSON schemas (Azure/enterprise-azure-policy-as-code,
``Docs/policy-definitions.md``, ``policy-set-definitions.md``, ``policy-assignments.md`` and
``Schemas/*.json``):

- ``Definitions/policyDefinitions/<category>/<name>.json``: ``$schema``, ``name``, ``properties``
  as Azure has them (EPAC registers by ``name``; the file name does not matter to it).
- ``Definitions/policySetDefinitions/<name>.json``: members reference custom definitions by
  ``policyDefinitionName`` (EPAC builds the id from the pacSelector's deployment root scope); the
  set schema allows no ``policyType``/``version`` and groups with ``name`` only.
- ``Definitions/policyAssignments/<name>.jsonc``: one tree node with ``nodeName``,
  ``definitionEntry.policySetName``, ``assignment`` (name at most 24 characters), ``parameters`` in
  EPAC's simplified form (no ``value`` wrapper), ``nonComplianceMessages`` and a ``scope`` per
  pacSelector, which the organisation has to fill in (see the file's header comment).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from generator.targets.base import RenderOptions
from generator.targets.policy_json import CATALOG_PARAMETERS, assignment_name, build_bundle, dump_json

if TYPE_CHECKING:
    from generator.pack.model import Pack

EPAC_SCHEMA_BASE = "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas"
DEFINITION_SCHEMA = f"{EPAC_SCHEMA_BASE}/policy-definition-schema.json"
SET_SCHEMA = f"{EPAC_SCHEMA_BASE}/policy-set-definition-schema.json"
ASSIGNMENT_SCHEMA = f"{EPAC_SCHEMA_BASE}/policy-assignment-schema.json"
ROOT = "epac/Definitions"
# The pacSelector EPAC's starter kit uses for production and a scope that cannot exist, so that an
# assignment nobody adapted fails EPAC's plan instead of landing somewhere.
PAC_SELECTOR = "tenant"
SCOPE_PLACEHOLDER = "/providers/Microsoft.Management/managementGroups/SET-MANAGEMENT-GROUP-ID"
# The set schema sets additionalProperties false on these objects.
_SET_PROPERTY_KEYS = ("displayName", "description", "metadata", "parameters", "policyDefinitionGroups", "policyDefinitions")


def folder_name(category: str) -> str:
    """A path-safe folder for a policy category (kept readable, as in Azure/azure-policy)."""
    cleaned = re.sub(r"[^A-Za-z0-9 ._-]+", "-", category).strip(" .-")
    return cleaned or "General"


def _definition(d: dict[str, Any]) -> dict[str, Any]:
    props = copy.deepcopy(d["properties"])
    effect = props.get("parameters", {}).get("effect")
    if effect is not None:
        # EPAC's definition schema pins the effect parameter's type to "string" (const). Azure
        # reads parameter types without case, so this only keeps EPAC's editor validation quiet.
        effect["type"] = "string"
    return {"$schema": DEFINITION_SCHEMA, "name": d["name"], "properties": props}


def _policy_set(s: dict[str, Any]) -> dict[str, Any]:
    src = s["properties"]
    props = {k: copy.deepcopy(src[k]) for k in _SET_PROPERTY_KEYS if k in src}
    props["policyDefinitionGroups"] = [{"name": g["name"]} for g in src.get("policyDefinitionGroups", [])]
    members = []
    for ref in src["policyDefinitions"]:
        members.append({
            "policyDefinitionReferenceId": ref["policyDefinitionReferenceId"],
            "policyDefinitionName": ref["policyDefinitionId"].rsplit("/", 1)[1],
            "parameters": copy.deepcopy(ref["parameters"]),
            "groupNames": list(ref.get("groupNames", [])),
        })
    props["policyDefinitions"] = members
    return {"$schema": SET_SCHEMA, "name": s["name"], "properties": props}


def _assignment(pack: Pack, bundle: Any) -> dict[str, Any]:
    name = assignment_name(pack, management_group=True)
    sample = bundle.assignment(SCOPE_PLACEHOLDER, name=name)["properties"]
    set_params = bundle.policy_set["properties"]["parameters"]
    # The catalog lists are left to the set's defaults, so a catalog refresh reaches the assignment
    # with the regenerated set; everything a governance team decides is spelled out.
    parameters = {k: v["defaultValue"] for k, v in set_params.items()
                  if k not in CATALOG_PARAMETERS and "defaultValue" in v}
    return {
        "$schema": ASSIGNMENT_SCHEMA,
        "nodeName": f"/clausegate/{pack.name}/",
        "definitionEntry": {"policySetName": bundle.policy_set["name"], "displayName": pack.display_name},
        "assignment": {"name": name, "displayName": sample["displayName"], "description": sample["description"]},
        "metadata": sample["metadata"],
        "enforcementMode": "Default",
        "parameters": parameters,
        "nonComplianceMessages": sample["nonComplianceMessages"],
        "scope": {PAC_SELECTOR: [SCOPE_PLACEHOLDER]},
    }


def _assignment_header(pack: Pack) -> str:
    return "".join(f"// {line}\n" for line in (
        f"EPAC assignment of clause pack {pack.name} {pack.version}, generated by clausegate (clausegate generate",
        "--target epac). `scope` holds a placeholder: EPAC plans fail on it until it names your management group",
        "for each pacSelector of your global-settings.jsonc. Copy this file next to your other assignments and",
        "adapt it there; the definitions and the set can be synced from epac/Definitions as they are.",
    ))


class EpacTarget:
    """EPAC ``Definitions/`` tree: ``epac/Definitions/{policyDefinitions,policySetDefinitions,policyAssignments}``."""

    name = "epac"
    description = "Enterprise Policy as Code Definitions tree (policy definitions, policy set, assignment)"
    render_api = 1

    def render(self, pack: Pack, options: RenderOptions) -> dict[str, str]:
        """Render definitions, the set and an assignment file to ``{path: text}``."""
        bundle = build_bundle(pack, options.get_catalog())
        category = folder_name(pack.category)
        files = {
            f"{ROOT}/policyDefinitions/{category}/{d['name']}.json": dump_json(_definition(d))
            for d in bundle.definitions
        }
        set_name = bundle.policy_set["name"]
        files[f"{ROOT}/policySetDefinitions/{set_name}.json"] = dump_json(_policy_set(bundle.policy_set))
        files[f"{ROOT}/policyAssignments/{set_name}.jsonc"] = (
            _assignment_header(pack) + dump_json(_assignment(pack, bundle))
        )
        return dict(sorted(files.items()))
