"""Hostile trees for `generate`: symlinks inside the output root never lead a write or a delete out of it."""

from __future__ import annotations

import json
import os
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
    manifest,
    run_cg,
    sha,
    snapshot,
    write_manifest,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX symlinks")
DEFS = "modules/restricted-data-net-definitions"


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """An output root and, beside it, a folder that must never change (with a file in it)."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("precious\n", "utf-8")
    return root, outside


def gen(root: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_cg("generate", "--pack", EXAMPLE_PACK, "--out", root, *extra)


@pytest.mark.parametrize("extra", [(), ("--force",)])
def test_modules_folder_that_is_a_symlink_out_of_the_root_is_refused(world, extra) -> None:  # type: ignore[no-untyped-def]
    root, outside = world
    (root / "modules").symlink_to(outside, target_is_directory=True)
    before = snapshot(root.parent)
    assert_error(gen(root, *extra), 2, "symlink", str(root / "modules"))
    assert snapshot(root.parent) == before


def test_policies_folder_linked_out_of_the_root_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    root, outside = world
    assert gen(root).returncode == 0
    policies = root / DEFS / "policies"
    for p in sorted(policies.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    policies.rmdir()
    policies.symlink_to(outside, target_is_directory=True)
    before = snapshot(root.parent)
    for extra in ((), ("--force",)):
        assert_error(gen(root, *extra), 2, "symlink", str(policies))
        assert snapshot(root.parent) == before


def test_final_component_symlink_is_never_written_through(world) -> None:  # type: ignore[no-untyped-def]
    root, outside = world
    assert gen(root).returncode == 0
    main_tf = root / DEFS / "main.tf"
    main_tf.unlink()
    main_tf.symlink_to(outside / "keep.txt")
    before = snapshot(root.parent)
    for extra in ((), ("--force",), ("--follow-symlinks", "--force")):
        assert_error(gen(root, *extra), 2, str(main_tf))
        assert snapshot(root.parent) == before


@pytest.mark.parametrize("extra", [(), ("--force",)])
def test_manifest_entry_under_a_symlinked_folder_is_an_invalid_manifest(world, extra) -> None:  # type: ignore[no-untyped-def]
    root, outside = world
    assert gen(root).returncode == 0
    victim = outside / "victim.tf"
    victim.write_bytes(MARKED)  # even a file that looks generated, with the right hash
    (root / "linked").symlink_to(outside, target_is_directory=True)
    data = manifest(root)
    data["files"]["linked/victim.tf"] = {"pack": "restricted-data-network", "target": "terraform",
                                         "sha256": sha(MARKED)}
    write_manifest(root, data)
    before = snapshot(root.parent)
    assert_error(gen(root, *extra), 2, "invalid manifest", "linked/victim.tf")
    assert snapshot(root.parent) == before


def test_follow_symlinks_follows_a_link_that_stays_inside_the_root(world) -> None:  # type: ignore[no-untyped-def]
    root, outside = world
    (root / "real-modules").mkdir()
    (root / "modules").symlink_to(root / "real-modules", target_is_directory=True)
    before_outside = snapshot(outside)
    assert_error(gen(root), 2, "symlink", str(root / "modules"), "--follow-symlinks")
    proc = gen(root, "--follow-symlinks")
    assert proc.returncode == 0, proc.stderr
    assert (root / "real-modules" / "restricted-data-net-definitions" / "main.tf").is_file()
    owned = set(json.loads((root / MANIFEST).read_text("utf-8"))["files"])
    assert all(p.startswith("modules/") for p in owned)
    assert gen(root, "--follow-symlinks", "--check").returncode == 0
    assert snapshot(outside) == before_outside


def test_follow_symlinks_still_refuses_a_link_out_of_the_root(world) -> None:  # type: ignore[no-untyped-def]
    root, outside = world
    (root / "modules").symlink_to(outside, target_is_directory=True)
    before = snapshot(root.parent)
    assert_error(gen(root, "--follow-symlinks"), 2, "points outside the output root", str(root / "modules"))
    assert snapshot(root.parent) == before


def test_root_itself_may_be_reached_through_a_link(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, _ = world
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    proc = gen(alias)
    assert proc.returncode == 0, proc.stderr
    assert_consistent(root)
