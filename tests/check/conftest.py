"""Helpers for the `check` tests: run the CLI in a folder, read JSON reports."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "check"


def run_check(args: list[str], cwd: Path | None = None) -> Result:
    """Run `clausegate check ARGS` in ``cwd``; never lets an exception escape unseen."""
    from generator.cli import cli

    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def report_of(result: Result) -> dict[str, Any]:
    """The JSON report in a CLI result's standard output."""
    return json.loads(result.stdout)


@pytest.fixture
def write(tmp_path: Path) -> Any:
    """write(relative path, text) -> Path, creating folders."""
    def _write(rel: str, text: str | bytes) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write
