"""Shared pytest configuration: the ../shared locator and the --update-golden switch."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

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
    # The azurerm provider's own fallback subscription: a developer's shell must not change what
    # Terraform folders in the tests deploy to.
    os.environ.pop("ARM_SUBSCRIPTION_ID", None)


@pytest.fixture(autouse=True, scope="session")
def _fixed_today() -> None:
    """Today is 2026-12-03 for every test, so the catalog-staleness warning never appears as time passes."""
    import os

    os.environ.setdefault("CLAUSEGATE_TODAY", "2026-12-03")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the generator")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` as ``{posix relative path: bytes}``."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def golden(update_golden: bool) -> Callable[[dict[str, bytes], Path], None]:
    """Compare a rendered tree with ``expected_dir`` like hatch's assert_files (or rewrite it)."""

    def check(got: dict[str, bytes], expected_dir: Path) -> None:
        if update_golden:
            shutil.rmtree(expected_dir, ignore_errors=True)
            for rel, data in got.items():
                (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                (expected_dir / rel).write_bytes(data)
        expected = read_tree(expected_dir)
        where = expected_dir.relative_to(REPO).as_posix()
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        assert not missing, f"Missing files: {missing} (compared with {where})"
        assert not extra, f"Extra files: {extra} (run pytest --update-golden and review the diff of {where})"
        for rel in expected:
            assert got[rel] == expected[rel], f"{rel} differs from {where} (pytest --update-golden)"

    return check


@pytest.fixture
def shared_dir() -> Path:
    """../shared when present; tests using it are skipped without it (it is not on users' machines)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED
