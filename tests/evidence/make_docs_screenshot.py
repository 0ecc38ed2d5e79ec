"""Make docs/report-summary.png and docs/report-clause.png (run from the repository root):

    python tests/evidence/make_docs_screenshot.py

The report is made from the recorded ``check`` results of two examples (examples/check/, see
make_fixtures.py) and the HTTPS ARM stand-in seeded like the tests' tenant (200 subscriptions),
then photographed in headless Chromium.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(HERE), str(HERE.parent / "azure")]


def main() -> None:
    import trustme
    from armstub import ArmStub
    from cdp import Browser, find_chromium
    from click.testing import CliRunner
    from conftest import AS_OF, CREDENTIAL_ENV, FIXTURES, seed_evidence

    from generator.cli import cli

    work = Path(tempfile.mkdtemp())
    stub = ArmStub(trustme.CA(), work).start()
    try:
        for k in CREDENTIAL_ENV:
            os.environ.pop(k, None)
        os.environ.update({**stub.env(), "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential"})
        seed_evidence(stub, 200, hostile=False)
        page = work / "evidence.html"
        os.chdir(FIXTURES)  # short input names in the page
        res = CliRunner().invoke(cli, ["report", "check-nested-modules.json", "check-attested-rg.json",
                                       "--from-azure", "--scope", "tenant", "--as-of", AS_OF,
                                       "--output-file", str(page)])
        assert res.exit_code == 0, res.stderr
    finally:
        stub.stop()
    binary = find_chromium()
    assert binary, "Chromium is needed"
    browser = Browser(binary, width=1100, height=1250)
    try:
        browser.open_page()
        browser.navigate(page.as_uri())
        browser.screenshot(REPO / "docs" / "report-summary.png")
        browser.send("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 860, "deviceScaleFactor": 1,
                                                           "mobile": False})
        browser.evaluate("document.getElementById('clause-microsoft-aoai-law-enforcement-us-police').scrollIntoView()")
        browser.screenshot(REPO / "docs" / "report-clause.png")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
