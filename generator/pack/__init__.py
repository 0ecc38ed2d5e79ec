"""Clause packs: the model, the YAML loader and the model catalog.

``load_pack(name_or_path)`` is the one entry point other modules use. Heavy imports (yaml,
jsonschema) happen inside the functions, so importing this package stays cheap.
"""

from __future__ import annotations

from pathlib import Path

from generator.pack.model import (
    Attestation,
    Clause,
    Condition,
    Effect,
    Example,
    Pack,
    Parameter,
    PropertyCondition,
    Restriction,
    Source,
)

__all__ = [
    "Attestation", "Clause", "Condition", "Effect", "Example", "Pack", "Parameter", "PropertyCondition",
    "Restriction", "Source", "load_pack", "is_pack_path",
]


def is_pack_path(name_or_path: str | Path) -> bool:
    """True when the argument names a file rather than a registered pack."""
    text = str(name_or_path)
    return isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text


def load_pack(name_or_path: str | Path) -> Pack:
    """Load a pack by registry name (entry point ``clausegate.packs``) or from a YAML path."""
    from generator.errors import PackError

    if is_pack_path(name_or_path):
        from generator.pack.loader import load_pack_file

        return load_pack_file(name_or_path)
    from generator import plugins

    obj = plugins.packs.load(str(name_or_path))
    pack = obj() if callable(obj) else obj
    if isinstance(pack, (str, Path)):
        from generator.pack.loader import load_pack_file

        pack = load_pack_file(pack)
    if not isinstance(pack, Pack):
        raise PackError(f"pack plugin {name_or_path!r} returned {type(pack).__name__}, not a Pack")
    return pack
