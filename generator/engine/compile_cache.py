"""Compiled definitions remembered by content hash in the cache folder (`compiled-definitions.json`).

Compiling a policy `if` is most of the cost of loading thousands of definitions (5,009 built-ins), and a
run usually meets few of their resource types. For a definition file already seen (same bytes, same
engine), the cache says it compiled and which resource types its `if` can hold for (conditions.type_guard),
so `compile_definition` leaves the `if` uncompiled (`LazyCondition`) until a resource of such a type is
evaluated. Keyed by SHA-256 of the file text and the document's pointer; the engine's version and its
sources' sizes and times are part of the file, so a changed engine never trusts an old entry. A cache
that cannot be read or written is ignored (it only saves time).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

FILE_NAME = "compiled-definitions.json"
MAX_ENTRIES = 50000
_SOURCES = ("conditions.py", "fields.py", "functions.py", "expressions.py", "policies.py", "aliases.py")


class LazyCondition:
    """A definition's `if`, known to compile, compiled on first evaluation."""

    __slots__ = ("raw", "pointer", "guard", "_real")

    def __init__(self, raw: Any, pointer: str, guard: frozenset[str] | None) -> None:
        self.raw = raw
        self.pointer = pointer
        self.guard = guard
        self._real: Any = None

    def real(self) -> Any:
        """The compiled condition."""
        if self._real is None:
            from generator.engine.conditions import compile_condition

            self._real = compile_condition(self.raw, self.pointer)
        return self._real

    def evaluate(self, scope: Any) -> Any:
        """Evaluate (compiling first if needed)."""
        return self.real().evaluate(scope)


def _engine_stamp() -> str:
    from generator import __version__

    here = Path(__file__).resolve().parent
    parts = [__version__]
    for name in _SOURCES:
        try:
            st = (here / name).stat()
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append("?")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class CompileCache:
    """{content key: type guard (sorted list) or None} for definitions that compiled."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stamp = _engine_stamp()
        self.entries: dict[str, list[str] | None] = {}
        self.added = 0
        if path is None:
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return
        if isinstance(data, dict) and data.get("engine") == self.stamp and isinstance(data.get("entries"), dict):
            self.entries = data["entries"]

    @classmethod
    def default(cls) -> "CompileCache":
        """The cache in the cache folder (generator.cachedir)."""
        from generator.cachedir import default_cache_dir

        return cls(default_cache_dir() / FILE_NAME)

    @staticmethod
    def key(text: str, pointer: str) -> str:
        """The content key of one document in a file."""
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() + pointer

    def guard_for(self, key: str) -> tuple[bool, frozenset[str] | None]:
        """(known, type guard) for a content key."""
        if key not in self.entries:
            return False, None
        guard = self.entries[key]
        return True, (frozenset(guard) if isinstance(guard, list) else None)

    def remember(self, key: str, condition: Any) -> None:
        """Record a definition that compiled, with its `if`'s type guard."""
        from generator.engine.conditions import type_guard

        guard = type_guard(condition)
        self.entries[key] = sorted(guard) if guard is not None else None
        self.added += 1

    def save(self) -> None:
        """Write the cache (atomically) when something was added; failures are ignored."""
        if self.path is None or not self.added:
            return
        entries = self.entries
        if len(entries) > MAX_ENTRIES:
            entries = dict(list(entries.items())[-MAX_ENTRIES:])
        try:
            from generator.fsio import write_text_atomic

            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps({"engine": self.stamp, "entries": entries},
                                                    separators=(",", ":")))
        except Exception:  # noqa: BLE001 - a cache only saves time; never fail a run for it
            pass
