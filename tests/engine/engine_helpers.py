"""Helpers for engine tests: compile a condition and evaluate it against a small resource."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from generator.engine.conditions import compile_condition
from generator.engine.scope import Scope

T = "Microsoft.Test/resourceType"


def make_scope(resource: dict | None = None, **kw: Any) -> Scope:
    """A scope with a fixed clock and the shipped alias table."""
    kw.setdefault("now", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    return Scope(resource=resource if resource is not None else {"type": T, "name": "r1"}, **kw)


def ev(condition: dict, resource: dict | None = None, **kw: Any) -> Any:
    """Compile and evaluate condition against resource."""
    scope = make_scope(resource, **kw)
    return compile_condition(condition, "/if").evaluate(scope)
