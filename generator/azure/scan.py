"""``clausegate scan``: evaluate existing Azure resources against the policies, tenant-wide if need be.

Cost model: a handful of Azure Resource Graph queries, whatever the number of subscriptions
(1,000 rows a page, ``$skipToken`` paging, explicit subscription lists sent in batches of 1,000):

1. ``resourcecontainers``: the subscriptions in scope, with tags and management-group chain;
2. ``policyresources``: policy assignments and exemptions (tenant-wide, so management-group
   assignments above a subscription are seen);
3. ``resources``: the restricted top-level types the policies name (accounts, workspaces ...);
4. ``resourcecontainers``: the resource groups of the subscriptions holding such resources.

Resource Graph does not index ``Microsoft.CognitiveServices/accounts/deployments`` (its table
reference lists ``microsoft.cognitiveservices/accounts`` but no deployments), so child types are
listed per parent through Resource Manager with bounded concurrency, and only under parents where
some child could match: a probe child whose every property is unknown is evaluated first, and when
no policy can match it (e.g. the subscription is not law enforcement), the parent is not listed.

Failures never lose what was read: a page or a listing that fails after retries (429 is retried
after Retry-After by the client) is recorded in ``incomplete`` and the run exits 3 after reporting.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.azure.graph_read import (  # noqa: F401  (GRAPH_PAGE_SIZE, SUBSCRIPTION_BATCH: re-exported)
    GRAPH_PAGE_SIZE,
    SUBSCRIPTION_BATCH,
    _fatal,
    _Graph,
    _Rows,
)
from generator.errors import InputError
from generator.ids import is_guid

DEFAULT_CONCURRENCY = 8           # parallel Resource Manager listings of child resources
# Child types Resource Graph indexes (none of the restricted ones today); the rest are listed via ARM.
GRAPH_INDEXED_CHILD_TYPES: frozenset[str] = frozenset()
# api-version per child collection, keyed by the lower-case child type.
CHILD_API_VERSIONS = {
    "microsoft.cognitiveservices/accounts/deployments": "2024-10-01",
    "microsoft.cognitiveservices/accounts/projects": "2025-06-01",
    "microsoft.machinelearningservices/workspaces/connections": "2024-04-01",
    "microsoft.machinelearningservices/workspaces/connections/deployments": "2024-04-01-preview",
    "microsoft.machinelearningservices/workspaces/endpoints": "2024-04-01-preview",
    "microsoft.machinelearningservices/workspaces/endpoints/deployments": "2024-04-01-preview",
    # The other model-deployment routes of the shipped pack (generator/pack/catalog.py MODEL_ROUTES).
    "microsoft.cognitiveservices/accounts/managedcomputedeployments": "2026-07-15-preview",
    "microsoft.machinelearningservices/workspaces/onlineendpoints": "2024-10-01",
    "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments": "2024-10-01",
    "microsoft.machinelearningservices/workspaces/batchendpoints": "2024-10-01",
    "microsoft.machinelearningservices/workspaces/batchendpoints/deployments": "2024-10-01",
    "microsoft.machinelearningservices/workspaces/serverlessendpoints": "2024-10-01",
    "microsoft.machinelearningservices/workspaces/marketplacesubscriptions": "2024-10-01",
}
DEFAULT_LE_PATTERN = (r"police|law[-_ ]?enforcement|sheriff|constabular|\bcops?\b|\bpd\b|(?<![a-z])le(?![a-z])"
                      r"|justice|patrol")
DEFAULT_SECTOR_TAG = "sector"
DEFAULT_LE_VALUES = ("law-enforcement", "police")

_SUBS_QUERY = ("resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
               "| project id, name, subscriptionId, tenantId, tags, properties")
_POLICY_QUERY = ("policyresources | where type in~ ('microsoft.authorization/policyassignments', "
                 "'microsoft.authorization/policyexemptions') | project id, name, type, properties")
_RGS_QUERY = ("resourcecontainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups' "
              "| project id, name, location, tags, subscriptionId")
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"
_MG_ID_RE = re.compile(r"/providers/Microsoft\.Management/managementGroups/([^/]+)/?", re.IGNORECASE)
_MG_NAME_RE = re.compile(r"[A-Za-z0-9_.()-]{1,90}")
# A resource id inside a subscription, as scan evaluates and lists under it (no query, fragment or "..").
_ID_UNDER_SUB = re.compile(r"^/subscriptions/[^/?#]+/resourceGroups/[^/?#]+/providers/[^?#]+$", re.IGNORECASE)
# A resource type as Resource Graph queries get it (quoted in KQL): namespace/type[/child...].
_TYPE_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)+")


def parse_management_group(text: str) -> str:
    """A management group's name from its name or ARM id; anything else is bad input (exit 2)."""
    text = text.strip()
    m = _MG_ID_RE.fullmatch(text)
    name = m.group(1) if m else (text if not text.startswith("/") else "")
    if not _MG_NAME_RE.fullmatch(name):
        raise InputError(f"--management-group {text!r} is neither a management group name nor "
                         f"/providers/Microsoft.Management/managementGroups/NAME")
    return name


# --------------------------------------------------------------------------------------------------
# what to scan: the library and the types its policies name


@dataclass
class ScanPolicies:
    """The compiled library, the raw rules (to find the types they restrict), and a label."""

    library: Any
    rules: list[Any]
    label: str


def load_scan_policies(pack: str | None, policies: Iterable[str]) -> ScanPolicies:
    """The pack's bundle (default: the shipped pack) or policy files, compiled and raw."""
    from generator.engine.evaluator import PolicyLibrary, load_policy_files
    from generator.safeload import load_json

    paths = list(policies)
    if paths:
        library = load_policy_files(paths)
        rules: list[Any] = []
        for raw in paths:
            p = Path(raw)
            files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
            for f in files:
                try:
                    rules.append(load_json(f))
                except InputError:
                    continue  # the library already reports it as invalid
        return ScanPolicies(library, rules, ", ".join(paths))
    from generator.engine.policies import compile_definition
    from generator.engine.sets import compile_set
    from generator.pack import load_pack
    from generator.targets.policy_json import build_bundle
    from generator.terraform.check import DEFAULT_PACK

    name = pack or DEFAULT_PACK
    bundle = build_bundle(load_pack(name))
    label = f"(pack {name})"
    library = PolicyLibrary()
    for doc in bundle.definitions:  # built in memory: `definitionFile` is null (CONTRACTS)
        library.add_definition(compile_definition(doc, file=None))
    library.add_set(compile_set(bundle.policy_set, library.find_definition, file=None))
    return ScanPolicies(library, [*bundle.definitions, bundle.policy_set], label)


def restricted_types(rules: Iterable[Any]) -> tuple[list[str], list[str]]:
    """Resource types the rules compare ``type`` with (equals / in), and notes on rules that name none."""
    found: dict[str, str] = {}
    notes: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("field", "")).lower() == "type":
                for op in ("equals", "in"):
                    if op in node:
                        values = node[op] if isinstance(node[op], list) else [node[op]]
                        for v in values:
                            if isinstance(v, str) and "/" in v and not v.startswith("["):
                                found.setdefault(v.lower(), v)
                for op in ("like", "match", "notEquals", "notIn", "notLike"):
                    if op in node:
                        notes.append(f"a rule compares type with {op} {node[op]!r}; scan covers only types named "
                                     f"with equals/in (add more with --type)")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for rule in rules:
        walk(rule)
    return sorted(found.values(), key=str.lower), list(dict.fromkeys(notes))


def _parent_type(rtype: str) -> str:
    return rtype.rsplit("/", 1)[0]


# --------------------------------------------------------------------------------------------------
# results


@dataclass
class ScanResult:
    """The CONTRACTS report plus what the scan found about subscriptions and what is missing."""

    report: dict[str, Any]
    incomplete: list[str] = field(default_factory=list)
    requests: int = 0
    graph_pages: int = 0
    arm_listings: int = 0
    stats: Any = None

    @property
    def exit_code(self) -> int:
        """CONTRACTS exit code: the report's, raised to 3 when results are incomplete."""
        from generator.report import exit_code

        code = exit_code(self.report)
        return max(code, 3) if self.incomplete else code


def _le_values(library: Any) -> tuple[str, set[str]]:
    """The sector tag name and law-enforcement values from the sets' parameter defaults (else the pack's)."""
    tag, values = DEFAULT_SECTOR_TAG, set(DEFAULT_LE_VALUES)
    for s in library.sets:
        params = {k.lower(): v for k, v in s.parameters.items()}
        p = params.get("sectortagname")
        if p is not None and p.has_default and isinstance(p.default, str):
            tag = p.default
        p = params.get("lawenforcementvalues")
        if p is not None and p.has_default and isinstance(p.default, list):
            values = {str(v) for v in p.default}
    return tag, {v.lower() for v in values}


def _assigned_le_values(assignments: list[Any], tag: str, values: set[str]) -> tuple[str, set[str], bool]:
    """Sector tag name, law-enforcement values and the whole-scope flag as the assignments in force set them.

    An assignment may rename the tag (``sectorTagName``), change the values or mark its whole scope as
    law enforcement (``treatScopeAsLawEnforcement``); the defaults of the set apply otherwise.
    """
    whole_scope = False
    for a in assignments:
        params = {str(k).lower(): (v.get("value") if isinstance(v, dict) and "value" in v else v)
                  for k, v in (a.parameters or {}).items()}
        if isinstance(params.get("sectortagname"), str):
            tag = params["sectortagname"]
        if isinstance(params.get("lawenforcementvalues"), list):
            values = {str(v).lower() for v in params["lawenforcementvalues"]}
        if params.get("treatscopeaslawenforcement") is True:
            whole_scope = True
    return tag, values, whole_scope


def _tag(tags: Any, name: str) -> str | None:
    for k, v in (tags or {}).items():
        if str(k).lower() == name.lower():
            return str(v)
    return None


def _probe(parent_id: str, child_type: str, parent_type: str) -> dict[str, Any]:
    """A child of ``parent_id`` of ``child_type`` whose every property is unknown."""
    from generator.engine.values import UNKNOWN

    segments = child_type.split("/")[len(parent_type.split("/")):]
    rid = parent_id + "".join(f"/{s}/(any)" for s in segments)
    return {"id": rid, "type": child_type, "name": UNKNOWN, "kind": UNKNOWN, "location": UNKNOWN, "tags": UNKNOWN,
            "sku": UNKNOWN, "properties": UNKNOWN, "identity": UNKNOWN}


def run_scan(
    policies: ScanPolicies,
    *,
    management_group: str | None = None,
    subscriptions: Iterable[str] = (),
    tenant_wide: bool = False,
    cloud: str | None = None,
    tenant: str | None = None,
    fail_on: Iterable[str] = (),
    show_all: bool = False,
    extra_types: Iterable[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    le_pattern: str | None = None,
    list_every_parent: bool = False,
    retry_total: int = 6,
    retry_backoff: float = 0.8,
    progress: Callable[[str], None] | None = None,
    debug: bool = False,
    local_exemptions: Iterable[dict[str, Any]] = (),
) -> ScanResult:
    """Scan a management group, subscriptions or the tenant; evaluate with the engine; build the report.

    ``local_exemptions`` (exemption documents from files, e.g. `clausegate exempt`) count as if Azure held them.
    """
    from generator.azure.arm_read import read_error
    from generator.azure.clients import RequestStats
    from generator.azure.credentials import install_log_redaction, make_credential
    from generator.azure.settings import resolve_settings

    subs_given = [s.strip() for s in subscriptions if s.strip()]
    modes = sum([bool(management_group), bool(subs_given), bool(tenant_wide)])
    if modes != 1:
        raise InputError("give exactly one of --management-group, --subscription (repeatable) or --tenant-wide")
    for s in subs_given:
        if not is_guid(s):
            raise InputError(f"--subscription {s!r} is not a subscription id (a GUID such as "
                             f"00000000-0000-0000-0000-000000000000)")
    mg_name = parse_management_group(management_group) if management_group else None
    for t in extra_types:
        if not _TYPE_RE.fullmatch(t):
            raise InputError(f"--type {t!r} is not a resource type (e.g. Microsoft.CognitiveServices/accounts)")
    try:
        pattern = re.compile(le_pattern or DEFAULT_LE_PATTERN, re.IGNORECASE)
    except re.error as exc:
        raise InputError(f"--law-enforcement-pattern is not a regular expression: {exc}") from None
    types, type_notes = restricted_types(policies.rules)
    odd = [t for t in types if not _TYPE_RE.fullmatch(t)]
    if odd:  # never quote a malformed value into a Resource Graph query
        type_notes.append(f"not scanned: {', '.join(repr(t) for t in odd)} (not a resource type)")
    types = list(dict.fromkeys([*(t for t in types if t not in odd), *extra_types]))
    if not types:
        raise InputError(f"the policies ({policies.label}) name no resource type to scan for; give --type")
    install_log_redaction()
    settings = resolve_settings(cloud, tenant)
    stats = RequestStats()
    credential = make_credential(settings)
    describe = read_error(settings, advice="or scan a narrower scope it can read", above=False)
    incomplete: list[str] = []
    kwargs = _kwargs(settings, stats, debug, retry_total, retry_backoff)
    from azure.mgmt.resourcegraph import ResourceGraphClient

    graph_client = ResourceGraphClient(credential, **kwargs)
    graph = _Graph(graph_client, describe, incomplete, progress)
    if mg_name:
        scope = {"management_groups": [mg_name], "scope_text": f"management group {mg_name}"}
    elif subs_given:
        scope = {"subscriptions": subs_given, "scope_text": f"{len(subs_given)} subscription(s)"}
    else:
        scope = {"scope_text": "the tenant"}
    arm_client = None
    try:
        # 1. subscriptions
        subs: dict[str, dict[str, Any]] = {}
        for row in _Rows("subscriptions", ("subscriptionId",), incomplete).keep(
                graph.rows(_SUBS_QUERY, "subscriptions", **scope)):  # type: ignore[arg-type]
            sid = str(row.get("subscriptionId") or "").lower()
            if sid:
                subs[sid] = row
        warnings: list[str] = list(type_notes)
        if subs_given:
            missing = [s for s in subs_given if s.lower() not in subs]
            if missing and not incomplete:
                warnings.append(f"{len(missing)} subscription(s) given were not visible to Resource Graph "
                                f"(wrong id, or no Reader): {', '.join(missing[:5])}"
                                f"{' ...' if len(missing) > 5 else ''}")
        # No subscription read: there is nothing to evaluate, and the other queries (each retried on
        # failure) would only cost time.
        nothing = not subs
        if nothing and incomplete:
            incomplete.append("policy assignments, resources and resource groups were not read: no subscription "
                              "could be read")
        elif nothing and not subs_given:  # (a --subscription list has its own warning above)
            warnings.append(f"no subscription found in {scope['scope_text']} (wrong name or id, or the signed-in "
                            f"identity lacks Reader there); nothing was scanned")
        # 2. assignments and exemptions (tenant-wide: management-group assignments are above the scope)
        assignments_raw: list[dict[str, Any]] = []
        exemptions_raw: list[dict[str, Any]] = []
        for row in () if nothing else _Rows("policy assignments and exemptions", ("id", "type"), incomplete).keep(
                graph.rows(_POLICY_QUERY, "policy assignments and exemptions", scope_text="the tenant")):
            t = str(row.get("type", "")).lower()
            (assignments_raw if t.endswith("policyassignments") else exemptions_raw).append(row)
        exemptions_raw.extend(local_exemptions)
        # 3. restricted top-level resources (and the parents of child types)
        graph_types = sorted({t.lower() for t in types if t.count("/") == 1 or t.lower() in GRAPH_INDEXED_CHILD_TYPES}
                             | {_root_type(t).lower() for t in types})
        canonical = {t.lower(): t for t in [*types, *(_root_type(t) for t in types)]}
        type_list = ", ".join(f"'{t}'" for t in graph_types)
        res_query = (f"resources | where type in~ ({type_list}) | project id, name, type, kind, location, tags, sku, "
                     f"identity, properties, subscriptionId, resourceGroup")
        resources: list[dict[str, Any]] = []
        unplaced = 0
        for row in () if nothing else _Rows("resources", ("id", "type", "subscriptionId"), incomplete).keep(
                graph.rows(res_query, "resources", **scope)):  # type: ignore[arg-type]
            if not _ID_UNDER_SUB.match(row["id"]) or row["id"].split("/")[2].lower() != row["subscriptionId"].lower() \
                    or any(seg in (".", "..") for seg in row["id"].split("/")):
                incomplete.append(f"resources: a row's id {row['id'][:120]!r} is not a resource id in subscription "
                                  f"{row['subscriptionId'][:40]!r}; left out")
                continue
            if str(row.get("subscriptionId", "")).lower() in subs:
                resources.append(_arm_shape(row, canonical))
            else:
                unplaced += 1  # its subscription's tags were not read: evaluating it would guess
        if unplaced:
            incomplete.append(f"{unplaced} resource(s) in subscriptions whose tags could not be read were not "
                              f"evaluated")
        # 4. resource groups holding them
        holding = sorted({str(r["id"]).split("/")[2].lower() for r in resources})
        rgs: dict[str, dict[str, Any]] = {}
        if holding:
            for row in _Rows("resource groups", ("subscriptionId", "name"), incomplete).keep(
                    graph.rows(_RGS_QUERY, "resource groups", subscriptions=holding,
                               scope_text=f"{len(holding)} subscription(s)")):
                rgs[f"{row.get('subscriptionId')}/{row.get('name')}".lower()] = row

        scanner = _Evaluation(policies.library, subs, rgs, assignments_raw, exemptions_raw, fail_on)
        # 5. child types through Resource Manager, under parents where a child could match
        children, listed, skipped = [], 0, 0
        child_types = [t for t in types if t.count("/") >= 2 and t.lower() not in GRAPH_INDEXED_CHILD_TYPES]
        if child_types:
            from azure.mgmt.resource.resources import ResourceManagementClient

            from generator.azure.arm_read import ArmReader
            from generator.azure.clients import NO_SUBSCRIPTION

            arm_client = ResourceManagementClient(credential, NO_SUBSCRIPTION, **kwargs)
            reader = ArmReader(arm_client, settings)
            children, listed, skipped = _list_children(
                reader, describe, resources, child_types, canonical, scanner, incomplete, concurrency,
                list_every_parent, progress)
        # 6. evaluate
        results: list[dict[str, Any]] = []
        everything = sorted(resources + children, key=lambda r: str(r["id"]).lower())
        for res in everything:
            results.extend(scanner.evaluate(res))
        warnings += scanner.warnings
        scan_info = _subscription_findings(policies.library, subs, scanner, pattern)
        report = _report(results, everything, show_all, fail_on, warnings, scanner)
        result = ScanResult(report, incomplete, stats.requests, graph.pages, listed, stats)
        report["scan"] = {
            "scope": scope["scope_text"],
            "subscriptions": len(subs),
            "types": types,
            "resources": {"graph": len(resources), "listedThroughResourceManager": len(children),
                          "parentsListed": listed, "parentsSkipped": skipped},
            "requests": {"total": stats.requests, "graphPages": graph.pages, "resourceManagerListings": listed,
                         "retries": stats.retries, "throttled": stats.throttled, "quotaWaits": graph.paced},
            **scan_info,
            "incomplete": list(incomplete),
        }
        return result
    finally:
        graph_client.close()
        if arm_client is not None:
            arm_client.close()
        close = getattr(credential, "close", None)
        if callable(close):
            close()


def _root_type(rtype: str) -> str:
    parts = rtype.split("/")
    return "/".join(parts[:2])


def _kwargs(settings: Any, stats: Any, debug: bool, retry_total: int, retry_backoff: float) -> dict[str, Any]:
    from generator.azure.arm_read import client_kwargs

    return client_kwargs(settings, stats, debug=debug, retry_total=retry_total, retry_backoff=retry_backoff)


def _arm_shape(row: dict[str, Any], canonical: dict[str, str]) -> dict[str, Any]:
    """A Resource Graph row as the ARM resource the engine evaluates (canonical type, no Graph columns)."""
    out = {k: v for k, v in row.items() if k not in ("subscriptionId", "resourceGroup", "tenantId") and v is not None}
    out["type"] = canonical.get(str(row.get("type", "")).lower(), row.get("type"))
    return out


def _list_children(reader: Any, describe: Any, parents: list[dict[str, Any]], child_types: list[str],
                   canonical: dict[str, str], scanner: "_Evaluation", incomplete: list[str], concurrency: int,
                   every: bool, progress: Callable[[str], None] | None) -> tuple[list[dict[str, Any]], int, int]:
    """List child resources level by level under parents where a child could match; (children, listed, skipped)."""
    out: list[dict[str, Any]] = []
    listed = skipped = 0
    lock = threading.Lock()
    # Every collection on the way down: accounts -> deployments; workspaces -> connections -> deployments.
    levels: dict[str, list[str]] = {}
    for t in child_types:
        parts = t.split("/")
        for i in range(3, len(parts) + 1):
            sub_type = "/".join(parts[:i])
            levels.setdefault(_parent_type(sub_type).lower(), [])
            if sub_type not in levels[_parent_type(sub_type).lower()]:
                levels[_parent_type(sub_type).lower()].append(sub_type)
    targets = {t.lower() for t in child_types}
    frontier = list(parents)
    done = 0
    while frontier:
        jobs: list[tuple[dict[str, Any], str]] = []
        for parent in frontier:
            ptype = str(parent["type"]).lower()
            for child_type in levels.get(ptype, []):
                wanted = [t for t in child_types if t.lower().startswith(child_type.lower())]
                if not every and not any(scanner.could_match(_probe(parent["id"], t, parent["type"])) for t in wanted):
                    skipped += 1
                    continue
                api = CHILD_API_VERSIONS.get(child_type.lower())
                if api is None:
                    incomplete.append(f"{child_type} under {parent['id']}: no api-version known to list it")
                    continue
                jobs.append((parent, child_type))
        frontier = []

        def work(job: tuple[dict[str, Any], str]) -> None:
            nonlocal listed, done
            parent, child_type = job
            segment = child_type.rsplit("/", 1)[-1]
            try:
                items = reader.list(f"{parent['id']}/{segment}", CHILD_API_VERSIONS[child_type.lower()])
            except Exception as exc:  # noqa: BLE001 - recorded, the other listings go on
                err = describe(exc, f"{segment} of {parent['type']}", parent["id"])
                if _fatal(exc):
                    with lock:
                        fatal.append(err)
                    return
                with lock:
                    incomplete.append(f"{child_type} under {parent['id']} could not be listed: {err}")
                return
            prefix = f"{parent['id']}/{segment}/".lower()
            good = [i for i in items if isinstance(i.get("id"), str) and i["id"].lower().startswith(prefix)
                    and "/" not in i["id"][len(prefix):] and i["id"][len(prefix):] not in ("", ".", "..")]
            with lock:
                if len(good) != len(items):
                    # An id not directly under the parent listed: never listed under, never evaluated.
                    incomplete.append(f"{child_type} under {parent['id']}: {len(items) - len(good)} item(s) of "
                                      f"Azure's answer were malformed (no id under the parent) and were left out")
                listed += 1
                done += 1
                for item in good:
                    item = dict(item)
                    item["type"] = canonical.get(str(item.get("type", child_type)).lower(), child_type)
                    if item["type"].lower() in targets:
                        out.append(item)
                    frontier.append(item)
                if progress and (done % 25 == 0):
                    progress(f"listed {done} parent(s) through Resource Manager")

        fatal: list[Exception] = []
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            list(pool.map(work, jobs))
        if fatal:
            raise fatal[0]
    return out, listed, skipped


class _Evaluation:
    """Per-subscription evaluators: through the assignments in force there, else implicitly."""

    def __init__(self, library: Any, subs: dict[str, dict[str, Any]], rgs: dict[str, dict[str, Any]],
                 assignments_raw: list[dict[str, Any]], exemptions_raw: list[dict[str, Any]],
                 fail_on: Iterable[str]) -> None:
        from generator.context import Context
        from generator.engine.assignments import parse_assignment, parse_exemption

        self.library = library
        self.subs = subs
        self.fail_on = list(fail_on)
        self.warnings: list[str] = []
        sub_entries = {}
        for sid, row in subs.items():
            sub_entries[sid] = {"displayName": row.get("name") or sid, "tenantId": row.get("tenantId"),
                                "tags": {str(k): str(v) for k, v in (row.get("tags") or {}).items()}}
            sub_entries[sid] = {k: v for k, v in sub_entries[sid].items() if v is not None}
        rg_entries = {}
        for key, row in rgs.items():
            rg_entries[key] = {"location": row.get("location"),
                               "tags": {str(k): str(v) for k, v in (row.get("tags") or {}).items()}}
            rg_entries[key] = {k: v for k, v in rg_entries[key].items() if v is not None}
        self.context = Context(sub_entries, rg_entries)
        self.assignments = []
        skipped = 0
        for row in assignments_raw:
            try:
                a = parse_assignment(row)
            except (InputError, TypeError, AttributeError, ValueError, KeyError):
                skipped += 1  # a malformed row from Azure: reported below
                continue
            if library.find_set(a.policy_definition_id) or library.find_definition(a.policy_definition_id):
                self.assignments.append(a)
        if skipped:
            self.warnings.append(f"{skipped} policy assignment(s) read from Resource Graph could not be parsed")
        self.exemptions = []
        for row in exemptions_raw:
            try:
                ex = parse_exemption(row)
            except (InputError, TypeError, AttributeError, ValueError, KeyError):
                continue
            if any(ex.names_assignment(a) for a in self.assignments):
                self.exemptions.append(ex)
        self._evaluators: dict[tuple[str, ...], Any] = {}
        self._per_sub: dict[str, tuple[Any, bool]] = {}

    def chain(self, sid: str) -> list[dict[str, Any]]:
        """The subscription's management groups (nearest first) as Resource Graph gives them."""
        props = (self.subs.get(sid.lower()) or {}).get("properties") or {}
        chain = props.get("managementGroupAncestorsChain") if isinstance(props, dict) else None
        # A malformed chain (not a list of objects) names no management group: nothing is guessed from it.
        return [m for m in chain if isinstance(m, dict)] if isinstance(chain, list) else []

    def in_force(self, sid: str) -> list[Any]:
        """Assignments of the library's policies whose scope covers the subscription (or part of it)."""
        from generator.engine.assignments import scope_contains

        mgs = {str(m.get("name", "")).lower() for m in self.chain(sid)}
        sub_scope = f"/subscriptions/{sid}".lower()
        out = []
        for a in self.assignments:
            scope = (a.scope or "").lower()
            if scope.startswith(_MG_PREFIX):
                if scope[len(_MG_PREFIX):].strip("/") not in mgs:
                    continue
            elif not (scope_contains(scope, sub_scope) or scope_contains(sub_scope, scope)):
                continue
            if any(scope_contains(ns, sub_scope) for ns in a.not_scopes):
                continue
            out.append(a)
        return out

    def evaluator_for(self, sid: str) -> tuple[Any, bool]:
        """(evaluator, through_assignments) for a subscription (cached per set of assignments)."""
        sid = sid.lower()
        hit = self._per_sub.get(sid)
        if hit is not None:
            return hit
        from generator.engine.evaluator import Evaluator

        assignments = self.in_force(sid)
        exemptions = []
        for ex in self.exemptions:
            if not any(ex.names_assignment(a) for a in assignments):
                continue
            if ex.scope and ex.scope.lower().startswith(_MG_PREFIX):
                mg = ex.scope.lower()[len(_MG_PREFIX):].strip("/")
                if mg not in {str(m.get("name", "")).lower() for m in self.chain(sid)}:
                    continue
                import dataclasses

                # Resource ids do not show their management group: pin it to this subscription.
                ex = dataclasses.replace(ex, scope=f"/subscriptions/{sid}")
            exemptions.append(ex)
        key = tuple(sorted(a.id.lower() for a in assignments)) + tuple(
            sorted(f"{e.name}|{e.scope}".lower() for e in exemptions))
        ev = self._evaluators.get(key)
        if ev is None:
            ev = Evaluator(self.library, assignments=assignments, exemptions=exemptions, fail_on=self.fail_on)
            self._evaluators[key] = ev
            for w in ev.warnings:
                if w not in self.warnings:
                    self.warnings.append(w)
        self._per_sub[sid] = (ev, bool(assignments))
        return ev, bool(assignments)

    def could_match(self, probe: dict[str, Any]) -> bool:
        """True unless every policy is sure not to match a child whose properties are all unknown."""
        sid = str(probe["id"]).split("/")[2]
        ev, _ = self.evaluator_for(sid)
        ctx = self.context.resolve(probe["id"])
        mode = ev.trace_mode
        ev.trace_mode = "none"
        try:
            results = ev.evaluate(probe, ctx, address=probe["id"])
        finally:
            ev.trace_mode = mode
        return any(r.result not in ("no-match", "not-applicable") for r in results)

    def evaluate(self, resource: dict[str, Any]) -> list[dict[str, Any]]:
        """Results for one resource, as CONTRACTS JSON objects."""
        rid = str(resource["id"])
        sid = rid.split("/")[2]
        ev, assigned = self.evaluator_for(sid)
        out = []
        for res in ev.evaluate(resource, self.context.resolve(rid), address=rid):
            if not assigned and res.result in ("match", "undetermined", "error"):
                res.warnings = (res.warnings or []) + [
                    f"no assignment of these policies is in force in subscription {sid}: Azure does not enforce "
                    f"this today (evaluated as if assigned with default parameters)"]
            out.append(res.to_json())
        return out


def _subscription_findings(library: Any, subs: dict[str, dict[str, Any]], scanner: _Evaluation,
                           pattern: re.Pattern[str]) -> dict[str, Any]:
    """Untagged law-enforcement-looking subscriptions and law-enforcement subscriptions with no assignment."""
    tag_name, le_values = _le_values(library)
    untagged: list[dict[str, Any]] = []
    unassigned: list[dict[str, Any]] = []
    le_count = 0
    for sid, row in sorted(subs.items(), key=lambda kv: str(kv[1].get("name") or kv[0]).lower()):
        name = str(row.get("name") or sid)
        # Covered means assigned at the subscription or above; resource-group assignments cover a part.
        in_force = [a for a in scanner.in_force(sid) if (a.scope or "").lower().startswith(_MG_PREFIX)
                    or (a.scope or "").lower().rstrip("/") == f"/subscriptions/{sid}"]
        sub_tag, sub_values, whole_scope = _assigned_le_values(in_force, tag_name, le_values)
        value = _tag(row.get("tags"), sub_tag)
        chain = scanner.chain(sid)
        if whole_scope:
            # An assignment in force treats its whole scope as law enforcement: covered, tag or not.
            le_count += 1
            continue
        if value is None:
            reasons = []
            if pattern.search(name):
                reasons.append(f"name {name!r}")
            for mg in chain:
                mg_name, label = str(mg.get("name") or ""), str(mg.get("displayName") or mg.get("name") or "")
                if pattern.search(label) or pattern.search(mg_name):
                    reasons.append(f"management group {label!r}" + (f" ({mg_name})" if mg_name != label else ""))
            if reasons:
                untagged.append({"subscriptionId": row.get("subscriptionId") or sid, "displayName": name,
                                 "why": "; ".join(reasons), "managementGroups": [m.get("name") for m in chain]})
        elif value.lower() in sub_values:
            le_count += 1
            if not in_force:
                unassigned.append({"subscriptionId": row.get("subscriptionId") or sid, "displayName": name,
                                   "tag": f"{sub_tag}={value}", "managementGroups": [m.get("name") for m in chain]})
    names = [s.name for s in library.sets] or [d.name for d in library.definitions]
    return {
        "sectorTag": tag_name,
        "lawEnforcementSubscriptions": le_count,
        "lawEnforcementUntagged": untagged,
        "lawEnforcementUnassigned": unassigned,
        "assignedPolicies": names,
    }


def _report(results: list[dict[str, Any]], resources: list[dict[str, Any]], show_all: bool, fail_on: Iterable[str],
            warnings: list[str], scanner: _Evaluation) -> dict[str, Any]:
    from generator.report import build_report

    invalid: list[dict[str, Any]] = []
    if scanner.library.invalid:
        from generator.engine.evaluator import Evaluator

        invalid = [r.to_json() for r in Evaluator(scanner.library).invalid_results()]
    return build_report(invalid + results, resources_read=len(resources), skipped=0, checked=len(resources),
                        show_all=show_all, fail_on=list(fail_on) or None, warnings=warnings)


def format_scan_text(result: ScanResult) -> str:
    """The extra text section after the standard report: subscriptions to look at, cost, what is missing."""
    info = result.report.get("scan", {})
    lines = ["", f"Scanned {info.get('subscriptions', 0)} subscription(s) in {info.get('scope')} for "
                 f"{', '.join(info.get('types', []))}"]
    res = info.get("resources", {})
    lines.append(f"  resources: {res.get('graph', 0)} from Resource Graph, "
                 f"{res.get('listedThroughResourceManager', 0)} "
                 f"listed through Resource Manager under {res.get('parentsListed', 0)} parent(s) "
                 f"({res.get('parentsSkipped', 0)} skipped: no child could match there)")
    untagged = info.get("lawEnforcementUntagged", [])
    lines.append(f"Subscriptions that look like law enforcement but carry no '{info.get('sectorTag')}' tag: "
                 f"{len(untagged)}")
    for s in untagged:
        lines.append(f"  {s['subscriptionId']} {s['displayName']} ({s['why']})")
    unassigned = info.get("lawEnforcementUnassigned", [])
    lines.append(f"Law-enforcement subscriptions with no assignment of {', '.join(info.get('assignedPolicies', []))}: "
                 f"{len(unassigned)} of {info.get('lawEnforcementSubscriptions', 0)}")
    for s in unassigned:
        lines.append(f"  {s['subscriptionId']} {s['displayName']} ({s['tag']})")
    req = info.get("requests", {})
    lines.append(f"Requests: {req.get('total', 0)} ({req.get('graphPages', 0)} Resource Graph page(s), "
                 f"{req.get('resourceManagerListings', 0)} Resource Manager listing(s)); "
                 f"retries {req.get('retries', 0)} "
                 f"(throttled {req.get('throttled', 0)})")
    if result.incomplete:
        lines.append(f"INCOMPLETE: {len(result.incomplete)} part(s) of the scan are missing:")
        lines.extend(f"  {m}" for m in result.incomplete)
    from generator.sanitize import clean_line

    # Names and messages come from Azure: one line each, no terminal control sequences.
    return "\n".join(clean_line(line) for line in lines) + "\n"


__all__ = ["ScanPolicies", "ScanResult", "format_scan_text", "load_scan_policies", "restricted_types", "run_scan"]
