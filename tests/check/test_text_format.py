"""Text output of `check` / `scan` / `eval`: one heading per resource, its verdicts, one summary line last."""

from __future__ import annotations

import json
from typing import Any

from generator.report import build_report, formatters
from tests.check.conftest import EXAMPLES, run_check

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]


def _r(resource: str, result: str, policy: str, **extra: Any) -> dict[str, Any]:
    return {"resource": resource, "policyDefinitionName": policy, "result": result, "effect": "deny",
            "message": f"{policy} says {result}", **extra}


def test_results_are_grouped_under_one_heading_per_resource() -> None:
    report = build_report([
        _r("azurerm_x.a", "match", "p1", file="main.tf", line=3, explanation=["model.name 'gpt-4o' is not cleared"]),
        _r("azurerm_x.b", "undetermined", "p1", file="main.tf", line=9),
        _r("azurerm_x.a", "undetermined", "p2", file="main.tf", line=3, clauseId="c2", clauseSource="https://e.org/c"),
    ], resources_read=2, warnings=["something to know"])
    lines = formatters["text"](report).splitlines()
    headings = [ln for ln in lines if ln and not ln.startswith((" ", "warning:")) and "evaluation(s)" not in ln]
    assert headings == ["azurerm_x.a (main.tf:3)  [FAILS: 1]", "azurerm_x.b (main.tf:9)"]
    a = lines.index(headings[0])
    b = lines.index(headings[1])
    block_a = lines[a + 1:b]
    # both of a's verdicts (p1 then p2) sit under a's heading, with their explanation and clause lines
    assert block_a[0] == "  MATCH deny p1 [FAILS]"
    assert "      - model.name 'gpt-4o' is not cleared" in block_a
    assert "  UNDETERMINED deny p2" in block_a and "      clause c2" in block_a and "        source: https://e.org/c" in block_a
    assert any(ln.startswith("  UNDETERMINED deny p1") for ln in lines[b + 1:])
    # warnings before, and exactly one summary line, which is the last line
    assert lines[-2] == "warning: something to know"
    assert lines[-1].startswith("3 evaluation(s): 1 match, 2 undetermined; 1 failing (--fail-on deny)")
    assert sum("evaluation(s)" in ln for ln in lines) == 1


def test_same_address_from_two_files_stays_apart() -> None:
    report = build_report([_r("x.y", "match", "p", file="a.tf", line=1), _r("x.y", "match", "p", file="b.tf", line=1)])
    text = formatters["text"](report)
    assert "x.y (a.tf:1)" in text and "x.y (b.tf:1)" in text


def test_check_text_groups_plan_results_by_resource() -> None:
    plan = EXAMPLES / "plan-nested-modules" / "plan.json"
    json_report = run_check([str(plan), *POLICE_US, "--format", "json"])
    resources = list(dict.fromkeys(r["resource"] for r in json.loads(json_report.stdout)["results"]))
    text = run_check([str(plan), *POLICE_US]).stdout
    lines = text.splitlines()
    heading_lines = [ln for ln in lines if ln and not ln.startswith((" ", "warning:")) and "evaluation(s)" not in ln]
    assert [h.split("  [")[0].split(" (")[0] for h in heading_lines] == resources
    assert len(resources) < sum(1 for ln in lines if ln.startswith(("  MATCH", "  UNDETERMINED"))), \
        "the example should have a resource with several verdicts"
    assert "evaluation(s)" in lines[-1] and "resources read" in lines[-1]


def test_empty_report_is_only_the_summary_line() -> None:
    text = formatters["text"](build_report([], resources_read=4, checked=0, skipped=4))
    assert text == "0 evaluation(s): none; 0 failing (--fail-on deny); resources read 4, checked 0, skipped 4\n"
