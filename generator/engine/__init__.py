"""Offline Azure Policy engine: the rule language (conditions, expressions, fields, aliases).

Import what you need from the submodules; this package re-exports the main entry points.
"""

from __future__ import annotations

from generator.engine.aliases import AliasTable
from generator.engine.conditions import CompiledValue, Condition, compile_condition, compile_value
from generator.engine.expressions import parse_expression
from generator.engine.scope import Scope, TraceEntry
from generator.engine.values import UNKNOWN, EvaluationError, Unknown

__all__ = [
    "AliasTable",
    "CompiledValue",
    "Condition",
    "EvaluationError",
    "Scope",
    "TraceEntry",
    "UNKNOWN",
    "Unknown",
    "compile_condition",
    "compile_value",
    "parse_expression",
]
