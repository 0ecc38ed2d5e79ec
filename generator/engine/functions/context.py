"""Functions that read the evaluation context (subscription(), resourceGroup(), requestContext(), policy()) and ipRangeContains()."""

from __future__ import annotations

from typing import Any

from generator.engine.functions.registry import _fn
from generator.engine.values import UNKNOWN, EvaluationError


# ---------------------------------------------------------------------------------------------
# scope: subscription, resource group, request context, policy

@_fn("subscription", 0, scope=True, deep=False)
def _subscription(scope: Any) -> Any:
    return scope.subscription


@_fn("resourceGroup", 0, scope=True, deep=False)
def _resource_group(scope: Any) -> Any:
    rg = scope.resource_group
    if rg is None:
        rid = scope.resource.get("id") if isinstance(scope.resource, dict) else None
        if isinstance(rid, str) and rid.lower().startswith("/subscriptions/"):
            raise EvaluationError("resourceGroup() is not available: the resource is not in a resource group")
        # No id (a planned resource): which group it lands in is not known here.
        scope.note_unknown("resourceGroup() is unknown: the resource has no id naming its resource group "
                           "and no context gives one")
        return UNKNOWN
    return rg


@_fn("requestContext", 0, scope=True, deep=False)
def _request_context(scope: Any) -> Any:
    return scope.request_context


@_fn("policy", 0, scope=True, deep=False)
def _policy(scope: Any) -> Any:
    return scope.policy


def _ip_range(text: Any) -> tuple[int, int, int]:
    import ipaddress

    if not isinstance(text, str) or not text.strip():
        raise EvaluationError(f"ipRangeContains(): {text!r} is not an IP range")
    t = text.strip()
    try:
        if "-" in t:
            lo_s, hi_s = (p.strip() for p in t.split("-", 1))
            lo, hi = ipaddress.ip_address(lo_s), ipaddress.ip_address(hi_s)
            if lo.version != hi.version or int(lo) > int(hi):
                raise ValueError("bad range")
            return lo.version, int(lo), int(hi)
        net = ipaddress.ip_network(t, strict=False)
        return net.version, int(net.network_address), int(net.broadcast_address)
    except ValueError:
        raise EvaluationError(f"ipRangeContains(): {text!r} is not an IP address, CIDR or range") from None


@_fn("ipRangeContains", 2)
def _ip_range_contains(rng: Any, target: Any) -> bool:
    v1, lo1, hi1 = _ip_range(rng)
    v2, lo2, hi2 = _ip_range(target)
    if v1 != v2:
        raise EvaluationError("ipRangeContains(): cannot mix IPv4 and IPv6")
    return lo1 <= lo2 and hi2 <= hi1
