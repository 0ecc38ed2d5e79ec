"""Integer arithmetic and number conversions: add(), sub(), mul(), div(), mod(), int(), float()."""

from __future__ import annotations

from typing import Any

from generator.engine.expressions import type_name
from generator.engine.functions.arm_values import _int
from generator.engine.functions.registry import _fn
from generator.engine.values import EvaluationError


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
