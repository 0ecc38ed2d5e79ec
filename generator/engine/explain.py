"""Readable explanations from a trace, for a person who never saw the policy JSON.

Example: "model.name 'gpt-4o' is not in parameter clearedModels; subscription tag sector='police'
is in parameter lawEnforcementValues".
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

MAX_LINES = 16
_SHORT = 60

# (true phrase, false phrase) per operator, lower-case keys as the service accepts any case.
_PHRASES: dict[str, tuple[str, str]] = {
    "equals": ("equals", "does not equal"),
    "notequals": ("does not equal", "equals"),
    "like": ("matches the pattern", "does not match the pattern"),
    "notlike": ("does not match the pattern", "matches the pattern"),
    "match": ("matches the format", "does not match the format"),
    "matchinsensitively": ("matches the format", "does not match the format"),
    "notmatch": ("does not match the format", "matches the format"),
    "notmatchinsensitively": ("does not match the format", "matches the format"),
    "contains": ("contains", "does not contain"),
    "notcontains": ("does not contain", "contains"),
    "in": ("is in", "is not in"),
    "notin": ("is not in", "is in"),
    "containskey": ("has the key", "does not have the key"),
    "notcontainskey": ("does not have the key", "has the key"),
    "less": ("is less than", "is not less than"),
    "lessorequals": ("is at most", "is more than"),
    "greater": ("is greater than", "is not greater than"),
    "greaterorequals": ("is at least", "is less than"),
}

_PARAM_RE = re.compile(r"^\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]$", re.IGNORECASE)
_FIELD_RE = re.compile(r"field\(\s*'([^']+)'\s*\)", re.IGNORECASE)
_TAG_PATTERNS = [
    # (kind, regex); the group is a quoted tag name or parameters('x')
    ("subscription", re.compile(r"subscription\(\)\s*\.tags\s*\[\s*('(?:[^']|'')*'|parameters\('[^']+'\))\s*\]", re.I)),
    ("subscription", re.compile(r"subscription\(\)\s*\.tags\.([A-Za-z_][\w-]*)", re.I)),
    ("subscription", re.compile(r"tryGet\(\s*subscription\(\)\s*\.tags\s*,\s*('(?:[^']|'')*'|parameters\('[^']+'\))", re.I)),
    ("subscription", re.compile(r"tryGet\(\s*subscription\(\)\s*,\s*'tags'\s*,\s*('(?:[^']|'')*'|parameters\('[^']+'\))", re.I)),
    ("resource group", re.compile(r"tryGet\(\s*resourceGroup\(\)\s*,\s*'tags'\s*,\s*('(?:[^']|'')*'|parameters\('[^']+'\))", re.I)),
    ("resource group", re.compile(r"resourceGroup\(\)\s*\.tags\s*\[\s*('(?:[^']|'')*'|parameters\('[^']+'\))\s*\]", re.I)),
    ("resource group", re.compile(r"resourceGroup\(\)\s*\.tags\.([A-Za-z_][\w-]*)", re.I)),
    ("resource group", re.compile(r"tryGet\(\s*resourceGroup\(\)\s*\.tags\s*,\s*('(?:[^']|'')*'|parameters\('[^']+'\))", re.I)),
    # tryGet(subscription(), 'tags', name): the form the shipped pack's definitions use
    ("subscription", re.compile(r"tryGet\(\s*subscription\(\)\s*,\s*'tags'\s*,\s*('(?:[^']|'')*'|parameters\('[^']+'\))", re.I)),
    ("resource group", re.compile(r"tryGet\(\s*resourceGroup\(\)\s*,\s*'tags'\s*,\s*('(?:[^']|'')*'|parameters\('[^']+'\))", re.I)),
]
_RESOURCE_TAG_RE = re.compile(r"^tags(?:\[\s*'?([^'\]]+)'?\s*\]|\.([\w-]+))$", re.I)


def short_alias(text: str) -> str:
    """'Microsoft.CognitiveServices/accounts/deployments/model.name' -> 'model.name'."""
    if "/" in text and not text.startswith("["):
        return text.rsplit("/", 1)[-1]
    return text


def fmt_value(value: Any) -> str:
    """A value as people read it: strings quoted, missing/unknown spelled out, long values cut."""
    from generator.engine.values import MISSING, UNKNOWN

    if value is UNKNOWN or value == "(known after apply)":
        return "(known after apply)"
    if value is MISSING or value is None:
        return "(missing)"
    if isinstance(value, str):
        return f"'{value}'"
    text = json.dumps(value, default=str)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def _tag_name(token: str, parameters: Mapping[str, Any]) -> str | None:
    token = token.strip()
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    m = re.match(r"parameters\('([^']+)'\)", token, re.I)
    if m:
        lower = {k.lower(): v for k, v in parameters.items()}
        value = lower.get(m.group(1).lower())
        return str(value) if isinstance(value, (str, int)) else None
    return token


_TAG_CACHE: dict[tuple[str, int], tuple[Mapping[str, Any], list[tuple[str, str]]]] = {}


def tag_reads(subject: str, parameters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, tag name) pairs an expression reads from subscription() or resourceGroup() tags."""
    if "tags" not in subject:
        return []
    # Plans keep one parameters dict for the whole run, so its identity is a sound cache key.
    key = (subject, id(parameters))
    hit = _TAG_CACHE.get(key)
    if hit is not None and hit[0] is parameters:  # the entry holds the dict, so its id is not reused
        return hit[1]
    out = _tag_reads(subject, parameters)
    if len(_TAG_CACHE) < 4096:
        _TAG_CACHE[key] = (parameters, out)
    return out


def _tag_reads(subject: str, parameters: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for kind, rx in _TAG_PATTERNS:
        for m in rx.finditer(subject):
            name = _tag_name(m.group(1), parameters)
            if name and (kind, name) not in out:
                out.append((kind, name))
    return out


_SUBJECT_CACHE: dict[tuple[str, str, int], tuple[Mapping[str, Any], str]] = {}


def describe_subject(entry: Any, parameters: Mapping[str, Any]) -> str:
    """Name the left-hand side: a short alias, 'subscription tag sector', or the expression."""
    key = (str(entry.subject), str(entry.kind), id(parameters))
    hit = _SUBJECT_CACHE.get(key)
    if hit is not None and hit[0] is parameters:  # holding the dict keeps its id from being reused
        return hit[1]
    text = _describe_subject(entry, parameters)
    if len(_SUBJECT_CACHE) < 4096:
        _SUBJECT_CACHE[key] = (parameters, text)
    return text


def _describe_subject(entry: Any, parameters: Mapping[str, Any]) -> str:
    subject = str(entry.subject)
    if entry.kind == "count":
        inner = _FIELD_RE.search(subject)
        if inner:
            return f"count of {short_alias(inner.group(1))}"
        # The subject is "count(<field or value>)": name what is counted, without the wrapper.
        counted = subject[6:-1] if subject.startswith("count(") and subject.endswith(")") else subject
        return f"count of {short_alias(counted)}"
    if entry.kind == "field" or not subject.startswith("["):
        m = _RESOURCE_TAG_RE.match(subject)
        if m:
            return f"tag {m.group(1) or m.group(2)}"
        return short_alias(subject)
    pm = _PARAM_RE.match(subject)
    if pm:
        return f"parameter {pm.group(1)}"
    reads = tag_reads(subject, parameters)
    if reads:
        return " or ".join(f"{kind} tag {name}" for kind, name in reads)
    fields = _FIELD_RE.findall(subject)
    if fields and len(subject) > _SHORT:
        return " + ".join(dict.fromkeys(short_alias(f) for f in fields))
    return subject if len(subject) <= 80 else subject[:77] + "..."


def describe_expected(entry: Any) -> str:
    """Name the right-hand side: 'parameter clearedModels', or the literal value."""
    src = entry.expected_source
    if isinstance(src, str):
        m = _PARAM_RE.match(src)
        if m:
            return f"parameter {m.group(1)}"
        if src.startswith("[") and not src.startswith("[["):
            return f"{src} ({fmt_value(entry.expected)})"
    return fmt_value(entry.expected if entry.expected is not None else src)


# Values whose equality means "prints the same" once the type is in the key (not float: -0.0 == 0.0).
_PLAIN = frozenset({str, int, bool, type(None)})
_PARAM_SOURCE: dict[str, bool] = {}
_LINE_CACHE: dict[tuple, tuple[Mapping[str, Any], str]] = {}
_BY_NAME = object()  # key stand-in for an operator value the line names by its parameter


def _is_param_source(src: str) -> bool:
    hit = _PARAM_SOURCE.get(src)
    if hit is None:
        hit = _PARAM_RE.match(src) is not None
        if len(_PARAM_SOURCE) < 4096:
            _PARAM_SOURCE[src] = hit
    return hit


def explain_entry(entry: Any, parameters: Mapping[str, Any]) -> str:
    """One line for one trace entry (remembered per entry content: runs repeat the same lines)."""
    actual, src = entry.actual, entry.expected_source
    if type(actual) not in _PLAIN or type(src) not in _PLAIN:
        return _explain_entry(entry, parameters)
    expected = entry.expected
    if type(expected) not in _PLAIN:
        # A parameter's array is named, not printed ('exists' alone reads the value itself).
        if not (type(src) is str and _is_param_source(src) and str(entry.operator).lower() != "exists"):
            return _explain_entry(entry, parameters)
        expected = _BY_NAME
    outcome = entry.outcome
    # Types are part of the key: True == 1 and 1 == 1.0, but they print differently.
    key = (entry.pointer, entry.kind, entry.subject, entry.operator, src, type(src), actual, type(actual),
           expected, type(expected), outcome, type(outcome), id(parameters))
    try:
        hit = _LINE_CACHE.get(key)
    except TypeError:  # an unhashable subject or operator: not from the engine, just explain it
        return _explain_entry(entry, parameters)
    if hit is not None and hit[0] is parameters:  # the entry holds the dict, so its id is not reused
        return hit[1]
    line = _explain_entry(entry, parameters)
    if len(_LINE_CACHE) >= 4096:
        _LINE_CACHE.clear()
    _LINE_CACHE[key] = (parameters, line)
    return line


def _explain_entry(entry: Any, parameters: Mapping[str, Any]) -> str:
    from generator.engine.values import UNKNOWN

    subject = describe_subject(entry, parameters)
    actual = fmt_value(entry.actual)
    op = str(entry.operator or "")
    low = op.lower()
    if subject.startswith(("subscription tag ", "resource group tag ", "tag ")) and " or " not in subject:
        left = f"{subject}={actual}"
    else:
        left = f"{subject} {actual}"
    if entry.outcome is UNKNOWN:
        return f"{subject} is known only after apply, so '{op}' cannot be decided yet"
    if entry.outcome not in (True, False):
        return f"{left}: evaluating '{op}' failed ({entry.outcome})"
    if low == "exists":
        want = str(entry.expected).lower() in ("true", "1") if not isinstance(entry.expected, bool) else entry.expected
        present = entry.outcome if want else not entry.outcome
        return f"{subject} {'exists' if present else 'does not exist'}" + (f" ({actual})" if present else "")
    phrases = _PHRASES.get(low)
    if phrases is None:
        return f"{left} {op} {describe_expected(entry)}: {str(entry.outcome).lower()}"
    return f"{left} {phrases[0] if entry.outcome else phrases[1]} {describe_expected(entry)}"


def explain(entries: Iterable[Any], *, parameters: Mapping[str, Any], ctx: Any = None,
            result: str | None = None) -> list[str]:
    """Readable lines for a trace; names tags the policy read but no context gives (via ctx.note_tag_read)."""
    lines: list[str] = []
    note = getattr(ctx, "note_tag_read", None) if ctx is not None else None
    if note is not None and not getattr(ctx, "resource_group_known", True):
        # Without a context entry the group's tags are unknown (the result says so), not absent.
        raw_note = note

        def note(kind: str, name: str) -> bool:
            return kind != "resource group" and raw_note(kind, name)

    # A resource group with a name but no context entry: what the policy reads from it is unknown because
    # no context gives it, not because it is decided at apply (the result's message says so too).
    group = getattr(ctx, "resource_group", None) if ctx is not None else None
    rg_not_given = (ctx is not None and not getattr(ctx, "resource_group_known", True) and isinstance(group, dict)
                    and isinstance(group.get("name"), str))
    for entry in entries:
        line = explain_entry(entry, parameters)
        if rg_not_given and " is known only after apply," in line and "resource group" in line.split(" is known")[0]:
            line = line.replace(" is known only after apply,", " is not known (no context gives the resource group),", 1)
        if note is not None:
            reads = tag_reads(str(entry.subject), parameters)
            if reads:
                absent = [f"{kind} tag '{name}'" for kind, name in reads if note(kind, name)]
                if absent:
                    line += f" (the policy reads {' and '.join(absent)}, which no context gives)"
        if line not in lines:
            lines.append(line)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"... {len(lines) - MAX_LINES} more conditions in the trace"]
    return lines
