"""Compiled definitions remembered by content hash (generator/engine/compile_cache.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.context import Context
from generator.engine.compile_cache import FILE_NAME, LazyCondition
from generator.engine.evaluator import Evaluator, load_policy_files

DEF = {"name": "no-public", "properties": {"mode": "All", "policyRule": {
    "if": {"allOf": [{"field": "type", "equals": "Microsoft.Storage/storageAccounts"},
                     {"field": "Microsoft.Storage/storageAccounts/allowBlobPublicAccess", "equals": True}]},
    "then": {"effect": "deny"}}}}
PUBLIC = {"type": "Microsoft.Storage/storageAccounts", "name": "s", "properties": {"allowBlobPublicAccess": True}}
VM = {"type": "Microsoft.Compute/virtualMachines", "name": "v", "properties": {}}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(folder))
    return folder


def _words(lib) -> list[str]:
    ev = Evaluator(lib)
    ctx = Context.empty().resolve(None)
    return [r.result for res in (PUBLIC, VM) for r in ev.evaluate(res, ctx, address=res["name"])]


def test_second_load_uses_the_cache_with_the_same_results(tmp_path: Path, cache: Path) -> None:
    f = tmp_path / "d.json"
    f.write_text(json.dumps(DEF))
    first = load_policy_files([f])
    assert not isinstance(first.definitions[0].condition, LazyCondition)
    stored = json.loads((cache / FILE_NAME).read_text())
    [guard] = stored["entries"].values()
    assert guard == ["microsoft.storage/storageaccounts"]
    second = load_policy_files([f])
    lazy = second.definitions[0].condition
    assert isinstance(lazy, LazyCondition) and lazy._real is None
    assert _words(second) == _words(first) == ["match", "no-match"]
    # A changed file is compiled again (and a broken one reported, not trusted from the cache).
    f.write_text(json.dumps({**DEF, "properties": {**DEF["properties"], "mode": "Everything"}}))
    third = load_policy_files([f])
    assert not third.definitions and "unknown mode" in third.invalid[0].message


def test_a_broken_cache_file_is_ignored(tmp_path: Path, cache: Path) -> None:
    cache.mkdir()
    (cache / FILE_NAME).write_text("{not json")
    f = tmp_path / "d.json"
    f.write_text(json.dumps(DEF))
    lib = load_policy_files([f])
    assert _words(lib) == ["match", "no-match"]
    assert json.loads((cache / FILE_NAME).read_text())["entries"]  # rewritten
