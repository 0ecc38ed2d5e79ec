"""Shared pytest configuration: the ../shared locator and the --update-golden switch."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the generator")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def shared_dir() -> Path:
    """../shared when present; tests using it are skipped without it (it is not on users' machines)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED
