"""EPAC target: golden tree, EPAC's documented file shapes (Definitions/ tree, $schema URLs, set
members by policyDefinitionName, assignment nodes), equivalence with the policy JSON, determinism."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner
from plugin_helpers import CASES, EXAMPLE_PACK, GOLDEN, load_jsonc, read_tree

from generator.cli import cli
from generator.pack import load_pack
from generator.targets.base import RenderOptions
from generator.targets.epac import ASSIGNMENT_SCHEMA, DEFINITION_SCHEMA, SET_SCHEMA, EpacTarget
from generator.targets.policy_json import build_bundle

EFFECTS = {"Disabled", "Audit", "Deny", "Modify", "Append", "AuditIfNotExists", "DeployIfNotExists", "DenyAction", "Manual"}
# Keys EPAC's set schema allows (additionalProperties: false) on the set's properties and on members.
SET_KEYS = {"displayName", "description", "metadata", "importPolicyDefinitionGroups", "policyDefinitionGroups",
            "parameters", "policyDefinitions"}
MEMBER_KEYS = {"policyDefinitionId", "policyDefinitionName", "policyDefinitionReferenceId", "definitionVersion",
               "parameters", "groupNames"}
DEFINITION_ENTRY_KEYS = ("policyId", "policyName", "policySetId", "policySetName")


def render(pack_ref: str) -> dict[str, str]:
    return EpacTarget().render(load_pack(pack_ref), RenderOptions())


def split(files: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    defs, sets, assignments = {}, {}, {}
    for path, text in files.items():
        assert path.startswith("epac/Definitions/"), path
        kind = path.split("/")[2]
        if kind == "policyDefinitions":
            defs[path] = json.loads(text)
        elif kind == "policySetDefinitions":
            sets[path] = json.loads(text)
        else:
            assert kind == "policyAssignments" and path.endswith(".jsonc"), path
            assignments[path] = load_jsonc(text)
    return defs, sets, assignments


def test_golden(tmp_path: Path, golden: Callable[[dict[str, bytes], Path], None]) -> None:
    # The shipped pack's epac/ output is committed at the repository root and checked for drift
    # by tests/generator/test_generate.py::test_committed_output_is_up_to_date.
    result = CliRunner().invoke(cli, ["generate", "--pack", str(EXAMPLE_PACK), "--target", "epac", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    got = read_tree(tmp_path)
    golden(got, GOLDEN / "epac" / "example-pack")


@pytest.mark.parametrize("case", sorted(CASES))
def test_definitions_follow_epac_shape(case: str) -> None:
    pack = load_pack(CASES[case])
    defs, _, _ = split(render(CASES[case]))
    assert len(defs) == len(pack.clauses)
    for path, d in defs.items():
        assert path.split("/")[3] == pack.category  # policyDefinitions/<category>/<name>.json
        assert path.endswith(f"/{d['name']}.json")
        assert d["$schema"] == DEFINITION_SCHEMA
        props = d["properties"]
        assert {"displayName", "mode", "metadata", "parameters", "policyRule"} <= set(props)
        assert {"version", "category"} <= set(props["metadata"])
        effect = props["parameters"]["effect"]
        assert effect["type"] == "string" and effect["metadata"]["displayName"] == "Effect"
        assert len(effect["allowedValues"]) >= 2 and set(effect["allowedValues"]) <= EFFECTS
        assert len(set(effect["allowedValues"])) == len(effect["allowedValues"])
        assert effect["defaultValue"] in EFFECTS
        assert props["policyRule"]["then"]["effect"] == "[parameters('effect')]"
        assert "if" in props["policyRule"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_set_and_assignment_follow_epac_shape(case: str) -> None:
    pack = load_pack(CASES[case])
    defs, sets, assignments = split(render(CASES[case]))
    (set_path, policy_set), = sets.items()
    assert policy_set["$schema"] == SET_SCHEMA and set_path.endswith(f"/{policy_set['name']}.json")
    props = policy_set["properties"]
    assert set(props) <= SET_KEYS and {"displayName", "metadata", "policyDefinitions"} <= set(props)
    assert {"version", "category"} <= set(props["metadata"])
    groups = [g["name"] for g in props["policyDefinitionGroups"]]
    assert all(set(g) == {"name"} for g in props["policyDefinitionGroups"])
    def_params = {d["name"]: d["properties"]["parameters"] for d in defs.values()}
    for member in props["policyDefinitions"]:
        assert set(member) <= MEMBER_KEYS and "policyDefinitionReferenceId" in member
        # Custom definitions by name: EPAC builds the id from the deployment root scope.
        assert "policyDefinitionName" in member and "policyDefinitionId" not in member
        assert member["policyDefinitionName"] in def_params
        assert set(member["groupNames"]) <= set(groups)
        for pname, pvalue in member["parameters"].items():
            assert pname in def_params[member["policyDefinitionName"]]
            outer = pvalue["value"][len("[parameters('"):-len("')]")]
            assert pvalue["value"] == f"[parameters('{outer}')]" and outer in props["parameters"]

    (assign_path, assignment), = assignments.items()
    assert assignment["$schema"] == ASSIGNMENT_SCHEMA
    assert assignment["nodeName"]
    entry = assignment["definitionEntry"]
    assert [k for k in DEFINITION_ENTRY_KEYS if k in entry] == ["policySetName"]
    assert entry["policySetName"] == policy_set["name"]
    assert len(assignment["assignment"]["name"]) <= 24 and assignment["assignment"]["displayName"]
    assert assignment["enforcementMode"] in ("Default", "DoNotEnforce")
    set_params = props["parameters"]
    for name, value in assignment["parameters"].items():  # EPAC's simplified form: no {"value": ...}
        assert name in set_params
        assert value == set_params[name]["defaultValue"]
        if "allowedValues" in set_params[name]:
            assert value in set_params[name]["allowedValues"]
    assert {c.id for c in pack.clauses} <= {m.get("policyDefinitionReferenceId") for m in assignment["nonComplianceMessages"]}
    assert all(isinstance(v, list) and v for v in assignment["scope"].values())
    assert load_jsonc(render(CASES[case])[assign_path]) == assignment


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_policies_as_the_policy_json(case: str) -> None:
    bundle = build_bundle(load_pack(CASES[case]))
    defs, sets, _ = split(render(CASES[case]))
    by_name = {d["name"]: d for d in defs.values()}
    for expected in bundle.definitions:
        got = json.loads(json.dumps(by_name[expected["name"]]["properties"]))
        got["parameters"]["effect"]["type"] = "String"  # the one deliberate difference (EPAC schema const)
        assert got == expected["properties"]
    (policy_set,) = sets.values()
    assert policy_set["properties"]["parameters"] == bundle.policy_set["properties"]["parameters"]
    assert policy_set["name"] == bundle.policy_set["name"]


def test_two_renders_are_identical() -> None:
    for ref in CASES.values():
        assert render(ref) == render(ref)
