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


# Variables that could let azure-identity find a real identity; the tests must see only the stand-in's.
_CREDENTIAL_ENV = ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH",
                   "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
                   "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "AZURE_CLOUD", "HTTPS_PROXY", "https_proxy")


@pytest.fixture(scope="module")
def big_stub(stub_ca: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One stand-in for the module, seeded once: 2,000 subscriptions, 200 OpenAI accounts, a Face account."""
    stub = ArmStub(stub_ca, tmp_path_factory.mktemp("big")).start()
    seeded = seed_tenant(stub, COUNT)
    try:
        yield stub, seeded
    finally:
        stub.stop()


@pytest.fixture
def big(big_stub: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[ArmStub, Seeded]:
    """The seeded stand-in with this process pointed at it, an empty request log and no faults."""
    stub, seeded = big_stub
    for name in _CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    for key, value in {**stub.env(), "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential"}.items():
        monkeypatch.setenv(key, value)
    stub.clear_log()
    stub.faults.clear()
    graph_state(stub).queries.clear()
    return stub, seeded


_SCANS: dict[int, tuple[Result, int, float]] = {}


@pytest.fixture
def tenant_scan(big: tuple[ArmStub, Seeded]) -> tuple[Result, int, float]:
    """One tenant-wide JSON scan of the big tenant (run once, shared): result, requests seen, seconds."""
    stub = big[0]
    if id(stub) not in _SCANS:
        started = time.monotonic()
        res = scan("--tenant-wide", "--format", "json")
        _SCANS[id(stub)] = (res, len(stub.arm_requests()), time.monotonic() - started)
        _SCANS[-1] = ([r for r in stub.arm_requests()], 0, 0.0)  # type: ignore[assignment]
    return _SCANS[id(stub)]


@pytest.fixture
def small_tenant(arm_stub: ArmStub, azure_env: dict[str, str]) -> Seeded:
    """200 subscriptions (20 accounts) with 50-row Resource Graph pages, for fault tests."""
    seeded = seed_tenant(arm_stub, 200)
    graph_state(arm_stub).page_size = 50
    arm_stub.clear_log()
    return seeded


def _deployment_findings(report: dict[str, Any]) -> set[str]:
    return {r["resource"] for r in report["results"]
            if r["result"] == "match" and r["resource"].endswith("/deployments/chat")}


def test_scan_of_2000_subscriptions_costs_a_handful_of_queries(big: tuple[ArmStub, Seeded],
                                                               tenant_scan: tuple[Result, int, float]) -> None:
    _, seeded = big
    res, total, elapsed = tenant_scan
    assert res.exit_code == 1, res.stderr  # deny matches exist
    report = json.loads(res.stdout)
    jsonschema.validate(report, load_schema("report"))
    info = report["scan"]
    seen = _SCANS[-1][0]
    graph_posts = [r for r in seen if r.method == "POST"]
    listings = [r for r in seen if r.path.endswith("/deployments")]
    print(f"\nscan of {COUNT} subscriptions: {total} requests ({len(graph_posts)} Resource Graph pages, "
          f"{len(listings)} deployment listings) in {elapsed:.2f}s")
    assert info["subscriptions"] == COUNT
    # subscriptions: 2 pages of 1000; assignments 1; resources 1; resource groups 1.
    assert len(graph_posts) == 5
    # Deployments are listed only under accounts in law-enforcement subscriptions (40 + the Face account).
    assert len(listings) == len(seeded.le_accounts) + 1
    # Each such account also has its managed compute deployments listed (a route with no model alias).
    managed = [r for r in seen if r.path.endswith("/managedComputeDeployments")]
    assert len(managed) == len(listings)
    assert total == info["requests"]["total"] <= 60 + len(managed)
    assert f"{total} request(s)" in res.stderr
    # Every image-capable deployment in a law-enforcement subscription is found, and nothing else.
    assert _deployment_findings(report) == {f"{a}/deployments/chat" for a in seeded.le_accounts}
    assert not any(r["resource"].endswith("/deployments/embed") for r in report["results"] if r["result"] == "match")
    assert any(r["resource"].endswith("/accounts/face-0") and r["result"] == "match" for r in report["results"])
    # Skipped per child collection: deployments and managedComputeDeployments of each other account.
    assert info["resources"]["parentsSkipped"] == 2 * (len(seeded.accounts) - len(seeded.le_accounts) - 1)


def test_scan_lists_untagged_and_unassigned_law_enforcement(big: tuple[ArmStub, Seeded],
                                                           tenant_scan: tuple[Result, int, float]) -> None:
    from generator.azure.scan import ScanResult, format_scan_text

    _, seeded = big
    report = json.loads(tenant_scan[0].stdout)
    info = report["scan"]
    untagged = {s["subscriptionId"]: s["why"] for s in info["lawEnforcementUntagged"]}
    assert set(untagged) == set(seeded.untagged_by_name) | set(seeded.untagged_by_mg)
    assert "name 'pd-metro-25'" in untagged[sub_id(25)]
    assert "management group 'Police US' (le-us)" in untagged[sub_id(3)]
    unassigned = {s["subscriptionId"] for s in info["lawEnforcementUnassigned"]}
    assert unassigned == set(seeded.le_unassigned)
    assert info["lawEnforcementSubscriptions"] == len(seeded.le)
    # Findings in unassigned subscriptions say Azure does not enforce them there today.
    unassigned_hit = next(r for r in report["results"] if sub_id(50) in r["resource"] and r["result"] == "match")
    assert any("no assignment" in w for w in unassigned_hit.get("warnings", []))
    assigned_hit = next(r for r in report["results"] if sub_id(100) in r["resource"] and r["result"] == "match")
    assert assigned_hit["policyAssignmentName"] == "aoai-le"
    # The text section names them for people.
    text = format_scan_text(ScanResult(report))
    assert "look like law enforcement but carry no 'sector' tag: 60" in text
    assert "pd-metro-25 (name 'pd-metro-25')" in text and "justice-50 (sector=police)" in text
    assert "no assignment of aoai-law-enforcement: 20 of 40" in text


def test_explicit_subscriptions_are_sent_in_batches(big: tuple[ArmStub, Seeded]) -> None:
    stub, seeded = big
    ids = [sub_id(i) for i in range(1500)]
    res = scan(*[a for s in ids for a in ("--subscription", s)], "--format", "json")
    assert res.exit_code == 1, res.stderr
    queries = graph_state(stub).queries
    # The stand-in refuses more than 1000 subscriptions per request: the scan must batch.
    assert max(q["subscriptions"] for q in queries) == 1000
    assert sum(1 for q in queries if q["subscriptions"] == 500) >= 2  # second batch of subscriptions, resources
    report = json.loads(res.stdout)
    assert report["scan"]["subscriptions"] == 1500
    assert _deployment_findings(report) == {
        f"{a}/deployments/chat" for a in seeded.le_accounts if int(a.split("/")[2][:8], 16) < 1500}


def test_management_group_scope(big: tuple[ArmStub, Seeded]) -> None:
    _, seeded = big
    res = scan("--management-group", "le-us", "--format", "json")
    report = json.loads(res.stdout)
    in_mg = [s for s in seeded.le if s not in seeded.le_unassigned] + seeded.untagged_by_mg
    assert report["scan"]["subscriptions"] == len(in_mg)
    assert report["scan"]["lawEnforcementUnassigned"] == []
    assert {r["resource"].split("/")[2] for r in report["results"]} <= set(in_mg)


def test_a_throttled_page_is_retried_after_retry_after(arm_stub: ArmStub, small_tenant: Seeded) -> None:
    fault = arm_stub.inject("throttle", method="POST", path="ResourceGraph", skip=1, retry_after=0.3)
    started = time.monotonic()
    res = scan("--tenant-wide", "--format", "json")
    assert fault.fired == 1
    assert time.monotonic() - started >= 0.3
    assert res.exit_code == 1, res.stderr
    info = json.loads(res.stdout)["scan"]
    assert info["requests"]["throttled"] == 1 and info["requests"]["retries"] == 1
    assert info["incomplete"] == [] and info["subscriptions"] == 200
    assert "1 retried" in res.stderr
    assert _deployment_findings(json.loads(res.stdout)) == {f"{a}/deployments/chat" for a in small_tenant.le_accounts}


def test_pages_wait_for_the_resource_graph_quota(arm_stub: ArmStub, small_tenant: Seeded) -> None:
    """With x-ms-user-quota-remaining at 0, the next page waits for the window instead of a 429."""
    state = graph_state(arm_stub)
    state.quota, state.window = 3, 0.3
    started = time.monotonic()
    res = scan("--tenant-wide", "--format", "json")
    assert res.exit_code == 1, res.stderr
    info = json.loads(res.stdout)["scan"]
    assert info["requests"]["quotaWaits"] >= 1 and info["requests"]["throttled"] == 0
    assert time.monotonic() - started >= 0.2
    assert info["incomplete"] == [] and info["subscriptions"] == 200


def test_a_failing_page_is_reported_without_losing_results(arm_stub: ArmStub, small_tenant: Seeded) -> None:
    from generator.azure.scan import load_scan_policies, run_scan

    # 20 OpenAI accounts + 1 Face account; with 10-row pages: 20 subscription pages, 1 policy page,
    # then 3 resource pages. Page 2 of the resources fails on every attempt (the try and 2 retries).
    graph_state(arm_stub).page_size = 10
    fault = arm_stub.inject("error", method="POST", path="ResourceGraph", skip=20 + 1 + 1, times=3, status=500)
    result = run_scan(load_scan_policies(None, ()), tenant_wide=True, retry_total=2, retry_backoff=0.01)
    assert fault.fired == 3
    assert result.exit_code == 3
    assert len(result.incomplete) == 1
    assert "resources: page 2 failed" in result.incomplete[0]
    assert "the 10 row(s) read before it are kept" in result.incomplete[0]
    # What was read before the failure is evaluated: accounts on pages 1-2 and their deployments.
    report = result.report
    assert report["scan"]["resources"]["graph"] == 10
    kept = sorted(small_tenant.accounts, key=str.lower)[:10]
    assert {f"{a}/deployments/chat" for a in kept if a in small_tenant.le_accounts} == _deployment_findings(report)
    assert _deployment_findings(report)
    assert report["scan"]["incomplete"] == result.incomplete


def test_a_failing_deployment_listing_is_reported(arm_stub: ArmStub, small_tenant: Seeded) -> None:
    from generator.azure.scan import load_scan_policies, run_scan

    victim = small_tenant.le_accounts[1]
    arm_stub.inject("error", method="GET", path=victim.replace(".", r"\.") + "/deployments$", times=10, status=500)
    result = run_scan(load_scan_policies(None, ()), tenant_wide=True, retry_total=1, retry_backoff=0.01)
    assert result.exit_code == 3
    assert len(result.incomplete) == 1 and victim in result.incomplete[0]
    found = _deployment_findings(result.report)
    assert f"{victim}/deployments/chat" not in found
    assert found == {f"{a}/deployments/chat" for a in small_tenant.le_accounts if a != victim}


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


def test_scan_with_own_policy_files_queries_only_their_types(arm_stub: ArmStub, small_tenant: Seeded,
                                                             tmp_path: Path) -> None:
    policy = tmp_path / "no-public-openai.json"
    policy.write_text(json.dumps({"name": "no-public-openai", "properties": {
        "mode": "Indexed",
        "policyRule": {"if": {"allOf": [
            {"field": "type", "equals": "Microsoft.CognitiveServices/accounts"},
            {"field": "kind", "equals": "OpenAI"},
            {"field": "Microsoft.CognitiveServices/accounts/publicNetworkAccess", "notEquals": "Disabled"}]},
            "then": {"effect": "audit"}}}}))
    res = scan("--tenant-wide", "--policy", str(policy), "--fail-on", "audit", "--format", "json")
    assert res.exit_code == 1, res.stderr
    report = json.loads(res.stdout)
    assert report["scan"]["types"] == ["Microsoft.CognitiveServices/accounts"]
    assert report["scan"]["requests"]["resourceManagerListings"] == 0
    assert not any(r.path.endswith("/deployments") for r in arm_stub.arm_requests())
    audited = {r["resource"] for r in report["results"] if r["result"] == "match"}
    assert audited == {a for a in small_tenant.accounts if not a.endswith("/face-0")}


def test_scan_needs_exactly_one_scope(azure_env: dict[str, str]) -> None:
    res = scan("--format", "json")
    assert res.exit_code == 2
    assert "exactly one of" in res.stderr
    res = scan("--subscription", "not-a-guid")
    assert res.exit_code == 2


def test_scan_without_credentials_is_one_line_exit_3(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    arm_stub.refuse_tokens = True
    res = scan("--tenant-wide")
    assert res.exit_code == 3
    [line] = res.stderr.strip().splitlines()
    assert line.startswith("error: Azure refused the credentials") and "az login" in line
    assert res.stdout == "" and arm_stub.arm_requests() == []


def test_other_formats_and_no_progress_without_a_terminal(arm_stub: ArmStub, small_tenant: Seeded) -> None:
    import xml.etree.ElementTree as ET

    sarif = scan("--tenant-wide", "--format", "sarif")
    assert sarif.exit_code == 1
    assert json.loads(sarif.stdout)["runs"][0]["results"]
    junit = scan("--tenant-wide", "--format", "junit")
    assert junit.exit_code == 1
    assert list(ET.fromstring(junit.stdout).iter("failure"))
    # CliRunner's stderr is not a terminal: the summary and the request line, no progress lines.
    lines = junit.stderr.splitlines()
    assert len(lines) == 2 and "evaluation(s)" in lines[0] and lines[1].startswith("scan: ")
    assert scan("--tenant-wide", "--fail-on", "audit", "--format", "json").exit_code == 0


def test_findings_use_the_sector_tag_an_assignment_sets(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    """An assignment that renames the sector tag decides which subscriptions count as law enforcement."""
    from armstub import policy_state
    from armstub.subscriptions import mg_id, tenant_state
    from tenant_seed import assignment_doc

    tenant = tenant_state(arm_stub)
    tenant.add_management_group("justice", display="Justice")
    tenant.add_management_group("other", display="Other")
    covered, bare = sub_id(11), sub_id(12)
    # Tagged with the renamed tag under an assignment that renames it: law enforcement and covered.
    tenant.add_subscription(covered, "pd-covered", {"industry": "police"}, "justice", arm_stub)
    # The same tag where no assignment renames it: the default tag 'sector' is missing, and the name
    # looks like police, so it is listed as untagged (a blind spot someone must see).
    tenant.add_subscription(bare, "pd-bare", {"industry": "police"}, "other", arm_stub)
    doc = assignment_doc(mg_id("justice"), parameters={"sectorTagName": {"value": "industry"}})
    policy_state(arm_stub).put_raw(doc)
    res = scan("--tenant-wide", "--format", "json")
    info = json.loads(res.stdout)["scan"]
    untagged = {s["subscriptionId"] for s in info["lawEnforcementUntagged"]}
    assert covered not in untagged and bare in untagged
    assert info["lawEnforcementUnassigned"] == []
    assert info["lawEnforcementSubscriptions"] == 1


def test_scan_honours_an_exemption_file(arm_stub: ArmStub, azure_env: dict[str, str], tmp_path: Path) -> None:
    """`clausegate exempt` writes a file; scan --exemption honours it as if Azure held it (issue 16)."""
    from armstub import policy_state
    from armstub.subscriptions import tenant_state
    from tenant_seed import assignment_doc

    tenant = tenant_state(arm_stub)
    s1 = sub_id(1)
    tenant.add_subscription(s1, "metro-a", {"sector": "police", "jurisdiction": "US"}, stub=arm_stub)
    tenant.add_resource_group(s1, "rg", "eastus")
    acct = resource_state(arm_stub).add_account(s1, "rg", "acct-a")
    resource_state(arm_stub).add_deployment(acct["id"], "vision", "gpt-4o", "2024-11-20")
    doc = assignment_doc(f"/subscriptions/{s1}")
    policy_state(arm_stub).put_raw(doc)
    base = ["--subscription", s1, "--format", "json"]
    before = scan(*base)
    assert before.exit_code == 1, before.output
    out = tmp_path / "ex"
    made = CliRunner().invoke(cli, ["exempt", "--out", str(out), "--clause", "us-police", "--scope",
                                    f"/subscriptions/{s1}", "--category", "Waiver", "--expires", "2099-01-31",
                                    "--reason", "lab", "--assignment-scope", f"/subscriptions/{s1}"])
    assert made.exit_code == 0, made.output
    ex = json.loads(next(out.glob("*.json")).read_text("utf-8"))
    ex["properties"]["policyAssignmentId"] = doc["id"]  # the assignment as the stand-in names it
    next(out.glob("*.json")).write_text(json.dumps(ex), encoding="utf-8")
    after = scan(*base, "--exemption", str(out))
    report = json.loads(after.stdout)
    us = [r for r in report["results"] if r["result"] == "match" and r["policyDefinitionReferenceId"] == "us-police"]
    assert us and all(r.get("exemption", {}).get("category") == "Waiver" for r in us)
