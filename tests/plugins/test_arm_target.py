"""ARM target: golden files, every template expression parsed with the engine's parser, structure,
escaping round trip (what Azure Policy receives equals the policy JSON), determinism."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from click.testing import CliRunner
from plugin_helpers import CASES, EXAMPLE_PACK, GOLDEN, SHIPPED, read_tree

from generator.cli import cli
from generator.engine.expressions import Call, Literal, Member, is_expression, parse_expression, unescape_literal
from generator.pack import load_pack
from generator.targets.arm import MG_TEMPLATE_SCHEMA, ArmTarget, arm_escape, build_template
from generator.targets.base import RenderOptions
from generator.targets.policy_json import build_bundle

# From the Microsoft.Authorization template reference (learn.microsoft.com/azure/templates/
# microsoft.authorization/...): API versions that accept the properties written here, incl. `version`.
API_VERSIONS = {
    "Microsoft.Authorization/policyDefinitions": {"2023-04-01", "2024-05-01", "2025-01-01", "2025-03-01"},
    "Microsoft.Authorization/policySetDefinitions": {"2023-04-01", "2024-05-01", "2025-01-01", "2025-03-01"},
    "Microsoft.Authorization/policyAssignments": {"2023-04-01", "2024-04-01", "2024-05-01", "2025-01-01", "2025-03-01"},
}
# Template functions the target may use (all valid at management-group scope).
FUNCTIONS = {"extensionresourceid", "managementgroup", "parameters", "if"}
ARM_PARAMETER_TYPES = {"string", "securestring", "int", "bool", "object", "secureobject", "array"}


def template_for(pack_ref: str) -> dict[str, Any]:
    return build_template(load_pack(pack_ref), RenderOptions())


def strings(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every string value with its JSON pointer."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings(v, f"{pointer}/{i}")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, f"{pointer}/{k}")


def calls(node: Any) -> Iterator[Call]:
    if isinstance(node, Call):
        yield node
        for a in node.args:
            yield from calls(a)
    elif isinstance(node, Member):
        yield from calls(node.target)
        yield from calls(node.key)


def arm_unescape(value: Any) -> Any:
    """What Azure receives after the template engine strips one '[' from each escaped literal."""
    if isinstance(value, str):
        return unescape_literal(value)
    if isinstance(value, list):
        return [arm_unescape(v) for v in value]
    if isinstance(value, dict):
        return {k: arm_unescape(v) for k, v in value.items()}
    return value


def resolve_id(expr: str) -> tuple[str, str]:
    """(type, name) of an ``[extensionResourceId(managementGroup().id, 'type', 'name')]`` expression."""
    node = parse_expression(expr)
    assert isinstance(node, Call) and node.name == "extensionResourceId", expr
    scope, rtype, name = node.args
    assert isinstance(scope, Member) and isinstance(scope.target, Call) and scope.target.name == "managementGroup"
    assert isinstance(rtype, Literal) and isinstance(name, Literal), expr
    return rtype.value, name.value


def test_golden(tmp_path: Path, golden: Callable[[dict[str, bytes], Path], None]) -> None:
    # The shipped pack's arm/ output is committed at the repository root and checked for drift
    # by tests/generator/test_generate.py::test_committed_output_is_up_to_date.
    result = CliRunner().invoke(cli, ["generate", "--pack", str(EXAMPLE_PACK), "--target", "arm", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    got = read_tree(tmp_path)
    assert list(got) == [f"arm/{load_pack(str(EXAMPLE_PACK)).slug}.json"]
    golden(got, GOLDEN / "arm" / "example-pack")


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_expression_parses_and_uses_known_functions_and_parameters(case: str) -> None:
    template = template_for(CASES[case])
    declared = set(template["parameters"])
    used: set[str] = set()
    expressions = 0
    for pointer, text in strings(template):
        if not is_expression(text):
            continue
        expressions += 1
        node = parse_expression(text)  # raises with the column on a malformed expression
        for call in calls(node):
            assert call.name.lower() in FUNCTIONS, f"{pointer}: {call.name}() in {text}"
            if call.name == "parameters":
                arg = call.args[0]
                assert isinstance(arg, Literal) and arg.value in declared, f"{pointer}: {text}"
                used.add(arg.value)
    assert expressions > 10
    assert used == declared  # every template parameter drives something


@pytest.mark.parametrize("case", sorted(CASES))
def test_structure(case: str) -> None:
    template = template_for(CASES[case])
    assert template["$schema"] == MG_TEMPLATE_SCHEMA
    assert template["contentVersion"] == "1.0.0.0"
    assert set(template) <= {"$schema", "contentVersion", "metadata", "parameters", "variables", "resources", "outputs"}
    for name, p in template["parameters"].items():
        assert p["type"] in ARM_PARAMETER_TYPES, name
        if "allowedValues" in p and "defaultValue" in p and p["type"] != "array":
            assert p["defaultValue"] in p["allowedValues"], name
    by_id = {}
    for r in template["resources"]:
        assert {"type", "apiVersion", "name", "properties"} <= set(r), r.get("name")
        assert r["apiVersion"] in API_VERSIONS[r["type"]], (r["type"], r["apiVersion"])
        by_id[(r["type"], r["name"])] = r
    kinds = [r["type"].rsplit("/", 1)[1] for r in template["resources"]]
    pack = load_pack(CASES[case])
    assert kinds == ["policyDefinitions"] * len(pack.clauses) + ["policySetDefinitions", "policyAssignments"]
    for r in template["resources"]:
        for dep in r.get("dependsOn", []):
            assert resolve_id(dep) in by_id, f"{r['name']}: dependsOn {dep} names no resource in the template"
    policy_set = template["resources"][-2]
    members = [resolve_id(m["policyDefinitionId"]) for m in policy_set["properties"]["policyDefinitions"]]
    assert sorted(members) == sorted(resolve_id(d) for d in policy_set["dependsOn"])
    assignment = template["resources"][-1]
    assert assignment["condition"] == "[parameters('deployAssignment')]"
    assert resolve_id(assignment["properties"]["policyDefinitionId"]) == ("Microsoft.Authorization/policySetDefinitions",
                                                                            policy_set["name"])
    assert set(assignment["properties"]["parameters"]) == set(policy_set["properties"]["parameters"])
    assert len(template["parameters"]["assignmentName"]["defaultValue"]) <= 24


@pytest.mark.parametrize("case", sorted(CASES))
def test_azure_policy_receives_the_policy_json_unevaluated(case: str) -> None:
    pack = load_pack(CASES[case])
    bundle = build_bundle(pack)
    template = build_template(pack, RenderOptions())
    definitions = template["resources"][: len(pack.clauses)]
    for resource, expected in zip(definitions, bundle.definitions):
        assert resource["name"] == expected["name"]
        # No string inside a definition is left for the template engine ...
        assert not [p for p, s in strings(resource["properties"]) if is_expression(s)]
        # ... and after it strips its escape, Azure Policy gets exactly the policy JSON.
        assert arm_unescape(resource["properties"]) == expected["properties"]
    set_props = arm_unescape(template["resources"][len(pack.clauses)]["properties"])
    expected_set = json.loads(json.dumps(bundle.policy_set["properties"]))
    for ref in set_props["policyDefinitions"] + expected_set["policyDefinitions"]:
        ref.pop("policyDefinitionId")
    assert set_props == expected_set
    rule = json.dumps(template["resources"][0]["properties"]["policyRule"])
    assert "\"[[parameters('effect')]\"" in rule


def test_expression_shaped_pack_text_is_escaped_everywhere() -> None:
    pack = load_pack(SHIPPED)
    clause = dataclasses.replace(pack.clauses[0], title="[concat('not', 'evaluated')]", quote="[[already]")
    tricky = dataclasses.replace(pack, clauses=(clause, *pack.clauses[1:]), display_name="[Draft] set]")
    template = build_template(tricky, RenderOptions())
    definition = template["resources"][0]["properties"]
    assert definition["displayName"] == "[[concat('not', 'evaluated')]"
    assert arm_unescape(definition)["metadata"]["clausegate"]["quote"] == "[[already]"
    assert template["resources"][-1]["properties"]["displayName"] == "[[Draft] set]"
    for pointer, text in strings(template):
        if is_expression(text):
            parse_expression(text)
            assert "evaluated" not in text and "Draft" not in text, pointer


def test_arm_escape_rules() -> None:
    assert arm_escape("[x]") == "[[x]"
    assert arm_escape("[[x]") == "[[[x]"  # a policy literal: Azure Policy must still receive '[[x]'
    assert arm_escape("[not closed") == "[not closed"  # ARM reads it as a literal already
    assert arm_escape({"a": ["[y]", 1, None]}) == {"a": ["[[y]", 1, None]}


def test_render_is_deterministic_across_processes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = ("from generator.pack import load_pack; from generator.targets.arm import ArmTarget;"
            "from generator.targets.base import RenderOptions; import sys;"
            f"sys.stdout.write(ArmTarget().render(load_pack({SHIPPED!r}), RenderOptions())['arm/aoai-law-enforcement.json'])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2")}
    assert len(outs) == 1
    assert outs.pop() == ArmTarget().render(load_pack(SHIPPED), RenderOptions())["arm/aoai-law-enforcement.json"]
    assert re.search(r"\s\n", ArmTarget().render(load_pack(SHIPPED), RenderOptions())["arm/aoai-law-enforcement.json"]) is None


def test_arbitrary_clause_text_reaches_azure_policy_as_written() -> None:
    """Property: whatever a pack author writes, ARM hands Azure Policy the policy JSON unchanged."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    pack = load_pack(SHIPPED)
    bracketed = st.builds(lambda s: f"[{s}]", st.text(max_size=20))
    text = st.one_of(st.text(min_size=1, max_size=40), bracketed, st.builds(lambda s: "[" + s, bracketed))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(title=text, quote=text, display=text)
    def check(title: str, quote: str, display: str) -> None:
        clause = dataclasses.replace(pack.clauses[0], title=title, quote=quote)
        variant = dataclasses.replace(pack, clauses=(clause, *pack.clauses[1:]), display_name=display)
        bundle = build_bundle(variant)
        template = json.loads(ArmTarget().render(variant, RenderOptions())["arm/aoai-law-enforcement.json"])
        assert arm_unescape(template["resources"][0]["properties"]) == bundle.definitions[0]["properties"]
        for _, s in strings(template):
            if is_expression(s):
                parse_expression(s)

    check()
