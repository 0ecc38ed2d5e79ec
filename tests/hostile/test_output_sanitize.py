"""Text from inputs never drives the terminal: ESC/CSI sequences print escaped in text, errors and warnings;
JSON and SARIF escape them; JUnit stays well-formed XML with control characters and non-ASCII addresses."""

from __future__ import annotations

import json
import xml.dom.minidom
from pathlib import Path

from hostile_support import clausegate, plan_doc, snapshot

from generator.sanitize import clean, clean_line, xml_document

ESC_ADDRESS = "azurerm_resource_group.r\x1b[2J\x1b[1;1Hfake\nPASS everything\r\x07\u202e"


def _write_plan(folder: Path, address: str) -> None:
    (folder / "plan.json").write_text(json.dumps(plan_doc(address=address)))


def test_clean_escapes_control_characters_but_keeps_newline_and_tab() -> None:
    assert clean("a\x1b[31mb\tc\nd\x7f\x9b\u202e") == "a\\x1b[31mb\tc\nd\\x7f\\x9b\\u202e"
    assert clean_line("one\ntwo\r") == "one\\x0atwo\\x0d"
    assert clean("plain ünïcode ✓") == "plain ünïcode ✓"


def test_xml_document_is_well_formed_with_any_text() -> None:
    import xml.etree.ElementTree as ET

    root = ET.Element("t", name="a\x1b\x00b ü \ud800")
    text = xml_document(ET.tostring(root, encoding="unicode"))
    parsed = xml.dom.minidom.parseString(text)
    assert parsed.documentElement.getAttribute("name") == "a\\x1b\\x00b ü \\ud800"


def test_check_text_of_a_plan_prints_escape_sequences_escaped(tmp_path: Path) -> None:
    _write_plan(tmp_path, ESC_ADDRESS)
    before = snapshot(tmp_path)
    run = clausegate("check", "plan.json", "--all", cwd=tmp_path)
    assert run.code == 0, run.stderr
    for stream in (run.stdout, run.stderr):
        assert "\x1b" not in stream and "\r" not in stream and "\x07" not in stream and "\u202e" not in stream
    assert "azurerm_resource_group.r\\x1b[2J\\x1b[1;1Hfake\\x0aPASS everything\\x0d\\x07\\u202e" in run.stdout
    assert not any(line.startswith("PASS everything") for line in run.stdout.splitlines())  # no faked line
    assert snapshot(tmp_path) == before


def test_check_text_of_hcl_prints_escape_sequences_escaped(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "azurerm_cognitive_account" "acct\x1b[2Jx" {\n  name = "a"\n'
                                      '  location = "eastus"\n  resource_group_name = "rg"\n  kind = "OpenAI"\n'
                                      '  sku_name = "S0"\n}\n')
    run = clausegate("check", ".", "--all", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert "\x1b" not in run.stdout + run.stderr
    assert "azurerm_cognitive_account.acct\\x1b[2Jx" in run.stdout


def test_json_and_sarif_escape_control_characters(tmp_path: Path) -> None:
    _write_plan(tmp_path, ESC_ADDRESS)
    run = clausegate("check", "plan.json", "--all", "--format", "json", cwd=tmp_path)
    assert run.code == 0 and "\x1b" not in run.stdout
    assert {r["resource"] for r in json.loads(run.stdout)["results"]} == {ESC_ADDRESS}
    run = clausegate("check", "plan.json", "--all", "--format", "sarif", cwd=tmp_path)
    assert run.code == 0 and "\x1b" not in run.stdout
    json.loads(run.stdout)


def test_junit_is_well_formed_with_non_ascii_and_control_characters(tmp_path: Path) -> None:
    address = 'module.ünïcødé["München ✓"].azurerm_resource_group.r\x1b[2J\x00'
    _write_plan(tmp_path, address)
    run = clausegate("check", "plan.json", "--all", "--format", "junit", cwd=tmp_path)
    assert run.code == 0, run.stderr
    doc = xml.dom.minidom.parseString(run.stdout.encode("utf-8"))
    names = {c.getAttribute("name") for c in doc.getElementsByTagName("testcase")}
    assert names == {'module.ünïcødé["München ✓"].azurerm_resource_group.r\\x1b[2J\\x00'}


def test_errors_naming_a_hostile_file_name_print_it_escaped(tmp_path: Path) -> None:
    _write_plan(tmp_path, "azurerm_resource_group.rg")
    name = "ctx\x1b]0;pwned\x07\x1b[2J.json"
    (tmp_path / name).write_text("{not json")
    run = clausegate("check", "plan.json", "--context", name, cwd=tmp_path)
    assert run.code == 2
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "ctx\\x1b]0;pwned\\x07\\x1b[2J.json" in errors[0]
