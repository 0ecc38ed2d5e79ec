"""The streaming JSON walker: same values as json.load, bounded windows, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import InputError
from generator.terraform import jsonstream
from generator.terraform.jsonstream import stream_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


def _collect(path: Path, handlers_paths: list[tuple[str, ...]]) -> list[tuple[tuple[str, ...], Any]]:
    seen: list[tuple[tuple[str, ...], Any]] = []
    stream_json(str(path), {p: (lambda q, v: seen.append((q, v))) for p in handlers_paths})
    return seen


@settings(max_examples=60, deadline=None)
@given(items=st.lists(json_values, max_size=12), other=json_values, window=st.sampled_from([8, 64, 4096]))
def test_items_match_json_load_with_tiny_windows(tmp_path_factory: Any, items: list[Any], other: Any, window: int) -> None:
    path = tmp_path_factory.mktemp("js") / "doc.json"
    path.write_text(json.dumps({"skip": other, "wanted": items, "after": [other, other]}), encoding="utf-8")
    old = jsonstream.WINDOW
    jsonstream.WINDOW = window  # forces refills and member-by-member skipping
    try:
        seen = _collect(path, [("wanted", "*")])
    finally:
        jsonstream.WINDOW = old
    assert [v for _, v in seen] == items


def test_object_members_by_star_carry_their_key(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"calls": {"a": {"x": 1}, "b": {"x": 2}}}', encoding="utf-8")
    assert _collect(path, [("calls", "*")]) == [(("calls", "a"), {"x": 1}), (("calls", "b"), {"x": 2})]


def test_long_string_beyond_the_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "WINDOW", 16)
    path = tmp_path / "d.json"
    text = "é" * 500 + "\\u00e9"
    path.write_text('{"a": ["' + text + '", 12345678901234567890]}', encoding="utf-8")
    assert [v for _, v in _collect(path, [("a", "*")])] == ["é" * 501, 12345678901234567890]


@pytest.mark.parametrize("content, message", [
    (b'{"a": [1, 2', "truncated"),
    (b'{"a": [1, 2,,]}', "not valid JSON"),
    (b'{"a": "\xff\xfe"}', "not UTF-8"),
    (b"", "empty"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"a": 1} x', "extra data"),
])
def test_bad_json_is_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        _collect(path, [("a", "*")])


def test_multibyte_character_split_across_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Reads are WINDOW bytes: a 2-byte character straddles the boundary for some offset.
    monkeypatch.setattr(jsonstream, "WINDOW", 7)
    path = tmp_path / "d.json"
    path.write_text('{"a": ["xé", "éé", "ééé"]}', encoding="utf-8")
    assert [v for _, v in _collect(path, [("a", "*")])] == ["xé", "éé", "ééé"]
