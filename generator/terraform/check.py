"""`check` without the CLI: read a plan, a Terraform directory or ARM JSON, map, evaluate, report."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import InputError
from generator.terraform import UNKNOWN, TfResource
from generator.terraform.mapping import (
    PLACEHOLDER_SUBSCRIPTION,
    Mapper,
    arm_resource_group,
    is_standin,
    parse_arm_id,
)
from generator.terraform.plan import REF_ATTRIBUTES

_KEEP = REF_ATTRIBUTES | {"id"}
_PLAN_KEYS = (b'"format_version"', b'"terraform_version"', b'"planned_values"', b'"resource_changes"',
              b'"prior_state"', b'"applyable"')

DEFAULT_PACK = "microsoft-aoai-law-enforcement"
ARM_RESOURCE_GROUP = "deployment-resource-group"  # stands for the resource group an ARM template deploys to
_KEYS = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')


@dataclass
class Item:
    """One resource to evaluate, in ARM shape, with where it came from."""

    resource: dict[str, Any]
    address: str
    file: str | None = None
    line: int | None = None
    action: str = "create"
    scope_id: str | None = None    # an id (or resource-group id) that places it for the context
    uncertain: bool = False        # deployed only if a condition or count known at deployment allows: match -> undetermined


@dataclass
class Input:
    """What a PATH gave: items to evaluate, counts and notes for the report."""

    kind: str                                  # plan | hcl | arm
    items: list[Item] = field(default_factory=list)   # ready items (ARM input)
    read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    resource_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # context key -> entry
    # keys (lower-case) of those whose every tag is known: a tag they lack is certainly absent
    complete_resource_groups: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    # keys (lower-case) of resource groups with values known only after apply: what replaces the
    # context's value (name and id of a stand-in, tags or tag values UNKNOWN)
    resource_group_patches: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscription_id: str | None = None
    pending: list[TfResource] = field(default_factory=list)  # Terraform resources, mapped one by one
    mapper: Mapper | None = None
    locations: dict[str, tuple[str, int]] | None = None
    context: Any = None                        # for template deployments: resourceGroup().location
    _merged: Any = None

    def iter_items(self) -> Iterator[Item]:
        """Items to evaluate. Terraform resources are mapped one at a time and slimmed afterwards,
        so that a plan of mostly mapped resources does not hold two full copies of itself."""
        yield from self.items
        if self.mapper is None:
            return
        for res in self.pending:
            item = _item(res, self.mapper, self.locations)
            if item is None:
                self.skipped[res.type] = self.skipped.get(res.type, 0) + 1
                continue
            if _is_deployment(item):
                # a template deployment: check what its template deploys, not the deployment itself
                yield from self._template_items(res, item)
                continue
            yield item
            # Others may still reference it: keep what placing a resource reads (its id is cached).
            res.values = {k: v for k, v in res.values.items() if k in _KEEP}

    def _template_items(self, res: TfResource, item: Item) -> Iterator[Item]:
        from generator.armtemplate.terraform import deployment_items

        if self.context is not None and self._merged is None:
            self._merged = merged_context(self.context, self)  # the resource groups it creates count too
        items, warnings = deployment_items(res, item, self.mapper, self._merged)
        self.warnings.extend(warnings)
        self.read += len(items) - 1
        for it in items:
            yield Item(it.resource, it.address, it.file, it.line, item.action, it.scope_id, it.uncertain)

    def scope_ids(self) -> list[str]:
        """Ids of every item (ARM items and mapped Terraform resources), without consuming the pending ones."""
        out = [i.scope_id for i in self.items]
        if self.mapper is not None:
            for res in self.pending:
                item = _item(res, self.mapper, self.locations)
                if item is not None:
                    out.append(item.scope_id)
        return out

    def late_warnings(self) -> list[str]:
        """Warnings known only once every item was mapped."""
        if self.mapper is not None and self.mapper.used_placeholder:
            return [f"subscription id unknown: ARM ids use {PLACEHOLDER_SUBSCRIPTION} "
                    "(give --subscription-id, or set subscription_id in the azurerm provider block)"]
        return []


def _is_deployment(item: Item) -> bool:
    return str(item.resource.get("type", "")).lower() == "microsoft.resources/deployments"


def detect_kind(path: Path) -> str:
    """``hcl`` for a directory (or a .tf file), ``plan`` for `terraform show -json`, else ``arm``."""
    if path.is_dir():
        return "hcl"
    if path.suffix == ".tf" or path.name.endswith(".tf.json"):
        return "hcl"
    from generator.safeload import open_regular

    try:
        with open_regular(path) as fh:  # a FIFO or device is refused at once, never read
            head = fh.read(4096)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    if not head.strip():
        raise InputError("empty file", file=str(path))
    from generator.fsio import utf16_hint

    if utf16_hint(head):
        raise InputError("not UTF-8 text (byte 0)" + utf16_hint(head), file=str(path))
    # Terraform writes format_version first; a re-sorted plan (jq -S) shows other plan keys first.
    if any(key in head for key in _PLAN_KEYS):
        return "plan"
    return "arm"


def _module_config_path(module: str) -> str:
    return _KEYS.sub("", module)


def _index(resources: list[TfResource]) -> Any:
    by_address = {r.address: r for r in resources}
    by_config: dict[str, list[TfResource]] = {}
    for r in resources:
        by_config.setdefault(r.config_address, []).append(r)

    def find(address: str) -> list[TfResource]:
        hit = by_address.get(address)
        return [hit] if hit is not None else by_config.get(address, [])

    return find


def _prepare(resources: list[TfResource], subscription_id: str | None, out: Input,
             locations: dict[str, tuple[str, int]] | None = None) -> None:
    """Index Terraform resources for mapping and collect the resource groups they keep or create."""
    mapper = Mapper(_index(resources), subscription_id)
    out.mapper, out.pending, out.locations = mapper, resources, locations
    for res in resources:
        rg = arm_resource_group(res, mapper)
        if rg is not None:
            _add_resource_group(out, rg, mapper.scope_hint(res).get("subscription"), res.address)


def _item(res: TfResource, mapper: Mapper, locations: dict[str, tuple[str, int]] | None) -> Item | None:
    """The ARM item for one Terraform resource (None for an unmapped type)."""
    arm = mapper.to_arm(res)
    if arm is None:
        return None
    scope_id = arm["id"] if isinstance(arm.get("id"), str) else None
    if scope_id is None:
        hint = mapper.scope_hint(res)
        if hint.get("subscription"):
            scope_id = f"/subscriptions/{hint['subscription']}"
            if isinstance(hint.get("resourceGroup"), str):
                scope_id += f"/resourceGroups/{hint['resourceGroup']}"
    file, line = res.file, res.line
    if file is None and locations:
        loc = locations.get(f"{_module_config_path(res.module) + '.' if res.module else ''}{res.type}.{res.name}")
        if loc:
            file, line = loc
    return Item(arm, res.address, file, line, res.action, scope_id, res.uncertain)


def _add_resource_group(out: Input, rg: dict[str, Any], subscription: str | None, address: str) -> None:
    """Record a resource group the input creates or keeps: its tags and location are what the policies
    read. One rule for what the input does not know: a name known only after apply goes by a stand-in;
    tags (or a tag's value) known only after apply are UNKNOWN, so what reads them is undetermined."""
    tags = rg.get("tags")
    clean: dict[str, str] = {}
    unknown: Any = None
    if tags is UNKNOWN:
        out.warnings.append(f"{address}: the resource group's tags are known only after apply; "
                            "what the policies read from them is undetermined")
        unknown = UNKNOWN
    else:
        for k, v in (tags or {}).items():
            if v is UNKNOWN:
                out.warnings.append(f"{address}: tag {k!r} is known only after apply; what the policies read "
                                    "from it is undetermined")
                unknown = dict(unknown or {}, **{k: UNKNOWN})
                continue
            clean[k] = v if isinstance(v, str) else json.dumps(v)
    entry: dict[str, Any] = {"tags": clean}
    location = rg.get("location")
    if isinstance(location, str):
        entry["location"] = location
    key = f"{subscription}/{rg['name']}" if subscription and subscription != PLACEHOLDER_SUBSCRIPTION else rg["name"]
    out.resource_groups[key] = entry
    patch: dict[str, Any] = {}
    if is_standin(rg["name"]):
        patch.update(name=UNKNOWN, id=UNKNOWN)
    if location is UNKNOWN:
        patch["location"] = UNKNOWN
    if unknown is UNKNOWN:
        patch["tags"] = UNKNOWN
    elif unknown:
        patch["tags"] = {**clean, **unknown}
    if patch or is_standin(rg["name"]):
        out.resource_group_patches[key.lower()] = patch
    if unknown is None:
        out.complete_resource_groups.add(key.lower())
    else:
        out.complete_resource_groups.discard(key.lower())


def read_input(
    path: str,
    *,
    source_dir: str | None = None,
    var_files: Iterable[str] = (),
    variables: dict[str, str] | None = None,
    subscription_id: str | None = None,
    context_subscription: str | None = None,
    var_order: list[str] | None = None,
    template_parameters: Iterable[str] = (),
    resource_group: str | None = None,
    context: Any = None,
) -> Input:
    """Read PATH (plan JSON, Terraform directory or ARM JSON) into ARM-shaped items."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", file=path)
    kind = detect_kind(p)
    if kind == "hcl":
        from generator.terraform.tfconfig import read_directory

        root = p if p.is_dir() else p.parent
        result = read_directory(root, var_files=list(var_files), variables=variables, order=var_order,
                                subscription_id=subscription_id, fallback_subscription=context_subscription)
        out = Input("hcl", read=len(result.resources), warnings=list(result.warnings))
        out.context = context
        out.warnings.extend(_ignored_template_options(template_parameters, resource_group))
        sub = subscription_id or result.subscription_id or context_subscription
        out.subscription_id = sub
        if result.used_placeholder and not sub:
            out.warnings.append(f"subscription id unknown: a data source's id uses {PLACEHOLDER_SUBSCRIPTION} "
                                "(give --subscription-id, or set subscription_id in the azurerm provider block)")
        _prepare(result.resources, sub, out)
        for address, file, line in result.missing_modules:
            # What a module that could not be read deploys is unknown: every policy that could apply
            # is undetermined for it, never a silent pass.
            out.items.append(Item(dict(UNKNOWN_RESOURCE), address, file, line, "create",
                                  f"/subscriptions/{sub}" if sub else None))
            out.read += 1
        return out
    if kind == "plan":
        from generator.terraform.plan import read_plan

        locations = local_refs = None
        if source_dir:
            from generator.terraform.tfconfig import source_config

            # the source gives file:line, and the locals that the plan's configuration leaves out
            locations, local_refs = source_config(source_dir)
        plan = read_plan(path, local_refs)
        out = Input("plan", read=plan.read)
        out.context = context
        out.warnings.extend(_ignored_template_options(template_parameters, resource_group))
        # ids the plan itself holds are facts; the context's only subscription is a fallback guess
        sub = subscription_id or plan.subscription_id or _subscription_from_ids(plan.resources) or context_subscription
        out.subscription_id = sub
        _prepare(plan.resources, sub, out, locations)
        for tf_type, n in plan.skipped.items():
            out.skipped[tf_type] = out.skipped.get(tf_type, 0) + n
        if plan.deleted:
            out.warnings.append(f"{plan.deleted} resource(s) the plan deletes were not checked")
        out.warnings.extend(_ignored_variables(var_files, variables, "a plan already holds its variables' values"))
        return out
    out = _read_arm(path, subscription_id or context_subscription, template_parameters, resource_group, context)
    out.warnings.extend(_ignored_variables(var_files, variables, "ARM JSON has no Terraform variables"))
    return out


def _ignored_template_options(template_parameters: Iterable[str], resource_group: str | None) -> list[str]:
    """--template-parameters and --resource-group place ARM templates only; say so when given for Terraform."""
    given = [f"--template-parameters {f}" for f in template_parameters]
    if resource_group:
        given.append(f"--resource-group {resource_group}")
    if not given:
        return []
    return [f"ignored {', '.join(given)}: they apply to ARM templates only (Terraform names its own resource groups)"]


def _ignored_variables(var_files: Iterable[str], variables: dict[str, str] | None, why: str) -> list[str]:
    """Say so when --var / --var-file were given for an input that cannot use them (never silently)."""
    given = [f"--var {k}" for k in (variables or {})] + [f"--var-file {f}" for f in var_files]
    if not given:
        return []
    return [f"ignored {', '.join(given)}: variables apply to Terraform directories only ({why})"]


def _subscription_from_ids(resources: list[TfResource]) -> str | None:
    for res in resources:
        sub = parse_arm_id(res.values.get("id")).get("subscription")
        if sub:
            return sub
    return None


def _read_arm(path: str, subscription_id: str | None, template_parameters: Iterable[str] = (),
              resource_group: str | None = None, context: Any = None) -> Input:
    from generator.armtemplate import is_template as _is_template
    from generator.safeload import load_json_or_yaml

    data = load_json_or_yaml(path)
    if _is_template(data):
        from generator.armtemplate.check import read_template_input

        return read_template_input(path, Input, Item, subscription_id=subscription_id,
                                   template_parameters=template_parameters, resource_group=resource_group,
                                   context=context)
    extra = _ignored_template_options(template_parameters, resource_group)
    name = Path(path).name
    if isinstance(data, dict) and isinstance(data.get("value"), list) and "type" not in data:
        items, base = data["value"], "/value"
    elif isinstance(data, list):
        items, base = data, ""
    elif isinstance(data, dict) and "type" in data:
        items, base = [data], None
    else:
        raise InputError("not a Terraform plan, a Terraform directory, an ARM template or ARM resource JSON", file=path)
    out = Input("arm", read=len(items), warnings=extra)
    out.subscription_id = subscription_id
    sub = subscription_id or PLACEHOLDER_SUBSCRIPTION
    placed = False
    for i, item in enumerate(items):
        pointer = f"{base}/{i}" if base is not None else ""
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise InputError("an ARM resource must be an object with a 'type'", file=path, pointer=pointer)
        resource = dict(item)
        resource["type"] = item["type"]
        rid = resource.get("id") if isinstance(resource.get("id"), str) else None
        address = rid or (f"{name}{pointer}" if base is not None else name)
        scope_id = rid
        if rid is None:
            # Without an id the resource goes to the deployment's resource group, which the file does not name.
            placed = True
            scope_id = f"/subscriptions/{sub}/resourceGroups/{ARM_RESOURCE_GROUP}"
            if isinstance(resource.get("name"), str):
                resource["id"] = _arm_id(scope_id, resource["type"], resource["name"])
        out.items.append(Item(resource, address, path, None, "create", scope_id))
    if placed:
        out.warnings.append(
            f"resources without an id are placed in resource group '{ARM_RESOURCE_GROUP}' "
            f"(give its tags in --context under resourceGroups.{ARM_RESOURCE_GROUP})")
    if placed and sub == PLACEHOLDER_SUBSCRIPTION:
        out.warnings.append(f"subscription id unknown: ARM ids use {PLACEHOLDER_SUBSCRIPTION} (give --subscription-id)")
    return out


def _arm_id(rg_id: str, arm_type: str, name: str) -> str:
    namespace, *types = arm_type.split("/")
    names = name.split("/")
    if len(names) != len(types):
        return f"{rg_id}/providers/{arm_type}/{name}"
    return f"{rg_id}/providers/{namespace}/" + "/".join(f"{t}/{n}" for t, n in zip(types, names))


def default_library() -> tuple[Any, str]:
    """The shipped pack's definitions and set as a PolicyLibrary, and a label for `definitionFile`."""
    from generator.engine.evaluator import PolicyLibrary
    from generator.engine.policies import compile_definition
    from generator.engine.sets import compile_set
    from generator.packs import microsoft_aoai_law_enforcement
    from generator.targets.policy_json import build_bundle

    # The pack shipped in this package, loaded directly: scanning every installed distribution's
    # entry points (importlib.metadata) only to find our own pack costs about 50 ms per run.
    bundle = build_bundle(microsoft_aoai_law_enforcement())
    label = f"(pack {DEFAULT_PACK})"
    lib = PolicyLibrary()
    # built in memory, not read from a file: `definitionFile` is null (CONTRACTS), the pack is in the
    # results' clause fields
    for doc in bundle.definitions:
        lib.add_definition(compile_definition(doc, file=None))
    lib.add_set(compile_set(bundle.policy_set, lib.find_definition, file=None))
    from generator.engine.memo import reads_identity

    lib.identity_free = not any(reads_identity(doc) for doc in bundle.definitions)
    return lib, label


def merged_context(base: Any, input_: Input) -> Any:
    """The context with the plan's resource groups added (the plan's planned tags win)."""
    from generator.context import Context

    if not input_.resource_groups:
        return base
    rgs = dict(base.resource_groups)
    for key, entry in input_.resource_groups.items():
        rgs[key.lower()] = entry
    ctx = Context(base.subscriptions, rgs, source=base.source)
    return ctx


def run(
    input_: Input,
    evaluator: Any,
    context: Any,
    *,
    show_all: bool = False,
    fail_on: Iterable[str] | None = None,
    extra_warnings: Iterable[str] = (),
) -> dict[str, Any]:
    """Evaluate every item and build the CONTRACTS report (existing, unchanged resources never fail)."""
    import gc

    # The input, the library and the context live for the whole run: frozen, the cyclic collector
    # stops walking them again at every collection (a fifth of the run on 10,000 resources).
    gc.freeze()
    try:
        return _run(input_, evaluator, context, show_all=show_all, fail_on=fail_on, extra_warnings=extra_warnings)
    finally:
        gc.unfreeze()


def _run(
    input_: Input,
    evaluator: Any,
    context: Any,
    *,
    show_all: bool = False,
    fail_on: Iterable[str] | None = None,
    extra_warnings: Iterable[str] = (),
) -> dict[str, Any]:
    from generator.engine.evaluator import TRACE_ALL
    from generator.report import build_report

    context = merged_context(context, input_)
    results: list[dict[str, Any]] = []
    missing: dict[str, str] = {}
    invalid = evaluator.invalid_results()
    results.extend(r.to_json() for r in invalid)
    traced: set[tuple[Any, ...]] = set()
    default_trace = evaluator.trace_mode
    from generator.engine.memo import ResultMemo

    # for_each over many deployments of a few models: each distinct one evaluated once
    memo = ResultMemo() if ResultMemo.usable(evaluator) else None
    checked = 0
    no_match: dict[str, dict[str, Any]] = {}
    unplaced: list[str] = []
    for item in input_.iter_items():
        checked += 1
        ctx = context.resolve(item.scope_id)
        _apply_patch(ctx, input_.resource_group_patches)
        if ctx.resource_group is None and _placed_later(item):
            # Its resource group is known only after apply (e.g. a parent id Terraform does not know
            # yet, and no reference to follow): what a policy reads from it is UNKNOWN (undetermined),
            # not an evaluation error.
            ctx.resource_group = _UNKNOWN_RESOURCE_GROUP
            ctx.missing = [m for m in ctx.missing if not m.startswith("resource group ")]
            ctx.given_resource_group_tags = _ANY_TAG
            if item.resource.get("type") is not UNKNOWN:  # a module not installed has its own warning
                unplaced.append(item.address)
        action = "update" if item.action == "no-op" else item.action
        # Tags a policy reads are found from its trace, which no-match results do not keep. Trace one
        # resource per (context, type) in full, so that a tag no source gives is named, not guessed.
        key = (id(ctx.subscription), id(ctx.resource_group), str(item.resource.get("type")))
        full = key not in traced
        if full:
            traced.add(key)
            evaluator.trace_mode = TRACE_ALL
        key = memo.key(item.resource, ctx, action, full) if memo is not None else None
        evaluated = (memo.get(key, ctx, item.address, item.file, item.line, share_no_match=not show_all)
                     if key is not None else None)
        if evaluated is None:
            missing_before = len(ctx.missing)
            try:
                evaluated = evaluator.evaluate(item.resource, ctx, address=item.address, file=item.file,
                                               line=item.line, action=action)
            finally:
                evaluator.trace_mode = default_trace
            if key is not None:
                memo.put(key, evaluated, ctx, missing_before)
        else:
            evaluator.trace_mode = default_trace
        not_read = item.resource.get("type") is UNKNOWN  # a module call that could not be read
        for res in evaluated:
            if not_read and res.result == "undetermined":
                # its trace reads a stand-in of unknown parts: explained by the message, not by those values
                res = dataclasses.replace(res, message=_NOT_READ_MESSAGE, explanation=None)
            if item.uncertain and res.result == "match":
                res.result = "undetermined"
                res.message = f"deployed only if a condition or count known at deployment allows it: {res.message}"
            if res.result == "no-match" and not show_all:
                # Not listed, only counted: one shared stand-in per effect keeps a 100,000-resource
                # run from holding 100,000s of full result objects.
                results.append(no_match.setdefault(res.effect, {"result": "no-match", "effect": res.effect}))
                continue
            if full and default_trace != TRACE_ALL and res.result == "no-match":
                res.trace, res.explanation = None, None
            data = res.to_json()
            if item.action == "no-op" and data["result"] != "no-match":
                # Already deployed and unchanged: existing non-compliance, reported but never failing.
                data["existing"] = True
                data["message"] = f"existing resource, unchanged by this plan: {data['message']}"
            results.append(data)
        complete_rg = _planned_resource_group(ctx, input_.complete_resource_groups)
        for line in ctx.missing:
            # A resource group the plan (or directory) creates or keeps has all its tags in it: a tag it
            # lacks is absent for certain, not "given by no source".
            if " tag '" in line and not (complete_rg and line.startswith("resource group tag ")):
                missing.setdefault(line, item.address)
    warnings = list(extra_warnings) + list(evaluator.warnings) + input_.warnings + input_.late_warnings()
    for line, first in missing.items():
        warnings.append(
            f"the policies read {line}, which no source gives (--subscription-tag, --context, or a resource "
            f"group in the plan); evaluated as absent (first for {first})")
    if unplaced:
        more = f" and {len(unplaced) - 1} more" if len(unplaced) > 1 else ""
        warnings.append(f"the resource group of {unplaced[0]}{more} is known only after apply (no reference in the "
                        f"plan to follow); what the policies read from it is undetermined")
    skipped = sum(input_.skipped.values())
    if input_.skipped:
        detail = ", ".join(f"{t} {n}" for t, n in sorted(input_.skipped.items()))
        warnings.append(f"{skipped} resource(s) of types clausegate does not map were skipped: {detail}")
    report = build_report(results, resources_read=input_.read, skipped=skipped, checked=checked,
                          show_all=show_all, fail_on=fail_on, warnings=warnings)
    existing = sum(1 for r in results if r.get("existing"))
    if existing:
        report["summary"]["existing"] = existing
    return report


_NOT_READ_MESSAGE = ("what this module call deploys is unknown: the module is not installed (run `terraform init`) "
                     "or its source is outside the configuration (see the warning); the policy may apply to it")

# A resource whose every part is known only after apply (a module call that could not be read).
UNKNOWN_RESOURCE: dict[str, Any] = {
    "id": UNKNOWN, "name": UNKNOWN, "type": UNKNOWN, "kind": UNKNOWN, "location": UNKNOWN, "tags": UNKNOWN,
    "sku": UNKNOWN, "identity": UNKNOWN, "properties": UNKNOWN,
}


class _AnyTag(frozenset):  # type: ignore[type-arg]
    """Every tag name: an unknown resource group's tags are not "given by no source", they are UNKNOWN."""

    def __contains__(self, item: object) -> bool:
        return True


_ANY_TAG = _AnyTag()
_UNKNOWN_RESOURCE_GROUP: dict[str, Any] = {
    "id": UNKNOWN, "name": UNKNOWN, "type": "Microsoft.Resources/resourceGroups", "location": UNKNOWN,
    "managedBy": UNKNOWN, "tags": UNKNOWN, "properties": {"provisioningState": "Succeeded"},
}


def _apply_patch(ctx: Any, patches: dict[str, dict[str, Any]]) -> None:
    """A resource group of the input with values known only after apply: those read as UNKNOWN, and every
    tag counts as given (the input defines the resource group whole)."""
    rg = ctx.resource_group
    if not patches or not isinstance(rg, dict) or not isinstance(rg.get("name"), str):
        return
    name = rg["name"].lower()
    sub = str((ctx.subscription or {}).get("subscriptionId") or "").lower()
    patch = patches.get(f"{sub}/{name}", patches.get(name))
    if patch is None:
        return
    ctx.resource_group = {**rg, **patch}
    ctx.given_resource_group_tags = _ANY_TAG
    ctx.missing = [m for m in ctx.missing if not m.startswith("resource group ")]


def _placed_later(item: Item) -> bool:
    """A resource that lives in a resource group, placed only at the subscription (or not at all)."""
    if item.resource.get("type") == "Microsoft.Resources/resourceGroups":
        return False
    scope = item.scope_id or ""
    return "/resourcegroups/" not in scope.lower() and scope.count("/") <= 2


def _planned_resource_group(ctx: Any, complete: set[str]) -> bool:
    """Whether the resource's resource group is one the input defines with every tag known."""
    rg = getattr(ctx, "resource_group", None)
    if not complete or not isinstance(rg, dict) or not isinstance(rg.get("name"), str):
        return False
    name = rg["name"].lower()
    sub = str((getattr(ctx, "subscription", None) or {}).get("subscriptionId") or "").lower()
    return name in complete or f"{sub}/{name}" in complete


def check_exit_code(report: dict[str, Any], fail_on: Iterable[str] | None) -> int:
    """CONTRACTS exit code; results marked ``existing`` (unchanged resources) never fail the run."""
    from generator.report import exit_code

    return exit_code(report, fail_on)
