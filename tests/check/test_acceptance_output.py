"""Acceptance regressions for `clausegate check` output: SARIF results of a plan read without --source
still carry a physical location (GitHub code scanning rejects results without one)."""

from __future__ import annotations

import json

from tests.check.conftest import EXAMPLES, report_of, run_check
from tests.check.test_sarif_schema import validate as validate_sarif

POLICE_US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]
PLAN = EXAMPLES / "plan-nested-modules" / "plan.json"


def test_sarif_of_a_plan_without_source_points_at_the_plan_file() -> None:
    result = run_check([str(PLAN), *POLICE_US, "--format", "sarif"])
    assert result.exit_code == 1, result.output
    log = json.loads(result.stdout)
    validate_sarif(log)
    found = log["runs"][0]["results"]
    assert found
    for item in found:
        uri = item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.endswith("plan-nested-modules/plan.json")
    # the JSON report is unchanged: a plan's results have no file without --source
    report = report_of(run_check([str(PLAN), *POLICE_US, "--format", "json"]))
    assert all(r["file"] is None for r in report["results"])
