"""Which resource types a condition can hold for (required_types, type_guard), read from its type tests."""

from __future__ import annotations

from generator.engine.conditions.nodes import AllOf, AnyOf, Condition, FieldCondition, Not, TypeEquals


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
