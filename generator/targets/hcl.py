"""HCL text helpers: escaping by position, literal values, and terraform-fmt alignment."""

from __future__ import annotations

import re
from typing import Any

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_string(text: str) -> str:
    """A quoted HCL string literal that reads back as ``text`` (template sequences escaped).

    Escapes follow the HCL native syntax spec: backslash escapes for quote, backslash, newline,
    CR, tab, ``\\uNNNN`` for other control characters, and ``$${`` / ``%%{`` so that ``${`` and
    ``%{`` stay literal instead of starting an interpolation or a directive.
    """
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    body = "".join(out).replace("${", "$${").replace("%{", "%%{")
    return f'"{body}"'


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def hcl_key(key: str) -> str:
    """An object key: bare when it is an identifier, quoted otherwise."""
    return key if _IDENT.match(key) else hcl_string(key)


def hcl_value(value: Any, indent: int = 0) -> str:
    """An HCL literal for a JSON-like value (lists and maps spread over lines, as terraform fmt keeps them)."""
    pad = "  " * indent
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = "".join(f"{pad}  {hcl_value(v, indent + 1)},\n" for v in value)
        return f"[\n{items}{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(f"{pad}  {hcl_key(str(k))} = {hcl_value(v, indent + 1)}\n" for k, v in value.items())
        return f"{{\n{items}{pad}}}"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


_ATTR = re.compile(r'^(?P<indent>\s*)(?P<key>[A-Za-z_][A-Za-z0-9_-]*|"(?:[^"\\]|\\.)*")\s*=(?!=)\s*(?P<value>.*)$')


def _balance(text: str) -> int:
    """Open minus close brackets outside string literals (a heredoc opener counts as balanced)."""
    depth, in_str, esc = 0, False, False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
    return depth


_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)$")


def hcl_heredoc(text: str, marker: str = "DESCRIPTION") -> str:
    """A ``<<MARKER`` heredoc holding ``text`` (template sequences escaped; no backslash escapes apply)."""
    body = text.rstrip("\n").replace("${", "$${").replace("%{", "%%{")
    if any(line.strip() == marker for line in body.split("\n")):
        raise ValueError(f"heredoc text contains its own end marker {marker}")
    return f"<<{marker}\n{body}\n{marker}"


def align_attributes(text: str) -> str:
    """Align ``=`` of consecutive one-line attributes at the same indent, as ``terraform fmt`` does.

    An attribute whose value opens a heredoc counts as one line (fmt aligns it with its
    neighbours) and the heredoc body is copied as written without ending the group.
    """
    lines = text.split("\n")
    out: list[str] = []
    # Pending group: attribute entries (indent, key, value) and heredoc body lines (None, line, "").
    group: list[tuple[str | None, str, str]] = []

    def flush() -> None:
        if group:
            width = max(len(k) for ind, k, _ in group if ind is not None)
            out.extend(k if ind is None else f"{ind}{k.ljust(width)} = {v}" for ind, k, v in group)
            group.clear()

    heredoc: str | None = None
    for line in lines:
        if heredoc is not None:
            group.append((None, line, ""))
            if line.strip() == heredoc:
                heredoc = None
            continue
        m = _ATTR.match(line)
        if m and _balance(m.group("value")) == 0:
            if group and next(g[0] for g in group if g[0] is not None) != m.group("indent"):
                flush()
            value = m.group("value").rstrip()
            group.append((m.group("indent"), m.group("key"), value))
            h = _HEREDOC.search(value)
            if h:
                heredoc = h.group(1)
            continue
        flush()
        if m:  # a multi-line value: fmt leaves its '=' unaligned and it ends the group
            out.append(f"{m.group('indent')}{m.group('key')} = {m.group('value').rstrip()}")
        else:
            out.append(line.rstrip())
    flush()
    return "\n".join(out)
