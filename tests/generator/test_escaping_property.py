"""Property: arbitrary clause text survives generation, read back with json and python-hcl2."""

from __future__ import annotations

import dataclasses
import json

from gen_helpers import EXAMPLE_PACK, parse_hcl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.pack import load_pack
from generator.pack.catalog import load_catalog
from generator.pack.model import PropertyCondition
from generator.targets import RenderOptions
from generator.targets.policy_json import PolicyJsonTarget, non_compliance_message
from generator.targets.terraform import TerraformTarget

BASE = load_pack(str(EXAMPLE_PACK))
OPTIONS = RenderOptions(catalog=load_catalog())
# Any Unicode text except lone surrogates (not encodable as UTF-8, so never in a pack file).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
# Bias towards the characters each escaping rule is about.
TRICKY = st.lists(st.sampled_from(["${", "%{", "$${", "[", "]", "[[", '"', "\\", "\n", "'", "}", "\t", "\x00", "é"]),
                  max_size=8).map("".join)
CLAUSE_TEXT = st.one_of(TEXT, TRICKY.filter(bool), st.tuples(TRICKY, TEXT, TRICKY).map("".join))


def arm_read(value: str) -> str:
    """How ARM reads a literal: '[...]' is an expression unless it starts with '[['."""
    if value.startswith("[") and value.endswith("]"):
        assert value.startswith("[["), f"{value!r} would be evaluated as an expression"
        return value[1:]
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=CLAUSE_TEXT, quote=CLAUSE_TEXT, literal=CLAUSE_TEXT)
def test_clause_text_round_trips(title: str, quote: str, literal: str) -> None:
    clause = BASE.clauses[0]
    restriction = dataclasses.replace(
        clause.restricts[0],
        properties=(PropertyCondition("Microsoft.CognitiveServices/accounts/publicNetworkAccess", "equals", literal),),
    )
    clause = dataclasses.replace(clause, title=title, quote=quote, restricts=(restriction,))
    pack = dataclasses.replace(BASE, clauses=(clause,))

    files = PolicyJsonTarget().render(pack, OPTIONS)
    definition = json.loads(files[f"modules/{pack.slug}-definitions/policies/{pack.slug}-{clause.id}.json"])
    policy_set = json.loads(files[f"modules/{pack.slug}-definitions/policies/{pack.slug}.json"])
    # Display names and descriptions are left as written.
    assert definition["properties"]["displayName"] == title
    assert definition["properties"]["metadata"]["clausegate"]["quote"] == quote
    assert policy_set["properties"]["policyDefinitionGroups"][0]["description"] == quote
    # A literal in a position Azure evaluates reads back as the original text.
    branch = definition["properties"]["policyRule"]["if"]["allOf"][0]["allOf"]
    assert arm_read(branch[1]["equals"]) == literal

    tf = TerraformTarget().render(pack, OPTIONS)
    defs = parse_hcl(tf[f"modules/{pack.slug}-definitions/main.tf"])
    group = defs["resource"][1]["azurerm_management_group_policy_set_definition"]["this"]["policy_definition_group"][0]
    assert group["display_name"] == title
    assert group["description"] == quote
    assign = parse_hcl(tf[f"modules/{pack.slug}-assignment/locals.tf"])
    message = assign["locals"][0]["non_compliance_messages"][clause.id]
    assert message == non_compliance_message(pack, clause)
    assert quote in message or len(non_compliance_message(pack, clause)) >= 1000


# YAML 1.1 treats NEL, LS and PS as line breaks, and PyYAML's emitter writes them raw where its
# reader folds them: that is the YAML emitter's round trip, not ours (the test above covers them).
YAML_BREAKS = ("\x85", "\u2028", "\u2029")
YAML_TEXT = CLAUSE_TEXT.filter(lambda s: not any(b in s for b in YAML_BREAKS))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=YAML_TEXT.filter(lambda s: len(s) <= 100), quote=YAML_TEXT, literal=YAML_TEXT)
def test_clause_text_round_trips_from_yaml(title: str, quote: str, literal: str) -> None:
    """The same, starting from pack YAML written by a YAML emitter (the loader is on the path too)."""
    import yaml

    from generator.pack.loader import parse_pack

    data = yaml.safe_load(EXAMPLE_PACK.read_text("utf-8"))
    clause = data["clauses"][0]
    clause["title"], clause["quote"] = title, quote
    clause["restricts"][0]["properties"] = [
        {"field": "Microsoft.CognitiveServices/accounts/publicNetworkAccess", "equals": literal}]
    pack = parse_pack(yaml.safe_dump(data, allow_unicode=True), "generated.yaml")
    assert (pack.clauses[0].title, pack.clauses[0].quote) == (title, quote)

    files = PolicyJsonTarget().render(pack, OPTIONS)
    definition = json.loads(files[f"modules/{pack.slug}-definitions/policies/{pack.slug}-{pack.clauses[0].id}.json"])
    assert definition["properties"]["displayName"] == title
    branch = definition["properties"]["policyRule"]["if"]["allOf"][0]["allOf"]
    assert arm_read(branch[1]["equals"]) == literal
    tf = TerraformTarget().render(pack, OPTIONS)
    assign = parse_hcl(tf[f"modules/{pack.slug}-assignment/locals.tf"])
    assert assign["locals"][0]["non_compliance_messages"][pack.clauses[0].id] == non_compliance_message(pack, pack.clauses[0])
