"""`check` input from an ARM template file: expanded resources as items, with the deployment's scope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.armtemplate import DEFAULT_RESOURCE_GROUP, PLACEHOLDER_SUBSCRIPTION, read_template_file

__all__ = ["read_template_input"]


def read_template_input(path: str, input_cls: Any, item_cls: Any, *, subscription_id: str | None,
                        template_parameters: Iterable[str], resource_group: str | None, context: Any) -> Any:
    """The `check` Input (generator.terraform.check.Input) for the template in ``path``."""
    from generator.terraform.check import _add_resource_group

    expansion, run = read_template_file(path, list(template_parameters), subscription_id=subscription_id,
                                        resource_group=resource_group, context=context)
    out = input_cls("arm", read=len(expansion.resources))
    out.subscription_id = subscription_id
    for r in expansion.resources:
        out.items.append(item_cls(r.resource, r.address, r.file, r.line, "create", r.scope_id, r.uncertain))
    for rg, sub, address in expansion.resource_groups:
        _add_resource_group(out, rg, sub if isinstance(sub, str) else None, address)
    out.warnings.extend(run.warnings)
    placed = [r for r in expansion.resources
              if DEFAULT_RESOURCE_GROUP in str(r.scope_id or "")]
    if placed and run.used_placeholder_resource_group:
        out.warnings.append(
            f"the template deploys to a resource group it does not name: shown as '{DEFAULT_RESOURCE_GROUP}' "
            f"(give --resource-group NAME, and its tags in --context under resourceGroups.NAME)")
    if run.used_placeholder_subscription or (subscription_id is None and expansion.resources):
        out.warnings.append(f"subscription id unknown: ARM ids use {PLACEHOLDER_SUBSCRIPTION} (give --subscription-id)")
    return out
