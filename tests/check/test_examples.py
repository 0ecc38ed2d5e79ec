"""Every folder under examples/check/ is a scenario: `clausegate check` must report what expected.yaml says.

expected.yaml: ``input`` (a plan, a template, or "." for the Terraform directory), ``args``,
``exit_code``, ``results`` (address -> clause id -> "result effect [existing]"; every result that is
not no-match must be listed, and every listed one must occur), ``allowed`` (addresses whose every
evaluation is no-match), optional ``locations`` (address -> "file:line") and ``skipped``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.check.conftest import EXAMPLES, report_of, run_check

SCENARIOS = sorted(p.parent for p in EXAMPLES.glob("*/expected.yaml"))


def _key(result: dict[str, Any]) -> str:
    return result.get("clauseId") or result.get("policyDefinitionReferenceId") or result["policyDefinitionName"]


def test_there_are_scenarios() -> None:
    names = {p.name for p in SCENARIOS}
    assert {"azurerm-modules-for-each", "plan-attested-resource-group", "plan-nested-modules",
            "plan-azapi-unknowns", "arm-template"} <= names


@pytest.mark.parametrize("folder", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_example(folder: Path) -> None:
    spec = yaml.safe_load((folder / "expected.yaml").read_text("utf-8"))
    result = run_check([spec["input"], *spec.get("args", []), "--format", "json", "--all"], cwd=folder)
    assert result.exit_code == spec["exit_code"], result.output
    report = report_of(result)

    got: dict[str, dict[str, str]] = {}
    by_resource: dict[str, list[dict[str, Any]]] = {}
    for r in report["results"]:
        by_resource.setdefault(r["resource"], []).append(r)
        if r["result"] == "no-match":
            continue
        word = f"{r['result']} {r['effect']}" + (" existing" if r.get("existing") else "")
        got.setdefault(r["resource"], {})[_key(r)] = word
    expected = {addr: dict(v) for addr, v in (spec.get("results") or {}).items()}
    unmatched = {a: v for a, v in expected.items() if got.get(a) != v}
    unexpected = {a: v for a, v in got.items() if a not in expected}
    assert not unmatched and not unexpected, (
        f"expected but not reported as such: {unmatched}\nreported: {got}\nnot expected: {unexpected}")

    for address in spec.get("allowed") or []:
        evaluations = by_resource.get(address)
        assert evaluations, f"{address} was not evaluated; evaluated: {sorted(by_resource)}"
        assert all(r["result"] == "no-match" for r in evaluations), evaluations

    for address, where in (spec.get("locations") or {}).items():
        r = by_resource[address][0]
        assert f"{r['file']}:{r['line']}" == where

    if "skipped" in spec:
        assert report["summary"]["resources"]["skipped"] == spec["skipped"]
