"""Hostile manifests and roots: a manifest cannot make `generate` touch what it did not write, and a
manifest outside the repository is never used (issues 12 and 19)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gen_support import (  # noqa: E402
    EXAMPLE_PACK,
    MANIFEST,
    MARKED,
    assert_consistent,
    assert_error,
    make_repo,
    manifest,
    run_cg,
    sha,
    snapshot,
    write_manifest,
)

PACK = "restricted-data-network"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    proc = run_cg("generate", "--pack", EXAMPLE_PACK, "--out", root)
    assert proc.returncode == 0, proc.stderr
    return root


def gen(root: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_cg("generate", "--pack", EXAMPLE_PACK, "--out", root, *extra)


@pytest.mark.parametrize("extra", [(), ("--force",)])
def test_manifest_claiming_a_hand_written_file_cannot_delete_it(root: Path, extra) -> None:  # type: ignore[no-untyped-def]
    mine = root / "modules" / "notes.md"
    mine.write_text("my own notes\n", "utf-8")
    data = manifest(root)
    data["files"]["modules/notes.md"] = {"pack": PACK, "target": "terraform", "sha256": sha(mine.read_bytes())}
    write_manifest(root, data)
    proc = gen(root, *extra)
    assert proc.returncode == 0, proc.stderr
    assert "modules/notes.md" in proc.stderr and "marker" in proc.stderr  # said, not silent
    assert mine.read_text("utf-8") == "my own notes\n"
    assert "modules/notes.md" not in manifest(root)["files"]  # and no longer claimed
    assert_consistent_except(root, {"modules/notes.md"})


def assert_consistent_except(root: Path, hand_written: set[str]) -> None:
    data = manifest(root)
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert set(data["files"]) == present - hand_written


def test_manifest_claiming_a_hand_written_file_at_a_generated_path_cannot_overwrite_it(root: Path) -> None:
    main_tf = root / "modules" / "restricted-data-net-definitions" / "main.tf"
    main_tf.write_text("# my own module\n", "utf-8")
    data = manifest(root)
    data["files"]["modules/restricted-data-net-definitions/main.tf"]["sha256"] = sha(main_tf.read_bytes())
    write_manifest(root, data)
    before = snapshot(root)
    proc = gen(root)
    assert proc.returncode == 2 and "marker" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(root) == before


BAD_ENTRIES = {
    "absolute": "/etc/hosts",
    "dotdot": "../outside.txt",
    "dotdot-inner": "modules/../../outside.txt",
    "nul": "modules/a\u0000b.tf",
    "backslash": "modules\\x.tf",
    "empty-part": "modules//x.tf",
    "too-long": "modules/" + "x" * 300 + ".tf",
}


@pytest.mark.parametrize("kind", sorted(BAD_ENTRIES))
def test_unsafe_manifest_entries_make_the_manifest_invalid_and_nothing_is_written(root: Path, kind: str) -> None:
    (root.parent / "outside.txt").write_bytes(MARKED)
    data = manifest(root)
    data["files"][BAD_ENTRIES[kind]] = {"pack": PACK, "target": "terraform", "sha256": sha(MARKED)}
    write_manifest(root, data)
    before = snapshot(root.parent)
    for extra in ((), ("--force",), ("--check",)):
        assert_error(gen(root, *extra), 2, "invalid manifest")
        assert snapshot(root.parent) == before


@pytest.mark.parametrize("body", [
    b'{"files": {"a": 1}',                               # not JSON
    b'{"files": {"modules/a\x00.tf": {}}}',             # a raw NUL byte
    b"[" * 100000 + b"]" * 100000,                      # nested beyond the parser's recursion
    b'{"files": []}',                                   # wrong shape
    b'{"files": {"modules/x.tf": {"pack": "p", "target": "t", "sha256": "zz"}}}',
    b'{"files": {}, "journal": {"changes": {"../x": {"action": "create", "old": null, "new": null}}}}',
    b"\xff\xfe{}",                                      # not UTF-8
])
def test_damaged_manifest_is_exit_2_and_changes_nothing(root: Path, body: bytes) -> None:
    (root / MANIFEST).write_bytes(body)
    before = snapshot(root.parent)
    assert_error(gen(root, "--force"), 2, "invalid manifest")
    assert snapshot(root.parent) == before


def test_a_manifest_above_the_repository_is_ignored(tmp_path: Path) -> None:
    # Issue 19: a foreign manifest in the parent of the repository listed a file there; it was
    # used as the output root, so `generate` wrote modules/ into the parent and deleted the file.
    parent = tmp_path / "parent"
    repo = make_repo(parent)
    victim = parent / "victim.tf"
    victim.write_bytes(MARKED)
    foreign = {"schemaVersion": 1, "generator": "clausegate",
               "files": {"victim.tf": {"pack": PACK, "target": "terraform", "sha256": sha(MARKED)}}}
    (parent / MANIFEST).write_text(json.dumps(foreign), "utf-8")
    work = repo / "sub" / "deeper"
    work.mkdir(parents=True)
    before = snapshot(parent, exclude=repo)
    proc = run_cg("generate", "--pack", EXAMPLE_PACK, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert f"output root: {repo.resolve()} (repository root)" in proc.stderr
    assert snapshot(parent, exclude=repo) == before  # nothing written or deleted outside the repository
    assert (repo / "modules" / "restricted-data-net-definitions" / "main.tf").is_file()
    assert_consistent(repo)
    # The default run finds the same root.
    assert run_cg("generate", "--pack", EXAMPLE_PACK, "--check", cwd=work).returncode == 0


def test_outside_a_repository_the_root_is_the_working_directory(tmp_path: Path) -> None:
    if any((p / ".git").exists() for p in (tmp_path, *tmp_path.parents)):
        pytest.skip("the temporary folder lies inside a repository")
    victim = tmp_path / "victim.tf"
    victim.write_bytes(MARKED)
    (tmp_path / MANIFEST).write_text(json.dumps({"files": {"victim.tf": {
        "pack": PACK, "target": "terraform", "sha256": sha(MARKED)}}}), "utf-8")
    work = tmp_path / "work"
    work.mkdir()
    before = snapshot(tmp_path, exclude=work)
    proc = run_cg("generate", "--pack", EXAMPLE_PACK, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert f"output root: {work.resolve()} (working directory)" in proc.stderr
    assert snapshot(tmp_path, exclude=work) == before
    assert_consistent(work)


def test_a_manifest_between_the_working_directory_and_the_repository_root_is_used(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    inner = repo / "infra"
    pack = inner / "packs" / "mine.yaml"  # a pack kept inside the root: the manifest records its path
    pack.parent.mkdir(parents=True)
    pack.write_bytes(EXAMPLE_PACK.read_bytes())
    assert run_cg("generate", "--pack", pack, "--out", inner).returncode == 0
    assert manifest(inner)["packs"] == {PACK: {"path": "packs/mine.yaml"}}
    work = inner / "modules"
    proc = run_cg("generate", "--check", cwd=work)  # no --pack: the packs the root holds
    assert proc.returncode == 0, proc.stderr
    assert f"output root: {inner.resolve()} (manifest)" in proc.stderr


def test_stale_temporary_files_are_removed_and_foreign_ones_kept(root: Path) -> None:
    folder = root / "modules" / "restricted-data-net-definitions"
    stale = folder / ".clausegate-tmp-0123456789abcdef"
    stale.write_text("half a file", "utf-8")
    other = folder / ".clausegate-tmp-mine.txt"  # not our pattern: a user's file
    other.write_text("keep", "utf-8")
    proc = gen(root)
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists() and other.read_text("utf-8") == "keep"
    assert "temporary file" in proc.stderr
