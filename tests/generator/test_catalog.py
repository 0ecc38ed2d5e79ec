"""The model catalog: classification by name or version, and the fail-closed rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import PackError
from generator.pack.catalog import load_catalog


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog()


def test_every_entry_has_source_and_as_of(catalog) -> None:  # type: ignore[no-untyped-def]
    assert len(catalog.entries) >= 40
    for e in catalog.entries:
        assert e.source_url.startswith("https://") and len(e.as_of) == 10


@pytest.mark.parametrize(("name", "classification"), [
    ("gpt-4o", "image"), ("text-embedding-3-large", "text"), ("gpt-4", "mixed"), ("model-router", "image"),
    ("o3-mini", "text"), ("gpt-4.1", "image"),
])
def test_classification(catalog, name: str, classification: str) -> None:  # type: ignore[no-untyped-def]
    assert catalog.entry(name).classification == classification


@pytest.mark.parametrize(("name", "version", "cleared"), [
    ("gpt-4o", "2024-11-20", False),
    ("gpt-4", "turbo-2024-04-09", False),
    ("gpt-4", "vision-preview", False),
    ("gpt-4", "0613", True),
    ("gpt-4", "1106-Preview", True),
    ("gpt-4", None, False),           # version-less deployment of a per-version name: fail-closed
    ("text-embedding-3-large", "1", True),
    ("text-embedding-3-small", "99", True),  # cleared by name: every known version is text-only
    ("gpt-9-omni-vision", "1", False),       # unknown / future model
    ("model-router", "2025-08-07", False),
    (None, None, False),
])
def test_is_cleared(catalog, name, version, cleared: bool) -> None:  # type: ignore[no-untyped-def]
    assert catalog.is_cleared(name, version) is cleared


def test_parameter_lists(catalog) -> None:  # type: ignore[no-untyped-def]
    assert "text-embedding-3-large" in catalog.cleared_models()
    assert "gpt-4" not in catalog.cleared_models() and "gpt-4o" not in catalog.cleared_models()
    assert catalog.cleared_model_versions() == ["gpt-4,0125-Preview", "gpt-4,0613", "gpt-4,1106-Preview"]
    assert catalog.cleared_models() == sorted(catalog.cleared_models())


def test_override_catalog(tmp_path: Path) -> None:
    f = tmp_path / "models.yaml"
    f.write_text(
        "schemaVersion: 1\nsources:\n  mine: {title: t, url: 'https://x.example', asOf: '2026-01-01'}\n"
        "models:\n  - {name: only-text, imageInput: false, source: mine, asOf: '2026-01-01'}\n", "utf-8")
    cat = load_catalog(f)
    assert cat.cleared_models() == ["only-text"] and cat.cleared_model_versions() == []


def test_bad_catalog_points_at_entry(tmp_path: Path) -> None:
    f = tmp_path / "models.yaml"
    f.write_text(
        "schemaVersion: 1\nsources: {}\nmodels:\n  - {name: a, imageInput: false, source: nope, asOf: '2026-01-01'}\n",
        "utf-8")
    with pytest.raises(PackError) as info:
        load_catalog(f)
    assert info.value.pointer == "/models/0/source" and info.value.line == 4
