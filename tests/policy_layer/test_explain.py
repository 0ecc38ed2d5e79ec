"""Readable explanations from trace entries."""

from __future__ import annotations

from generator.context import Context
from generator.engine.explain import describe_subject, explain, tag_reads
from generator.engine.scope import TraceEntry
from generator.engine.values import UNKNOWN


def entry(subject, operator, expected_source, actual, expected, outcome, kind="value"):
    return TraceEntry("/if", kind, subject, operator, expected_source, actual, expected, outcome)


def test_tag_reads_in_every_spelling() -> None:
    params = {"sectorTagName": "sector"}
    assert tag_reads("[subscription().tags['sector']]", {}) == [("subscription", "sector")]
    assert tag_reads("[subscription().tags.sector]", {}) == [("subscription", "sector")]
    assert tag_reads("[coalesce(tryGet(subscription().tags, parameters('sectorTagName')), '')]", params) == [
        ("subscription", "sector")]
    assert tag_reads("[coalesce(tryGet(subscription(), 'tags', parameters('sectorTagName')), '')]", params) == [
        ("subscription", "sector")]
    assert tag_reads("[resourceGroup().tags['it''s']]", {}) == [("resource group", "it's")]
    assert tag_reads("[field('name')]", {}) == []


def test_brief_example_sentences() -> None:
    lines = explain([
        entry("Microsoft.CognitiveServices/accounts/deployments/model.name", "notIn",
              "[parameters('clearedModels')]", "gpt-4o", ["gpt-35-turbo"], True, kind="field"),
        entry("[coalesce(tryGet(subscription().tags, 'sector'), '')]", "in",
              "[parameters('lawEnforcementValues')]", "police", ["police"], True),
    ], parameters={})
    assert lines == ["model.name 'gpt-4o' is not in parameter clearedModels",
                     "subscription tag sector='police' is in parameter lawEnforcementValues"]


def test_unknown_missing_exists_and_count() -> None:
    lines = explain([
        entry("Microsoft.X/y/z.a", "equals", "b", UNKNOWN, "b", UNKNOWN, kind="field"),
        entry("tags['owner']", "exists", "true", None, True, False, kind="field"),
        entry("Microsoft.X/y/rules[*]", "greater", 0, 2, 0, True, kind="count"),
    ], parameters={})
    assert lines[0] == "z.a is known only after apply, so 'equals' cannot be decided yet"
    assert lines[1] == "tag owner does not exist"
    assert lines[2] == "count of rules[*] 2 is greater than 0"


def test_names_a_tag_no_context_gives() -> None:
    ctx = Context.from_data({"subscriptions": {"*": {"tags": {"sector": "police"}}}}).resolve(None)
    lines = explain([
        entry("[coalesce(tryGet(subscription().tags, 'jurisdiction'), '')]", "in", "[parameters('us')]", "",
              ["US"], False),
        entry("[coalesce(tryGet(subscription().tags, 'sector'), '')]", "in", "[parameters('le')]", "police",
              ["police"], True),
    ], parameters={}, ctx=ctx)
    assert lines[0].endswith("(the policy reads subscription tag 'jurisdiction', which no context gives)")
    assert "no context gives" not in lines[1]
    assert ctx.missing[-1] == "subscription tag 'jurisdiction'"


def test_parameter_subject_and_long_expression() -> None:
    assert describe_subject(entry("[parameters('flag')]", "equals", True, False, True, False), {}) == "parameter flag"
    long = "[concat(field('Microsoft.A/b/model.name'), ',', field('Microsoft.A/b/model.version'), 'xxxxxxxxxxxx')]"
    assert describe_subject(entry(long, "in", "[parameters('m')]", "x", [], False), {}) == "model.name + model.version"
