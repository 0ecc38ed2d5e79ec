"""Operator and `value` sides of a condition: literals or `[expr]` strings compiled once (CompiledValue)."""

from __future__ import annotations

from typing import Any, Callable

from generator.engine.expressions import (
    ExpressionSyntaxError,
    compile_node,
    is_expression,
    parse_expression,
    unescape_literal,
)
from generator.errors import PolicyCompileError


# ---------------------------------------------------------------------------------------------
# values

class CompiledValue:
    """A literal or `[expr]` value, compiled; `source` is the text as written."""

    __slots__ = ("source", "is_literal", "literal", "_fn", "pointer")

    def __init__(self, source: Any, literal: Any = None, fn: Callable[[Any], Any] | None = None, pointer: str = "") -> None:
        self.source = source
        self.is_literal = fn is None
        self.literal = literal
        self._fn = fn
        self.pointer = pointer

    def evaluate(self, scope: Any) -> Any:
        """The value in this scope (UNKNOWN possible); raises EvaluationError."""
        if self._fn is None:
            return self.literal
        return self._fn(scope)

    def __repr__(self) -> str:
        return f"CompiledValue({self.source!r})"


def compile_value(value: Any, pointer: str) -> CompiledValue:
    """Compile a literal or `[expr]` string (also inside arrays/objects); raises PolicyCompileError."""
    fn = _compile_value_fn(value, pointer)
    if fn is None:
        return CompiledValue(value, _unescape_all(value), None, pointer)
    return CompiledValue(value, None, fn, pointer)


def _context_only(value: Any) -> bool:
    """True when a value as written (literal or `[expr]`, also nested) reads only parameters,
    subscription() and resourceGroup() (functions.context_only)."""
    from generator.engine.functions import context_only

    if isinstance(value, str):
        if not is_expression(value):
            return True
        try:
            return context_only(parse_expression(value))
        except (ExpressionSyntaxError, RecursionError):
            return False
    if isinstance(value, list):
        return all(_context_only(v) for v in value)
    if isinstance(value, dict):
        return all(_context_only(v) for v in value.values())
    return True


def compile_expression(text: str, pointer: str) -> Callable[[Any], Any]:
    """Parse and compile one `[expr]` string; errors name the pointer and the column."""
    try:
        node = parse_expression(text)
        return compile_node(node, text)
    except ExpressionSyntaxError as exc:
        err = PolicyCompileError(f"invalid expression {text!r}: {exc.message} at column {exc.column}", pointer=pointer)
        err.column = exc.column  # type: ignore[attr-defined]
        raise err from None
    except RecursionError:
        raise PolicyCompileError(f"expression nested too deeply: {text[:80]!r}", pointer=pointer) from None


def _compile_value_fn(value: Any, pointer: str) -> Callable[[Any], Any] | None:
    if isinstance(value, str):
        return compile_expression(value, pointer) if is_expression(value) else None
    if isinstance(value, list):
        fns = [_compile_value_fn(v, f"{pointer}/{i}") for i, v in enumerate(value)]
        if all(f is None for f in fns):
            return None
        lits = [_unescape_all(v) for v in value]
        parts = [(f, lit) for f, lit in zip(fns, lits)]
        return lambda scope: [f(scope) if f is not None else lit for f, lit in parts]
    if isinstance(value, dict):
        items = [(k, _compile_value_fn(v, f"{pointer}/{_esc(k)}"), _unescape_all(v)) for k, v in value.items()]
        if all(f is None for _, f, _ in items):
            return None
        return lambda scope: {k: (f(scope) if f is not None else lit) for k, f, lit in items}
    return None


def _unescape_all(value: Any) -> Any:
    if isinstance(value, str):
        return unescape_literal(value)
    if isinstance(value, list):
        return [_unescape_all(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescape_all(v) for k, v in value.items()}
    return value


def _esc(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")
