"""Reading a Terraform folder leaves no cyclic garbage: its parse trees and values are freed by reference
counting when the read ends, not left for the cyclic collector to walk (most of a large cold check)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from generator.terraform.tfconfig import read_directory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "check"
FOLDERS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and any(p.rglob("*.tf")))


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_read_directory_leaves_no_cycles(folder: Path) -> None:
    was = gc.isenabled()
    gc.disable()
    gc.collect()
    try:
        result = read_directory(folder)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kinds = sorted({type(o).__name__ for o in gc.garbage})
        found = len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert result.resources, "the example deploys something"
    assert found == 0, f"{found} objects left in reference cycles after reading {folder.name}: {kinds}"
