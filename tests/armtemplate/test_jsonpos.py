"""The position-tracking JSON reader: same values as json.loads, lines by JSON pointer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.armtemplate.jsonpos import parse_with_lines, pointer_join
from generator.errors import InputError

TEXT = """{
  "resources": [
    {
      "type": "a/b",
      "name": "x~y/z"
    },
    {"type": "c/d", "properties": {"n": [1, 2.5, -3e2, true, null, "\\u00e9"]}}
  ],
  "a/b": {"c~d": {}}
}"""


def test_lines_by_pointer() -> None:
    value, lines = parse_with_lines(TEXT, "t.json")
    assert value == json.loads(TEXT)
    assert lines["/resources"] == 2
    assert lines["/resources/0"] == 3
    assert lines["/resources/1"] == 7
    assert lines["/resources/1/properties/n"] == 7
    assert lines["/a~1b/c~0d"] == 9
    assert pointer_join("/a", "b/c~") == "/a/b~1c~0"


def test_comments_are_skipped() -> None:
    value, lines = parse_with_lines('// head\n{\n  /* block\n */ "a": [1] // tail\n}\n', "t.json")
    assert value == {"a": [1]} and lines["/a"] == 4


@pytest.mark.parametrize("text, line", [
    ('{\n  "a": 1,\n}', 3), ('{\n "a" 1}', 2), ("[1,\n2\n", 3), ('{"a": tru}', 1), ('{} x', 1), ('"\\x"', 1),
])
def test_errors_name_the_line(text: str, line: int) -> None:
    with pytest.raises(InputError) as info:
        parse_with_lines(text, "t.json")
    assert info.value.line == line


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20)


@given(json_values, st.sampled_from([None, 2]))
def test_same_values_as_the_standard_library(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    assert parse_with_lines(text, "t.json")[0] == json.loads(text)
