"""The azapi provider's functions (``provider::azapi::NAME``): resource ids built and parsed.

Azure Verified Modules take a ``parent_id`` and derive the resource group and subscription with
``provider::azapi::parse_resource_id``; left unknown, every resource of such a module would be placed
nowhere and its verdicts undetermined. These functions are pure string work, documented with examples
in the provider's docs (docs/functions/*.md of Azure/terraform-provider-azapi); the tests use those
examples. An id whose shape does not match the type is an error, as in the provider (Terraform stops).
"""

from __future__ import annotations

from typing import Any

from generator.terraform import UNKNOWN
from generator.terraform.tfconfig.values import EvalError

_RG_TYPE = "microsoft.resources/resourcegroups"
_SUB_TYPE = "microsoft.resources/subscriptions"


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise EvalError(f"{what} must be a non-empty string")
    return value


def _type_parts(resource_type: Any) -> tuple[str, list[str]]:
    """``Microsoft.Network/virtualNetworks/subnets`` -> (``Microsoft.Network``, [virtualNetworks, subnets])."""
    parts = _string(resource_type, "resource_type").split("/")
    if len(parts) < 2 or any(not p for p in parts):
        raise EvalError(f"resource_type {resource_type!r} is not NAMESPACE/TYPE[/CHILD...]")
    return parts[0], parts[1:]


def _names(resource_names: Any, count: int) -> list[str]:
    if not isinstance(resource_names, list) or not all(isinstance(n, str) and n for n in resource_names):
        raise EvalError("resource_names must be a list of non-empty strings")
    if len(resource_names) != count:
        raise EvalError(f"resource_names holds {len(resource_names)} name(s); the type needs {count}")
    return resource_names


def _path(resource_type: Any, resource_names: Any) -> str:
    namespace, types = _type_parts(resource_type)
    names = _names(resource_names, len(types))
    return f"/providers/{namespace}/" + "/".join(f"{t}/{n}" for t, n in zip(types, names))


def build_resource_id(parent_id: Any, resource_type: Any, name: Any) -> str:
    """``parent_id`` + type + name, as azapi builds a resource's id from its parent."""
    from generator.terraform.mapping import child_id

    parent = _string(parent_id, "parent_id").rstrip("/")
    _type_parts(resource_type)
    return child_id(parent, resource_type, _string(name, "name"))


def resource_group_resource_id(subscription_id: Any, resource_group_name: Any, resource_type: Any,
                               resource_names: Any) -> str:
    """``/subscriptions/S/resourceGroups/G/providers/NS/t1/n1/...``."""
    sub, group = _string(subscription_id, "subscription_id"), _string(resource_group_name, "resource_group_name")
    return f"/subscriptions/{sub}/resourceGroups/{group}" + _path(resource_type, resource_names)


def subscription_resource_id(subscription_id: Any, resource_type: Any, resource_names: Any) -> str:
    """``/subscriptions/S/providers/NS/t1/n1/...`` (a resource group: ``/subscriptions/S/resourceGroups/G``)."""
    sub = _string(subscription_id, "subscription_id")
    if str(resource_type).lower() == _RG_TYPE:
        return f"/subscriptions/{sub}/resourceGroups/{_names(resource_names, 1)[0]}"
    return f"/subscriptions/{sub}" + _path(resource_type, resource_names)


def tenant_resource_id(resource_type: Any, resource_names: Any) -> str:
    """``/providers/NS/t1/n1/...`` (a subscription: ``/subscriptions/S``)."""
    if str(resource_type).lower() == _SUB_TYPE:
        return f"/subscriptions/{_names(resource_names, 1)[0]}"
    return _path(resource_type, resource_names)


def management_group_resource_id(management_group_name: Any, resource_type: Any, resource_names: Any) -> str:
    """``/providers/Microsoft.Management/managementGroups/M/providers/NS/t1/n1/...``."""
    group = _string(management_group_name, "management_group_name")
    return f"/providers/Microsoft.Management/managementGroups/{group}" + _path(resource_type, resource_names)


def extension_resource_id(base_resource_id: Any, resource_type: Any, resource_names: Any) -> str:
    """``BASE/providers/NS/t1/n1/...``: a resource attached to another (a lock, a role assignment)."""
    return _string(base_resource_id, "base_resource_id").rstrip("/") + _path(resource_type, resource_names)


def parse_resource_id(resource_type: Any, resource_id: Any) -> dict[str, Any]:
    """The parts of ``resource_id``, which must be an id of ``resource_type`` (the provider's output object)."""
    rid = _string(resource_id, "resource_id")
    segments = rid.strip("/").split("/")
    if not rid.startswith("/") or len(segments) % 2 or any(not s for s in segments):
        raise EvalError(f"{rid!r} is not a resource id (/key/value pairs)")
    pairs = [(segments[i], segments[i + 1]) for i in range(0, len(segments), 2)]
    wanted = _string(resource_type, "resource_type")
    subscription = pairs[0][1] if pairs[0][0].lower() == "subscriptions" else None
    group = pairs[1][1] if subscription is not None and len(pairs) > 1 and pairs[1][0].lower() == "resourcegroups" \
        else None
    if wanted.lower() == _RG_TYPE:
        if group is None or len(pairs) != 2:
            raise EvalError(f"{rid!r} is not a resource group id")
        namespace = "Microsoft.Resources"
    elif wanted.lower() == _SUB_TYPE:
        if subscription is None or len(pairs) != 1:
            raise EvalError(f"{rid!r} is not a subscription id")
        namespace = "Microsoft.Resources"
    else:
        last = max((i for i, (k, _) in enumerate(pairs) if k.lower() == "providers"), default=None)
        if last is None or last == len(pairs) - 1:
            raise EvalError(f"{rid!r} names no resource of a provider")
        namespace = pairs[last][1]
        actual = "/".join([namespace, *(k for k, _ in pairs[last + 1:])])
        if actual.lower() != wanted.lower():
            raise EvalError(f"{rid!r} is a {actual}, not a {wanted}")
    parent_pairs = pairs[:-1]
    if parent_pairs and parent_pairs[-1][0].lower() == "providers":
        parent_pairs = parent_pairs[:-1]  # a top-level resource: its parent is the scope
    parent = "/" + "/".join(f"{k}/{v}" for k, v in parent_pairs) if parent_pairs else "/"
    return {
        "id": rid,
        "type": wanted,
        "name": pairs[-1][1],
        "parent_id": parent,
        # outside a subscription or resource group the provider gives an empty string or null (not
        # documented): unknown rather than a guess
        "subscription_id": subscription if subscription is not None else UNKNOWN,
        "resource_group_name": group if group is not None else UNKNOWN,
        "provider_namespace": namespace,
        "parts": {k: v for k, v in pairs},
    }


AZAPI_FUNCTIONS = {
    "build_resource_id": build_resource_id,
    "extension_resource_id": extension_resource_id,
    "management_group_resource_id": management_group_resource_id,
    "parse_resource_id": parse_resource_id,
    "resource_group_resource_id": resource_group_resource_id,
    "subscription_resource_id": subscription_resource_id,
    "tenant_resource_id": tenant_resource_id,
}
