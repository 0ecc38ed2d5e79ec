"""Publish a policy bundle to a scope: desired state, remote state, per-property diff, ordered apply.

The flow is ``desired_state`` (from the bundle, no network) -> ``PolicyApi.read`` (a few LIST calls)
-> ``compute_plan`` (pure) -> ``apply_plan`` (ordered writes). ``--what-if`` stops after the plan;
``--plan FILE`` reloads a saved plan, re-reads Azure and refuses when the state it was made against
has changed (planfile.py).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from generator.errors import InputError, OwnershipError, RemoteError

OWNER_KEY = "clausegateOwner"
EXEMPTION_API_VERSION = "2022-07-01-preview"

# Kinds in apply order; deletes run in the reverse order so nothing refers to a missing object.
KINDS = ("definition", "set", "assignment", "exemption")
KIND_PATH = {
    "definition": "policyDefinitions",
    "set": "policySetDefinitions",
    "assignment": "policyAssignments",
    "exemption": "policyExemptions",
}

# Fields the service writes into metadata; never a difference.
SERVICE_METADATA = frozenset({"createdby", "createdon", "updatedby", "updatedon", "assignedby"})
# Properties the service adds or defaults, per kind: name -> the default (None: any value). They are
# ignored only when the desired object does not set them; a desired value is always compared.
SERVICE_PROPERTIES: dict[str, dict[str, Any]] = {
    "definition": {"policyType": "Custom", "mode": "Indexed", "version": None, "versions": None,
                   "externalEvaluationEnforcementSettings": None},
    "set": {"policyType": "Custom", "version": None, "versions": None, "policyDefinitionGroups": []},
    "assignment": {"scope": None, "notScopes": [], "enforcementMode": "Default", "definitionVersion": None,
                   "assignmentType": None, "instanceId": None, "effectiveDefinitionVersion": None,
                   "latestDefinitionVersion": None, "resourceSelectors": [], "overrides": []},
    "exemption": {"assignmentScopeValidation": "Default", "policyDefinitionReferenceIds": [],
                  "resourceSelectors": []},
}
SET_MEMBER_DEFAULTS: dict[str, Any] = {"policyDefinitionReferenceId": None, "definitionVersion": None,
                                       "groupNames": [], "effectiveDefinitionVersion": None,
                                       "latestDefinitionVersion": None}
_ABSENT = object()


# --------------------------------------------------------------------------------------------------
# scopes


@dataclass(frozen=True)
class Scope:
    """A publish scope: a management group or a subscription."""

    id: str
    kind: str  # "managementGroup" | "subscription"
    name: str  # the management group name or the subscription id


_MG_RE = re.compile(r"^/providers/Microsoft\.Management/managementGroups/([^/]+)/?$", re.IGNORECASE)
_SUB_RE = re.compile(r"^/subscriptions/([0-9A-Fa-f-]{36})/?$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.()-]{1,90}$")


def parse_scope(text: str) -> Scope:
    """Parse an ARM scope id or a bare management-group name (bad input -> InputError, exit 2)."""
    text = text.strip()
    m = _MG_RE.match(text)
    if m:
        return Scope(f"/providers/Microsoft.Management/managementGroups/{m.group(1)}", "managementGroup", m.group(1))
    m = _SUB_RE.match(text)
    if m:
        return Scope(f"/subscriptions/{m.group(1)}", "subscription", m.group(1))
    if not text.startswith("/") and _NAME_RE.match(text):
        return Scope(f"/providers/Microsoft.Management/managementGroups/{text}", "managementGroup", text)
    raise InputError(f"--scope {text!r} is neither a management group (name or "
                     f"/providers/Microsoft.Management/managementGroups/NAME) nor /subscriptions/<id>")


def object_id(scope_id: str, kind: str, name: str) -> str:
    """The ARM id of a policy object of ``kind`` at ``scope_id``."""
    return f"{scope_id}/providers/Microsoft.Authorization/{KIND_PATH[kind]}/{name}"


def split_object_id(obj_id: str) -> tuple[str, str, str]:
    """(scope id, kind, name) of a policy object id."""
    m = re.match(r"^(.*)/providers/Microsoft\.Authorization/([^/]+)/([^/]+)$", obj_id, re.IGNORECASE)
    if not m:
        raise InputError(f"{obj_id!r} is not a policy object id")
    kinds = {v.lower(): k for k, v in KIND_PATH.items()}
    kind = kinds.get(m.group(2).lower())
    if kind is None:
        raise InputError(f"{obj_id!r} is not a policy definition, set, assignment or exemption id")
    return m.group(1), kind, m.group(3)


# --------------------------------------------------------------------------------------------------
# desired state


@dataclass
class DesiredObject:
    """One object the pack produces at the scope, with its owner stamp applied."""

    kind: str
    id: str
    name: str
    properties: dict[str, Any]

    def body(self) -> dict[str, Any]:
        """The PUT body."""
        return {"properties": copy.deepcopy(self.properties)}


@dataclass
class DesiredState:
    """Everything this run manages: objects in apply order and which kinds it owns the pruning of."""

    scope: Scope
    owner: str
    objects: list[DesiredObject]
    managed_kinds: tuple[str, ...]
    exemption_scopes: tuple[str, ...] = ()  # scopes other than ``scope`` holding desired exemptions


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if not isinstance(obj, dict) and hasattr(obj, name):
            return getattr(obj, name)
    return None


def _stamp(props: dict[str, Any], owner: str) -> dict[str, Any]:
    props = copy.deepcopy(props)
    meta = props.get("metadata")
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta[OWNER_KEY] = owner
    props["metadata"] = meta
    return props


def _rescope_reference(ref: str, scope: Scope, own: dict[str, str]) -> str:
    """Point a set member at our definition at ``scope`` when its last segment names one of ours.

    Bundles are rendered without knowing where they will be published, so their references may be
    relative, templated or at another scope; built-ins (other names) are left alone.
    """
    last = re.split(r"[/'\"\]\)]", ref.rstrip("/'\")] "))[-1] if ref else ""
    key = last.lower()
    if key in own:
        return object_id(scope.id, "definition", own[key])
    return ref


def parse_parameter_value(text: str) -> Any:
    """``--parameter K=V``: V as JSON when it parses (lists, numbers, booleans), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def default_assignment_name(set_name: str, scope: Scope) -> str:
    """The set name, shortened to the scope's limit (24 at a management group) with a stable hash suffix."""
    limit = 24 if scope.kind == "managementGroup" else 64
    if len(set_name) <= limit:
        return set_name
    digest = hashlib.sha256(set_name.encode()).hexdigest()[:4]
    return set_name[: limit - 5].rstrip("-_.") + "-" + digest


def desired_state(
    bundle: Any,
    scope: Scope,
    owner: str,
    *,
    assign: bool = False,
    assignment_name: str | None = None,
    parameters: dict[str, Any] | None = None,
    exemptions: Iterable[dict[str, Any]] = (),
) -> DesiredState:
    """Build the desired objects from a policy bundle (``.definitions``, ``.policy_set``) for ``scope``."""
    definitions = list(_field(bundle, "definitions") or [])
    policy_set = _field(bundle, "policy_set", "policySet")
    objects: list[DesiredObject] = []
    own: dict[str, str] = {}
    for d in definitions:
        name = d["name"]
        own[name.lower()] = name
        objects.append(DesiredObject("definition", object_id(scope.id, "definition", name), name,
                                     _stamp(d["properties"], owner)))
    set_obj: DesiredObject | None = None
    if policy_set:
        at_scope = getattr(bundle, "policy_set_at", None)
        if callable(at_scope):  # the bundle knows how to point its members at a scope
            policy_set = at_scope(scope.id)
        props = _stamp(policy_set["properties"], owner)
        for member in props.get("policyDefinitions", []):
            member["policyDefinitionId"] = _rescope_reference(member.get("policyDefinitionId", ""), scope, own)
        set_obj = DesiredObject("set", object_id(scope.id, "set", policy_set["name"]), policy_set["name"], props)
        objects.append(set_obj)
    managed = ["definition", "set"]
    assignment_id: str | None = None
    if assign:
        if set_obj is None:
            raise InputError("--assign needs a pack that produces a policy set")
        limit = 24 if scope.kind == "managementGroup" else 64
        if assignment_name and len(assignment_name) > limit:
            raise InputError(f"--assignment-name {assignment_name!r} is longer than {limit} characters, "
                             f"the limit at this scope")
        name, props = _assignment_properties(bundle, set_obj, definitions, parameters or {}, scope, assignment_name)
        assignment = DesiredObject("assignment", object_id(scope.id, "assignment", name), name,
                                   _stamp(props, owner))
        assignment_id = assignment.id
        objects.append(assignment)
        managed.append("assignment")
    elif parameters:
        raise InputError("--parameter needs --assign")
    ex_scopes: list[str] = []
    ex_list = list(exemptions)
    for ex in ex_list:
        obj = _exemption_object(ex, scope, assignment_id, owner, _reference_ids(set_obj) if assign else None)
        if obj.id.lower().rsplit("/providers/microsoft.authorization/", 1)[0] != scope.id.lower():
            ex_scopes.append(split_object_id(obj.id)[0])
        objects.append(obj)
    if assign or ex_list:
        managed.append("exemption")
    names = [(o.kind, o.id.lower()) for o in objects]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise InputError("the pack produces two objects with the same name: "
                         + ", ".join(sorted(i for _, i in dupes)))
    return DesiredState(scope, owner, objects, tuple(managed), tuple(dict.fromkeys(ex_scopes)))


def _assignment_properties(bundle: Any, set_obj: DesiredObject, definitions: list[dict[str, Any]],
                           parameters: dict[str, Any], scope: Scope,
                           name: str | None) -> tuple[str, dict[str, Any]]:
    """(name, properties) from the bundle's ``assignment`` helper, else a plain assignment of the set."""
    declared = set_obj.properties.get("parameters") or {}
    lower = {k.lower(): k for k in declared}
    for key in parameters:
        if key.lower() not in lower:
            raise InputError(f"--parameter {key}: the set {set_obj.name!r} has no such parameter "
                             f"(it has: {', '.join(sorted(declared)) or 'none'})")
    given = {p.lower() for p in parameters}
    missing = [k for k, spec in declared.items() if "defaultValue" not in (spec or {}) and k.lower() not in given]
    if missing:
        raise InputError(f"the set {set_obj.name!r} needs a value for {', '.join(missing)} (--parameter K=V)")
    values = _checked_parameter_values(set_obj, {lower[k.lower()]: v for k, v in parameters.items()})
    helper = getattr(bundle, "assignment", None)
    if callable(helper):
        # generator.targets.policy_json.PolicyBundle.assignment: messages quoting each clause.
        made = helper(scope.id, definition_scope=scope.id, name=name, parameters=values)
        name = made.get("name") or name or default_assignment_name(set_obj.name, scope)
        props = copy.deepcopy(made["properties"])
    else:
        name = name or default_assignment_name(set_obj.name, scope)
        props = {
            "displayName": set_obj.properties.get("displayName", set_obj.name),
            "enforcementMode": "Default",
            "nonComplianceMessages": _fallback_messages(set_obj, definitions),
        }
        if set_obj.properties.get("description"):
            props["description"] = set_obj.properties["description"]
        if values:
            props["parameters"] = {k: {"value": v} for k, v in sorted(values.items())}
    props["policyDefinitionId"] = set_obj.id
    if not props.get("parameters"):
        props.pop("parameters", None)
    return name, props


def _checked_parameter_values(set_obj: DesiredObject, values: dict[str, Any]) -> dict[str, Any]:
    """Check --parameter values against the set's declared types and allowedValues, as Azure would (exit 2).

    ``--parameter K=V`` parses V as JSON; a String parameter keeps a number or Boolean as its text.
    """
    from generator.engine.policies import parse_parameters, resolve_parameter_values
    from generator.errors import PolicyCompileError

    try:
        declared = parse_parameters(set_obj.properties.get("parameters") or {}, "/properties/parameters")
    except PolicyCompileError:
        return values  # the set's own declarations are checked where the pack is validated
    out = dict(values)
    for key, value in values.items():
        decl = declared.get(key)
        if decl is None:
            continue
        if decl.type in ("string", "datetime") and isinstance(value, (bool, int, float)):
            out[key] = json.dumps(value)
        try:
            resolve_parameter_values({key: decl}, {key: out[key]}, owner=f"set {set_obj.name}")
        except InputError as exc:
            raise InputError(f"--parameter {key}: {exc.message}") from None
    return out


def _fallback_messages(set_obj: DesiredObject, definitions: list[dict[str, Any]]) -> list[dict[str, str]]:
    by_id = {object_id("", "definition", d["name"]).lower(): d for d in definitions}
    messages = []
    for member in set_obj.properties.get("policyDefinitions", []):
        ref = member.get("policyDefinitionReferenceId")
        d = next((v for k, v in by_id.items() if member.get("policyDefinitionId", "").lower().endswith(k)), None)
        meta = (d or {}).get("properties", {}).get("metadata", {}) or {}
        text = meta.get("nonComplianceMessage")
        if ref and text:
            messages.append({"message": text, "policyDefinitionReferenceId": ref})
    return messages


def _reference_ids(set_obj: DesiredObject | None) -> set[str] | None:
    if set_obj is None:
        return None
    return {str(m.get("policyDefinitionReferenceId", "")).lower()
            for m in set_obj.properties.get("policyDefinitions", []) if isinstance(m, dict)}


def _exemption_object(ex: dict[str, Any], scope: Scope, assignment_id: str | None, owner: str,
                      reference_ids: set[str] | None = None) -> DesiredObject:
    name = ex.get("name")
    if not name or not isinstance(name, str):
        raise InputError("an exemption needs a 'name'")
    props = dict(ex.get("properties") or {k: v for k, v in ex.items() if k not in ("name", "scope")})
    if props.get("exemptionCategory") not in ("Waiver", "Mitigated"):
        raise InputError(f"exemption {name!r}: exemptionCategory must be Waiver or Mitigated")
    expires = props.get("expiresOn")
    if expires is not None and not _is_datetime(expires):
        raise InputError(f"exemption {name!r}: expiresOn must be an ISO 8601 date and time "
                         f"(e.g. 2027-01-31T00:00:00Z), got {expires!r}")
    if not props.get("policyAssignmentId"):
        if assignment_id is None:
            raise InputError(f"exemption {name!r} names no policyAssignmentId; add one or pass --assign")
        props["policyAssignmentId"] = assignment_id
    refs = props.get("policyDefinitionReferenceIds")
    if refs is not None and not (isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
        raise InputError(f"exemption {name!r}: policyDefinitionReferenceIds must be a list of strings")
    if refs and reference_ids is not None and assignment_id is not None \
            and str(props["policyAssignmentId"]).lower() == assignment_id.lower():
        # Azure refuses an exemption naming a reference id the assigned set does not have.
        unknown = [r for r in refs if r.lower() not in reference_ids]
        if unknown:
            raise InputError(f"exemption {name!r}: policyDefinitionReferenceIds {', '.join(unknown)} are not in "
                             f"the assigned set (it has: {', '.join(sorted(reference_ids))})")
    ex_scope = (ex.get("scope") or scope.id).rstrip("/")
    if not ex_scope.startswith("/"):
        raise InputError(f"exemption {name!r}: scope must be an ARM id, got {ex_scope!r}")
    return DesiredObject("exemption", object_id(ex_scope, "exemption", name), name, _stamp(props, owner))


def _is_datetime(value: Any) -> bool:
    from datetime import datetime

    if not isinstance(value, str) or not value:
        return False
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# diff


@dataclass
class PropertyChange:
    """One changed property path with its remote (before) and desired (after) values."""

    path: str
    before: Any = None
    after: Any = None

    def to_json(self) -> dict[str, Any]:
        """JSON form; a missing side is omitted."""
        out: dict[str, Any] = {"path": self.path}
        if self.before is not _ABSENT:
            out["before"] = self.before
        if self.after is not _ABSENT:
            out["after"] = self.after
        return out


def _is_default(value: Any, default: Any) -> bool:
    return default is None or value == default


def diff_properties(kind: str, desired: dict[str, Any], remote: dict[str, Any]) -> list[PropertyChange]:
    """Per-property differences, ignoring what the service adds (metadata stamps, defaults, versions)."""
    changes: list[PropertyChange] = []
    _diff_dict(desired, remote, "properties", SERVICE_PROPERTIES.get(kind, {}), changes, kind)
    return changes


def _diff_dict(desired: dict[str, Any], remote: dict[str, Any], path: str, defaults: dict[str, Any],
               out: list[PropertyChange], kind: str) -> None:
    for key in list(desired) + [k for k in remote if k not in desired]:
        sub = f"{path}.{key}"
        d = desired.get(key, _ABSENT)
        r = remote.get(key, _ABSENT)
        if d is _ABSENT:
            if key in defaults and _is_default(r, defaults[key]):
                continue
            if path.endswith(".metadata") and key.lower() in SERVICE_METADATA:
                continue
            out.append(PropertyChange(sub, r, _ABSENT))
        elif r is _ABSENT:
            out.append(PropertyChange(sub, _ABSENT, d))
        elif isinstance(d, dict) and isinstance(r, dict):
            _diff_dict(d, r, sub, {}, out, kind)
        elif (kind == "set" and key == "policyDefinitions" and path == "properties"
              and isinstance(d, list) and isinstance(r, list) and len(d) == len(r)
              and all(isinstance(x, dict) for x in d + r)):
            for i, (dm, rm) in enumerate(zip(d, r)):
                _diff_dict(dm, rm, f"{sub}[{i}]", SET_MEMBER_DEFAULTS, out, kind)
        elif d != r and not _same_resource_id(d, r):
            out.append(PropertyChange(sub, r, d))


def _same_resource_id(a: Any, b: Any) -> bool:
    """ARM ids are case-insensitive; the service may echo a reference in another case."""
    return (isinstance(a, str) and isinstance(b, str) and a.startswith("/") and b.startswith("/")
            and "/providers/" in a.lower() and a.lower() == b.lower())


def comparable(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """A remote object without what the service adds: the basis of the plan fingerprint."""
    props = copy.deepcopy(obj.get("properties") or {})
    meta = props.get("metadata")
    if isinstance(meta, dict):
        props["metadata"] = {k: v for k, v in meta.items() if k.lower() not in SERVICE_METADATA}
    for key in ("versions",):
        props.pop(key, None)
    return {"name": obj.get("name"), "properties": props}


def object_hash(kind: str, obj: dict[str, Any] | None) -> str:
    """A stable hash of the comparable form of a remote object ('absent' when there is none)."""
    if obj is None:
        return "absent"
    text = json.dumps(comparable(kind, obj), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --------------------------------------------------------------------------------------------------
# plan


@dataclass
class Change:
    """One planned action on one object."""

    kind: str
    id: str
    name: str
    action: str  # create | update | unchanged | delete | orphaned
    changes: list[PropertyChange] = field(default_factory=list)
    body: dict[str, Any] | None = None  # the PUT body for create/update

    @property
    def is_write(self) -> bool:
        """True for create, update and delete."""
        return self.action in ("create", "update", "delete")

    def to_json(self, with_body: bool = False) -> dict[str, Any]:
        """JSON form (the body only for saved plans)."""
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "id": self.id, "action": self.action}
        if self.action == "update":
            out["changes"] = [c.to_json() for c in self.changes]
        elif self.action == "create":
            out["properties"] = sorted((self.body or {}).get("properties", {}))
        if with_body and self.body is not None:
            out["body"] = self.body
        return out


@dataclass
class Plan:
    """The diff for a scope, and the remote state it was computed against (per-object hashes)."""

    scope: Scope
    owner: str
    changes: list[Change]
    remote_hashes: dict[str, str]  # lower-case id -> object_hash of the remote object
    prune: bool = False

    @property
    def fingerprint(self) -> str:
        """One hash over the remote state the plan depends on."""
        text = json.dumps(sorted(self.remote_hashes.items()), separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def summary(self) -> dict[str, int]:
        """Counts per action."""
        out = {"create": 0, "update": 0, "unchanged": 0, "delete": 0, "orphaned": 0}
        for c in self.changes:
            out[c.action] += 1
        return out

    def writes(self) -> list[Change]:
        """The changes that write, in apply order: create/update by kind, then deletes in reverse."""
        puts = [c for k in KINDS for c in self.changes if c.kind == k and c.action in ("create", "update")]
        deletes = [c for k in reversed(KINDS) for c in self.changes if c.kind == k and c.action == "delete"]
        return puts + deletes


@dataclass
class RemoteState:
    """Remote objects by lower-case id, as plain ARM JSON."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def owned_by(self, owner: str, kinds: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        """(kind, object) pairs whose metadata names ``owner``, for the given kinds."""
        wanted = set(kinds)
        out = []
        for obj_id, obj in self.objects.items():
            kind = split_object_id(obj.get("id") or obj_id)[1]
            if kind in wanted and owner_of(obj) == owner:
                out.append((kind, obj))
        return out


def owner_of(obj: dict[str, Any]) -> str | None:
    """The clausegate owner id stamped in an object's metadata, if any."""
    meta = (obj.get("properties") or {}).get("metadata") or {}
    value = meta.get(OWNER_KEY) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def compute_plan(desired: DesiredState, remote: RemoteState, *, prune: bool = False) -> Plan:
    """Diff desired against remote; refuse (OwnershipError, exit 2) to touch objects we do not own."""
    changes: list[Change] = []
    hashes: dict[str, str] = {}
    conflicts: list[str] = []
    desired_ids = set()
    for obj in desired.objects:
        key = obj.id.lower()
        desired_ids.add(key)
        current = remote.objects.get(key)
        hashes[key] = object_hash(obj.kind, current)
        if current is None:
            changes.append(Change(obj.kind, obj.id, obj.name, "create", body=obj.body()))
            continue
        found = owner_of(current)
        if found != desired.owner:
            who = f"owner {found!r}" if found else "no clausegate owner"
            conflicts.append(f"{obj.kind} {obj.name!r} ({who})")
            continue
        diffs = diff_properties(obj.kind, obj.properties, current.get("properties") or {})
        if diffs:
            changes.append(Change(obj.kind, obj.id, obj.name, "update", diffs, body=obj.body()))
        else:
            changes.append(Change(obj.kind, obj.id, obj.name, "unchanged"))
    if conflicts:
        raise OwnershipError(
            f"{len(conflicts)} object(s) at {desired.scope.id} already exist and are not owned by "
            f"{desired.owner!r}: {'; '.join(conflicts)}",
            hint="nothing was changed; rename them in the pack, remove them in Azure, or pass the "
                 "--owner-id that created them",
        )
    for kind, obj in sorted(remote.owned_by(desired.owner, desired.managed_kinds),
                            key=lambda p: (KINDS.index(p[0]), p[1]["id"].lower())):
        key = obj["id"].lower()
        if key in desired_ids:
            continue
        hashes[key] = object_hash(kind, obj)
        changes.append(Change(kind, obj["id"], obj["name"], "delete" if prune else "orphaned"))
    order = {k: i for i, k in enumerate(KINDS)}
    changes.sort(key=lambda c: (order[c.kind], c.action == "delete"))
    return Plan(desired.scope, desired.owner, changes, hashes, prune=prune)


def current_hashes(plan_keys: Iterable[str], remote: RemoteState, owner: str,
                   kinds: Iterable[str]) -> dict[str, str]:
    """Hashes of the same objects a plan depends on, plus any object of ``owner`` that appeared since."""
    out: dict[str, str] = {}
    for key in plan_keys:
        obj = remote.objects.get(key)
        out[key] = object_hash(split_object_id(obj["id"])[1] if obj else "definition", obj)
    for kind, obj in remote.owned_by(owner, kinds):
        out.setdefault(obj["id"].lower(), object_hash(kind, obj))
    return out


# --------------------------------------------------------------------------------------------------
# talking to Azure


class PolicyApi:
    """The few calls publish makes, over the real PolicyClient (exemptions through its pipeline)."""

    def __init__(self, client: Any, scope: Scope, describe_error: Callable[[BaseException, str], Exception]) -> None:
        self.client = client
        self.scope = scope
        self._describe = describe_error

    # reading ------------------------------------------------------------------------------------
    def read(self, kinds: Iterable[str], extra_exemption_scopes: Iterable[str] = ()) -> RemoteState:
        """LIST each kind at exactly the scope (one call per kind and page), exemptions also at extra scopes."""
        state = RemoteState()
        for kind in kinds:
            for obj in self._list(kind, self.scope.id):
                state.objects[obj["id"].lower()] = obj
        for ex_scope in extra_exemption_scopes:
            for obj in self._list("exemption", ex_scope):
                state.objects[obj["id"].lower()] = obj
        return state

    def _list(self, kind: str, scope_id: str) -> list[dict[str, Any]]:
        ops = self.client
        mg = self.scope.name if self.scope.kind == "managementGroup" else None
        what = f"list policy {KIND_PATH[kind]} at {scope_id}"
        try:
            if kind == "exemption":
                return self._raw_list(f"{scope_id}/providers/Microsoft.Authorization/policyExemptions")
            if kind == "definition":
                pager = (ops.policy_definitions.list_by_management_group(mg, filter="atExactScope()") if mg
                         else ops.policy_definitions.list(filter="atExactScope()"))
            elif kind == "set":
                pager = (ops.policy_set_definitions.list_by_management_group(mg, filter="atExactScope()") if mg
                         else ops.policy_set_definitions.list(filter="atExactScope()"))
            else:
                pager = (ops.policy_assignments.list_for_management_group(mg, filter="atExactScope()") if mg
                         else ops.policy_assignments.list(filter="atExactScope()"))
            return [_plain(item) for item in pager]
        except Exception as exc:
            raise self._describe(exc, what) from None

    def _raw_list(self, path: str) -> list[dict[str, Any]]:
        from azure.core.rest import HttpRequest

        out: list[dict[str, Any]] = []
        url: str | None = f"{path}?api-version={EXEMPTION_API_VERSION}&$filter=atExactScope()"
        while url:
            response = self._send(HttpRequest("GET", url))
            payload = response.json()
            out.extend(payload.get("value", []))
            url = payload.get("nextLink")
        return out

    def _send(self, request: Any, allow_404: bool = False) -> Any:
        from azure.core.exceptions import HttpResponseError

        response = self.client.send_request(request)
        if response.status_code == 404 and allow_404:
            return response
        if response.status_code >= 400:
            raise HttpResponseError(response=response)
        return response

    # writing ------------------------------------------------------------------------------------
    def put(self, change: Change) -> None:
        """Create or replace one object."""
        scope_id, kind, name = split_object_id(change.id)
        body = change.body or {}
        mg = self.scope.name if self.scope.kind == "managementGroup" else None
        ops = self.client
        try:
            if kind == "definition":
                (ops.policy_definitions.create_or_update_at_management_group(mg, name, body) if mg
                 else ops.policy_definitions.create_or_update(name, body))
            elif kind == "set":
                (ops.policy_set_definitions.create_or_update_at_management_group(mg, name, body) if mg
                 else ops.policy_set_definitions.create_or_update(name, body))
            elif kind == "assignment":
                # The operation's URL template is "/{scope}/providers/...": pass the scope without its slash.
                ops.policy_assignments.create(scope_id.lstrip("/"), name, body)
            else:
                from azure.core.rest import HttpRequest

                self._send(HttpRequest("PUT", f"{change.id}?api-version={EXEMPTION_API_VERSION}", json=body))
        except Exception as exc:
            raise self._describe(exc, f"{'create' if change.action == 'create' else 'update'} {kind} {name!r}") from None

    def delete(self, change: Change) -> None:
        """Delete one object (already gone is fine: reruns converge)."""
        scope_id, kind, name = split_object_id(change.id)
        mg = self.scope.name if self.scope.kind == "managementGroup" else None
        ops = self.client
        try:
            if kind == "definition":
                (ops.policy_definitions.delete_at_management_group(mg, name) if mg
                 else ops.policy_definitions.delete(name))
            elif kind == "set":
                (ops.policy_set_definitions.delete_at_management_group(mg, name) if mg
                 else ops.policy_set_definitions.delete(name))
            elif kind == "assignment":
                ops.policy_assignments.delete(scope_id.lstrip("/"), name)
            else:
                from azure.core.rest import HttpRequest

                self._send(HttpRequest("DELETE", f"{change.id}?api-version={EXEMPTION_API_VERSION}"))
        except Exception as exc:
            raise self._describe(exc, f"delete {kind} {name!r}") from None


def _plain(item: Any) -> dict[str, Any]:
    """An SDK model as the ARM JSON it came from."""
    if isinstance(item, dict):
        return item
    as_dict = getattr(item, "as_dict", None)
    return as_dict() if callable(as_dict) else dict(item)


def apply_plan(plan: Plan, api: PolicyApi, on_applied: Callable[[Change], None] | None = None) -> list[Change]:
    """Write the plan's changes in dependency order; stop at the first failure (a rerun converges)."""
    done: list[Change] = []
    for change in plan.writes():
        if change.action == "delete":
            api.delete(change)
        else:
            api.put(change)
        done.append(change)
        if on_applied:
            on_applied(change)
    return done


def describe_azure_error(settings: Any) -> Callable[[BaseException, str], Exception]:
    """Map SDK exceptions to ClausegateErrors: credentials, permissions, refusals, unreachable (exit 3)."""

    def describe(exc: BaseException, what: str) -> Exception:
        from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

        from generator.azure.credentials import credential_error, redact

        if isinstance(exc, ClientAuthenticationError) and not _from_arm(exc, settings.arm_endpoint):
            # Raised by the credential (token endpoint, developer tool), not by Resource Manager.
            return credential_error(exc, settings)
        if isinstance(exc, HttpResponseError) and exc.status_code is not None:
            code, message = _error_parts(exc)
            status = exc.status_code
            if status == 401:
                return RemoteError(f"Resource Manager rejected the token ({code}) while trying to {what}",
                                   hint=credential_error(exc, settings).hint)
            if status == 403:
                return RemoteError(
                    f"permission denied while trying to {what}: {redact(message)}",
                    hint="the identity needs Resource Policy Contributor at the scope "
                         "(and Microsoft.Authorization/policyExemptions/write for exemptions)")
            return RemoteError(f"Azure refused to {what}: HTTP {status} {code}: {redact(message)}")
        if isinstance(exc, ServiceRequestError):
            return RemoteError(f"Azure Resource Manager is unreachable at {settings.arm_endpoint} while trying "
                               f"to {what}: {redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__}")
        from azure.core.exceptions import AzureError

        if isinstance(exc, AzureError):
            text = redact(str(exc)).splitlines()
            return RemoteError(f"Azure request failed while trying to {what}: {text[0] if text else type(exc).__name__}")
        if isinstance(exc, (RemoteError, InputError)):
            return exc
        return exc if isinstance(exc, Exception) else RemoteError(str(exc))

    return describe


def _from_arm(exc: Any, endpoint: str) -> bool:
    response = getattr(exc, "response", None)
    url = str(getattr(getattr(response, "request", None), "url", "") or "")
    return bool(response is not None and url.lower().startswith(endpoint.lower()) and "/msi/" not in url)


def _error_parts(exc: Any) -> tuple[str, str]:
    code = getattr(getattr(exc, "error", None), "code", None) or ""
    message = getattr(getattr(exc, "error", None), "message", None) or ""
    if not code:
        try:
            body = exc.response.json()
            code = body.get("error", {}).get("code", "") or ""
            message = body.get("error", {}).get("message", "") or message
        except Exception:
            pass
    if not message:
        message = (str(getattr(exc, "reason", "")) or str(exc)).splitlines()[0]
    return code or "Error", message.splitlines()[0] if message else ""


# --------------------------------------------------------------------------------------------------
# one run


@dataclass
class PublishResult:
    """What a run planned, applied and sent; ``error`` is set when applying stopped half-way."""

    plan: Plan
    what_if: bool
    applied: list[Change]
    stats: Any
    saved_to: str | None = None
    error: Exception | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``--format json`` document (schemaVersion 1)."""
        return {
            "schemaVersion": 1,
            "scope": self.plan.scope.id,
            "owner": self.plan.owner,
            "whatIf": self.what_if,
            "fingerprint": self.plan.fingerprint,
            "changes": [c.to_json() for c in self.plan.changes],
            "summary": self.plan.summary(),
            "applied": [{"kind": c.kind, "name": c.name, "action": c.action} for c in self.applied],
            "requests": self.stats.to_json(),
            **({"plan": self.saved_to} if self.saved_to else {}),
            **({"error": str(self.error)} if self.error else {}),
        }


def run_publish(
    *,
    settings: Any,
    scope: Scope | None,
    bundle: Any = None,
    owner: str | None = None,
    assign: bool = False,
    assignment_name: str | None = None,
    parameters: dict[str, Any] | None = None,
    exemptions: Iterable[dict[str, Any]] = (),
    what_if: bool = False,
    out: str | None = None,
    plan_path: str | None = None,
    prune: bool = False,
    debug: bool = False,
) -> PublishResult:
    """Plan (and unless ``what_if``, apply) a bundle or a saved plan at a scope."""
    from generator.azure.clients import RequestStats, make_policy_client
    from generator.azure.credentials import install_log_redaction, make_credential
    from generator.azure.planfile import load_plan, plan_to_json, save_plan

    install_log_redaction()
    if out and not what_if:
        raise InputError("--out saves a plan and needs --what-if")
    if plan_path and what_if:
        raise InputError("--plan applies a saved plan; it cannot be combined with --what-if")
    saved = None
    desired = None
    if plan_path:
        saved = load_plan(plan_path)
        if scope is not None and scope.id.lower() != saved.scope.id.lower():
            raise InputError(f"--scope {scope.id} differs from the plan's scope {saved.scope.id}", file=plan_path)
        scope = saved.scope
    else:
        if scope is None:
            raise InputError("--scope is required")
        if bundle is None or owner is None:
            raise InputError("a pack is required")
        # Everything that can be checked locally is checked before the first request.
        desired = desired_state(bundle, scope, owner, assign=assign, assignment_name=assignment_name,
                                parameters=parameters, exemptions=exemptions)
    assert scope is not None
    stats = RequestStats()
    credential = make_credential(settings)
    client = make_policy_client(settings, credential, scope.name if scope.kind == "subscription" else None,
                                stats, debug=debug)
    api = PolicyApi(client, scope, describe_azure_error(settings))
    try:
        if saved is not None:
            remote = api.read(saved.managed_kinds, saved.exemption_scopes)
            saved.check_current(remote)
            plan = saved.plan
        else:
            assert desired is not None
            remote = api.read(desired.managed_kinds, desired.exemption_scopes)
            plan = compute_plan(desired, remote, prune=prune)
        result = PublishResult(plan, what_if, [], stats)
        if out:
            assert desired is not None
            save_plan(out, plan_to_json(plan, desired.managed_kinds, desired.exemption_scopes))
            result.saved_to = out
        if not what_if:
            try:
                apply_plan(plan, api, result.applied.append)
            except (RemoteError, InputError) as exc:
                result.error = exc
        return result
    finally:
        client.close()
        close = getattr(credential, "close", None)
        if callable(close):
            close()


# --------------------------------------------------------------------------------------------------
# inputs


def load_bundle(name_or_path: str | None) -> tuple[Any, str]:
    """The bundle to publish and the default owner id derived from it.

    A ``.json`` file holding ``{"name", "definitions", "policySet"}`` is a bundle rendered earlier
    (published as is); anything else is a pack name or YAML path rendered by the policy_json target.
    """
    from pathlib import Path

    if name_or_path and name_or_path.lower().endswith(".json") and Path(name_or_path).is_file():
        from generator.fsio import read_text

        try:
            doc = json.loads(read_text(name_or_path))
        except ValueError as exc:
            raise InputError(f"not JSON: {exc}", file=name_or_path) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("definitions"), list):
            raise InputError("a bundle file needs a 'definitions' list (and usually 'policySet')", file=name_or_path)
        return doc, f"clausegate/{doc.get('name') or Path(name_or_path).stem}"
    from generator.pack import load_pack

    if not name_or_path:
        from generator import plugins

        plugins.packs.discover()
        names = sorted(plugins.packs.entries)
        if len(names) != 1:
            raise InputError(f"--pack is required ({len(names)} packs are installed: {', '.join(names) or 'none'})")
        name_or_path = names[0]
    pack = load_pack(name_or_path)
    try:
        from generator.targets.policy_json import build_bundle
    except ImportError:
        raise InputError("this build has no policy_json target to render packs; pass a bundle .json file") from None
    return build_bundle(pack), f"clausegate/{pack.name}"


def load_exemption_files(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Exemptions from JSON or YAML files: one object, a list, or ``{"exemptions": [...]}``."""
    from generator.fsio import read_text

    out: list[dict[str, Any]] = []
    for path in paths:
        text = read_text(path)
        try:
            if path.lower().endswith((".yaml", ".yml")):
                import yaml

                doc = _dates_as_text(yaml.safe_load(text))
            else:
                doc = json.loads(text)
        except Exception as exc:
            # One line with file:line, like every other bad file (YAML's own message spans several lines).
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else getattr(exc, "lineno", None)
            problem = getattr(exc, "problem", None) or getattr(exc, "msg", None) or str(exc).splitlines()[0]
            raise InputError(f"cannot parse exemption file: {problem}", file=path, line=line) from None
        if isinstance(doc, dict) and isinstance(doc.get("exemptions"), list):
            doc = doc["exemptions"]
        items = doc if isinstance(doc, list) else [doc]
        for item in items:
            if not isinstance(item, dict):
                raise InputError("an exemption must be an object", file=path)
            out.append(item)
    return out


def _dates_as_text(value: Any) -> Any:
    """YAML reads an unquoted ``expiresOn: 2027-01-31T00:00:00Z`` as a datetime; ARM takes ISO 8601 text."""
    from datetime import date, datetime, timezone

    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() == timezone.utc.utcoffset(None):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
