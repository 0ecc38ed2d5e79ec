"""Policy rule conditions: compile once (`compile_condition`), evaluate many (`Condition.evaluate`).

Semantics follow Microsoft's "policy definition structure: policy rule" and "author policies for
array properties" pages: logical operators, field / value / count conditions and 19 operators,
case-insensitive string comparison except match/notMatch, `[*]` aliases meaning "every selected
value" (an empty selection satisfies the condition), three-valued results with UNKNOWN.

Choices where the documentation is silent (each has a test):
- a null/missing left side compares as '' for the string operators; `less`/`greater`... on it are
  false (not an error); a numeric string orders against a number as a number; other type mixes
  in ordering operators fail the evaluation, as does a null operator value;
- `obj.key` / `obj['key']` on a missing key reads as '' (see expressions.member_access); tryGet
  gives null;
- scalars compare across types as text (`true` equals "True", 42 equals "42"), as Microsoft's
  own examples (`"equals": "true"` on a boolean function) require;
- a count whose `where` is UNKNOWN for some members is decided when every possible count gives
  the same outcome, else UNKNOWN.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from generator.engine.aliases import STAR
from generator.engine.expressions import (
    ExpressionSyntaxError,
    compile_node,
    is_expression,
    parse_expression,
    type_name,
    unescape_literal,
)
from generator.engine.fields import SLOW, Collection, FieldRef, collect, compile_field, walk
from generator.engine.scope import Scope, TraceEntry
from generator.engine.values import MISSING, UNKNOWN, EvaluationError, Unknown, has_unknown
from generator.errors import PolicyCompileError

__all__ = [
    "required_types",
    "type_guard",
    "Condition",
    "CompiledValue",
    "compile_condition",
    "compile_value",
    "OPERATORS",
    "current_value",
]



# ---------------------------------------------------------------------------------------------
# values

class CompiledValue:
    """A literal or `[expr]` value, compiled; `source` is the text as written."""

    __slots__ = ("source", "is_literal", "literal", "_fn", "pointer")

    def __init__(self, source: Any, literal: Any = None, fn: Callable[[Any], Any] | None = None, pointer: str = "") -> None:
        self.source = source
        self.is_literal = fn is None
        self.literal = literal
        self._fn = fn
        self.pointer = pointer

    def evaluate(self, scope: Any) -> Any:
        """The value in this scope (UNKNOWN possible); raises EvaluationError."""
        if self._fn is None:
            return self.literal
        return self._fn(scope)

    def __repr__(self) -> str:
        return f"CompiledValue({self.source!r})"


def compile_value(value: Any, pointer: str) -> CompiledValue:
    """Compile a literal or `[expr]` string (also inside arrays/objects); raises PolicyCompileError."""
    fn = _compile_value_fn(value, pointer)
    if fn is None:
        return CompiledValue(value, _unescape_all(value), None, pointer)
    return CompiledValue(value, None, fn, pointer)


def _context_only(value: Any) -> bool:
    """True when a value as written (literal or `[expr]`, also nested) reads only parameters,
    subscription() and resourceGroup() (functions.context_only)."""
    from generator.engine.functions import context_only

    if isinstance(value, str):
        if not is_expression(value):
            return True
        try:
            return context_only(parse_expression(value))
        except (ExpressionSyntaxError, RecursionError):
            return False
    if isinstance(value, list):
        return all(_context_only(v) for v in value)
    if isinstance(value, dict):
        return all(_context_only(v) for v in value.values())
    return True


def compile_expression(text: str, pointer: str) -> Callable[[Any], Any]:
    """Parse and compile one `[expr]` string; errors name the pointer and the column."""
    try:
        node = parse_expression(text)
        return compile_node(node, text)
    except ExpressionSyntaxError as exc:
        err = PolicyCompileError(f"invalid expression {text!r}: {exc.message} at column {exc.column}", pointer=pointer)
        err.column = exc.column  # type: ignore[attr-defined]
        raise err from None
    except RecursionError:
        raise PolicyCompileError(f"expression nested too deeply: {text[:80]!r}", pointer=pointer) from None


def _compile_value_fn(value: Any, pointer: str) -> Callable[[Any], Any] | None:
    if isinstance(value, str):
        return compile_expression(value, pointer) if is_expression(value) else None
    if isinstance(value, list):
        fns = [_compile_value_fn(v, f"{pointer}/{i}") for i, v in enumerate(value)]
        if all(f is None for f in fns):
            return None
        lits = [_unescape_all(v) for v in value]
        parts = [(f, lit) for f, lit in zip(fns, lits)]
        return lambda scope: [f(scope) if f is not None else lit for f, lit in parts]
    if isinstance(value, dict):
        items = [(k, _compile_value_fn(v, f"{pointer}/{_esc(k)}"), _unescape_all(v)) for k, v in value.items()]
        if all(f is None for _, f, _ in items):
            return None
        return lambda scope: {k: (f(scope) if f is not None else lit) for k, f, lit in items}
    return None


def _unescape_all(value: Any) -> Any:
    if isinstance(value, str):
        return unescape_literal(value)
    if isinstance(value, list):
        return [_unescape_all(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescape_all(v) for k, v in value.items()}
    return value


def _esc(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


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


# ---------------------------------------------------------------------------------------------
# conditions

class Condition:
    """A compiled condition; `evaluate(scope)` returns True, False or UNKNOWN."""

    __slots__ = ("pointer",)

    def evaluate(self, scope: Scope) -> Any:  # pragma: no cover - abstract
        """Evaluate in the scope; raises EvaluationError when the evaluation fails."""
        raise NotImplementedError


class AllOf(Condition):
    """`allOf`: False as soon as a member is False; UNKNOWN if any member is UNKNOWN."""

    __slots__ = ("children",)

    def __init__(self, children: list[Condition], pointer: str) -> None:
        self.children = tuple(children)
        self.pointer = pointer

    def evaluate(self, scope: Scope) -> Any:
        """Evaluate members in order with short-circuit on False."""
        unknown = False
        for child in self.children:
            r = child.evaluate(scope)
            if r is False:
                return False
            if r is UNKNOWN:
                unknown = True
        return UNKNOWN if unknown else True


class AnyOf(Condition):
    """`anyOf`: True as soon as a member is True; UNKNOWN if any member is UNKNOWN."""

    __slots__ = ("children",)

    def __init__(self, children: list[Condition], pointer: str) -> None:
        self.children = tuple(children)
        self.pointer = pointer

    def evaluate(self, scope: Scope) -> Any:
        """Evaluate members in order with short-circuit on True."""
        unknown = False
        for child in self.children:
            r = child.evaluate(scope)
            if r is True:
                return True
            if r is UNKNOWN:
                unknown = True
        return UNKNOWN if unknown else False


class Not(Condition):
    """`not`: inverts; not UNKNOWN is UNKNOWN."""

    __slots__ = ("child",)

    def __init__(self, child: Condition, pointer: str) -> None:
        self.child = child
        self.pointer = pointer

    def evaluate(self, scope: Scope) -> Any:
        """Invert the child's result."""
        r = self.child.evaluate(scope)
        if r is UNKNOWN:
            return UNKNOWN
        return not r


_PARAMETER_REF = re.compile(r"^\[\s*parameters\s*\(\s*'([^']*)'\s*\)\s*\]$", re.IGNORECASE)


class _Leaf(Condition):
    __slots__ = ("op", "fn", "deep", "rhs", "rhs_literal", "rhs_is_literal", "location", "members", "negate_in",
                 "rhs_param", "eq_lower")

    def _setup(self, op: str, rhs: CompiledValue, location: bool) -> None:
        self.op = op
        self.fn, self.deep = OPERATORS[op]
        self.rhs = rhs
        self.rhs_is_literal = rhs.is_literal
        self.location = location
        lit = rhs.literal if rhs.is_literal else None
        self.rhs_literal = _norm_location(lit) if location else lit
        # in / notIn: per array (a literal, or a parameter value: the same object for every
        # resource a plan evaluates) a cached set of its comparable texts; see _member_info.
        # Other expressions build a new array each time: they keep the generic comparison.
        ref = None if rhs.is_literal else _PARAMETER_REF.match(str(rhs.source))
        self.members: dict[int, tuple] | None = {} if op in ("in", "notIn") and (rhs.is_literal or ref) else None
        # `[parameters('name')]`: read scope.parameters directly (the expression does the same lookup).
        self.rhs_param: str | None = ref.group(1) if ref else None
        self.negate_in = op == "notIn"
        # equals / notEquals a literal string: a string left side compares by lower-case text
        # (the same outcome as _apply); the usual where-condition of a count, so kept cheap.
        self.eq_lower: str | None = (lit.lower() if op in ("equals", "notEquals") and type(lit) is str
                                     and not location else None)

    def _right(self, scope: Scope) -> Any:
        if self.rhs_is_literal:
            return self.rhs_literal
        v = self.rhs.evaluate(scope)
        return _norm_location(v) if self.location else v

    def _right_info(self, scope: Scope) -> tuple[Any, tuple | None]:
        """For in / notIn: the operator value (as _right gives it) and, when it is an array, its
        cached (array, value, has UNKNOWN, texts) entry."""
        if self.rhs_is_literal:
            raw = self.rhs_literal
        else:
            raw = MISSING if self.rhs_param is None else scope.parameters.get(self.rhs_param, MISSING)
            if raw is MISSING:  # another spelling, or no such parameter: the expression decides (or fails)
                raw = self.rhs.evaluate(scope)
        if type(raw) is not list:
            return (_norm_location(raw) if self.location and not self.rhs_is_literal else raw), None
        info = self.members.get(id(raw))  # type: ignore[union-attr]
        if info is None or info[0] is not raw:
            info = self._member_info(raw)
        return info[1], info

    def _member_info(self, raw: list) -> tuple:
        # Operator values are never mutated during evaluation (literals are compiled once, parameter
        # values belong to the plan), so an array is analysed once. The entry holds the array, so
        # its id cannot be reused while the entry lives.
        right = _norm_location(raw) if self.location and not self.rhs_is_literal else raw
        unknown = has_unknown(right)
        # For a string (or null, i.e. '') left side, _eq(left, x) is exactly
        # left.lower() == _text(x) for every scalar x; arrays and objects never equal a string.
        texts = frozenset(t for t in (_text(x) for x in right if not isinstance(x, (list, dict))) if t is not None)
        info = (raw, right, unknown, texts)
        members = self.members
        assert members is not None
        if len(members) >= 64:
            members.clear()
        members[id(raw)] = info
        return info

    def _fail(self, scope: Scope, exc: EvaluationError, kind: str, subject: str, actual: Any) -> None:
        if exc.pointer is None:
            exc.pointer = self.pointer
        if not getattr(exc, "subject", None):
            # Say what was compared (the innermost condition that failed names it once).
            exc.subject = subject  # type: ignore[attr-defined]
            exc.message = f"{subject}: {exc.message}"
        if scope.trace is not None:
            scope.trace.append(TraceEntry(self.pointer, kind, subject, self.op, self.rhs.source, actual, None, "error"))


class FieldCondition(_Leaf):
    """`{"field": ..., "<operator>": ...}`; `[*]` fields hold only if every selected value does."""

    __slots__ = ("ref",)

    def __init__(self, ref: FieldRef, op: str, rhs: CompiledValue, pointer: str) -> None:
        self.ref = ref
        self.pointer = pointer
        self._setup(op, rhs, ref.is_location)

    def evaluate(self, scope: Scope) -> Any:
        """Compare the selected value(s) with the operator value."""
        left: Any = None
        try:
            left = SLOW
            if scope.frames and self.ref.collection and self.ref.kind == "alias" and scope.trace is None:
                left = self.ref.member_value(scope)  # the usual where-condition of a field count
            if left is SLOW:
                left = self.ref.select(scope)
            info = None
            if self.members is not None:
                right, info = self._right_info(scope)
            else:
                right = self._right(scope)
            fn, deep, op = self.fn, self.deep, self.op
            if isinstance(left, Collection):
                result: Any = True
                eq = self.eq_lower
                for item in left:
                    if item is MISSING:
                        item = None
                    if eq is not None and type(item) is str and len(item) <= MAX_STRING:
                        r = (item.lower() == eq) != (op == "notEquals")
                    elif info is not None and (item is None or type(item) is str):
                        # Same outcome as _apply(in/notIn), from the cached texts.
                        r = UNKNOWN if info[2] else (
                            (("" if item is None else item.lower()) in info[3]) != self.negate_in)
                    else:
                        r = _apply(fn, deep, op, item, right)
                    if r is False:
                        result = False
                        break
                    if r is UNKNOWN:
                        result = UNKNOWN
                if result is True and not left.exact:
                    result = UNKNOWN
            else:
                if op == "exists":
                    result = _apply(fn, deep, op, left, right)
                else:
                    if left is MISSING:
                        left = None
                    elif self.location:
                        left = _norm_location(left)
                    if self.eq_lower is not None and type(left) is str and len(left) <= MAX_STRING:
                        result = (left.lower() == self.eq_lower) != (op == "notEquals")
                    elif info is not None and (left is None or type(left) is str):
                        result = UNKNOWN if info[2] else (
                            (("" if left is None else left.lower()) in info[3]) != self.negate_in)
                    else:
                        result = _apply(fn, deep, op, left, right)
        except EvaluationError as exc:
            self._fail(scope, exc, "field", self.ref.text, _plain(left))
            raise
        if scope.trace is not None:
            scope.trace.append(
                TraceEntry(self.pointer, "field", self.ref.text, self.op, self.rhs.source, _plain(left), right, result)
            )
        return result


class TypeEquals(Condition):
    """Fast path for `{"field": "type", "equals"|"notEquals": "<literal>"}` (the usual first test)."""

    __slots__ = ("lit", "negate", "source")

    def __init__(self, lit: str, negate: bool, source: str, pointer: str) -> None:
        self.lit = lit.lower()
        self.negate = negate
        self.source = source
        self.pointer = pointer

    def evaluate(self, scope: Scope) -> Any:
        """Compare the resource type ignoring case."""
        t = scope.resource.get("type", MISSING)
        if t is MISSING:
            from generator.engine.values import ci_get

            t = ci_get(scope.resource, "type")
        if t is UNKNOWN:
            result: Any = UNKNOWN
        elif isinstance(t, str):
            result = (t.lower() == self.lit) != self.negate
        else:
            result = ("" == self.lit if t is None or t is MISSING else False) != self.negate
        if scope.trace is not None:
            scope.trace.append(
                TraceEntry(
                    self.pointer, "field", "type", "notEquals" if self.negate else "equals",
                    self.source, _plain(t), self.source, result,
                )
            )
        return result


class ValueCondition(_Leaf):
    """`{"value": ..., "<operator>": ...}`."""

    __slots__ = ("lhs", "memo")

    def __init__(self, lhs: CompiledValue, op: str, rhs: CompiledValue, pointer: str) -> None:
        self.lhs = lhs
        self.pointer = pointer
        self._setup(op, rhs, False)
        # Both sides read only parameters / subscription() / resourceGroup(): the outcome is the
        # same for every resource of a subscription and group, so remember it (see evaluate).
        self.memo: dict[tuple[int, int, int], tuple] | None = (
            {} if _context_only(lhs.source) and _context_only(rhs.source) else None)

    def evaluate(self, scope: Scope) -> Any:
        """Compare the value with the operator value."""
        memo = self.memo
        if memo is None or not scope.shared:
            return self._evaluate(scope)
        params, sub, rg = scope.parameters, scope.subscription, scope.resource_group
        key = (id(params), id(sub), id(rg))
        hit = memo.get(key)
        trace = scope.trace
        # The entry holds the three objects, so their ids are not reused while it lives.
        if hit is not None and hit[1] is params and hit[2] is sub and hit[3] is rg:
            if hit[5]:
                for reason in hit[5]:  # why a value was unknown, as evaluating again would record
                    scope.note_unknown(reason)
            if trace is None:
                return hit[0]
            if hit[4] is not None:
                # The TraceEntry evaluating again would append: same values, never mutated.
                trace.append(hit[4])
                return hit[0]
        outer = scope.unknown_reasons
        scope.unknown_reasons = []  # collect this condition's own reasons, to replay on a hit
        try:
            result = self._evaluate(scope)  # an error is raised each time, never remembered
        finally:
            mine = scope.unknown_reasons
            scope.unknown_reasons = outer
            for reason in mine:
                scope.note_unknown(reason)
        if len(memo) >= 256:
            memo.clear()
        memo[key] = (result, params, sub, rg, trace[-1] if trace is not None else None, tuple(mine))
        return result

    def _evaluate(self, scope: Scope) -> Any:
        left: Any = None
        try:
            left = self.lhs.evaluate(scope)
            if self.members is not None:
                right, info = self._right_info(scope)
                if info is not None and (left is None or type(left) is str):
                    # Same outcome as _apply(in/notIn), from the cached texts.
                    result = UNKNOWN if info[2] else (
                        (("" if left is None else left.lower()) in info[3]) != self.negate_in)
                else:
                    result = _apply(self.fn, self.deep, self.op, left, right)
            else:
                right = self._right(scope)
                result = _apply(self.fn, self.deep, self.op, left, right)
        except EvaluationError as exc:
            self._fail(scope, exc, "value", str(self.lhs.source), left)
            raise
        if scope.trace is not None:
            scope.trace.append(
                TraceEntry(self.pointer, "value", str(self.lhs.source), self.op, self.rhs.source, _plain(left), right, result)
            )
        return result


class Frame:
    """One iteration of a count: its name, the counted path key and the current member."""

    __slots__ = ("name", "key", "element", "value", "total")

    def __init__(self, name: str, key: tuple | None, element: Any, value: Any) -> None:
        self.name = name
        self.key = key
        self.element = element
        self.value = value
        self.total = 1  # for a value count: how many members it iterates


class CountCondition(_Leaf):
    """`{"count": {"field"|"value": ..., "name": ..., "where": ...}, "<operator>": ...}`."""

    __slots__ = ("ref", "source", "name", "where", "subject")

    def __init__(
        self,
        ref: FieldRef | None,
        source: CompiledValue | None,
        name: str | None,
        where: Condition | None,
        op: str,
        rhs: CompiledValue,
        pointer: str,
    ) -> None:
        self.ref = ref
        self.source = source
        self.name = name
        self.where = where
        self.pointer = pointer
        self.subject = f"count({ref.text if ref is not None else source.source if source else ''})"
        self._setup(op, rhs, False)

    def _members(self, scope: Scope) -> tuple[list[Frame], bool] | Unknown:
        if self.ref is not None:
            return _field_members(self.ref, scope)
        assert self.source is not None
        arr = self.source.evaluate(scope)
        if arr is UNKNOWN:
            return UNKNOWN
        if not isinstance(arr, list):
            raise EvaluationError(f"count.value must be an array, got {type_name(arr)}")
        name = self.name or "default"
        # Iterations include those of parent value counts (policy rule structure, "Value count").
        outer = 1
        for frame in scope.frames:
            if frame.key is None:
                outer *= max(frame.total, 1)
        total = outer * len(arr)
        if total > MAX_VALUE_COUNT_ITERATIONS:
            raise EvaluationError(
                f"a value count over {len(arr)} items makes {total} iterations (with its parent value counts); "
                f"Azure allows at most {MAX_VALUE_COUNT_ITERATIONS} (policy rule structure, 'Value count' limits)")
        frames = [Frame(name, None, None, v) for v in arr]
        for f in frames:
            f.total = len(arr)
        return frames, True

    def evaluate(self, scope: Scope) -> Any:
        """Count the members satisfying `where` and compare the count with the operator value."""
        n: Any = None
        try:
            got = self._members(scope)
            if got is UNKNOWN:
                result: Any = UNKNOWN
            else:
                frames, exact = got
                lo, unknown = 0, 0
                if self.where is None:
                    lo = len(frames)
                else:
                    saved = scope.frames
                    try:
                        for frame in frames:
                            scope.frames = saved + (frame,)
                            r = self.where.evaluate(scope)
                            if r is True:
                                lo += 1
                            elif r is UNKNOWN:
                                unknown += 1
                    finally:
                        scope.frames = saved
                right = self._right(scope)
                n = lo if not unknown else f"{lo}..{lo + unknown}"
                if not exact:
                    result = UNKNOWN
                elif not unknown:
                    result = _apply(self.fn, self.deep, self.op, lo, right)
                else:
                    # The count lies in lo..lo+unknown: known only if the outcome is the same for all.
                    outcomes = {_apply(self.fn, self.deep, self.op, k, right) for k in range(lo, lo + unknown + 1)}
                    result = outcomes.pop() if len(outcomes) == 1 else UNKNOWN
        except EvaluationError as exc:
            self._fail(scope, exc, "count", self.subject, n)
            raise
        if scope.trace is not None:
            scope.trace.append(
                TraceEntry(self.pointer, "count", self.subject, self.op, self.rhs.source, n, self._right(scope), result)
            )
        return result


def _frame_for(scope: Scope, key: tuple) -> Frame | None:
    for frame in reversed(scope.frames):
        fkey = frame.key
        if fkey is not None and len(fkey) <= len(key) and key[: len(fkey)] == fkey:
            return frame
    return None


def _field_members(ref: FieldRef, scope: Scope) -> tuple[list[Frame], bool] | Unknown:
    if ref.kind == "expr":
        ref = ref.resolve_dynamic(scope)
        if not ref.collection:
            raise EvaluationError(f"count.field {ref.text!r} is not an array ([*]) alias")
    found = ref.path(scope)
    if found is None:
        return [], True
    if found is UNKNOWN:
        return UNKNOWN
    segs, key = found
    stars = [i for i, s in enumerate(segs) if s is STAR]
    if not stars:
        raise EvaluationError(f"count.field {ref.text!r} is not an array ([*]) alias")
    last = stars[-1]
    upto, rest = segs[: last + 1], segs[last + 1 :]
    members = Collection()
    outer = _frame_for(scope, key[: last + 1])
    if outer is not None:
        collect(outer.element, upto, members, len(outer.key))
    else:
        collect(scope.resource, upto, members)
    if not members.exact and not members:
        return UNKNOWN
    fkey = key[: last + 1]
    name = ref.text.lower()
    frames = []
    for m in members:
        element = None if m is MISSING else m
        value = walk(element, rest) if rest else element
        frames.append(Frame(name, fkey, element, None if value is MISSING else value))
    return frames, members.exact


_CURRENT_REFS: dict[str, FieldRef] = {}


def current_value(scope: Scope, name: str) -> Any:
    """`current(name)`: the member of the enclosing count named `name` (index name or alias)."""
    low = name.lower()
    for frame in reversed(scope.frames):
        if frame.name == low:
            return frame.value
    ref = _CURRENT_REFS.get(low)
    if ref is None:
        try:
            ref = compile_field(name, "")
        except PolicyCompileError:
            ref = None  # type: ignore[assignment]
        if ref is not None and len(_CURRENT_REFS) < 4096:
            _CURRENT_REFS[low] = ref
    if ref is not None and ref.kind == "alias":
        found = ref.path(scope)
        if found is UNKNOWN:
            return UNKNOWN
        if found is not None:
            segs, key = found
            frame = _frame_for(scope, key)
            if frame is not None:
                rest = segs[len(frame.key) :]
                if any(s is STAR for s in rest):
                    out = Collection()
                    collect(frame.element, rest, out)
                    return [None if x is MISSING else x for x in out]
                v = walk(frame.element, rest)
                return None if v is MISSING else v
    raise EvaluationError(f"current({name!r}) is not inside a count over {name!r}")


def _plain(v: Any) -> Any:
    if v is MISSING:
        return None
    if isinstance(v, Collection):
        return [None if x is MISSING else x for x in v]
    return v


# ---------------------------------------------------------------------------------------------
# compilation

_LOGICAL = {"allof", "anyof", "not"}


MAX_DEPTH = 128  # far beyond real policies; keeps hostile input from exhausting the stack


def compile_condition(node: Any, pointer: str) -> Condition:
    """Compile a condition tree (an `if`, `where` or `existenceCondition`); raises PolicyCompileError."""
    depth = pointer.count("/")
    if depth > MAX_DEPTH:
        raise PolicyCompileError(f"conditions nested more than {MAX_DEPTH} levels deep", pointer=pointer)
    if not isinstance(node, dict):
        raise PolicyCompileError(f"a condition must be a JSON object, not {type_name(node)}", pointer=pointer)
    keys = {str(k).lower(): k for k in node}
    if len(keys) != len(node):
        raise PolicyCompileError("a condition repeats a key in different letter case", pointer=pointer)
    for logical in ("allof", "anyof"):
        if logical in keys:
            _only(node, keys, {logical}, pointer)
            k = keys[logical]
            items = node[k]
            if not isinstance(items, list):
                raise PolicyCompileError(f"'{k}' must be an array of conditions", pointer=f"{pointer}/{_esc(k)}")
            children = [compile_condition(c, f"{pointer}/{_esc(k)}/{i}") for i, c in enumerate(items)]
            return AllOf(children, pointer) if logical == "allof" else AnyOf(children, pointer)
    if "not" in keys:
        _only(node, keys, {"not"}, pointer)
        k = keys["not"]
        return Not(compile_condition(node[k], f"{pointer}/{_esc(k)}"), pointer)
    subjects = [s for s in ("field", "value", "count") if s in keys]
    if not subjects:
        raise PolicyCompileError(
            "a condition needs 'field', 'value' or 'count' (or 'allOf', 'anyOf', 'not'); found "
            + (", ".join(repr(k) for k in node) or "nothing"),
            pointer=pointer,
        )
    if len(subjects) > 1:
        raise PolicyCompileError(f"a condition cannot combine {' and '.join(subjects)}", pointer=pointer)
    subject = subjects[0]
    op_keys = [k for low, k in keys.items() if low != subject]
    if not op_keys:
        raise PolicyCompileError(f"the {subject} condition has no operator", pointer=pointer)
    unknown = [k for k in op_keys if k.lower() not in _OP_BY_LOWER]
    if unknown:
        raise PolicyCompileError(
            f"unknown operator {unknown[0]!r} (expected one of {', '.join(OPERATORS)})",
            pointer=f"{pointer}/{_esc(unknown[0])}",
        )
    if len(op_keys) > 1:
        raise PolicyCompileError(f"a condition takes one operator, found {', '.join(op_keys)}", pointer=pointer)
    op_key = op_keys[0]
    op = _OP_BY_LOWER[op_key.lower()]
    op_pointer = f"{pointer}/{_esc(op_key)}"
    rhs = compile_value(node[op_key], op_pointer)
    if rhs.is_literal:
        _check_literal(op, rhs.literal, op_pointer)
    skey = keys[subject]
    spointer = f"{pointer}/{_esc(skey)}"
    if subject == "field":
        ref = compile_field(node[skey], spointer)
        if (
            ref.kind == "path"
            and ref.segments == ("type",)
            and op in ("equals", "notEquals")
            and rhs.is_literal
            and isinstance(rhs.literal, str)
        ):
            return TypeEquals(rhs.literal, op == "notEquals", node[op_key], pointer)
        return FieldCondition(ref, op, rhs, pointer)
    if subject == "value":
        return ValueCondition(compile_value(node[skey], spointer), op, rhs, pointer)
    return _compile_count(node[skey], op, rhs, pointer, spointer)


def _only(node: dict, keys: dict, allowed: set, pointer: str) -> None:
    extra = [k for low, k in keys.items() if low not in allowed]
    if extra:
        raise PolicyCompileError(
            f"{'/'.join(keys[a] for a in allowed)} cannot be combined with {', '.join(repr(k) for k in extra)}",
            pointer=pointer,
        )


def _check_literal(op: str, value: Any, pointer: str) -> None:
    if value is None and op != "exists":
        raise PolicyCompileError(f"the value of '{op}' is null", pointer=pointer)
    if op == "exists":
        if not (isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))):
            raise PolicyCompileError(f"'exists' takes true or false, not {value!r}", pointer=pointer)
    elif op in ("in", "notIn") and not isinstance(value, list):
        raise PolicyCompileError(f"'{op}' takes an array, not {type_name(value)}", pointer=pointer)
    elif op in ("like", "notLike", "match", "notMatch", "matchInsensitively", "notMatchInsensitively", "containsKey", "notContainsKey") and not isinstance(value, str):
        raise PolicyCompileError(f"'{op}' takes a string, not {type_name(value)}", pointer=pointer)
    elif op in ("equals", "notEquals", "contains", "notContains") and isinstance(value, list):
        # Azure refuses the definition on create: "expected type is 'String'" (policy rule
        # structure, "Conditions": "equals": "stringValue" ...).
        raise PolicyCompileError(f"'{op}' takes a single value, not an array: expected type is 'String' "
                                 "(policy rule structure, 'Conditions'); use 'in' / 'notIn' for a list",
                                 pointer=pointer)


# Policy rule structure, "Value count": at most 10 value count expressions in one policy rule, and
# at most 100 iterations for each (counting those of its parent value counts).
MAX_VALUE_COUNTS = 10
MAX_VALUE_COUNT_ITERATIONS = 100


_SINGLE_VALUE_OPS = frozenset({"equals", "notEquals", "like", "notLike", "match", "notMatch", "matchInsensitively",
                               "notMatchInsensitively", "contains", "notContains"})


def check_rule_limits(condition: Condition, pointer: str, parameter_types: dict[str, str] | None = None) -> None:
    """Authoring checks Azure makes on create; raises PolicyCompileError naming the doc section.

    ``parameter_types`` maps declared parameter names (lower-case) to their type (lower-case).
    """
    counts: list[CountCondition] = []
    types = parameter_types or {}

    def walk_tree(c: Any) -> None:
        if isinstance(c, _Leaf) and c.op in _SINGLE_VALUE_OPS and c.rhs_param is not None and \
                types.get(c.rhs_param.lower()) == "array":
            # Author policies for array properties, "Array conditions": Azure refuses the definition.
            raise PolicyCompileError(
                f"'{c.op}' with parameter {c.rhs_param!r} of type Array: evaluation result of language expression "
                f"'{c.rhs.source}' is type 'Array', expected type is 'String' (author policies for array "
                "properties, 'Array conditions'); use 'in' or 'notIn'", pointer=c.pointer)
        if isinstance(c, (AllOf, AnyOf)):
            for child in c.children:
                walk_tree(child)
        elif isinstance(c, Not):
            walk_tree(c.child)
        elif isinstance(c, CountCondition):
            if c.source is not None:
                counts.append(c)
            if c.where is not None:
                walk_tree(c.where)

    walk_tree(condition)
    if len(counts) > MAX_VALUE_COUNTS:
        raise PolicyCompileError(
            f"the rule has {len(counts)} value count expressions; Azure allows at most {MAX_VALUE_COUNTS} "
            "(policy rule structure, 'Value count' limits)", pointer=counts[MAX_VALUE_COUNTS].pointer or pointer)
    for c in counts:
        src = c.source
        if src is not None and src.is_literal and isinstance(src.literal, list) and \
                len(src.literal) > MAX_VALUE_COUNT_ITERATIONS:
            raise PolicyCompileError(
                f"a value count over {len(src.literal)} items; Azure allows at most {MAX_VALUE_COUNT_ITERATIONS} "
                "iterations (policy rule structure, 'Value count' limits)", pointer=c.pointer)


_INDEX_NAME = re.compile(r"^[A-Za-z0-9]+$")


def _compile_count(spec: Any, op: str, rhs: CompiledValue, pointer: str, spointer: str) -> Condition:
    if not isinstance(spec, dict):
        raise PolicyCompileError("'count' must be an object with 'field' or 'value'", pointer=spointer)
    keys = {str(k).lower(): k for k in spec}
    extra = [k for low, k in keys.items() if low not in ("field", "value", "name", "where")]
    if extra:
        raise PolicyCompileError(f"unexpected key {extra[0]!r} in count", pointer=f"{spointer}/{_esc(extra[0])}")
    if ("field" in keys) == ("value" in keys):
        raise PolicyCompileError("'count' needs exactly one of 'field' and 'value'", pointer=spointer)
    where = None
    if "where" in keys:
        wk = keys["where"]
        where = compile_condition(spec[wk], f"{spointer}/{_esc(wk)}")
    if "field" in keys:
        fk = keys["field"]
        if "name" in keys:
            raise PolicyCompileError("'name' is only allowed in a value count", pointer=f"{spointer}/{_esc(keys['name'])}")
        ref = compile_field(spec[fk], f"{spointer}/{_esc(fk)}")
        if ref.kind != "expr" and "[*]" not in ref.text:
            raise PolicyCompileError(
                f"count.field must be an array alias ending in [*], not {ref.text!r}", pointer=f"{spointer}/{_esc(fk)}"
            )
        return CountCondition(ref, None, None, where, op, rhs, pointer)
    vk = keys["value"]
    source = compile_value(spec[vk], f"{spointer}/{_esc(vk)}")
    name = None
    if "name" in keys:
        nk = keys["name"]
        name = spec[nk]
        if not isinstance(name, str) or not _INDEX_NAME.match(name):
            raise PolicyCompileError(
                f"count.name must be letters and digits, not {name!r}", pointer=f"{spointer}/{_esc(nk)}"
            )
        name = name.lower()
    if source.is_literal and not isinstance(source.literal, list):
        raise PolicyCompileError("count.value must be an array", pointer=f"{spointer}/{_esc(vk)}")
    return CountCondition(None, source, name, where, op, rhs, pointer)


def required_types(condition: Condition) -> frozenset[str] | None:
    """Lower-case resource types the condition can only hold for, or None if not restricted.

    Lets a caller skip a definition for a resource of another type with one set lookup. Only
    sure cases are reported: `type equals X` / `type in [...]` as a member of the top `allOf`.
    Note an UNKNOWN resource type must still be evaluated.
    """
    if isinstance(condition, TypeEquals):
        return None if condition.negate else frozenset({condition.lit})
    if isinstance(condition, FieldCondition):
        ref = condition.ref
        if ref.kind == "path" and ref.segments == ("type",) and condition.op == "in" and condition.rhs_is_literal:
            values = condition.rhs_literal
            if isinstance(values, list) and all(isinstance(v, str) for v in values):
                return frozenset(v.lower() for v in values)
        return None
    if isinstance(condition, AllOf):
        result: frozenset[str] | None = None
        for child in condition.children:
            types = required_types(child)
            if types is not None:
                result = types if result is None else result & types
        return result
    if isinstance(condition, AnyOf):
        if not condition.children:
            return None
        union: set[str] = set()
        for child in condition.children:
            types = required_types(child)
            if types is None:
                return None
            union |= types
        return frozenset(union)
    return None


def _type_leaf(condition: Condition) -> bool:
    """A `type` test against literal text(s): for a resource whose type is a string it reads
    nothing else and can neither fail, warn nor be UNKNOWN."""
    if isinstance(condition, TypeEquals):
        return True
    if not isinstance(condition, FieldCondition) or not condition.rhs_is_literal:
        return False
    ref, lit = condition.ref, condition.rhs_literal
    if ref.kind != "path" or ref.segments != ("type",):
        return False
    if condition.op in ("equals", "notEquals"):
        return isinstance(lit, str)
    if condition.op in ("in", "notIn"):
        return isinstance(lit, list) and all(isinstance(v, str) for v in lit)
    return False


def _type_pure(condition: Condition) -> bool:
    if isinstance(condition, (AllOf, AnyOf)):
        return all(_type_pure(c) for c in condition.children)
    if isinstance(condition, Not):
        return _type_pure(condition.child)
    return _type_leaf(condition)


def type_guard(condition: Condition) -> frozenset[str] | None:
    """Lower-case resource types outside of which the condition is False before it reads anything
    but the type; None when there is no such set.

    Unlike required_types this is exact, so an evaluator may skip the condition for a resource whose
    `type` is a string not in the set and report no-match without changing any result: everything
    evaluated before the deciding type test is itself a type test (no field, expression, error,
    warning or UNKNOWN can be skipped). A resource whose type is unknown or not a string must still
    be evaluated.
    """
    if _type_leaf(condition):
        if isinstance(condition, TypeEquals):
            return None if condition.negate else frozenset({condition.lit})
        lit = condition.rhs_literal  # type: ignore[attr-defined]
        if condition.op == "equals":  # type: ignore[attr-defined]
            return frozenset({lit.lower()})
        if condition.op == "in":  # type: ignore[attr-defined]
            return frozenset(v.lower() for v in lit)
        return None
    if isinstance(condition, AllOf):
        # Members run in order and the first False decides: members before the guarding one must
        # be pure type tests (whatever they give, nothing is skipped that could matter).
        for child in condition.children:
            guard = type_guard(child)
            if guard is not None:
                return guard
            if not _type_pure(child):
                return None
        return None
    if isinstance(condition, AnyOf):
        # False only when every member is False: each must be guarded.
        if not condition.children:
            return None
        union: set[str] = set()
        for child in condition.children:
            guard = type_guard(child)
            if guard is None:
                return None
            union |= guard
        return frozenset(union)
    return None
