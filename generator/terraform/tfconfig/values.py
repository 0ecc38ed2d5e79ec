"""Values of the HCL evaluator: unknowns that keep their references, lazy objects, string conversion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator.terraform import UNKNOWN

META_ARGS = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"})


class EvalError(Exception):
    """An expression Terraform would reject or that this evaluator does not support."""


@dataclass(frozen=True)
class RefUnknown:
    """Unknown until apply, but known to come from these (resource address, attribute) pairs."""

    refs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PartialJson:
    """``jsonencode(x)`` of a value with unknown parts: kept as the object so that a body stays readable."""

    value: Any


# Attributes whose ``jsonencode()`` value is read as a structure, so that a partly unknown one keeps its known
# parts: the azapi body and the ARM template (and parameters) of template deployments.
PARTIAL_JSON_ATTRIBUTES = frozenset({"body", "template_content", "parameters_content", "template_body",
                                     "parameters_body"})


def is_unknown(value: Any) -> bool:
    """True for UNKNOWN and for unknown values that carry references."""
    return value is UNKNOWN or isinstance(value, (RefUnknown, PartialJson))


def has_unknown(value: Any) -> bool:
    """True when an unknown occurs anywhere inside ``value``."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


class Lazy:
    """An object whose attributes are computed on access (locals, resources, module outputs)."""

    def get(self, name: str) -> Any:  # pragma: no cover - abstract
        """Value of attribute ``name``."""
        raise NotImplementedError


class Namespace(Lazy):
    def __init__(self, getter: Callable[[str], Any]) -> None:
        self._getter = getter

    def get(self, name: str) -> Any:
        return self._getter(name)


def tf_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    raise EvalError(f"cannot use a {type(value).__name__} in a string template")


def plain(value: Any) -> Any:
    """Materialise lazy objects (for jsonencode, outputs used as whole objects)."""
    if isinstance(value, Lazy):
        raise EvalError("a whole resource or module object is not supported here")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def strip_unknown_json(value: Any) -> Any:
    """``value`` with every unknown part as UNKNOWN (a nested partly unknown jsonencode() is an unknown string)."""
    if is_unknown(value) or isinstance(value, Lazy):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: strip_unknown_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_unknown_json(v) for v in value]
    return value


# -- evaluation budgets: an untrusted configuration must not hang or exhaust memory -----------------

MAX_ITEMS = 200_000              # elements of one collection (range(), setproduct(), count, for_each ...)
MAX_STRING = 8 * 1024 * 1024     # characters of one string (format padding, strrev, join ...)
MAX_STEPS = 3_000_000            # expression nodes evaluated in one run (~15 times a 1,000-file folder)
MAX_MODULE_DEPTH = 32            # nested module calls (a module that calls itself)


class BudgetExceeded(Exception):
    """An evaluation that would exceed a budget: bad input (exit 2) naming the place, never a hang."""


def check_size(value: Any) -> Any:
    """``value`` when it is within the size budgets, else BudgetExceeded."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise BudgetExceeded(f"a string of {len(value):,} characters is over the budget of {MAX_STRING:,}")
    elif isinstance(value, (list, dict)) and len(value) > MAX_ITEMS:
        raise BudgetExceeded(f"a collection of {len(value):,} elements is over the budget of {MAX_ITEMS:,}")
    return value


def check_count(n: float, what: str) -> None:
    """Raise BudgetExceeded before building a collection of ``n`` elements."""
    if n > MAX_ITEMS:
        raise BudgetExceeded(f"{what} would make {int(n):,} elements, over the budget of {MAX_ITEMS:,}")
