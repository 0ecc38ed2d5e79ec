"""Azure Policy JSON for a pack: one definition per clause, one policy set, assignment helpers.

Everything is built as Python data in the key order of Microsoft's built-in definitions and
serialised by ``dump_json``; nothing here is templated text. ``build_bundle`` is deterministic.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.errors import PackError
from generator.targets.base import RenderOptions, definitions_module, generated_marker

if TYPE_CHECKING:
    from generator.pack.catalog import Catalog
    from generator.pack.model import Clause, Condition, Example, Pack, Parameter, Restriction

DEFINITION_NAME_MAX = 64
SET_NAME_MAX = 64
MG_ASSIGNMENT_NAME_MAX = 24
SUB_ASSIGNMENT_NAME_MAX = 64
DESCRIPTION_MAX = 512
NON_COMPLIANCE_MESSAGE_MAX = 1024
OWNER = "clausegate"
EXAMPLE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
EXAMPLE_RESOURCE_GROUP = "rg-example"
CATALOG_PARAMETERS = ("clearedModels", "clearedModelVersions")


def dump_json(obj: Any) -> str:
    """Serialise generated JSON the one way clausegate does (2-space, UTF-8 text, final newline)."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def short_name(text: str, limit: int) -> str:
    """Return ``text`` if it fits ``limit``, else a truncated prefix plus a stable 8-hex hash."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{text[: limit - 9].rstrip('-')}-{digest}"


def policy_literal(value: Any) -> Any:
    """Escape a literal for a position Azure evaluates: '[x]' becomes '[[x]' (ARM template syntax).

    ARM treats a string as an expression only when it starts with '[' and ends with ']'; the docs
    say not to escape a literal that does not end with ']' (template-expressions.md, "Escape
    characters"), so only those strings get the extra bracket.
    """
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        return "[" + value
    if isinstance(value, list):
        return [policy_literal(v) for v in value]
    if isinstance(value, dict):
        return {k: policy_literal(v) for k, v in value.items()}
    return value


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _camel(clause_id: str) -> str:
    head, *rest = clause_id.split("-")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def definition_name(pack: Pack, clause: Clause) -> str:
    """Stable definition name from pack slug and clause id (at most 64 characters)."""
    return short_name(f"{pack.slug}-{clause.id}", DEFINITION_NAME_MAX)


def set_name(pack: Pack) -> str:
    """Stable policy set name (the pack slug)."""
    return short_name(pack.slug, SET_NAME_MAX)


def assignment_name(pack: Pack, *, management_group: bool = True) -> str:
    """Assignment name: at most 24 characters at a management group, 64 at a subscription."""
    return short_name(pack.slug, MG_ASSIGNMENT_NAME_MAX if management_group else SUB_ASSIGNMENT_NAME_MAX)


def effect_parameter_name(clause: Clause) -> str:
    """The set-level parameter carrying one clause's effect, e.g. ``usPoliceEffect``."""
    return f"{_camel(clause.id)}Effect"


UNKNOWN_MODEL_NOTE = (
    " A denied model may be one that is not in the catalog as text-only; unknown models are treated as"
    " image-capable (catalog {catalog}; `clausegate models sync` lists models Azure offers that it does not classify)."
)
UNKNOWN_MODEL_RESULT = (
    "not in the catalog as text-only; unknown models are treated as image-capable (catalog {catalog}; "
    "`clausegate models sync --location <region>` lists models the catalog does not classify)"
)
IMAGE_MODEL_RESULT = "listed in the catalog as taking image input (catalog {catalog})"
DEFAULT_CATALOG_NAME = "generator/pack/data/models.yaml"


def non_compliance_message(pack: Pack, clause: Clause, catalog_path: str | None = None) -> str:
    """The message Azure shows on a denial: the clause title, its source and the quoted sentence.

    A clause that restricts models also says why an unknown model is denied, and where to look.
    """
    head = f"{clause.title}. {clause.source.publisher}: \""
    tail = f"\" ({clause.source.url}; clause {clause.id} of {pack.name} {pack.version})"
    if _uses_models(clause):
        tail += UNKNOWN_MODEL_NOTE.format(catalog=catalog_path or DEFAULT_CATALOG_NAME)
    room = NON_COMPLIANCE_MESSAGE_MAX - len(head) - len(tail)
    return head + _truncate(clause.quote, max(room, 20)) + tail


# --- parameters ---------------------------------------------------------------------------------

def _param_json(p: Parameter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": p.type,
        "metadata": {"displayName": p.display_name, "description": p.description},
    }
    if p.allowed_values is not None:
        out["allowedValues"] = list(p.allowed_values)
    out["defaultValue"] = p.default
    return out


def _effect_param(clause: Clause, display: str = "Effect") -> dict[str, Any]:
    return {
        "type": "String",
        "metadata": {
            "displayName": display,
            "description": f"Deny, Audit or Disabled for clause {clause.id}: {clause.title}.",
        },
        "allowedValues": list(clause.effect.allowed),
        "defaultValue": clause.effect.default,
    }


def _catalog_params(catalog: Catalog) -> dict[str, dict[str, Any]]:
    return {
        "clearedModels": {
            "type": "Array",
            "metadata": {
                "displayName": "Cleared models (by name)",
                "description": "Model names whose every known version takes no image input; a model not in the "
                               "catalog as text-only is treated as image-capable (unknown models included). From "
                               f"the model catalog {catalog.path}; `clausegate models sync` lists new models.",
            },
            "defaultValue": catalog.cleared_models(),
        },
        "clearedModelVersions": {
            "type": "Array",
            "metadata": {
                "displayName": "Cleared model versions (name,version)",
                "description": "Text-only versions of models whose versions differ, as 'name,version'; a "
                               "deployment without a version is not cleared.",
            },
            "defaultValue": catalog.cleared_model_versions(),
        },
    }


def _clause_parameter_names(pack: Pack, clause: Clause) -> list[str]:
    used: set[str] = set()

    def walk(c: Condition) -> None:
        for name in (c.tag_parameter, c.values_parameter, c.parameter):
            if name:
                used.add(name)
        for child in c.children:
            walk(child)

    for cond in clause.applies_to:
        walk(cond)
    for r in clause.restricts:
        if r.kinds_parameter:
            used.add(r.kinds_parameter)
        if r.unless_parameter:
            used.add(r.unless_parameter)
    for a in clause.exceptions:
        used.update((a.tag_parameter, a.values_parameter))
    # Declaration order of the pack, so that output does not depend on set iteration order.
    return [n for n in pack.parameters if n in used]


def _uses_models(clause: Clause) -> bool:
    return any(r.models for r in clause.restricts)


# --- policy rule --------------------------------------------------------------------------------

def _tag_lookup(scope: str, tag_param: str) -> str:
    # tryGet on the whole object, so a subscription or resource group without any tags (or no
    # resource group at all) yields null instead of failing the evaluation (an implicit deny).
    fn = "subscription()" if scope == "subscription" else "resourceGroup()"
    return f"tryGet({fn}, 'tags', parameters('{tag_param}'))"


def _condition(c: Condition) -> dict[str, Any]:
    if c.kind == "subscriptionTag" or c.kind == "resourceGroupTag":
        scope = "subscription" if c.kind == "subscriptionTag" else "resourceGroup"
        assert c.tag_parameter and c.values_parameter
        return {
            "value": f"[coalesce({_tag_lookup(scope, c.tag_parameter)}, '')]",
            "in": f"[parameters('{c.values_parameter}')]",
        }
    if c.kind == "parameterTrue":
        return {"value": f"[parameters('{c.parameter}')]", "equals": True}
    children = [_condition(x) for x in c.children]
    if len(children) == 1:
        return children[0]
    return {c.kind: children}


def _field_expr(alias: str) -> str:
    return "field('" + alias.replace("'", "''") + "')"


def asset_id_parts(alias: str) -> tuple[str, str]:
    """Expressions for the model name and version inside an asset id (``parse_asset_id`` in policy form).

    ``azureml://registries/R/models/NAME/versions/V`` (or an ARM id ``.../models/NAME/versions/V``):
    the text after the last ``/models/``, its first ``/`` part, and what follows ``/versions/``. Only
    split, last, first, contains, if and coalesce, so a missing or odd value never fails evaluation.
    """
    rest = f"last(split(coalesce({_field_expr(alias)}, ''), '/models/'))"
    name = f"first(split({rest}, '/'))"
    version = f"if(contains({rest}, '/versions/'), first(split(last(split({rest}, '/versions/')), '/')), '')"
    return name, version


def _restriction(r: Restriction) -> dict[str, Any]:
    conds: list[dict[str, Any]] = [{"field": "type", "equals": policy_literal(r.type)}]
    if r.kinds_parameter:
        conds.append({"field": "kind", "in": f"[parameters('{r.kinds_parameter}')]"})
    elif r.kinds is not None:
        conds.append({"field": "kind", "in": policy_literal(list(r.kinds))})
    if r.unless_parameter:
        conds.append({"value": f"[parameters('{r.unless_parameter}')]", "notEquals": True})
    if r.models == "image-input":
        if r.model_asset_field:
            name, version = asset_id_parts(r.model_asset_field)
            if r.model_optional:
                conds.append({"field": r.model_asset_field, "exists": True})
        else:
            assert r.model_name_field and r.model_version_field
            name = f"coalesce({_field_expr(r.model_name_field)}, '')"
            version = f"coalesce({_field_expr(r.model_version_field)}, '')"
        conds.append({"value": f"[{name}]", "notIn": "[parameters('clearedModels')]"})
        conds.append({"value": f"[concat({name}, ',', {version})]", "notIn": "[parameters('clearedModelVersions')]"})
    for pc in r.properties:
        conds.append({"field": pc.field, pc.operator: policy_literal(pc.value)})
    if r.where is not None:
        conds.append(r.where)  # written in the Azure Policy grammar: copied as is
    return conds[0] if len(conds) == 1 else {"allOf": conds}


def policy_rule(clause: Clause) -> dict[str, Any]:
    """The ``policyRule`` of one clause: restricted types, then who it applies to, then exceptions."""
    branches = [_restriction(r) for r in clause.restricts]
    conds: list[dict[str, Any]] = [branches[0] if len(branches) == 1 else {"anyOf": branches}]
    conds.extend(_condition(c) for c in clause.applies_to)
    for a in clause.exceptions:
        lookups = ", ".join(_tag_lookup(scope, a.tag_parameter) for scope in a.lookup)
        conds.append({"value": f"[coalesce({lookups}, '')]", "notIn": f"[parameters('{a.values_parameter}')]"})
    return {"if": {"allOf": conds}, "then": {"effect": "[parameters('effect')]"}}


# --- definitions, set, assignment ---------------------------------------------------------------

def _provenance(pack: Pack, clause: Clause) -> dict[str, Any]:
    src = clause.source
    out: dict[str, Any] = {
        "owner": OWNER,
        "pack": pack.name,
        "packVersion": pack.version,
        "clauseId": clause.id,
        "clauseTitle": clause.title,
        "quote": clause.quote,
        "source": {"id": src.id, "publisher": src.publisher, "title": src.title, "url": src.url},
    }
    if src.effective:
        out["source"]["effective"] = src.effective
    if clause.remediation:
        out["remediation"] = clause.remediation
    if clause.references:
        out["references"] = [{"id": r.id, "title": r.title, "url": r.url} for r in clause.references]
    return out


def build_definition(pack: Pack, clause: Clause, catalog: Catalog) -> dict[str, Any]:
    """The ARM policy definition object enforcing one clause."""
    params: dict[str, Any] = {"effect": _effect_param(clause)}
    for name in _clause_parameter_names(pack, clause):
        params[name] = _param_json(pack.parameters[name])
    if _uses_models(clause):
        params.update(_catalog_params(catalog))
    src = clause.source
    provenance = _provenance(pack, clause)
    if _uses_models(clause):
        # Read by clausegate's engine (eval/check/test/scan) to explain a model denial in the result message.
        provenance["parameterNotes"] = {"clearedModels": UNKNOWN_MODEL_RESULT.format(catalog=catalog.path)}
        # a model the catalog knows as image-capable is said so, not called unknown
        provenance["parameterValueNotes"] = {"clearedModels": {
            "note": IMAGE_MODEL_RESULT.format(catalog=catalog.path), "values": catalog.image_models()}}
    description = _truncate(
        f"{clause.title}. Source: {src.publisher}, \"{src.title}\" ({src.url}). "
        f"Clause {clause.id} of clause pack {pack.name} {pack.version}, generated by clausegate.",
        DESCRIPTION_MAX,
    )
    return {
        "properties": {
            "displayName": clause.title,
            "policyType": "Custom",
            "mode": "All",  # deployments carry no tags or location, so Indexed would skip them
            "description": description,
            "metadata": {
                "version": pack.version,
                "category": pack.category,
                "source": src.url,
                "clausegate": provenance,
            },
            "version": pack.version,
            "parameters": params,
            "policyRule": policy_rule(clause),
        },
        "type": "Microsoft.Authorization/policyDefinitions",
        "name": definition_name(pack, clause),
    }


def _set_parameters(pack: Pack, definitions: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for clause, d in zip(pack.clauses, definitions):
        eff = dict(d["properties"]["parameters"]["effect"])
        eff["metadata"] = {"displayName": f"Effect for {clause.id}", "description": eff["metadata"]["description"]}
        out[effect_parameter_name(clause)] = eff
    for name in pack.parameters:
        if any(name in d["properties"]["parameters"] for d in definitions):
            out[name] = _param_json(pack.parameters[name])
    for name in CATALOG_PARAMETERS:
        found = [d["properties"]["parameters"][name] for d in definitions if name in d["properties"]["parameters"]]
        if found:
            out[name] = found[0]
    return out


def build_policy_set(pack: Pack, definitions: list[dict[str, Any]]) -> dict[str, Any]:
    """The policy set (initiative): one group per clause, parameters passed through to members."""
    refs = []
    for clause, d in zip(pack.clauses, definitions):
        member_params: dict[str, Any] = {}
        for pname in d["properties"]["parameters"]:
            outer = effect_parameter_name(clause) if pname == "effect" else pname
            member_params[pname] = {"value": f"[parameters('{outer}')]"}
        refs.append({
            "policyDefinitionReferenceId": clause.id,
            "policyDefinitionId": f"/providers/Microsoft.Authorization/policyDefinitions/{d['name']}",
            "parameters": member_params,
            "groupNames": [clause.id],
        })
    groups = [
        {"name": c.id, "category": pack.category, "displayName": c.title, "description": c.quote}
        for c in pack.clauses
    ]
    return {
        "properties": {
            "displayName": pack.display_name,
            "policyType": "Custom",
            "description": _truncate(pack.description, DESCRIPTION_MAX),
            "metadata": {
                "version": pack.version,
                "category": pack.category,
                "clausegate": {
                    "owner": OWNER,
                    "pack": pack.name,
                    "packVersion": pack.version,
                    "sources": [
                        {"id": s.id, "publisher": s.publisher, "title": s.title, "url": s.url} for s in pack.sources
                    ],
                },
            },
            "version": pack.version,
            "parameters": _set_parameters(pack, definitions),
            "policyDefinitionGroups": groups,
            "policyDefinitions": refs,
        },
        "type": "Microsoft.Authorization/policySetDefinitions",
        "name": set_name(pack),
    }


@dataclass
class PolicyBundle:
    """Everything Azure needs for one pack: member definitions, the set, and clause lookups."""

    pack: Pack
    catalog: Catalog
    definitions: list[dict[str, Any]]
    policy_set: dict[str, Any]
    _by_name: dict[str, Clause] = field(default_factory=dict, repr=False)

    def clause_for(self, definition_name: str) -> Clause:
        """Return the clause a definition (by name or reference id) enforces; KeyError if none."""
        if definition_name in self._by_name:
            return self._by_name[definition_name]
        return self.pack.clause(definition_name)

    def definition_for(self, clause_id: str) -> dict[str, Any]:
        """Return the definition enforcing ``clause_id``."""
        name = definition_name(self.pack, self.pack.clause(clause_id))
        return next(d for d in self.definitions if d["name"] == name)

    def policy_set_at(self, definition_scope: str) -> dict[str, Any]:
        """A copy of the set whose member ids point at ``definition_scope`` (a management group or subscription id)."""
        out = json.loads(json.dumps(self.policy_set))
        for ref in out["properties"]["policyDefinitions"]:
            name = ref["policyDefinitionId"].rsplit("/", 1)[1]
            ref["policyDefinitionId"] = f"{definition_scope.rstrip('/')}/providers/Microsoft.Authorization/policyDefinitions/{name}"
        return out

    def assignment(
        self,
        scope: str,
        *,
        definition_scope: str | None = None,
        name: str | None = None,
        parameters: dict[str, Any] | None = None,
        enforce: bool = True,
        not_scopes: list[str] | None = None,
    ) -> dict[str, Any]:
        """An ARM policy assignment of the set at ``scope`` with non-compliance messages quoting each clause."""
        at_mg = scope.lower().startswith("/providers/microsoft.management/managementgroups/")
        limit = MG_ASSIGNMENT_NAME_MAX if at_mg else SUB_ASSIGNMENT_NAME_MAX
        name = name or assignment_name(self.pack, management_group=at_mg)
        if len(name) > limit:
            raise PackError(f"assignment name {name!r} is longer than {limit} characters")
        known = self.policy_set["properties"]["parameters"]
        unknown = sorted(set(parameters or {}) - set(known))
        if unknown:
            raise PackError(f"unknown set parameters: {', '.join(unknown)} (known: {', '.join(known)})")
        def_scope = (definition_scope or scope).rstrip("/")
        messages = [{"message": f"{self.pack.display_name} (clause pack {self.pack.name} {self.pack.version})"}]
        messages += [
            {"message": non_compliance_message(self.pack, c, self.catalog.path), "policyDefinitionReferenceId": c.id}
            for c in self.pack.clauses
        ]
        props: dict[str, Any] = {
            "displayName": self.pack.display_name,
            "description": _truncate(self.pack.description, DESCRIPTION_MAX),
            "metadata": {"clausegate": {"owner": OWNER, "pack": self.pack.name, "packVersion": self.pack.version}},
            "policyDefinitionId": f"{def_scope}/providers/Microsoft.Authorization/policySetDefinitions/"
                                  f"{self.policy_set['name']}",
            "scope": scope,
            "notScopes": list(not_scopes or []),
            "parameters": {k: {"value": v} for k, v in sorted((parameters or {}).items())},
            "enforcementMode": "Default" if enforce else "DoNotEnforce",
            "nonComplianceMessages": messages,
        }
        return {"properties": props, "type": "Microsoft.Authorization/policyAssignments", "name": name}


def build_bundle(pack: Pack, catalog: Catalog | None = None) -> PolicyBundle:
    """Build the definitions and the set for ``pack`` (deterministic: same input, same objects)."""
    if catalog is None:
        from generator.pack.catalog import load_catalog

        catalog = load_catalog()
    definitions = [build_definition(pack, c, catalog) for c in pack.clauses]
    names = [d["name"] for d in definitions]
    if len(set(names)) != len(names):
        raise PackError(f"two clauses map to the same definition name: {names}", file=pack.path)
    bundle = PolicyBundle(pack, catalog, definitions, build_policy_set(pack, definitions))
    bundle._by_name = {definition_name(pack, c): c for c in pack.clauses}
    return bundle


# --- policy-test cases from the pack's examples ------------------------------------------------

def _resource_id(rtype: str, name: str) -> tuple[str, str]:
    provider, *types = rtype.split("/")
    names = name.split("/") if name else []
    names += ["example"] * (len(types) - len(names))
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names))
    rid = (f"/subscriptions/{EXAMPLE_SUBSCRIPTION}/resourceGroups/{EXAMPLE_RESOURCE_GROUP}"
           f"/providers/{provider}/{path}")
    return rid, "/".join(names)


def example_case(bundle: PolicyBundle, ex: Example) -> dict[str, Any]:
    """A policy-test case (CONTRACTS.md) for one example: resource, context, parameters, expectation."""
    known = bundle.policy_set["properties"]["parameters"]
    unknown = sorted(set(ex.parameters) - set(known))
    if unknown:
        raise PackError(f"example {ex.name!r} sets unknown parameters: {', '.join(unknown)}", file=bundle.pack.path)
    res = dict(ex.resource)
    rid, name = _resource_id(res["type"], res.get("name", ""))
    resource: dict[str, Any] = {"id": rid, "name": name, "type": res["type"]}
    if res["type"].count("/") == 1:
        resource["location"] = "eastus"
    resource.update({k: v for k, v in res.items() if k not in resource})
    sub: dict[str, Any] = {"displayName": "example subscription", "tags": dict(ex.subscription_tags or {})}
    rg: dict[str, Any] = {"location": "eastus", "tags": dict(ex.resource_group_tags or {})}
    defaults = {c.effect.default.lower() for c in bundle.pack.clauses}
    allow_effect = defaults.pop() if len(defaults) == 1 else "deny"
    if ex.expect == "allow":
        expect = {"result": "no-match", "effect": allow_effect}
    else:
        expect = {"result": "match", "effect": ex.expect}
    return {
        "resource": resource,
        "context": {
            "subscriptions": {EXAMPLE_SUBSCRIPTION: sub},
            "resourceGroups": {f"{EXAMPLE_SUBSCRIPTION}/{EXAMPLE_RESOURCE_GROUP}": rg},
        },
        "parameters": dict(ex.parameters),
        "expect": expect,
    }


class PolicyJsonTarget:
    """Policy JSON inside the definitions module: ``policies/*.json`` and ``policies/tests/*.json``."""

    name = "policy-json"
    description = "Azure Policy definitions and policy set (JSON), plus policy-test cases from the pack's examples"

    def render(self, pack: Pack, options: RenderOptions) -> dict[str, str]:
        """Render the bundle and the example cases to ``{path: text}``."""
        bundle = build_bundle(pack, options.get_catalog())
        base = f"{definitions_module(pack)}/policies"
        files = {f"{base}/{d['name']}.json": dump_json(d) for d in bundle.definitions}
        files[f"{base}/{bundle.policy_set['name']}.json"] = dump_json(bundle.policy_set)
        for ex in pack.examples:
            # "$comment" carries the generated-file marker (the case schema allows extra keys).
            case = {"$comment": generated_marker(pack), **example_case(bundle, ex)}
            files[f"{base}/tests/{ex.name}.json"] = dump_json(case)
        return dict(sorted(files.items()))
