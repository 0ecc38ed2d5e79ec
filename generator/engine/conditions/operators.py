"""The 19 condition operators (equals, like, match, in, contains, less, exists ...) and how one is applied."""

from __future__ import annotations

import re
from typing import Any, Callable

from generator.engine.expressions import type_name
from generator.engine.values import MISSING, UNKNOWN, EvaluationError, has_unknown


# ---------------------------------------------------------------------------------------------
# operators

def _text(v: Any) -> str | None:
    """Scalar as comparable text (lower-case); None for arrays/objects."""
    if isinstance(v, str):
        return v.lower()
    if v is None or v is MISSING:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return None


def _eq(a: Any, b: Any) -> bool:
    """Policy-condition equality: strings ignore case; scalars compare as text across types."""
    if isinstance(a, str) and isinstance(b, str):
        return a == b or a.lower() == b.lower()
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        lower_b = {str(k).lower(): v for k, v in b.items()}
        return all(str(k).lower() in lower_b and _eq(v, lower_b[str(k).lower()]) for k, v in a.items())
    if isinstance(b, (list, dict)):
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return a == b
    ta, tb = _text(a), _text(b)
    return ta == tb


def _norm_location(v: Any) -> Any:
    if isinstance(v, str):
        return v.replace(" ", "").lower()
    if isinstance(v, list):
        return [_norm_location(x) for x in v]
    return v


def _op_equals(left: Any, right: Any) -> bool:
    return _eq("" if left is None else left, right)


def _op_not_equals(left: Any, right: Any) -> bool:
    return not _op_equals(left, right)


def _need_array(right: Any, op: str) -> list:
    if not isinstance(right, list):
        raise EvaluationError(f"'{op}' needs an array value, got {type_name(right)}")
    return right


def _op_in(left: Any, right: Any) -> bool:
    items = _need_array(right, "in")
    left = "" if left is None else left
    return any(_eq(left, x) for x in items)


def _op_not_in(left: Any, right: Any) -> bool:
    items = _need_array(right, "notIn")
    left = "" if left is None else left
    return not any(_eq(left, x) for x in items)


def _op_contains(left: Any, right: Any) -> bool:
    if isinstance(left, list):
        return any(_eq(x, right) for x in left)
    if isinstance(left, dict):
        t = _text(right)
        return t is not None and any(str(k).lower() == t for k in left)
    lt, rt = _text(left), _text(right)
    if rt is None:
        raise EvaluationError(f"'contains' needs a string value, got {type_name(right)}")
    return rt in lt  # type: ignore[operator]


def _op_not_contains(left: Any, right: Any) -> bool:
    return not _op_contains(left, right)


def _op_contains_key(left: Any, right: Any) -> bool:
    if not isinstance(right, str):
        raise EvaluationError(f"'containsKey' needs a string key, got {type_name(right)}")
    if not isinstance(left, dict):
        return False
    low = right.lower()
    return any(isinstance(k, str) and k.lower() == low for k in left)


def _op_not_contains_key(left: Any, right: Any) -> bool:
    return not _op_contains_key(left, right)


_MATCH_CACHE: dict[tuple[str, bool], re.Pattern] = {}
_LIKE_CACHE: dict[str, tuple[str, ...]] = {}


def like_matches(pattern: str, text: str) -> bool:
    """`like`: `*` is any run of characters, the rest literal, case ignored.

    Matched in linear time without a regex (split on `*`, then prefix, suffix and left-most
    finds), so a pattern of many `*` cannot backtrack catastrophically on a long string.
    """
    parts = _LIKE_CACHE.get(pattern)
    if parts is None:
        parts = tuple(pattern.lower().split("*"))
        if len(_LIKE_CACHE) < 4096:
            _LIKE_CACHE[pattern] = parts
    text = text.lower()
    if len(parts) == 1:
        return text == parts[0]
    first, last = parts[0], parts[-1]
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    pos, end = len(first), len(text) - len(last)
    for mid in parts[1:-1]:
        if mid:
            i = text.find(mid, pos, end)
            if i < 0:
                return False
            pos = i + len(mid)
    return True


def match_pattern(pattern: str, insensitive: bool) -> re.Pattern:
    """Regex for `match`: `#` a digit, `?` a letter, `.` any character, the rest literal.

    Every token matches exactly one character (no quantifiers), so matching is linear.
    """
    key = (pattern, insensitive)
    rx = _MATCH_CACHE.get(key)
    if rx is None:
        parts = []
        for ch in pattern:
            if ch == "#":
                parts.append("[0-9]")
            elif ch == "?":
                parts.append("[^\\W\\d_]")
            elif ch == ".":
                parts.append(".")
            else:
                parts.append(re.escape(ch))
        rx = re.compile("".join(parts), (re.IGNORECASE if insensitive else 0) | re.DOTALL)
        if len(_MATCH_CACHE) < 4096:
            _MATCH_CACHE[key] = rx
    return rx


def _subject_text(left: Any, op: str) -> str | None:
    if isinstance(left, str):
        return left
    if left is None or left is MISSING:
        return ""
    if isinstance(left, (list, dict)):
        return None
    return _text(left)


def _pattern(right: Any, op: str) -> str:
    if not isinstance(right, str):
        raise EvaluationError(f"'{op}' needs a string pattern, got {type_name(right)}")
    return right


def _op_like(left: Any, right: Any) -> bool:
    s = _subject_text(left, "like")
    return s is not None and like_matches(_pattern(right, "like"), s)


def _op_not_like(left: Any, right: Any) -> bool:
    return not _op_like(left, right)


def _op_match(left: Any, right: Any) -> bool:
    s = _subject_text(left, "match")
    p = _pattern(right, "match")
    return s is not None and len(s) == len(p) and match_pattern(p, False).fullmatch(s) is not None


def _op_not_match(left: Any, right: Any) -> bool:
    return not _op_match(left, right)


def _op_match_i(left: Any, right: Any) -> bool:
    s = _subject_text(left, "matchInsensitively")
    p = _pattern(right, "matchInsensitively")
    return s is not None and len(s) == len(p) and match_pattern(p, True).fullmatch(s) is not None


def _op_not_match_i(left: Any, right: Any) -> bool:
    return not _op_match_i(left, right)


def _compare(left: Any, right: Any, op: str) -> int | None:
    """-1/0/1 for ordering operators; None when the left side is null (no match)."""
    if left is None or left is MISSING:
        # A missing property is not ordered against anything: the condition is false rather
        # than an error, so unguarded `less` on an absent property does not deny everything.
        return None
    num = (int, float)
    lnum = isinstance(left, num) and not isinstance(left, bool)
    rnum = isinstance(right, num) and not isinstance(right, bool)
    if lnum and rnum:
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str):
        from generator.engine.functions import parse_datetime

        if left[:4].isdigit() and right[:4].isdigit():
            dl, dr = parse_datetime(left), parse_datetime(right)
            if dl is not None and dr is not None:
                return (dl > dr) - (dl < dr)
        a, b = left.lower(), right.lower()
        return (a > b) - (a < b)
    # "If the property type doesn't match the condition type, an error is thrown" (policy rule
    # structure, "Conditions"): a number is not ordered against a string such as "1", and so on.
    raise EvaluationError(f"'{op}' cannot order {_describe(left)} against {_describe(right)}: the types differ, "
                          "and Azure throws an error when the property type doesn't match the condition type "
                          "(policy rule structure, 'Conditions')")


def _describe(v: Any) -> str:
    """Type and (short) value, for messages that say what was compared."""
    import json

    try:
        text = json.dumps(v, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(v)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type_name(v)} {text}"


def _op_less(left: Any, right: Any) -> bool:
    c = _compare(left, right, "less")
    return c is not None and c < 0


def _op_less_or_equals(left: Any, right: Any) -> bool:
    c = _compare(left, right, "lessOrEquals")
    return c is not None and c <= 0


def _op_greater(left: Any, right: Any) -> bool:
    c = _compare(left, right, "greater")
    return c is not None and c > 0


def _op_greater_or_equals(left: Any, right: Any) -> bool:
    c = _compare(left, right, "greaterOrEquals")
    return c is not None and c >= 0


def _exists_flag(right: Any) -> bool:
    if isinstance(right, bool):
        return right
    if isinstance(right, str) and right.lower() in ("true", "false"):
        return right.lower() == "true"
    raise EvaluationError(f"'exists' needs true or false, got {right!r}")


def _op_exists(left: Any, right: Any) -> bool:
    return (left is not None and left is not MISSING) == _exists_flag(right)


# canonical name -> (function, left side may be a container that must be fully known)
OPERATORS: dict[str, tuple[Callable[[Any, Any], bool], bool]] = {
    "equals": (_op_equals, True),
    "notEquals": (_op_not_equals, True),
    "like": (_op_like, False),
    "notLike": (_op_not_like, False),
    "match": (_op_match, False),
    "matchInsensitively": (_op_match_i, False),
    "notMatch": (_op_not_match, False),
    "notMatchInsensitively": (_op_not_match_i, False),
    "contains": (_op_contains, True),
    "notContains": (_op_not_contains, True),
    "in": (_op_in, True),
    "notIn": (_op_not_in, True),
    "containsKey": (_op_contains_key, False),
    "notContainsKey": (_op_not_contains_key, False),
    "less": (_op_less, False),
    "lessOrEquals": (_op_less_or_equals, False),
    "greater": (_op_greater, False),
    "greaterOrEquals": (_op_greater_or_equals, False),
    "exists": (_op_exists, False),
}
_OP_BY_LOWER = {k.lower(): k for k in OPERATORS}
MAX_STRING = 131072  # functions.MAX_STRING: Azure's limit on an evaluated string


def apply_operator(op: str, left: Any, right: Any) -> Any:
    """Apply a (canonical) operator to a single left value; UNKNOWN in, UNKNOWN out."""
    fn, deep = OPERATORS[op]
    return _apply(fn, deep, op, left, right)


def _apply(fn: Callable[[Any, Any], bool], deep: bool, op: str, left: Any, right: Any) -> Any:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if deep and isinstance(left, (list, dict)) and has_unknown(left):
        return UNKNOWN
    if isinstance(right, (list, dict)) and has_unknown(right):
        return UNKNOWN
    if right is None and op != "exists":
        raise EvaluationError(f"the value of '{op}' is null")
    if (type(left) is str and len(left) > MAX_STRING) or (type(right) is str and len(right) > MAX_STRING):
        from generator.engine.functions import string_limit_message

        big = left if type(left) is str and len(left) > MAX_STRING else right
        raise EvaluationError(string_limit_message(f"the '{op}' condition", len(big)))
    return fn(left, right)
