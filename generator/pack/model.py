"""The clause pack model: plain frozen dataclasses, built only by the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EFFECTS = ("Deny", "Audit", "Disabled")


@dataclass(frozen=True)
class Source:
    """A published text a clause comes from."""

    id: str
    publisher: str
    title: str
    url: str
    quote: str
    effective: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A policy parameter with its default (tag names, accepted values, switches)."""

    name: str
    type: str
    display_name: str
    description: str
    default: Any
    allowed_values: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Condition:
    """Who a clause applies to: one node of an allOf/anyOf tree over scope tags and switches."""

    kind: str  # "subscriptionTag" | "resourceGroupTag" | "parameterTrue" | "anyOf" | "allOf"
    tag_parameter: str | None = None
    values_parameter: str | None = None
    parameter: str | None = None
    children: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class PropertyCondition:
    """A literal comparison on one field of the restricted resource."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True)
class Restriction:
    """One resource type a clause restricts, optionally narrowed by kind, model or properties."""

    type: str
    models: str | None = None  # model selector name, e.g. "image-input"
    model_name_field: str | None = None
    model_version_field: str | None = None
    model_asset_field: str | None = None  # one alias holding an asset id (azureml://.../models/NAME/versions/V)
    model_optional: bool = False  # restrict only when the asset-id field is present
    unless_parameter: str | None = None  # a Boolean parameter that, when true, lifts this restriction
    kinds_parameter: str | None = None
    kinds: tuple[str, ...] | None = None
    properties: tuple[PropertyCondition, ...] = ()
    where: dict[str, Any] | None = None


@dataclass(frozen=True)
class Attestation:
    """An exception: a tag whose value attests the use is allowed, looked up scope by scope."""

    tag_parameter: str
    values_parameter: str
    lookup: tuple[str, ...] = ("resourceGroup", "subscription")


@dataclass(frozen=True)
class Effect:
    """The effect a clause's policy takes by default and the values an assignment may choose."""

    default: str = "Deny"
    allowed: tuple[str, ...] = EFFECTS


@dataclass(frozen=True)
class Clause:
    """One restriction clause: its quoted sentence, scope, restricted resources and exceptions."""

    id: str
    title: str
    source: Source
    quote: str
    rationale: str
    applies_to: tuple[Condition, ...]
    restricts: tuple[Restriction, ...]
    effect: Effect = Effect()
    exceptions: tuple[Attestation, ...] = ()
    references: tuple[Source, ...] = ()
    line: int | None = None
    # What to do about a finding, one line; {parameterName} placeholders are filled with the
    # assignment's values when a finding is reported (e.g. {clearedModels}, {attestationTagName}).
    remediation: str | None = None


@dataclass(frozen=True)
class Example:
    """A behaviour-table row: scope tags, a resource and the expected outcome."""

    name: str
    resource: dict[str, Any]
    expect: str  # "deny" | "audit" | "allow"
    description: str = ""
    subscription_tags: dict[str, str] | None = None
    resource_group_tags: dict[str, str] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pack:
    """A clause pack as loaded and validated from YAML."""

    name: str
    slug: str
    version: str
    display_name: str
    description: str
    category: str
    sources: tuple[Source, ...]
    parameters: dict[str, Parameter]
    clauses: tuple[Clause, ...]
    examples: tuple[Example, ...] = ()
    path: str | None = None

    def clause(self, clause_id: str) -> Clause:
        """Return the clause with ``clause_id`` (KeyError if absent)."""
        for c in self.clauses:
            if c.id == clause_id:
                return c
        raise KeyError(clause_id)
