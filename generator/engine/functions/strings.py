"""String functions: concat(), format(), split(), substring(), base64/URI conversions and the like."""

from __future__ import annotations

import json
import re
from typing import Any

from generator.engine.expressions import type_name
from generator.engine.functions.arm_values import _int, _need, arm_equals, arm_string
from generator.engine.functions.registry import MAX_STRING, VARIADIC, _fn, string_limit_message
from generator.engine.values import MISSING, EvaluationError, ci_get


# ---------------------------------------------------------------------------------------------
# string functions

@_fn("base64", 1)
def _base64(s: Any) -> str:
    import base64 as _b64

    return _b64.b64encode(_need(s, (str,), "base64").encode("utf-8")).decode("ascii")


@_fn("base64ToString", 1)
def _base64_to_string(s: Any) -> str:
    import base64 as _b64

    return _b64.b64decode(_need(s, (str,), "base64ToString")).decode("utf-8")


@_fn("base64ToJson", 1)
def _base64_to_json(s: Any) -> Any:
    import base64 as _b64

    return json.loads(_b64.b64decode(_need(s, (str,), "base64ToJson")).decode("utf-8"))


@_fn("concat", 0, VARIADIC, deep=False)
def _concat(*args: Any) -> Any:
    if args and isinstance(args[0], list):
        out: list = []
        for a in args:
            if a is None:
                continue
            out.extend(_need(a, (list,), "concat", "every argument (arrays)"))
        return out
    parts = []
    for a in args:
        if isinstance(a, (list, dict)):
            raise EvaluationError(f"concat(): cannot join {type_name(a)} to a string")
        parts.append(arm_string(a))
    return "".join(parts)


@_fn("contains", 2)
def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return arm_string(item) in container
    if isinstance(container, list):
        return any(arm_equals(x, item) for x in container)
    if isinstance(container, dict):
        return isinstance(item, str) and ci_get(container, item) is not MISSING
    raise EvaluationError(f"contains(): the container must be a string, array or object, not {type_name(container)}")


@_fn("dataUri", 1)
def _data_uri(s: Any) -> str:
    return "data:text/plain;charset=utf8;base64," + _base64(s)


@_fn("dataUriToString", 1)
def _data_uri_to_string(s: Any) -> str:
    import base64 as _b64
    import urllib.parse

    text = _need(s, (str,), "dataUriToString")
    head, _, data = text.partition(",")
    if ";base64" in head:
        return _b64.b64decode(data).decode("utf-8")
    return urllib.parse.unquote(data)


@_fn("empty", 1)
def _empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (str, list, dict)):
        return len(v) == 0
    return False


@_fn("endsWith", 2)
def _ends_with(s: Any, suffix: Any) -> bool:
    return _need(s, (str,), "endsWith").lower().endswith(_need(suffix, (str,), "endsWith").lower())


@_fn("startsWith", 2)
def _starts_with(s: Any, prefix: Any) -> bool:
    return _need(s, (str,), "startsWith").lower().startswith(_need(prefix, (str,), "startsWith").lower())


@_fn("first", 1, deep=False)
def _first(v: Any) -> Any:
    if isinstance(v, str):
        return v[:1]
    if isinstance(v, list):
        return v[0] if v else None
    raise EvaluationError(f"first(): expected a string or an array, not {type_name(v)}")


@_fn("last", 1, deep=False)
def _last(v: Any) -> Any:
    if isinstance(v, str):
        return v[-1:]
    if isinstance(v, list):
        return v[-1] if v else None
    raise EvaluationError(f"last(): expected a string or an array, not {type_name(v)}")


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


@_fn("format", 1, VARIADIC)
def _format(fmt: Any, *args: Any) -> str:
    text = _need(fmt, (str,), "format")

    def repl(m: re.Match) -> str:
        if m.group(0) == "{{":
            return "{"
        if m.group(0) == "}}":
            return "}"
        idx = int(m.group(1))
        if idx >= len(args):
            raise EvaluationError(f"format(): no argument {idx}")
        value = args[idx]
        spec = m.group(3)
        if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
            kind, digits = spec[0].upper(), spec[1:]
            n = int(digits) if digits.isdigit() else None
            if kind == "N":
                value = f"{value:,.{2 if n is None else n}f}"
            elif kind == "D":
                value = f"{int(value):0{n or 0}d}"
            elif kind == "F":
                value = f"{value:.{2 if n is None else n}f}"
            elif kind == "X":
                value = f"{int(value):0{n or 0}{'X' if spec[0] == 'X' else 'x'}}"
        s = arm_string(value)
        if m.group(2):
            width = int(m.group(2))
            s = s.rjust(width) if width > 0 else s.ljust(-width)
        return s

    return _FORMAT_ITEM.sub(repl, text)


@_fn("guid", 1, VARIADIC)
def _guid(*parts: Any) -> str:
    # Name-based (v5) GUID over the '-'-joined arguments, as ARM's guid() is documented to be.
    import uuid

    namespace = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
    return str(uuid.uuid5(namespace, "-".join(_need(p, (str,), "guid") for p in parts)))


@_fn("indexOf", 2)
def _index_of(container: Any, item: Any) -> int:
    if isinstance(container, list):
        for i, x in enumerate(container):
            if arm_equals(x, item):
                return i
        return -1
    return _need(container, (str,), "indexOf").lower().find(_need(item, (str,), "indexOf").lower())


@_fn("lastIndexOf", 2)
def _last_index_of(container: Any, item: Any) -> int:
    if isinstance(container, list):
        for i in range(len(container) - 1, -1, -1):
            if arm_equals(container[i], item):
                return i
        return -1
    return _need(container, (str,), "lastIndexOf").lower().rfind(_need(item, (str,), "lastIndexOf").lower())


@_fn("join", 2)
def _join(items: Any, delim: Any) -> str:
    return _need(delim, (str,), "join").join(arm_string(x) for x in _need(items, (list,), "join"))


@_fn("json", 1)
def _json(s: Any) -> Any:
    try:
        return json.loads(_need(s, (str,), "json"))
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"json(): not valid JSON: {exc}") from None


@_fn("length", 1, deep=False)
def _length(v: Any) -> int:
    if isinstance(v, (str, list, dict)):
        return len(v)
    raise EvaluationError(f"length(): expected a string, array or object, not {type_name(v)}")


@_fn("padLeft", 2, 3)
def _pad_left(value: Any, total: Any, pad: Any = " ") -> str:
    text = arm_string(_need(value, (str, int), "padLeft"))
    ch = _need(pad, (str,), "padLeft", "the padding character")
    if len(ch) != 1:
        raise EvaluationError("padLeft(): the padding character must be one character")
    width = _int(total, "padLeft")
    if width > MAX_STRING:
        raise EvaluationError(string_limit_message("padLeft()", width))
    return text.rjust(width, ch)


@_fn("replace", 3)
def _replace(s: Any, old: Any, new: Any) -> str:
    old_s = _need(old, (str,), "replace")
    if old_s == "":
        raise EvaluationError("replace(): the string to replace is empty")
    return _need(s, (str,), "replace").replace(old_s, _need(new, (str,), "replace"))


@_fn("skip", 2, deep=False)
def _skip(v: Any, n: Any) -> Any:
    k = max(0, _int(n, "skip"))
    return _need(v, (str, list), "skip")[k:]


@_fn("take", 2, deep=False)
def _take(v: Any, n: Any) -> Any:
    k = max(0, _int(n, "take"))
    return _need(v, (str, list), "take")[:k]


@_fn("split", 2)
def _split(s: Any, delim: Any) -> list:
    text = _need(s, (str,), "split")
    if isinstance(delim, list):
        seps = [_need(d, (str,), "split", "every delimiter") for d in delim]
    else:
        seps = [_need(delim, (str,), "split", "the delimiter")]
    seps = [d for d in seps if d]
    if not seps:
        return [text]
    if len(seps) == 1:
        return text.split(seps[0])
    return re.split("|".join(re.escape(d) for d in seps), text)


@_fn("string", 1)
def _string(v: Any) -> str:
    return arm_string(v)


@_fn("substring", 2, 3)
def _substring(s: Any, start: Any, length: Any = None) -> str:
    text = _need(s, (str,), "substring")
    i = _int(start, "substring")
    if i < 0 or i > len(text):
        raise EvaluationError(f"substring(): start index {i} is out of range for a string of length {len(text)}")
    if length is None:
        return text[i:]
    n = _int(length, "substring")
    if n < 0 or i + n > len(text):
        raise EvaluationError(
            f"substring(): start {i} plus length {n} exceeds the string length {len(text)}"
        )
    return text[i : i + n]


@_fn("toLower", 1)
def _to_lower(s: Any) -> str:
    return _need(s, (str,), "toLower").lower()


@_fn("toUpper", 1)
def _to_upper(s: Any) -> str:
    return _need(s, (str,), "toUpper").upper()


@_fn("trim", 1)
def _trim(s: Any) -> str:
    return _need(s, (str,), "trim").strip()


@_fn("uniqueString", 1, VARIADIC)
def _unique_string(*parts: Any) -> str:
    # Deterministic 13-character base32 hash of the arguments. ARM's exact hash (MurmurHash64)
    # is not reproduced, so names differ from Azure's; no built-in condition compares them.
    import hashlib

    data = "-".join(_need(p, (str,), "uniqueString") for p in parts).encode("utf-8")
    digest = hashlib.sha256(data).digest()[:8]
    n = int.from_bytes(digest, "big")
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(alphabet[(n >> (5 * i)) & 31] for i in range(13))


@_fn("uri", 2)
def _uri(base: Any, rel: Any) -> str:
    import urllib.parse

    return urllib.parse.urljoin(_need(base, (str,), "uri"), _need(rel, (str,), "uri"))


@_fn("uriComponent", 1)
def _uri_component(s: Any) -> str:
    import urllib.parse

    return urllib.parse.quote(_need(s, (str,), "uriComponent"), safe="")


@_fn("uriComponentToString", 1)
def _uri_component_to_string(s: Any) -> str:
    import urllib.parse

    return urllib.parse.unquote(_need(s, (str,), "uriComponentToString"))
