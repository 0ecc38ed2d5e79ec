"""Read a clause pack from YAML: syntax, JSON Schema, then cross-references, each error located."""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

from generator.errors import PackError
from generator.pack.catalog import MODEL_ROUTES, MODEL_SELECTORS
from generator.pack.model import (
    Attestation,
    Clause,
    Condition,
    Effect,
    Example,
    Pack,
    Parameter,
    PropertyCondition,
    Restriction,
    Source,
)
from generator.pack.yamlsrc import SourceMap, load_yaml_with_lines

# Parameters the generator adds itself; a pack may not declare them.
RESERVED_PARAMETERS = ("effect", "clearedModels", "clearedModelVersions")
_PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "String": str, "Array": list, "Boolean": bool, "Integer": int, "Object": dict,
}
_schema_cache: dict[str, Any] = {}


def pack_schema() -> dict[str, Any]:
    """Return the pack JSON Schema shipped in the package."""
    if "pack" not in _schema_cache:
        text = (resources.files("generator.pack") / "schema" / "pack.schema.json").read_text("utf-8")
        _schema_cache["pack"] = json.loads(text)
    return _schema_cache["pack"]  # type: ignore[no-any-return]


def _schema_error(data: Any, smap: SourceMap) -> PackError | None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(pack_schema())
    errors = list(validator.iter_errors(data))
    if not errors:
        return None
    # The deepest error is usually the most specific; ties go to document order.
    best = jsonschema.exceptions.best_match(errors)
    ptr = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in best.absolute_path)
    message = best.message if len(best.message) <= 200 else best.message[:197] + "..."
    return smap.error(f"schema violation: {message}", ptr)


def parse_pack(text: str, file: str, *, schema_checked: bool = False) -> Pack:
    """Parse and validate pack YAML text; raise PackError with file, line and JSON pointer.

    ``schema_checked`` skips only the JSON Schema pass, for a shipped pack whose exact text (and
    schema) is recorded as validated; every other check still runs. User-given packs never set it.
    """
    data, smap = load_yaml_with_lines(text, file)
    if not schema_checked:
        err = _schema_error(data, smap)
        if err is not None:
            raise err
    return _build(data, smap, file)


def pack_schema_text() -> str:
    """The pack JSON Schema's text (what a shipped pack's validated digest covers)."""
    return (resources.files("generator.pack") / "schema" / "pack.schema.json").read_text("utf-8")


def validated_digest(pack_text: str) -> str:
    """sha256 over a pack's text and the pack schema's text: changes when either changes."""
    import hashlib

    return hashlib.sha256(pack_text.encode("utf-8") + b"\0" + pack_schema_text().encode("utf-8")).hexdigest()


def load_pack_file(path: str | Path) -> Pack:
    """Load a pack from a YAML file."""
    from generator.safeload import read_text

    return parse_pack(read_text(path), str(path))


def _nonfinite(node: Any, ptr: str) -> str | None:
    """The pointer of the first NaN or infinite number under ``node`` (YAML's .nan, .inf, 1e999)."""
    if isinstance(node, float) and not math.isfinite(node):
        return ptr
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for k, v in items:
        found = _nonfinite(v, f"{ptr}/{str(k).replace('~', '~0').replace('/', '~1')}")
        if found is not None:
            return found
    return None


def _check_condition(node: Any, ptr: str, smap: SourceMap, what: str) -> None:
    """Compile ``node`` with the policy engine, as Azure would: a pack that does not compile is refused."""
    from generator.engine.conditions import compile_condition
    from generator.errors import PolicyCompileError

    try:
        compile_condition(node, ptr)
    except PolicyCompileError as exc:
        where = exc.pointer if exc.pointer and exc.pointer.startswith(ptr) else ptr
        raise smap.error(f"{what} is not a valid policy condition: {exc.message}", where) from None
    except RecursionError:
        raise smap.error(f"{what} is nested too deeply", ptr) from None


def _check_names(data: dict[str, Any], smap: SourceMap) -> None:
    """Names that become folder names (the EPAC target files definitions under the category)."""
    category = data["category"]
    raw = category.encode("utf-8", "surrogateescape")
    if len(raw) > 200 or "/" in category or "\\" in category or "\0" in category or category.strip() in (".", ".."):
        raise smap.error("category must be usable as a folder name: at most 200 bytes, no '/', '\\' or NUL, "
                         "not '.' or '..'", "/category")
    if any(ord(ch) < 0x20 for ch in category):
        raise smap.error("category must not hold control characters", "/category")


def _build(data: dict[str, Any], smap: SourceMap, file: str) -> Pack:
    bad = _nonfinite(data, "")
    if bad is not None:
        raise smap.error("number is not finite (NaN or Infinity cannot be written to JSON or HCL)", bad)
    _check_names(data, smap)
    sources: dict[str, Source] = {}
    for i, s in enumerate(data["sources"]):
        if s["id"] in sources:
            raise smap.error(f"duplicate source id {s['id']!r}", f"/sources/{i}/id")
        sources[s["id"]] = Source(
            id=s["id"], publisher=s["publisher"], title=s["title"], url=s["url"], quote=s["quote"],
            effective=s.get("effective"), note=s.get("note"),
        )

    params: dict[str, Parameter] = {}
    for name, p in (data.get("parameters") or {}).items():
        ptr = f"/parameters/{name}"
        if name in RESERVED_PARAMETERS:
            raise smap.error(f"parameter name {name!r} is reserved (the generator adds it)", ptr)
        expected = _PY_TYPES[p["type"]]
        default = p["default"]
        if not isinstance(default, expected) or (p["type"] == "Integer" and isinstance(default, bool)):
            raise smap.error(f"default does not match type {p['type']}", ptr + "/default")
        allowed = p.get("allowedValues")
        if allowed is not None and p["type"] != "Array" and default not in allowed:
            raise smap.error("default is not one of allowedValues", ptr + "/default")
        params[name] = Parameter(
            name=name, type=p["type"], display_name=p["displayName"], description=p["description"],
            default=default, allowed_values=tuple(allowed) if allowed is not None else None,
        )

    def need_param(name: str, kind: str, ptr: str) -> None:
        if name not in params:
            known = ", ".join(sorted(params)) or "none"
            raise smap.error(f"unknown parameter {name!r} (declared: {known})", ptr)
        if params[name].type != kind:
            raise smap.error(f"parameter {name!r} must be of type {kind}, not {params[name].type}", ptr)

    def condition(node: dict[str, Any], ptr: str) -> Condition:
        (kind, value), = node.items()
        if kind in ("subscriptionTag", "resourceGroupTag"):
            need_param(value["name"], "String", f"{ptr}/{kind}/name")
            need_param(value["in"], "Array", f"{ptr}/{kind}/in")
            return Condition(kind, tag_parameter=value["name"], values_parameter=value["in"])
        if kind == "parameterTrue":
            need_param(value, "Boolean", f"{ptr}/{kind}")
            return Condition(kind, parameter=value)
        children = tuple(condition(c, f"{ptr}/{kind}/{i}") for i, c in enumerate(value))
        return Condition(kind, children=children)

    clauses: list[Clause] = []
    seen_ids: dict[str, int] = {}
    for i, c in enumerate(data["clauses"]):
        cptr = f"/clauses/{i}"
        if c["id"] in seen_ids:
            raise smap.error(
                f"duplicate clause id {c['id']!r} (first used by clause {seen_ids[c['id']]})", cptr + "/id"
            )
        seen_ids[c["id"]] = i
        if c["source"] not in sources:
            raise smap.error(f"unknown source {c['source']!r} (known: {', '.join(sources)})", cptr + "/source")
        refs = []
        for j, r in enumerate(c.get("references", [])):
            if r not in sources:
                raise smap.error(f"unknown source {r!r}", f"{cptr}/references/{j}")
            refs.append(sources[r])
        applies = tuple(condition(n, f"{cptr}/appliesTo/{j}") for j, n in enumerate(c["appliesTo"]))
        restricts = []
        for j, r in enumerate(c["restricts"]):
            rptr = f"{cptr}/restricts/{j}"
            name_field = version_field = asset_field = None
            optional = False
            route = MODEL_ROUTES.get(r["type"])
            if "models" in r:
                if r["models"] not in MODEL_SELECTORS:
                    raise smap.error(
                        f"unknown model selector {r['models']!r} (known: {', '.join(sorted(MODEL_SELECTORS))})",
                        rptr + "/models",
                    )
                if "modelFields" in r:
                    mf = r["modelFields"]
                    name_field, version_field, asset_field = mf.get("name"), mf.get("version"), mf.get("assetId")
                elif route is not None and route.kind == "none":
                    raise smap.error(
                        f"Azure has no alias for the model of {r['type']}, so no policy can classify it; "
                        "restrict the type without `models` and lift it with `unless: <Boolean parameter>`",
                        rptr + "/models",
                    )
                elif route is not None:
                    name_field, version_field, asset_field = route.name, route.version, route.asset_id
                    optional = route.optional
                else:
                    raise smap.error(
                        f"no known model fields for type {r['type']!r}; give modelFields: {{name, version}} "
                        "or {assetId}",
                        rptr + "/type",
                    )
            elif "modelFields" in r:
                raise smap.error("modelFields without a models selector", rptr + "/modelFields")
            unless = r.get("unless")
            if unless is not None:
                need_param(unless, "Boolean", rptr + "/unless")
            kinds = r.get("kinds")
            kinds_param = None
            if isinstance(kinds, str):
                need_param(kinds, "Array", rptr + "/kinds")
                kinds_param, kinds = kinds, None
            props = tuple(
                PropertyCondition(field=pc["field"], operator=op, value=val)
                for pc in r.get("properties", [])
                for op, val in pc.items()
                if op != "field"
            )
            from generator.targets.policy_json import policy_literal

            for k, pc in enumerate(props):
                _check_condition({"field": pc.field, pc.operator: policy_literal(pc.value)},
                                 f"{rptr}/properties/{k}", smap, "property condition")
            if r.get("where") is not None:
                _check_condition(r["where"], rptr + "/where", smap, "where")
            restricts.append(Restriction(
                type=r["type"], models=r.get("models"), model_name_field=name_field,
                model_version_field=version_field, model_asset_field=asset_field, model_optional=optional,
                unless_parameter=unless, kinds_parameter=kinds_param,
                kinds=tuple(kinds) if kinds is not None else None, properties=props, where=r.get("where"),
            ))
        eff = c.get("effect", {})
        effect = Effect(default=eff.get("default", "Deny"), allowed=tuple(eff.get("allowed", ("Deny", "Audit", "Disabled"))))
        if effect.default not in effect.allowed:
            raise smap.error(f"effect default {effect.default!r} is not in allowed", cptr + "/effect/default")
        exceptions = []
        for j, e in enumerate(c.get("exceptions", [])):
            a = e["attestation"]
            need_param(a["tag"], "String", f"{cptr}/exceptions/{j}/attestation/tag")
            need_param(a["values"], "Array", f"{cptr}/exceptions/{j}/attestation/values")
            exceptions.append(Attestation(a["tag"], a["values"], tuple(a.get("lookup", ("resourceGroup", "subscription")))))
        remediation = c.get("remediation")
        if remediation is not None:
            for name in re.findall(r"\{([^{}]*)\}", remediation):
                if name not in params and name not in ("clearedModels", "clearedModelVersions"):
                    known = ", ".join(sorted([*params, "clearedModels", "clearedModelVersions"]))
                    raise smap.error(f"remediation placeholder {{{name}}} names no parameter (known: {known})",
                                     cptr + "/remediation")
        clauses.append(Clause(
            id=c["id"], title=c["title"], source=sources[c["source"]], quote=c["quote"], rationale=c["rationale"],
            applies_to=applies, restricts=tuple(restricts), effect=effect, exceptions=tuple(exceptions),
            references=tuple(refs), line=smap.line(cptr), remediation=remediation,
        ))

    examples = []
    seen_examples: set[str] = set()
    for i, ex in enumerate(data.get("examples", [])):
        if ex["name"] in seen_examples:
            raise smap.error(f"duplicate example name {ex['name']!r}", f"/examples/{i}/name")
        seen_examples.add(ex["name"])
        examples.append(Example(
            name=ex["name"], resource=ex["resource"], expect=ex["expect"], description=ex.get("description", ""),
            subscription_tags=ex.get("subscriptionTags"), resource_group_tags=ex.get("resourceGroupTags"),
            parameters=ex.get("parameters", {}),
        ))
    return Pack(
        name=data["name"], slug=data["slug"], version=data["version"], display_name=data["displayName"],
        description=data["description"], category=data["category"], sources=tuple(sources.values()),
        parameters=params, clauses=tuple(clauses), examples=tuple(examples), path=file,
    )
