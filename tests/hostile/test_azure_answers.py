"""publish, scan, aliases sync and check --from-azure under hostile answers from the ARM stand-in.

Real SDK clients and a real credential over TLS; the stand-in is made hostile with extra routes: a
nextLink to another host (never followed: the stand-in would see the request), a nextLink or $skipToken
that repeats, a body that is not JSON, Resource Graph rows of the wrong type, a persistent 500, and a list
answer naming an owned object at another scope (never deleted by --prune).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from armstub import ArmStub, StubRequest, StubResponse, policy_state
from armstub.graph import query_resources
from armstub.resources import resource_state
from armstub.subscriptions import tenant_state
from click.testing import CliRunner, Result
from publish_helpers import BUNDLE, write_bundle

from generator.cli import cli

MG_DEFS = r"/providers/Microsoft\.Management/managementGroups/mg-test/providers/Microsoft\.Authorization/policyDefinitions"
MG_ASSIGN = r"/providers/Microsoft\.Management/managementGroups/mg-test/providers/Microsoft\.Authorization/policyAssignments"
GRAPH = r"/providers/Microsoft\.ResourceGraph/resources"
SUB = "11111111-2222-3333-4444-555555555555"
OWNER = f"clausegate/{BUNDLE['name']}"


def cg(*args: str) -> Result:
    """Run clausegate in-process (the environment points at the stand-in)."""
    import inspect

    runner = CliRunner(mix_stderr=False) if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters \
        else CliRunner()
    return runner.invoke(cli, list(args), catch_exceptions=False)


def assert_remote_failure(res: Result, *words: str) -> None:
    """Exit 3, no traceback, and the error names ``words``."""
    assert res.exit_code == 3, f"exit {res.exit_code}\n{res.stdout[-1500:]}\n{res.stderr[-1500:]}"
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr
    text = res.stderr.lower()
    for w in words:
        assert w.lower() in text, res.stderr


def _foreign(stub: ArmStub, path: str = "/evil/page2") -> str:
    # Same stand-in, another host name: were it followed, the stand-in would log the request.
    return stub.endpoint.replace("127.0.0.1", "localhost") + path + "?api-version=2023-04-01"


@pytest.fixture
def bundle_file(tmp_path: Path, azure_env: dict[str, str]) -> str:
    return write_bundle(tmp_path / "bundle.json")


# --------------------------------------------------------------------------------------------------
# publish


def test_publish_never_follows_a_next_link_to_another_host(arm_stub: ArmStub, bundle_file: str) -> None:
    arm_stub.add_route("GET", MG_DEFS, lambda s, r: StubResponse(200, {"value": [], "nextLink": _foreign(s)}))
    res = cg("publish", "--scope", "mg-test", "--pack", bundle_file)
    assert_remote_failure(res, "nextLink", "not followed")
    assert not [r for r in arm_stub.requests if r.path.startswith("/evil")]
    assert arm_stub.writes() == []


def test_publish_stops_on_a_repeating_next_link(arm_stub: ArmStub, bundle_file: str) -> None:
    def again(stub: ArmStub, req: StubRequest) -> StubResponse:
        return StubResponse(200, {"value": [], "nextLink": f"{stub.endpoint}{req.path}?api-version=2023-04-01"
                                                           f"&$filter=atExactScope()&$skipToken=same"})

    arm_stub.add_route("GET", MG_DEFS, again)
    res = cg("publish", "--scope", "mg-test", "--pack", bundle_file)
    assert_remote_failure(res, "repeats")
    assert len([r for r in arm_stub.requests if "policyDefinitions" in r.path]) == 2
    assert arm_stub.writes() == []


def test_publish_names_the_request_of_a_malformed_body(arm_stub: ArmStub, bundle_file: str) -> None:
    arm_stub.add_route("GET", MG_DEFS, lambda s, r: StubResponse(200, raw=b'{"value": [ {"id": '))
    res = cg("publish", "--scope", "mg-test", "--pack", bundle_file)
    assert_remote_failure(res, "malformed", "policyDefinitions at /providers/Microsoft.Management/managementGroups/mg-test")
    assert arm_stub.writes() == []


def test_publish_list_items_of_the_wrong_type_are_exit_3(arm_stub: ArmStub, bundle_file: str) -> None:
    arm_stub.add_route("GET", MG_ASSIGN, lambda s, r: StubResponse(200, {"value": ["junk", 3]}))
    res = cg("publish", "--scope", "mg-test", "--pack", bundle_file, "--assign",
             "--parameter", 'allowedModels=["gpt-4o"]')
    assert_remote_failure(res, "policyAssignments")
    assert arm_stub.writes() == []


def test_prune_deletes_nothing_outside_the_scope_it_was_given(arm_stub: ArmStub, bundle_file: str) -> None:
    assign = ("--assign", "--parameter", 'allowedModels=["gpt-4o"]')
    assert cg("publish", "--scope", "mg-test", "--pack", bundle_file, *assign).exit_code == 0
    victim = {"id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/victim",
              "name": "victim", "type": "Microsoft.Authorization/policyAssignments",
              "properties": {"displayName": "someone else's", "metadata": {"clausegateOwner": OWNER},
                             "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/x",
                             "scope": f"/subscriptions/{SUB}"}}
    tricky = dict(victim, id="/providers/Microsoft.Management/managementGroups/mg-test/providers/"
                             "Microsoft.Authorization/policyAssignments/x?api-version=1", name="x?api-version=1")
    policy_state(arm_stub).put_raw(victim)

    def listing(stub: ArmStub, req: StubRequest) -> StubResponse:
        mine = policy_state(stub).at("/providers/Microsoft.Management/managementGroups/mg-test", "policyassignments")
        return StubResponse(200, {"value": mine + [victim, tricky]})

    arm_stub.add_route("GET", MG_ASSIGN, listing)
    arm_stub.clear_log()
    res = cg("publish", "--scope", "mg-test", "--pack", bundle_file, *assign, "--prune", "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert [r for r in arm_stub.requests if r.method == "DELETE"] == []
    assert policy_state(arm_stub).get(victim["id"]) is not None
    assert "ignored" in res.stderr and "victim" in res.stderr
    assert len(json.loads(res.stdout)["ignored"]) == 2


def test_a_persistent_500_ends_within_the_retry_budget(arm_stub: ArmStub, bundle_file: str) -> None:
    arm_stub.inject("error", method="GET", path="policyDefinitions", times=10_000)
    started = time.monotonic()
    res = cg("publish", "--scope", "mg-test", "--pack", bundle_file, "--retry-budget", "2")
    elapsed = time.monotonic() - started
    assert_remote_failure(res, "retry budget of 2 s", "--retry-budget")
    assert elapsed < 2 + 15, elapsed  # the budget, plus one attempt and start-up; never minutes


@pytest.mark.parametrize("signame, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_between_publish_writes_stops_there_and_the_next_run_converges(
        arm_stub: ArmStub, bundle_file: str, azure_env: dict[str, str], signame: str, code: int) -> None:
    import os
    import signal
    import subprocess
    import sys

    from hostile_support import REPO

    arm_stub.inject("slow", method="PUT", delay=1.5, times=100)
    env = dict(os.environ, PYTHONPATH=str(REPO), **azure_env)
    proc = subprocess.Popen([sys.executable, "-m", "generator", "publish", "--scope", "mg-test", "--pack", bundle_file],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not arm_stub.writes() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert arm_stub.writes(), "publish sent no write"
        proc.send_signal(getattr(signal, signame))
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert "interrupted: stopped between requests after 1 of 3 write(s)" in err, err
    assert "Traceback" not in err
    assert len(arm_stub.writes()) == 1  # the request in flight finished; none was sent after the signal
    arm_stub.faults.clear()
    again = cg("publish", "--scope", "mg-test", "--pack", bundle_file, "--format", "json")
    assert again.exit_code == 0, again.stderr
    summary = json.loads(again.stdout)["summary"]
    assert (summary["create"], summary["unchanged"]) == (2, 1)
    final = cg("publish", "--scope", "mg-test", "--pack", bundle_file, "--what-if", "--format", "json")
    assert json.loads(final.stdout)["summary"]["unchanged"] == 3


# --------------------------------------------------------------------------------------------------
# scan


def _tenant(stub: ArmStub) -> None:
    tenant = tenant_state(stub)
    tenant.add_subscription(SUB, "police-\x1b[2J\x1b[1;1Hall clear", {}, stub=stub)  # untagged, named like police
    tenant.add_resource_group(SUB, "rg-ai", "eastus")
    resource_state(stub).add_account(SUB, "rg-ai", "aoai-1")


def _graph_with(table: str, answer: Any) -> Any:
    """Resource Graph: the stand-in's answers, except ``answer(req)`` for queries of ``table``."""

    def handler(stub: ArmStub, req: StubRequest) -> StubResponse:
        query = str((req.body or {}).get("query", ""))
        if query.split(" ", 1)[0] == table:
            return answer(stub, req)
        return query_resources(stub, req)

    return handler


def test_scan_keeps_what_it_read_when_rows_are_junk(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    _tenant(arm_stub)
    arm_stub.add_route("POST", GRAPH, _graph_with("resources", lambda s, r: StubResponse(
        200, {"totalRecords": 3, "count": 3, "resultTruncated": "false", "data": ["junk", 7, None], "facets": []})))
    res = cg("scan", "--tenant-wide")
    assert res.exit_code == 3, res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    assert "Scanned 1 subscription(s)" in res.stdout  # the partial report is printed
    assert "resources: page 1: malformed answer from Azure Resource Graph (row 0 is str, not an object)" in res.stderr


def test_scan_rows_missing_fields_are_left_out_and_reported(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    _tenant(arm_stub)
    rows = [{"name": "no-id", "type": "microsoft.cognitiveservices/accounts", "subscriptionId": SUB},
            {"id": "https://evil.example/x", "type": "microsoft.cognitiveservices/accounts", "subscriptionId": SUB},
            {"id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a",
             "type": "microsoft.cognitiveservices/accounts", "subscriptionId": SUB, "tags": ["not", "an", "object"]}]
    arm_stub.add_route("POST", GRAPH, _graph_with("resources", lambda s, r: StubResponse(
        200, {"totalRecords": 3, "count": 3, "resultTruncated": "false", "data": rows, "facets": []})))
    res = cg("scan", "--tenant-wide", "--format", "json")
    assert res.exit_code == 3, res.stderr
    assert "Traceback" not in res.stderr
    report = json.loads(res.stdout)
    assert any("malformed" in m for m in report["scan"]["incomplete"])
    assert not [r for r in arm_stub.requests if "evil" in r.path]


def test_scan_stops_on_a_repeating_skip_token(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    _tenant(arm_stub)
    calls = []

    def forever(stub: ArmStub, req: StubRequest) -> StubResponse:
        calls.append(1)
        return StubResponse(200, {"totalRecords": 1, "count": 0, "resultTruncated": "false", "data": [],
                                  "facets": [], "$skipToken": "st-same"})

    arm_stub.add_route("POST", GRAPH, _graph_with("resources", forever))
    res = cg("scan", "--tenant-wide")
    assert res.exit_code == 3, res.stderr
    assert "repeated a $skipToken" in res.stderr
    assert len(calls) == 2
    assert "Scanned 1 subscription(s)" in res.stdout


def test_scan_names_the_request_of_a_malformed_body(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    _tenant(arm_stub)
    arm_stub.add_route("POST", GRAPH, _graph_with("policyresources", lambda s, r: StubResponse(200, raw=b"<html>")))
    res = cg("scan", "--tenant-wide")
    assert res.exit_code == 3, res.stderr
    assert "incomplete: policy assignments and exemptions: page 1 failed (malformed answer" in res.stderr
    assert "Scanned 1 subscription(s)" in res.stdout


def test_scan_child_listing_never_follows_a_foreign_next_link(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    _tenant(arm_stub)
    acct = f"/subscriptions/{SUB}/resourceGroups/rg-ai/providers/Microsoft\\.CognitiveServices/accounts/aoai-1"
    arm_stub.add_route("GET", acct + "/deployments", lambda s, r: StubResponse(
        200, {"value": [], "nextLink": _foreign(s)}))
    res = cg("scan", "--subscription", SUB, "--list-every-account")
    assert res.exit_code == 3, res.stderr
    assert "not followed" in res.stderr
    assert not [r for r in arm_stub.requests if r.path.startswith("/evil")]


def test_scan_text_prints_azure_names_escaped(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    _tenant(arm_stub)
    res = cg("scan", "--tenant-wide")
    assert "\x1b" not in res.stdout + res.stderr
    assert "police-\\x1b[2J\\x1b[1;1Hall clear" in res.stdout


def test_scan_persistent_500_ends_within_the_retry_budget(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    _tenant(arm_stub)
    arm_stub.inject("error", method="POST", path="ResourceGraph", times=10_000)
    started = time.monotonic()
    res = cg("scan", "--tenant-wide", "--retry-budget", "1.5")
    assert res.exit_code == 3
    assert "retry budget of 1.5 s" in res.stderr
    assert time.monotonic() - started < 1.5 + 15


# --------------------------------------------------------------------------------------------------
# aliases sync and check --from-azure


@pytest.mark.parametrize("answer, words", [
    ("foreign", "not followed"),
    ("repeat", "repeats"),
    ("broken", "malformed"),
])
def test_aliases_sync_under_hostile_answers(arm_stub: ArmStub, azure_env: dict[str, str], tmp_path: Path,
                                            answer: str, words: str) -> None:
    def providers(stub: ArmStub, req: StubRequest) -> StubResponse:
        if answer == "broken":
            return StubResponse(200, raw=b'{"value": [{"namespace": "Microsoft.X", "resourceTypes": [')
        link = _foreign(stub) if answer == "foreign" else \
            f"{stub.endpoint}/providers?api-version=2021-04-01&$expand=resourceTypes/aliases&$skipToken=again"
        return StubResponse(200, {"value": [], "nextLink": link})

    arm_stub.add_route("GET", r"/providers", providers)
    res = cg("aliases", "sync", "--cache-dir", str(tmp_path / "cache"))
    assert_remote_failure(res, words)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.json"))
    assert not [r for r in arm_stub.requests if r.path.startswith("/evil")]


def test_check_from_azure_names_the_request_of_a_malformed_answer(arm_stub: ArmStub, azure_env: dict[str, str],
                                                                  tmp_path: Path) -> None:
    from hostile_support import plan_doc

    tenant_state(arm_stub).add_subscription(SUB, "sub", {}, stub=arm_stub)
    arm_stub.add_route("GET", rf"/subscriptions/{SUB}/providers/Microsoft\.Authorization/policyAssignments",
                       lambda s, r: StubResponse(200, raw=b"not json at all"))
    plan = plan_doc()
    plan["configuration"] = {"provider_config": {"azurerm": {"expressions": {"subscription_id": {
        "constant_value": SUB}}}}}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    res = cg("check", str(tmp_path / "plan.json"), "--from-azure", "--cache-ttl", "0")
    assert_remote_failure(res, "malformed", "policy assignments")
