"""clausegate report from recorded scan/check JSON (fixtures/, made by make_fixtures.py with the real commands)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHECK1 = str(FIXTURES / "check-nested-modules.json")
CHECK2 = str(FIXTURES / "check-attested-rg.json")
SCAN = str(FIXTURES / "scan-stand-in.json")
US_POLICE_QUOTE = "for facial recognition purposes by or for a police department in the United States"


def report(*args: str) -> Result:
    return CliRunner().invoke(cli, ["report", *args])


def write_results(path: Path, results: list[dict[str, Any]], **extra: Any) -> str:
    path.write_text(json.dumps({"schemaVersion": 1, "results": results, "summary": {}, **extra}), encoding="utf-8")
    return str(path)


def result(resource: str, **fields: Any) -> dict[str, Any]:
    base = {"resource": resource, "file": None, "line": None, "definitionFile": "x",
            "policyDefinitionName": "aoai-law-enforcement-us-police", "policySetDefinitionName": "aoai-law-enforcement",
            "policyDefinitionReferenceId": "us-police", "result": "match", "effect": "deny", "clauseId": "us-police",
            "clauseSource": "https://learn.microsoft.com/legal/cognitive-services/openai/code-of-conduct",
            "message": "the request would be denied", "trace": []}
    base.update(fields)
    return base


def test_html_from_check_results_shows_each_clause_with_quote_source_policies_and_findings() -> None:
    res = report(CHECK1, CHECK2, "--as-of", "2026-12-01")
    assert res.exit_code == 0, res.stderr
    html = res.stdout
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    # One section per clause, with the quote, source, effective date, policy and effect, from the pack.
    assert html.count('<section class="clause"') == 2
    assert f"“{US_POLICE_QUOTE}”" in html
    assert "Azure OpenAI Service code of conduct" in html and "2024-05-01" in html
    assert "aoai-law-enforcement-us-police" in html and "usPoliceEffect" in html
    assert "<td>Deny</td>" in html
    # Findings grouped (Terraform addresses: subscription not known), remediation line present.
    assert "(subscription not known)" in html
    assert 'module.platform.module.models[&#34;east&#34;].azurerm_cognitive_deployment.this[&#34;chat&#34;]' in html
    assert "azurerm_cognitive_deployment.patrol_new" in html
    assert "Remediation:" in html and "camera-context" in html  # mobile-realtime-fr's attestation tag
    # Both inputs listed with their digests; the date given is the date shown.
    assert "check-nested-modules.json" in html and "check-attested-rg.json" in html
    assert re.search(r"[0-9a-f]{64}", html)
    assert "As of 2026-12-01" in html
    # Self-contained: no external resource, no script.
    assert "<script" not in html and "http-equiv" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.replace('href="https://learn.microsoft.com', ""))
    assert "<svg" in html and 'id="chart-findings"' in html
    assert "report: 2 clause(s)" in res.stderr


def test_markdown_has_the_same_content() -> None:
    res = report(CHECK1, CHECK2, "--format", "markdown")
    assert res.exit_code == 0, res.stderr
    md = res.stdout
    assert md.startswith("# Clause evidence\n")
    assert "## Clause us-police: No facial recognition by or for a police department in the United States" in md
    assert f"> “{US_POLICE_QUOTE}”" in md
    assert "**Effective:** 2024-05-01" in md
    assert "| aoai-law-enforcement-us-police |" in md
    # Markdown punctuation from input is escaped; the table keeps its columns.
    assert r'module.platform.module.models\["east"\].azurerm\_cognitive\_deployment.this\["chat"\]' in md
    assert "No date given" in md


def test_same_inputs_same_bytes_in_any_order(tmp_path: Path) -> None:
    a = report(CHECK1, CHECK2, SCAN, "--as-of", "2026-12-01")
    b = report(SCAN, CHECK2, CHECK1, "--as-of", "2026-12-01")
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout
    out = tmp_path / "r.md"
    for _ in range(2):
        assert report(CHECK1, SCAN, "--format", "markdown", "--output-file", str(out)).exit_code == 0
        first = out.read_bytes() if _ == 0 else first
    assert out.read_bytes() == first


def test_scan_results_give_findings_by_subscription_and_coverage_from_the_scan() -> None:
    scan = json.loads(Path(SCAN).read_text())
    res = report(SCAN)
    assert res.exit_code == 0, res.stderr
    html = res.stdout
    assert "From the scan in" in html
    for s in scan["scan"]["lawEnforcementUntagged"] + scan["scan"]["lawEnforcementUnassigned"]:
        assert s["subscriptionId"] in html and s["displayName"] in html
    # Every match of the scan is a finding, grouped under its subscription.
    for r in scan["results"]:
        if r["result"] == "match":
            assert r["resource"] in html
            sid = r["resource"].split("/")[2]
            assert f'<span class="id">({sid})</span></h4>' in html


def test_titles_and_quotes_come_from_the_pack_not_from_the_result(tmp_path: Path) -> None:
    path = write_results(tmp_path / "r.json", [result("/subscriptions/00000000-0000-4000-8000-000000000001/x",
                                                      clauseTitle="FAKE TITLE", clauseQuote="FAKE QUOTE",
                                                      remediation="do this")])
    html = report(path).stdout
    assert "FAKE" not in html and US_POLICE_QUOTE in html


def test_hostile_input_is_inert_in_html_and_markdown(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>\x1b[2J\u202e<img src=x onerror=alert(2)>|*_[x](javascript:alert(3))"
    path = write_results(tmp_path / "evil.json", [
        result(evil, message="bad\x07message\nsecond line"),
        result("other", policyDefinitionName=evil, policySetDefinitionName=None, clauseId=None,
               clauseSource=None, policyDefinitionReferenceId=None),
    ])
    html = report(path).stdout
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J\\u202e&lt;img src=x onerror=alert(2)&gt;" in html
    assert "bad\\x07message\\x0asecond line" in html
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]", html)
    assert "Findings not tied to a clause" in html  # the second result names no known clause
    md = report(path, "--format", "markdown").stdout
    assert "<script" not in md and "<img" not in md
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]", md)
    assert r"\|\*\_\[x\]\(javascript\:alert\(3\)\)" in md


@pytest.mark.parametrize(("content", "expected"), [
    ("not json", "not JSON"),
    ("[]", "at /: expected a JSON object"),
    ('{"schemaVersion": 2, "results": []}', "at /schemaVersion: schemaVersion 2 is not supported"),
    ('{"schemaVersion": 1, "results": {}}', "at /results: expected 'results' to be an array"),
    ('{"schemaVersion": 1, "results": [{"resource": "a", "effect": "deny"}]}', "at /results/0/result"),
    ('{"schemaVersion": 1, "results": [{"resource": "a", "result": "match", "effect": "deny", "clauseId": 3}]}',
     "at /results/0/clauseId"),
])
def test_bad_result_files_are_bad_input_naming_file_and_pointer(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    res = report(str(path))
    assert res.exit_code == 2
    assert "bad.json" in res.stderr and expected in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "expected"), [
    ([], "nothing to report"),
    (["missing.json"], "cannot read the results file"),
    ([CHECK1, "--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
    ([CHECK1, "--from-azure"], "--from-azure needs --scope"),
    ([CHECK1, "--scope", "tenant"], "--scope is read only with --from-azure"),
    (["--from-azure", "--scope", "/subscriptions/nope"], "is not a subscription id"),
    (["--from-azure", "--scope", "bad name!"], "is neither 'tenant'"),
    ([CHECK1, "--format", "pdf"], "Invalid value for '--format'"),
])
def test_bad_options_exit_2_with_one_line(args: list[str], expected: str) -> None:
    res = report(*args)
    assert res.exit_code == 2, res.output
    assert expected in res.stderr
    assert "Traceback" not in res.stderr


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "evidence.html"
    out.parent.mkdir()
    res = report(CHECK1, "--output-file", str(out))
    assert res.exit_code == 0
    assert res.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_templates_ship_in_the_wheel() -> None:
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"templates" = "generator/templates"' in text
    root = Path(__file__).resolve().parents[2] / "templates" / "report"
    assert {p.name for p in root.iterdir()} >= {"report.html.j2", "report.md.j2", "report.css"}


def test_quiet_silences_the_summary_line() -> None:
    res = report(CHECK1, "--quiet")
    assert res.exit_code == 0 and res.stderr == "" and res.stdout.startswith("<!DOCTYPE html>")


def test_pack_option_names_the_clauses_shown(tmp_path: Path) -> None:
    pack = Path(__file__).resolve().parents[2] / "examples" / "packs" / "restricted-data-network.yaml"
    res = report(CHECK1, "--pack", str(pack), "--format", "markdown")
    assert res.exit_code == 0, res.stderr
    assert "## Clause us-police" not in res.stdout  # not in the pack named
    assert "## Findings not tied to a clause" in res.stdout  # so its findings are listed apart
