"""Shared pytest configuration: the ../shared locator and the --update-golden switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore the same examples on every run, so CI cannot go red on a newly drawn input
# that a developer never saw; set HYPOTHESIS_PROFILE=explore to draw fresh examples locally.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "repeatable"))

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep a developer's real alias/context cache (``clausegate aliases sync``) out of the tests."""
    import os

    os.environ["CLAUSEGATE_CACHE_DIR"] = str(tmp_path_factory.mktemp("clausegate-cache"))


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
