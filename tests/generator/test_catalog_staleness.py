"""Catalog staleness: `models` and `generate` warn, naming `models sync`; the date is injected, never read."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from gen_helpers import REPO

from generator.errors import InputError
from generator.pack.catalog import (
    DEFAULT_MAX_AGE_DAYS,
    load_catalog,
    max_age_from_env,
    staleness_warning,
    today_from_env,
)

OLD_CATALOG = """schemaVersion: 1
sources:
  s: {title: T, url: "https://example.test/models", asOf: "2026-01-01"}
models:
  - {name: old-model, imageInput: false, source: s, asOf: "2026-01-01"}
  - {name: older-model, imageInput: true, source: s, asOf: "2025-06-01"}
"""


@pytest.fixture
def old_catalog(tmp_path: Path) -> Path:
    path = tmp_path / "old.yaml"
    path.write_text(OLD_CATALOG)
    return path


def test_warning_after_the_limit_only(old_catalog: Path) -> None:
    cat = load_catalog(old_catalog)
    assert DEFAULT_MAX_AGE_DAYS == 120
    assert staleness_warning(cat, date(2026, 5, 1), 120) is None          # 120 days: still fresh
    msg = staleness_warning(cat, date(2026, 5, 2), 120)                   # 121 days
    assert msg and "121 days old" in msg and "newest entry 2026-01-01" in msg
    assert "clausegate models sync" in msg and str(old_catalog) in msg
    assert staleness_warning(cat, date(2030, 1, 1), 0) is None            # 0 turns it off


def test_the_shipped_catalog_is_fresh_on_the_day_it_was_updated() -> None:
    cat = load_catalog()
    assert max(e.as_of for e in cat.entries) >= "2026-12-03"
    assert staleness_warning(cat, date(2026, 12, 3), DEFAULT_MAX_AGE_DAYS) is None
    assert staleness_warning(cat, date(2027, 12, 3), DEFAULT_MAX_AGE_DAYS) is not None


def test_env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEGATE_TODAY", "2027-01-02")
    assert today_from_env() == date(2027, 1, 2)
    monkeypatch.setenv("CLAUSEGATE_TODAY", "soon")
    with pytest.raises(InputError, match="CLAUSEGATE_TODAY"):
        today_from_env()
    monkeypatch.setenv("CLAUSEGATE_CATALOG_MAX_AGE_DAYS", "30")
    assert max_age_from_env(None) == 30 and max_age_from_env(7) == 7
    monkeypatch.setenv("CLAUSEGATE_CATALOG_MAX_AGE_DAYS", "many")
    with pytest.raises(InputError):
        max_age_from_env(None)


def _run(*args: str, today: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "CLAUSEGATE_TODAY": today}
    env.pop("CLAUSEGATE_CATALOG_MAX_AGE_DAYS", None)
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True, env=env,
                          cwd=tmp, check=False)


def test_models_command_warns_on_stderr(old_catalog: Path, tmp_path: Path) -> None:
    fresh = _run("models", "--catalog", str(old_catalog), today="2026-02-01", tmp=tmp_path)
    assert fresh.returncode == 0 and "warning" not in fresh.stderr
    stale = _run("models", "--catalog", str(old_catalog), today="2026-12-03", tmp=tmp_path)
    assert stale.returncode == 0, stale.stderr
    assert "warning: the model catalog" in stale.stderr and "clausegate models sync" in stale.stderr
    assert "old-model" in stale.stdout and "warning" not in stale.stdout
    off = _run("models", "--catalog", str(old_catalog), "--catalog-max-age", "0", today="2026-12-03", tmp=tmp_path)
    assert "warning" not in off.stderr


def test_generate_warns_on_stderr(old_catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = _run("generate", "--out", str(out), "--catalog", str(old_catalog), today="2026-12-03", tmp=tmp_path)
    assert stale.returncode == 0, stale.stderr
    assert "warning: the model catalog" in stale.stderr and "models sync" in stale.stderr
    fresh = _run("generate", "--out", str(out), "--catalog", str(old_catalog), "--catalog-max-age", "400",
                 today="2026-12-03", tmp=tmp_path)
    assert fresh.returncode == 0 and "warning" not in fresh.stderr
    shipped = _run("generate", "--out", str(tmp_path / "out2"), today="2026-12-03", tmp=REPO)
    assert shipped.returncode == 0 and "warning" not in shipped.stderr, shipped.stderr
