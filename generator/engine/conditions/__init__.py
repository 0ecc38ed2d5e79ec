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

from generator.engine.conditions.compiled_values import CompiledValue, compile_expression, compile_value
from generator.engine.conditions.operators import MAX_STRING, OPERATORS, apply_operator, like_matches, match_pattern
from generator.engine.conditions.nodes import AllOf, AnyOf, Condition, FieldCondition, Not, TypeEquals, ValueCondition
from generator.engine.conditions.count import (
    MAX_VALUE_COUNT_ITERATIONS,
    MAX_VALUE_COUNTS,
    CountCondition,
    Frame,
    current_value,
)
from generator.engine.conditions.compile import MAX_DEPTH, compile_condition
from generator.engine.conditions.limits import check_rule_limits
from generator.engine.conditions.type_guards import required_types, type_guard

__all__ = [
    "required_types",
    "type_guard",
    "Condition",
    "CompiledValue",
    "compile_condition",
    "compile_value",
    "OPERATORS",
    "current_value",
    # also imported by name elsewhere (policies, tests) or named in comments (CountCondition ...)
    "AllOf",
    "AnyOf",
    "CountCondition",
    "FieldCondition",
    "Frame",
    "MAX_DEPTH",
    "MAX_STRING",
    "MAX_VALUE_COUNTS",
    "MAX_VALUE_COUNT_ITERATIONS",
    "Not",
    "TypeEquals",
    "ValueCondition",
    "apply_operator",
    "check_rule_limits",
    "compile_expression",
    "like_matches",
    "match_pattern",
]
