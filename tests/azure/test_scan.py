"""clausegate scan against the HTTPS stand-in: Resource Graph paging, batching, throttling, failures.

Real SDK clients (ResourceGraphClient, ResourceManagementClient) and a real DefaultAzureCredential
talk to the stand-in over TLS; nothing is patched.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from armstub import ArmStub
from armstub.graph import graph_state
from armstub.resources import resource_state
from click.testing import CliRunner, Result
from tenant_seed import Seeded, seed_tenant, sub_id

from generator.cli import cli
from generator.report import load_schema

COUNT = 2000


def scan(*args: str) -> Result:
    return CliRunner().invoke(cli, ["scan", *args])


@pytest.fixture
def big_tenant(arm_stub: ArmStub, azure_env: dict[str, str]) -> Seeded:
    """2,000 subscriptions, 200 OpenAI accounts with 2 deployments each, one Face account."""
    seeded = seed_tenant(arm_stub, COUNT)
    arm_stub.clear_log()
    return seeded


def _deployment_findings(report: dict[str, Any]) -> set[str]:
    return {r["resource"] for r in report["results"]
            if r["result"] == "match" and r["resource"].endswith("/deployments/chat")}


def test_scan_of_2000_subscriptions_costs_a_handful_of_queries(arm_stub: ArmStub, big_tenant: Seeded) -> None:
    started = time.monotonic()
    res = scan("--tenant-wide", "--format", "json")
    elapsed = time.monotonic() - started
    assert res.exit_code == 1, res.stderr  # deny matches exist
    report = json.loads(res.stdout)
    jsonschema.validate(report, load_schema("report"))
    info = report["scan"]
    graph_posts = [r for r in arm_stub.arm_requests() if r.method == "POST"]
    listings = [r for r in arm_stub.arm_requests() if r.path.endswith("/deployments")]
    total = len(arm_stub.arm_requests())
    print(f"\nscan of {COUNT} subscriptions: {total} requests ({len(graph_posts)} Resource Graph pages, "
          f"{len(listings)} deployment listings) in {elapsed:.2f}s")
    assert info["subscriptions"] == COUNT
    # subscriptions: 2 pages of 1000; assignments 1; resources 1; resource groups 1.
    assert len(graph_posts) == 5
    # Deployments are listed only under accounts in law-enforcement subscriptions (40 + the Face account).
    assert len(listings) == len(big_tenant.le_accounts) + 1
    assert total == info["requests"]["total"] <= 60
    assert f"{total} request(s)" in res.stderr
    # Every image-capable deployment in a law-enforcement subscription is found, and nothing else.
    expected = {f"{a}/deployments/chat" for a in big_tenant.le_accounts}
    assert _deployment_findings(report) == expected
    assert not any(r["resource"].endswith("/deployments/embed") for r in report["results"] if r["result"] == "match")
    assert any(r["resource"].endswith("/accounts/face-0") and r["result"] == "match" for r in report["results"])
    assert info["resources"]["parentsSkipped"] == len(big_tenant.accounts) - len(big_tenant.le_accounts) - 1


def test_scan_lists_untagged_and_unassigned_law_enforcement(big_tenant: Seeded) -> None:
    res = scan("--tenant-wide", "--format", "json")
    info = json.loads(res.stdout)["scan"]
    untagged = {s["subscriptionId"]: s["why"] for s in info["lawEnforcementUntagged"]}
    assert set(big_tenant.untagged_by_name) <= set(untagged)
    assert set(big_tenant.untagged_by_mg) <= set(untagged)
    assert set(untagged) == set(big_tenant.untagged_by_name) | set(big_tenant.untagged_by_mg)
    assert "name 'pd-metro-25'" in untagged[sub_id(25)]
    assert "management group 'Police US' (le-us)" in untagged[sub_id(3)]
    unassigned = {s["subscriptionId"] for s in info["lawEnforcementUnassigned"]}
    assert unassigned == set(big_tenant.le_unassigned)
    assert info["lawEnforcementSubscriptions"] == len(big_tenant.le)
    # Findings in unassigned subscriptions say Azure does not enforce them there today.
    report = json.loads(res.stdout)
    unassigned_hit = next(r for r in report["results"] if sub_id(50) in r["resource"] and r["result"] == "match")
    assert any("no assignment" in w for w in unassigned_hit.get("warnings", []))
    assigned_hit = next(r for r in report["results"] if sub_id(100) in r["resource"] and r["result"] == "match")
    assert assigned_hit["policyAssignmentName"] == "aoai-le"
    # Text output names them for people.
    text = scan("--tenant-wide").stdout
    assert "look like law enforcement but carry no 'sector' tag" in text
    assert "pd-metro-25" in text and "justice-50 (sector=police)" in text


def test_explicit_subscriptions_are_sent_in_batches(arm_stub: ArmStub, big_tenant: Seeded) -> None:
    ids = [sub_id(i) for i in range(1500)]
    args = [a for s in ids for a in ("--subscription", s)]
    res = scan(*args, "--format", "json")
    assert res.exit_code == 1, res.stderr
    queries = graph_state(arm_stub).queries
    # The stand-in refuses more than 1000 subscriptions per request, like a bounded real request.
    assert max(q["subscriptions"] for q in queries) <= 1000
    assert json.loads(res.stdout)["scan"]["subscriptions"] == 1500
    assert _deployment_findings(json.loads(res.stdout)) == {
        f"{a}/deployments/chat" for a in big_tenant.le_accounts if int(a.split("/")[2][:8], 16) < 1500}


def test_management_group_scope(big_tenant: Seeded) -> None:
    res = scan("--management-group", "le-us", "--format", "json")
    report = json.loads(res.stdout)
    assert report["scan"]["subscriptions"] == len([s for s in big_tenant.le if s not in big_tenant.le_unassigned]) + \
        len(big_tenant.untagged_by_mg)
    assert report["scan"]["lawEnforcementUnassigned"] == []


def test_a_throttled_page_is_retried_after_retry_after(arm_stub: ArmStub, big_tenant: Seeded) -> None:
    fault = arm_stub.inject("throttle", method="POST", path="ResourceGraph", skip=1, retry_after=0.3)
    started = time.monotonic()
    res = scan("--tenant-wide", "--format", "json")
    assert fault.fired == 1
    assert time.monotonic() - started >= 0.3
    assert res.exit_code == 1, res.stderr
    info = json.loads(res.stdout)["scan"]
    assert info["requests"]["throttled"] == 1 and info["requests"]["retries"] >= 1
    assert info["incomplete"] == [] and info["subscriptions"] == COUNT
    assert "1 retried" in res.stderr


def test_a_failing_page_is_reported_without_losing_results(arm_stub: ArmStub, big_tenant: Seeded) -> None:
    from generator.azure.scan import load_scan_policies, run_scan

    graph_state(arm_stub).page_size = 50   # the resources query now takes 5 pages
    # Page 3 of the resources query (the 2 subscription pages and the policy page come first) fails
    # on every attempt: the first try and its 2 retries.
    fault = arm_stub.inject("error", method="POST", path="ResourceGraph", skip=40 + 1 + 2, times=3, status=500)
    result = run_scan(load_scan_policies(None, ()), tenant_wide=True, retry_total=2, retry_backoff=0.01)
    assert fault.fired == 3
    assert result.exit_code == 3
    assert len(result.incomplete) == 1
    assert "resources: page 3 failed" in result.incomplete[0] and "100 row(s) read before it are kept" \
        in result.incomplete[0]
    # Results read before the failure are there: the accounts on pages 1-2 (and their deployments).
    report = result.report
    assert report["summary"]["resources"]["read"] > 100
    first_page_le = [a for a in big_tenant.le_accounts if int(a.split("/")[2][:8], 16) < 100]
    assert first_page_le and {f"{a}/deployments/chat" for a in first_page_le} <= _deployment_findings(report)
    assert report["scan"]["incomplete"] == result.incomplete


def test_a_failing_deployment_listing_is_reported(arm_stub: ArmStub, big_tenant: Seeded) -> None:
    victim = big_tenant.le_accounts[3]
    arm_stub.inject("error", method="GET", path=victim.replace(".", r"\.") + "/deployments$", times=10, status=500)
    from generator.azure.scan import load_scan_policies, run_scan

    result = run_scan(load_scan_policies(None, ()), tenant_wide=True, retry_total=1, retry_backoff=0.01)
    assert result.exit_code == 3
    assert len(result.incomplete) == 1 and victim in result.incomplete[0]
    found = _deployment_findings(result.report)
    assert f"{victim}/deployments/chat" not in found
    assert len(found) == len(big_tenant.le_accounts) - 1


def test_scan_through_assignment_parameters_and_exemption(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    """treatScopeAsLawEnforcement on the assignment covers an untagged subscription; a waiver exempts."""
    from armstub import policy_state
    from armstub.subscriptions import mg_id, tenant_state
    from tenant_seed import assignment_doc

    tenant = tenant_state(arm_stub)
    tenant.add_management_group("pd", display="Metro PD")
    s1, s2 = sub_id(1), sub_id(2)
    tenant.add_subscription(s1, "metro-a", {"jurisdiction": "US"}, "pd", arm_stub)
    tenant.add_subscription(s2, "metro-b", {"jurisdiction": "US"}, "pd", arm_stub)
    res_state = resource_state(arm_stub)
    for s in (s1, s2):
        tenant.add_resource_group(s, "rg", "eastus")
        acct = res_state.add_account(s, "rg", f"acct-{s[:8]}")
        res_state.add_deployment(acct["id"], "vision", "gpt-4o", "2024-11-20")
    doc = assignment_doc(mg_id("pd"), parameters={"treatScopeAsLawEnforcement": {"value": True}})
    policy_state(arm_stub).put_raw(doc)
    policy_state(arm_stub).put_raw({
        "id": f"/subscriptions/{s2}/providers/Microsoft.Authorization/policyExemptions/lab-waiver",
        "type": "Microsoft.Authorization/policyExemptions", "name": "lab-waiver",
        "properties": {"policyAssignmentId": doc["id"], "exemptionCategory": "Waiver"}})
    res = scan("--management-group", "pd", "--format", "json", "--fail-on", "deny")
    report = json.loads(res.stdout)
    hits = {r["resource"].split("/")[2]: r for r in report["results"]
            if r["result"] == "match" and r["policyDefinitionReferenceId"] == "us-police"}
    assert set(hits) == {s1, s2}
    assert "exemption" not in hits[s1] and hits[s2]["exemption"]["name"] == "lab-waiver"
    # The exempt finding does not fail the run; the other one does.
    assert res.exit_code == 1
    # Untagged, but the assignment treats the scope as law enforcement: not "unassigned", and not
    # "untagged-looking" either (nothing in the names says police).
    assert report["scan"]["lawEnforcementUnassigned"] == []


def test_scan_needs_exactly_one_scope(azure_env: dict[str, str]) -> None:
    res = scan("--format", "json")
    assert res.exit_code == 2
    assert "exactly one of" in res.stderr
    res = scan("--subscription", "not-a-guid")
    assert res.exit_code == 2


def test_scan_without_credentials_is_one_line_exit_3(arm_stub: ArmStub, azure_env: dict[str, str],
                                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    arm_stub.refuse_tokens = True
    res = scan("--tenant-wide")
    assert res.exit_code == 3
    assert "incomplete" in res.stderr or "error:" in res.stderr
    assert "Traceback" not in res.stderr and arm_stub.token not in res.stderr + res.stdout
