"""Interrupted runs (issue 20): SIGINT/SIGTERM exit 130/143, never 1; `generate` is a transaction that a
rerun finishes or rolls back after kill -9 at any point, with every file old or new and no litter."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gen_support import (  # noqa: E402
    EXAMPLE_PACK,
    MANIFEST,
    REPO,
    assert_consistent,
    env,
    files_under,
    run_cg,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
SEED = 20261203
KILLS = 30
CLAUSE_START = "  - id: no-public-network\n"


def pack_variant(path: Path, *, version: str, extra_clauses: int = 0, drop_example: str | None = None,
                 add_example: bool = False) -> Path:
    """The example pack with another version, more clauses, an example fewer or more."""
    text = EXAMPLE_PACK.read_text("utf-8").replace("version: 0.1.0", f"version: {version}", 1)
    start, end = text.index(CLAUSE_START), text.index("\nexamples:")
    clause = text[start:end].rstrip("\n") + "\n"
    extra = "".join(clause.replace("id: no-public-network", f"id: extra-{i}", 1) for i in range(extra_clauses))
    text = text[:end].rstrip("\n") + "\n" + extra + text[end:]
    if drop_example:
        lines = text.split("\n")
        i = lines.index(f"  - name: {drop_example}")
        j = i + 1
        while j < len(lines) and lines[j].startswith("    "):
            j += 1
        text = "\n".join(lines[:i] + lines[j:])
    if add_example:
        text = text.rstrip("\n") + (
            "\n  - name: added-private-account\n    subscriptionTags: {data-classification: restricted}\n"
            "    resource: {type: Microsoft.CognitiveServices/accounts, kind: OpenAI, sku: {name: S0}, "
            "properties: {publicNetworkAccess: Disabled}}\n    expect: allow\n")
    path.write_text(text, "utf-8")
    return path


# One target keeps each of the 2 x 30 runs short; it still creates, updates and deletes files.
TARGET = ("--target", "policy-json")


def generate(root: Path, pack: Path) -> None:
    proc = run_cg("generate", "--pack", pack, *TARGET, "--out", root)
    assert proc.returncode == 0, proc.stderr


def popen(*args: object, write_pause: float = 0.0, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    e = {**env(), **(extra_env or {})}
    if write_pause:
        # Stretch the write phase (a pause after each file) so that kills aimed at it land in it
        # whatever the machine's speed; the rerun that must converge runs without it.
        e["CLAUSEGATE_TEST_WRITE_PAUSE"] = str(write_pause)
    return subprocess.Popen([sys.executable, "-m", "generator", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=e)


def wait_for_line(proc: subprocess.Popen[str], prefix: str, timeout: float = 60) -> None:
    """Block until the process prints a stderr line starting with ``prefix`` (its handlers are in place)."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if line.startswith(prefix):
            return
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"no line starting with {prefix!r}")


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Old and new packs, the trees each generates, and a root holding the old one."""
    base = tmp_path_factory.mktemp("packs")
    old = pack_variant(base / "old.yaml", version="0.1.0")
    new = pack_variant(base / "new.yaml", version="0.2.0", extra_clauses=3,
                       drop_example="restricted-private-account", add_example=True)
    trees = {}
    for name, pack in (("old", old), ("new", new)):
        generate(base / f"ref-{name}", pack)
        trees[name] = files_under(base / f"ref-{name}")
    assert set(trees["old"]) - set(trees["new"]) and set(trees["new"]) - set(trees["old"])  # deletes and creates
    return {"old": old, "new": new, "trees": trees, "base": base / "ref-old"}


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_generate_exits_128_plus_signal_and_leaves_old_or_new(
        packs: dict, tmp_path: Path, sig: int, code: int) -> None:
    big = pack_variant(tmp_path / "big.yaml", version="0.3.0", extra_clauses=25)
    root = tmp_path / "root"
    shutil.copytree(packs["base"], root)
    # a short pause per written file: the run is still going when the signal lands, on any machine
    proc = popen("generate", "--pack", big, "--target", "policy-json", "--target", "terraform", "--target", "arm",
                 "--target", "epac", "--out", root, write_pause=0.02)
    wait_for_line(proc, "output root:")
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "Aborted!" not in err
    assert f"interrupted ({signal.Signals(sig).name})" in err
    assert_consistent(root)
    got = files_under(root)
    # Interrupted before the journal committed: rolled back to exactly the old tree; after it (the
    # signal landed while the summary was printed): entirely the new one.
    assert got == packs["trees"]["old"] or all(b"0.3.0" in data for data in got.values()), err


def test_sigint_during_check_exits_130(tmp_path: Path) -> None:
    plan = json.loads((REPO / "examples" / "check" / "plan-nested-modules" / "plan.json").read_text("utf-8"))
    changes = []
    for i in range(12000):  # several seconds of work even on a fast machine
        for rc in plan["resource_changes"]:
            rc2 = dict(rc)  # shallow: only the address differs, and the copies are only serialised
            rc2["address"] = f"{rc['address']}-{i}"
            changes.append(rc2)
    plan["resource_changes"] = changes
    plan.pop("configuration", None)
    big = tmp_path / "plan.json"
    big.write_text(json.dumps(plan), "utf-8")
    # every copy evaluated (not shared as identical results): the run lasts long enough to be interrupted
    proc = popen("check", big, extra_env={"CLAUSEGATE_RESULT_MEMO": "0"})
    time.sleep(2.0)
    assert proc.poll() is None, "check finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Aborted!" not in err


def test_kill_9_at_random_points_then_a_rerun_converges(packs: dict, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    trees = packs["trees"]
    # How long a full run takes here, to spread the kills over it.
    probe = tmp_path / "probe"
    shutil.copytree(packs["base"], probe)
    started = time.monotonic()
    generate(probe, packs["new"])
    full = time.monotonic() - started
    in_write_phase = 0
    for i in range(KILLS):
        root = tmp_path / f"run{i}"
        shutil.copytree(packs["base"], root)
        proc = popen("generate", "--pack", packs["new"], *TARGET, "--out", root, write_pause=0.02)
        if i % 3 == 0:
            time.sleep(rng.uniform(0, full))
        else:  # aim at the write phase: wait for the journal, then a little more
            deadline = time.monotonic() + 5 * full + 10
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if '"journal"' in (root / MANIFEST).read_text("utf-8"):
                        break
                except (OSError, UnicodeDecodeError):
                    pass
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.05))  # the write phase of a few files is short
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)
        on_disk = {p: d for p, d in files_under(root).items() if ".clausegate-tmp-" not in p}
        if '"journal"' in (root / MANIFEST).read_text("utf-8"):
            in_write_phase += 1
        for path, data in on_disk.items():  # never half a file, never a third version
            assert data in (trees["old"].get(path), trees["new"].get(path)), (i, path)
        choice = rng.choice(["old", "new"])
        proc2 = run_cg("generate", "--pack", packs[choice], *TARGET, "--out", root)
        assert proc2.returncode == 0, (i, choice, proc2.stderr)
        assert files_under(root) == trees[choice], (i, choice)
        assert_consistent(root)
        shutil.rmtree(root)
    print(f"kill -9: {in_write_phase} of {KILLS} kills left a journal (hit the write phase)")
    assert in_write_phase >= 3, f"only {in_write_phase} of {KILLS} kills hit the write phase"
