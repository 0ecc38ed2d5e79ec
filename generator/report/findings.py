"""Findings that trace and guide: the clause behind a result, what to do, and only the conditions that decided.

Applied to a built report (``annotate``), so that every format (text, JSON, SARIF, JUnit) carries the
same clause title, quoted sentence, source and remediation line.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w]*)\}")
_FIELD = re.compile(r"field\(\s*'([^']+)'\s*\)", re.IGNORECASE)
_MAX_LIST = 8


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
        if len(items) > _MAX_LIST:
            return ", ".join(items[:_MAX_LIST]) + f" and {len(items) - _MAX_LIST} more"
        return ", ".join(items) if items else "(none)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def fill_remediation(template: str, values: Mapping[str, Any]) -> str:
    """The remediation line with its {parameter} placeholders filled (an unknown one stays as written)."""
    lower = {k.lower(): v for k, v in values.items()}

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        return _value_text(lower[name.lower()]) if name.lower() in lower else m.group(0)

    return " ".join(_PLACEHOLDER.sub(repl, template).split())


class ClauseInfo:
    """What a definition's clausegate metadata says about its clause, with parameter defaults."""

    def __init__(self, definition: Any) -> None:
        meta = definition.metadata if isinstance(getattr(definition, "metadata", None), Mapping) else {}
        cg = meta.get("clausegate") if isinstance(meta.get("clausegate"), Mapping) else meta
        self.title = cg.get("clauseTitle") if isinstance(cg.get("clauseTitle"), str) else None
        quote = cg.get("quote") or cg.get("clauseQuote")
        self.quote = quote if isinstance(quote, str) else None
        src = cg.get("source") if isinstance(cg.get("source"), Mapping) else {}
        parts = [p for p in (src.get("publisher"), src.get("title")) if isinstance(p, str) and p]
        self.source_title = ", ".join(parts) or None
        self.remediation = cg.get("remediation") if isinstance(cg.get("remediation"), str) else None
        self.defaults: dict[str, Any] = {}
        for name, p in (getattr(definition, "parameters", None) or {}).items():
            if getattr(p, "has_default", False):
                self.defaults[name] = p.default


_AFTER_APPLY = ("depends on values known only after apply", "the outcome depends on values known only after apply")


def annotate(report: dict[str, Any], library: Any = None, parameters: Mapping[str, Any] | None = None, *,
             explain: bool = False) -> dict[str, Any]:
    """Add clause title, quote, source title and remediation; trim explanations; name missing Terraform values."""
    one = annotator(library, parameters, explain=explain)
    return dict(report, results=[r if "resource" not in r else one(r) for r in report.get("results", [])])


def annotator(library: Any = None, parameters: Mapping[str, Any] | None = None, *,
              explain: bool = False) -> Any:
    """A function that annotates one result dict as :func:`annotate` does (clause infos cached per policy)."""
    fields: dict[str, dict[str, Any] | None] = {}  # per policy: its clause fields (the same on every result)
    params = dict(parameters or {})

    def one(r: dict[str, Any]) -> dict[str, Any]:
        r = dict(r)
        if r.get("clauseId") and library is not None:
            name = r.get("policyDefinitionName") or ""
            if name not in fields:
                d = library.find_definition(name) if name else None
                fields[name] = clause_fields(ClauseInfo(d), params) if d is not None else None
            extra = fields[name]
            if extra is not None:
                r = _with_clause(r, extra)
        # Only when the engine's reason is "known only after apply": an unknown alias or a resource group
        # no context gives keeps the engine's own message (it says what to add, and how).
        if r.get("result") == "undetermined" and str(r.get("message") or "").startswith(_AFTER_APPLY):
            missing = missing_values(r)
            if missing:
                r["missing"] = missing
                r["message"] = "depends on values known only after apply: " + ", ".join(missing)
        if not explain and r.get("explanation") and r.get("trace"):
            r["explanation"] = deciding_lines(r["explanation"], r["trace"], r.get("result"))
        return r

    return one


def clause_fields(info: ClauseInfo, params: Mapping[str, Any]) -> dict[str, Any]:
    """The clause title, quote, source title and filled remediation a policy's results carry."""
    extra: dict[str, Any] = {}
    if info.title:
        extra["clauseTitle"] = info.title
    if info.quote:
        extra["clauseQuote"] = " ".join(info.quote.split())
    if info.source_title:
        extra["clauseSourceTitle"] = info.source_title
    if info.remediation:
        extra["remediation"] = fill_remediation(info.remediation, {**info.defaults, **params})
    return extra


def _with_clause(r: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    # keep the contract order: the clause fields right after clauseSource
    new: dict[str, Any] = {}
    for k, v in r.items():
        new[k] = v
        if k == "clauseSource":
            new.update(extra)
    return new


def terraform_address_type(address: str) -> tuple[str, str] | None:
    """(type, address) for a Terraform resource address (``module.m.azurerm_x.y["k"]``), else None."""
    if address.startswith("/") or not re.match(r"^[a-z]", address):
        return None
    bare = re.sub(r"\[(?:\"(?:[^\"\\]|\\.)*\"|\d+)\]", "", address)
    parts = bare.split(".")
    if len(parts) < 2:
        return None
    tf_type = parts[-2]
    if not re.fullmatch(r"[a-z][a-z0-9]*_[a-z0-9_]+", tf_type):
        return None
    return tf_type, address


def missing_values(r: Mapping[str, Any]) -> list[str]:
    """The values an undetermined result waits for, as the input names them (Terraform attributes when it can)."""
    fields: list[str] = []
    for entry in r.get("trace") or ():
        if str(entry.get("outcome")).lower() != "unknown":
            continue
        subject = str(entry.get("subject") or "")
        found = _FIELD.findall(subject) or ([subject] if entry.get("kind") == "field" else [])
        for alias in found:
            if alias not in fields:
                fields.append(alias)
    if not fields:
        return []
    tf = terraform_address_type(str(r.get("resource") or ""))
    names = []
    for alias in fields:
        name = None
        if tf is not None:
            from generator.terraform.mapping import terraform_attribute

            short = alias.rsplit("/", 1)[-1] if "/" in alias else alias
            for arm_path in (f"properties.{short}", short):
                attr = terraform_attribute(tf[0], arm_path)
                if attr:
                    name = f"{tf[1]}.{attr}"
                    break
        if name is None:
            name = alias.rsplit("/", 1)[-1] if "/" in alias else alias
        if name not in names:
            names.append(name)
    return names


# --- the conditions that decided -----------------------------------------------------------------

def _outcome(value: Any) -> Any:
    text = str(value).lower()
    return True if text == "true" else False if text == "false" else None  # None: unknown or error


def deciding_pointers(trace: list[Mapping[str, Any]], result: str | None) -> set[str]:
    """Pointers of the trace leaves that decided the outcome (the rest is context, shown by --explain)."""
    leaves = {str(e.get("pointer")): _outcome(e.get("outcome")) for e in trace if e.get("pointer") is not None}
    if not leaves:
        return set()
    children: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for ptr in leaves:
        parts = ptr.split("/")
        for i in range(1, len(parts)):
            if parts[i] == "not":
                parent, child, kind = "/".join(parts[:i]), "/".join(parts[:i + 1]), "not"
            elif parts[i].isdigit() and parts[i - 1] in ("allOf", "anyOf"):
                parent, child, kind = "/".join(parts[:i - 1]), "/".join(parts[:i + 1]), parts[i - 1]
            else:
                continue
            kinds[parent] = kind
            kids = children.setdefault(parent, [])
            if child not in kids:
                kids.append(child)
    memo: dict[str, Any] = {}

    def value(node: str) -> Any:
        if node not in children:
            return leaves.get(node)
        if node not in memo:
            vals = [value(k) for k in children[node]]
            kind = kinds[node]
            if kind == "not":
                v = None if vals[0] is None else not vals[0]
            elif kind == "anyOf":
                v = True if True in vals else (None if None in vals else False)
            else:
                v = False if False in vals else (None if None in vals else True)
            memo[node] = v
        return memo[node]

    keep: set[str] = set()

    def walk(node: str) -> None:
        if node not in children:
            if node in leaves:
                keep.add(node)
            return
        kids = children[node]
        v, kind = value(node), kinds[node]
        if v is None:
            chosen = [c for c in kids if value(c) is None]
        elif kind == "anyOf":
            chosen = [c for c in kids if value(c) is True] if v else kids
        elif kind == "allOf":
            chosen = kids if v else [c for c in kids if value(c) is False]
        else:
            chosen = kids
        for c in chosen:
            walk(c)

    every = set(children) | set(leaves)
    for root in [n for n in every if not any(n != m and n.startswith(m + "/") for m in every)]:
        walk(root)
    # A resource is of its type by definition: "type equals X" on a reported result says nothing new.
    for e in trace:
        if e.get("subject") == "type" and e.get("kind") == "field" and _outcome(e.get("outcome")) is True \
                and result != "no-match":
            keep.discard(str(e.get("pointer")))
    return keep


_DECIDING_CACHE: dict[tuple[Any, ...], frozenset[str]] = {}


def _entry_key(e: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an explanation line is made of: entries with equal keys print the same line."""
    return (e.get("kind"), e.get("subject"), e.get("operator"), repr(e.get("expectedSource")),
            repr(e.get("actual")), str(e.get("outcome")))


def deciding_lines(explanation: list[str], trace: list[Mapping[str, Any]], result: str | None) -> list[str]:
    """The explanation lines of the deciding conditions (every line when they cannot be matched to the trace)."""
    from generator.engine.explain import MAX_LINES

    # Runs repeat the same policy shape thousands of times: the deciding leaves depend only on the
    # pointers, their outcomes and the result.
    shape = (result, tuple((str(e.get("pointer")), str(e.get("outcome")), e.get("subject") == "type")
                           for e in trace))
    keep = _DECIDING_CACHE.get(shape)
    if keep is None:
        keep = frozenset(deciding_pointers(trace, result))
        if len(_DECIDING_CACHE) >= 4096:
            _DECIDING_CACHE.clear()
        _DECIDING_CACHE[shape] = keep
    if not keep:
        return explanation
    # explain() wrote one line per distinct entry text, in trace order: align by that order (entries
    # whose content is equal print the same line; any other mismatch shows every line).
    order: dict[tuple[Any, ...], int] = {}
    index_of = [order.setdefault(_entry_key(e), len(order)) for e in trace]
    full = len(order) if len(order) <= MAX_LINES else MAX_LINES + 1
    if full != len(explanation):
        return explanation
    wanted = {index_of[i] for i, e in enumerate(trace) if str(e.get("pointer")) in keep}
    lines = [line for i, line in enumerate(explanation) if i in wanted]
    return lines or explanation
