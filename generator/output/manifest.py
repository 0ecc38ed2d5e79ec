"""The ownership manifest ``.clausegate-manifest.json``: reading, validating, and recovering a journal.

Layout (schemaVersion 1; fields are only ever added)::

    {"schemaVersion": 1, "generator": "clausegate",
     "files": {"<relative path>": {"pack": P, "target": T, "sha256": H}},
     "packs": {"<pack name>": {"path": "<pack YAML, relative to the root>"}},   # packs read from a file
     "journal": {"changes": {"<path>": {"action": A, "old": H|null, "new": {pack, target, sha256}|null}}}}

``journal`` is present only while a run writes (issue 20): it is recorded before the first write
and removed by the manifest written after the last one. A reader that finds it reconciles it
with the disk: each journaled file is owned in the version it has now (old or new), or not at all
when absent, so the manifest owns exactly the files present and the next run finishes the work.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from generator.errors import InputError
from generator.fsio import SafeRoot, unsafe_relative

MANIFEST_NAME = ".clausegate-manifest.json"
MANIFEST_SCHEMA_VERSION = 1
_SHA = re.compile(r"^[0-9a-f]{64}$")
_ACTIONS = ("create", "update", "delete")


class OwnershipConflict(InputError):
    """Files block the run: not owned by clausegate, or owned but edited by hand (exit 2)."""


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of UTF-8 text."""
    return sha256_bytes(text.encode("utf-8"))


def empty_manifest() -> dict[str, Any]:
    """A manifest that owns nothing."""
    return {"schemaVersion": MANIFEST_SCHEMA_VERSION, "generator": "clausegate", "files": {}}


def manifest_text(data: dict[str, Any]) -> str:
    """The manifest serialised the one way clausegate writes it."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def carries_marker(path: str, data: bytes) -> bool:
    """True when ``data`` carries the generated-file marker every clausegate target writes.

    A header comment in the first lines (HCL, YAML, Markdown, JSONC), or in JSON a ``$comment``
    holding the phrase or a ``clausegate`` provenance object under ``metadata`` (ARM templates)
    or ``properties.metadata`` (policy definitions and sets).
    """
    from generator.targets.base import MARKER_PHRASE

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    phrase = MARKER_PHRASE.lower()
    if phrase in "\n".join(text.splitlines()[:5]).lower():
        return True
    if not path.endswith(".json"):
        return False
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if not isinstance(doc, dict):
        return False
    comment = doc.get("$comment")
    if isinstance(comment, str) and phrase in comment.lower():
        return True
    props = doc.get("properties")
    for meta in (doc.get("metadata"), props.get("metadata") if isinstance(props, dict) else None):
        if isinstance(meta, dict) and isinstance(meta.get("clausegate"), dict):
            return True
    return False


_LEGACY_HEADER = re.compile(r"^modules/([^/]+)/_header\.md$")
_LEGACY_FOOTER = re.compile(r"^modules/[^/]+/_footer\.md$")
_LEGACY_CASE = re.compile(r"^modules/[^/]+/policies/tests/[^/]+\.json$")


def legacy_unmarked(path: str, data: bytes) -> bool:
    """True for the three kinds of file clausegate wrote without a marker before 0.x (module
    ``_header.md``/``_footer.md`` and policy-test cases), recognised by path and shape; used only
    for a file whose hash still equals the manifest's, so that upgrading does not block a root."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    m = _LEGACY_HEADER.match(path)
    if m:
        return text.startswith(f"# {m.group(1)}\n")
    if _LEGACY_FOOTER.match(path):
        return text.startswith("## Testing\n")
    if _LEGACY_CASE.match(path):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            return False
        return (isinstance(doc, dict) and {"resource", "expect"} <= set(doc)
                and set(doc) <= {"resource", "context", "parameters", "expect"})
    return False


@dataclass
class LoadedManifest:
    """The manifest as read (``text`` None when absent) and its state after recovering a journal."""

    data: dict[str, Any]
    text: str | None
    recovered: bool = False
    journal_paths: set[str] = field(default_factory=set)

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """Owned files: path -> {pack, target, sha256}."""
        return self.data["files"]  # type: ignore[no-any-return]

    def owned_packs(self) -> list[str]:
        """Names of the packs that own at least one file, sorted."""
        return sorted({e["pack"] for e in self.files.values()})


def _invalid(message: str, safe: SafeRoot) -> InputError:
    return InputError(f"invalid manifest: {message}", file=str(safe.root / MANIFEST_NAME),
                      hint="restore it from version control, or delete it and rerun (identical files are adopted)")


def _check_record(path: str, entry: Any, where: str, safe: SafeRoot) -> None:
    if not isinstance(entry, dict):
        raise _invalid(f"{where} {path!r} is not an object", safe)
    for key in ("pack", "target"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise _invalid(f"{where} {path!r} has no {key!r} name", safe)
    if not isinstance(entry.get("sha256"), str) or not _SHA.match(entry["sha256"]):
        raise _invalid(f"{where} {path!r} has no sha256 of 64 hex digits", safe)


def _check_path(path: Any, where: str, safe: SafeRoot) -> None:
    why = unsafe_relative(path) if path != MANIFEST_NAME else "is the manifest itself"
    if why:
        raise _invalid(f"{where} {path!r} is not a relative path inside the output root: it {why}", safe)
    try:
        safe.resolve(path)
    except InputError as exc:
        raise _invalid(f"{where} {path!r}: {exc.message}", safe) from None


def load_manifest(safe: SafeRoot) -> LoadedManifest:
    """Read and validate the manifest under ``safe.root`` (empty when absent), recovering a journal
    in memory; anything unsafe or malformed is InputError "invalid manifest" (exit 2)."""
    raw = safe.read_bytes(MANIFEST_NAME)
    if raw is None:
        return LoadedManifest(empty_manifest(), None)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(f"not UTF-8 text (byte {exc.start})", safe) from None
    from generator.errors import InputError
    from generator.safeload import parse_json

    try:
        # The one safe JSON reader: nesting, huge integers and NaN/Infinity are bad input, never exit 3.
        data = parse_json(text, MANIFEST_NAME)
    except InputError as exc:
        raise _invalid(f"not valid JSON ({exc.message})", safe) from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise _invalid("no 'files' object", safe)
    for path, entry in data["files"].items():
        _check_path(path, "entry", safe)
        _check_record(path, entry, "entry", safe)
    packs = data.get("packs", {})
    if not isinstance(packs, dict) or any(not isinstance(v, dict) or unsafe_relative(v.get("path"))
                                          for v in packs.values()):
        raise _invalid("'packs' must map pack names to {\"path\": relative path}", safe)
    loaded = LoadedManifest(data, text)
    if "journal" in data:
        _recover(loaded, safe)
    return loaded


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _recover(loaded: LoadedManifest, safe: SafeRoot) -> None:
    """Reconcile an interrupted run's journal with the disk (in memory; the next write records it)."""
    journal = loaded.data.get("journal")
    changes = journal.get("changes") if isinstance(journal, dict) else None
    if not isinstance(changes, dict):
        raise _invalid("'journal' has no 'changes' object", safe)
    files = dict(loaded.files)
    for path, change in changes.items():
        _check_path(path, "journal entry", safe)
        if not isinstance(change, dict) or change.get("action") not in _ACTIONS:
            raise _invalid(f"journal entry {path!r} has no action among {', '.join(_ACTIONS)}", safe)
        new = change.get("new")
        if new is not None:
            _check_record(path, new, "journal entry", safe)
        disk = safe.read_bytes(path)
        loaded.journal_paths.add(path)
        if disk is None:
            files.pop(path, None)  # deleted, or never created: owned by nobody
            continue
        digest = sha256_bytes(disk)
        if new is not None and digest == new["sha256"]:
            files[path] = dict(new)  # the interrupted run wrote it: owned in its new version
        elif path in files and digest == files[path]["sha256"]:
            pass  # still the old version, as recorded
        elif change.get("old") is not None and digest == change["old"] and path in files:
            pass
        # Otherwise someone changed it meanwhile: the recorded entry (if any) stays, so the next
        # run sees a hand edit and blocks instead of guessing.
    data = {k: v for k, v in loaded.data.items() if k != "journal"}
    data["files"] = dict(sorted(files.items()))
    loaded.data = data
    loaded.recovered = True
