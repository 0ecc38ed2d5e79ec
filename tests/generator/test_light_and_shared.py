"""Import weight of the generator packages, and the ../shared checks when ../shared exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gen_helpers import REPO


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
                         check=True, capture_output=True, text=True).stdout
    return set(out.split())


def test_pack_and_target_packages_import_nothing_heavy() -> None:
    mods = _modules_after("import generator.pack, generator.targets, generator.targets.policy_json, generator.output")
    heavy = {m.split(".")[0] for m in mods} & {"yaml", "jinja2", "jsonschema", "hcl2", "click", "azure"}
    assert not heavy, heavy


def test_shared_policy_validate_bench_passes(shared_dir: Path) -> None:
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "shared_policy_validate.py"), "--shared", str(shared_dir)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 failure(s)" in proc.stdout
