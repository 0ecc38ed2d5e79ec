"""Alias table: Azure Policy alias -> resource path, per resource type.

The shipped table (`data/aliases.json`) is a curated subset for the types clausegate targets;
more can be loaded from a JSON file of the same shape (`{"types": {type: {alias: path}}}`) or a
flat `{alias: path}` map. An alias the table does not know falls back to the documented default
path `properties.<last segment>` with a warning on the scope, never silently.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import InputError

__all__ = ["AliasTable", "STAR", "parse_path", "split_alias", "Resolution"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "aliases.json"


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
    """How an alias resolves for one resource type: a path (or None = not applicable)."""

    __slots__ = ("path", "segments", "warning")

    def __init__(self, path: str | None, warning: str | None) -> None:
        self.path = path
        self.segments = parse_path(path) if path is not None else None
        self.warning = warning


class AliasTable:
    """Alias -> path per resource type, looked up ignoring letter case."""

    def __init__(self, types: dict[str, dict[str, str]] | None = None, *, source: str = "") -> None:
        self.source = source
        self._types: dict[str, dict[str, str]] = {}
        self._any: dict[str, str] = {}  # alias (lower) -> path, across types
        for rtype, aliases in (types or {}).items():
            self.add(rtype, aliases)
        self._cache: dict[tuple[str, str], Resolution] = {}

    def add(self, rtype: str, aliases: dict[str, str]) -> None:
        """Add or replace the aliases of one resource type."""
        table = self._types.setdefault(rtype.lower(), {})
        for alias, path in aliases.items():
            table[alias.lower()] = path
            self._any[alias.lower()] = path
        self._cache = {}

    @property
    def types(self) -> list[str]:
        """Resource types (lower-case) that have entries."""
        return sorted(self._types)

    def __len__(self) -> int:
        return len(self._any)

    def knows(self, alias: str) -> bool:
        """Return True when the alias occurs for any type in the table."""
        return alias.lower() in self._any

    def path_for(self, alias: str, resource_type: str | None = None) -> str | None:
        """Return the table's path for alias (for resource_type when given), or None."""
        low = alias.lower()
        if resource_type is not None:
            return self._types.get(resource_type.lower(), {}).get(low)
        return self._any.get(low)

    def resolve(self, alias: str, resource_type: str | None) -> Resolution:
        """Resolve alias for a resource of resource_type (cached)."""
        rtype = (resource_type or "").lower() if isinstance(resource_type, str) else ""
        key = (alias.lower(), rtype)
        res = self._cache.get(key)
        if res is None:
            res = self._resolve(alias, rtype)
            self._cache[key] = res
        return res

    def _resolve(self, alias: str, rtype: str) -> Resolution:
        low = alias.lower()
        per_type = self._types.get(rtype)
        if per_type is not None and low in per_type:
            return Resolution(per_type[low], None)
        prefix, rest = split_alias(alias)
        plow = prefix.lower()
        # An alias applies to its own type; a namespace-level alias (`Microsoft.Compute/imageSku`)
        # to every type of that namespace. A parent type's alias does not apply to child types.
        applies = bool(rtype) and (rtype == plow or ("/" not in plow and rtype.startswith(plow + "/")))
        if low in self._any:
            # Known for some type: use its path where it applies; elsewhere the field is missing.
            return Resolution(self._any[low] if applies else None, None)
        if not applies:
            return Resolution(
                None,
                f"alias {alias!r} is not in the alias table and does not apply to type "
                f"{rtype or '(none)'}; treated as missing",
            )
        path = "properties." + rest
        return Resolution(
            path,
            f"alias {alias!r} is not in the alias table; used the default path {path!r} "
            "(load the full alias table with an alias file to be exact)",
        )

    def merged(self, other: "AliasTable") -> "AliasTable":
        """Return a new table with other's entries added over this one's."""
        out = AliasTable(source=";".join(s for s in (self.source, other.source) if s))
        for rtype, aliases in self._types.items():
            out._types[rtype] = dict(aliases)
        out._any = dict(self._any)
        for rtype, aliases in other._types.items():
            out.add(rtype, aliases)
        return out

    @classmethod
    def from_data(cls, data: Any, *, source: str = "") -> "AliasTable":
        """Build from `{"types": {type: {alias: path}}}` or a flat `{alias: path}` map."""
        where = source or None
        if not isinstance(data, dict):
            raise InputError(
                f"an alias table must be a JSON object, not {type(data).__name__}", file=where, pointer=""
            )
        if "types" in data and isinstance(data["types"], dict):
            types = data["types"]
            for rtype, aliases in types.items():
                pointer = f"/types/{_escape_pointer(rtype)}"
                if not isinstance(aliases, dict):
                    raise InputError("expected an object of alias -> path", file=where, pointer=pointer)
                for alias, path in aliases.items():
                    if not isinstance(path, str):
                        raise InputError(
                            "expected the alias's path as a string",
                            file=where, pointer=f"{pointer}/{_escape_pointer(alias)}",
                        )
            return cls(types, source=str(data.get("source", source)))
        grouped: dict[str, dict[str, str]] = {}
        for alias, path in data.items():
            if not isinstance(alias, str) or not isinstance(path, str):
                raise InputError(
                    "expected an alias mapped to its path as a string (or a {\"types\": {...}} table)",
                    file=where, pointer=f"/{_escape_pointer(str(alias))}",
                )
            prefix, _ = split_alias(alias)
            grouped.setdefault(prefix, {})[alias] = path
        return cls(grouped, source=source)

    @classmethod
    def from_file(cls, path: str | Path) -> "AliasTable":
        """Load a JSON alias file."""
        from generator.safeload import load_json

        p = Path(path)
        data = load_json(p)
        return cls.from_data(data, source=str(p))

    @classmethod
    def default(cls) -> "AliasTable":
        """The shipped curated table (loaded once), with the synced table over it when one exists."""
        return _default_table()

    @classmethod
    def with_extra(cls, path: str | Path | None) -> "AliasTable":
        """The shipped table plus an optional extra JSON file."""
        base = cls.default()
        return base if path is None else base.merged(cls.from_file(path))


@lru_cache(maxsize=1)
def _shipped_table() -> AliasTable:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return AliasTable.from_data(data)


# --- hook for `clausegate aliases sync` (issue 7) -------------------------------------------------
# The synced table (generator.cachedir.synced_aliases_path()) holds aliases read from the providers
# API; when present it is merged over the shipped one, so any type the service knows resolves
# without the properties.<rest> fallback. Keyed on the file's path and mtime: a new sync is seen.


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
    except InputError:
        return _shipped_table()  # a broken cache file must not break evaluation; resync fixes it
    return _shipped_table().merged(synced)


def _escape_pointer(token: str) -> str:
    """Escape one JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")
