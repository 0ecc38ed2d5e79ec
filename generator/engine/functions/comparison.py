"""Comparison and logic functions: equals(), greater()/less(), not(), bool(), true()/false()/null()."""

from __future__ import annotations

from typing import Any

from generator.engine.expressions import type_name
from generator.engine.functions.arm_values import arm_equals
from generator.engine.functions.registry import _fn
from generator.engine.values import EvaluationError


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
