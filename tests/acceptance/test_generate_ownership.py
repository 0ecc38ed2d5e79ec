"""`clausegate generate` from the outside: ownership manifest, --check, bad packs, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.helpers import EXAMPLE_PACK, run, snapshot

MANIFEST = ".clausegate-manifest.json"
MAIN_TF = "modules/restricted-data-net-definitions/main.tf"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    root = tmp_path / "fresh" / "root"   # --out to a directory that does not exist yet
    proc = run("generate", "--pack", EXAMPLE_PACK, "--out", root)
    assert proc.returncode == 0, proc.stderr
    assert (root / MANIFEST).is_file() and (root / MAIN_TF).is_file()
    return root


def test_check_reports_drift_with_a_diff_and_writes_nothing(out: Path) -> None:
    assert run("generate", "--pack", EXAMPLE_PACK, "--out", out, "--check").returncode == 0
    (out / MAIN_TF).write_text((out / MAIN_TF).read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    before = snapshot(out)
    proc = run("generate", "--pack", EXAMPLE_PACK, "--out", out, "--check")
    assert proc.returncode == 1
    assert f"--- a/{MAIN_TF}" in proc.stdout and "-# hand edit" in proc.stdout
    assert snapshot(out) == before
    # A hand-edited owned file blocks a plain run (exit 2, nothing written); --force overwrites it.
    blocked = run("generate", "--pack", EXAMPLE_PACK, "--out", out)
    assert blocked.returncode == 2 and MAIN_TF in blocked.stderr
    assert snapshot(out) == before
    assert run("generate", "--pack", EXAMPLE_PACK, "--out", out, "--force").returncode == 0
    assert "# hand edit" not in (out / MAIN_TF).read_text(encoding="utf-8")


def test_unowned_files_are_never_overwritten(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / MAIN_TF).parent.mkdir(parents=True)
    (root / MAIN_TF).write_text("mine\n", encoding="utf-8")
    for extra in ([], ["--force"]):
        proc = run("generate", "--pack", EXAMPLE_PACK, "--out", root, *extra)
        assert proc.returncode == 2 and "not owned" in proc.stderr
        assert (root / MAIN_TF).read_text(encoding="utf-8") == "mine\n"
        assert not (root / MANIFEST).exists()


@pytest.mark.parametrize("edit", [
    lambda s: s.replace("version: 0.1.0", "version: [0.1.0"),            # YAML syntax error
    lambda s: s.replace("version: 0.1.0", "version: banana"),            # schema violation
    lambda s: s.replace("source: data-handling-standard", "source: nope"),
])
def test_bad_pack_changes_nothing(out: Path, tmp_path: Path, edit) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(edit(EXAMPLE_PACK.read_text(encoding="utf-8")), encoding="utf-8")
    before = snapshot(out)
    proc = run("generate", "--pack", bad, "--out", out)
    assert proc.returncode == 2
    assert "bad.yaml:" in proc.stderr   # file and line
    assert snapshot(out) == before


def test_output_is_identical_across_hash_seeds(tmp_path: Path) -> None:
    trees = []
    for seed in ("0", "4242"):
        root = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = run("generate", "--pack", EXAMPLE_PACK, "--target", "policy-json", "--target", "terraform",
                   "--target", "arm", "--target", "epac", "--out", root, env=env)
        assert proc.returncode == 0, proc.stderr
        trees.append(snapshot(root))
    assert trees[0] == trees[1]


@pytest.mark.parametrize("bad_entry", [
    {"../victim.txt": {"pack": "restricted-data-network", "target": "terraform", "sha256": "0"}},
    {"/tmp/victim.txt": {"pack": "restricted-data-network", "target": "terraform", "sha256": "0"}},
    {"modules/x.tf": "not an object"},
])
def test_damaged_manifest_is_bad_input_and_nothing_outside_the_root_is_deleted(out: Path, bad_entry: dict) -> None:
    victim = out.parent / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"].update(bad_entry)
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    proc = run("generate", "--pack", EXAMPLE_PACK, "--out", out, "--force")
    assert proc.returncode == 2 and "invalid manifest" in proc.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_default_out_is_the_repository_root(tmp_path: Path) -> None:
    # CONTRACTS.md: `--out ROOT` defaults to the repository root (here: no manifest yet).
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    deeper = tmp_path / "repo" / "sub" / "deeper"
    deeper.mkdir(parents=True)
    proc = run("generate", "--pack", EXAMPLE_PACK, cwd=deeper)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "repo" / MANIFEST).is_file() and (tmp_path / "repo" / MAIN_TF).is_file()
    assert not any(deeper.iterdir())
    # From anywhere below it, --check finds the same root.
    assert run("generate", "--pack", EXAMPLE_PACK, "--check", cwd=deeper).returncode == 0


def test_a_target_named_twice_is_rendered_once(tmp_path: Path) -> None:
    proc = run("generate", "--pack", EXAMPLE_PACK, "--target", "policy-json", "--target", "policy-json",
               "--out", tmp_path / "root")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "root" / "modules" / "restricted-data-net-definitions" / "policies").is_dir()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_generated_files_get_the_mode_a_plain_write_would(tmp_path: Path) -> None:
    # Atomic writes go through a temporary file (0600); the result must honour the umask (0644 here)
    # so that the rest of a pipeline can read it, and keep the mode of a file it replaces.
    root = tmp_path / "root"
    env = dict(os.environ)
    proc = subprocess.run(["sh", "-c", f'umask 022 && "{sys.executable}" -m generator generate --pack '
                                       f'"{EXAMPLE_PACK}" --out "{root}"'], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    for path in (root / MAIN_TF, root / MANIFEST):
        assert path.stat().st_mode & 0o777 == 0o644, path
    (root / MAIN_TF).chmod(0o640)
    (root / MAIN_TF).write_text("edited\n", encoding="utf-8")
    assert run("generate", "--pack", EXAMPLE_PACK, "--out", root, "--force").returncode == 0
    assert (root / MAIN_TF).stat().st_mode & 0o777 == 0o640
