"""`count` conditions (field and value counts), their iteration frames and current()."""

from __future__ import annotations

from typing import Any

from generator.engine.aliases import STAR
from generator.engine.conditions.compiled_values import CompiledValue
from generator.engine.conditions.nodes import Condition, _Leaf
from generator.engine.conditions.operators import _apply
from generator.engine.expressions import type_name
from generator.engine.fields import Collection, FieldRef, collect, compile_field, walk
from generator.engine.scope import Scope, TraceEntry
from generator.engine.values import MISSING, UNKNOWN, EvaluationError, Unknown
from generator.errors import PolicyCompileError

# Policy rule structure, "Value count": at most 10 value count expressions in one policy rule, and
# at most 100 iterations for each (counting those of its parent value counts).
MAX_VALUE_COUNTS = 10
MAX_VALUE_COUNT_ITERATIONS = 100


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
