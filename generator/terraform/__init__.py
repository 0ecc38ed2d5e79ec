"""Terraform readers (plan JSON, HCL) and the azurerm/azapi -> ARM mapping tables.

Readers produce :class:`TfResource` records; :mod:`generator.terraform.mapping` turns them into the
ARM-shaped dicts that policy aliases read, with ``UNKNOWN`` where Terraform knows a value only after apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.engine.values import UNKNOWN

# Actions a plan can carry for a resource, reduced to what `check` needs.
CHECKED_ACTIONS = ("create", "update")


@dataclass(slots=True)
class TfResource:
    """One Terraform resource instance as read from a plan or from HCL."""

    address: str                      # e.g. module.x.azurerm_cognitive_deployment.d["gpt4o"]
    type: str                         # Terraform type, e.g. azurerm_cognitive_deployment
    name: str                         # Terraform block name
    module: str = ""                  # module address ("" for the root module)
    index: Any = None                 # count index or for_each key
    values: dict[str, Any] = field(default_factory=dict)   # attributes, UNKNOWN where unknown
    action: str = "create"            # create | update | no-op | delete | replace | read
    file: str | None = None
    line: int | None = None
    # attribute -> [(absolute resource address, attribute)], e.g. {"cognitive_account_id":
    # [("azurerm_cognitive_account.acct", "id")]}; used when the attribute itself is unknown.
    refs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # may not be deployed at all (count/for_each known only after apply): a match on it is undetermined
    uncertain: bool = False
    # the subscription of the provider configuration it deploys with, when that configuration names one
    # (`provider = azurerm.hub`); None: the run's subscription
    subscription: str | None = None

    @property
    def config_address(self) -> str:
        """The address without the instance key: the resource block in its module."""
        base = f"{self.type}.{self.name}"
        return f"{self.module}.{base}" if self.module else base


def instance_suffix(index: Any) -> str:
    """Terraform's address suffix for a count index or for_each key."""
    if index is None:
        return ""
    if isinstance(index, bool):  # bools are ints in Python; Terraform never uses them as keys
        return f'["{str(index).lower()}"]'
    if isinstance(index, int):
        return f"[{index}]"
    import json

    return f"[{json.dumps(str(index))}]"


__all__ = ["UNKNOWN", "TfResource", "CHECKED_ACTIONS", "instance_suffix"]
