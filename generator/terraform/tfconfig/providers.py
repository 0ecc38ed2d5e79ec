"""Which subscription each resource's provider configuration deploys to.

A configuration may hold several `azurerm` / `azapi` provider blocks (`alias = "hub"`) for several
subscriptions, and pick one per resource (`provider = azurerm.hub`) or per module call
(`providers = { azurerm = azurerm.hub }`); a child module inherits its caller's default providers.
Placing every resource in the first provider's subscription would read the wrong subscription's tags
(a police subscription's resources checked as if they were in a development one: a silent pass), so
each module instance carries its provider configurations, keyed ``name`` or ``name.alias``.

A configuration without ``subscription_id`` (or whose value is unknown) maps to None: the resource
falls back to the run's subscription (``--subscription-id``, the default provider's, the context's
only one), as before.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lark import Tree

from generator.terraform.tfconfig.parser import Block, subtrees

if TYPE_CHECKING:
    from generator.terraform.tfconfig.modules import ModuleInstance

PROVIDERS = ("azurerm", "azapi")


def traversal_text(expr: Any) -> str | None:
    """``azurerm.hub`` for a provider reference expression, else None."""
    from generator.terraform.tfconfig.references import _static_traversal

    found = _static_traversal(expr) if isinstance(expr, Tree) else None
    return found[0] if found is not None and found[1] else None


def config_key(block: Block) -> str | None:
    """``azurerm`` or ``azurerm.hub`` for a provider block of a provider clausegate places resources with."""
    from generator.terraform.tfconfig.modules import literal_string

    if not block.labels or block.labels[0] not in PROVIDERS:
        return None
    alias = block.body.attributes.get("alias")
    name = literal_string(alias[0]) if alias else None
    if alias and name is None:
        return None  # an alias that is not a plain string: Terraform rejects it
    return f"{block.labels[0]}.{name}" if name else block.labels[0]


def own_configs(inst: ModuleInstance, blocks: list[Block]) -> dict[str, str | None]:
    """The provider configurations declared in a module: key -> subscription id (None when not set)."""
    from generator.terraform.tfconfig.evaluator import Scope

    out: dict[str, str | None] = {}
    for block in blocks:
        key = config_key(block)
        if key is None:
            continue
        sub: str | None = None
        if "subscription_id" in block.body.attributes:
            expr, line = block.body.attributes["subscription_id"]
            value = inst.reader.safe_eval(expr, Scope(inst), block.file, line)
            sub = value if isinstance(value, str) and value else None
        elif "." not in key:
            # as the provider does: ARM_SUBSCRIPTION_ID when the default block does not say
            sub = os.environ.get("ARM_SUBSCRIPTION_ID") or None
        out[key] = sub
    return out


def child_configs(parent: ModuleInstance, call: Block, child_blocks: list[Block],
                  child: ModuleInstance) -> dict[str, str | None]:
    """A module instance's provider configurations: its caller's defaults, the call's ``providers``
    map, then any provider blocks of its own (legacy modules)."""
    out = {k: v for k, v in parent.providers.items() if "." not in k}
    mapping = call.body.attributes.get("providers")
    if mapping is not None:
        for key, target in _provider_map(mapping[0]).items():
            if target in parent.providers:
                out[key] = parent.providers[target]
    out.update(own_configs(child, child_blocks))
    return out


def _provider_map(expr: Any) -> dict[str, str]:
    """``{ azurerm = azurerm.hub, azurerm.spoke = azurerm }`` as {"azurerm": "azurerm.hub", ...}."""
    from generator.terraform.tfconfig.evaluator import _object_elements

    node = expr
    while isinstance(node, Tree) and node.data == "expr_term" and len(subtrees(node)) == 1:
        node = subtrees(node)[0]
    if not (isinstance(node, Tree) and node.data == "object"):
        return {}
    out: dict[str, str] = {}
    for static, key_node, value_node in _object_elements(node):
        key = static or traversal_text(key_node)
        target = traversal_text(value_node)
        if key and target:
            out[key] = target
    return out


def resource_subscription(inst: ModuleInstance, block: Block, tf_type: str) -> str | None:
    """The subscription of the provider configuration ``block`` (a resource) deploys with, if set."""
    chosen = block.body.attributes.get("provider")
    key = traversal_text(chosen[0]) if chosen is not None else tf_type.split("_", 1)[0]
    return inst.providers.get(key) if key else None
