"""Policy JSON: shape of built-ins, guarded tag reads, names within Azure limits, determinism."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest
from gen_helpers import EXAMPLE_PACK, SHIPPED

from generator.errors import PackError
from generator.pack import load_pack
from generator.targets.policy_json import (
    build_bundle,
    dump_json,
    policy_literal,
    short_name,
)


@pytest.fixture(scope="module")
def bundle():  # type: ignore[no-untyped-def]
    return build_bundle(load_pack(SHIPPED))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def test_definitions_follow_builtin_shape(bundle) -> None:  # type: ignore[no-untyped-def]
    for d in bundle.definitions:
        assert list(d) == ["properties", "type", "name"]
        assert list(d["properties"]) == [
            "displayName", "policyType", "mode", "description", "metadata", "version", "parameters", "policyRule"]
        props = d["properties"]
        assert props["mode"] == "All" and props["policyType"] == "Custom"
        assert props["policyRule"]["then"] == {"effect": "[parameters('effect')]"}
        assert props["parameters"]["effect"]["allowedValues"] == ["Deny", "Audit", "Disabled"]
        assert props["parameters"]["effect"]["defaultValue"] == "Deny"
        meta = props["metadata"]
        assert meta["category"] == "Cognitive Services" and meta["version"] == "1.0.0"
        assert meta["clausegate"]["owner"] == "clausegate" and meta["clausegate"]["clauseId"] in ("us-police", "mobile-realtime-fr")
        assert meta["clausegate"]["source"]["url"].startswith("https://")
        assert len(d["name"]) <= 64 and len(props["description"]) <= 512


def test_every_tag_read_is_guarded(bundle) -> None:  # type: ignore[no-untyped-def]
    reads = [s for d in bundle.definitions for s in _strings(d["properties"]["policyRule"]) if "tags" in s]
    assert reads, "the rules read scope tags"
    for s in reads:
        # No direct indexing (subscription().tags[...]) that fails on a missing key or tag-less scope.
        assert not re.search(r"\)\.tags\s*\[|\)\.tags\b", s), s
        assert re.search(r"tryGet\((?:subscription|resourceGroup)\(\), 'tags', parameters\('\w+'\)\)", s), s
        assert s.startswith("[coalesce(") and s.endswith(", '')]"), s


def test_model_fields_are_null_guarded_inside_concat(bundle) -> None:  # type: ignore[no-untyped-def]
    for s in _strings(bundle.definition_for("us-police")["properties"]["policyRule"]):
        for m in re.finditer(r"field\('[^']+'\)", s):
            assert s[: m.start()].endswith("coalesce("), s


def test_each_branch_reads_only_its_own_type_aliases(bundle) -> None:  # type: ignore[no-untyped-def]
    rule = bundle.definition_for("us-police")["properties"]["policyRule"]
    branches = rule["if"]["allOf"][0]["anyOf"]
    types = []
    for b in branches:
        conds = b.get("allOf", [b])
        rtype = conds[0]["equals"]
        types.append(rtype)
        for s in _strings(conds[1:]):
            for alias in re.findall(r"field\('([^']+)'\)", s):
                assert alias.startswith(rtype + "/"), (rtype, alias)
    ml = "Microsoft.MachineLearningServices/workspaces"
    assert types == [
        "Microsoft.CognitiveServices/accounts/deployments",
        "Microsoft.CognitiveServices/accounts/managedComputeDeployments",
        f"{ml}/connections/deployments",
        f"{ml}/endpoints/deployments",
        f"{ml}/onlineEndpoints/deployments",
        f"{ml}/batchEndpoints/deployments",
        f"{ml}/serverlessEndpoints",
        f"{ml}/endpoints",
        f"{ml}/endpoints",  # inline properties.deployments[*]
        f"{ml}/marketplaceSubscriptions",
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.VideoIndexer/accounts",
    ]
    mobile = bundle.definition_for("mobile-realtime-fr")["properties"]["policyRule"]["if"]["allOf"][0]["anyOf"]
    assert "Microsoft.VideoIndexer/accounts" not in json.dumps(mobile)


def test_attestation_prefers_resource_group_then_subscription(bundle) -> None:  # type: ignore[no-untyped-def]
    last = bundle.definition_for("mobile-realtime-fr")["properties"]["policyRule"]["if"]["allOf"][-1]
    assert last == {
        "value": "[coalesce(tryGet(resourceGroup(), 'tags', parameters('attestationTagName')), "
                 "tryGet(subscription(), 'tags', parameters('attestationTagName')), '')]",
        "notIn": "[parameters('attestationValues')]",
    }


def test_catalog_parameters(bundle) -> None:  # type: ignore[no-untyped-def]
    params = bundle.definition_for("us-police")["properties"]["parameters"]
    assert "gpt-4o" not in params["clearedModels"]["defaultValue"]
    assert "text-embedding-3-large" in params["clearedModels"]["defaultValue"]
    assert "gpt-4,0613" in params["clearedModelVersions"]["defaultValue"]


def test_policy_set(bundle) -> None:  # type: ignore[no-untyped-def]
    s = bundle.policy_set
    props = s["properties"]
    assert s["name"] == "aoai-law-enforcement" and s["type"] == "Microsoft.Authorization/policySetDefinitions"
    assert [g["name"] for g in props["policyDefinitionGroups"]] == ["us-police", "mobile-realtime-fr"]
    assert props["policyDefinitionGroups"][0]["description"] == load_pack(SHIPPED).clauses[0].quote
    for ref, d in zip(props["policyDefinitions"], bundle.definitions):
        assert ref["policyDefinitionId"].endswith("/" + d["name"])
        assert set(ref["parameters"]) == set(d["properties"]["parameters"])
        for inner in ref["parameters"].values():
            outer = re.fullmatch(r"\[parameters\('(\w+)'\)\]", inner["value"]).group(1)
            assert outer in props["parameters"]
    assert props["parameters"]["usPoliceEffect"]["defaultValue"] == "Deny"
    at = bundle.policy_set_at("/providers/Microsoft.Management/managementGroups/mg1")
    assert at["properties"]["policyDefinitions"][0]["policyDefinitionId"].startswith(
        "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyDefinitions/")


def test_clause_for(bundle) -> None:  # type: ignore[no-untyped-def]
    assert bundle.clause_for("aoai-law-enforcement-us-police").id == "us-police"
    assert bundle.clause_for("mobile-realtime-fr").id == "mobile-realtime-fr"
    with pytest.raises(KeyError):
        bundle.clause_for("nope")


def test_assignment(bundle) -> None:  # type: ignore[no-untyped-def]
    mg = "/providers/Microsoft.Management/managementGroups/police"
    a = bundle.assignment(mg, parameters={"treatScopeAsLawEnforcement": True})
    assert len(a["name"]) <= 24
    props = a["properties"]
    assert props["policyDefinitionId"] == f"{mg}/providers/Microsoft.Authorization/policySetDefinitions/aoai-law-enforcement"
    assert props["parameters"] == {"treatScopeAsLawEnforcement": {"value": True}}
    by_ref = {m.get("policyDefinitionReferenceId"): m["message"] for m in props["nonComplianceMessages"]}
    for c in bundle.pack.clauses:
        assert f'"{c.quote}"' in by_ref[c.id] and len(by_ref[c.id]) <= 1024
    with pytest.raises(PackError, match="unknown set parameters"):
        bundle.assignment(mg, parameters={"nope": 1})
    with pytest.raises(PackError, match="longer than 24"):
        bundle.assignment(mg, name="x" * 25)
    sub = bundle.assignment("/subscriptions/00000000-0000-0000-0000-000000000000", name="y" * 40)
    assert sub["name"] == "y" * 40


def test_short_name() -> None:
    assert short_name("abc", 24) == "abc"
    long = "a-very-long-pack-slug-that-does-not-fit"
    out = short_name(long, 24)
    assert len(out) == 24 and out == short_name(long, 24) and out != short_name(long + "x", 24)


@pytest.mark.parametrize(("text", "escaped"), [
    ("[x]", "[[x]"), ("[x", "[x"), ("x]", "x]"), ("[test] value", "[test] value"), ("plain", "plain"),
    (["[a]", "b"], ["[[a]", "b"]),
])
def test_policy_literal(text: Any, escaped: Any) -> None:
    # ARM: only a literal that starts with '[' AND ends with ']' is escaped (template-expressions.md).
    assert policy_literal(text) == escaped


def test_build_bundle_is_deterministic() -> None:
    a = build_bundle(load_pack(SHIPPED))
    b = build_bundle(load_pack(SHIPPED))
    assert [dump_json(d) for d in a.definitions] == [dump_json(d) for d in b.definitions]
    assert dump_json(a.policy_set) == dump_json(b.policy_set)


def test_example_pack_uses_literal_property_condition() -> None:
    d = build_bundle(load_pack(str(EXAMPLE_PACK))).definitions[0]
    branch = d["properties"]["policyRule"]["if"]["allOf"][0]
    assert branch["allOf"][1] == {"field": "Microsoft.CognitiveServices/accounts/publicNetworkAccess", "notEquals": "Disabled"}
    assert d["properties"]["parameters"]["effect"]["defaultValue"] == "Audit"
    assert "clearedModels" not in d["properties"]["parameters"]


def test_policy_test_cases_follow_contract() -> None:
    from generator.targets import RenderOptions
    from generator.targets.policy_json import PolicyJsonTarget

    files = PolicyJsonTarget().render(load_pack(SHIPPED), RenderOptions())
    cases = {p: json.loads(t) for p, t in files.items() if "/tests/" in p}
    assert len(cases) == len(load_pack(SHIPPED).examples)
    for path, case in cases.items():
        assert list(case) == ["$comment", "resource", "context", "parameters", "expect"]
        assert case["$comment"].startswith("Generated by clausegate from clause pack ")  # the marker
        assert case["expect"]["result"] in ("match", "no-match") and case["expect"]["effect"] in ("deny", "audit")
        assert case["resource"]["id"].startswith("/subscriptions/")
    allow = cases["modules/aoai-law-enforcement-definitions/policies/tests/us-le-gpt-4-0613.json"]
    assert allow["expect"] == {"result": "no-match", "effect": "deny"}
    deny = cases["modules/aoai-law-enforcement-definitions/policies/tests/us-le-gpt-4o.json"]
    assert deny["expect"] == {"result": "match", "effect": "deny"}
    assert deny["context"]["subscriptions"]["00000000-0000-0000-0000-000000000000"]["tags"] == {
        "sector": "law-enforcement", "jurisdiction": "US"}
