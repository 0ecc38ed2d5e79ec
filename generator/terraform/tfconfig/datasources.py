"""What a data source gives that is decided by the configuration, not by Azure.

Terraform reads data sources while planning. Most of what they read (a resource group's tags and
location) is Azure's and unknown here. Some attributes are fixed by the configuration alone: a
resource group looked up by name has the id ``/subscriptions/<its provider's subscription>/
resourceGroups/<name>``, and the client configuration's subscription is its provider's. Azure Verified
Modules and their examples pass ``parent_id = data.azurerm_resource_group.x.id``; left unknown, every
resource below would be placed nowhere and its verdicts undetermined.

The subscription is the data source's provider configuration's (``subscription_id``, or
``ARM_SUBSCRIPTION_ID``), else the run's, exactly as a resource with ``resource_group_name = "..."`` is
placed; with no subscription known at all, the placeholder id `check` already uses (and says so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from generator.terraform import UNKNOWN

if TYPE_CHECKING:
    from generator.terraform.tfconfig.modules import ModuleInstance
    from generator.terraform.tfconfig.parser import Block


def _subscription(module: ModuleInstance, block: Block) -> str:
    from generator.terraform.mapping import PLACEHOLDER_SUBSCRIPTION
    from generator.terraform.tfconfig.providers import resource_subscription

    sub = resource_subscription(module, block, block.labels[0]) or module.reader.run_subscription
    if sub:
        return sub
    module.reader.used_placeholder = True
    return PLACEHOLDER_SUBSCRIPTION


def data_source_fact(module: ModuleInstance, block: Block, name: str, configured: Callable[[str], Any]) -> Any:
    """``data.TYPE.NAME.<name>`` when the configuration alone decides it, else UNKNOWN."""
    tf_type = block.labels[0] if block.labels else ""
    if tf_type == "azurerm_resource_group" and name == "id":
        group = configured("name")
        if isinstance(group, str) and group:
            return f"/subscriptions/{_subscription(module, block)}/resourceGroups/{group}"
    elif tf_type in ("azurerm_client_config", "azapi_client_config") and name == "subscription_id":
        return _subscription(module, block)
    elif tf_type == "azurerm_subscription" and name == "subscription_id":
        return _subscription(module, block)  # the argument when set is the caller's: here, the provider's
    elif tf_type == "azurerm_subscription" and name == "id":
        sub = configured("subscription_id")
        if isinstance(sub, str) and sub:
            return f"/subscriptions/{sub}"
    return UNKNOWN
