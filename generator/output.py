"""Write rendered files under an output root, tracking ownership in ``.clausegate-manifest.json``.

Rules (CONTRACTS.md, "Generated output layout"): a file not recorded in the manifest is never
written or deleted; an owned file whose bytes no longer match the recorded hash was edited by
hand and blocks the run unless ``force``; everything is decided before the first write, so a run
that fails changes nothing. ``--check`` uses the same plan and writes nothing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import InputError

MANIFEST_NAME = ".clausegate-manifest.json"
MANIFEST_SCHEMA_VERSION = 1


class OwnershipConflict(InputError):
    """Files block the run: not owned by clausegate, or owned but edited by hand (exit 2)."""


def sha256_text(text: str) -> str:
    """Hex SHA-256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RenderedFile:
    """One file a target produced for a pack."""

    path: str
    text: str
    pack: str
    target: str


@dataclass
class Change:
    """What the run does to one path."""

    path: str
    action: str  # "create" | "update" | "delete" | "unchanged"
    old: str | None
    new: str | None


@dataclass
class Plan:
    """The complete, validated effect of a run on the output root."""

    root: Path
    changes: list[Change]
    manifest: dict[str, Any]
    manifest_old: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def manifest_text(self) -> str:
        """The manifest as it will be written."""
        return json.dumps(self.manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    def pending(self) -> list[Change]:
        """Changes that alter the tree, the manifest included."""
        out = [c for c in self.changes if c.action != "unchanged"]
        if self.manifest_old != self.manifest_text:
            out.append(Change(MANIFEST_NAME, "update" if self.manifest_old is not None else "create",
                              self.manifest_old, self.manifest_text))
        return out

    def diff(self) -> str:
        """A unified diff from what is on disk to what would be generated."""
        chunks: list[str] = []
        for c in self.pending():
            old = (c.old or "").splitlines(keepends=True)
            new = (c.new or "").splitlines(keepends=True)
            a = f"a/{c.path}" if c.old is not None else "/dev/null"
            b = f"b/{c.path}" if c.new is not None else "/dev/null"
            lines = list(difflib.unified_diff(old, new, a, b))
            if not lines:  # e.g. only a missing final newline differs
                lines = [f"--- {a}\n", f"+++ {b}\n", "@@ binary or whitespace-only difference @@\n"]
            for line in lines:
                chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(chunks)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder (from ``start`` upwards) holding a manifest, else the repository root (the
    nearest folder holding ``.git``, CONTRACTS.md), else ``start`` itself."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MANIFEST_NAME).is_file():
            return folder
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return "\ufffd<not UTF-8 text>\n"
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def load_manifest(root: Path) -> tuple[dict[str, Any], str | None]:
    """Read the manifest (an empty one when absent); a damaged manifest is bad input (exit 2)."""
    text = _read(root / MANIFEST_NAME)
    if text is None:
        return {"schemaVersion": MANIFEST_SCHEMA_VERSION, "generator": "clausegate", "files": {}}, None
    try:
        from generator.safeload import parse_json  # depth, size and NaN limits: bad input, never exit 3

        data = parse_json(text, str(root / MANIFEST_NAME))
        if not isinstance(data.get("files"), dict):
            raise ValueError("no 'files' object")
        for path, entry in data["files"].items():
            # An entry is a file under the root that clausegate wrote: never a path outside it
            # (--force would delete it) and never anything but an object.
            if not _safe_relative(path):
                raise ValueError(f"entry {path!r} is not a relative path inside the output root")
            if not isinstance(entry, dict):
                raise ValueError(f"entry {path!r} is not an object")
    except (ValueError, AttributeError) as exc:
        raise InputError(f"damaged manifest: {exc}", file=str(root / MANIFEST_NAME),
                         hint="restore it from version control") from None
    return data, text


def _safe_relative(path: str) -> bool:
    p = Path(path)
    return bool(path) and not (p.is_absolute() or ".." in p.parts or path.startswith("/") or "\\" in path
                               or path == MANIFEST_NAME)


def _check_path(path: str) -> None:
    p = Path(path)
    if p.is_absolute() or ".." in p.parts or path.startswith("/") or "\\" in path or path == MANIFEST_NAME:
        raise InputError(f"a target produced an unsafe output path: {path!r}")


def plan(root: Path, files: list[RenderedFile], *, force: bool = False,
         packs: set[str] | None = None, targets: set[str] | None = None) -> Plan:
    """Decide every change for writing ``files`` under ``root``; nothing is written here.

    ``packs`` and ``targets`` say which (pack, target) outputs this run regenerates: files they
    owned before and no longer produce are deleted. Other owners' entries are left alone.
    """
    root = root.resolve()
    manifest, manifest_old = load_manifest(root)
    owned: dict[str, dict[str, Any]] = dict(manifest["files"])
    packs = packs if packs is not None else {f.pack for f in files}
    targets = targets if targets is not None else {f.target for f in files}
    changes: list[Change] = []
    problems: list[str] = []
    new_owned = dict(owned)
    seen: dict[str, RenderedFile] = {}
    for f in files:
        _check_path(f.path)
        if f.path in seen:
            other = seen[f.path]
            raise InputError(f"{f.path} is produced twice: by {other.pack}/{other.target} and {f.pack}/{f.target}")
        seen[f.path] = f

    for f in sorted(files, key=lambda x: x.path):
        disk = _read(root / f.path)
        entry = owned.get(f.path)
        record = {"pack": f.pack, "target": f.target, "sha256": sha256_text(f.text)}
        if entry is not None and (entry.get("pack"), entry.get("target")) != (f.pack, f.target) \
                and (entry.get("pack") not in packs or entry.get("target") not in targets):
            problems.append(f"{f.path}: owned by {entry.get('pack')}/{entry.get('target')}, "
                            f"now also produced by {f.pack}/{f.target}")
            if disk != f.text:
                changes.append(Change(f.path, "update" if disk is not None else "create", disk, f.text))
            continue
        if disk is None:
            changes.append(Change(f.path, "create", None, f.text))
        elif disk == f.text:
            changes.append(Change(f.path, "unchanged", disk, f.text))  # adopt identical files
        elif entry is None:
            problems.append(f"{f.path}: exists and is not owned by clausegate (not in {MANIFEST_NAME}); "
                            "move it away or delete it, clausegate will not overwrite it")
            changes.append(Change(f.path, "update", disk, f.text))
            continue
        elif sha256_text(disk) != entry.get("sha256") and not force:
            problems.append(f"{f.path}: edited by hand since clausegate wrote it (use --force to overwrite)")
            changes.append(Change(f.path, "update", disk, f.text))
            continue
        else:
            changes.append(Change(f.path, "update", disk, f.text))
        new_owned[f.path] = record

    for path, entry in sorted(owned.items()):
        if path in seen or entry.get("pack") not in packs or entry.get("target") not in targets:
            continue
        disk = _read(root / path)
        if disk is not None and sha256_text(disk) != entry.get("sha256") and not force:
            problems.append(f"{path}: no longer generated but edited by hand (use --force to delete it)")
            changes.append(Change(path, "delete", disk, None))
            continue
        if disk is not None:
            changes.append(Change(path, "delete", disk, None))
        del new_owned[path]

    new_manifest = {
        "schemaVersion": MANIFEST_SCHEMA_VERSION,
        "generator": "clausegate",
        "files": dict(sorted(new_owned.items())),
    }
    return Plan(root, sorted(changes, key=lambda c: c.path), new_manifest, manifest_old, problems)


def apply(p: Plan) -> None:
    """Carry out a plan that has no problems: atomic writes, deletions, then the manifest."""
    from generator.fsio import write_text_atomic

    if p.problems:
        raise OwnershipConflict("refusing to write:\n  " + "\n  ".join(p.problems))
    for c in p.changes:
        target = p.root / c.path
        if c.action in ("create", "update"):
            assert c.new is not None
            write_text_atomic(target, c.new, plain_mode=True)
        elif c.action == "delete":
            target.unlink(missing_ok=True)
            _prune_empty_dirs(target.parent, p.root)
    if p.manifest_old != p.manifest_text:
        write_text_atomic(p.root / MANIFEST_NAME, p.manifest_text, plain_mode=True)


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def render_packs(
    pack_refs: list[str], target_names: list[str], *, catalog_path: str | None = None
) -> tuple[list[RenderedFile], set[str]]:
    """Load every pack and render it with every target, validating all before returning."""
    from generator.pack import load_pack
    from generator.targets import RenderOptions, load_target

    catalog = None
    if catalog_path is not None:
        from generator.pack.catalog import load_catalog

        catalog = load_catalog(catalog_path)
    options = RenderOptions(catalog=catalog)
    targets = [(name, load_target(name)) for name in target_names]
    out: list[RenderedFile] = []
    names: set[str] = set()
    for ref in pack_refs:
        pack = load_pack(ref)
        if pack.name in names:
            raise InputError(f"pack {pack.name!r} given twice")
        names.add(pack.name)
        for tname, target in targets:
            for path, text in target.render(pack, options).items():
                out.append(RenderedFile(path, text, pack.name, tname))
    return out, names


def generate(root: Path, pack_refs: list[str], target_names: list[str], *, check: bool = False,
             force: bool = False, catalog_path: str | None = None) -> Plan:
    """Render, plan and (unless ``check``) apply; return the plan for reporting."""
    files, pack_names = render_packs(pack_refs, target_names, catalog_path=catalog_path)
    p = plan(root, files, force=force, packs=pack_names, targets=set(target_names))
    if not check:
        apply(p)
    return p


def relpath(path: Path) -> str:
    """``path`` relative to the working directory when below it, for messages."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
