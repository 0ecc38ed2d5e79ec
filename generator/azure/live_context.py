"""``check --from-azure``: the live facts a policy reads, for the scopes a plan targets.

For every subscription the plan's resources land in: its tags and display name (SubscriptionClient),
the policy assignments in force there (``$filter=atScope()``: the subscription's own and those
inherited from management groups) and the exemptions in force there. For every existing resource
group: its tags and location (ResourceManagementClient) and the assignments and exemptions in force
at it. A resource group the plan creates does not exist yet (404) and is not an error.

Each scope's answer is cached on disk for ``ttl`` seconds (cache.py), so a second check within the
time limit sends no request. A 403 names the scope and the role to ask for (Reader).
"""

from __future__ import annotations

import copy
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from generator.azure.cache import DEFAULT_TTL, JsonCache
from generator.errors import InputError, RemoteError
from generator.ids import is_guid

_ID_RE = re.compile(r"^/subscriptions/([^/]+)(?:/resourcegroups/([^/]+))?", re.IGNORECASE)
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def target_scopes(resource_ids: Iterable[str | None]) -> tuple[list[str], list[tuple[str, str]]]:
    """Distinct subscription ids and (subscription id, resource group) pairs the ids fall in, in order."""
    subs: dict[str, str] = {}
    rgs: dict[tuple[str, str], tuple[str, str]] = {}
    for rid in resource_ids:
        if not rid:
            continue
        m = _ID_RE.match(rid)
        if not m:
            continue
        sub, rg = m.group(1), m.group(2)
        if sub == PLACEHOLDER_SUBSCRIPTION or not is_guid(sub):
            continue  # unknown or templated subscription: nothing to read
        subs.setdefault(sub.lower(), sub)
        if rg and not rg.startswith(("[", "${")):
            rgs.setdefault((sub.lower(), rg.lower()), (sub, rg))
    return list(subs.values()), list(rgs.values())


@dataclass
class LiveContext:
    """What was read: subscription and resource-group facts, assignments, exemptions, and the cost."""

    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)   # subscription id -> entry
    resource_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # "sub/rg" -> entry
    assignments: list[Any] = field(default_factory=list)                      # engine Assignment objects
    exemptions: list[Any] = field(default_factory=list)                       # engine Exemption objects
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    scopes: list[str] = field(default_factory=list)

    def merged_context(self, base: Any = None) -> Any:
        """``base`` (a Context) with the live subscription and resource-group entries; Azure's values win."""
        from generator.context import Context

        subs: dict[str, Any] = {}
        rgs: dict[str, Any] = {}
        if base is not None:
            subs.update({k: dict(v) for k, v in base.subscriptions.items()})
            rgs.update({k: dict(v) for k, v in base.resource_groups.items()})
        for key, entry in self.subscriptions.items():
            old = subs.get(key.lower(), {})
            subs[key.lower()] = {**old, **entry, "tags": {**(old.get("tags") or {}), **entry["tags"]}}
        for key, entry in self.resource_groups.items():
            old = rgs.get(key.lower(), {})
            rgs[key.lower()] = {**old, **entry, "tags": {**(old.get("tags") or {}), **entry["tags"]}}
        ctx = Context(None, None, source=getattr(base, "source", None))
        ctx.subscriptions = subs
        ctx.resource_groups = rgs
        return ctx

    def relevant(self, library: Any) -> tuple[list[Any], list[Any], list[str]]:
        """Assignments of policies the library holds, their exemptions, and notes on what was left out."""
        keep, other = [], []
        for a in self.assignments:
            found = library.find_set(a.policy_definition_id) or library.find_definition(a.policy_definition_id)
            (keep if found is not None else other).append(a)
        exemptions = [ex for ex in self.exemptions if any(ex.names_assignment(a) for a in keep)]
        notes: list[str] = []
        if other:
            names = ", ".join(sorted({a.name for a in other})[:5])
            notes.append(f"{len(other)} other assignment(s) in force at {', '.join(self.scopes)} assign policies "
                         f"this check was not given ({names}{', ...' if len(other) > 5 else ''}); not evaluated")
        if not keep and self.scopes:
            notes.append(f"no assignment of these policies is in force at {', '.join(self.scopes)}: Azure would "
                         f"not enforce them there today; evaluated as if assigned with default parameters")
        return keep, exemptions, notes


def _scope_name(sub: str, rg: str | None = None) -> str:
    return f"/subscriptions/{sub}" + (f"/resourceGroups/{rg}" if rg else "")


class _Reader:
    """Clients per subscription, created on first use, with one request counter for the run."""

    def __init__(self, settings: Any, debug: bool) -> None:
        from generator.azure.arm_read import read_error
        from generator.azure.clients import RequestStats
        from generator.azure.credentials import make_credential

        self.settings = settings
        self.debug = debug
        self.stats = RequestStats()
        self.credential = make_credential(settings)
        self.describe = read_error(settings)
        self._clients: list[Any] = []
        self._subscription_client: Any = None
        self._policy: dict[str, Any] = {}
        self._resources: dict[str, Any] = {}

    def _kwargs(self) -> dict[str, Any]:
        from generator.azure.arm_read import client_kwargs

        return client_kwargs(self.settings, self.stats, debug=self.debug)

    def subscriptions(self) -> Any:
        if self._subscription_client is None:
            from azure.mgmt.resource.subscriptions import SubscriptionClient

            self._subscription_client = SubscriptionClient(self.credential, **self._kwargs())
            self._clients.append(self._subscription_client)
        return self._subscription_client

    def policy(self, sub: str) -> Any:
        if sub not in self._policy:
            from azure.mgmt.resource.policy import PolicyClient

            self._policy[sub] = PolicyClient(self.credential, sub, **self._kwargs())
            self._clients.append(self._policy[sub])
        return self._policy[sub]

    def resources(self, sub: str) -> Any:
        if sub not in self._resources:
            from azure.mgmt.resource.resources import ResourceManagementClient

            self._resources[sub] = ResourceManagementClient(self.credential, sub, **self._kwargs())
            self._clients.append(self._resources[sub])
        return self._resources[sub]

    def close(self) -> None:
        for c in self._clients:
            c.close()
        close = getattr(self.credential, "close", None)
        if callable(close):
            close()

    # reads --------------------------------------------------------------------------------------
    def exemptions(self, sub: str, scope: str) -> list[dict[str, Any]]:
        from generator.azure.arm_read import EXEMPTION_API_VERSION, ArmReader

        query = "$filter=" + urllib.parse.quote("atScope()")
        return ArmReader(self.policy(sub), self.settings).list(
            f"{scope}/providers/Microsoft.Authorization/policyExemptions", EXEMPTION_API_VERSION, query)

    def read_subscription(self, sub: str) -> dict[str, Any]:
        from azure.core.exceptions import HttpResponseError

        from generator.azure.arm_read import collect_pages, plain

        scope = _scope_name(sub)
        try:
            doc = plain(self.subscriptions().subscriptions.get(sub))
        except HttpResponseError as exc:
            if exc.status_code == 404:
                raise RemoteError(f"subscription {sub} was not found, or the signed-in identity cannot see it",
                                  hint=f"check the subscription id, and that the identity has Reader on {scope}") from None
            raise self.describe(exc, "the subscription's tags", scope) from None
        except Exception as exc:
            raise self.describe(exc, "the subscription's tags", scope) from None
        try:
            assignments = [plain(a) for a in collect_pages(self.policy(sub).policy_assignments.list(filter="atScope()"),
                                                            f"list policy assignments at {scope}",
                                                            self.settings.arm_endpoint)]
        except Exception as exc:
            raise self.describe(exc, "policy assignments", scope) from None
        _check_answer(doc, assignments, exemptions=None, what=f"the subscription {scope}")
        try:
            exemptions = self.exemptions(sub, scope)
        except Exception as exc:
            raise self.describe(exc, "policy exemptions", scope) from None
        return {
            "subscription": {"displayName": doc.get("displayName") or sub, "tenantId": doc.get("tenantId"),
                             "tags": dict(doc.get("tags") or {}), "state": doc.get("state")},
            "assignments": assignments,
            "exemptions": exemptions,
        }

    def read_resource_group(self, sub: str, rg: str) -> dict[str, Any]:
        from azure.core.exceptions import HttpResponseError

        from generator.azure.arm_read import collect_pages, plain

        scope = _scope_name(sub, rg)
        try:
            doc = plain(self.resources(sub).resource_groups.get(rg))
        except HttpResponseError as exc:
            if exc.status_code == 404:
                return {"resourceGroup": None, "assignments": [], "exemptions": []}  # the plan creates it
            raise self.describe(exc, "the resource group's tags", scope) from None
        except Exception as exc:
            raise self.describe(exc, "the resource group's tags", scope) from None
        try:
            assignments = [plain(a) for a in collect_pages(
                self.policy(sub).policy_assignments.list_for_resource_group(rg, filter="atScope()"),
                f"list policy assignments at {scope}", self.settings.arm_endpoint)]
            exemptions = self.exemptions(sub, scope)
        except Exception as exc:
            raise self.describe(exc, "policy assignments and exemptions", scope) from None
        _check_answer(doc, assignments, exemptions, what=f"the resource group {scope}")
        return {
            "resourceGroup": {"location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
                              "managedBy": doc.get("managedBy")},
            "assignments": assignments,
            "exemptions": exemptions,
        }


def _check_answer(doc: Any, assignments: list[Any], exemptions: list[Any] | None, what: str) -> None:
    """Azure's answers in the shapes the rest relies on (tags an object of text, items objects), else exit 3."""
    from generator.azure.arm_read import malformed

    if not isinstance(doc, dict):
        raise malformed(f"GET {what}", f"expected an object, got {type(doc).__name__}")
    tags = doc.get("tags")
    if tags is not None and (not isinstance(tags, dict) or any(isinstance(v, (dict, list)) for v in tags.values())):
        raise malformed(f"GET {what}", "'tags' is not an object of text values")
    for i, item in enumerate(assignments + list(exemptions or [])):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise malformed(f"the policy assignments and exemptions of {what}", f"item {i} is not an object with an id")


def load_live_context(
    resource_ids: Iterable[str | None],
    *,
    cloud: str | None = None,
    tenant: str | None = None,
    cache_dir: str | None = None,
    ttl: float = DEFAULT_TTL,
    debug: bool = False,
) -> LiveContext:
    """Read tags, assignments and exemptions for the scopes of ``resource_ids`` (cached for ``ttl`` seconds)."""
    from generator.azure.settings import resolve_settings

    settings = resolve_settings(cloud, tenant)
    subs, rgs = target_scopes(resource_ids)
    live = LiveContext()
    live.scopes = [_scope_name(s) for s in subs]
    if not subs:
        live.warnings.append("--from-azure: the resources name no subscription (give --subscription-id, or set "
                             "subscription_id in the azurerm provider block); nothing was read from Azure")
        return live
    cache = JsonCache(cache_dir, ttl, f"{settings.arm_endpoint.lower()}|{(tenant or '').lower()}")
    reader: _Reader | None = None

    def fetch(key: str, read: Any) -> dict[str, Any]:
        nonlocal reader
        data = cache.get(key)
        if data is None:
            if reader is None:
                reader = _Reader(settings, debug)
            data = read(reader)
            cache.put(key, data)
        return data  # type: ignore[no-any-return]

    per_sub: dict[str, dict[str, Any]] = {}
    per_rg: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        for sub in subs:
            per_sub[sub] = fetch(f"sub|{sub.lower()}", lambda r, s=sub: r.read_subscription(s))
        for sub, rg in rgs:
            per_rg[(sub, rg)] = fetch(f"rg|{sub.lower()}/{rg.lower()}",
                                      lambda r, s=sub, g=rg: r.read_resource_group(s, g))
    finally:
        if reader is not None:
            live.requests = reader.stats.requests
            reader.close()
    live.cache_hits, live.cache_misses = cache.hits, cache.misses
    _build(live, subs, per_sub, per_rg)
    return live


def _build(live: LiveContext, subs: list[str], per_sub: dict[str, dict[str, Any]],
           per_rg: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Turn the raw answers into context entries and engine assignments/exemptions."""
    from generator.engine.assignments import parse_assignment, parse_exemption

    for sub, data in per_sub.items():
        entry = dict(data["subscription"])
        entry["tags"] = {str(k): str(v) for k, v in (entry.get("tags") or {}).items()}
        entry = {k: v for k, v in entry.items() if v is not None}
        live.subscriptions[sub] = entry
    for (sub, rg), data in per_rg.items():
        if data.get("resourceGroup") is not None:
            entry = {k: v for k, v in data["resourceGroup"].items() if v is not None}
            entry["tags"] = {str(k): str(v) for k, v in (entry.get("tags") or {}).items()}
            live.resource_groups[f"{sub}/{rg}"] = entry

    # Which subscriptions list each assignment: a management-group assignment read for one
    # subscription must not apply to another subscription of the plan outside that group.
    raw_assignments: dict[str, dict[str, Any]] = {}
    listed_in: dict[str, set[str]] = {}
    raw_exemptions: dict[tuple[str, str], dict[str, Any]] = {}
    for (sub, data) in [(s, per_sub[s]) for s in subs] + [(k[0], v) for k, v in per_rg.items()]:
        for raw in data.get("assignments") or []:
            key = str(raw.get("id", "")).lower()
            raw_assignments.setdefault(key, raw)
            listed_in.setdefault(key, set()).add(sub.lower())
        for raw in data.get("exemptions") or []:
            raw_exemptions.setdefault((str(raw.get("id", "")).lower(), sub.lower()), raw)

    for key, raw in raw_assignments.items():
        doc = copy.deepcopy(raw)
        props = doc.get("properties") if isinstance(doc.get("properties"), dict) else doc
        scope = str(props.get("scope") or key.split("/providers/microsoft.authorization/")[0]).lower()
        if scope.startswith(_MG_PREFIX):
            # Resource ids do not show their management group: the subscriptions of the plan whose
            # listing lacks this assignment are outside that group, so they become notScopes.
            outside = [_scope_name(sub) for sub in subs if sub.lower() not in listed_in[key]]
            props["notScopes"] = list(props.get("notScopes") or []) + outside
        try:
            live.assignments.append(parse_assignment(doc))
        except InputError as exc:
            live.warnings.append(f"assignment {raw.get('id')} read from Azure was skipped: {exc.message}")
    for (key, sub), raw in raw_exemptions.items():
        doc = copy.deepcopy(raw)
        props = doc.get("properties") if isinstance(doc.get("properties"), dict) else doc
        if key.startswith(_MG_PREFIX):
            # Pin a management-group exemption to the subscription it was read for (atScope() listed
            # it there, so it applies there); resource ids do not show their management group.
            props["scope"] = _scope_name(sub)
        try:
            live.exemptions.append(parse_exemption(doc))
        except InputError as exc:
            live.warnings.append(f"exemption {raw.get('id')} read from Azure was skipped: {exc.message}")
    # One exemption read at several scopes is one exemption unless it was pinned per subscription.
    seen: set[tuple[str, str]] = set()
    unique = []
    for ex in live.exemptions:
        k = (ex.name.lower() + "|" + ex.assignment_id.lower(), (ex.scope or "").lower())
        if k not in seen:
            seen.add(k)
            unique.append(ex)
    live.exemptions = unique
