"""Template functions available in policy rules (ARM functions plus the policy-only ones).

Each function is compiled into a closure by `compile_call`. Eager functions receive evaluated
arguments; an UNKNOWN argument makes the result UNKNOWN (for most functions also UNKNOWN nested
inside an argument). `if`, `coalesce`, `and`, `or` and `tryGet` decide from the known part.
Any failure inside a function raises EvaluationError (Azure: the evaluation fails).
"""

from __future__ import annotations

from generator.engine.functions.registry import (
    EXCLUDED,
    FUNCTIONS,
    MAX_RANGE,
    MAX_STRING,
    VARIADIC,
    Spec,
    _fn,
    string_limit_message,
)
from generator.engine.functions.arm_values import _int, _need, arm_equals, arm_string

# Each module below fills FUNCTIONS with `_fn` when imported: all are imported here (in the
# original registration order) so the registry is complete whichever name a caller imports.
from generator.engine.functions import strings, collections, comparison, numeric  # noqa: F401
from generator.engine.functions.dates import _net_datetime_format, format_datetime, parse_datetime
from generator.engine.functions import context  # noqa: F401
from generator.engine.functions.compile import (
    TEMPLATE_MODE,
    _check_args,
    _err,
    compile_call,
    context_only,
    describe,
    function_names,
)

__all__ = [
    "FUNCTIONS", "compile_call", "arm_string", "arm_equals", "format_datetime", "parse_datetime",
    # also imported by name elsewhere (template_functions, conditions, armtemplate)
    "EXCLUDED", "MAX_RANGE", "MAX_STRING", "VARIADIC", "Spec", "string_limit_message", "TEMPLATE_MODE",
    "context_only", "describe", "function_names",
    "_check_args", "_err", "_fn", "_int", "_need", "_net_datetime_format",
]
