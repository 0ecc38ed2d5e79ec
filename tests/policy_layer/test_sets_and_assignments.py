"""Policy sets, assignments (scope, notScopes, DoNotEnforce, overrides, resource selectors) and exemptions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from generator.context import Context
from generator.engine.assignments import parse_assignment, parse_exemption
from generator.engine.evaluator import Evaluator, load_policy_files
from generator.errors import InputError
from generator.report import build_report, exit_code
from policy_layer.helpers import (
    OTHER_SUB,
    SUB,
    deployment,
    face_account,
    face_definition,
    law_set,
    police_context,
    vision_definition,
    write,
)

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
SET_ID = "/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policySetDefinitions/law-set"


@pytest.fixture
def library(tmp_path):
    write(tmp_path / "policies" / "vision.json", vision_definition())
    write(tmp_path / "policies" / "face.json", face_definition())
    write(tmp_path / "policies" / "set.json", law_set())
    write(tmp_path / "policies" / "tests" / "case.json", {"resource": {}, "expect": {"result": "match"}})
    lib = load_policy_files([tmp_path / "policies"])
    assert not lib.invalid, lib.invalid
    return lib


def assignment(**props) -> dict:
    body = {"scope": f"/subscriptions/{SUB}", "policyDefinitionId": SET_ID, **props}
    return {"name": "law-assign", "properties": body}


def evaluate(lib, resource, assignments=(), exemptions=(), parameters=None):
    ev = Evaluator(lib, assignments=[parse_assignment(a, file="a.json") for a in assignments],
                   exemptions=[parse_exemption(e, file="e.json") for e in exemptions],
                   parameters=parameters, now=NOW)
    ctx = Context.from_data(police_context()).resolve(resource.get("id"))
    return {r.policyDefinitionReferenceId or r.policyDefinitionName: r
            for r in ev.evaluate(resource, ctx, address=resource["id"])}


def test_folder_with_set_evaluates_the_set_members_once(library) -> None:
    assert [s.name for s in library.sets] == ["law-set"]
    assert library.skipped and library.skipped[0].endswith("case.json")
    results = evaluate(library, deployment())
    assert set(results) == {"vision", "face"}
    vision = results["vision"]
    assert (vision.result, vision.effect) == ("match", "deny")
    assert vision.policySetDefinitionName == "law-set"
    assert vision.policyDefinitionName == "deny-vision"
    assert vision.definitionFile.endswith("set.json")
    assert results["face"].result == "not-applicable"  # Indexed mode, deployment has no tags/location
    assert library.sets[0].members[0].group_names == ["clause-1"]
    assert "clause-1" in library.sets[0].groups


def test_set_parameters_flow_to_members(library) -> None:
    results = evaluate(library, deployment(), parameters={"effect": "Audit"})
    assert results["vision"].effect == "audit"
    results = evaluate(library, deployment(), [assignment(parameters={"effect": {"value": "Disabled"}})])
    assert results["vision"].result == "not-applicable" and results["vision"].effect == "disabled"


def test_assignment_parameter_outside_allowed_values_is_bad_input(library) -> None:
    with pytest.raises(InputError, match="allowedValues"):
        evaluate(library, deployment(), [assignment(parameters={"effect": {"value": "Modify"}})])


def test_assignment_with_undeclared_parameter_is_bad_input(library) -> None:
    with pytest.raises(InputError, match="no parameter named"):
        evaluate(library, deployment(), [assignment(parameters={"nope": {"value": 1}})])


def test_assignment_of_unknown_definition_is_bad_input(library) -> None:
    with pytest.raises(InputError, match="no --definition gives"):
        evaluate(library, deployment(), [assignment(policyDefinitionId="/x/policySetDefinitions/other")])


def test_assignment_scope_and_not_scopes(library) -> None:
    other = deployment(sub=OTHER_SUB)
    res = evaluate(library, other, [assignment()])["vision"]
    assert res.result == "not-applicable" and "outside the scope" in res.message
    excluded = assignment(notScopes=[f"/subscriptions/{SUB}/resourceGroups/RG1"])
    res = evaluate(library, deployment(rg="rg1"), [excluded])["vision"]
    assert res.result == "not-applicable" and "notScopes" in res.message
    assert evaluate(library, deployment(rg="rg2"), [excluded])["vision"].result == "match"


def test_do_not_enforce_reports_but_never_fails(library) -> None:
    results = list(evaluate(library, deployment(), [assignment(enforcementMode="DoNotEnforce")]).values())
    vision = next(r for r in results if r.policyDefinitionReferenceId == "vision")
    assert (vision.result, vision.effect, vision.enforcementMode) == ("match", "deny", "DoNotEnforce")
    report = build_report(results)
    assert report["summary"]["notEnforced"] == 1
    assert exit_code(report, None) == 0
    assert exit_code(build_report(list(evaluate(library, deployment(), [assignment()]).values())), None) == 1


def test_override_turns_deny_into_audit_for_selected_member(library) -> None:
    a = assignment(overrides=[{"kind": "policyEffect", "value": "Audit",
                               "selectors": [{"kind": "policyDefinitionReferenceId", "in": ["vision"]}]}])
    results = evaluate(library, deployment(), [a])
    assert (results["vision"].result, results["vision"].effect) == ("match", "audit")
    face = evaluate(library, face_account(), [a])["face"]
    assert (face.result, face.effect) == ("match", "deny")  # not selected: keeps deny
    assert exit_code(build_report(list(results.values())), None) == 0


def test_resource_selector_by_location(library) -> None:
    a = assignment(resourceSelectors=[{"name": "us-only", "selectors": [
        {"kind": "resourceLocation", "in": ["East US", "eastus2"]}]}])
    assert evaluate(library, face_account(location="eastus"), [a])["face"].result == "match"
    res = evaluate(library, face_account(location="westeurope"), [a])["face"]
    assert res.result == "not-applicable" and "resourceSelectors" in res.message


def test_override_with_resource_location_selector(library) -> None:
    a = assignment(overrides=[{"kind": "policyEffect", "value": "Audit",
                               "selectors": [{"kind": "resourceLocation", "in": ["westeurope"]}]}])
    assert evaluate(library, face_account(location="westeurope"), [a])["face"].effect == "audit"
    assert evaluate(library, face_account(location="eastus"), [a])["face"].effect == "deny"


def test_non_compliance_messages_per_member(library) -> None:
    a = assignment(nonComplianceMessages=[
        {"message": "General: restricted by the AI terms."},
        {"message": "Vision models are not allowed for police.", "policyDefinitionReferenceId": "vision"}])
    assert evaluate(library, deployment(), [a])["vision"].nonComplianceMessage.startswith("Vision models")
    assert evaluate(library, face_account(), [a])["face"].nonComplianceMessage.startswith("General")


def exemption(expires: str | None, refs: list[str] | None = None, category: str = "Waiver") -> dict:
    body = {"policyAssignmentId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/law-assign",
            "exemptionCategory": category}
    if expires:
        body["expiresOn"] = expires
    if refs is not None:
        body["policyDefinitionReferenceIds"] = refs
    return {"name": "ex1", "id": f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Authorization/"
                                 f"policyExemptions/ex1", "properties": body}


def test_active_exemption_is_reported_not_failed(library) -> None:
    results = evaluate(library, deployment(), [assignment()], [exemption("2026-12-31T00:00:00Z", ["vision"])])
    vision = results["vision"]
    assert vision.result == "match"
    assert vision.exemption == {"name": "ex1", "category": "Waiver", "expiresOn": "2026-12-31T00:00:00Z"}
    report = build_report(list(results.values()))
    assert report["summary"]["exempt"] == 1 and exit_code(report, None) == 0


def test_expired_exemption_does_not_exempt(library) -> None:
    results = evaluate(library, deployment(), [assignment()], [exemption("2026-01-01T00:00:00Z")])
    vision = results["vision"]
    assert vision.exemption is None
    assert any("expired" in w for w in vision.warnings)
    assert exit_code(build_report(list(results.values())), None) == 1


def test_exemption_limited_to_other_member_or_scope(library) -> None:
    results = evaluate(library, deployment(), [assignment()], [exemption(None, ["face"], "Mitigated")])
    assert results["vision"].exemption is None
    # the exemption's scope is rg1: a deployment in rg2 is not covered
    results = evaluate(library, deployment(rg="rg2"), [assignment()], [exemption(None)])
    assert results["vision"].exemption is None
    assert evaluate(library, deployment(rg="rg1"), [assignment()], [exemption(None)])["vision"].exemption


def test_bad_exemption_and_assignment_files_name_pointer() -> None:
    with pytest.raises(InputError) as err:
        parse_exemption({"properties": {"policyAssignmentId": "/x", "exemptionCategory": "Maybe"}}, file="e.json")
    assert err.value.pointer == "/properties/exemptionCategory" and err.value.file == "e.json"
    with pytest.raises(InputError) as err:
        parse_assignment({"properties": {"policyDefinitionId": "/x",
                                         "resourceSelectors": [{"name": "s", "selectors": [
                                             {"kind": "resourceColour", "in": ["x"]}]}]}}, file="a.json")
    assert err.value.pointer == "/properties/resourceSelectors/0/selectors/0/kind"


def test_unresolved_set_member_makes_the_set_invalid(tmp_path) -> None:
    write(tmp_path / "vision.json", vision_definition())
    write(tmp_path / "set.json", law_set(member_names=("deny-vision", "missing-def")))
    lib = load_policy_files([tmp_path])
    assert not lib.sets
    [bad] = lib.invalid
    assert bad.file.endswith("set.json") and bad.pointer == "/properties/policyDefinitions/1/policyDefinitionId"
    assert "missing-def" in bad.message
    ev = Evaluator(lib)
    [inv] = ev.invalid_results("r")
    assert inv.result == "invalid"
    assert exit_code(build_report([inv]), None) == 2


def test_member_passing_undeclared_parameter_is_invalid(tmp_path) -> None:
    s = law_set()
    s["properties"]["policyDefinitions"][0]["parameters"]["colour"] = {"value": "red"}
    write(tmp_path / "vision.json", vision_definition())
    write(tmp_path / "face.json", face_definition())
    write(tmp_path / "set.json", s)
    lib = load_policy_files([tmp_path])
    assert lib.invalid and "colour" in lib.invalid[0].message


def test_bad_assignment_parameter_names_file_and_pointer(library) -> None:
    with pytest.raises(InputError) as err:
        evaluate(library, deployment(), [assignment(parameters={"effect": {"value": "Modify"}})])
    assert err.value.file == "a.json" and err.value.pointer == "/properties/parameters/effect"
