"""ARM deployment templates (and Bicep output) expanded as Azure would deploy them, for `check`.

Template expressions are evaluated by the engine's one ARM expression evaluator, in a template
evaluation context (generator.engine.template_functions). Only values known at deployment time stay
UNKNOWN; everything not evaluable is a warning naming the file, line and JSON pointer.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.armtemplate.expand import (
    DEPLOYMENTS,
    Expansion,
    TemplateResource,
    Where,
    expand_template,
    is_template,
    level_of,
)
from generator.armtemplate.frame import PLACEHOLDER_SUBSCRIPTION, Run, Target
from generator.armtemplate.jsonpos import parse_with_lines
from generator.engine.values import UNKNOWN, has_unknown
from generator.errors import InputError

__all__ = [
    "Expansion", "TemplateResource", "Target", "read_template_file", "read_parameter_files", "expand_embedded",
    "is_template", "DEPLOYMENTS", "PLACEHOLDER_SUBSCRIPTION", "DEFAULT_RESOURCE_GROUP", "target_from_id",
]

import re

_RG_NAME = re.compile(r"^[-\w.()]{0,89}[-\w()]$")
DEFAULT_RESOURCE_GROUP = "deployment-resource-group"  # stands for the resource group a template deploys to


def read_parameter_files(paths: Iterable[str]) -> dict[str, Any]:
    """Values from ARM parameter files (`{"parameters": {"x": {"value": ...}}}`), later files winning."""
    from generator.fsio import read_text

    values: dict[str, Any] = {}
    for path in paths:
        if path.endswith(".bicepparam"):
            raise InputError("a .bicepparam file is not read: `az bicep build-params --file FILE` writes the "
                             "*.parameters.json that --template-parameters takes", file=path)
        data, _lines = parse_with_lines(read_text(path), path)
        params = data.get("parameters") if isinstance(data, dict) and "parameters" in data else data
        if not isinstance(params, dict):
            raise InputError('a parameter file must hold {"parameters": {"name": {"value": ...}}}', file=path,
                             line=_lines.get("/parameters") or 1)
        for key, entry in params.items():
            if key.startswith("$"):
                continue
            if isinstance(entry, dict) and "value" in entry:
                values[key] = entry["value"]
            elif isinstance(entry, dict) and "reference" in entry:
                values[key] = UNKNOWN  # a Key Vault secret: known only at deployment
            else:
                raise InputError(f'parameter {key!r} must be {{"value": ...}} (or a Key Vault "reference")',
                                 file=path, line=_lines.get(f"/parameters/{key}"), pointer=f"/parameters/{key}")
    return values


def read_template_file(path: str, parameter_files: Iterable[str] = (), *, subscription_id: str | None = None,
                       resource_group: str | None = None, context: Any = None,
                       data: Any = None) -> tuple[Expansion, Run]:
    """Expand the template in ``path`` with its parameter files, deployed to the given scope."""
    from generator.fsio import read_text

    if resource_group is not None and not _RG_NAME.match(resource_group):
        raise InputError(f"--resource-group {resource_group!r} is not a resource group name (1-90 letters, digits, "
                         "'-', '_', '.', '(' or ')', not ending in '.')")
    template, lines = parse_with_lines(read_text(path), path)
    if not is_template(template):
        raise InputError("not an ARM deployment template (no resources with $schema or contentVersion)", file=path)
    given = read_parameter_files(parameter_files)
    run = Run(context=context)
    level = level_of(template)
    rg: Any = None
    if level == "resourceGroup":
        rg = resource_group or DEFAULT_RESOURCE_GROUP
        if resource_group is None:
            run.used_placeholder_resource_group = DEFAULT_RESOURCE_GROUP
    if subscription_id is None and level in ("resourceGroup", "subscription"):
        run.used_placeholder_subscription = True
    target = Target(level, subscription_id or PLACEHOLDER_SUBSCRIPTION, rg,
                    UNKNOWN if level == "managementGroup" else None)
    where = Where(path, lines, Path(path).resolve().parent)
    expansion = expand_template(template, given=given, target=target, where=where, run=run)
    for key, value in given.items():
        if value is UNKNOWN:
            run.warn(f"{path}: parameter {key!r} is a Key Vault reference, known only at deployment; "
                     "undetermined where a policy reads it")
    return expansion, run


def target_from_id(scope_id: Any, fallback_subscription: str | None) -> Target:
    """The deployment target an ARM scope id names (subscription, resource group, management group)."""
    import re

    if not isinstance(scope_id, str):
        return Target("resourceGroup", fallback_subscription, UNKNOWN)
    m = re.match(r"(?i)^/providers/Microsoft\.Management/managementGroups/([^/]+)", scope_id)
    if m:
        return Target("managementGroup", managementGroup=m.group(1))
    m = re.match(r"(?i)^/subscriptions/([^/]+)(?:/resourceGroups/([^/]+))?", scope_id)
    if m:
        if m.group(2):
            return Target("resourceGroup", m.group(1), m.group(2))
        return Target("subscription", m.group(1))
    if scope_id.strip() == "/":
        return Target("tenant")
    return Target("resourceGroup", fallback_subscription, UNKNOWN)


def expand_embedded(template: Any, parameters: Any, *, target: Target, label: str, file: str | None,
                    line: int | None, context: Any = None, name: Any = UNKNOWN,
                    folder: Path | None = None) -> tuple[Expansion, Run]:
    """Expand a template carried by another resource (a Terraform template deployment).

    ``template`` and ``parameters`` are JSON text, objects, or UNKNOWN; parameters take the ARM shape
    (`{"x": {"value": ...}}`, with or without the file's outer `parameters` key)."""
    import json

    run = Run(context=context)
    out = Expansion()
    partial = isinstance(template, dict)  # JSON text has no unknown parts: only an object can hold some
    template = _json_value(template)
    parameters = _json_value(parameters)
    where = Where(file, {}, folder, label=label, line=line)
    if template is UNKNOWN or not isinstance(template, dict):
        why = "is known only after apply" if template is UNKNOWN else (
            f"is {template[1:-1]}" if isinstance(template, str) and template.startswith("(") else "is not a JSON object")
        run.warn(f"{label}: the template {why}; what it deploys is undetermined")
        out.resources.append(TemplateResource(_opaque(), f"{label}::(not read)", file, line,
                                              _scope_text(target), True))
        out.warnings = run.warnings
        return out, run
    given: dict[str, Any] = {}
    unknown = _unknown_pointers(template, "") if partial else []
    if unknown:
        shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        run.warn(f"{label}: the template has {len(unknown)} value(s) known only after apply ({shown}); "
                 "undetermined where a policy reads them")
    if isinstance(parameters, dict) and (isinstance(parameters.get("parameters"), dict) or
                                         parameters.get("parameters") is UNKNOWN) and (
            "$schema" in parameters or "contentVersion" in parameters):
        parameters = parameters["parameters"]  # a whole parameter file
    if parameters is UNKNOWN:
        run.warn(f"{label}: the parameters are known only after apply; parameters without a default are undetermined")
        declared = template.get("parameters")
        given = {k: UNKNOWN for k in (declared if isinstance(declared, dict) else {})}
    elif isinstance(parameters, dict):
        for key, entry in parameters.items():
            if isinstance(entry, dict) and "value" in entry:
                given[key] = entry["value"]
                if has_unknown(entry["value"]):
                    run.warn(f"{label}: parameter {key!r} is known only after apply; undetermined where a policy "
                             "reads it")
            elif entry is UNKNOWN or (isinstance(entry, dict) and has_unknown(entry)):
                given[key] = UNKNOWN
                run.warn(f"{label}: parameter {key!r} is known only after apply; undetermined where a policy "
                         "reads it")
            else:
                given[key] = UNKNOWN
                run.warn(f"{label}: parameter {key!r} is not {{\"value\": ...}} ({json.dumps(entry)[:60]}); "
                         "undetermined where a policy reads it")
    expansion = expand_template(template, given=given, target=target, where=where, run=run,
                                prefix=f"{label}::", deployment_name=name)
    return expansion, run


def _unknown_pointers(value: Any, pointer: str) -> list[str]:
    """JSON pointers of the values known only after apply in a Terraform jsonencode() template."""
    from generator.armtemplate.jsonpos import pointer_join

    if value is UNKNOWN:
        return [pointer or "/"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _unknown_pointers(v, pointer_join(pointer, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unknown_pointers(v, pointer_join(pointer, i))]
    return []


def _opaque() -> dict[str, Any]:
    from generator.armtemplate.expand import OPAQUE

    return dict(OPAQUE)


def _scope_text(target: Target) -> Any:
    sid = target.scope_id()
    return sid if isinstance(sid, str) else None


def _json_value(value: Any) -> Any:
    import json

    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
