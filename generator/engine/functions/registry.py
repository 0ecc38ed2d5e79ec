"""The function registry: how each ARM function is called (Spec), the `_fn` decorator and Azure's limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Spec:
    """How a function is called: arity, whether it needs the scope, and UNKNOWN handling."""

    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    needs_scope: bool = False
    deep_unknown: bool = True  # UNKNOWN nested inside an argument makes the result UNKNOWN


FUNCTIONS: dict[str, Spec] = {}
# Documented as unavailable in policy rules ("Policy functions" in Microsoft's docs).
EXCLUDED = {
    "copyindex", "datetimeadd", "datetimefromepoch", "datetimetoepoch", "deployment", "environment",
    "extensionresourceid", "lambda", "listaccountsas", "listkeys", "listsecrets", "managementgroup",
    "newguid", "pickzones", "providers", "reference", "resourceid", "subscriptionresourceid",
    "tenantresourceid", "tenant", "variables",
}


def _fn(name: str, min_args: int, max_args: int | None = None, *, scope: bool = False, deep: bool = True):
    def deco(impl: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name.lower()] = Spec(impl, min_args, min_args if max_args is None else max_args, scope, deep)
        return impl

    return deco


VARIADIC = 1 << 30

# Azure fails an evaluation whose strings grow past this many characters (an implicit deny).
MAX_STRING = 131072
# ARM's range(): count is at most 10,000 (template functions, "range").
MAX_RANGE = 10000


def string_limit_message(what: str, length: int) -> str:
    """The evaluation error for a string over Azure's limit."""
    return (f"{what} gave a string of {length:,} characters, over Azure's limit of {MAX_STRING:,} "
            "(the evaluation fails, which Azure treats as non-compliant / an implicit deny)")
