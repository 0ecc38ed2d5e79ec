"""Stream selected parts of a large JSON document with the stdlib's C decoder, in bounded memory.

Why not ijson: on the development machine one pass of ijson's yajl2_c backend over the 175 MB
benchmark plan costs 3.6-3.8 s of CPU whatever it keeps, against 5.6-6.7 s for ``json.load`` of the
whole file, so the two passes a plan needs (configuration, then changes) cannot meet the "no slower
than json.load" target. Here one sequential pass decodes each wanted item with
``json.JSONDecoder.raw_decode`` (C) from a sliding window, and skips unwanted parts by decoding
them in window-sized pieces that are dropped at once, so memory stays near the window size.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import IO, Any

from generator.errors import InputError
from generator.safeload import MAX_DEPTH, MAX_INT_DIGITS, too_deep

WINDOW = 1 << 20  # characters decoded ahead; larger containers are walked member by member

_WS = " \t\n\r"
_FAST_AHEAD = 1 << 16  # an item this far from the buffer's end is decoded without checks first
Path = tuple[str, ...]
Handler = Callable[[Path, Any], None]


class JsonStream:
    """A forward-only reader over a JSON text with handlers for selected paths.

    Paths are tuples of object keys, with ``"*"`` for every array element or object member.
    A handler receives ``(path, value)`` with the concrete path (member names; array items as "*").
    """

    def __init__(self, handle: IO[bytes], name: str, handlers: dict[Path, Handler],
                 arrays: frozenset[Path] = frozenset()) -> None:
        self._fh = handle
        self._arrays = arrays  # paths that must hold an array (or null): anything else is bad input
        self._name = name
        self._handlers = handlers
        self._prefixes = {p[:i] for p in handlers for i in range(len(p))}
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        # NaN, Infinity and overflowing numbers are not JSON: refused (InputError) rather than checked as numbers.
        self._scan = json.JSONDecoder(parse_constant=self._not_number, parse_float=self._float).raw_decode
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._consumed = 0  # characters dropped from the front of the buffer
        self._bytes = 0
        self.top_keys: list[str] = []  # keys of the document's object, in order (all of them)

    def _float(self, text: str) -> float:
        value = float(text)
        if value - value != 0:  # 1e999 overflows to inf
            self._not_number(text[:40])
        return value

    def _not_number(self, token: str) -> Any:
        raise InputError(f"not valid JSON: {token} is not a finite JSON number", file=self._name)

    # -- buffer ---------------------------------------------------------------------------------
    def _fill(self, minimum: int = WINDOW) -> bool:
        """Ensure ``minimum`` characters ahead of the position; False at end of input."""
        if len(self._buf) - self._pos >= minimum or self._eof:
            return len(self._buf) > self._pos
        if self._pos:
            self._consumed += self._pos
            self._buf = self._buf[self._pos:]
            self._pos = 0
        parts = [self._buf]
        have = len(self._buf)
        while have < minimum and not self._eof:
            chunk = self._fh.read(WINDOW)
            if not chunk:
                self._eof = True
                try:
                    tail = self._decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    raise InputError("not UTF-8: the file ends inside a multi-byte character", file=self._name) from None
                parts.append(tail)
                break
            try:
                text = self._decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not UTF-8 text (byte {self._bytes + exc.start})", file=self._name
                ) from None
            self._bytes += len(chunk)
            parts.append(text)
            have += len(text)
        self._buf = "".join(parts)
        return len(self._buf) > self._pos

    def _skip_ws(self) -> str:
        """Skip whitespace and return the next character ('' at end of input)."""
        while True:
            buf, pos = self._buf, self._pos
            n = len(buf)
            while pos < n and buf[pos] in _WS:
                pos += 1
            self._pos = pos
            if pos < n:
                return buf[pos]
            if not self._fill(1):
                return ""

    def _error(self, what: str) -> InputError:
        where = self._consumed + self._pos
        if self._eof and self._pos >= len(self._buf.rstrip()) - 1:
            return InputError(f"truncated JSON: the file ends too early ({what})", file=self._name)
        return InputError(f"not valid JSON at character {where}: {what}", file=self._name)

    def _expect(self, char: str) -> None:
        if self._skip_ws() != char:
            got = self._buf[self._pos:self._pos + 1] or "end of file"
            raise self._error(f"expected {char!r}, found {got!r}")
        self._pos += 1

    # -- values ---------------------------------------------------------------------------------
    def _decode(self, allow_partial: bool) -> tuple[bool, Any]:
        """Decode one value at the position; with allow_partial, give up (False) when it exceeds the window."""
        buf, pos = self._buf, self._pos
        # Fast path (most items): well inside the buffer, no whitespace, decodes without reading more.
        if len(buf) - pos > _FAST_AHEAD and buf[pos] not in _WS:
            try:
                value, end = self._scan(buf, pos)
            except json.JSONDecodeError:
                pass  # the slow path below reads on, or reports the error
            else:
                if end < len(buf):
                    self._pos = end
                    return True, value
        self._skip_ws()
        window = WINDOW
        while True:
            self._fill(window)
            try:
                value, end = self._scan(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self._buf) - 64 or exc.msg.startswith("Unterminated string")
                if self._eof or not incomplete:
                    self._pos = min(exc.pos, len(self._buf))
                    if self._eof and (exc.msg.startswith("Unterminated string")
                                      or exc.pos >= len(self._buf.rstrip())):
                        # the file ends inside this value (a string's error points at its start)
                        raise InputError("truncated JSON: the file ends too early (inside a value)",
                                         file=self._name) from None
                    raise self._error(exc.msg.removesuffix(" starting at")) from None
                if allow_partial and self._buf[self._pos] in "{[":
                    return False, None
                window = len(self._buf) - self._pos + WINDOW  # a long string or item: read on
                continue
            if end >= len(self._buf) and not self._eof:
                # A bare number may go on in the next chunk: read more and decode again.
                window = len(self._buf) - self._pos + WINDOW
                continue
            self._pos = end
            return True, value

    def _key(self) -> str:
        if self._skip_ws() != '"':
            raise self._error("expected an object key")
        return self._decode(False)[1]  # type: ignore[no-any-return]

    def run(self) -> None:
        """Walk the whole document, calling handlers; raises InputError on bad JSON."""
        first = self._skip_ws()
        if first == "\ufeff":  # a UTF-8 byte-order mark (Windows editors, PowerShell 7 `Out-File -Encoding utf8BOM`)
            self._pos += 1
            first = self._skip_ws()
        if first != "{":
            raise InputError("not a JSON object" if first else "empty file", file=self._name)
        try:
            self._walk(())
        except RecursionError:
            # The C decoder and the member-by-member walk both recurse per level: bad input, not exit 3.
            raise InputError(f"JSON nested too deeply (near character {self._consumed + self._pos})",
                             file=self._name) from None
        except ValueError as exc:  # int() past sys.get_int_max_str_digits(): bad input, not exit 3
            if isinstance(exc, json.JSONDecodeError) or "digits" not in str(exc):
                raise
            raise InputError(f"a number with more than {MAX_INT_DIGITS} digits (near character "
                             f"{self._consumed + self._pos})", file=self._name) from None
        if self._skip_ws() != "":
            raise self._error("extra data after the JSON document")

    def _walk(self, path: Path) -> None:
        """Walk the container at the position (its path is wanted or leads to wanted paths)."""
        opener = self._skip_ws()
        if path in self._arrays and opener not in "[n":
            found = {"{": "an object", '"': "a string"}.get(opener, "a number or boolean" if opener else "nothing")
            raise InputError(f"expected an array of objects, found {found}", file=self._name,
                             pointer=_pointer(path))
        if opener not in "{[":
            self._decode(False)
            return
        self._pos += 1
        closer = "}" if opener == "{" else "]"
        if self._skip_ws() == closer:
            self._pos += 1
            return
        index = -1
        while True:
            index += 1
            if opener == "{":
                key = self._key()
                self._expect(":")
                if not path:
                    self.top_keys.append(key)
                child = path + (key,)
                pattern = self._match(path, key)
            else:
                child = path + ("*",)
                pattern = child if (child in self._handlers or child in self._prefixes) else None
            if pattern is not None and pattern in self._handlers:
                self._skip_ws()
                start = self._consumed + self._pos
                _, value = self._decode(False)
                self._check_depth(value, start, child if opener == "{" else path + (str(index),))
                self._handlers[pattern](child, value)
            elif pattern is not None:
                self._walk(pattern)
            else:
                self._skip()
            nxt = self._skip_ws()
            if nxt == ",":
                self._pos += 1
                continue
            if nxt == closer:
                self._pos += 1
                return
            raise self._error(f"expected ',' or {closer!r}" if nxt else "inside a container")

    def _check_depth(self, value: Any, start: int, where: Path) -> None:
        """Refuse a decoded value nested deeper than safeload.MAX_DEPTH (its readers recurse per level)."""
        if not isinstance(value, (dict, list)):
            return
        s = max(0, start - self._consumed)
        # Counting brackets in the value's text is C-speed; only a value with many is walked.
        if self._buf.count("{", s, self._pos) + self._buf.count("[", s, self._pos) <= MAX_DEPTH:
            return
        inner = too_deep(value, MAX_DEPTH)
        if inner is not None:
            pointer = _pointer(where) + inner
            raise InputError(f"JSON nested deeper than {MAX_DEPTH} levels", file=self._name,
                             pointer=pointer if len(pointer) <= 80 else pointer[:80] + "...")

    def _match(self, path: Path, key: str) -> Path | None:
        exact = path + (key,)
        if exact in self._handlers or exact in self._prefixes:
            return exact
        star = path + ("*",)
        if star in self._handlers or star in self._prefixes:
            return star
        return None

    def _skip(self) -> None:
        """Skip one value: decode it whole when it fits the window, else member by member."""
        ok, _ = self._decode(True)
        if ok:
            return
        opener = self._buf[self._pos]
        self._pos += 1
        closer = "}" if opener == "{" else "]"
        if self._skip_ws() == closer:
            self._pos += 1
            return
        while True:
            if opener == "{":
                self._key()
                self._expect(":")
            self._skip()
            nxt = self._skip_ws()
            if nxt == ",":
                self._pos += 1
                continue
            if nxt == closer:
                self._pos += 1
                return
            raise self._error(f"expected ',' or {closer!r}" if nxt else "inside a container")


def _pointer(path: Path) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def stream_json(path: str, handlers: dict[Path, Handler], arrays: frozenset[Path] = frozenset()) -> list[str]:
    """Open ``path`` and walk it with ``handlers`` (see :class:`JsonStream`); return its top-level keys.

    ``arrays`` names paths that must hold an array (or null); anything else there is InputError with the pointer.
    """
    from generator.safeload import open_regular

    handle = open_regular(path)  # a FIFO, socket or device is refused at once, never blocks
    with handle:
        stream = JsonStream(handle, path, handlers, arrays)
        stream.run()
        return stream.top_keys
