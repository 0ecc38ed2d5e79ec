"""The evaluation scope of one (resource, definition) pair, and trace entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from generator.engine.values import UNKNOWN

if TYPE_CHECKING:
    from generator.engine.aliases import AliasTable


def _default_aliases() -> "AliasTable":
    from generator.engine.aliases import AliasTable

    return AliasTable.default()


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ContextView(dict):
    """subscription() / resourceGroup() when no context gives some of its values (those are UNKNOWN).

    Reading an UNKNOWN value (any letter case) records on `scope` why it is unknown, with `what`
    naming the object and `reason` saying what is missing and how to give it.
    """

    __slots__ = ("what", "reason", "scope", "_lower")

    def __init__(self, data: dict, what: str, reason: str) -> None:
        super().__init__(data)
        self.what = what
        self.reason = reason
        self.scope: Any = None
        self._lower = {k.lower(): k for k in data if isinstance(k, str)}

    def __getitem__(self, key: Any) -> Any:
        try:
            value = dict.__getitem__(self, key)
        except KeyError:
            real = self._lower.get(key.lower()) if isinstance(key, str) else None
            if real is None:
                raise
            value = dict.__getitem__(self, real)
        if value is UNKNOWN and self.scope is not None:
            self.scope.note_unknown(f"{self.what}.{key} is unknown: {self.reason}")
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


@dataclass(slots=True)
class TraceEntry:
    """One leaf condition as evaluated: what was compared, to what, and the outcome."""

    pointer: str
    kind: str  # "field" | "value" | "count"
    subject: str  # the field/alias text or the value expression text
    operator: str
    expected_source: Any  # right-hand side as written, e.g. "[parameters('clearedModels')]"
    actual: Any
    expected: Any
    outcome: Any  # True, False, UNKNOWN or "error"

    def to_dict(self) -> dict:
        """Return a JSON-safe dict (UNKNOWN becomes the string "(known after apply)")."""
        return {
            "pointer": self.pointer,
            "kind": self.kind,
            "subject": self.subject,
            "operator": self.operator,
            "expectedSource": _jsonable(self.expected_source),
            "actual": _jsonable(self.actual),
            "expected": _jsonable(self.expected),
            "outcome": _outcome_word(self.outcome),
        }


def _outcome_word(outcome: Any) -> str:
    if outcome is True:
        return "true"
    if outcome is False:
        return "false"
    if outcome is UNKNOWN:
        return "unknown"
    return str(outcome)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if type(value) is list:
        # Parameter arrays of plain values are the usual case: no recursion per element.
        return [v if type(v) in _PLAIN else _jsonable(v) for v in value]
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass
class Scope:
    """Everything one (resource, definition) evaluation can see; built once per evaluation."""

    resource: dict
    parameters: dict = field(default_factory=dict)
    subscription: dict = field(default_factory=dict)
    resource_group: dict | None = None
    request_context: dict = field(default_factory=dict)
    policy: dict = field(default_factory=dict)
    aliases: "AliasTable" = field(default_factory=_default_aliases)
    now: datetime = field(default_factory=_now)
    trace: list[TraceEntry] | None = None
    warnings: list[str] = field(default_factory=list)
    # Internal: the stack of count iterations (innermost last); see conditions.CountCondition.
    frames: tuple = field(default=(), repr=False, compare=False)
    # Internal: True when parameters, subscription and resource_group are shared, never-mutated
    # objects (the Evaluator's plans and Context's cached entries), so a condition that reads only
    # them may remember its outcome per (parameters, subscription, resource group) identity.
    shared: bool = field(default=False, repr=False, compare=False)
    # Why a value this evaluation read is unknown other than "known after apply": an alias no
    # table knows, a resource group or subscription value no context gives. Never guessed.
    unknown_reasons: list[str] = field(default_factory=list)

    def note_unknown_alias(self, alias: str, message: str) -> None:
        """Record an alias no table knows (once per scope); the result explains itself with it."""
        self.note_unknown(message)

    def note_unknown(self, message: str) -> None:
        """Record why a value is unknown (once per scope), for the result's message and warnings."""
        if message not in self.unknown_reasons:
            self.unknown_reasons.append(message)

    def warn(self, message: str) -> None:
        """Record a warning once per scope."""
        if message not in self.warnings:
            self.warnings.append(message)
