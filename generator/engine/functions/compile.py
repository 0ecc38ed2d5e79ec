"""Compiling a call node to a closure: arity checks, UNKNOWN handling and the special forms (if, and, field() ...)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Callable

from generator.engine.expressions import Call, ExpressionSyntaxError, Literal, compile_node, to_source, type_name
from generator.engine.functions.arm_values import arm_equals
from generator.engine.functions.registry import EXCLUDED, FUNCTIONS, MAX_STRING, VARIADIC, Spec, string_limit_message
from generator.engine.values import MISSING, UNKNOWN, EvaluationError, ci_get, has_unknown


# ---------------------------------------------------------------------------------------------
# compilation

_ERRORS = (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError, AttributeError, OverflowError, UnicodeError)


def _err(node: Call, text: str, message: str) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(message, node.column, text)


# True while a deployment template (not a policy rule) is being compiled: deployment-time functions
# (generator.engine.template_functions) exist only there, and policy-only ones (field()...) do not.
TEMPLATE_MODE: ContextVar[bool] = ContextVar("clausegate_template_mode", default=False)


def compile_call(node: Call, text: str) -> Callable[[Any], Any]:
    """Compile a function call node to a closure of the scope."""
    if TEMPLATE_MODE.get():
        from generator.engine.template_functions import compile_template_call

        compiled = compile_template_call(node, text)
        if compiled is not None:
            return compiled
    name = node.name.lower()
    nargs = len(node.args)
    if name in EXCLUDED:
        raise _err(node, text, f"function {node.name}() is not available in policy rules")
    if name in _SPECIAL_COMPILERS:
        return _SPECIAL_COMPILERS[name](node, text)
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise _err(node, text, f"unknown function {node.name}()")
    if nargs < spec.min_args or nargs > (spec.max_args or 0):
        raise _err(node, text, f"{node.name}() takes {_arity(spec)} argument(s), got {nargs}")
    argfs = [compile_node(a, text) for a in node.args]
    impl, needs_scope, deep, fname = spec.impl, spec.needs_scope, spec.deep_unknown, node.name

    def call(scope: Any) -> Any:
        vals = [f(scope) for f in argfs]
        for v in vals:
            if v is UNKNOWN:
                return UNKNOWN
            if deep and isinstance(v, (list, dict)) and has_unknown(v):
                return UNKNOWN
        try:
            out = impl(scope, *vals) if needs_scope else impl(*vals)
        except EvaluationError:
            raise
        except _ERRORS as exc:
            raise EvaluationError(f"{fname}(): {exc}") from None
        if type(out) is str and len(out) > MAX_STRING:
            raise EvaluationError(string_limit_message(f"{fname}()", len(out)))
        return out

    return call


def _arity(spec: Spec) -> str:
    if spec.max_args is None or spec.max_args >= VARIADIC:
        return f"at least {spec.min_args}"
    if spec.min_args == spec.max_args:
        return str(spec.min_args)
    return f"{spec.min_args} to {spec.max_args}"


def _check_args(node: Call, text: str, lo: int, hi: int) -> None:
    if not lo <= len(node.args) <= hi:
        want = str(lo) if lo == hi else (f"at least {lo}" if hi >= VARIADIC else f"{lo} to {hi}")
        raise _err(node, text, f"{node.name}() takes {want} argument(s), got {len(node.args)}")


def _compile_if(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 3, 3)
    cond, yes, no = (compile_node(a, text) for a in node.args)

    def f(scope: Any) -> Any:
        c = cond(scope)
        if c is True:
            return yes(scope)
        if c is False:
            return no(scope)
        if c is UNKNOWN:
            # Either branch may apply; the result is known only when both agree.
            try:
                a, b = yes(scope), no(scope)
            except EvaluationError:
                return UNKNOWN
            if a is not UNKNOWN and b is not UNKNOWN and not has_unknown(a) and not has_unknown(b) and arm_equals(a, b) and type(a) is type(b):
                return a
            return UNKNOWN
        raise EvaluationError(f"if(): the condition must be a boolean, not {type_name(c)}")

    return f


def _compile_coalesce(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 1, VARIADIC)
    argfs = [compile_node(a, text) for a in node.args]

    def f(scope: Any) -> Any:
        for a in argfs:
            v = a(scope)
            if v is UNKNOWN:
                return UNKNOWN  # it might be null or not: the result is not known
            if v is not None:
                return v
        return None

    return f


def _compile_logic(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 1, VARIADIC)
    argfs = [compile_node(a, text) for a in node.args]
    is_and = node.name.lower() == "and"
    decisive = not is_and  # `and` stops at False, `or` at True

    def f(scope: Any) -> Any:
        unknown = False
        for a in argfs:
            v = a(scope)
            if v is UNKNOWN:
                unknown = True
                continue
            if not isinstance(v, bool):
                raise EvaluationError(f"{node.name}(): expected booleans, got {type_name(v)}")
            if v is decisive:
                return decisive
        return UNKNOWN if unknown else (not decisive)

    return f


def _literal_arg(node: Call) -> str | None:
    if len(node.args) == 1 and isinstance(node.args[0], Literal) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _compile_field(node: Call, text: str) -> Callable[[Any], Any]:
    from generator.engine.fields import compile_field
    from generator.errors import PolicyCompileError

    _check_args(node, text, 1, 1)
    name = _literal_arg(node)
    if name is not None:
        try:
            ref = compile_field(name, "")
        except PolicyCompileError as exc:
            raise _err(node, text, exc.message) from None
        return ref.value
    argf = compile_node(node.args[0], text)
    cache: dict[str, Any] = {}

    def f(scope: Any) -> Any:
        n = argf(scope)
        if n is UNKNOWN:
            return UNKNOWN
        if not isinstance(n, str) or not n:
            raise EvaluationError(f"field(): expected a field name, not {n!r}")
        ref = cache.get(n)
        if ref is None:
            try:
                ref = compile_field(n, "")
            except PolicyCompileError as exc:
                raise EvaluationError(f"field(): {exc.message}") from None
            cache[n] = ref
        return ref.value(scope)

    return f


def _compile_parameters(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 1, 1)
    name = _literal_arg(node)
    argf = None if name is not None else compile_node(node.args[0], text)

    def f(scope: Any) -> Any:
        n = name if argf is None else argf(scope)
        if n is UNKNOWN:
            return UNKNOWN
        if not isinstance(n, str):
            raise EvaluationError(f"parameters(): expected a parameter name, not {n!r}")
        params = scope.parameters
        v = params.get(n, MISSING)
        if v is MISSING:
            v = ci_get(params, n)
            if v is MISSING:
                raise EvaluationError(f"parameter {n!r} has no value (not assigned and no defaultValue)")
        return v

    return f


def _compile_current(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 0, 1)
    if not node.args:
        def f0(scope: Any) -> Any:
            if not scope.frames:
                raise EvaluationError("current() is used outside a count expression")
            return scope.frames[-1].value

        return f0
    name = _literal_arg(node)
    argf = None if name is not None else compile_node(node.args[0], text)

    def f(scope: Any) -> Any:
        from generator.engine.conditions import current_value

        n = name if argf is None else argf(scope)
        if n is UNKNOWN:
            return UNKNOWN
        if not isinstance(n, str):
            raise EvaluationError(f"current(): expected an index name or alias, not {n!r}")
        return current_value(scope, n)

    return f


_SPECIAL_COMPILERS: dict[str, Callable[[Call, str], Callable[[Any], Any]]] = {
    "if": _compile_if,
    "coalesce": _compile_coalesce,
    "and": _compile_logic,
    "or": _compile_logic,
    "field": _compile_field,
    "parameters": _compile_parameters,
    "current": _compile_current,
}


def function_names() -> list[str]:
    """All function names the engine knows (lower-case)."""
    return sorted(set(FUNCTIONS) | set(_SPECIAL_COMPILERS))


def describe(node: Call) -> str:
    """Source text of a call node (for messages)."""
    return to_source(node)


# Reads of the scope that stay the same for every resource evaluated under one (parameters,
# subscription, resource group): see context_only().
_CONTEXT_READS = {"parameters", "subscription", "resourcegroup", "coalesce", "if", "and", "or"}


def context_only(node: Any) -> bool:
    """True when an expression reads nothing but parameters(), subscription(), resourceGroup() and
    pure functions of them -- no field(), current(), requestContext(), policy() or utcNow() -- so
    its value is the same for every resource evaluated with the same three objects."""
    from generator.engine.expressions import Literal, Member

    if isinstance(node, Literal):
        return True
    if isinstance(node, Member):
        return context_only(node.target) and context_only(node.key)
    if isinstance(node, Call):
        name = node.name.lower()
        if name not in _CONTEXT_READS:
            spec = FUNCTIONS.get(name)
            if spec is None or spec.needs_scope or name in EXCLUDED:
                return False
        return all(context_only(a) for a in node.args)
    return False
