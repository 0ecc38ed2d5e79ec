"""Where `generate` writes (the output root) and which packs it renders when none is named.

Output root (issue 19): ``--out``, else the nearest folder holding a manifest between the working
directory and the repository boundary (the nearest folder holding ``.git``; outside a repository,
the working directory itself), else that boundary. A manifest above the boundary is never used.

Packs (issue 18): ``--pack`` (repeatable; ``all`` = every registered pack), else the packs listed
in ``.clausegate.yaml`` (passed in as ``configured``), else the packs the root's manifest already
owns, else the shipped pack. Installing another pack therefore never changes what an existing
root's ``generate --check`` compares.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from generator.errors import InputError
from generator.output.manifest import MANIFEST_NAME

SHIPPED_PACK = "microsoft-aoai-law-enforcement"
ALL_PACKS = "all"


@dataclass(frozen=True)
class RootChoice:
    """The output root and why it was chosen (for the line `generate` prints)."""

    path: Path
    reason: str  # "--out" | "manifest" | "repository root" | "working directory"


def repository_boundary(start: Path) -> Path | None:
    """The nearest folder from ``start`` upwards holding ``.git`` (a folder or a worktree's file)."""
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return None


def locate_root(start: Path | None = None) -> RootChoice:
    """Find the output root from ``start`` (default: the working directory) without crossing the
    repository boundary."""
    here = Path(os.path.realpath(start or Path.cwd()))
    boundary = repository_boundary(here)
    stop = boundary or here
    for folder in (here, *here.parents):
        if (folder / MANIFEST_NAME).is_file() and not (folder / MANIFEST_NAME).is_symlink():
            return RootChoice(folder, "manifest")
        if folder == stop:
            break
    return RootChoice(stop, "repository root" if boundary is not None else "working directory")


def find_root(start: Path | None = None) -> Path:
    """The output root (see :func:`locate_root`)."""
    return locate_root(start).path


@dataclass(frozen=True)
class PackSelection:
    """The pack references to render and where the choice came from."""

    refs: list[str]
    reason: str  # "--pack" | "--pack all" | ".clausegate.yaml" | "manifest" | "shipped pack"


def owned_pack_refs(root: Path, *, follow_symlinks: bool = False) -> list[str]:
    """References for the packs ``root``'s manifest owns: the registered name, else the YAML file
    the manifest records for it; a pack neither installed nor recorded is InputError (exit 2)."""
    from generator import plugins
    from generator.fsio import SafeRoot
    from generator.output.manifest import load_manifest

    loaded = load_manifest(SafeRoot(root, follow_symlinks=follow_symlinks))
    registered = set(plugins.packs.names())
    sources = loaded.data.get("packs", {})
    refs = []
    for name in loaded.owned_packs():
        if name in registered:
            refs.append(name)
            continue
        rel = (sources.get(name) or {}).get("path")
        if rel and (root / rel).is_file():
            refs.append(str(root / rel))
            continue
        raise InputError(
            f"the output root {root} holds files of pack {name!r}, which is not installed"
            + (f" (its recorded file {rel} is missing)" if rel else "")
            + "; install it, or name the packs to render with --pack"
        )
    return refs


def select_packs(root: Path, requested: Sequence[str], configured: Sequence[str] | None = None, *,
                 warn: Callable[[str], None] | None = None, follow_symlinks: bool = False) -> PackSelection:
    """The packs a `generate` run renders (precedence: --pack, .clausegate.yaml, manifest, shipped)."""
    from generator import plugins

    def expand(refs: Sequence[str]) -> list[str]:
        out: list[str] = []
        for ref in refs:
            names = plugins.packs.usable_names(warn=warn) if ref == ALL_PACKS else [ref]
            out += [n for n in names if n not in out]
        return out

    if requested:
        return PackSelection(expand(requested), "--pack all" if ALL_PACKS in requested else "--pack")
    if configured:
        return PackSelection(expand(configured), ".clausegate.yaml")
    owned = owned_pack_refs(root, follow_symlinks=follow_symlinks)
    if owned:
        return PackSelection(owned, "manifest")
    return PackSelection([SHIPPED_PACK], "shipped pack")
