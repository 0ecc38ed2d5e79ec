"""Helpers for engine tests: compile a condition and evaluate it against a small resource."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from generator.engine.aliases import AliasTable, Resolution, split_alias
from generator.engine.conditions import compile_condition
from generator.engine.scope import Scope

T = "Microsoft.Test/resourceType"


class TestAliasTable(AliasTable):
    """The default table plus the made-up `Microsoft.Test` namespace of these tests (properties.<rest>)."""

    __test__ = False

    def _resolve(self, alias: str, rtype: str, api: str) -> Resolution:
        if alias.lower().startswith("microsoft.test/"):
            return Resolution("properties." + split_alias(alias)[1], None)
        return super()._resolve(alias, rtype, api)


def test_aliases() -> AliasTable:
    """The table test scopes use: the default one, with Microsoft.Test/* mapped to properties.<rest>."""
    base = AliasTable.default()
    return TestAliasTable(source=base.source, layers=list(base._layers))


test_aliases.__test__ = False  # type: ignore[attr-defined]


def make_scope(resource: dict | None = None, **kw: Any) -> Scope:
    """A scope with a fixed clock and the default alias table (plus the Microsoft.Test namespace)."""
    kw.setdefault("now", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    kw.setdefault("aliases", test_aliases())
    return Scope(resource=resource if resource is not None else {"type": T, "name": "r1"}, **kw)


def ev(condition: dict, resource: dict | None = None, **kw: Any) -> Any:
    """Compile and evaluate condition against resource."""
    scope = make_scope(resource, **kw)
    return compile_condition(condition, "/if").evaluate(scope)
