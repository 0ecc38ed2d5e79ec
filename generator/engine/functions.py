"""Template functions available in policy rules (ARM functions plus the policy-only ones).

Each function is compiled into a closure by `compile_call`. Eager functions receive evaluated
arguments; an UNKNOWN argument makes the result UNKNOWN (for most functions also UNKNOWN nested
inside an argument). `if`, `coalesce`, `and`, `or` and `tryGet` decide from the known part.
Any failure inside a function raises EvaluationError (Azure: the evaluation fails).
"""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from generator.engine.expressions import Call, ExpressionSyntaxError, Literal, compile_node, to_source, type_name
from generator.engine.values import MISSING, UNKNOWN, EvaluationError, ci_get, has_unknown

__all__ = ["FUNCTIONS", "compile_call", "arm_string", "arm_equals", "format_datetime", "parse_datetime"]


@dataclass(frozen=True)
class Spec:
    """How a function is called: arity, whether it needs the scope, and UNKNOWN handling."""

    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    needs_scope: bool = False
    deep_unknown: bool = True  # UNKNOWN nested inside an argument makes the result UNKNOWN


FUNCTIONS: dict[str, Spec] = {}
# Documented as unavailable in policy rules ("Policy functions" in Microsoft's docs).
EXCLUDED = {
    "copyindex", "datetimeadd", "datetimefromepoch", "datetimetoepoch", "deployment", "environment",
    "extensionresourceid", "lambda", "listaccountsas", "listkeys", "listsecrets", "managementgroup",
    "newguid", "pickzones", "providers", "reference", "resourceid", "subscriptionresourceid",
    "tenantresourceid", "tenant", "variables",
}


def _fn(name: str, min_args: int, max_args: int | None = None, *, scope: bool = False, deep: bool = True):
    def deco(impl: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name.lower()] = Spec(impl, min_args, min_args if max_args is None else max_args, scope, deep)
        return impl

    return deco


VARIADIC = 1 << 30

# Azure fails an evaluation whose strings grow past this many characters (an implicit deny).
MAX_STRING = 131072
# ARM's range(): count is at most 10,000 (template functions, "range").
MAX_RANGE = 10000


def string_limit_message(what: str, length: int) -> str:
    """The evaluation error for a string over Azure's limit."""
    return (f"{what} gave a string of {length:,} characters, over Azure's limit of {MAX_STRING:,} "
            "(the evaluation fails, which Azure treats as non-compliant / an implicit deny)")


# ---------------------------------------------------------------------------------------------
# helpers

def arm_string(value: Any) -> str:
    """Convert a value to text the way ARM's string() does."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def arm_equals(a: Any, b: Any) -> bool:
    """Deep equality of JSON values (ARM equals(): strings compared exactly, keys ignore case)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(arm_equals(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        for k, v in a.items():
            other = ci_get(b, k)
            if other is MISSING or not arm_equals(v, other):
                return False
        return True
    return a is None and b is None


def _need(value: Any, kinds: tuple, fn: str, what: str = "argument") -> Any:
    if isinstance(value, bool) and bool not in kinds:
        raise EvaluationError(f"{fn}(): {what} must be {_kinds(kinds)}, not boolean")
    if not isinstance(value, kinds):
        raise EvaluationError(f"{fn}(): {what} must be {_kinds(kinds)}, not {type_name(value)}")
    return value


def _kinds(kinds: tuple) -> str:
    names = {str: "a string", int: "an integer", float: "a number", list: "an array", dict: "an object", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _int(value: Any, fn: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EvaluationError(f"{fn}(): expected an integer, not {type_name(value)}")
    return int(value)


_DT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def parse_datetime(text: Any) -> datetime | None:
    """Parse an ISO 8601 date/time (up to 7 fractional digits); None when it is not one."""
    if not isinstance(text, str):
        return None
    m = _DT.match(text.strip())
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    micro = int((frac or "0").ljust(7, "0")[:6])
    tzinfo = timezone.utc
    if tz and tz.upper() != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, tzinfo)
    except ValueError:
        return None


def format_datetime(dt: datetime) -> str:
    """Format as `yyyy-MM-ddTHH:mm:ss.fffffffZ` (the policy utcNow() format)."""
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0Z"


_NET_FORMAT = [
    ("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"),
]


def _net_datetime_format(dt: datetime, fmt: str) -> str:
    if fmt == "u":
        return dt.strftime("%Y-%m-%d %H:%M:%SZ")
    if fmt == "d":
        return dt.strftime("%m/%d/%Y")
    if fmt in ("o", "O"):
        return format_datetime(dt)
    out = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "f":
            j = i
            while j < len(fmt) and fmt[j] == "f":
                j += 1
            out.append(f"{dt.microsecond:06d}0"[: j - i])
            i = j
            continue
        for token, code in _NET_FORMAT:
            if fmt.startswith(token, i):
                out.append(dt.strftime(code))
                i += len(token)
                break
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


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


# ---------------------------------------------------------------------------------------------
# arrays and objects

@_fn("array", 1, deep=False)
def _array(v: Any) -> list:
    return v if isinstance(v, list) else [v]


@_fn("createArray", 0, VARIADIC, deep=False)
def _create_array(*items: Any) -> list:
    return list(items)


@_fn("createObject", 0, VARIADIC, deep=False)
def _create_object(*items: Any) -> dict:
    if len(items) % 2:
        raise EvaluationError("createObject(): needs an even number of arguments (key, value pairs)")
    out: dict = {}
    for i in range(0, len(items), 2):
        out[_need(items[i], (str,), "createObject", "a key")] = items[i + 1]
    return out


@_fn("intersection", 2, VARIADIC)
def _intersection(first: Any, *rest: Any) -> Any:
    if isinstance(first, list):
        out = []
        for x in first:
            if all(any(arm_equals(x, y) for y in _need(r, (list,), "intersection")) for r in rest):
                if not any(arm_equals(x, o) for o in out):
                    out.append(x)
        return out
    base = _need(first, (dict,), "intersection")
    result = {}
    for k, v in base.items():
        keep = True
        for r in rest:
            other = ci_get(_need(r, (dict,), "intersection"), k)
            if other is MISSING or not arm_equals(v, other):
                keep = False
                break
        if keep:
            result[k] = v
    return result


@_fn("union", 1, VARIADIC, deep=False)
def _union(first: Any, *rest: Any) -> Any:
    if isinstance(first, list):
        out: list = []
        for arr in (first, *rest):
            for x in _need(arr, (list,), "union"):
                if not any(arm_equals(x, o) for o in out):
                    out.append(x)
        return out
    merged: dict = {}
    for obj in (first, *rest):
        for k, v in _need(obj, (dict,), "union").items():
            existing = next((ek for ek in merged if ek.lower() == k.lower()), None)
            if existing is not None:
                del merged[existing]
            merged[k] = v
    return merged


@_fn("items", 1, deep=False)
def _items(obj: Any) -> list:
    return [{"key": k, "value": v} for k, v in sorted(_need(obj, (dict,), "items").items(), key=lambda kv: kv[0].lower())]


@_fn("objectKeys", 1, deep=False)
def _object_keys(obj: Any) -> list:
    return list(_need(obj, (dict,), "objectKeys").keys())


@_fn("flatten", 1, deep=False)
def _flatten(arr: Any) -> list:
    out: list = []
    for item in _need(arr, (list,), "flatten"):
        out.extend(_need(item, (list,), "flatten", "every member (arrays)"))
    return out


@_fn("shallowMerge", 1, deep=False)
def _shallow_merge(objs: Any) -> dict:
    merged: dict = {}
    for obj in _need(objs, (list,), "shallowMerge"):
        merged.update(_need(obj, (dict,), "shallowMerge", "every member (objects)"))
    return merged


@_fn("indexFromEnd", 2, deep=False)
def _index_from_end(arr: Any, n: Any) -> Any:
    items = _need(arr, (list,), "indexFromEnd")
    k = _int(n, "indexFromEnd")
    if not 1 <= k <= len(items):
        raise EvaluationError(f"indexFromEnd(): index {k} is out of range (length {len(items)})")
    return items[-k]


@_fn("tryIndexFromEnd", 2, deep=False)
def _try_index_from_end(arr: Any, n: Any) -> Any:
    if not isinstance(arr, list):
        return None
    k = _int(n, "tryIndexFromEnd")
    return arr[-k] if 1 <= k <= len(arr) else None


@_fn("range", 2)
def _range(start: Any, count: Any) -> list:
    s, c = _int(start, "range"), _int(count, "range")
    if c > MAX_RANGE:
        raise EvaluationError(f"range(): count {c} is over ARM's limit of {MAX_RANGE:,}")
    if c < 0:
        raise EvaluationError("range(): count must not be negative")
    return list(range(s, s + c))


def _numbers(fn: str, args: tuple) -> list:
    values = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
    if not values:
        raise EvaluationError(f"{fn}(): needs at least one value")
    return [_need(v, (int, float), fn) for v in values]


@_fn("max", 1, VARIADIC)
def _max(*args: Any) -> Any:
    return max(_numbers("max", args))


@_fn("min", 1, VARIADIC)
def _min(*args: Any) -> Any:
    return min(_numbers("min", args))


@_fn("tryGet", 2, VARIADIC, deep=False)
def _try_get(obj: Any, *keys: Any) -> Any:
    cur = obj
    for key in keys:
        if cur is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        if isinstance(cur, dict) and isinstance(key, str):
            cur = ci_get(cur, key)
            if cur is MISSING:
                return None
        elif isinstance(cur, list) and isinstance(key, int) and not isinstance(key, bool):
            if not -len(cur) <= key < len(cur):
                return None
            cur = cur[key]
        else:
            # tryGet(null, 'x') is null (Microsoft's policy linter documents this).
            return None
    return cur


# ---------------------------------------------------------------------------------------------
# comparison and logic

@_fn("equals", 2)
def _equals(a: Any, b: Any) -> bool:
    return arm_equals(a, b)


def _ordered(fn: str, a: Any, b: Any) -> int:
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    raise EvaluationError(f"{fn}(): cannot compare {type_name(a)} with {type_name(b)}")


@_fn("greater", 2)
def _greater(a: Any, b: Any) -> bool:
    return _ordered("greater", a, b) > 0


@_fn("greaterOrEquals", 2)
def _greater_or_equals(a: Any, b: Any) -> bool:
    return _ordered("greaterOrEquals", a, b) >= 0


@_fn("less", 2)
def _less(a: Any, b: Any) -> bool:
    return _ordered("less", a, b) < 0


@_fn("lessOrEquals", 2)
def _less_or_equals(a: Any, b: Any) -> bool:
    return _ordered("lessOrEquals", a, b) <= 0


def _boolean(v: Any, fn: str) -> bool:
    if isinstance(v, bool):
        return v
    raise EvaluationError(f"{fn}(): expected a boolean, not {type_name(v)}")


@_fn("not", 1)
def _not(v: Any) -> bool:
    return not _boolean(v, "not")


@_fn("bool", 1)
def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    if isinstance(v, (int, float)):
        return v != 0
    raise EvaluationError(f"bool(): cannot convert {type_name(v)} {v!r}")


@_fn("true", 0)
def _true() -> bool:
    return True


@_fn("false", 0)
def _false() -> bool:
    return False


@_fn("null", 0)
def _null() -> None:
    return None


# ---------------------------------------------------------------------------------------------
# numbers

@_fn("add", 2)
def _add(a: Any, b: Any) -> int:
    return _int(a, "add") + _int(b, "add")


@_fn("sub", 2)
def _sub(a: Any, b: Any) -> int:
    return _int(a, "sub") - _int(b, "sub")


@_fn("mul", 2)
def _mul(a: Any, b: Any) -> int:
    return _int(a, "mul") * _int(b, "mul")


@_fn("div", 2)
def _div(a: Any, b: Any) -> int:
    d = _int(b, "div")
    if d == 0:
        raise EvaluationError("div(): division by zero")
    n = _int(a, "div")
    q = abs(n) // abs(d)
    return q if (n >= 0) == (d > 0) else -q  # truncate toward zero like .NET


@_fn("mod", 2)
def _mod(a: Any, b: Any) -> int:
    d = _int(b, "mod")
    if d == 0:
        raise EvaluationError("mod(): division by zero")
    n = _int(a, "mod")
    return n - d * _div(n, d)


@_fn("int", 1)
def _to_int(v: Any) -> int:
    if isinstance(v, bool):
        raise EvaluationError("int(): cannot convert a boolean")
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            raise EvaluationError(f"int(): {v!r} is not an integer") from None
    raise EvaluationError(f"int(): cannot convert {type_name(v)}")


@_fn("float", 1)
def _to_float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise EvaluationError(f"float(): cannot convert {type_name(v)}")
    try:
        return float(v)
    except ValueError:
        raise EvaluationError(f"float(): {v!r} is not a number") from None


# ---------------------------------------------------------------------------------------------
# dates

@_fn("utcNow", 0, 1, scope=True)
def _utc_now(scope: Any, fmt: Any = None) -> str:
    now = scope.now if scope.now.tzinfo else scope.now.replace(tzinfo=timezone.utc)
    if fmt is None:
        return format_datetime(now)
    return _net_datetime_format(now.astimezone(timezone.utc), _need(fmt, (str,), "utcNow"))


@_fn("addDays", 2)
def _add_days(dt: Any, days: Any) -> str:
    parsed = parse_datetime(dt)
    if parsed is None:
        raise EvaluationError(f"addDays(): {dt!r} is not an ISO 8601 date/time")
    try:
        return format_datetime(parsed + timedelta(days=_int(days, "addDays")))
    except OverflowError:
        raise EvaluationError("addDays(): date out of range") from None


# ---------------------------------------------------------------------------------------------
# scope: subscription, resource group, request context, policy

@_fn("subscription", 0, scope=True, deep=False)
def _subscription(scope: Any) -> Any:
    return scope.subscription


@_fn("resourceGroup", 0, scope=True, deep=False)
def _resource_group(scope: Any) -> Any:
    rg = scope.resource_group
    if rg is None:
        rid = scope.resource.get("id") if isinstance(scope.resource, dict) else None
        if isinstance(rid, str) and rid.lower().startswith("/subscriptions/"):
            raise EvaluationError("resourceGroup() is not available: the resource is not in a resource group")
        # No id (a planned resource): which group it lands in is not known here.
        scope.note_unknown("resourceGroup() is unknown: the resource has no id naming its resource group "
                           "and no context gives one")
        return UNKNOWN
    return rg


@_fn("requestContext", 0, scope=True, deep=False)
def _request_context(scope: Any) -> Any:
    return scope.request_context


@_fn("policy", 0, scope=True, deep=False)
def _policy(scope: Any) -> Any:
    return scope.policy


def _ip_range(text: Any) -> tuple[int, int, int]:
    import ipaddress

    if not isinstance(text, str) or not text.strip():
        raise EvaluationError(f"ipRangeContains(): {text!r} is not an IP range")
    t = text.strip()
    try:
        if "-" in t:
            lo_s, hi_s = (p.strip() for p in t.split("-", 1))
            lo, hi = ipaddress.ip_address(lo_s), ipaddress.ip_address(hi_s)
            if lo.version != hi.version or int(lo) > int(hi):
                raise ValueError("bad range")
            return lo.version, int(lo), int(hi)
        net = ipaddress.ip_network(t, strict=False)
        return net.version, int(net.network_address), int(net.broadcast_address)
    except ValueError:
        raise EvaluationError(f"ipRangeContains(): {text!r} is not an IP address, CIDR or range") from None


@_fn("ipRangeContains", 2)
def _ip_range_contains(rng: Any, target: Any) -> bool:
    v1, lo1, hi1 = _ip_range(rng)
    v2, lo2, hi2 = _ip_range(target)
    if v1 != v2:
        raise EvaluationError("ipRangeContains(): cannot mix IPv4 and IPv6")
    return lo1 <= lo2 and hi2 <= hi1


# ---------------------------------------------------------------------------------------------
# compilation

_ERRORS = (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError, AttributeError, OverflowError, UnicodeError)


def _err(node: Call, text: str, message: str) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(message, node.column, text)


# True while a deployment template (not a policy rule) is being compiled: deployment-time functions
# (generator.engine.template_functions) exist only there, and policy-only ones (field()...) do not.
TEMPLATE_MODE: ContextVar[bool] = ContextVar("clausegate_template_mode", default=False)


def compile_call(node: Call, text: str) -> Callable[[Any], Any]:
    """Compile a function call node to a closure of the scope."""
    if TEMPLATE_MODE.get():
        from generator.engine.template_functions import compile_template_call

        compiled = compile_template_call(node, text)
        if compiled is not None:
            return compiled
    name = node.name.lower()
    nargs = len(node.args)
    if name in EXCLUDED:
        raise _err(node, text, f"function {node.name}() is not available in policy rules")
    if name in _SPECIAL_COMPILERS:
        return _SPECIAL_COMPILERS[name](node, text)
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise _err(node, text, f"unknown function {node.name}()")
    if nargs < spec.min_args or nargs > (spec.max_args or 0):
        raise _err(node, text, f"{node.name}() takes {_arity(spec)} argument(s), got {nargs}")
    argfs = [compile_node(a, text) for a in node.args]
    impl, needs_scope, deep, fname = spec.impl, spec.needs_scope, spec.deep_unknown, node.name

    def call(scope: Any) -> Any:
        vals = [f(scope) for f in argfs]
        for v in vals:
            if v is UNKNOWN:
                return UNKNOWN
            if deep and isinstance(v, (list, dict)) and has_unknown(v):
                return UNKNOWN
        try:
            out = impl(scope, *vals) if needs_scope else impl(*vals)
        except EvaluationError:
            raise
        except _ERRORS as exc:
            raise EvaluationError(f"{fname}(): {exc}") from None
        if type(out) is str and len(out) > MAX_STRING:
            raise EvaluationError(string_limit_message(f"{fname}()", len(out)))
        return out

    return call


def _arity(spec: Spec) -> str:
    if spec.max_args is None or spec.max_args >= VARIADIC:
        return f"at least {spec.min_args}"
    if spec.min_args == spec.max_args:
        return str(spec.min_args)
    return f"{spec.min_args} to {spec.max_args}"


def _check_args(node: Call, text: str, lo: int, hi: int) -> None:
    if not lo <= len(node.args) <= hi:
        want = str(lo) if lo == hi else (f"at least {lo}" if hi >= VARIADIC else f"{lo} to {hi}")
        raise _err(node, text, f"{node.name}() takes {want} argument(s), got {len(node.args)}")


def _compile_if(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 3, 3)
    cond, yes, no = (compile_node(a, text) for a in node.args)

    def f(scope: Any) -> Any:
        c = cond(scope)
        if c is True:
            return yes(scope)
        if c is False:
            return no(scope)
        if c is UNKNOWN:
            # Either branch may apply; the result is known only when both agree.
            try:
                a, b = yes(scope), no(scope)
            except EvaluationError:
                return UNKNOWN
            if a is not UNKNOWN and b is not UNKNOWN and not has_unknown(a) and not has_unknown(b) and arm_equals(a, b) and type(a) is type(b):
                return a
            return UNKNOWN
        raise EvaluationError(f"if(): the condition must be a boolean, not {type_name(c)}")

    return f


def _compile_coalesce(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 1, VARIADIC)
    argfs = [compile_node(a, text) for a in node.args]

    def f(scope: Any) -> Any:
        for a in argfs:
            v = a(scope)
            if v is UNKNOWN:
                return UNKNOWN  # it might be null or not: the result is not known
            if v is not None:
                return v
        return None

    return f


def _compile_logic(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 1, VARIADIC)
    argfs = [compile_node(a, text) for a in node.args]
    is_and = node.name.lower() == "and"
    decisive = not is_and  # `and` stops at False, `or` at True

    def f(scope: Any) -> Any:
        unknown = False
        for a in argfs:
            v = a(scope)
            if v is UNKNOWN:
                unknown = True
                continue
            if not isinstance(v, bool):
                raise EvaluationError(f"{node.name}(): expected booleans, got {type_name(v)}")
            if v is decisive:
                return decisive
        return UNKNOWN if unknown else (not decisive)

    return f


def _literal_arg(node: Call) -> str | None:
    if len(node.args) == 1 and isinstance(node.args[0], Literal) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _compile_field(node: Call, text: str) -> Callable[[Any], Any]:
    from generator.engine.fields import compile_field
    from generator.errors import PolicyCompileError

    _check_args(node, text, 1, 1)
    name = _literal_arg(node)
    if name is not None:
        try:
            ref = compile_field(name, "")
        except PolicyCompileError as exc:
            raise _err(node, text, exc.message) from None
        return ref.value
    argf = compile_node(node.args[0], text)
    cache: dict[str, Any] = {}

    def f(scope: Any) -> Any:
        n = argf(scope)
        if n is UNKNOWN:
            return UNKNOWN
        if not isinstance(n, str) or not n:
            raise EvaluationError(f"field(): expected a field name, not {n!r}")
        ref = cache.get(n)
        if ref is None:
            try:
                ref = compile_field(n, "")
            except PolicyCompileError as exc:
                raise EvaluationError(f"field(): {exc.message}") from None
            cache[n] = ref
        return ref.value(scope)

    return f


def _compile_parameters(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 1, 1)
    name = _literal_arg(node)
    argf = None if name is not None else compile_node(node.args[0], text)

    def f(scope: Any) -> Any:
        n = name if argf is None else argf(scope)
        if n is UNKNOWN:
            return UNKNOWN
        if not isinstance(n, str):
            raise EvaluationError(f"parameters(): expected a parameter name, not {n!r}")
        params = scope.parameters
        v = params.get(n, MISSING)
        if v is MISSING:
            v = ci_get(params, n)
            if v is MISSING:
                raise EvaluationError(f"parameter {n!r} has no value (not assigned and no defaultValue)")
        return v

    return f


def _compile_current(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 0, 1)
    if not node.args:
        def f0(scope: Any) -> Any:
            if not scope.frames:
                raise EvaluationError("current() is used outside a count expression")
            return scope.frames[-1].value

        return f0
    name = _literal_arg(node)
    argf = None if name is not None else compile_node(node.args[0], text)

    def f(scope: Any) -> Any:
        from generator.engine.conditions import current_value

        n = name if argf is None else argf(scope)
        if n is UNKNOWN:
            return UNKNOWN
        if not isinstance(n, str):
            raise EvaluationError(f"current(): expected an index name or alias, not {n!r}")
        return current_value(scope, n)

    return f


_SPECIAL_COMPILERS: dict[str, Callable[[Call, str], Callable[[Any], Any]]] = {
    "if": _compile_if,
    "coalesce": _compile_coalesce,
    "and": _compile_logic,
    "or": _compile_logic,
    "field": _compile_field,
    "parameters": _compile_parameters,
    "current": _compile_current,
}


def function_names() -> list[str]:
    """All function names the engine knows (lower-case)."""
    return sorted(set(FUNCTIONS) | set(_SPECIAL_COMPILERS))


def describe(node: Call) -> str:
    """Source text of a call node (for messages)."""
    return to_source(node)


# Reads of the scope that stay the same for every resource evaluated under one (parameters,
# subscription, resource group): see context_only().
_CONTEXT_READS = {"parameters", "subscription", "resourcegroup", "coalesce", "if", "and", "or"}


def context_only(node: Any) -> bool:
    """True when an expression reads nothing but parameters(), subscription(), resourceGroup() and
    pure functions of them -- no field(), current(), requestContext(), policy() or utcNow() -- so
    its value is the same for every resource evaluated with the same three objects."""
    from generator.engine.expressions import Literal, Member

    if isinstance(node, Literal):
        return True
    if isinstance(node, Member):
        return context_only(node.target) and context_only(node.key)
    if isinstance(node, Call):
        name = node.name.lower()
        if name not in _CONTEXT_READS:
            spec = FUNCTIONS.get(name)
            if spec is None or spec.needs_scope or name in EXCLUDED:
                return False
        return all(context_only(a) for a in node.args)
    return False
