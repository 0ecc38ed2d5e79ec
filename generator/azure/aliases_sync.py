"""``clausegate aliases sync``: read Azure Policy aliases from the providers API into the engine's table.

``GET /providers?$expand=resourceTypes/aliases`` (every namespace, paged) or
``GET /providers/{namespace}?$expand=resourceTypes/aliases`` per namespace. The full answer runs to
tens of megabytes, so it is parsed as a stream (ijson) and only name -> path is kept: the alias's
``defaultPath``, else its first ``paths[].path``; a ``paths[]`` entry whose path differs from that
is kept per API version. The result is written, atomically, in the format
``generator.engine.aliases.AliasTable`` loads (``{"types": {type: {alias: path}}, "versions": {type:
{alias: [{"apiVersions": [...], "path": ...}]}}}``) to ``generator.cachedir.synced_aliases_path()``,
where the engine layers it over the shipped table (and resolves by the request's API version).
Syncing some namespaces replaces those namespaces' types and keeps the others already synced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from generator.errors import InputError, RemoteError

PROVIDERS_API_VERSION = "2021-04-01"
EXPAND = "resourceTypes/aliases"


@dataclass
class SyncResult:
    """What a sync read and wrote."""

    path: Path
    namespaces: list[str] = field(default_factory=list)
    types: int = 0
    aliases: int = 0
    requests: int = 0


class _Stream:
    """A file-like ``read`` over an iterator of byte chunks, for ijson."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            try:
                self._buf += next(self._chunks)
            except StopIteration:
                break
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out


def parse_providers(stream: Any, root: str) -> tuple[dict[str, dict[str, str]], list[str], str | None]:
    """Stream-parse providers JSON: ({type: {alias: path}}, namespaces, nextLink).

    ``root`` is ``"value.item"`` for a list answer and ``""`` for one provider.
    """
    types, versions, namespaces, next_link = parse_providers_versions(stream, root)
    return types, namespaces, next_link


def parse_providers_versions(stream: Any, root: str) -> tuple[dict[str, dict[str, str]],
                                                              dict[str, dict[str, list[dict[str, Any]]]],
                                                              list[str], str | None]:
    """Like parse_providers, plus {type: {alias: [{"apiVersions", "path"}]}} where a version's path differs."""
    import ijson

    pre = f"{root}." if root else ""
    types: dict[str, dict[str, str]] = {}
    versions: dict[str, dict[str, list[dict[str, Any]]]] = {}
    namespaces: list[str] = []
    next_link: str | None = None
    namespace = ""
    # (resourceType, alias, path, [(apiVersions, path)]) until the namespace is known
    pending: list[tuple[str, str, str, list[tuple[list[str], str]]]] = []
    rtype = alias = default_path = first_path = ""
    paths: list[tuple[list[str], str]] = []
    cur_path = ""
    cur_apis: list[str] = []
    item = f"{pre}resourceTypes.item.aliases.item"
    for prefix, event, value in ijson.parse(stream):
        if prefix == "nextLink" and event == "string":
            next_link = value
        elif prefix == f"{pre}namespace" and event == "string":
            namespace = value
        elif prefix == f"{pre}resourceTypes.item.resourceType" and event == "string":
            rtype = value
        elif prefix == item and event == "start_map":
            alias = default_path = first_path = ""
            paths = []
        elif prefix == f"{item}.name" and event == "string":
            alias = value
        elif prefix == f"{item}.defaultPath" and event == "string":
            default_path = value
        elif prefix == f"{item}.paths.item" and event == "start_map":
            cur_path, cur_apis = "", []
        elif prefix == f"{item}.paths.item.path" and event == "string":
            first_path = first_path or value
            cur_path = value
        elif prefix == f"{item}.paths.item.apiVersions.item" and event == "string":
            cur_apis.append(value)
        elif prefix == f"{item}.paths.item" and event == "end_map":
            if cur_path and cur_apis:
                paths.append((cur_apis, cur_path))
        elif prefix == item and event == "end_map":
            path = default_path or first_path
            if alias and path:
                pending.append((rtype, alias, path, [(a, p) for a, p in paths if p != path]))
        elif prefix == root and event == "end_map":
            # One provider done: its namespace is known whatever the key order was.
            if namespace:
                namespaces.append(namespace)
                for rt, a, p, per_version in pending:
                    full = f"{namespace}/{rt}"
                    types.setdefault(full, {})[a] = p
                    if per_version:
                        versions.setdefault(full, {})[a] = [{"apiVersions": sorted(apis), "path": vp}
                                                            for apis, vp in per_version]
            pending, namespace = [], ""
    return types, versions, namespaces, next_link


def sync_aliases(
    namespaces: Iterable[str] = (),
    *,
    cloud: str | None = None,
    tenant: str | None = None,
    cache_dir: str | None = None,
    debug: bool = False,
) -> SyncResult:
    """Read aliases (all namespaces, or the given ones) and write the synced alias table."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.mgmt.resource.resources import ResourceManagementClient

    from generator.azure.arm_read import client_kwargs, read_error
    from generator.azure.clients import NO_SUBSCRIPTION, RequestStats
    from generator.azure.credentials import install_log_redaction, make_credential
    from generator.azure.settings import resolve_settings
    from generator.cachedir import synced_aliases_path

    install_log_redaction()
    wanted = [n.strip() for n in namespaces if n.strip()]
    for ns in wanted:
        # Namespaces are dotted names; anything else would also be sent as part of the URL.
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*", ns):
            raise InputError(f"{ns!r} is not a resource provider namespace (e.g. Microsoft.CognitiveServices)")
    settings = resolve_settings(cloud, tenant)
    stats = RequestStats()
    credential = make_credential(settings)
    describe = read_error(settings, advice="", above=False)
    client = ResourceManagementClient(credential, NO_SUBSCRIPTION, **client_kwargs(settings, stats, debug=debug))
    types: dict[str, dict[str, str]] = {}
    versions: dict[str, dict[str, list[dict[str, Any]]]] = {}
    read_namespaces: list[str] = []

    def fetch(url: str, root: str, what: str) -> str | None:
        import ijson

        try:
            response = client.send_request(HttpRequest("GET", url), stream=True)
            if response.status_code == 404 and root == "":
                raise InputError(f"resource provider namespace {what} does not exist in this cloud")
            if response.status_code >= 400:
                response.read()
                raise HttpResponseError(response=response)
            try:
                found, per_version, names, next_link = parse_providers_versions(
                    _Stream(response.iter_bytes()), root)
            except ijson.JSONError as exc:
                first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
                raise RemoteError(f"malformed answer from Azure to GET {url.split('?')[0][:120]} (aliases of "
                                  f"{what}): not JSON ({first})") from None
            finally:
                response.close()
        except (InputError, RemoteError):
            raise
        except Exception as exc:
            raise describe(exc, f"aliases of {what}", "/providers") from None
        for t, aliases in found.items():
            types.setdefault(t, {}).update(aliases)
        for t, aliases in per_version.items():
            versions.setdefault(t, {}).update(aliases)
        read_namespaces.extend(names)
        return next_link

    try:
        if wanted:
            for ns in wanted:
                fetch(f"/providers/{ns}?api-version={PROVIDERS_API_VERSION}&$expand={EXPAND}", "", ns)
        else:
            from generator.azure.arm_read import PageGuard

            guard = PageGuard("GET /providers (aliases of every namespace)", settings.arm_endpoint)
            url: str | None = f"/providers?api-version={PROVIDERS_API_VERSION}&$expand={EXPAND}"
            while url:
                # A repeating or foreign nextLink stops the sync (exit 3) before anything is written.
                url = guard.next(fetch(url, "value.item", "every namespace"), 1)
    finally:
        client.close()
        close = getattr(credential, "close", None)
        if callable(close):
            close()
    path = synced_aliases_path(cache_dir)
    doc = _merge_existing(path, types, read_namespaces if wanted else None, versions)
    doc["source"] = f"Azure Resource Manager providers API at {settings.arm_endpoint} (clausegate aliases sync)"
    doc["syncedAt"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    from generator.fsio import write_text_atomic

    write_text_atomic(path, json.dumps(doc, indent=0, sort_keys=True) + "\n")
    return SyncResult(path, sorted(read_namespaces, key=str.lower), len(types),
                      sum(len(a) for a in types.values()), stats.requests)


def _merge_existing(path: Path, types: dict[str, dict[str, str]], namespaces: list[str] | None,
                    versions: dict[str, dict[str, list[dict[str, Any]]]] | None = None) -> dict[str, Any]:
    """The new table; for a per-namespace sync, the other namespaces already synced are kept."""
    doc: dict[str, Any] = {"types": {}, "namespaces": [], "versions": {}}
    if namespaces is not None and path.is_file():
        from generator.safeload import load_json

        try:
            old = load_json(path)
        except InputError:
            old = {}
        if isinstance(old, dict) and isinstance(old.get("types"), dict):
            replaced = {n.lower() for n in namespaces}

            def keep(t: str) -> bool:
                return t.split("/", 1)[0].lower() not in replaced

            doc["types"] = {t: a for t, a in old["types"].items() if keep(t)}
            if isinstance(old.get("versions"), dict):
                doc["versions"] = {t: a for t, a in old["versions"].items() if keep(t)}
            doc["namespaces"] = [n for n in old.get("namespaces", []) if str(n).lower() not in replaced]
    doc["types"].update(types)
    doc["versions"].update(versions or {})
    doc["namespaces"] = sorted(set(doc["namespaces"]) | set(namespaces if namespaces is not None else
                                                          {t.split("/", 1)[0] for t in types}), key=str.lower)
    return doc


def show_type(resource_type: str) -> list[tuple[str, str, str]]:
    """(alias, path, origin) for one type as the engine resolves it; origin is 'synced' or 'shipped'."""
    from generator.cachedir import synced_aliases_path
    from generator.engine.aliases import AliasTable

    rows: dict[str, tuple[str, str, str]] = {}
    low = resource_type.lower()
    ns = low.split("/", 1)[0]
    for layer in AliasTable.shipped()._layers:
        for alias, alias_path in layer.namespace(ns).get(low, {}).items():
            rows[alias] = (_spelled(alias), alias_path, "shipped")
    from generator.safeload import load_json

    try:
        data = load_json(synced_aliases_path())
    except InputError:
        data = {}
    if isinstance(data, dict) and isinstance(data.get("types"), dict):
        for type_name, aliases in data["types"].items():  # synced last: it wins, as in the engine
            if type_name.lower() == low and isinstance(aliases, dict):
                for alias, alias_path in aliases.items():
                    rows[alias.lower()] = (alias, str(alias_path), "synced")
    return [rows[k] for k in sorted(rows)]


def _spelled(alias: str) -> str:
    """The shipped alias as Azure spells it (the layer keys are lower-case)."""
    from generator.engine.aliases import AliasTable

    return AliasTable.shipped().spelling(alias)
