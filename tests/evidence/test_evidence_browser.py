"""The HTML report in headless Chromium (DevTools protocol over a pipe, standard library only).

Skipped, with the reason printed, only where Chromium is not installed (.ci/run installs the
distribution's package when it can).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from armstub import ArmStub
from cdp import Browser, find_chromium
from click.testing import CliRunner
from conftest import AS_OF, FIXTURES, EvidenceTenant

from generator.cli import cli

US_POLICE_QUOTE = "for facial recognition purposes by or for a police department in the United States"


@pytest.fixture
def browser() -> Browser:
    binary = find_chromium()
    if binary is None:
        reason = "Chromium is not installed (apt-get install chromium, or set CLAUSEGATE_CHROMIUM)"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    b = Browser(binary, width=1200, height=900)
    try:
        b.open_page()
        yield b
    finally:
        b.close()


def test_report_renders_offline_without_errors_or_requests(arm_stub: ArmStub, tenant: EvidenceTenant,
                                                           tmp_path: Path, browser: Browser) -> None:
    page = tmp_path / "evidence.html"
    res = CliRunner().invoke(cli, ["report", "--from-azure", "--scope", "tenant", "--as-of", AS_OF,
                                   str(FIXTURES / "check-nested-modules.json"), "--output-file", str(page)])
    assert res.exit_code == 0, res.stderr
    url = page.as_uri()
    browser.navigate(url)
    # The clause quote, the coverage table and both charts are rendered (laid out, not only present).
    quotes = browser.evaluate("[...document.querySelectorAll('blockquote.quote')].map(q => q.innerText)")
    assert any(US_POLICE_QUOTE in q for q in quotes)
    rows = browser.evaluate("document.querySelectorAll('#coverage-table tbody tr').length")
    assert rows == tenant.count + 1
    cell = browser.evaluate("document.querySelector('#coverage-table tbody tr').innerText")
    assert "DoNotEnforce" in cell or "missing" in cell or "audit only" in cell
    for chart in ("chart-coverage", "chart-findings"):
        box = browser.evaluate(f"(() => {{ const b = document.getElementById('{chart}').getBoundingClientRect();"
                               f" return [b.width, b.height]; }})()")
        assert box[0] > 300 and box[1] > 40, (chart, box)
        bars = browser.evaluate(f"document.querySelectorAll('#{chart} rect').length")
        assert bars >= 2
    # The hostile subscription name stayed text: no dialog opened, no element injected.
    assert browser.evaluate("document.querySelectorAll('img, script, iframe').length") == 0
    assert "pd-<script>alert(1)</script>\\x1b[31m" in browser.evaluate("document.body.innerText")
    # Printing: the contents list is hidden and each clause starts a page; a PDF comes out.
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    assert browser.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    assert browser.evaluate("getComputedStyle(document.querySelector('section.clause')).breakBefore") == "page"
    pdf = base64.b64decode(browser.send("Page.printToPDF", {"printBackground": True})["data"])
    assert pdf.startswith(b"%PDF")
    browser.send("Emulation.setEmulatedMedia", {"media": ""})
    shot = tmp_path / "report.png"
    browser.screenshot(shot)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    # No console errors, no exceptions, no dialogs, and no request but the page itself.
    events = browser.events
    errors = [e for e in events if e["method"] == "Runtime.exceptionThrown"
              or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
              or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert not errors, errors
    assert not [e for e in events if e["method"] == "Page.javascriptDialogOpening"]
    requested = {e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"}
    assert requested == {url}, requested
