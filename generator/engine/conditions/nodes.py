"""Compiled condition nodes: allOf / anyOf / not and the field, type and value leaves."""

from __future__ import annotations

import re
from typing import Any

from generator.engine.conditions.compiled_values import CompiledValue, _context_only
from generator.engine.conditions.operators import MAX_STRING, OPERATORS, _apply, _norm_location, _text
from generator.engine.fields import SLOW, Collection, FieldRef
from generator.engine.scope import Scope, TraceEntry
from generator.engine.values import MISSING, UNKNOWN, EvaluationError, has_unknown


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


def _plain(v: Any) -> Any:
    if v is MISSING:
        return None
    if isinstance(v, Collection):
        return [None if x is MISSING else x for x in v]
    return v
