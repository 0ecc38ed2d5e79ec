"""Decide every change a run makes to the output root before anything is written.

Rules (CONTRACTS.md, "Generated output layout"): a file not recorded in the manifest is never
written or deleted; an owned file whose bytes no longer match the recorded hash was edited by
hand and blocks the run unless ``force``; a file is overwritten or deleted only when it also
carries the generated-file marker, so a manifest edited to claim a hand-written file cannot
make clausegate overwrite or delete it (deletion: ``--force`` included). ``--check`` uses the same plan and writes nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import InputError
from generator.fsio import PATH_MAX, SafeRoot, unsafe_relative
from generator.output.manifest import (
    MANIFEST_NAME,
    MANIFEST_SCHEMA_VERSION,
    LoadedManifest,
    carries_marker,
    legacy_unmarked,
    load_manifest,
    manifest_text,
    sha256_bytes,
    sha256_text,
)


@dataclass(frozen=True)
class RenderedFile:
    """One file a target produced for a pack."""

    path: str
    text: str
    pack: str
    target: str


@dataclass
class Change:
    """What the run does to one path; ``old`` is the bytes on disk (None when absent)."""

    path: str
    action: str  # "create" | "update" | "delete" | "unchanged"
    old: bytes | None
    new: str | None
    pack: str = ""
    target: str = ""

    @property
    def old_text(self) -> str | None:
        """The bytes on disk as text, for diffs."""
        return None if self.old is None else self.old.decode("utf-8", "replace")


@dataclass
class Plan:
    """The complete, validated effect of a run on the output root."""

    root: Path
    changes: list[Change]
    manifest: dict[str, Any]
    manifest_old: str | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    safe: SafeRoot | None = None
    base: dict[str, Any] | None = None  # the manifest as read, a journal recovered
    recovered: bool = False
    journal_paths: set[str] = field(default_factory=set)

    @property
    def manifest_text(self) -> str:
        """The manifest as it will be written."""
        return manifest_text(self.manifest)

    def file_changes(self) -> list[Change]:
        """Changes to generated files (the manifest excluded)."""
        return [c for c in self.changes if c.action != "unchanged"]

    def pending(self) -> list[Change]:
        """Changes that alter the tree, the manifest included."""
        out = self.file_changes()
        if self.manifest_old != self.manifest_text:
            out.append(Change(MANIFEST_NAME, "update" if self.manifest_old is not None else "create",
                              None if self.manifest_old is None else self.manifest_old.encode("utf-8"),
                              self.manifest_text))
        return out

    def diff(self) -> str:
        """A unified diff from what is on disk to what would be generated."""
        chunks: list[str] = []
        for c in self.pending():
            old = (c.old_text or "").splitlines(keepends=True)
            new = (c.new or "").splitlines(keepends=True)
            a = f"a/{c.path}" if c.old is not None else "/dev/null"
            b = f"b/{c.path}" if c.new is not None else "/dev/null"
            lines = list(difflib.unified_diff(old, new, a, b))
            if not lines:  # e.g. only a missing final newline differs
                lines = [f"--- {a}\n", f"+++ {b}\n", "@@ binary or whitespace-only difference @@\n"]
            for line in lines:
                chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(chunks)


def check_rendered_path(root: Path, f: RenderedFile) -> None:
    """Refuse a rendered path that is unsafe or does not fit the file system (exit 2, nothing written)."""
    why = unsafe_relative(f.path) if f.path != MANIFEST_NAME else "is the manifest's name"
    if why:
        raise InputError(f"pack {f.pack!r}: target {f.target} would write {f.path!r}, which {why}; "
                         "nothing was written (shorten the pack's names, e.g. its category or slug)")
    if len(str(root / f.path).encode("utf-8", "surrogateescape")) >= PATH_MAX:
        raise InputError(f"pack {f.pack!r}: target {f.target} would write {root / f.path}, a path longer than "
                         f"the file system allows; nothing was written")


def plan(root: Path, files: list[RenderedFile], *, force: bool = False,
         packs: set[str] | None = None, targets: set[str] | None = None,
         follow_symlinks: bool = False, pack_paths: dict[str, str | None] | None = None) -> Plan:
    """Decide every change for writing ``files`` under ``root``; nothing is written here.

    ``packs`` and ``targets`` say which (pack, target) outputs this run regenerates: files they
    owned before and no longer produce are deleted. Other owners' entries are left alone.
    ``pack_paths`` maps a rendered pack to its YAML path relative to the root (None: registered).
    """
    safe = SafeRoot(root, follow_symlinks=follow_symlinks)
    root = safe.root
    loaded: LoadedManifest = load_manifest(safe)
    owned: dict[str, dict[str, Any]] = dict(loaded.files)
    packs = packs if packs is not None else {f.pack for f in files}
    targets = targets if targets is not None else {f.target for f in files}
    changes: list[Change] = []
    problems: list[str] = []
    warnings: list[str] = []
    new_owned = dict(owned)
    seen: dict[str, RenderedFile] = {}
    for f in files:
        check_rendered_path(root, f)
        if f.path in seen:
            other = seen[f.path]
            raise InputError(f"{f.path} is produced twice: by {other.pack}/{other.target} and {f.pack}/{f.target}")
        seen[f.path] = f

    for f in sorted(files, key=lambda x: x.path):
        disk = safe.read_bytes(f.path)
        entry = owned.get(f.path)
        new_bytes = f.text.encode("utf-8")
        record = {"pack": f.pack, "target": f.target, "sha256": sha256_text(f.text)}

        def change(action: str) -> Change:
            return Change(f.path, action, disk, f.text, f.pack, f.target)

        if entry is not None and (entry.get("pack"), entry.get("target")) != (f.pack, f.target) \
                and (entry.get("pack") not in packs or entry.get("target") not in targets):
            problems.append(f"{f.path}: owned by {entry.get('pack')}/{entry.get('target')}, "
                            f"now also produced by {f.pack}/{f.target}")
            if disk != new_bytes:
                changes.append(change("update" if disk is not None else "create"))
            continue
        if disk is None:
            changes.append(change("create"))
        elif disk == new_bytes:
            changes.append(change("unchanged"))  # adopt identical files
        elif entry is None:
            problems.append(f"{f.path}: exists and is not owned by clausegate (not in {MANIFEST_NAME}); "
                            "move it away or delete it, clausegate will not overwrite it")
            changes.append(change("update"))
            continue
        elif sha256_bytes(disk) != entry.get("sha256") and not force:
            problems.append(f"{f.path}: edited by hand since clausegate wrote it (use --force to overwrite)")
            changes.append(change("update"))
            continue
        elif not force and not carries_marker(f.path, disk) and not legacy_unmarked(f.path, disk):
            # The hash matches but clausegate never wrote this: a manifest edited to claim a
            # hand-written file. (--force overwrites hand edits of owned files, as documented.)
            problems.append(f"{f.path}: listed in {MANIFEST_NAME} but carries no 'Generated by clausegate' "
                            "marker, so clausegate did not write it; it will not overwrite it (move it "
                            "away)")
            changes.append(change("update"))
            continue
        else:
            changes.append(change("update"))
        new_owned[f.path] = record

    for path, entry in sorted(owned.items()):
        if path in seen or entry.get("pack") not in packs or entry.get("target") not in targets:
            continue
        disk = safe.read_bytes(path)
        if disk is None:
            del new_owned[path]
            continue
        if sha256_bytes(disk) != entry.get("sha256"):
            if not force:
                problems.append(f"{path}: no longer generated but edited by hand (use --force to stop "
                                "tracking it; clausegate deletes only files it wrote, unchanged)")
                changes.append(Change(path, "delete", disk, None, entry["pack"], entry["target"]))
                continue
            warnings.append(f"{path}: no longer generated and edited by hand: left in place, no longer "
                            f"listed in {MANIFEST_NAME}")
        elif not carries_marker(path, disk) and not legacy_unmarked(path, disk):
            warnings.append(f"{path}: no longer generated but carries no 'Generated by clausegate' marker: "
                            f"left in place, no longer listed in {MANIFEST_NAME}")
        else:
            changes.append(Change(path, "delete", disk, None, entry["pack"], entry["target"]))
        del new_owned[path]

    still = {e["pack"] for e in new_owned.values()}
    pack_sources = {k: v for k, v in dict(loaded.data.get("packs", {})).items() if k in still}
    for name, rel in (pack_paths or {}).items():
        if rel is None:
            pack_sources.pop(name, None)
        elif name in still:
            pack_sources[name] = {"path": rel}
    new_manifest: dict[str, Any] = {
        "schemaVersion": MANIFEST_SCHEMA_VERSION,
        "generator": "clausegate",
        "files": dict(sorted(new_owned.items())),
    }
    if pack_sources:
        new_manifest["packs"] = dict(sorted(pack_sources.items()))
    if loaded.recovered:
        warnings.append(f"{MANIFEST_NAME} records an interrupted run: each file it lists counts as owned in the "
                        "version it has now, and `clausegate generate` finishes or undoes the rest")
    return Plan(root, sorted(changes, key=lambda c: c.path), new_manifest, loaded.text, problems, warnings,
                safe=safe, base=loaded.data, recovered=loaded.recovered, journal_paths=set(loaded.journal_paths))
