"""Results remembered per identical input: a `for_each` over hundreds of deployments of a few models is
evaluated once per distinct deployment, not once per instance.

Evaluating a resource is a function of what the policies can read: the resource, the subscription and
resource group it lands in, the action, and the trace mode. Two resources that differ only in their
``name`` and ``id`` get the same results (but for their address, file and line) when no policy of the
library reads ``name``, ``id`` or ``fullName`` - which :func:`reads_identity` decides from the
definitions' JSON, conservatively: a field whose name is an expression, or any doubt, counts as a read.
Assignments and exemptions can depend on a resource's id (notScopes, exemption scopes): with any of
them, nothing is remembered. ``CLAUSEGATE_RESULT_MEMO=0`` turns this off (the test suite compares).
"""

from __future__ import annotations

import dataclasses
import operator
import os
import re
from typing import Any

# the resource's own identity: what an exact field read of these would see
_IDENTITY = frozenset({"name", "id", "fullname"})
_FIELD_CALL = re.compile(r"field\s*\(\s*([^)]*)\)", re.IGNORECASE)
_MAX_ENTRIES = 1024


def _names_identity(field_text: str) -> bool:
    text = field_text.strip()
    if not text or text.startswith("["):
        return True  # an expression: could be anything
    low = text.lower()
    if low in _IDENTITY:
        return True
    # an alias ending in a bare /name or /id (no property path after the type) may be the resource's own
    last = low.rsplit("/", 1)[-1]
    return "/" in low and last in _IDENTITY


def reads_identity(doc: Any) -> bool:
    """Whether a policy definition document (or any JSON in it) may read the resource's name or id."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if isinstance(key, str) and key.lower() == "field":
                if not isinstance(value, str) or _names_identity(value):
                    return True
            elif reads_identity(value):
                return True
        return False
    if isinstance(doc, list):
        return any(reads_identity(v) for v in doc)
    if isinstance(doc, str) and "field" in doc.lower():
        for arg in _FIELD_CALL.findall(doc):
            arg = arg.strip()
            if not (len(arg) >= 2 and arg[0] == arg[-1] == "'") or _names_identity(arg[1:-1]):
                return True
    return False


class ResultMemo:
    """Remembered evaluations of one run (one context, one evaluator)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], tuple[list[Any], list[str], tuple[Any, ...]]] = {}

    @staticmethod
    def usable(evaluator: Any) -> bool:
        """Whether results may be remembered for this evaluator's library and assignments."""
        if os.environ.get("CLAUSEGATE_RESULT_MEMO", "").strip() in ("0", "false", "off", "no"):
            return False
        if evaluator.assignments or evaluator.exemptions:
            return False
        return getattr(evaluator.library, "identity_free", False) is True

    @staticmethod
    def key(resource: Any, ctx: Any, action: str, full_trace: bool) -> tuple[Any, ...] | None:
        """What the results depend on; None when the resource cannot be keyed (not a mapping)."""
        if not isinstance(resource, dict):
            return None
        body = repr({k: v for k, v in resource.items() if k not in ("name", "id")})
        return (body, id(ctx.subscription), id(ctx.resource_group), ctx.given_subscription_tags,
                ctx.given_resource_group_tags, ctx.subscription_known, ctx.resource_group_known,
                tuple(ctx.missing), action, full_trace)

    def get(self, key: tuple[Any, ...], ctx: Any, address: str, file: str | None, line: int | None,
            *, share_no_match: bool = False) -> list[Any] | None:
        """The remembered results for ``key``, readdressed; the context notes they made, made again.

        ``share_no_match``: the caller only counts no-match results (never reads their address nor
        changes them), so those are returned as remembered, not copied."""
        hit = self._entries.get(key)
        if hit is None:
            return None
        results, notes, _alive = hit
        for note in notes:
            if note not in ctx.missing:
                ctx.missing.append(note)
        return [r if share_no_match and r.result == "no-match" else _copy(r, address, file, line) for r in results]

    def put(self, key: tuple[Any, ...], results: list[Any], ctx: Any, missing_before: int) -> None:
        """Remember ``results`` (copies: the caller changes its own) and the context notes they added."""
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        # the context objects are kept alive with the entry: their ids are part of the key
        alive = (ctx.subscription, ctx.resource_group)
        self._entries[key] = ([_copy(r, r.resource, r.file, r.line) for r in results], list(ctx.missing[missing_before:]),
                              alive)


def _copy(result: Any, address: str, file: str | None, line: int | None) -> Any:
    """A copy of a result at another address (dataclasses.replace, without its per-field checks)."""
    cls = type(result)
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))
    copy = cls(*fields(result))
    copy.resource, copy.file, copy.line = address, file, line
    return copy


_FIELDS: dict[type, Any] = {}
