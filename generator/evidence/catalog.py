"""Clauses as the report shows them: taken from the pack data (never from result fields), keyed by policy name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from generator.errors import InputError


@dataclass
class ClauseInfo:
    """One clause of one pack and the names of the policies that enforce it."""

    pack: Any
    clause: Any
    definition: str
    set: str
    effect_parameter: str

    @property
    def key(self) -> str:
        """``pack/clause`` (clause ids are unique within a pack only)."""
        return f"{self.pack.name}/{self.clause.id}"

    @property
    def anchor(self) -> str:
        """An HTML id for the clause's section (pack names and clause ids are slugs)."""
        return "clause-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.key)

    @property
    def remediation(self) -> tuple[str, bool]:
        """(one line, from_pack): the pack's remediation line, else one derived from its exceptions."""
        own = getattr(self.clause, "remediation", None)
        if isinstance(own, str) and own.strip():
            return " ".join(own.split()), True
        text = "Remove the resource, or change it so that no restricted type, kind or model remains"
        for exc in getattr(self.clause, "exceptions", ()):
            tag = self.pack.parameters.get(exc.tag_parameter)
            values = self.pack.parameters.get(exc.values_parameter)
            if tag is not None and values is not None:
                vals = ", ".join(str(v) for v in (values.default or []))
                where = " or ".join({"resourceGroup": "resource group", "subscription": "subscription"}.get(x, x)
                                    for x in exc.lookup)
                text += f"; or, where the use is allowed, attest it with the tag '{tag.default}' ({vals}) on the {where}"
        return text + ".", False


class Catalog:
    """The clauses of the packs named (or found through the results' policy names)."""

    def __init__(self, clauses: list[ClauseInfo]) -> None:
        self.clauses = clauses
        self._by_definition = {c.definition.lower(): c for c in clauses}
        self._by_set_ref = {(c.set.lower(), c.clause.id.lower()): c for c in clauses}
        by_id: dict[str, list[ClauseInfo]] = {}
        for c in clauses:
            by_id.setdefault(c.clause.id.lower(), []).append(c)
        self._by_id = by_id

    @property
    def set_names(self) -> list[str]:
        """Policy set names of the packs."""
        return sorted({c.set for c in self.clauses})

    @property
    def definition_names(self) -> list[str]:
        """Policy definition names of the clauses."""
        return sorted({c.definition for c in self.clauses})

    def find(self, definition: str | None = None, set_name: str | None = None, reference_id: str | None = None,
             clause_id: str | None = None, clause_source: str | None = None) -> ClauseInfo | None:
        """The clause a result or compliance state belongs to: by definition name, set + reference, or clause id."""
        if definition and definition.lower() in self._by_definition:
            return self._by_definition[definition.lower()]
        if set_name and reference_id and (set_name.lower(), reference_id.lower()) in self._by_set_ref:
            return self._by_set_ref[(set_name.lower(), reference_id.lower())]
        if clause_id:
            found = self._by_id.get(clause_id.lower(), [])
            if clause_source and len(found) > 1:
                found = [c for c in found if c.clause.source.url == clause_source] or found
            if len(found) == 1:
                return found[0]
        return None

    def for_assignment(self, kind: str, name: str) -> list[ClauseInfo]:
        """Clauses an assignment of a set (``kind`` "set") or of one definition covers."""
        name = name.lower()
        if kind == "set":
            return [c for c in self.clauses if c.set.lower() == name]
        return [c for c in self.clauses if c.definition.lower() == name]


def load_catalog(pack_refs: Iterable[str], warn: Any = None) -> Catalog:
    """Clauses of the named packs, else of every registered pack (a broken one the user did not name is skipped)."""
    from generator import plugins
    from generator.pack import load_pack
    from generator.targets.policy_json import definition_name, effect_parameter_name, set_name

    refs = list(pack_refs)
    names = refs or plugins.packs.usable_names(warn=warn)
    clauses: list[ClauseInfo] = []
    seen: set[str] = set()
    for ref in names:
        pack = load_pack(ref)
        if pack.name in seen:
            continue
        seen.add(pack.name)
        for c in pack.clauses:
            clauses.append(ClauseInfo(pack, c, definition_name(pack, c), set_name(pack), effect_parameter_name(c)))
    if not clauses:
        raise InputError("no clause pack found: name one with --pack")
    return Catalog(clauses)


__all__ = ["Catalog", "ClauseInfo", "load_catalog"]
