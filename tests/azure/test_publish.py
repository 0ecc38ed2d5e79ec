"""clausegate publish against the HTTPS ARM stand-in: real SDK clients, real credential, real TLS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from armstub import ArmStub, policy_state
from publish_helpers import MG, SUB_ID, as_json, bundle, publish, write_bundle

ASSIGN = ("--assign", "--parameter", 'allowedModels=["gpt-4o"]')
DEF_PATH = MG + "/providers/Microsoft.Authorization/policyDefinitions/"
SET_PATH = MG + "/providers/Microsoft.Authorization/policySetDefinitions/"
ASG_PATH = MG + "/providers/Microsoft.Authorization/policyAssignments/"
EX_PATH = MG + "/providers/Microsoft.Authorization/policyExemptions/"


@pytest.fixture
def pack_file(tmp_path: Path, azure_env: dict[str, str]) -> str:
    return write_bundle(tmp_path / "bundle.json")


def _exemption_file(tmp_path: Path) -> str:
    path = tmp_path / "exemptions.json"
    path.write_text(json.dumps([{"name": "cg-lab-waiver", "exemptionCategory": "Waiver",
                                 "policyDefinitionReferenceIds": ["no-public-network"],
                                 "displayName": "Lab accounts keep public access until Q3"}]))
    return str(path)


def _ids(stub: ArmStub) -> set[str]:
    return {o["id"] for o in policy_state(stub).objects.values()}


def test_what_if_sends_no_write_and_shows_the_diff(arm_stub: ArmStub, pack_file: str, tmp_path: Path) -> None:
    res = publish("--scope", "mg-police", "--pack", pack_file, *ASSIGN, "--exemption", _exemption_file(tmp_path),
                  "--what-if", "--format", "json")
    assert res.exit_code == 0, res.stderr
    doc = as_json(res)
    assert [(c["kind"], c["action"]) for c in doc["changes"]] == [
        ("definition", "create"), ("definition", "create"), ("set", "create"), ("assignment", "create"),
        ("exemption", "create")]
    assert arm_stub.writes() == []
    assert policy_state(arm_stub).objects == {}
    assert doc["requests"]["writes"] == 0

    # Against existing objects with a change, what-if still writes nothing and names the property.
    assert publish("--scope", "mg-police", "--pack", pack_file).exit_code == 0
    changed = bundle()
    changed["definitions"][1]["properties"]["displayName"] = "No public network, ever"
    arm_stub.clear_log()
    res = publish("--scope", "mg-police", "--pack", write_bundle(tmp_path / "b2.json", changed), "--what-if")
    assert res.exit_code == 0, res.stderr
    assert "~ update    definition cg-no-public-network" in res.stdout
    assert 'properties.displayName: "No public network access" -> "No public network, ever"' in res.stdout
    assert arm_stub.writes() == []
    assert not any(r.method in ("PUT", "PATCH", "DELETE") for r in arm_stub.requests)


def test_second_publish_sends_no_write_and_reports_no_change(arm_stub: ArmStub, pack_file: str,
                                                             tmp_path: Path) -> None:
    args = ("--scope", "mg-police", "--pack", pack_file, *ASSIGN, "--exemption", _exemption_file(tmp_path))
    first = publish(*args)
    assert first.exit_code == 0, first.stderr
    assert [r.method for r in arm_stub.writes()] == ["PUT"] * 5
    # The service added ids, timestamps, systemData and defaults; none of that is a difference.
    stored = policy_state(arm_stub).get(DEF_PATH + "cg-no-public-network")
    assert stored and stored["systemData"] and stored["properties"]["metadata"]["createdOn"]
    assert stored["properties"]["policyType"] == "Custom" and stored["properties"]["version"] == "1.0.0"

    arm_stub.clear_log()
    second = publish(*args, "--format", "json")
    assert second.exit_code == 0, second.stderr
    doc = as_json(second)
    assert {c["action"] for c in doc["changes"]} == {"unchanged"}
    assert doc["summary"]["unchanged"] == 5
    assert arm_stub.writes() == []
    # Measured: one LIST per kind (definitions, sets, assignments, exemptions), nothing else.
    assert doc["requests"]["requests"] == 4 == len(arm_stub.arm_requests())


def test_hand_edit_is_an_update_with_before_and_after(arm_stub: ArmStub, pack_file: str) -> None:
    assert publish("--scope", "mg-police", "--pack", pack_file).exit_code == 0
    obj = policy_state(arm_stub).get(SET_PATH + "cg-law-enforcement")
    assert obj is not None
    obj["properties"]["displayName"] = "edited in the portal"
    obj["properties"]["description"] = "added by hand"
    arm_stub.clear_log()
    res = publish("--scope", "mg-police", "--pack", pack_file, "--format", "json")
    assert res.exit_code == 0, res.stderr
    change = next(c for c in as_json(res)["changes"] if c["kind"] == "set")
    assert change["action"] == "update"
    assert {"path": "properties.displayName", "before": "edited in the portal",
            "after": "Law enforcement AI guardrails"} in change["changes"]
    assert {"path": "properties.description", "before": "added by hand"} in change["changes"]
    assert [r.path for r in arm_stub.writes()] == [SET_PATH + "cg-law-enforcement"]
    assert "description" not in policy_state(arm_stub).get(SET_PATH + "cg-law-enforcement")["properties"]


def test_failure_half_way_then_rerun_converges(arm_stub: ArmStub, pack_file: str, tmp_path: Path) -> None:
    # The set PUT keeps failing (500 with Retry-After: 0, so the retries are quick) beyond the retry budget.
    fault = arm_stub.inject("error", method="PUT", path="policySetDefinitions", times=100, retry_after=0.01)
    args = ("--scope", "mg-police", "--pack", pack_file, *ASSIGN, "--exemption", _exemption_file(tmp_path))
    res = publish(*args)
    assert res.exit_code == 3
    assert "HTTP 500" in res.stderr
    assert fault.fired == 7  # first attempt + 6 retries
    # Definitions landed; nothing after the failed set was attempted, so nothing refers to a missing object.
    assert _ids(arm_stub) == {DEF_PATH + "cg-allowed-models", DEF_PATH + "cg-no-public-network"}
    assert not any("policyAssignments" in r.path or "policyExemptions" in r.path for r in arm_stub.writes())
    assert "Applied: 2 of 5" in res.stdout

    arm_stub.faults.clear()
    arm_stub.clear_log()
    rerun = publish(*args, "--format", "json")
    assert rerun.exit_code == 0, rerun.stderr
    actions = {(c["kind"], c["action"]) for c in as_json(rerun)["changes"]}
    assert actions == {("definition", "unchanged"), ("set", "create"), ("assignment", "create"),
                       ("exemption", "create")}
    assert len(_ids(arm_stub)) == 5
    arm_stub.clear_log()
    assert publish(*args).exit_code == 0 and arm_stub.writes() == []


def test_dropped_connection_and_slow_answer_are_survived(arm_stub: ArmStub, pack_file: str) -> None:
    drop = arm_stub.inject("drop", method="PUT", path="cg-allowed-models")
    slow = arm_stub.inject("slow", method="GET", path="policySetDefinitions$", delay=0.3)
    res = publish("--scope", "mg-police", "--pack", pack_file, "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert drop.fired == 1 and slow.fired == 1
    req = as_json(res)["requests"]
    assert req["connectionErrors"] == 1 and req["retries"] == 1
    assert len(_ids(arm_stub)) == 3


def test_throttling_is_retried_and_reported(arm_stub: ArmStub, pack_file: str) -> None:
    import time

    t429 = arm_stub.inject("throttle", method="PUT", path="policyDefinitions/cg-no-public-network",
                           retry_after=0.5, times=2)
    start = time.monotonic()
    res = publish("--scope", "mg-police", "--pack", pack_file)
    elapsed = time.monotonic() - start
    assert res.exit_code == 0, res.stderr
    assert t429.fired == 2
    assert elapsed >= 1.0  # Retry-After was honoured twice
    assert "retries: 2 (throttled 2," in res.stdout
    statuses = [r.status for r in arm_stub.requests if r.path.endswith("cg-no-public-network")]
    assert statuses == [429, 429, 201]
    assert len(_ids(arm_stub)) == 3


def test_unowned_same_name_object_is_refused_not_overwritten(arm_stub: ArmStub, pack_file: str) -> None:
    foreign = {"id": DEF_PATH + "cg-allowed-models", "name": "cg-allowed-models",
               "type": "Microsoft.Authorization/policyDefinitions",
               "properties": {"displayName": "someone else's", "policyRule": {"if": {"field": "type",
                              "equals": "x"}, "then": {"effect": "audit"}}, "metadata": {"createdBy": "alice"}}}
    policy_state(arm_stub).put_raw(json.loads(json.dumps(foreign)))
    for extra in ((), ("--what-if",)):
        res = publish("--scope", "mg-police", "--pack", pack_file, *extra)
        assert res.exit_code == 2
        assert "cg-allowed-models" in res.stderr and "not owned" in res.stderr
    assert arm_stub.writes() == []
    assert policy_state(arm_stub).get(DEF_PATH + "cg-allowed-models") == foreign
    # Another environment's owner id is not ours either.
    res = publish("--scope", "mg-police", "--pack", pack_file, "--owner-id", "prod")
    assert res.exit_code == 2


def test_prune_removes_only_owned_objects_no_longer_produced(arm_stub: ArmStub, pack_file: str,
                                                             tmp_path: Path) -> None:
    assert publish("--scope", "mg-police", "--pack", pack_file, *ASSIGN,
                   "--exemption", _exemption_file(tmp_path)).exit_code == 0
    state = policy_state(arm_stub)
    rule = {"if": {"field": "type", "equals": "x"}, "then": {"effect": "audit"}}
    state.put_raw({"id": DEF_PATH + "hand-made", "name": "hand-made", "type": "t",
                   "properties": {"policyRule": rule, "metadata": {}}})
    state.put_raw({"id": DEF_PATH + "other-env", "name": "other-env", "type": "t",
                   "properties": {"policyRule": rule, "metadata": {"clausegateOwner": "clausegate/other"}}})

    # The next version of the pack drops one definition and renames the set: the old set, its
    # assignment and the exemption on it are no longer produced.
    smaller = bundle()
    smaller["definitions"] = smaller["definitions"][:1]
    smaller["policySet"]["name"] = "cg-law-enforcement-v2"
    smaller["policySet"]["properties"]["policyDefinitions"] = smaller["policySet"]["properties"]["policyDefinitions"][:1]
    new_pack = write_bundle(tmp_path / "smaller.json", smaller)

    arm_stub.clear_log()
    kept = publish("--scope", "mg-police", "--pack", new_pack, *ASSIGN)
    assert kept.exit_code == 0, kept.stderr
    assert "? orphaned  definition cg-no-public-network" in kept.stdout
    assert not any(r.method == "DELETE" for r in arm_stub.requests)

    arm_stub.clear_log()
    res = publish("--scope", "mg-police", "--pack", new_pack, *ASSIGN, "--prune", "--format", "json")
    assert res.exit_code == 0, res.stderr
    deleted = [r.path.rsplit("/", 2)[-2:] for r in arm_stub.requests if r.method == "DELETE"]
    # Dependency order: exemptions, assignments, sets, definitions.
    assert deleted == [["policyExemptions", "cg-lab-waiver"], ["policyAssignments", "cg-law-enforcement"],
                       ["policySetDefinitions", "cg-law-enforcement"], ["policyDefinitions", "cg-no-public-network"]]
    ids = _ids(arm_stub)
    assert DEF_PATH + "hand-made" in ids and DEF_PATH + "other-env" in ids
    assert DEF_PATH + "cg-allowed-models" in ids and SET_PATH + "cg-law-enforcement-v2" in ids
    assert ASG_PATH + "cg-law-enforcement-v2" in ids
    assert len(ids) == 5


def test_saved_plan_applies_exactly(arm_stub: ArmStub, pack_file: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    res = publish("--scope", "mg-police", "--pack", pack_file, *ASSIGN, "--what-if", "--out", str(plan))
    assert res.exit_code == 0, res.stderr
    assert arm_stub.writes() == []
    doc = json.loads(plan.read_text())
    planned = [(c["id"], c["body"]) for c in doc["changes"] if c["action"] in ("create", "update")]
    assert len(planned) == 4 and doc["fingerprint"]

    arm_stub.clear_log()
    res = publish("--plan", str(plan), "--format", "json")
    assert res.exit_code == 0, res.stderr
    sent = [(r.path, r.body) for r in arm_stub.writes()]
    assert sent == planned
    arm_stub.clear_log()
    assert publish("--scope", "mg-police", "--pack", pack_file, *ASSIGN).exit_code == 0
    assert arm_stub.writes() == []


def test_saved_plan_is_refused_when_azure_changed(arm_stub: ArmStub, pack_file: str, tmp_path: Path) -> None:
    assert publish("--scope", "mg-police", "--pack", pack_file).exit_code == 0
    changed = bundle()
    changed["definitions"][0]["properties"]["description"] = "Clause 4.2 (2026 text)"
    plan = tmp_path / "plan.json"
    assert publish("--scope", "mg-police", "--pack", write_bundle(tmp_path / "b2.json", changed),
                   "--what-if", "--out", str(plan)).exit_code == 0

    # Someone edits the set in the portal after the plan was approved.
    policy_state(arm_stub).get(SET_PATH + "cg-law-enforcement")["properties"]["displayName"] = "edited"
    arm_stub.clear_log()
    res = publish("--plan", str(plan))
    assert res.exit_code == 2
    assert "changed" in res.stderr and "cg-law-enforcement" in res.stderr
    assert arm_stub.writes() == []

    # An owned object appearing since counts too; an edited plan file is refused before any request.
    policy_state(arm_stub).get(SET_PATH + "cg-law-enforcement")["properties"]["displayName"] = \
        "Law enforcement AI guardrails"
    assert publish("--plan", str(plan)).exit_code == 0
    doc = json.loads(plan.read_text())
    doc["changes"][0]["body"]["properties"]["displayName"] = "sneaky"
    plan.write_text(json.dumps(doc))
    arm_stub.clear_log()
    res = publish("--plan", str(plan))
    assert res.exit_code == 2 and "edited" in res.stderr
    assert arm_stub.requests == []


def test_subscription_scope_and_paging(arm_stub: ArmStub, pack_file: str) -> None:
    arm_stub.page_size = 1  # every LIST answers one item per page, with nextLink
    scope = f"/subscriptions/{SUB_ID}"
    assert publish("--scope", scope, "--pack", pack_file, *ASSIGN).exit_code == 0
    arm_stub.clear_log()
    res = publish("--scope", scope, "--pack", pack_file, *ASSIGN, "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert as_json(res)["summary"]["unchanged"] == 4
    assert arm_stub.writes() == []
    assert any("$skipToken" in r.query for r in arm_stub.requests)
    assert f"{scope}/providers/Microsoft.Authorization/policyAssignments/cg-law-enforcement".lower() in \
        {i.lower() for i in _ids(arm_stub)}


def test_bad_input_fails_before_any_request(arm_stub: ArmStub, pack_file: str) -> None:
    cases = [
        ("--scope", "mg-police", "--pack", pack_file, "--assign"),  # required set parameter missing
        ("--scope", "mg-police", "--pack", pack_file, *ASSIGN, "--assignment-name", "x" * 25),
        ("--scope", "mg-police", "--pack", pack_file, *ASSIGN, "--parameter", "nope=1"),
        ("--scope", "/subscriptions/not-a-guid", "--pack", pack_file),
        ("--scope", "mg-police", "--pack", pack_file, "--out", "plan.json"),
    ]
    for args in cases:
        res = publish(*args)
        assert res.exit_code == 2, (args, res.stdout, res.stderr)
    assert arm_stub.requests == []


def test_the_shipped_pack_publishes_and_converges(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    """The real renderer's objects pass the stand-in's validation and a second run writes nothing."""
    pytest.importorskip("generator.targets.policy_json")
    args = ("--scope", "mg-police", "--pack", "microsoft-aoai-law-enforcement", "--assign")
    res = publish(*args, "--format", "json")
    assert res.exit_code == 0, res.stderr
    doc = as_json(res)
    assert doc["summary"]["create"] == len(doc["changes"]) >= 4
    assignment = next(o for o in policy_state(arm_stub).objects.values() if "policyAssignments" in o["id"])
    assert len(assignment["name"]) <= 24
    assert any(m.get("policyDefinitionReferenceId") for m in assignment["properties"]["nonComplianceMessages"])
    assert assignment["properties"]["metadata"]["clausegateOwner"] == "clausegate/microsoft-aoai-law-enforcement"
    arm_stub.clear_log()
    again = publish(*args, "--format", "json")
    assert again.exit_code == 0, again.stderr
    assert as_json(again)["summary"]["unchanged"] == len(as_json(again)["changes"])
    assert arm_stub.writes() == []


def test_what_if_with_the_shipped_pack_writes_nothing(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    pytest.importorskip("generator.targets.policy_json")
    res = publish("--scope", MG, "--pack", "microsoft-aoai-law-enforcement", "--assign", "--what-if")
    assert res.exit_code == 0, res.stderr
    assert "+ create    set        aoai-law-enforcement" in res.stdout
    assert arm_stub.writes() == [] and policy_state(arm_stub).objects == {}


def test_exemption_below_the_scope(arm_stub: ArmStub, pack_file: str, tmp_path: Path) -> None:
    policy_state(arm_stub).set_parent(f"/subscriptions/{SUB_ID}", MG)
    ex = tmp_path / "ex.yaml"
    ex.write_text(f"exemptions:\n  - name: cg-sub-waiver\n    scope: /subscriptions/{SUB_ID}\n"
                  f"    exemptionCategory: Mitigated\n    description: compensating control\n")
    args = ("--scope", "mg-police", "--pack", pack_file, *ASSIGN, "--exemption", str(ex))
    assert publish(*args).exit_code == 0
    ex_id = f"/subscriptions/{SUB_ID}/providers/Microsoft.Authorization/policyExemptions/cg-sub-waiver"
    assert ex_id in _ids(arm_stub)
    arm_stub.clear_log()
    again = publish(*args, "--format", "json")
    assert again.exit_code == 0 and arm_stub.writes() == []
    assert as_json(again)["summary"]["unchanged"] == 5


def test_azure_government_asks_for_a_government_token(arm_stub: ArmStub, pack_file: str) -> None:
    res = publish("--scope", "mg-police", "--pack", pack_file, "--cloud", "AzureUSGovernment", "--what-if")
    assert res.exit_code == 0, res.stderr
    token_requests = [r for r in arm_stub.requests if r.path == "/msi/token"]
    assert token_requests and token_requests[0].query["resource"] == "https://management.usgovcloudapi.net"
