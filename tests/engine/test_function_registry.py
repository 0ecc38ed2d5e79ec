"""The ARM template function registry is filled by the modules of generator.engine.functions as they are
imported: each group must be there (a module left out of the package's imports would drop its functions
silently, and a policy calling one would fail to compile)."""

from __future__ import annotations

from generator.engine.functions import FUNCTIONS

# One or more functions per module of the package, and the total the split kept.
GROUPS = {
    "strings": {"concat", "format", "substring", "uniquestring", "uricomponent"},
    "collections": {"createarray", "union", "intersection", "objectkeys", "range"},
    "comparison": {"equals", "greater", "lessorequals", "not", "bool"},
    "numeric": {"add", "div", "mod", "int", "max"},
    "dates": {"utcnow", "adddays"},
    "context": {"subscription", "resourcegroup", "requestcontext", "policy", "iprangecontains"},
}


def test_every_group_of_functions_is_registered() -> None:
    names = set(FUNCTIONS)
    missing = {group: sorted(fns - names) for group, fns in GROUPS.items() if fns - names}
    assert not missing, missing
    assert len(FUNCTIONS) >= 72
