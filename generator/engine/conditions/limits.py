"""Authoring checks Azure makes when a definition is created (value count limits, array parameters)."""

from __future__ import annotations

from typing import Any

from generator.engine.conditions.count import MAX_VALUE_COUNT_ITERATIONS, MAX_VALUE_COUNTS, CountCondition
from generator.engine.conditions.nodes import AllOf, AnyOf, Condition, Not, _Leaf
from generator.errors import PolicyCompileError


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
