"""Fixtures for the hostile-input tests (helpers live in hostile_support.py, a unique module name)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "azure"))  # the ARM stand-in (armstub)

from armstub.fixtures import arm_stub, azure_env, stub_ca  # noqa: E402,F401  (fixtures)
from hostile_support import ASSIGNMENT, DEFINITION, HOSTILE, RESOURCE, plan_doc  # noqa: E402


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A folder with valid inputs (definition, resource, plan, assignment) for commands to start from."""
    (tmp_path / "definition.json").write_text(json.dumps(DEFINITION))
    (tmp_path / "resource.json").write_text(json.dumps(RESOURCE))
    (tmp_path / "plan.json").write_text(json.dumps(plan_doc()))
    (tmp_path / "assignment.json").write_text(json.dumps(ASSIGNMENT))
    return tmp_path


@pytest.fixture
def hostile() -> Callable[[str, Path], tuple[Path, str]]:
    """Write the hostile class ``kind`` at ``path``; return (path, what the error must mention)."""

    def make(kind: str, path: Path) -> tuple[Path, str]:
        writer, words = HOSTILE[kind]
        writer(path)
        return path, words

    return make



