"""Policy sets (initiatives): members resolved by id or name, parameter plumbing set -> definition, groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from generator.engine.policies import (
    ParameterDef,
    PolicyDefinition,
    compile_value,
    parse_parameters,
    resolve_parameter_values,
)
from generator.errors import InputError, PolicyCompileError


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _is_expr(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("[") and not value.startswith("[[")


@dataclass
class SetMember:
    """One policyDefinitions[] entry of a set, resolved to its compiled definition."""

    reference_id: str
    definition_id: str
    definition: PolicyDefinition
    parameter_values: dict[str, Any]               # as written: literals or "[parameters('x')]"
    compiled_values: dict[str, Any] = field(default_factory=dict)  # name -> CompiledValue for expressions
    group_names: list[str] = field(default_factory=list)
    pointer: str = ""


@dataclass
class PolicySet:
    """A compiled policy set definition."""

    name: str
    id: str | None
    display_name: str | None
    parameters: dict[str, ParameterDef]
    members: list[SetMember]
    groups: dict[str, dict[str, Any]]
    file: str | None = None
    pointer: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def member(self, reference_id: str) -> SetMember | None:
        """Return the member with this policyDefinitionReferenceId (case-insensitive)."""
        low = reference_id.lower()
        return next((m for m in self.members if m.reference_id.lower() == low), None)

    def member_parameters(self, set_values: Mapping[str, Any], *, source: str | None = None) -> list[dict[str, Any]]:
        """Resolve every member's parameter values from the set's (already resolved) parameter values.

        Returns one dict per member, in member order, with defaults applied and allowedValues checked.
        """
        from generator.engine.scope import Scope
        from generator.engine.values import EvaluationError

        scope = Scope(resource={}, parameters=dict(set_values))
        out: list[dict[str, Any]] = []
        for m in self.members:
            given: dict[str, Any] = {}
            for pname, raw in m.parameter_values.items():
                cv = m.compiled_values.get(pname)
                if cv is None:
                    given[pname] = raw
                    continue
                try:
                    given[pname] = cv.evaluate(scope)
                except EvaluationError as exc:
                    raise InputError(
                        f"set {self.name}: member {m.reference_id} parameter {pname!r} ({raw}) cannot be resolved: "
                        f"{exc}", file=source or self.file,
                        pointer=f"{m.pointer}/parameters/{_esc(pname)}/value") from None
            out.append(resolve_parameter_values(
                m.definition.parameters, given,
                owner=f"set {self.name} member {m.reference_id} ({m.definition.name})",
                source=source or self.file,
            ))
        return out


def is_set_doc(doc: Any) -> bool:
    """True when ``doc`` looks like a policy set definition (has policyDefinitions, wrapped or not)."""
    if not isinstance(doc, Mapping):
        return False
    body = doc.get("properties") if isinstance(doc.get("properties"), Mapping) else doc
    return isinstance(body.get("policyDefinitions"), list)


def compile_set(
    doc: Mapping[str, Any],
    lookup: Callable[[str], PolicyDefinition | None],
    *,
    file: str | None = None,
    pointer: str = "",
) -> PolicySet:
    """Compile a set; each member is found with ``lookup(policyDefinitionId)`` (PolicyCompileError if not)."""
    props = doc.get("properties") if isinstance(doc.get("properties"), Mapping) else None
    base = f"{pointer}/properties" if props is not None else pointer
    body: Mapping[str, Any] = props if props is not None else doc
    refs = body.get("policyDefinitions")
    if not isinstance(refs, list):
        raise PolicyCompileError("not a policy set: no 'policyDefinitions' array", file=file, pointer=base)
    params = parse_parameters(body.get("parameters"), f"{base}/parameters")
    groups: dict[str, dict[str, Any]] = {}
    for i, g in enumerate(body.get("policyDefinitionGroups") or []):
        if not isinstance(g, Mapping) or not g.get("name"):
            raise PolicyCompileError("a policyDefinitionGroups entry needs a 'name'", file=file,
                                     pointer=f"{base}/policyDefinitionGroups/{i}")
        groups[str(g["name"])] = dict(g)
    name = str(doc.get("name") or body.get("name") or (file and __import__("pathlib").Path(file).stem) or "set")
    members: list[SetMember] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for i, ref in enumerate(refs):
        ptr = f"{base}/policyDefinitions/{i}"
        if isinstance(ref, Mapping) and not isinstance(ref.get("policyDefinitionId"), str) \
                and isinstance(ref.get("policyDefinitionName"), str) and ref["policyDefinitionName"]:
            # EPAC's Definitions/policySetDefinitions files name custom members instead of giving an id.
            ref = {**ref, "policyDefinitionId": ref["policyDefinitionName"]}
        if not isinstance(ref, Mapping) or not isinstance(ref.get("policyDefinitionId"), str):
            raise PolicyCompileError("a set member needs a 'policyDefinitionId' string", file=file, pointer=ptr)
        def_id = ref["policyDefinitionId"]
        definition = lookup(def_id)
        if definition is None:
            raise PolicyCompileError(
                f"set member {ref.get('policyDefinitionReferenceId') or i} refers to {def_id}, which no given "
                f"definition provides (pass its file or folder with --definition)", file=file,
                pointer=f"{ptr}/policyDefinitionId")
        ref_id = str(ref.get("policyDefinitionReferenceId") or definition.name)
        if ref_id.lower() in seen:
            raise PolicyCompileError(f"duplicate policyDefinitionReferenceId {ref_id!r}", file=file,
                                     pointer=f"{ptr}/policyDefinitionReferenceId")
        seen.add(ref_id.lower())
        raw_params = ref.get("parameters") or {}
        if not isinstance(raw_params, Mapping):
            raise PolicyCompileError("member 'parameters' must be an object", file=file, pointer=f"{ptr}/parameters")
        values: dict[str, Any] = {}
        compiled: dict[str, Any] = {}
        declared = {n.lower() for n in definition.parameters}
        for pname, pv in raw_params.items():
            pptr = f"{ptr}/parameters/{_esc(pname)}"
            if pname.lower() not in declared and ref.get("definitionVersion"):
                # The set pins another version of the definition (built-ins do); offline we hold only one.
                version = definition.version or "?"
                warnings.append(
                    f"{file or name}: member {ref_id} passes parameter {pname!r}, which definition "
                    f"{definition.name} version {version} does not declare (the set pins definitionVersion "
                    f"{ref['definitionVersion']}); ignored")
                continue
            if pname.lower() not in declared:
                raise PolicyCompileError(
                    f"member {ref_id} passes parameter {pname!r}, which definition {definition.name} does not declare",
                    file=file, pointer=pptr)
            value = pv["value"] if isinstance(pv, Mapping) and "value" in pv else pv
            values[pname] = value
            if _is_expr(value):
                try:
                    compiled[pname] = compile_value(value, f"{pptr}/value")
                except PolicyCompileError as exc:
                    exc.file = exc.file or file
                    raise
        group_names = [str(g) for g in ref.get("groupNames") or []]
        for g in group_names:
            if groups and g not in groups:
                # Built-in sets refer to groups defined in other (regulatory) metadata; not fatal.
                pass
        members.append(SetMember(ref_id, def_id, definition, values, compiled, group_names, ptr))
    meta = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
    return PolicySet(
        name=name,
        id=doc.get("id") or body.get("id"),
        display_name=body.get("displayName"),
        parameters=params,
        members=members,
        groups=groups,
        file=file,
        pointer=base,
        metadata=dict(meta),
        warnings=warnings,
    )
