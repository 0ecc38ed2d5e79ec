"""A small JSON reader that remembers the line where every object and array starts (by JSON pointer).

Templates are small, so a recursive reader is fast enough; strings go through the standard
library's scanner. `//` and `/* */` comments are skipped, as Azure's template parser allows them.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from generator.errors import InputError

__all__ = ["parse_with_lines", "pointer_join"]

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WS = " \t\r\n"


def pointer_join(base: str, key: Any) -> str:
    """Append one RFC 6901 reference token to a JSON pointer."""
    return f"{base}/{str(key).replace('~', '~0').replace('/', '~1')}"


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.lines: dict[str, int] = {}
        # line starts, for turning an offset into a line number by bisection
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, pos: int) -> int:
        import bisect

        return bisect.bisect_right(self.starts, pos)

    def fail(self, message: str, pos: int | None = None) -> InputError:
        p = self.pos if pos is None else pos
        line = self.line_of(p)
        col = p - self.starts[line - 1] + 1
        return InputError(f"not valid JSON: {message} (column {col})", file=self.source, line=line)

    def skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in _WS:
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.pos = end + 2
            else:
                return

    def value(self, pointer: str, depth: int = 0) -> Any:
        if depth > 500:
            raise self.fail("nested too deeply")
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of file")
        ch = self.text[self.pos]
        if ch == "{":
            self.lines[pointer] = self.line_of(self.pos)
            return self.obj(pointer, depth)
        if ch == "[":
            self.lines[pointer] = self.line_of(self.pos)
            return self.arr(pointer, depth)
        if ch == '"':
            return self.string()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return val
        m = _NUMBER.match(self.text, self.pos)
        if m and m.end() > self.pos:
            self.pos = m.end()
            raw = m.group(0)
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        raise self.fail(f"unexpected {ch!r}")

    def string(self) -> str:
        try:
            s, end = scanstring(self.text, self.pos + 1, True)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.msg, exc.pos) from None
        self.pos = end
        return s

    def obj(self, pointer: str, depth: int) -> dict[str, Any]:
        self.pos += 1
        out: dict[str, Any] = {}
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return out
        while True:
            self.skip()
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a property name in double quotes")
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':'")
            self.pos += 1
            out[key] = self.value(pointer_join(pointer, key), depth + 1)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return out
            raise self.fail("expected ',' or '}'")

    def arr(self, pointer: str, depth: int) -> list[Any]:
        self.pos += 1
        out: list[Any] = []
        self.skip()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return out
        while True:
            out.append(self.value(pointer_join(pointer, len(out)), depth + 1))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return out
            raise self.fail("expected ',' or ']'")


def parse_with_lines(text: str, source: str) -> tuple[Any, dict[str, int]]:
    """Parse JSON text; return the value and {JSON pointer: 1-based line} of every object and array."""
    reader = _Reader(text.removeprefix("\ufeff"), source)
    value = reader.value("")
    reader.skip()
    if reader.pos != len(reader.text):
        raise reader.fail("unexpected text after the JSON value")
    return value, reader.lines
