"""The context file's fast validity check agrees with context.schema.json: it never accepts what the schema
rejects (a rejected file still gets jsonschema's message, with its JSON pointer)."""

from __future__ import annotations

import random
from typing import Any

import jsonschema
import pytest

from generator.context import Context, _plainly_valid
from generator.errors import InputError
from generator.report import load_schema

VALUES: list[Any] = [None, 1, 1.5, True, "x", [], {}, {"a": "b"}, {"a": 1}, {"a": None}, {"a": [1]}, {"a": {"b": "c"}}]
SUB_KEYS = ["*", "sub", "a/b", "", "11111111-2222-3333-4444-555555555555"]
RG_KEYS = ["rg", "sub/rg", "a/b/c", "/rg", "rg/", "", "*"]
SUB_FIELDS = ["displayName", "tenantId", "tags", "other"]
RG_FIELDS = ["location", "tags", "managedBy", "properties", "other"]


def _draw(rng: random.Random) -> dict[str, Any]:
    def section(keys: list[str], fields: list[str]) -> Any:
        if rng.random() < 0.1:
            return rng.choice(VALUES)
        return {rng.choice(keys): {rng.choice(fields): rng.choice(VALUES) for _ in range(rng.randint(0, 3))}
                for _ in range(rng.randint(0, 3))}

    data: dict[str, Any] = {}
    if rng.random() < 0.8:
        data["subscriptions"] = section(SUB_KEYS, SUB_FIELDS)
    if rng.random() < 0.8:
        data["resourceGroups"] = section(RG_KEYS, RG_FIELDS)
    if rng.random() < 0.05:
        data["extra"] = 1
    return data


def test_fast_check_never_accepts_what_the_schema_rejects() -> None:
    validator = jsonschema.Draft202012Validator(load_schema("context"))
    rng = random.Random(20261203)
    accepted = 0
    for _ in range(3000):
        data = _draw(rng)
        if _plainly_valid(data):
            accepted += 1
            assert validator.is_valid(data), data
    assert accepted > 300  # the fast path is actually taken for ordinary files


@pytest.mark.parametrize("data, pointer", [
    ({"subscriptions": {"*": {"tags": {"sector": ["police"]}}}}, "/subscriptions/*/tags/sector"),
    ({"resourceGroups": {"rg": {"colour": "red"}}}, "/resourceGroups/rg"),
    ({"resourceGroups": {"a/b/c": {}}}, "/resourceGroups"),
])
def test_invalid_files_still_get_the_schema_message(data: dict[str, Any], pointer: str) -> None:
    with pytest.raises(InputError) as exc:
        Context.from_data(data, source="ctx.json")
    assert exc.value.pointer == pointer and exc.value.message.startswith("invalid context file")
