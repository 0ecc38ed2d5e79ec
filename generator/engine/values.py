"""Values of the rule language: the UNKNOWN sentinel, three-valued logic and ARM value helpers."""

from __future__ import annotations

from typing import Any

__all__ = [
    "UNKNOWN",
    "Unknown",
    "EvaluationError",
    "is_unknown",
    "has_unknown",
    "and3",
    "or3",
    "not3",
    "ci_get",
    "MISSING",
]


class Unknown:
    """Type of the single UNKNOWN sentinel: a value known only after apply."""

    _instance: "Unknown | None" = None
    __slots__ = ()

    def __new__(cls) -> "Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        # Pickling (multiprocessing) must give back the singleton so `is UNKNOWN` keeps working.
        return "UNKNOWN"

    def __copy__(self) -> "Unknown":
        return self

    def __deepcopy__(self, memo: dict) -> "Unknown":
        return self


UNKNOWN = Unknown()


class _Missing:
    """Internal marker for 'no such property' (distinct from a JSON null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class EvaluationError(Exception):
    """A policy evaluation failed (template function error, type mismatch): result word `error`."""

    def __init__(self, message: str, *, pointer: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer

    def __str__(self) -> str:
        return f"at {self.pointer}: {self.message}" if self.pointer else self.message


def is_unknown(value: Any) -> bool:
    """Return True when value is the UNKNOWN sentinel itself."""
    return value is UNKNOWN


def has_unknown(value: Any) -> bool:
    """Return True when UNKNOWN occurs anywhere inside value (a leaf or a subtree)."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def and3(*values: Any) -> Any:
    """Three-valued AND: False wins over UNKNOWN, UNKNOWN over True."""
    result: Any = True
    for v in values:
        if v is False:
            return False
        if v is UNKNOWN:
            result = UNKNOWN
    return result


def or3(*values: Any) -> Any:
    """Three-valued OR: True wins over UNKNOWN, UNKNOWN over False."""
    result: Any = False
    for v in values:
        if v is True:
            return True
        if v is UNKNOWN:
            result = UNKNOWN
    return result


def not3(value: Any) -> Any:
    """Three-valued NOT: not UNKNOWN is UNKNOWN."""
    if value is UNKNOWN:
        return UNKNOWN
    return not value


def ci_get(obj: dict, key: str, default: Any = MISSING) -> Any:
    """Look up key in an ARM object ignoring letter case (ARM objects are case-insensitive)."""
    try:
        return obj[key]
    except KeyError:
        pass
    except TypeError:
        return default
    if isinstance(key, str):
        low = key.lower()
        for k, v in obj.items():
            if isinstance(k, str) and k.lower() == low:
                return v
    return default
