"""Policy definitions: parameters, effect resolution, modes and what each effect would do."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from generator.errors import InputError, PolicyCompileError

# Every effect Azure Policy knows, by lower-case name (CONTRACTS: effects are reported lower-case).
# (effect basics, "The following are the supported Azure Policy definition effects", plus AuditAction,
# the audit-only companion of denyAction that built-ins such as MFA_DenyAction use.)
EFFECTS = frozenset({
    "addtonetworkgroup", "append", "audit", "auditaction", "auditifnotexists", "deny", "denyaction",
    "deployifnotexists", "disabled", "manual", "modify",
    # Resource-provider modes only (AKS / Kubernetes data plane); never evaluated offline.
    "mutate", "enforceopaconstraint", "enforceregopolicy",
})

# Modes Azure accepts (definition structure basics, "Mode"): Resource Manager modes, then the
# resource-provider modes (evaluated by the provider on data-plane requests, never offline).
RESOURCE_MANAGER_MODES = frozenset({"all", "indexed"})
PROVIDER_MODES = frozenset({
    "microsoft.kubernetes.data", "microsoft.keyvault.data", "microsoft.containerservice.data",
    "microsoft.managedhsm.data", "microsoft.machinelearningservices.data",
    "microsoft.machinelearningservices.v2.data", "microsoft.cognitiveservices.data",
    "microsoft.network.data", "microsoft.datafactory.data", "microsoft.loadtestservice.data",
})

PARAMETER_TYPES = ("string", "array", "object", "boolean", "integer", "float", "datetime")

# Types that carry neither tags nor location, so mode Indexed never evaluates them
# (definition-structure-basics: "child types ... can't be tagged and aren't evaluated in indexed mode").
NOT_INDEXED_TYPES = frozenset({
    "microsoft.resources/subscriptions",
    "microsoft.resources/subscriptions/resourcegroups",
    "microsoft.resources/resourcegroups",
    "microsoft.cognitiveservices/accounts/deployments",
    "microsoft.cognitiveservices/accounts/raipolicies",
    "microsoft.cognitiveservices/accounts/raiblocklists",
    "microsoft.network/virtualnetworks/subnets",
    "microsoft.network/virtualnetworks/virtualnetworkpeerings",
    "microsoft.network/routetables/routes",
    "microsoft.network/networksecuritygroups/securityrules",
    "microsoft.storage/storageaccounts/blobservices",
    "microsoft.storage/storageaccounts/blobservices/containers",
    "microsoft.storage/storageaccounts/fileservices",
    "microsoft.storage/storageaccounts/fileservices/shares",
    "microsoft.keyvault/vaults/secrets",
    "microsoft.keyvault/vaults/accesspolicies",
    "microsoft.authorization/roleassignments",
    "microsoft.authorization/policyassignments",
})

_NO_DEFAULT = object()


@dataclass
class ParameterDef:
    """One declared parameter: type, default and allowed values."""

    name: str
    type: str
    default: Any = _NO_DEFAULT
    allowed_values: list[Any] | None = None
    display_name: str | None = None

    @property
    def has_default(self) -> bool:
        """True when the declaration carries a defaultValue."""
        return self.default is not _NO_DEFAULT


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def parse_parameters(raw: Any, pointer: str) -> dict[str, ParameterDef]:
    """Parse a definition's or set's ``parameters`` block (PolicyCompileError on a bad declaration)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise PolicyCompileError("'parameters' must be an object", pointer=pointer)
    out: dict[str, ParameterDef] = {}
    for name, decl in raw.items():
        ptr = f"{pointer}/{_esc(name)}"
        if not isinstance(decl, Mapping):
            raise PolicyCompileError(f"parameter {name!r} must be an object with a 'type'", pointer=ptr)
        ptype = str(decl.get("type", "")).lower()
        if ptype not in PARAMETER_TYPES:
            raise PolicyCompileError(
                f"parameter {name!r} has type {decl.get('type')!r} (expected one of String, Array, Object, "
                f"Boolean, Integer, Float, DateTime)", pointer=f"{ptr}/type")
        allowed = decl.get("allowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise PolicyCompileError(f"allowedValues of {name!r} must be an array", pointer=f"{ptr}/allowedValues")
        meta = decl.get("metadata") if isinstance(decl.get("metadata"), Mapping) else {}
        out[name] = ParameterDef(
            name=name,
            type=ptype,
            default=decl["defaultValue"] if "defaultValue" in decl else _NO_DEFAULT,
            allowed_values=allowed,
            display_name=meta.get("displayName"),
        )
    return out


def _type_ok(ptype: str, value: Any) -> bool:
    if isinstance(value, str) and value.startswith("[") and not value.startswith("[["):
        return True  # an expression (set member parameters); its value is checked when resolved
    if ptype == "string" or ptype == "datetime":
        return isinstance(value, str)
    if ptype == "array":
        return isinstance(value, list)
    if ptype == "object":
        return isinstance(value, dict)
    if ptype == "boolean":
        return isinstance(value, bool)
    if ptype == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if ptype == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _in_allowed(value: Any, allowed: list[Any]) -> bool:
    def same(a: Any, b: Any) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return a.lower() == b.lower()
        return bool(a == b)

    if any(same(value, a) for a in allowed):
        return True
    # ARM checks an array parameter element by element against allowedValues.
    return isinstance(value, list) and all(any(same(v, a) for a in allowed) for v in value)


def unwrap_parameter_values(raw: Any, source: str | None = None) -> dict[str, Any]:
    """Accept ``{"p": {"value": x}}``, bare ``{"p": x}`` or an ARM parameters file; return ``{"p": x}``."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InputError("parameters must be an object of name: {\"value\": ...}", file=source, pointer="")
    if "parameters" in raw and isinstance(raw["parameters"], Mapping) and (
        "$schema" in raw or "contentVersion" in raw or len(raw) == 1
    ):
        raw = raw["parameters"]  # an ARM deployment parameters file
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if k in ("$schema", "contentVersion"):
            continue
        out[k] = v["value"] if isinstance(v, Mapping) and set(v) == {"value"} else v
    return out


def resolve_parameter_values(
    declared: Mapping[str, ParameterDef],
    given: Mapping[str, Any],
    *,
    owner: str,
    source: str | None = None,
    strict_unknown: bool = False,
    pointer_base: str = "",
) -> dict[str, Any]:
    """Apply defaults and check types and allowedValues; a bad or missing value is InputError (exit 2)."""
    values: dict[str, Any] = {}
    lower_given = {k.lower(): (k, v) for k, v in given.items()}
    for name, decl in declared.items():
        hit = lower_given.get(name.lower())
        if hit is not None:
            value = hit[1]
        elif decl.has_default:
            value = decl.default
        else:
            raise InputError(f"{owner}: parameter {name!r} has no value and no defaultValue", file=source,
                             pointer=f"{pointer_base}/{_esc(name)}")
        if not _type_ok(decl.type, value):
            raise InputError(f"{owner}: parameter {name!r} is declared {decl.type} but got "
                             f"{json.dumps(value)[:80]}", file=source, pointer=f"{pointer_base}/{_esc(name)}")
        # An empty allowedValues list restricts nothing (built-in sets ship "allowedValues": []).
        if decl.allowed_values and not (isinstance(value, str) and value.startswith("[")
                                                    and not value.startswith("[[")):
            if not _in_allowed(value, decl.allowed_values):
                raise InputError(
                    f"{owner}: parameter {name!r} value {json.dumps(value)[:80]} is not one of its allowedValues "
                    f"{json.dumps(decl.allowed_values)[:160]}", file=source, pointer=f"{pointer_base}/{_esc(name)}")
        values[name] = value
    if strict_unknown:
        extra = [k for k in given if k.lower() not in {n.lower() for n in declared}]
        if extra:
            raise InputError(f"{owner}: no parameter named {', '.join(map(repr, extra))} is declared",
                             file=source, pointer=f"{pointer_base}/{_esc(extra[0])}")
    return values


def _metadata_value(meta: Mapping[str, Any], *names: str) -> str | None:
    """Find a clause provenance value in metadata, flat or under a 'clausegate' / 'clause' object."""
    holders = [meta] + [meta[k] for k in ("clausegate", "clause", "provenance") if isinstance(meta.get(k), Mapping)]
    for holder in holders:
        for n in names:
            v = holder.get(n)
            if isinstance(v, str) and v:
                return v
            if isinstance(v, list) and v and isinstance(v[0], str):
                return v[0]
            if isinstance(v, Mapping) and isinstance(v.get("url"), str):
                return str(v["url"])
    return None


@dataclass
class PolicyDefinition:
    """A compiled policy definition."""

    name: str
    id: str | None
    display_name: str | None
    mode: str
    parameters: dict[str, ParameterDef]
    condition: Any                      # generator.engine.conditions.Condition
    effect_value: Any                   # CompiledValue of then.effect
    effect_text: str
    then: dict[str, Any]
    file: str | None = None
    pointer: str = ""                   # "" or "/properties" (where policyRule lives)
    metadata: dict[str, Any] = field(default_factory=dict)
    clause_id: str | None = None
    clause_source: str | None = None
    details_values: list[tuple[str, Any]] = field(default_factory=list)  # (field, CompiledValue) of modify/append
    version: str | None = None
    _effect_cache: dict[str, str] = field(default_factory=dict, repr=False)

    # -- mode ------------------------------------------------------------------------------------
    @property
    def mode_key(self) -> str:
        """The mode, lower-case ('all', 'indexed', or a resource-provider mode)."""
        return self.mode.lower()

    @property
    def provider_mode(self) -> bool:
        """True for resource-provider modes (e.g. Microsoft.CognitiveServices.Data): not evaluable offline."""
        return self.mode_key not in ("all", "indexed")

    def not_applicable_reason(self, resource_type: str, resource: Mapping[str, Any]) -> str | None:
        """Why the mode excludes this resource (None when it applies)."""
        mode = self.mode_key
        if mode == "all":
            return None
        if mode == "indexed":
            rtype = resource_type.lower()
            if rtype in NOT_INDEXED_TYPES:
                return f"mode Indexed does not evaluate {resource_type} (the type has no tags and location)"
            if rtype.count("/") >= 2 and "location" not in resource and "tags" not in resource:
                return (f"mode Indexed does not evaluate {resource_type}: a child type without tags and "
                        f"location")
            return None
        return (f"mode {self.mode} is a resource-provider mode: Azure evaluates it on data-plane requests, "
                f"not evaluable offline")

    # -- effect ----------------------------------------------------------------------------------
    def resolve_effect(self, parameters: Mapping[str, Any], *, source: str | None = None) -> str:
        """Resolve then.effect with these parameter values to a lower-case effect name (InputError if bad)."""
        key = json.dumps(parameters, sort_keys=True, default=str) if "[" in self.effect_text else ""
        cached = self._effect_cache.get(key)
        if cached is not None:
            return cached
        if self.effect_text.startswith("[") and not self.effect_text.startswith("[["):
            from generator.engine.scope import Scope
            from generator.engine.values import EvaluationError

            try:
                value = self.effect_value.evaluate(Scope(resource={}, parameters=dict(parameters)))
            except EvaluationError as exc:
                raise InputError(f"definition {self.name}: the effect {self.effect_text} cannot be resolved: "
                                 f"{exc}", file=source or self.file,
                                 pointer=f"{self.pointer}/policyRule/then/effect") from None
        else:
            value = self.effect_text
        if not isinstance(value, str) or value.lower() not in EFFECTS:
            raise InputError(f"definition {self.name}: effect {value!r} (from {self.effect_text}) is not an Azure "
                             f"Policy effect", file=source or self.file,
                             pointer=f"{self.pointer}/policyRule/then/effect")
        effect = value.lower()
        self._effect_cache[key] = effect
        return effect

    def check_effect_override(self, value: str, *, source: str | None = None) -> str:
        """Validate an assignment override's effect value and return it lower-case."""
        if not isinstance(value, str) or value.lower() not in EFFECTS:
            raise InputError(f"override effect {value!r} is not an Azure Policy effect", file=source,
                             pointer="/properties/overrides")
        return value.lower()

    # -- effect details --------------------------------------------------------------------------
    def effect_details(self, effect: str, scope: Any, action: str) -> tuple[dict[str, Any], str]:
        """What a matching effect would do: (details for JSON, one-line message)."""
        details_raw = self.then.get("details")
        if effect == "deny":
            return {}, "the request would be denied"
        if effect == "audit":
            return {}, "the resource would be marked non-compliant (audit)"
        if effect in ("modify", "append"):
            ops = self._operations(effect, details_raw, scope)
            text = "; ".join(
                f"{o.get('operation', 'add')} {o['field']}" + (f" = {json.dumps(o['value'])}" if "value" in o else "")
                for o in ops
            )
            return {"operations": ops}, f"{effect} would change the request: {text or 'no operations'}"
        if effect in ("auditifnotexists", "deployifnotexists"):
            d = details_raw if isinstance(details_raw, Mapping) else {}
            check = {k: d[k] for k in ("type", "name", "resourceGroupName", "existenceScope") if k in d}
            check["hasExistenceCondition"] = "existenceCondition" in d
            what = d.get("type", "a related resource")
            verb = "audit" if effect == "auditifnotexists" else "deploy"
            return ({"existenceCheck": check},
                    f"an existence check would run for {what}; Azure would {verb} if none satisfies it "
                    f"(not evaluated offline)")
        if effect in ("denyaction", "auditaction"):
            d = details_raw if isinstance(details_raw, Mapping) else {}
            actions = [str(a).lower() for a in d.get("actionNames", [])]
            blocked = action.lower() in actions
            if effect == "auditaction":
                msg = (f"the {action} request would be audited (auditAction on {', '.join(actions)})" if blocked
                       else f"auditAction audits {', '.join(actions) or 'no actions'}, not {action}")
            else:
                msg = (f"the {action} request would be blocked (denyAction on {', '.join(actions)})" if blocked
                       else f"denyAction blocks {', '.join(actions) or 'no actions'}, not {action}")
            return {"actionNames": actions, "action": action, "blocks": blocked}, msg
        if effect == "manual":
            return {}, "compliance is attested manually (manual effect)"
        return {}, f"effect {effect}"

    def _operations(self, effect: str, details_raw: Any, scope: Any) -> list[dict[str, Any]]:
        from generator.engine.values import UNKNOWN, EvaluationError

        if effect == "modify":
            raw_ops = details_raw.get("operations", []) if isinstance(details_raw, Mapping) else []
        else:
            raw_ops = details_raw if isinstance(details_raw, list) else []
        compiled = dict(self.details_values)
        out: list[dict[str, Any]] = []
        for i, op in enumerate(raw_ops):
            if not isinstance(op, Mapping):
                continue
            item: dict[str, Any] = {"field": op.get("field")}
            if effect == "modify":
                item["operation"] = op.get("operation", "addOrReplace")
            if "value" in op:
                cv = compiled.get(f"{i}")
                value: Any = op["value"]
                if cv is not None:
                    try:
                        value = cv.evaluate(scope)
                    except EvaluationError as exc:
                        value = f"(error: {exc})"
                item["value"] = "(known after apply)" if value is UNKNOWN else value
            out.append(item)
        return out


def compile_value(value: Any, pointer: str) -> Any:
    """The rule-language compile_value (wherever the rule-language module keeps it)."""
    from generator.engine.conditions import compile_value as impl

    return impl(value, pointer)


def compile_definition(doc: Any, *, file: str | None = None, pointer: str = "",
                       known_guard: tuple[bool, Any] = (False, None)) -> PolicyDefinition:
    """Compile a definition document (with or without the ``properties`` wrapper); PolicyCompileError if bad.

    ``known_guard`` (from compile_cache): (True, type guard) when this exact document compiled before
    with this engine; its `if` is then compiled on first evaluation only.
    """
    from generator.engine.conditions import check_rule_limits, compile_condition

    if not isinstance(doc, Mapping):
        raise PolicyCompileError("a policy definition must be a JSON object", file=file, pointer=pointer)
    props = doc.get("properties") if isinstance(doc.get("properties"), Mapping) else None
    base = f"{pointer}/properties" if props is not None else pointer
    body: Mapping[str, Any] = props if props is not None else doc
    rule = body.get("policyRule")
    if not isinstance(rule, Mapping):
        raise PolicyCompileError("not a policy definition: no 'policyRule' object", file=file, pointer=base or "")
    rbase = f"{base}/policyRule"
    for key in ("if", "then"):
        if key not in rule:
            raise PolicyCompileError(f"policyRule has no '{key}'", file=file, pointer=rbase)
    then = rule["then"]
    if not isinstance(then, Mapping) or "effect" not in then:
        raise PolicyCompileError("policyRule.then must be an object with an 'effect'", file=file,
                                 pointer=f"{rbase}/then")
    effect_text = then["effect"]
    if not isinstance(effect_text, str):
        raise PolicyCompileError("the effect must be a string", file=file, pointer=f"{rbase}/then/effect")
    try:
        params = parse_parameters(body.get("parameters"), f"{base}/parameters")
        if known_guard[0]:
            from generator.engine.compile_cache import LazyCondition

            condition: Any = LazyCondition(rule["if"], f"{rbase}/if", known_guard[1])
        else:
            condition = compile_condition(rule["if"], f"{rbase}/if")
            check_rule_limits(condition, f"{rbase}/if", {n.lower(): str(d.type).lower() for n, d in params.items()})
        effect_value = compile_value(effect_text, f"{rbase}/then/effect")
    except PolicyCompileError as exc:
        if exc.file is None:
            exc.file = file
        raise
    if not (effect_text.startswith("[") and not effect_text.startswith("[[")) and effect_text.lower() not in EFFECTS:
        raise PolicyCompileError(f"unknown effect {effect_text!r}", file=file, pointer=f"{rbase}/then/effect")
    mode = body.get("mode")
    # A definition without a mode behaves as Indexed (backward compatibility, definition-structure-basics).
    if mode is not None and not (isinstance(mode, str) and mode.lower() in RESOURCE_MANAGER_MODES | PROVIDER_MODES):
        raise PolicyCompileError(
            f"unknown mode {mode!r}: expected All or Indexed, or a resource provider mode such as "
            "Microsoft.Kubernetes.Data (definition structure basics, 'Mode')",
            file=file, pointer=f"{base}/mode")
    mode = mode if isinstance(mode, str) and mode else "Indexed"
    name = doc.get("name") or body.get("name")
    if not name:
        from pathlib import Path

        name = Path(file).stem if file else (body.get("displayName") or "definition")
    meta = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
    details_values: list[tuple[str, Any]] = []
    details = then.get("details")
    ops = details.get("operations") if isinstance(details, Mapping) else details if isinstance(details, list) else []
    ops_ptr = f"{rbase}/then/details" + ("/operations" if isinstance(details, Mapping) else "")
    for i, op in enumerate(ops or []):
        if isinstance(op, Mapping) and "value" in op:
            try:
                details_values.append((f"{i}", compile_value(op["value"], f"{ops_ptr}/{i}/value")))
            except PolicyCompileError:
                pass  # reported raw; the if/then that decides compiled fine
    return PolicyDefinition(
        name=str(name),
        id=doc.get("id") or body.get("id"),
        display_name=body.get("displayName"),
        mode=mode,
        parameters=params,
        condition=condition,
        effect_value=effect_value,
        effect_text=effect_text,
        then=dict(then),
        file=file,
        pointer=base,
        metadata=dict(meta),
        clause_id=_metadata_value(meta, "clauseId", "clause_id", "clauseIds"),
        clause_source=_metadata_value(meta, "clauseSource", "sourceUrl", "source", "clauseUrl"),
        details_values=details_values,
        version=body.get("version") or meta.get("version"),
    )


def is_definition_doc(doc: Any) -> bool:
    """True when ``doc`` looks like a policy definition (has policyRule, wrapped or not)."""
    if not isinstance(doc, Mapping):
        return False
    body = doc.get("properties") if isinstance(doc.get("properties"), Mapping) else doc
    return "policyRule" in body
