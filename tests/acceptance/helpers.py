"""Run the installed CLI from the outside (a subprocess), as users and their pipelines do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "modules" / "aoai-law-enforcement-definitions" / "policies"
EXAMPLE_PACK = REPO / "examples" / "packs" / "restricted-data-network.yaml"


def run(*args: Any, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``clausegate ARGS`` in a subprocess; asserts no Python traceback reaches the user."""
    proc = subprocess.run([sys.executable, "-m", "generator", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    return proc


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (to show that a run changed nothing)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
