"""Read a Terraform plan (``terraform show -json``, format 1.x) in one streaming pass.

Resources come from ``resource_changes`` (address, actions, ``change.after`` = the planned values, and
``after_unknown``), joined with ``configuration`` (the references between resources, through module
calls, variables and outputs) so that a value unknown until apply still says where it comes from:
a new deployment's ``cognitive_account_id`` names its account, and so its resource group.
``planned_values`` carries the same values as ``change.after``; it precedes ``resource_changes`` in
the file, so reading it too would mean holding every resource until its actions arrive. It is
skipped (decoded piece by piece and dropped) to keep peak memory below the file size.
"""

from __future__ import annotations

import gc
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from generator.errors import InputError
from generator.terraform import UNKNOWN, TfResource, instance_suffix
from generator.terraform.jsonstream import Path, stream_json
from generator.terraform.mapping import mapped_types, read_attributes

SUPPORTED_MAJOR = "1"
_intern = sys.intern

# Attributes whose configuration references matter: they place a resource (its id and resource group).
REF_ATTRIBUTES = frozenset(
    {"name", "resource_group_name", "parent_id", "resource_id", "cognitive_account_id",
     "ai_services_hub_id", "location", "tags", "type"}
)

_KEY = r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]'
_RESOURCE_REF = re.compile(rf'^([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)((?:{_KEY})?)(?:\.([A-Za-z_][\w-]*))?')
_MODULE_REF = re.compile(rf'^module\.([A-Za-z_][\w-]*)((?:{_KEY})?)\.([A-Za-z_][\w-]*)')
_MODULE_SEGMENT = re.compile(rf'module\.([A-Za-z_][\w-]*)((?:{_KEY})?)')


@dataclass
class ModuleConfig:
    """The parts of one module's configuration that references need (compact)."""

    resources: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # "type.name" -> attr -> refs
    calls: dict[str, "CallConfig"] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class CallConfig:
    """A module call: its input expressions' references, whether it repeats, and the module."""

    expressions: dict[str, list[str]]
    repeated: bool
    module: ModuleConfig


@dataclass
class Plan:
    """What one plan file gives `check`."""

    path: str
    format_version: str | None = None
    terraform_version: str | None = None
    resources: list[TfResource] = field(default_factory=list)   # mapped types, checked actions or no-op
    skipped: dict[str, int] = field(default_factory=dict)        # unmapped type -> count
    deleted: int = 0
    read: int = 0                                                # managed resources seen
    subscription_id: str | None = None
    root: ModuleConfig = field(default_factory=ModuleConfig)


def _refs(expression: Any) -> list[str]:
    if isinstance(expression, dict):
        refs = expression.get("references")
        return list(refs) if isinstance(refs, list) else []
    return []


def _module_config(raw: Any) -> ModuleConfig:
    """Compact a configuration module object (``root_module`` or ``module_calls.x.module``)."""
    cfg = ModuleConfig()
    if not isinstance(raw, dict):
        return cfg
    for res in raw.get("resources") or ():
        _add_resource_config(cfg, res)
    for name, call in (raw.get("module_calls") or {}).items():
        cfg.calls[name] = _call_config(call)
    for name, out in (raw.get("outputs") or {}).items():
        cfg.outputs[name] = _refs((out or {}).get("expression"))
    return cfg


def _call_config(call: Any) -> CallConfig:
    call = call if isinstance(call, dict) else {}
    exprs = {k: _refs(v) for k, v in (call.get("expressions") or {}).items()}
    repeated = "count_expression" in call or "for_each_expression" in call
    return CallConfig(exprs, repeated, _module_config(call.get("module")))


def _add_resource_config(cfg: ModuleConfig, res: Any) -> None:
    if not isinstance(res, dict) or res.get("mode") != "managed" or res.get("type") not in mapped_types():
        return
    exprs = res.get("expressions") or {}
    kept = {k: _refs(v) for k, v in exprs.items() if k in REF_ATTRIBUTES and _refs(v)}
    cfg.resources[f"{res.get('type')}.{res.get('name')}"] = kept


def _drop_nulls(value: Any) -> Any:
    # Keys are interned: each decoded item has its own copies of "model", "name"... (memory at scale)
    if isinstance(value, dict):
        return {_intern(k): _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    if isinstance(value, str) and len(value) < 256:
        return _intern(value)  # model names, SKUs, parent ids repeat across thousands of resources
    return value


def merge_unknown(after: Any, unknown: Any) -> Any:
    """Put UNKNOWN into ``after`` wherever ``after_unknown`` says true."""
    if unknown is True:
        return UNKNOWN
    if isinstance(unknown, dict) and unknown:
        base = dict(after) if isinstance(after, dict) else {}
        for key, sub in unknown.items():
            merged = merge_unknown(base.get(key), sub)
            if merged is not None or key in base:
                base[key] = merged
        return base
    if isinstance(unknown, list) and unknown:
        items = list(after) if isinstance(after, list) else []
        for i, sub in enumerate(unknown):
            if i < len(items):
                items[i] = merge_unknown(items[i], sub)
            elif sub is True or (isinstance(sub, (dict, list)) and sub):
                items.append(merge_unknown(None, sub))
        return items
    return after


def action_of(actions: Any) -> str | None:
    """Reduce a plan's action list to create / update / no-op / delete, or None (read, forget)."""
    if not isinstance(actions, list):
        return None
    acts = set(actions)
    if "create" in acts:
        return "create"  # create, or replace (delete+create in either order): the new one is checked
    if acts == {"update"}:
        return "update"
    if acts == {"no-op"}:
        return "no-op"
    if acts == {"delete"}:
        return "delete"
    return None


class _Reader:
    def __init__(self, path: str) -> None:
        self.plan = Plan(path)
        self.mapped = mapped_types()

    def handlers(self) -> dict[Path, Any]:
        return {
            ("format_version",): self.on_format,
            ("terraform_version",): self.on_tf_version,
            ("resource_changes", "*"): self.on_change,
            ("configuration", "provider_config"): self.on_providers,
            ("configuration", "root_module", "resources", "*"): self.on_root_resource,
            ("configuration", "root_module", "module_calls", "*"): self.on_root_call,
            ("configuration", "root_module", "outputs"): self.on_root_outputs,
        }

    def on_format(self, _path: Path, value: Any) -> None:
        if not isinstance(value, str) or value.split(".")[0] != SUPPORTED_MAJOR:
            raise InputError(
                f"unsupported plan format_version {value!r} (clausegate reads format 1.x)", file=self.plan.path
            )
        self.plan.format_version = value

    def on_tf_version(self, _path: Path, value: Any) -> None:
        self.plan.terraform_version = value if isinstance(value, str) else None

    def on_change(self, _path: Path, change: Any) -> None:
        if not isinstance(change, dict) or change.get("mode") != "managed":
            return
        self.plan.read += 1
        tf_type = change.get("type", "")
        body = change.get("change") or {}
        action = action_of(body.get("actions"))
        if action is None:
            return
        if action == "delete":
            self.plan.deleted += 1
            return
        if tf_type not in self.mapped:
            self.plan.skipped[tf_type] = self.plan.skipped.get(tf_type, 0) + 1
            return
        after, unknown = body.get("after"), body.get("after_unknown")
        keep = read_attributes(tf_type)  # drop what no mapping reads: most of a resource, at scale
        if isinstance(after, dict):
            # null means "not set" to the mapping (a default may apply), so dropping it changes nothing
            after = {_intern(k): _drop_nulls(v) for k, v in after.items() if k in keep and v is not None}
        if isinstance(unknown, dict):
            unknown = {k: v for k, v in unknown.items() if k in keep}
        values = merge_unknown(after, unknown)
        module = change.get("module_address") or ""
        index = change.get("index")
        name = change.get("name", "")
        address = change.get("address") or f"{module + '.' if module else ''}{tf_type}.{name}{instance_suffix(index)}"
        self.plan.resources.append(
            TfResource(address=address, type=_intern(tf_type), name=_intern(name), module=_intern(module), index=index,
                       values=values if isinstance(values, dict) else {}, action=action)
        )

    def on_providers(self, _path: Path, value: Any) -> None:
        if not isinstance(value, dict):
            return
        for key, provider in value.items():
            if key.split(".")[0] != "azurerm" or not isinstance(provider, dict):
                continue
            sub = ((provider.get("expressions") or {}).get("subscription_id") or {}).get("constant_value")
            if isinstance(sub, str) and sub and self.plan.subscription_id is None:
                self.plan.subscription_id = sub

    def on_root_resource(self, _path: Path, value: Any) -> None:
        _add_resource_config(self.plan.root, value)

    def on_root_call(self, path: Path, value: Any) -> None:
        self.plan.root.calls[path[-1]] = _call_config(value)

    def on_root_outputs(self, _path: Path, value: Any) -> None:
        for name, out in (value or {}).items():
            self.plan.root.outputs[name] = _refs((out or {}).get("expression"))


def read_plan(path: str) -> Plan:
    """Read the plan at ``path``; InputError (exit 2) for anything that is not a format-1.x plan."""
    reader = _Reader(path)
    # Decoded JSON is acyclic and freed by reference counting; the cyclic collector would only rescan
    # the growing list of kept resources, again and again (about a tenth of the read time at scale).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        keys = stream_json(path, reader.handlers())
    finally:
        if was_enabled:
            gc.enable()
    plan = reader.plan
    if plan.format_version is None:
        raise InputError("not a Terraform plan (no format_version; expected `terraform show -json` output)", file=path)
    if "resource_changes" not in keys and "planned_values" not in keys:
        hint = "this looks like state: run `terraform show -json PLANFILE`" if "values" in keys else \
            "expected `terraform show -json PLANFILE` output"
        raise InputError(f"not a Terraform plan (no planned_values or resource_changes; {hint})", file=path)
    for res in plan.resources:
        res.refs = resolve_resource_refs(plan.root, res)
    return plan


# -- references ---------------------------------------------------------------------------------

def module_segments(module_address: str) -> list[tuple[str, str]]:
    """``module.a["k"].module.b`` -> [("a", '["k"]'), ("b", "")]."""
    return [(m.group(1), m.group(2)) for m in _MODULE_SEGMENT.finditer(module_address or "")]


def _join(segments: list[tuple[str, str]]) -> str:
    return ".".join(f"module.{n}{k}" for n, k in segments)


def _config_at(root: ModuleConfig, segments: list[tuple[str, str]]) -> ModuleConfig | None:
    cfg = root
    for name, _ in segments:
        call = cfg.calls.get(name)
        if call is None:
            return None
        cfg = call.module
    return cfg


def resolve_resource_refs(root: ModuleConfig, res: TfResource) -> dict[str, list[tuple[str, str]]]:
    """Absolute (resource address, attribute) pairs behind each of ``res``'s placing attributes."""
    segments = module_segments(res.module)
    cfg = _config_at(root, segments)
    if cfg is None:
        return {}
    exprs = cfg.resources.get(f"{res.type}.{res.name}", {})
    out: dict[str, list[tuple[str, str]]] = {}
    for attr, refs in exprs.items():
        resolved = resolve_refs(root, segments, refs)
        if resolved:
            out[attr] = resolved
    return out


def resolve_refs(
    root: ModuleConfig, segments: list[tuple[str, str]], refs: list[str], depth: int = 0
) -> list[tuple[str, str]]:
    """Follow references made in the module instance ``segments`` to resource attributes."""
    if depth > 32:  # a module cycle cannot exist in valid Terraform; stop anyway
        return []
    out: list[tuple[str, str]] = []
    prefix = _join(segments)
    for ref in refs:
        head = ref.split(".", 1)[0]
        if head in ("each", "count", "path", "terraform", "self", "data", "local"):
            continue  # locals are not in the plan's configuration; data sources are not placed resources
        if head == "var":
            if not segments:
                continue  # a root variable's value is already in the planned values
            var = ref.split(".")[1].split("[")[0]
            parent = segments[:-1]
            parent_cfg = _config_at(root, parent)
            call = parent_cfg.calls.get(segments[-1][0]) if parent_cfg else None
            if call is not None:
                out.extend(resolve_refs(root, parent, call.expressions.get(var, []), depth + 1))
            continue
        if head == "module":
            m = _MODULE_REF.match(ref)
            if not m:
                continue
            cfg = _config_at(root, segments)
            call = cfg.calls.get(m.group(1)) if cfg else None
            if call is None or (call.repeated and not m.group(2)):
                continue  # which instance is meant is decided by an expression we do not have
            child = segments + [(m.group(1), m.group(2))]
            out.extend(resolve_refs(root, child, call.module.outputs.get(m.group(3), []), depth + 1))
            continue
        m = _RESOURCE_REF.match(ref)
        if not m or not m.group(4):
            continue  # the bare "type.name" form accompanies the attribute form; that one is used
        address = f"{m.group(1)}.{m.group(2)}{m.group(3)}"
        out.append((f"{prefix}.{address}" if prefix else address, m.group(4)))
    return out
