"""Acceptance regressions for ``clausegate scan`` (CONTRACTS exit codes, input checks, retries, hints)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from armstub import ArmStub
from armstub.graph import graph_state
from click.testing import CliRunner, Result
from tenant_seed import Seeded, seed_tenant, sub_id

from generator.cli import cli


def scan(*args: str) -> Result:
    return CliRunner().invoke(cli, ["scan", *args])


@pytest.fixture
def tenant(arm_stub: ArmStub, azure_env: dict[str, str]) -> Seeded:
    seeded = seed_tenant(arm_stub, 100)
    arm_stub.clear_log()
    return seeded


@pytest.mark.parametrize("value", ["/subscriptions/00000000-0000-4000-8000-000000000000", "bad/name",
                                   "/providers/Microsoft.Management/managementGroups/", "x" * 91])
def test_a_management_group_in_an_unknown_format_is_bad_input(arm_stub: ArmStub, tenant: Seeded, value: str) -> None:
    res = scan("--management-group", value, "--format", "json")
    assert res.exit_code == 2, res.output
    assert "--management-group" in res.stderr and "Traceback" not in res.stderr
    assert arm_stub.arm_requests() == []


def test_a_management_group_by_arm_id_is_scanned(arm_stub: ArmStub, tenant: Seeded) -> None:
    res = scan("--management-group", "/providers/Microsoft.Management/managementGroups/le-us", "--format", "json")
    assert res.exit_code == 1, res.stderr
    assert json.loads(res.stdout)["scan"]["scope"] == "management group le-us"


@pytest.mark.parametrize("value", ["-" * 36, "0000000g-0000-4000-8000-000000000000", "abc"])
def test_a_subscription_that_is_not_a_guid_is_bad_input(arm_stub: ArmStub, tenant: Seeded, value: str) -> None:
    res = scan("--subscription", value)
    assert res.exit_code == 2 and "not a subscription id" in res.stderr
    assert arm_stub.arm_requests() == []


@pytest.mark.parametrize("value", ["foo", "Microsoft.Foo/bar') | union (resources", "Microsoft.Foo/"])
def test_a_type_that_is_not_a_resource_type_is_bad_input(arm_stub: ArmStub, tenant: Seeded, value: str) -> None:
    res = scan("--tenant-wide", "--type", value)
    assert res.exit_code == 2 and "--type" in res.stderr
    assert arm_stub.arm_requests() == []


def test_a_malformed_type_in_a_policy_is_never_quoted_into_a_query(arm_stub: ArmStub, tenant: Seeded,
                                                                   tmp_path: Path) -> None:
    policy = tmp_path / "odd.json"
    policy.write_text(json.dumps({"name": "odd", "properties": {"mode": "All", "policyRule": {
        "if": {"field": "type", "in": ["Microsoft.CognitiveServices/accounts", "Microsoft.X/y' or 1==1"]},
        "then": {"effect": "audit"}}}}))
    res = scan("--tenant-wide", "--policy", str(policy), "--format", "json")
    assert res.exit_code == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["scan"]["types"] == ["Microsoft.CognitiveServices/accounts"]
    assert any("not a resource type" in w for w in report["warnings"])
    assert not any("1==1" in q["query"] for q in graph_state(arm_stub).queries)


def test_an_empty_management_group_warns_and_reads_nothing_else(arm_stub: ArmStub, tenant: Seeded) -> None:
    res = scan("--management-group", "no-such-group", "--format", "json")
    assert res.exit_code == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["scan"]["subscriptions"] == 0
    assert any("no subscription found in management group no-such-group" in w for w in report["warnings"])
    assert len(arm_stub.arm_requests()) == 1  # the subscriptions query only


def test_when_no_subscription_can_be_read_the_other_queries_are_skipped(arm_stub: ArmStub, tenant: Seeded) -> None:
    from generator.azure.scan import load_scan_policies, run_scan

    arm_stub.inject("error", method="POST", path="ResourceGraph", times=100, status=500)
    result = run_scan(load_scan_policies(None, ()), tenant_wide=True, retry_total=1, retry_backoff=0.01)
    assert result.exit_code == 3
    assert len(arm_stub.arm_requests()) == 2  # the subscriptions page and its one retry
    assert result.incomplete[0].startswith("subscriptions: page 1 failed")
    assert "no subscription could be read" in result.incomplete[-1]


def test_a_dropped_resource_graph_connection_is_retried(arm_stub: ArmStub, tenant: Seeded) -> None:
    """A Resource Graph query is a read sent as POST; a dropped connection must be retried, not lost."""
    fault = arm_stub.inject("drop", method="POST", path="ResourceGraph", skip=2, times=1)
    res = scan("--tenant-wide", "--format", "json")
    assert fault.fired == 1
    assert res.exit_code == 1, res.stderr
    info = json.loads(res.stdout)["scan"]
    assert info["incomplete"] == [] and info["requests"]["retries"] == 1
    assert info["resources"]["graph"] == len(tenant.accounts)


def test_a_403_names_the_role_without_mentioning_check_options(arm_stub: ArmStub, tenant: Seeded) -> None:
    arm_stub.inject("error", method="POST", path="ResourceGraph", times=100, status=403)
    res = scan("--tenant-wide", "--format", "json")
    assert res.exit_code == 3
    assert "Reader role" in res.stderr and "--from-azure" not in res.stderr
    assert "Traceback" not in res.stderr and arm_stub.token not in res.stderr + res.stdout


def test_subscriptions_given_that_are_not_visible_are_warned(arm_stub: ArmStub, tenant: Seeded) -> None:
    ghost = "99999999-0000-4000-8000-000000000000"
    res = scan("--subscription", sub_id(0), "--subscription", ghost, "--format", "json")
    assert res.exit_code == 1, res.stderr
    report = json.loads(res.stdout)
    assert report["scan"]["subscriptions"] == 1
    assert any(ghost in w for w in report["warnings"])


def test_the_scan_section_is_described_by_the_shipped_schema(arm_stub: ArmStub, tenant: Seeded) -> None:
    """CONTRACTS: every JSON document is described by a schema shipped in the package and tested against it."""
    import copy

    import jsonschema

    from generator.report import load_schema

    res = scan("--tenant-wide", "--format", "json", "--all")
    assert res.exit_code == 1, res.stderr
    report = json.loads(res.stdout)
    schema = load_schema("report")
    assert "scan" in schema["properties"]
    jsonschema.validate(report, schema)
    assert report["scan"]["lawEnforcementUntagged"] and report["scan"]["lawEnforcementUnassigned"]
    broken = copy.deepcopy(report)
    broken["scan"]["requests"]["total"] = "many"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
