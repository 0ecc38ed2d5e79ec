"""The same refusals in a real process (no CliRunner): a FIFO never blocks, an alias bomb ends at once, a
malformed plan is exit 2 with its JSON pointer, and nothing outside is written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hostile_support import HOSTILE, assert_refused, clausegate, plan_doc, snapshot


@pytest.mark.parametrize("argv, name", [
    (["check", "{f}"], "plan.json"),
    (["check", "plan.json", "--context", "{f}"], "ctx.yaml"),
    (["eval", "--definition", "definition.json", "--resource", "{f}"], "res.json"),
    (["generate", "--pack", "{f}", "--out", "out"], "pack.yaml"),
    (["publish", "--scope", "mg", "--plan", "{f}"], "saved.json"),
])
def test_a_fifo_is_refused_at_once_in_a_real_process(sandbox: Path, argv: list[str], name: str) -> None:
    target = sandbox / name
    if target.exists():
        target.unlink()
    os.mkfifo(target)
    before = snapshot(sandbox)
    run = clausegate(*[a.replace("{f}", name) for a in argv], cwd=sandbox, timeout=30)
    assert_refused(run, mentions="FIFO", file=name)
    assert snapshot(sandbox) == before


def test_an_alias_bomb_pack_ends_at_once_and_writes_nothing(sandbox: Path) -> None:
    HOSTILE["billion-laughs"][0](sandbox / "pack.yaml")
    before = snapshot(sandbox)
    run = clausegate("generate", "--pack", "pack.yaml", "--out", "out", cwd=sandbox, timeout=30)
    assert_refused(run, mentions="alias", file="pack.yaml:")
    assert snapshot(sandbox) == before


@pytest.mark.parametrize("changes, pointer", [
    ({"azurerm_resource_group.rg": {"mode": "managed"}}, "at /resource_changes:"),
    ([{"mode": "data"}, 7, "x"], "at /resource_changes/1:"),
    ("all of them", "at /resource_changes:"),
])
def test_malformed_resource_changes_are_bad_input_with_the_pointer(sandbox: Path, changes: object,
                                                                   pointer: str) -> None:
    doc = plan_doc()
    doc["resource_changes"] = changes
    (sandbox / "bad-plan.json").write_text(json.dumps(doc))
    run = clausegate("check", "bad-plan.json", cwd=sandbox)
    assert_refused(run, mentions=pointer, file="bad-plan.json")


def test_yaml_over_the_size_limit_is_refused_before_parsing(sandbox: Path) -> None:
    from generator.safeload import MAX_YAML_CHARS

    line = "k: {sector: police}\n"
    (sandbox / "ctx.yaml").write_text(line * (MAX_YAML_CHARS // len(line) + 10))
    run = clausegate("check", "plan.json", "--context", "ctx.yaml", cwd=sandbox)
    assert_refused(run, mentions="limit for YAML", file="ctx.yaml")


@pytest.mark.parametrize("where", ["resource_changes", "planned_values"])
def test_a_huge_integer_in_a_plan_is_bad_input(sandbox: Path, where: str) -> None:
    doc = plan_doc()
    text = json.dumps(doc)
    if where == "planned_values":
        text = text[:-1] + ', "planned_values": {"x": ' + "9" * 5000 + "}}"
    else:
        text = text.replace('"location": "eastus"', '"location": ' + "9" * 5000)
    (sandbox / "big.json").write_text(text)
    run = clausegate("check", "big.json", cwd=sandbox)
    assert_refused(run, mentions="more than 4300 digits", file="big.json")
