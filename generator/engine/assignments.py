"""ARM policy assignments and exemptions: scope, notScopes, enforcement, overrides, selectors, expiry.

The same model serves `eval`, `check`, `scan` and assignments read live from Azure: build it from
the ARM JSON of a ``Microsoft.Authorization/policyAssignments`` / ``policyExemptions`` resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from generator.errors import InputError

_ASSIGNMENT_SEGMENT = "/providers/microsoft.authorization/policyassignments/"
_EXEMPTION_SEGMENT = "/providers/microsoft.authorization/policyexemptions/"
SELECTOR_KINDS = ("resourcelocation", "resourcetype", "resourcewithoutlocation", "policydefinitionreferenceid")


def normalise_location(location: Any) -> str:
    """'East US 2' -> 'eastus2' (ARM compares locations without case and spaces)."""
    return str(location).replace(" ", "").lower() if location is not None else ""


def scope_contains(scope: str, resource_id: str) -> bool:
    """True when ``resource_id`` is ``scope`` or below it (case-insensitive, on segment boundaries)."""
    s = scope.rstrip("/").lower()
    r = resource_id.rstrip("/").lower()
    if s in ("", "/"):
        return True
    return r == s or r.startswith(s + "/")


def _scope_of(resource_id: str | None, segment: str) -> str | None:
    if not resource_id:
        return None
    i = resource_id.lower().find(segment)
    return resource_id[:i] if i >= 0 else None


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass
class Selector:
    """One selector: a kind and an ``in`` or ``notIn`` list (compared without case)."""

    kind: str
    in_: frozenset[str] | None = None
    not_in: frozenset[str] | None = None

    def matches(self, facts: Mapping[str, str | None]) -> bool | None:
        """Whether the facts satisfy this selector; None when the fact is unknown (e.g. location after apply)."""
        value = facts.get(self.kind)
        if value is None:
            return None
        if self.in_ is not None and value not in self.in_:
            return False
        if self.not_in is not None and value in self.not_in:
            return False
        return True


def _norm_selector_value(kind: str, v: Any) -> str:
    if kind == "resourcelocation":
        return normalise_location(v)
    return str(v).lower()


def parse_selectors(raw: Any, *, file: str | None, pointer: str) -> list[Selector]:
    """Parse a ``selectors`` array (InputError naming file and pointer on a bad entry)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError("'selectors' must be an array", file=file, pointer=pointer)
    out: list[Selector] = []
    for i, s in enumerate(raw):
        ptr = f"{pointer}/{i}"
        if not isinstance(s, Mapping) or not isinstance(s.get("kind"), str):
            raise InputError("a selector needs a 'kind'", file=file, pointer=ptr)
        kind = s["kind"].lower()
        if kind not in SELECTOR_KINDS:
            raise InputError(f"unknown selector kind {s['kind']!r} (expected resourceLocation, resourceType, "
                             f"resourceWithoutLocation or policyDefinitionReferenceId)", file=file, pointer=f"{ptr}/kind")
        in_ = s.get("in")
        not_in = s.get("notIn")
        if (in_ is None) == (not_in is None):
            raise InputError("a selector needs exactly one of 'in' and 'notIn'", file=file, pointer=ptr)
        for key, val in (("in", in_), ("notIn", not_in)):
            if val is not None and not isinstance(val, list):
                raise InputError(f"'{key}' must be an array", file=file, pointer=f"{ptr}/{key}")
        out.append(Selector(
            kind,
            frozenset(_norm_selector_value(kind, v) for v in in_) if in_ is not None else None,
            frozenset(_norm_selector_value(kind, v) for v in not_in) if not_in is not None else None,
        ))
    return out


@dataclass
class ResourceSelector:
    """A named group of selectors; all of its selectors must hold."""

    name: str
    selectors: list[Selector]

    def matches(self, facts: Mapping[str, str | None]) -> bool | None:
        """AND over the selectors (None when one depends on an unknown fact and none is False)."""
        result: bool | None = True
        for s in self.selectors:
            m = s.matches(facts)
            if m is False:
                return False
            if m is None:
                result = None
        return result


def parse_resource_selectors(raw: Any, *, file: str | None, pointer: str) -> list[ResourceSelector]:
    """Parse ``resourceSelectors``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError("'resourceSelectors' must be an array", file=file, pointer=pointer)
    out = []
    for i, rs in enumerate(raw):
        if not isinstance(rs, Mapping):
            raise InputError("a resource selector must be an object", file=file, pointer=f"{pointer}/{i}")
        sels = parse_selectors(rs.get("selectors"), file=file, pointer=f"{pointer}/{i}/selectors")
        out.append(ResourceSelector(str(rs.get("name") or f"selector{i}"), sels))
    return out


def resource_facts(resource: Mapping[str, Any], reference_id: str | None = None) -> dict[str, str | None]:
    """The selector facts of a resource: normalised location, lower-case type, 'true'/'false' without location."""
    from generator.engine.values import UNKNOWN

    loc = resource.get("location")
    unknown_loc = loc is UNKNOWN
    return {
        "resourcelocation": None if unknown_loc else normalise_location(loc) if loc else "",
        "resourcetype": str(resource.get("type") or "").lower(),
        "resourcewithoutlocation": None if unknown_loc else ("false" if loc else "true"),
        "policydefinitionreferenceid": reference_id.lower() if reference_id else "",
    }


@dataclass
class Override:
    """An effect override (kind policyEffect) with optional selectors."""

    kind: str
    value: str
    selectors: list[Selector]


@dataclass
class Assignment:
    """An ARM policy assignment."""

    name: str
    id: str
    scope: str | None
    policy_definition_id: str
    parameters: dict[str, Any]
    not_scopes: list[str] = field(default_factory=list)
    enforcement_mode: str = "Default"
    overrides: list[Override] = field(default_factory=list)
    resource_selectors: list[ResourceSelector] = field(default_factory=list)
    non_compliance_messages: list[tuple[str | None, str]] = field(default_factory=list)
    display_name: str | None = None
    file: str | None = None
    enforced: bool = True   # False for enforcementMode DoNotEnforce: results are reported, never failed

    def __post_init__(self) -> None:
        self.enforced = self.enforcement_mode.lower() != "donotenforce"
        # Lower-cased once: exclusion_reason runs for every resource.
        scope = (self.scope or "").rstrip("/").lower()
        self._scope_l = "" if scope.startswith("/providers/microsoft.management/managementgroups/") else scope
        self._not_scopes_l = [(ns, ns.rstrip("/").lower(), ns.rstrip("/").lower() + "/") for ns in self.not_scopes]

    @property
    def resource_dependent_overrides(self) -> bool:
        """True when an override selects by location or type, so it is decided per resource."""
        return any(sel.kind != "policydefinitionreferenceid" for o in self.overrides for sel in o.selectors)

    def exclusion_reason(self, resource_id: str | None, facts: Mapping[str, str | None]) -> str | None:
        """Why the assignment does not apply to this resource (scope, notScopes, resourceSelectors), or None."""
        if resource_id:
            rid = resource_id.rstrip("/").lower()
            s = self._scope_l
            # Management-group scopes need the hierarchy, which is not known offline: treated as containing.
            if s and s != "/" and rid != s and not rid.startswith(s + "/"):
                return f"outside the scope {self.scope} of assignment {self.name}"
            for ns, ns_l, ns_prefix in self._not_scopes_l:
                if rid == ns_l or rid.startswith(ns_prefix):
                    return f"excluded by notScopes {ns} of assignment {self.name}"
        if self.resource_selectors:
            outcomes = [rs.matches(facts) for rs in self.resource_selectors]
            if not any(o is not False for o in outcomes):
                names = ", ".join(rs.name for rs in self.resource_selectors)
                return f"not selected by resourceSelectors ({names}) of assignment {self.name}"
        return None

    def effect_override(self, facts: Mapping[str, str | None]) -> str | None:
        """The overriding effect for a member (facts include its policyDefinitionReferenceId), or None."""
        for o in self.overrides:
            if o.kind.lower() != "policyeffect":
                continue
            if all(s.matches(facts) is True for s in o.selectors):
                return o.value
        return None

    def non_compliance_message(self, reference_id: str | None) -> str | None:
        """The message for this member: the one naming its reference id, else the general one."""
        general = None
        for ref, msg in self.non_compliance_messages:
            if ref is None:
                general = general or msg
            elif reference_id and ref.lower() == reference_id.lower():
                return msg
        return general


def _body(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return doc["properties"] if isinstance(doc.get("properties"), Mapping) else doc


def _load_json(path: str | Path) -> Any:
    from generator.safeload import load_json

    return load_json(path)


def parse_assignment(doc: Any, *, file: str | None = None) -> Assignment:
    """Build an Assignment from ARM JSON (with or without the properties wrapper); InputError if malformed."""
    if not isinstance(doc, Mapping):
        raise InputError("a policy assignment must be a JSON object", file=file, pointer="")
    body = _body(doc)
    base = "/properties" if body is not doc else ""
    def_id = body.get("policyDefinitionId")
    if not isinstance(def_id, str) or not def_id:
        raise InputError("not a policy assignment: no 'policyDefinitionId'", file=file, pointer=base)
    name = str(doc.get("name") or body.get("name") or (Path(file).stem if file else "assignment"))
    scope = body.get("scope") or _scope_of(doc.get("id"), _ASSIGNMENT_SEGMENT)
    aid = doc.get("id") or (f"{scope.rstrip('/')}/providers/Microsoft.Authorization/policyAssignments/{name}"
                            if scope else f"/providers/Microsoft.Authorization/policyAssignments/{name}")
    from generator.engine.policies import unwrap_parameter_values

    params_raw = body.get("parameters") or {}
    if not isinstance(params_raw, Mapping):
        raise InputError("'parameters' must be an object", file=file, pointer=f"{base}/parameters")
    not_scopes = body.get("notScopes") or []
    if not isinstance(not_scopes, list) or not all(isinstance(s, str) for s in not_scopes):
        raise InputError("'notScopes' must be an array of resource ids", file=file, pointer=f"{base}/notScopes")
    mode = body.get("enforcementMode") or "Default"
    if not isinstance(mode, str) or mode.lower() not in ("default", "donotenforce"):
        raise InputError(f"enforcementMode {mode!r} is not Default or DoNotEnforce", file=file,
                         pointer=f"{base}/enforcementMode")
    overrides = []
    for i, o in enumerate(body.get("overrides") or []):
        ptr = f"{base}/overrides/{i}"
        if not isinstance(o, Mapping) or not isinstance(o.get("kind"), str) or not isinstance(o.get("value"), str):
            raise InputError("an override needs 'kind' and a string 'value'", file=file, pointer=ptr)
        if o["kind"].lower() not in ("policyeffect", "definitionversion"):
            raise InputError(f"unknown override kind {o['kind']!r}", file=file, pointer=f"{ptr}/kind")
        if o["kind"].lower() == "policyeffect":
            from generator.engine.policies import EFFECTS

            if o["value"].lower() not in EFFECTS:
                raise InputError(f"override value {o['value']!r} is not an Azure Policy effect", file=file,
                                 pointer=f"{ptr}/value")
        overrides.append(Override(o["kind"], o["value"], parse_selectors(o.get("selectors"), file=file,
                                                                          pointer=f"{ptr}/selectors")))
    messages: list[tuple[str | None, str]] = []
    for i, m in enumerate(body.get("nonComplianceMessages") or []):
        if not isinstance(m, Mapping) or not isinstance(m.get("message"), str):
            raise InputError("a nonComplianceMessages entry needs a 'message'", file=file,
                             pointer=f"{base}/nonComplianceMessages/{i}")
        messages.append((m.get("policyDefinitionReferenceId"), m["message"]))
    return Assignment(
        name=name,
        id=str(aid),
        scope=scope,
        policy_definition_id=def_id,
        parameters=unwrap_parameter_values(params_raw, file),
        not_scopes=list(not_scopes),
        enforcement_mode="DoNotEnforce" if mode.lower() == "donotenforce" else "Default",
        overrides=overrides,
        resource_selectors=parse_resource_selectors(body.get("resourceSelectors"), file=file,
                                                    pointer=f"{base}/resourceSelectors"),
        non_compliance_messages=messages,
        display_name=body.get("displayName"),
        file=file,
    )


def load_assignment(path: str | Path) -> Assignment:
    """Read and parse an assignment file."""
    return parse_assignment(_load_json(path), file=str(path))


def _parse_time(value: str, *, file: str | None, pointer: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"expiresOn {value!r} is not an ISO 8601 time", file=file, pointer=pointer) from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


@dataclass
class Exemption:
    """An ARM policy exemption."""

    name: str
    assignment_id: str
    category: str
    scope: str | None = None
    expires_on: datetime | None = None
    reference_ids: list[str] = field(default_factory=list)
    resource_selectors: list[ResourceSelector] = field(default_factory=list)
    display_name: str | None = None
    file: str | None = None

    def expired(self, now: datetime) -> bool:
        """True when expiresOn has passed (an expired exemption no longer exempts)."""
        return self.expires_on is not None and self.expires_on <= now

    def names_assignment(self, assignment: Assignment) -> bool:
        """True when policyAssignmentId names this assignment (full id, or name when a scope is unknown)."""
        mine = self.assignment_id.rstrip("/").lower()
        if mine == assignment.id.rstrip("/").lower():
            return True
        return mine.rsplit("/", 1)[-1] == assignment.name.lower() and (
            assignment.scope is None or _ASSIGNMENT_SEGMENT not in mine)

    def covers(self, assignment: Assignment, reference_id: str | None, resource_id: str | None,
               facts: Mapping[str, str | None]) -> bool:
        """True when this exemption (ignoring expiry) covers the (assignment, member, resource)."""
        if not self.names_assignment(assignment):
            return False
        if self.reference_ids:
            if not reference_id or reference_id.lower() not in {r.lower() for r in self.reference_ids}:
                return False
        if self.scope and resource_id and not scope_contains(self.scope, resource_id):
            return False
        if self.resource_selectors and not any(rs.matches(facts) for rs in self.resource_selectors):
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        """The 'exemption' object of a result."""
        return {"name": self.name, "category": self.category,
                "expiresOn": self.expires_on.isoformat().replace("+00:00", "Z") if self.expires_on else None}


def parse_exemption(doc: Any, *, file: str | None = None) -> Exemption:
    """Build an Exemption from ARM JSON; InputError naming file and pointer when malformed."""
    if not isinstance(doc, Mapping):
        raise InputError("a policy exemption must be a JSON object", file=file, pointer="")
    body = _body(doc)
    base = "/properties" if body is not doc else ""
    aid = body.get("policyAssignmentId")
    if not isinstance(aid, str) or not aid:
        raise InputError("not a policy exemption: no 'policyAssignmentId'", file=file, pointer=base)
    category = body.get("exemptionCategory")
    if not isinstance(category, str) or category.lower() not in ("waiver", "mitigated"):
        raise InputError(f"exemptionCategory {category!r} is not Waiver or Mitigated", file=file,
                         pointer=f"{base}/exemptionCategory")
    expires = body.get("expiresOn")
    refs = body.get("policyDefinitionReferenceIds") or []
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise InputError("'policyDefinitionReferenceIds' must be an array of strings", file=file,
                         pointer=f"{base}/policyDefinitionReferenceIds")
    return Exemption(
        name=str(doc.get("name") or body.get("name") or (Path(file).stem if file else "exemption")),
        assignment_id=aid,
        category="Waiver" if category.lower() == "waiver" else "Mitigated",
        scope=body.get("scope") or _scope_of(doc.get("id"), _EXEMPTION_SEGMENT),
        expires_on=_parse_time(expires, file=file, pointer=f"{base}/expiresOn") if isinstance(expires, str) else None,
        reference_ids=list(refs),
        resource_selectors=parse_resource_selectors(body.get("resourceSelectors"), file=file,
                                                    pointer=f"{base}/resourceSelectors"),
        display_name=body.get("displayName"),
        file=file,
    )


def load_exemption(path: str | Path) -> Exemption:
    """Read and parse an exemption file."""
    return parse_exemption(_load_json(path), file=str(path))
