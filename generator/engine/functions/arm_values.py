"""ARM value semantics the functions share: string(), deep equals() and argument type checks."""

from __future__ import annotations

import json
from typing import Any

from generator.engine.expressions import type_name
from generator.engine.values import MISSING, EvaluationError, ci_get


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
