"""The wheel ships the templates (force-included from templates/) and the package data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from gen_helpers import REPO


@pytest.mark.skipif(pytest.importorskip("hatchling") is None, reason="hatchling is not installed")
def test_wheel_contains_templates_and_data(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("clausegate-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for tpl in sorted((REPO / "templates").rglob("*.j2")):
        assert f"generator/templates/{tpl.relative_to(REPO / 'templates').as_posix()}" in names
    for data in ("generator/pack/schema/pack.schema.json", "generator/pack/schema/catalog.schema.json",
                 "generator/pack/data/models.yaml", "generator/packs/microsoft-aoai-law-enforcement/pack.yaml"):
        assert data in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "microsoft-aoai-law-enforcement = generator.packs:microsoft_aoai_law_enforcement" in text
    assert "terraform = generator.targets.terraform:TerraformTarget" in text
