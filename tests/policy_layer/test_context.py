"""Context file: entries chosen by the resource id, shorthand tags, YAML, and bad files (exit 2)."""

from __future__ import annotations

import pytest

from generator.context import UNKNOWN_SUBSCRIPTION_ID, Context
from generator.errors import InputError
from policy_layer.helpers import OTHER_SUB, SUB, write

RID = f"/subscriptions/{SUB}/resourceGroups/RG1/providers/Microsoft.Storage/storageAccounts/s1"


def test_star_and_exact_subscription_merge_exact_wins() -> None:
    ctx = Context.from_data({"subscriptions": {
        "*": {"tags": {"sector": "health", "jurisdiction": "US"}},
        SUB: {"displayName": "police", "tags": {"sector": "police"}},
    }})
    rc = ctx.resolve(RID)
    assert rc.subscription["tags"] == {"sector": "police", "jurisdiction": "US"}
    assert rc.subscription["displayName"] == "police"
    assert rc.subscription["subscriptionId"] == SUB
    other = ctx.resolve(f"/subscriptions/{OTHER_SUB}/resourceGroups/x/providers/A.B/c/d")
    assert other.subscription["tags"] == {"sector": "health", "jurisdiction": "US"}


def test_resource_group_keys_with_and_without_subscription() -> None:
    ctx = Context.from_data({"resourceGroups": {
        "rg1": {"location": "eastus", "tags": {"camera-context": "mobile", "a": "1"}},
        f"{SUB}/rg1": {"tags": {"camera-context": "stationary-controlled"}},
    }})
    rc = ctx.resolve(RID)  # "RG1" in the id: keys compare without case
    assert rc.resource_group is not None
    assert rc.resource_group["tags"] == {"camera-context": "stationary-controlled", "a": "1"}
    assert rc.resource_group["location"] == "eastus"
    other = ctx.resolve(f"/subscriptions/{OTHER_SUB}/resourceGroups/rg1/providers/A.B/c/d")
    assert other.resource_group["tags"]["camera-context"] == "mobile"


def test_subscription_tag_shorthand_wins_over_file_star() -> None:
    ctx = Context.from_data({"subscriptions": {"*": {"tags": {"sector": "health"}}}})
    rc = ctx.with_subscription_tags({"sector": "police"}).resolve(RID)
    assert rc.subscription["tags"]["sector"] == "police"
    assert ctx.resolve(RID).subscription["tags"]["sector"] == "health"  # the original is unchanged


def test_resource_without_id_gets_star_entry_and_placeholder_subscription() -> None:
    rc = Context.from_data({"subscriptions": {"*": {"tags": {"sector": "police"}}}}).resolve(None)
    assert rc.subscription["subscriptionId"] == UNKNOWN_SUBSCRIPTION_ID
    assert rc.subscription["tags"] == {"sector": "police"}
    assert rc.resource_group is None


def test_missing_tags_are_recorded_by_name() -> None:
    rc = Context.from_data({"subscriptions": {"*": {"tags": {"Sector": "police"}}}}).resolve(RID)
    assert rc.note_tag_read("subscription", "sector") is False  # given (case-insensitive)
    assert rc.note_tag_read("subscription", "jurisdiction") is True
    assert "subscription tag 'jurisdiction'" in rc.missing
    # another resolve starts with a fresh list
    assert "subscription tag 'jurisdiction'" not in Context.empty().resolve(RID).missing


def test_yaml_context_file(tmp_path) -> None:
    path = write(tmp_path / "ctx.yaml", "subscriptions:\n  '*':\n    tags:\n      sector: police\n      level: 3\n")
    rc = Context.load(path).resolve(RID)
    assert rc.subscription["tags"] == {"sector": "police", "level": "3"}


def test_bad_json_names_file_and_line(tmp_path) -> None:
    path = write(tmp_path / "ctx.json", '{\n  "subscriptions": {\n    "*": {"tags": {"a": }}\n  }\n}')
    with pytest.raises(InputError) as err:
        Context.load(path)
    assert err.value.file == str(path) and err.value.line == 3
    assert err.value.exit_code == 2


def test_schema_violation_names_pointer(tmp_path) -> None:
    path = write(tmp_path / "ctx.json", {"subscriptions": {"*": {"tags": {"sector": ["police"]}}}})
    with pytest.raises(InputError) as err:
        Context.load(path)
    assert err.value.pointer == "/subscriptions/*/tags/sector"
    assert str(path) in str(err.value)


def test_unknown_top_level_key_is_rejected() -> None:
    with pytest.raises(InputError) as err:
        Context.from_data({"subscription": {}}, source="c.json")
    assert "subscription" in err.value.message
