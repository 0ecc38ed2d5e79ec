"""Fixtures for the hostile-input tests (helpers live in hostile_support.py, a unique module name)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "azure"))  # the ARM stand-in (armstub)

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



@pytest.fixture(scope="session")
def stub_ca() -> Any:
    """One trustme certificate authority per session (made at test time, never stored)."""
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture
def arm_stub(stub_ca: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh HTTPS ARM stand-in per test."""
    from armstub import ArmStub

    stub = ArmStub(stub_ca, tmp_path).start()
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def azure_env(arm_stub: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this process and its children at the stand-in; no real credential can be found."""
    import os

    for name in list(os.environ):
        if name.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_")) or name in (
                "CLAUSEGATE_ARM_ENDPOINT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    env = dict(arm_stub.env(), AZURE_TOKEN_CREDENTIALS="ManagedIdentityCredential")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
