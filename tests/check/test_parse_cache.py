"""The parse cache: what it gives back is what parsing gives, it is only ever a shortcut, and it stores a
file the second time it is seen unchanged."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from generator.terraform.tfconfig import parsecache, read_directory
from generator.terraform.tfconfig import parser as hcl_parser
from generator.terraform.tfconfig.modules import load_definition

FILE = '''
variable "models" {
  type    = map(object({ name = string, version = optional(string, "1") }))
  default = { a = { name = "gpt-4o" } }
}
locals {
  note   = "tab\\there, quote \\" and $${literal} and \\u00e9"
  names  = [for k, m in var.models : upper(m.name) if k != ""]
  text   = <<-EOT
    %{ for n in local.names ~}
    ${n}
    %{ endfor ~}
  EOT
}
resource "azurerm_cognitive_account" "a" {
  name                = "oai-${lower("X")}"
  location            = "eastus"
  resource_group_name = "rg"
  kind                = "OpenAI"
  sku_name            = "S0"
  tags                = { note = local.note, n = length(local.names) > 0 ? "yes" : "no", t = local.text }
}
resource "azurerm_cognitive_deployment" "d" {
  for_each             = var.models
  name                 = each.key
  cognitive_account_id = azurerm_cognitive_account.a.id
  model {
    format  = "OpenAI"
    name    = each.value.name
    version = each.value.version
  }
  sku {
    name = "Standard"
  }
}
'''


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CLAUSEGATE_HCL_CACHE", raising=False)
    # the hand-written reader is faster than the cache and bypasses it: these tests cache every file
    monkeypatch.setenv("CLAUSEGATE_HCL_PARSER", "tree-sitter")
    parsecache._ready.cache_clear()
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "main.tf").write_text(FILE, "utf-8")
    (root / "other.tf").write_text('output "o" {\n  value = azurerm_cognitive_account.a.name\n}\n', "utf-8")
    (root / "main_override.tf").write_text('resource "azurerm_cognitive_account" "a" {\n  location = "westus"\n}\n',
                                           "utf-8")
    return root


class Counter:
    """Counts real parses (the cache's misses)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        real = hcl_parser._parse_slow

        def counting(text: str, display: str) -> Any:
            if not display.startswith("<"):  # templates rendered during evaluation are not files
                self.calls.append(display)
            return real(text, display)

        monkeypatch.setattr(hcl_parser, "_parse_slow", counting)


def _encoded(folder: Path) -> list[Any]:
    d = load_definition(folder, ".")
    blocks = [*d.resources, *d.variables.values(), *d.outputs.values()]
    return [parsecache._encode_body(hcl_parser.Body({}, blocks)),
            sorted((k, parsecache._encode(e), f, ln) for k, (e, f, ln) in d.locals.items())]


def _resources(folder: Path) -> list[tuple[Any, ...]]:
    return [(r.address, r.values, r.file, r.line) for r in read_directory(folder).resources]


def test_stored_the_second_time_seen_and_read_back_the_third(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    count = Counter(monkeypatch)
    first = _resources(folder)
    assert sorted(count.calls) == ["main.tf", "main_override.tf", "other.tf"]
    files = list((folder.parent / "cache" / "hcl-parse").glob("*.bin"))
    assert len(files) == 1  # one cache file per folder, holding digests only so far
    size_after_first = files[0].stat().st_size
    count.calls.clear()
    second = _resources(folder)
    assert len(count.calls) == 3  # parsed again, and stored this time
    assert files[0].stat().st_size > size_after_first
    count.calls.clear()
    third = _resources(folder)
    assert count.calls == []  # nothing parsed
    assert first == second == third
    assert third[0][1]["tags"]["note"] == 'tab\there, quote " and ${literal} and é'


def test_cached_trees_are_the_parsed_trees(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEGATE_HCL_CACHE", "0")
    plain = _encoded(folder)
    monkeypatch.delenv("CLAUSEGATE_HCL_CACHE")
    for _ in range(3):
        assert _encoded(folder) == plain


def test_a_changed_file_is_parsed_again_the_others_are_not(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        _resources(folder)
    count = Counter(monkeypatch)
    (folder / "other.tf").write_text('output "o" {\n  value = "changed"\n}\n', "utf-8")
    _resources(folder)
    assert count.calls == ["other.tf"]


def test_a_damaged_cache_is_only_a_miss(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        expected = _resources(folder)
    (cache_file,) = (folder.parent / "cache" / "hcl-parse").glob("*.bin")
    data = cache_file.read_bytes()
    for damaged in (b"", b"garbage", data[: len(data) // 2], data.replace(b"OpenAI", b"OpenXX", 1)[:-7] + b"\0" * 7):
        cache_file.write_bytes(damaged)
        assert _resources(folder) == expected


def test_off_or_unwritable_means_no_cache_and_the_same_result(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _resources(folder)
    monkeypatch.setenv("CLAUSEGATE_HCL_CACHE", "0")
    off_dir = folder.parent / "off"
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(off_dir))
    assert _resources(folder) == expected and not off_dir.exists()
    monkeypatch.delenv("CLAUSEGATE_HCL_CACHE")
    blocker = folder.parent / "a-file"
    blocker.write_text("not a folder", "utf-8")
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(blocker))
    parsecache._ready.cache_clear()
    assert _resources(folder) == expected


def test_each_parser_has_its_own_entries(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        _resources(folder)
    monkeypatch.setenv("CLAUSEGATE_HCL_PARSER", "python-hcl2")
    count = Counter(monkeypatch)
    _resources(folder)
    assert len(count.calls) == 3  # never the tree-sitter entries


def test_prune_keeps_the_newest_half(tmp_path: Path) -> None:
    for i in range(10):
        p = tmp_path / f"{i}.bin"
        p.write_bytes(b"x")
        os.utime(p, (1000 + i, 1000 + i))
    assert parsecache.prune(tmp_path, limit=10) == 0
    assert parsecache.prune(tmp_path, limit=8) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["6.bin", "7.bin", "8.bin", "9.bin"]


def test_a_cache_file_too_large_to_be_ours_is_not_read(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        expected = _resources(folder)
    monkeypatch.setattr(parsecache, "MAX_CACHE_BYTES", 10)
    count = Counter(monkeypatch)
    assert _resources(folder) == expected
    assert len(count.calls) == 3  # parsed, not read from the cache


def test_only_what_the_hand_written_reader_hands_on_is_cached(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.terraform.tfconfig import fastparse

    monkeypatch.delenv("CLAUSEGATE_HCL_PARSER")
    if not fastparse.enabled():
        pytest.skip("the hand-written reader needs Python 3.11+")
    # a template directive in a quoted string is handed on to tree-sitter, so that file is cached; the
    # others are read by the hand-written reader every time
    (folder / "directive.tf").write_text('locals {\n  d = "%{ if true }yes%{ endif }"\n}\n', "utf-8")
    count = Counter(monkeypatch)
    for _ in range(3):
        expected = _resources(folder)
    assert count.calls == ["directive.tf", "directive.tf"]  # parsed on the first two runs, read back on the third
    monkeypatch.setenv("CLAUSEGATE_HCL_CACHE", "0")
    assert _resources(folder) == expected
