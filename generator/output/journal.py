"""Carry out a plan as a transaction through the manifest's journal (issue 20).

1. Everything is rendered and planned first; a plan with problems writes nothing.
2. The manifest is rewritten with the intended changes under ``journal`` before the first write.
3. Files are replaced atomically (temporary file + rename) or deleted, one by one.
4. The manifest with the completed state, without ``journal``, is written after the last one.

A failure or interruption (SIGINT/SIGTERM) during step 3 rolls the written files back to the
bytes they had and restores the manifest, so the tree is as it was. A kill -9 leaves the journal:
the next run reconciles it with the disk (``manifest._recover``) and finishes or undoes the work
through its own plan. Temporary files carry the ``.clausegate-tmp-`` prefix; every run removes
those an interrupted run left in the folders it owns.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

from generator.output.manifest import MANIFEST_NAME, OwnershipConflict, manifest_text
from generator.output.plan import Change, Plan


def _folders(paths: set[str]) -> set[str]:
    out = {""}
    for p in paths:
        folder = posixpath.dirname(p)
        while folder:
            out.add(folder)
            folder = posixpath.dirname(folder)
    return out


def apply(p: Plan) -> list[str]:
    """Carry out a plan that has no problems; return notes (stale temporary files removed)."""
    if p.problems:
        raise OwnershipConflict(f"refusing to write {len(p.problems)} file(s): " + "; ".join(p.problems))
    safe = p.safe
    assert safe is not None and p.base is not None
    created_root = not safe.root.exists()
    writes = p.file_changes()
    lock = None
    notes: list[str] = []
    try:
        if writes or p.manifest_old != p.manifest_text:
            if created_root:
                os.makedirs(safe.root, exist_ok=True)
        if safe.root.exists():
            lock = safe.lock()
            known = set(p.base.get("files", {})) | set(p.manifest["files"]) | p.journal_paths
            removed = safe.remove_stale_temps(_folders(known))
            notes += [f"removed a temporary file an interrupted run left: {r}" for r in removed]
            # Folders an interrupted run created for files it never wrote.
            for path in sorted(p.journal_paths):
                if path not in p.manifest["files"]:
                    safe.prune_empty_dirs(path)
        if not writes:
            if p.manifest_old != p.manifest_text:
                safe.write_bytes(MANIFEST_NAME, p.manifest_text.encode("utf-8"))
            return notes
        journal = dict(p.base)
        journal["journal"] = {"changes": {c.path: _journal_entry(c, p) for c in writes}}
        safe.write_bytes(MANIFEST_NAME, manifest_text(journal).encode("utf-8"))
        done: list[Change] = []
        # Test seam for the kill -9 suite: seconds to pause after each file of the write phase, so that a
        # kill aimed at the write phase lands in it on a fast machine too (unset: no pause).
        pause = _write_pause()
        try:
            for c in writes:
                if pause:
                    import time

                    time.sleep(pause)
                if c.action == "delete":
                    safe.unlink(c.path)
                else:
                    assert c.new is not None
                    safe.write_bytes(c.path, c.new.encode("utf-8"))
                done.append(c)
        except BaseException:
            _rollback(p, done, created_root)
            raise
        safe.write_bytes(MANIFEST_NAME, p.manifest_text.encode("utf-8"))
        return notes
    finally:
        if lock is not None:
            os.close(lock)


def _journal_entry(c: Change, p: Plan) -> dict[str, Any]:
    from generator.output.manifest import sha256_bytes

    return {
        "action": c.action,
        "old": sha256_bytes(c.old) if c.old is not None else None,
        "new": p.manifest["files"].get(c.path) if c.action != "delete" else None,
    }


def _rollback(p: Plan, done: list[Change], created_root: bool) -> None:
    """Put back the bytes every applied change replaced; restore the manifest when all went back."""
    safe = p.safe
    assert safe is not None
    ok = True
    for c in reversed(done):
        try:
            if c.old is None:
                safe.unlink(c.path)
            else:
                safe.write_bytes(c.path, c.old)
        except Exception:
            ok = False  # the journal stays: the next run reconciles what is on disk
    if not ok:
        return
    try:
        if p.manifest_old is not None and not p.recovered:
            safe.write_bytes(MANIFEST_NAME, p.manifest_old.encode("utf-8"))
        elif p.manifest_old is not None:
            safe.write_bytes(MANIFEST_NAME, manifest_text(p.base or {}).encode("utf-8"))
        else:
            safe.unlink(MANIFEST_NAME)
        if created_root:
            try:
                safe.root.rmdir()
            except OSError:
                pass
    except Exception:
        pass


def _write_pause() -> float:
    """``CLAUSEGATE_TEST_WRITE_PAUSE`` (seconds, at most 1), else 0."""
    import os

    try:
        return min(max(float(os.environ.get("CLAUSEGATE_TEST_WRITE_PAUSE", "0")), 0.0), 1.0)
    except ValueError:
        return 0.0
