"""Microsoft.Authorization policy endpoints of the stand-in: definitions, set definitions, assignments
and exemptions at management-group, subscription (and, for assignments/exemptions, resource-group)
scope, with the validation and the service-added fields of the real service.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from .aliases import known_alias
from .server import ArmError, ArmStub, StubRequest, StubResponse, now_iso, route

MG = r"/providers/Microsoft\.Management/managementGroups/[^/]+"
SUB = r"/subscriptions/[^/]+"
RG = SUB + r"/resourceGroups/[^/]+"

KINDS = {
    "policydefinitions": ("Microsoft.Authorization/policyDefinitions", "PolicyDefinition"),
    "policysetdefinitions": ("Microsoft.Authorization/policySetDefinitions", "PolicySetDefinition"),
    "policyassignments": ("Microsoft.Authorization/policyAssignments", "PolicyAssignment"),
    "policyexemptions": ("Microsoft.Authorization/policyExemptions", "PolicyExemption"),
}

BUILTIN_SCOPE = ""  # built-ins live at /providers/Microsoft.Authorization/...


@dataclass
class PolicyState:
    """In-memory policy objects keyed by lower-case id, plus the scope hierarchy."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)  # lower-case child scope -> parent scope id

    def set_parent(self, child: str, parent: str) -> None:
        """Place a subscription or management group under a management group."""
        self.parents[child.lower()] = parent

    def ancestors(self, scope: str) -> list[str]:
        """``scope`` and every scope above it, lower-case (RG -> subscription -> parents chain)."""
        out: list[str] = []
        cur: str | None = scope.lower()
        while cur:
            out.append(cur)
            m = re.match(r"(/subscriptions/[^/]+)/resourcegroups/[^/]+$", cur)
            parent = m.group(1) if m else self.parents.get(cur)
            cur = parent.lower() if parent else None
        return out

    def at(self, scope: str, kind: str) -> list[dict[str, Any]]:
        """Objects of ``kind`` stored exactly at ``scope``."""
        prefix = f"{scope}/providers/microsoft.authorization/{kind}/".lower()
        return [o for k, o in self.objects.items() if k.startswith(prefix) and "/" not in k[len(prefix):]]

    def put_raw(self, obj: dict[str, Any]) -> None:
        """Store an object as-is (tests use it to plant unowned or hand-edited objects)."""
        self.objects[obj["id"].lower()] = obj

    def get(self, obj_id: str) -> dict[str, Any] | None:
        """The object with this id, case-insensitively."""
        return self.objects.get(obj_id.lower())


def policy_state(stub: ArmStub) -> PolicyState:
    """The stub's policy state, created on first use."""
    return stub.state.setdefault("policy", PolicyState())


def _split_id(obj_id: str) -> tuple[str, str, str]:
    m = re.match(r"(?P<scope>.*)/providers/Microsoft\.Authorization/(?P<kind>[^/]+)/(?P<name>[^/]+)$",
                 obj_id, re.IGNORECASE)
    if not m:
        raise ArmError(400, "InvalidResourceId", f"'{obj_id}' is not a valid policy resource id")
    return m.group("scope"), m.group("kind").lower(), m.group("name")


def _lookup(state: PolicyState, obj_id: str, kind: str, from_scope: str, code: str) -> dict[str, Any]:
    """Resolve a referenced definition/set/assignment id that must exist and be visible from ``from_scope``."""
    scope, ref_kind, name = _split_id(obj_id)
    if ref_kind != kind:
        raise ArmError(400, code, f"'{obj_id}' is not a {KINDS[kind][1]}")
    obj = state.get(obj_id)
    if obj is None:
        raise ArmError(400, code, f"The {KINDS[kind][1]} '{name}' could not be found at '{scope or '/'}'.")
    if kind in ("policydefinitions", "policysetdefinitions") and scope and \
            scope.lower() not in state.ancestors(from_scope):
        raise ArmError(400, code, f"The {KINDS[kind][1]} '{obj_id}' is not accessible from scope '{from_scope}'.")
    return obj


_PARAM_REF = re.compile(r"parameters\(\s*'([^']+)'\s*\)", re.IGNORECASE)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _fields(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.lower() == "field" and isinstance(value, str):
                out.append(value)
            else:
                out.extend(_fields(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_fields(value))
    return out


def _check_param_refs(node: Any, declared: dict[str, Any], what: str) -> None:
    names = {k.lower() for k in declared}
    for text in _strings(node):
        if text.startswith("["):
            for ref in _PARAM_REF.findall(text):
                if ref.lower() not in names:
                    raise ArmError(400, "UndefinedPolicyParameter",
                                   f"The {what} uses parameter '{ref}' which is not defined.")


def _check_values(given: dict[str, Any], declared: dict[str, Any], what: str) -> None:
    """Given parameter values must name declared parameters; required ones (no default) must be given."""
    decl = {k.lower(): v for k, v in declared.items()}
    for key, value in given.items():
        if key.lower() not in decl:
            raise ArmError(400, "UndefinedPolicyParameter",
                           f"The parameter '{key}' provided for {what} is not defined in the policy.")
        if not isinstance(value, dict) or "value" not in value:
            raise ArmError(400, "InvalidPolicyParameters", f"The parameter '{key}' for {what} must be {{'value': ...}}.")
    given_l = {k.lower() for k in given}
    for key, spec in declared.items():
        if "defaultValue" not in (spec or {}) and key.lower() not in given_l:
            raise ArmError(400, "MissingPolicyParameter",
                           f"The policy parameter '{key}' is missing for {what}; it has no default value.")


def _stamp_metadata(stub: ArmStub, props: dict[str, Any], existing: dict[str, Any] | None) -> None:
    meta = props.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise ArmError(400, "InvalidRequestContent", "metadata must be an object")
    old = (existing or {}).get("properties", {}).get("metadata", {})
    now = now_iso()
    meta["createdBy"] = old.get("createdBy", stub.principal)
    meta["createdOn"] = old.get("createdOn", now)
    if existing is not None:
        meta["updatedBy"] = stub.principal
        meta["updatedOn"] = now


# --------------------------------------------------------------------------------------------------
# validation per kind


def _validate_definition(stub: ArmStub, scope: str, name: str, props: dict[str, Any]) -> None:
    rule = props.get("policyRule")
    if not isinstance(rule, dict) or "if" not in rule or "then" not in rule:
        raise ArmError(400, "InvalidPolicyRule", f"The policy definition '{name}' rule is invalid: 'if' and 'then' are required.")
    for fld in _fields(rule.get("if")):
        if not known_alias(fld):
            raise ArmError(400, "InvalidPolicyAlias",
                           f"The policy definition '{name}' rule is invalid. The policy alias '{fld}' is not found.")
    _check_param_refs(rule, props.get("parameters") or {}, f"policy definition '{name}'")
    if len(name) > 128:
        raise ArmError(400, "InvalidPolicyDefinitionName", "policy definition names are at most 128 characters")


def _validate_set(stub: ArmStub, scope: str, name: str, props: dict[str, Any]) -> None:
    state = policy_state(stub)
    members = props.get("policyDefinitions")
    if not isinstance(members, list) or not members:
        raise ArmError(400, "InvalidPolicySetDefinition", f"The policy set definition '{name}' has no policy definitions.")
    set_params = props.get("parameters") or {}
    seen: set[str] = set()
    for i, member in enumerate(members):
        ref = member.get("policyDefinitionId", "")
        target = _lookup(state, ref, "policydefinitions", scope, "PolicyDefinitionNotFound")
        what = f"policy definition reference {i} of set '{name}'"
        _check_values(member.get("parameters") or {}, target["properties"].get("parameters") or {}, what)
        _check_param_refs(member.get("parameters") or {}, set_params, f"policy set definition '{name}'")
        ref_id = (member.get("policyDefinitionReferenceId") or "").lower()
        if ref_id and ref_id in seen:
            raise ArmError(400, "DuplicatePolicyDefinitionReferenceId", f"duplicate reference id '{ref_id}' in set '{name}'")
        seen.add(ref_id)


def _validate_assignment(stub: ArmStub, scope: str, name: str, props: dict[str, Any]) -> None:
    state = policy_state(stub)
    limit = 24 if "/managementgroups/" in scope.lower() else 64
    if len(name) > limit:
        raise ArmError(400, "InvalidPolicyAssignmentName",
                       f"The policy assignment name '{name}' is invalid: at most {limit} characters at this scope.")
    def_id = props.get("policyDefinitionId", "")
    _, kind, _ = _split_id(def_id)
    target = _lookup(state, def_id, kind, scope, "PolicyDefinitionNotFound")
    _check_values(props.get("parameters") or {}, target["properties"].get("parameters") or {},
                  f"policy assignment '{name}'")
    refs = {(m.get("policyDefinitionReferenceId") or "").lower()
            for m in target["properties"].get("policyDefinitions", [])}
    for msg in props.get("nonComplianceMessages") or []:
        if not msg.get("message"):
            raise ArmError(400, "InvalidNonComplianceMessage", "a non-compliance message needs 'message'")
        ref = msg.get("policyDefinitionReferenceId")
        if ref and ref.lower() not in refs:
            raise ArmError(400, "InvalidNonComplianceMessage",
                           f"The policy definition reference id '{ref}' is not in the assigned set.")
    if props.get("enforcementMode", "Default") not in ("Default", "DoNotEnforce"):
        raise ArmError(400, "InvalidEnforcementMode", "enforcementMode must be Default or DoNotEnforce")


def _validate_exemption(stub: ArmStub, scope: str, name: str, props: dict[str, Any]) -> None:
    state = policy_state(stub)
    assignment = _lookup(state, props.get("policyAssignmentId", ""), "policyassignments", scope,
                         "PolicyAssignmentNotFound")
    if props.get("exemptionCategory") not in ("Waiver", "Mitigated"):
        raise ArmError(400, "InvalidExemptionCategory", "exemptionCategory must be Waiver or Mitigated")
    a_scope = assignment["properties"]["scope"].lower()
    if a_scope not in state.ancestors(scope):
        raise ArmError(400, "InvalidPolicyExemptionScope", "the exemption scope must be at or below the assignment scope")
    target = state.get(assignment["properties"]["policyDefinitionId"]) or {}
    refs = {(m.get("policyDefinitionReferenceId") or "").lower()
            for m in target.get("properties", {}).get("policyDefinitions", [])}
    for ref in props.get("policyDefinitionReferenceIds") or []:
        if ref.lower() not in refs:
            raise ArmError(400, "InvalidPolicyDefinitionReferenceId", f"reference id '{ref}' is not in the assigned set")


VALIDATORS = {
    "policydefinitions": _validate_definition,
    "policysetdefinitions": _validate_set,
    "policyassignments": _validate_assignment,
    "policyexemptions": _validate_exemption,
}


# --------------------------------------------------------------------------------------------------
# service-added fields


def _add_service_fields(stub: ArmStub, kind: str, scope: str, props: dict[str, Any],
                        existing: dict[str, Any] | None) -> None:
    if kind == "policydefinitions":
        props.setdefault("policyType", "Custom")
        props.setdefault("mode", "Indexed")
        props.setdefault("version", "1.0.0")
        props["versions"] = [props["version"]]
        _stamp_metadata(stub, props, existing)
    elif kind == "policysetdefinitions":
        props.setdefault("policyType", "Custom")
        props.setdefault("version", "1.0.0")
        props["versions"] = [props["version"]]
        for i, member in enumerate(props["policyDefinitions"]):
            # The service names unnamed references with a generated id and pins a version range.
            member.setdefault("policyDefinitionReferenceId", f"{abs(hash(member['policyDefinitionId'])) % 10**19}{i}")
            member.setdefault("definitionVersion", "1.*.*")
            member.setdefault("groupNames", [])
        _stamp_metadata(stub, props, existing)
    elif kind == "policyassignments":
        props["scope"] = scope
        props.setdefault("notScopes", [])
        props.setdefault("enforcementMode", "Default")
        props.setdefault("definitionVersion", "1.*.*")
        props.setdefault("assignmentType", "Custom")
        _stamp_metadata(stub, props, existing)
    elif kind == "policyexemptions":
        props.setdefault("assignmentScopeValidation", "Default")
        props.setdefault("policyDefinitionReferenceIds", [])


# --------------------------------------------------------------------------------------------------
# routes

_SCOPED = r"(?P<scope>{mg}|{rg}|{sub})/providers/Microsoft\.Authorization/(?P<kind>{kinds})"
_DEF_KINDS = "policyDefinitions|policySetDefinitions"
_ASG_KINDS = "policyAssignments|policyExemptions"
COLLECTION = "(?:" + _SCOPED.format(mg=MG, rg=RG, sub=SUB, kinds=_ASG_KINDS) + "|" + \
    _SCOPED.format(mg=MG, rg="(?!)", sub=SUB, kinds=_DEF_KINDS).replace("?P<scope>", "?P<dscope>").replace(
        "?P<kind>", "?P<dkind>") + ")"
ITEM = COLLECTION + r"/(?P<name>[^/]+)"


def _parts(req: StubRequest) -> tuple[str, str, str | None]:
    p = req.params
    scope = p.get("scope") or p.get("dscope") or ""
    kind = (p.get("kind") or p.get("dkind") or "").lower()
    return scope, kind, p.get("name")


def _obj_id(scope: str, kind: str, name: str) -> str:
    kind_name = KINDS[kind][0].split("/", 1)[1]
    return f"{scope}/providers/Microsoft.Authorization/{kind_name}/{name}"


@route("GET", ITEM)
def get_one(stub: ArmStub, req: StubRequest) -> StubResponse:
    """GET one policy object."""
    scope, kind, name = _parts(req)
    obj = policy_state(stub).get(_obj_id(scope, kind, name or ""))
    if obj is None:
        raise ArmError(404, f"{KINDS[kind][1]}NotFound", f"The {KINDS[kind][1]} '{name}' could not be found.")
    return StubResponse(200, copy.deepcopy(obj))


@route("GET", COLLECTION)
def list_objects(stub: ArmStub, req: StubRequest) -> StubResponse:
    """LIST: ``$filter=atExactScope()`` gives the scope only; otherwise inherited objects (and built-ins) too."""
    scope, kind, _ = _parts(req)
    state = policy_state(stub)
    flt = (req.q("$filter") or "").replace(" ", "").lower()
    scopes = [scope.lower()] if flt == "atexactscope()" else state.ancestors(scope)
    items: list[dict[str, Any]] = []
    for s in scopes:
        items.extend(state.at(s, kind))
    if flt != "atexactscope()" and kind in ("policydefinitions", "policysetdefinitions"):
        items.extend(state.at(BUILTIN_SCOPE, kind))
    items.sort(key=lambda o: o["id"].lower())
    return stub.paged(req, copy.deepcopy(items))


@route("PUT", ITEM)
def put_object(stub: ArmStub, req: StubRequest) -> StubResponse:
    """PUT (create or replace) with validation and service-added fields."""
    scope, kind, name = _parts(req)
    assert name is not None
    body = req.body
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise ArmError(400, "InvalidRequestContent", "The request content must be an object with 'properties'.")
    state = policy_state(stub)
    obj_id = _obj_id(scope, kind, name)
    existing = state.get(obj_id)
    props = copy.deepcopy(body["properties"])
    VALIDATORS[kind](stub, scope, name, props)
    _add_service_fields(stub, kind, scope, props, existing)
    obj: dict[str, Any] = {
        "id": obj_id,
        "type": KINDS[kind][0],
        "name": name,
        "properties": props,
        "systemData": stub.system_data((existing or {}).get("systemData")),
    }
    for extra in ("location", "identity"):
        if extra in body:
            obj[extra] = body[extra]
    state.put_raw(obj)
    # The service answers 201 to every PUT of definitions, sets and assignments (the REST spec
    # lists only 201); exemptions answer 200 on update.
    status = 200 if existing and kind == "policyexemptions" else 201
    return StubResponse(status, copy.deepcopy(obj))


@route("DELETE", ITEM)
def delete_object(stub: ArmStub, req: StubRequest) -> StubResponse:
    """DELETE; refuses while a set still references a definition or an assignment references it."""
    scope, kind, name = _parts(req)
    state = policy_state(stub)
    obj_id = _obj_id(scope, kind, name or "")
    existing = state.get(obj_id)
    if existing is None:
        return StubResponse(204)
    low = obj_id.lower()
    for other in state.objects.values():
        p = other["properties"]
        if kind == "policydefinitions" and any(m.get("policyDefinitionId", "").lower() == low
                                               for m in p.get("policyDefinitions", [])):
            raise ArmError(400, "PolicyDefinitionInUse",
                           f"The policy definition '{name}' is referenced by policy set definition '{other['name']}'.")
        if kind in ("policydefinitions", "policysetdefinitions") and \
                p.get("policyDefinitionId", "").lower() == low and "policyassignments" in other["id"].lower():
            raise ArmError(400, "PolicyDefinitionInUse",
                           f"'{name}' is assigned by policy assignment '{other['name']}'.")
    del state.objects[low]
    return StubResponse(200, copy.deepcopy(existing) if kind == "policyassignments" else None)


@route("GET", r"/providers/Microsoft\.Authorization/(?P<dkind>policyDefinitions|policySetDefinitions)/(?P<name>[^/]+)")
def get_builtin(stub: ArmStub, req: StubRequest) -> StubResponse:
    """GET a built-in definition or set (stored at the empty scope)."""
    kind = req.params["dkind"].lower()
    obj = policy_state(stub).get(_obj_id(BUILTIN_SCOPE, kind, req.params["name"]))
    if obj is None:
        raise ArmError(404, f"{KINDS[kind][1]}NotFound", f"The built-in '{req.params['name']}' could not be found.")
    return StubResponse(200, copy.deepcopy(obj))
