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
import json
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

    # "type.name" -> attr -> refs; the key "for_each" holds the refs of its for_each expression
    resources: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    calls: dict[str, "CallConfig"] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    # local name -> refs of its expression; plans carry no locals, so these come from --source
    locals: dict[str, list[str]] = field(default_factory=dict)
    # root module only: the plan's input variable values (for keys taken from each.value)
    variables: dict[str, Any] = field(default_factory=dict)
    # "type.name" -> provider_config_key (``azurerm.police``; ``module.m:azurerm`` inside modules)
    providers: dict[str, str] = field(default_factory=dict)


@dataclass
class CallConfig:
    """A module call: its input expressions' references, whether it repeats, and the module."""

    expressions: dict[str, list[str]]
    repeated: bool
    module: ModuleConfig
    for_each: list[str] = field(default_factory=list)   # refs of its for_each expression (each.value)


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
    # azurerm / azapi provider configurations (provider_config keys) -> their constant subscription_id
    provider_subscriptions: dict[str, str | None] = field(default_factory=dict)


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
    return CallConfig(exprs, repeated, _module_config(call.get("module")), _refs(call.get("for_each_expression")))


def _add_resource_config(cfg: ModuleConfig, res: Any) -> None:
    if not isinstance(res, dict) or res.get("mode") != "managed" or res.get("type") not in mapped_types():
        return
    exprs = res.get("expressions") or {}
    kept = {k: _refs(v) for k, v in exprs.items() if k in REF_ATTRIBUTES and _refs(v)}
    if _refs(res.get("for_each_expression")):
        kept["for_each"] = _refs(res.get("for_each_expression"))  # what each.value stands for
    cfg.resources[f"{res.get('type')}.{res.get('name')}"] = kept
    if isinstance(res.get("provider_config_key"), str):
        cfg.providers[f"{res.get('type')}.{res.get('name')}"] = res["provider_config_key"]


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
        self._changes = 0

    def handlers(self) -> dict[Path, Any]:
        return {
            ("format_version",): self.on_format,
            ("terraform_version",): self.on_tf_version,
            ("resource_changes", "*"): self.on_change,
            ("variables",): self.on_variables,
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
        index, self._changes = self._changes, self._changes + 1
        if not isinstance(change, dict):
            # A list of non-objects is not "no changes": checked as empty, it would be a silent pass.
            raise InputError(f"not a Terraform plan: resource_changes[{index}] is not an object",
                             file=self.plan.path, pointer=f"/resource_changes/{index}")
        if change.get("mode") != "managed":
            return
        self.plan.read += 1
        tf_type = change.get("type", "")
        body = change.get("change") or {}
        if not isinstance(body, dict) or not isinstance(body.get("actions", []), list):
            # bad input (exit 2), not an internal error
            raise InputError(f"not a Terraform plan: resource_changes[{index}] ({change.get('address')!r}) has no "
                             f"valid 'change' object (expected `terraform show -json` output)", file=self.plan.path)
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
        subs = self.plan.provider_subscriptions
        for key, provider in value.items():
            if not isinstance(provider, dict) or provider.get("name", key.split(":")[-1].split(".")[0]) not in (
                    "azurerm", "azapi"):
                continue
            sub = ((provider.get("expressions") or {}).get("subscription_id") or {}).get("constant_value")
            subs[key] = sub if isinstance(sub, str) and sub else None
        # the run's subscription: the root's default azurerm configuration's, else azapi's, else any
        self.plan.subscription_id = (subs.get("azurerm") or subs.get("azapi")
                                     or next((v for _, v in sorted(subs.items()) if v), None))

    def on_variables(self, _path: Path, value: Any) -> None:
        if isinstance(value, dict):
            self.plan.root.variables = {k: v["value"] for k, v in value.items() if isinstance(v, dict) and "value" in v}

    def on_root_resource(self, _path: Path, value: Any) -> None:
        _add_resource_config(self.plan.root, value)

    def on_root_call(self, path: Path, value: Any) -> None:
        self.plan.root.calls[path[-1]] = _call_config(value)

    def on_root_outputs(self, _path: Path, value: Any) -> None:
        for name, out in (value or {}).items():
            self.plan.root.outputs[name] = _refs((out or {}).get("expression"))


def read_plan(path: str, locals_refs: dict[str, dict[str, list[str]]] | None = None) -> Plan:
    """Read the plan at ``path``; InputError (exit 2) for anything that is not a format-1.x plan.

    ``locals_refs`` (module config path -> local name -> references, from the Terraform source) lets
    references through ``local.*`` be followed: a plan's configuration has no locals.
    """
    reader = _Reader(path)
    # Decoded JSON is acyclic and freed by reference counting; the cyclic collector would only rescan
    # the growing list of kept resources, again and again (about a tenth of the read time at scale).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        keys = stream_json(path, reader.handlers(), arrays=frozenset({("resource_changes",)}))
    finally:
        if was_enabled:
            gc.enable()
    plan = reader.plan
    if plan.format_version is None:
        if "lineage" in keys or "serial" in keys:
            raise InputError("not a Terraform plan: this is a Terraform state file; run `terraform plan -out tfplan` "
                             "and check `terraform show -json tfplan`", file=path)
        raise InputError("not a Terraform plan (no format_version; expected `terraform show -json` output)", file=path)
    if "resource_changes" not in keys and "planned_values" not in keys:
        hint = "this looks like state: run `terraform show -json PLANFILE`" if "values" in keys else \
            "expected `terraform show -json PLANFILE` output"
        raise InputError(f"not a Terraform plan (no planned_values or resource_changes; {hint})", file=path)
    if locals_refs:
        attach_locals(plan.root, locals_refs)
    for res in plan.resources:
        res.refs = resolve_resource_refs(plan.root, res)
        res.subscription = _provider_subscription(plan, res)
    return plan


def _provider_subscription(plan: Plan, res: TfResource) -> str | None:
    """The subscription of the provider configuration ``res`` deploys with, when the plan says.

    A root-module resource names its configuration (``azurerm.police``). Inside a module the key is
    the module's own (``module.m:azurerm``), found only when that module declares the configuration;
    one passed in by ``providers = {...}`` is not traceable in plan JSON (hashicorp/terraform#30113),
    so such a resource keeps the run's subscription (use the Terraform folder to check per provider).
    """
    if not plan.provider_subscriptions:
        return None
    cfg = _config_at(plan.root, module_segments(res.module))
    key = cfg.providers.get(f"{res.type}.{res.name}") if cfg is not None else None
    return plan.provider_subscriptions.get(key) if key else None


def attach_locals(root: ModuleConfig, locals_refs: dict[str, dict[str, list[str]]]) -> None:
    """Put each module's locals (keyed by config path ``module.a.module.b``, "" for root) into the tree."""
    for path, names in locals_refs.items():
        cfg = _config_at(root, [(n, "") for n in re.findall(r"module\.([A-Za-z_][\w-]*)", path)])
        if cfg is not None:
            cfg.locals.update(names)


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
    each = instance_suffix(res.index) if res.index is not None else None
    out: dict[str, list[tuple[str, str]]] = {}
    for attr, refs in exprs.items():
        if attr == "for_each":
            continue
        resolved = resolve_refs(root, segments, refs, each=each, for_each=exprs.get("for_each"), attr=attr)
        if resolved:
            out[attr] = resolved
    return out


def implied_attribute(attr: str | None, target_type: str) -> str | None:
    """The attribute an expression most likely reads when Terraform did not record it.

    ``azurerm_x.y[each.key].id`` is recorded as ``["azurerm_x.y", "each.key"]``: the traversal after
    a dynamic index is lost. A placing attribute says what it needs: ``*_id`` an id, a resource group's
    ``name`` for ``resource_group_name``, else the attribute of the same name.
    """
    if attr is None:
        return None
    if attr.endswith("_id"):
        return "id"
    if attr == "resource_group_name" and target_type == "azurerm_resource_group":
        return "name"
    return attr


def resolve_refs(
    root: ModuleConfig,
    segments: list[tuple[str, str]],
    refs: list[str],
    depth: int = 0,
    *,
    each: str | None = None,
    for_each: list[str] | None = None,
    attr: str | None = None,
) -> list[tuple[str, str]]:
    """Follow references made in the module instance ``segments`` to resource attributes.

    ``each`` is the instance key suffix (``["k"]``, ``[0]``) of the resource or module call whose
    expression ``refs`` belong to, ``for_each`` its for_each expression's references, and ``attr``
    the attribute being resolved; with them ``x.y[each.key]``, ``x.y[count.index]`` and
    ``each.value.id`` (when for_each iterates a resource) name one instance.
    """
    if depth > 32:  # a module cycle cannot exist in valid Terraform; stop anyway
        return []
    out: list[tuple[str, str]] = []
    prefix = _join(segments)
    cfg = _config_at(root, segments)
    # x.y[each.key] / x.y[count.index]: the same key as the object doing the reading. Only when nothing
    # else could be the key (x.y[var.m[each.key]] lists var.m too, and is not guessed).
    keyed = each is not None and ("each.key" in refs or "count.index" in refs) and not any(
        r.split(".", 1)[0] in ("var", "local", "module", "data") or r.startswith("each.value") for r in refs)
    with_attribute = {f"{m.group(1)}.{m.group(2)}" for m in map(_RESOURCE_REF.match, refs)
                      if m and m.group(4) and m.group(1) not in _NOT_RESOURCES}
    indexed = [m for m in map(_RESOURCE_REF.match, refs) if m and m.group(1) not in _NOT_RESOURCES
               and not m.group(3) and not m.group(4) and f"{m.group(1)}.{m.group(2)}" not in with_attribute]
    value_key = _each_value_key(root, segments, refs, each, for_each) if indexed and not keyed else None
    if value_key is not None:
        # x.y[each.value.f] with for_each over a root variable: the plan has the variable's value
        for m in indexed:
            implied = implied_attribute(attr, m.group(1))
            if implied:
                address = f"{m.group(1)}.{m.group(2)}{value_key}"
                out.append((f"{prefix}.{address}" if prefix else address, implied))
        refs = [r for r in refs if not r.startswith("each.")]
    for ref in refs:
        head = ref.split(".", 1)[0]
        if head == "each" and ref.startswith("each.value.") and each is not None and for_each and not indexed:
            # each.value.id where for_each iterates a resource (directly or through var/module/local):
            # the instance of that resource with the same key
            collections = set(resolve_collections(root, segments, for_each, depth + 1))
            if len(collections) == 1:
                out.append((collections.pop() + each, ref.split(".")[2].split("[")[0]))
            continue
        if head in ("each", "count", "path", "terraform", "self", "data"):
            continue  # data sources are not placed resources
        if head == "local":
            name = ref.split(".")[1].split("[")[0]
            if cfg is not None and name in cfg.locals:  # only with --source: plans carry no locals
                out.extend(resolve_refs(root, segments, cfg.locals[name], depth + 1, attr=attr))
            continue
        if head == "var":
            if not segments:
                continue  # a root variable's value is already in the planned values
            var = ref.split(".")[1].split("[")[0]
            parent = segments[:-1]
            parent_cfg = _config_at(root, parent)
            call = parent_cfg.calls.get(segments[-1][0]) if parent_cfg else None
            if call is not None:
                # In the caller, each.key is the module instance's key.
                out.extend(resolve_refs(root, parent, call.expressions.get(var, []), depth + 1,
                                        each=segments[-1][1] or None, for_each=call.for_each, attr=attr))
            continue
        if head == "module":
            m = _MODULE_REF.match(ref)
            if not m:
                continue
            call = cfg.calls.get(m.group(1)) if cfg else None
            if call is None or (call.repeated and not m.group(2)):
                continue  # which instance is meant is decided by an expression we do not have
            child = segments + [(m.group(1), m.group(2))]
            out.extend(resolve_refs(root, child, call.module.outputs.get(m.group(3), []), depth + 1, attr=attr))
            continue
        m = _RESOURCE_REF.match(ref)
        if not m:
            continue
        base = f"{m.group(1)}.{m.group(2)}"
        if m.group(4):
            address = base + m.group(3)
            out.append((f"{prefix}.{address}" if prefix else address, m.group(4)))
        elif keyed and not m.group(3) and base not in with_attribute:
            implied = implied_attribute(attr, m.group(1))
            if implied:
                address = base + str(each)
                out.append((f"{prefix}.{address}" if prefix else address, implied))
        # any other bare "type.name" accompanies its attribute form (used above), or is indexed by an
        # expression we cannot evaluate: not guessed
    return out


_NOT_RESOURCES = frozenset({"each", "count", "path", "terraform", "self", "data", "local", "var", "module"})


def _each_value_key(
    root: ModuleConfig, segments: list[tuple[str, str]], refs: list[str], each: str | None, for_each: list[str] | None
) -> str | None:
    """The instance suffix that ``x.y[each.value]`` / ``x.y[each.value.f]`` selects, when for_each is
    a root-module variable (``for_each = var.m``) whose value the plan records; else None."""
    if segments or each is None or not for_each or not each.startswith('["'):
        return None
    dynamic = [r for r in refs if r.split(".", 1)[0] in ("var", "local", "module", "data", "count")
               or (r.startswith("each.") and r != "each.value" and not r.startswith("each.value."))]
    fields = {r.split(".")[2].split("[")[0] for r in refs if r.startswith("each.value.")}
    if dynamic or len(fields) > 1 or "each.value" not in refs and not fields:
        return None  # something else takes part in the key: not guessed
    names = [r for r in for_each if re.fullmatch(r"var\.[A-Za-z_][\w-]*", r)]
    if len(for_each) != 1 or not names:
        return None
    collection = root.variables.get(names[0].split(".")[1])
    key = json.loads(each[1:-1])
    if isinstance(collection, dict) and key in collection:
        item = collection[key]
    elif isinstance(collection, list) and key in collection:
        item = key  # for_each over a set of strings: each.value is the key
    else:
        return None
    if fields:
        item = item.get(next(iter(fields))) if isinstance(item, dict) else None
    return instance_suffix(item) if isinstance(item, str) else None


def resolve_collections(
    root: ModuleConfig, segments: list[tuple[str, str]], refs: list[str], depth: int = 0
) -> list[str]:
    """Absolute addresses of whole resources (``for_each = azurerm_x.y``) an expression's refs name."""
    if depth > 32:
        return []
    out: list[str] = []
    prefix = _join(segments)
    cfg = _config_at(root, segments)
    for ref in refs:
        head = ref.split(".", 1)[0]
        if head == "local" and cfg is not None:
            name = ref.split(".")[1].split("[")[0]
            out.extend(resolve_collections(root, segments, cfg.locals.get(name, []), depth + 1))
        elif head == "var" and segments:
            parent_cfg = _config_at(root, segments[:-1])
            call = parent_cfg.calls.get(segments[-1][0]) if parent_cfg else None
            if call is not None:
                var = ref.split(".")[1].split("[")[0]
                out.extend(resolve_collections(root, segments[:-1], call.expressions.get(var, []), depth + 1))
        elif head == "module":
            m = _MODULE_REF.match(ref)
            call = cfg.calls.get(m.group(1)) if (m and cfg) else None
            if m and call is not None and (m.group(2) or not call.repeated):
                child = segments + [(m.group(1), m.group(2))]
                out.extend(resolve_collections(root, child, call.module.outputs.get(m.group(3), []), depth + 1))
        elif head not in _NOT_RESOURCES:
            m = _RESOURCE_REF.match(ref)
            if m and not m.group(3) and not m.group(4):
                base = f"{m.group(1)}.{m.group(2)}"
                out.append(f"{prefix}.{base}" if prefix else base)
    return list(dict.fromkeys(out))
