"""Alias table: Azure Policy alias -> resource path, per resource type (and API version).

Layers, lowest first: the shipped table (`data/aliases/`, every alias Azure publishes, one gzip'd
JSON file per namespace, decompressed only for the namespaces a run touches), the table `clausegate
aliases sync` wrote (which also carries per-API-version paths), then any `--aliases FILE`. A higher
layer's entry for a (type, alias) wins. An alias no layer knows is not guessed: it resolves to
"unknown" and the evaluation is `undetermined` with a message naming the alias and how to add it.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import InputError

__all__ = ["AliasTable", "STAR", "parse_path", "split_alias", "Resolution", "unknown_alias_message"]

DATA_DIR = Path(__file__).resolve().parent / "data" / "aliases"
INDEX_FILE = DATA_DIR / "index.json"


class _Star:
    __slots__ = ()

    def __repr__(self) -> str:
        return "[*]"


STAR = _Star()


def parse_path(path: str) -> tuple:
    """Split a resource path such as `properties.rules[*].key` into segments (str, int, STAR)."""
    segs: list[Any] = []
    i, n = 0, len(path)
    buf: list[str] = []
    while i < n:
        ch = path[i]
        if ch == ".":
            if buf:
                segs.append("".join(buf))
                buf = []
            i += 1
        elif ch == "[":
            if buf:
                segs.append("".join(buf))
                buf = []
            close = _find_close(path, i)
            inner = path[i + 1 : close].strip()
            if inner == "*":
                segs.append(STAR)
            elif len(inner) >= 2 and inner[0] == "'" and inner[-1] == "'":
                segs.append(inner[1:-1].replace("''", "'"))
            elif inner.lstrip("-").isdigit():
                segs.append(int(inner))
            else:
                segs.append(inner)
            i = close + 1
        else:
            buf.append(ch)
            i += 1
    if buf:
        segs.append("".join(buf))
    return tuple(segs)


def _find_close(path: str, start: int) -> int:
    # Quoted keys may hold ']' (tags['a]b']); quotes are doubled inside.
    i = start + 1
    n = len(path)
    in_quote = False
    while i < n:
        ch = path[i]
        if ch == "'":
            if in_quote and i + 1 < n and path[i + 1] == "'":
                i += 2
                continue
            in_quote = not in_quote
        elif ch == "]" and not in_quote:
            return i
        i += 1
    raise ValueError(f"unbalanced '[' in {path!r}")


def split_alias(alias: str) -> tuple[str, str]:
    """Split `Namespace/type[/child]/prop.path` into (type prefix, property path)."""
    depth = 0
    cut = -1
    for i, ch in enumerate(alias):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "/" and depth == 0:
            cut = i
    if cut < 0:
        return "", alias
    return alias[:cut], alias[cut + 1 :]


class Resolution:
    """How an alias resolves for one resource type: a path, None (not applicable) or unknown."""

    __slots__ = ("path", "segments", "warning", "unknown")

    def __init__(self, path: str | None, warning: str | None, unknown: bool = False) -> None:
        self.path = path
        self.segments = parse_path(path) if path is not None else None
        self.warning = warning
        self.unknown = unknown


def unknown_alias_message(alias: str) -> str:
    """The one-line note for an alias no table knows (names the alias and how to add it)."""
    return (f"alias {alias!r} is not in the alias table, so its value is unknown; add it with "
            "'clausegate aliases sync' (or pass --aliases FILE)")


class _Layer:
    """One source of aliases: {type: {alias: path}} plus per-API-version paths, keyed lower-case."""

    def __init__(self, source: str = "") -> None:
        self.source = source
        self.types: dict[str, dict[str, str]] = {}
        # type -> alias -> [(frozenset of lower-case API versions, path)]
        self.versions: dict[str, dict[str, list[tuple[frozenset[str], str]]]] = {}
        self.namespaces: dict[str, set[str]] = {}  # namespace -> its types, lower-case
        self.spelled: dict[str, str] = {}  # alias lower-case -> as Azure spells it

    def add(self, rtype: str, aliases: dict[str, str]) -> None:
        low = rtype.lower()
        table = self.types.setdefault(low, {})
        spelled = self.spelled
        for alias, path in aliases.items():
            key = alias.lower()
            table[key] = path
            spelled[key] = alias
        self.namespaces.setdefault(low.split("/", 1)[0], set()).add(low)

    def add_versions(self, rtype: str, alias: str, entries: list[tuple[frozenset[str], str]]) -> None:
        self.versions.setdefault(rtype.lower(), {})[alias.lower()] = entries

    def namespace(self, ns: str) -> dict[str, dict[str, str]]:
        """{type: {alias: path}} of one (lower-case) namespace."""
        return {t: self.types[t] for t in self.namespaces.get(ns, ())}

    def all_types(self) -> list[str]:
        return list(self.types)


class _ShippedLayer(_Layer):
    """The shipped table, read one namespace at a time on first use."""

    def __init__(self) -> None:
        super().__init__()
        meta = json.loads(INDEX_FILE.read_text(encoding="utf-8"))
        self.source = f"{meta.get('source', '')} ({meta.get('sourceDate', '')})"
        self._files: dict[str, str] = meta.get("namespaces", {})
        self._loaded: set[str] = set()

    def _load(self, ns: str) -> None:
        if ns in self._loaded:
            return
        self._loaded.add(ns)
        name = self._files.get(ns)
        if name is None:
            return
        data = json.loads(gzip.decompress((DATA_DIR / name).read_bytes()).decode("utf-8"))
        for rtype, aliases in data["types"].items():
            self.add(rtype, aliases)

    def namespace(self, ns: str) -> dict[str, dict[str, str]]:
        self._load(ns)
        return super().namespace(ns)

    def all_types(self) -> list[str]:
        for ns in self._files:
            self._load(ns)
        return list(self.types)


class AliasTable:
    """Alias -> path per resource type, looked up ignoring letter case, over layers (last wins)."""

    def __init__(self, types: dict[str, dict[str, str]] | None = None, *, source: str = "",
                 layers: list[_Layer] | None = None) -> None:
        self.source = source
        self.warnings: list[str] = []  # e.g. a synced table that could not be read
        if layers is None:
            layer = _Layer(source)
            for rtype, aliases in (types or {}).items():
                layer.add(rtype, aliases)
            layers = [layer]
        self._layers = layers
        self._reset()

    def _reset(self) -> None:
        self._type_cache: dict[str, tuple[dict[str, str], dict[str, list]]] = {}
        self._ns_cache: dict[str, set[str]] = {}
        self._cache: dict[tuple[str, str, str], Resolution] = {}

    def add(self, rtype: str, aliases: dict[str, str]) -> None:
        """Add or replace aliases of one resource type (in the top layer)."""
        self._layers[-1].add(rtype, aliases)
        self._reset()

    # -- lookups ------------------------------------------------------------------------------
    def _type_entry(self, rtype: str) -> tuple[dict[str, str], dict[str, list]]:
        hit = self._type_cache.get(rtype)
        if hit is None:
            ns = rtype.split("/", 1)[0]
            paths: dict[str, str] = {}
            versions: dict[str, list] = {}
            for layer in self._layers:
                mine = layer.namespace(ns).get(rtype)
                if mine:
                    paths.update(mine)
                    for alias in mine:
                        versions.pop(alias, None)  # a higher layer's default path replaces lower versions
                versions.update(layer.versions.get(rtype, {}))
            hit = self._type_cache[rtype] = (paths, versions)
        return hit

    def _namespace_aliases(self, ns: str) -> set[str]:
        hit = self._ns_cache.get(ns)
        if hit is None:
            hit = set()
            for layer in self._layers:
                for aliases in layer.namespace(ns).values():
                    hit.update(aliases)
            self._ns_cache[ns] = hit
        return hit

    @property
    def types(self) -> list[str]:
        """Resource types (lower-case) that have entries (loads every shipped namespace)."""
        out: set[str] = set()
        for layer in self._layers:
            out.update(layer.all_types())
        return sorted(out)

    def __len__(self) -> int:
        return sum(len(self._type_entry(t)[0]) for t in self.types)

    def knows(self, alias: str) -> bool:
        """Return True when the alias occurs for any type of its namespace."""
        low = alias.lower()
        return low in self._namespace_aliases(low.split("/", 1)[0])

    def spelling(self, alias: str) -> str:
        """The alias as the table spells it (the lookups ignore case)."""
        low = alias.lower()
        for layer in reversed(self._layers):
            layer.namespace(low.split("/", 1)[0])
            if low in layer.spelled:
                return layer.spelled[low]
        return alias

    def has_versions(self, resource_type: str) -> bool:
        """True when some alias of the type has per-API-version paths (from a sync)."""
        return bool(self._type_entry(resource_type.lower())[1])

    def path_for(self, alias: str, resource_type: str | None = None, api_version: str | None = None) -> str | None:
        """Return the table's path for alias (for resource_type when given), or None."""
        low = alias.lower()
        if resource_type is not None:
            return self.resolve(alias, resource_type, api_version).path
        ns = low.split("/", 1)[0]
        for layer in reversed(self._layers):
            for aliases in layer.namespace(ns).values():
                if low in aliases:
                    return aliases[low]
        return None

    def resolve(self, alias: str, resource_type: str | None, api_version: str | None = None) -> Resolution:
        """Resolve alias for a resource of resource_type (cached) at the request's API version."""
        rtype = resource_type.lower() if isinstance(resource_type, str) else ""
        api = api_version.lower() if isinstance(api_version, str) else ""
        key = (alias.lower(), rtype, api)
        res = self._cache.get(key)
        if res is None:
            res = self._resolve(alias, rtype, api)
            if len(self._cache) < 65536:
                self._cache[key] = res
        return res

    def _resolve(self, alias: str, rtype: str, api: str) -> Resolution:
        low = alias.lower()
        paths, versions = self._type_entry(rtype) if rtype else ({}, {})
        if low in paths:
            path = paths[low]
            if api and low in versions:
                for apis, versioned in versions[low]:
                    if api in apis:
                        path = versioned
                        break
            return Resolution(path, None)
        if self.knows(alias):
            # An alias of other types only: for this type the field is missing, as in Azure.
            return Resolution(None, None)
        return Resolution(None, unknown_alias_message(alias), unknown=True)

    # -- building -----------------------------------------------------------------------------
    def merged(self, other: "AliasTable") -> "AliasTable":
        """Return a new table with other's layers over this one's."""
        out = AliasTable(source=";".join(s for s in (self.source, other.source) if s),
                         layers=[*self._layers, *other._layers])
        out.warnings = [*self.warnings, *other.warnings]
        return out

    @classmethod
    def from_data(cls, data: Any, *, source: str = "") -> "AliasTable":
        """Build from `{"types": {type: {alias: path}}, "versions": {...}}` or a flat `{alias: path}` map."""
        where = source or None
        if not isinstance(data, dict):
            raise InputError(
                f"an alias table must be a JSON object, not {type(data).__name__}", file=where, pointer=""
            )
        layer = _Layer(str(data.get("source", source)) if "types" in data else source)
        if "types" in data and isinstance(data["types"], dict):
            for rtype, aliases in data["types"].items():
                pointer = f"/types/{_escape_pointer(rtype)}"
                if not isinstance(aliases, dict):
                    raise InputError("expected an object of alias -> path", file=where, pointer=pointer)
                for alias, path in aliases.items():
                    if not isinstance(path, str):
                        raise InputError(
                            "expected the alias's path as a string",
                            file=where, pointer=f"{pointer}/{_escape_pointer(alias)}",
                        )
                layer.add(rtype, aliases)
            _read_versions(layer, data.get("versions"), where)
            return cls(source=layer.source, layers=[layer])
        for alias, path in data.items():
            if not isinstance(alias, str) or not isinstance(path, str):
                raise InputError(
                    "expected an alias mapped to its path as a string (or a {\"types\": {...}} table)",
                    file=where, pointer=f"/{_escape_pointer(str(alias))}",
                )
            prefix, _ = split_alias(alias)
            layer.add(prefix, {alias: path})
        return cls(source=source, layers=[layer])

    @classmethod
    def from_file(cls, path: str | Path) -> "AliasTable":
        """Load a JSON alias file."""
        from generator.safeload import load_json

        p = Path(path)
        data = load_json(p)
        return cls.from_data(data, source=str(p))

    @classmethod
    def shipped(cls) -> "AliasTable":
        """The shipped table alone (every alias Azure publishes, default paths)."""
        return _shipped_table()

    @classmethod
    def default(cls) -> "AliasTable":
        """The shipped table, with the synced table over it when one exists."""
        return _default_table()

    @classmethod
    def with_extra(cls, path: str | Path | None) -> "AliasTable":
        """The default table plus an optional extra JSON file (which wins)."""
        base = cls.default()
        return base if path is None else base.merged(cls.from_file(path))


def _read_versions(layer: _Layer, versions: Any, where: str | None) -> None:
    """`"versions": {type: {alias: [{"apiVersions": [...], "path": "..."}]}}` (written by aliases sync)."""
    if versions is None:
        return
    if not isinstance(versions, dict):
        raise InputError("expected 'versions' to be an object", file=where, pointer="/versions")
    for rtype, aliases in versions.items():
        if not isinstance(aliases, dict):
            raise InputError("expected an object of alias -> versioned paths", file=where,
                             pointer=f"/versions/{_escape_pointer(str(rtype))}")
        for alias, entries in aliases.items():
            ptr = f"/versions/{_escape_pointer(str(rtype))}/{_escape_pointer(str(alias))}"
            if not isinstance(entries, list) or not all(
                    isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("apiVersions"), list)
                    for e in entries):
                raise InputError('expected [{"apiVersions": [...], "path": "..."}]', file=where, pointer=ptr)
            layer.add_versions(rtype, alias, [(frozenset(str(v).lower() for v in e["apiVersions"]), e["path"])
                                              for e in entries])


@lru_cache(maxsize=1)
def _shipped_table() -> AliasTable:
    layer = _ShippedLayer()
    return AliasTable(source=layer.source, layers=[layer])


# The synced table (generator.cachedir.synced_aliases_path()) holds aliases read from the providers
# API; when present it is layered over the shipped one. Keyed on the file's path and mtime so that a
# new sync is seen; a broken file is ignored with a warning (a resync fixes it).


def _default_table() -> AliasTable:
    from generator.cachedir import synced_aliases_path

    path = synced_aliases_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return _shipped_table()
    return _with_synced(str(path), mtime)


@lru_cache(maxsize=4)
def _with_synced(path: str, mtime: int) -> AliasTable:
    try:
        synced = AliasTable.from_file(path)
    except Exception as exc:  # noqa: BLE001 - any broken cache file must not break evaluation
        detail = exc.message if isinstance(exc, InputError) else str(exc)
        table = AliasTable(source=_shipped_table().source, layers=list(_shipped_table()._layers))
        table.warnings.append(f"ignored the synced alias table {path}: {detail}; run 'clausegate aliases sync' "
                              "to rebuild it (the shipped table is used)")
        return table
    return _shipped_table().merged(synced)


def _escape_pointer(token: str) -> str:
    """Escape one JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")
