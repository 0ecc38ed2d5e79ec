"""``templatefile()`` of a JSON template (an ARM template, an azapi body) with variables unknown before apply.

Terraform renders the template only at apply, so its text is unknown. When each unknown variable is only
interpolated bare (``"${location}"``) and the rendered text is JSON, the JSON strings holding it are the only
unknown parts: the result is a :class:`PartialJson` whose known structure a template deployment reads. In
every other case (a directive or function reads the variable, the text is not JSON, the variable lands outside
a JSON string) the whole result is unknown, as before.
"""

from __future__ import annotations

import re
from typing import Any

from generator.errors import InputError
from generator.terraform import UNKNOWN
from generator.terraform.tfconfig.values import EvalError, PartialJson, check_size, has_unknown, is_unknown

__all__ = ["partial_templatefile"]

_MARK = "__clausegate_unknown_"   # stands for an unknown variable in the rendered text; never shown
_START = re.compile(r"(\$\$\{|%%\{)|[$%]\{")


def partial_templatefile(ctx: Any, args: list[Any]) -> Any:
    """A PartialJson for ``templatefile(path, vars)`` with unknown ``vars``, or UNKNOWN."""
    from generator.terraform.tfconfig.functions.files import _read

    if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict) or ctx.render is None:
        return UNKNOWN
    variables = args[1]
    unknown = [str(k) for k, v in variables.items() if is_unknown(v)]
    # A variable with only some unknown parts (an object) is read through attributes or functions.
    if any(has_unknown(v) for v in variables.values() if not is_unknown(v)) or not unknown:
        return UNKNOWN
    try:
        text = _read(ctx, "templatefile", args[0])
    except EvalError:
        return UNKNOWN
    if not isinstance(text, str) or _MARK in text or not _only_bare(text, unknown):
        return UNKNOWN
    marked = {k: (f"{_MARK}{i}__" if is_unknown(v) else v) for i, (k, v) in enumerate(variables.items())}
    try:
        rendered = ctx.render(text, marked)
    except EvalError:
        return UNKNOWN
    if not isinstance(rendered, str):
        return UNKNOWN
    check_size(rendered)
    from generator.safeload import parse_json  # depth and number limits

    try:
        data = parse_json(rendered, None)
    except InputError:
        return UNKNOWN  # the unknown lands outside a JSON string, or the template is not JSON
    if not isinstance(data, (dict, list)):
        return UNKNOWN
    return PartialJson(_unmark(data))


def _unmark(value: Any) -> Any:
    """Strings holding a mark are unknown; an object with a marked key is unknown (its property names are)."""
    if isinstance(value, str):
        return UNKNOWN if _MARK in value else value
    if isinstance(value, list):
        return [_unmark(v) for v in value]
    if isinstance(value, dict):
        if any(_MARK in k for k in value):
            return UNKNOWN
        return {k: _unmark(v) for k, v in value.items()}
    return value


def _only_bare(text: str, names: list[str]) -> bool:
    """True when every template sequence that mentions one of ``names`` is exactly ``${name}``."""
    mention = re.compile(r"(?<![\w.\-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w\-])")
    bare = re.compile(r"\$\{~?\s*(?:" + "|".join(re.escape(n) for n in names) + r")\s*~?\}")
    for seq in _sequences(text):
        if seq is None:
            return False  # an unterminated sequence: Terraform rejects the template
        if mention.search(seq) and not bare.fullmatch(seq):
            return False
    return True


def _sequences(text: str) -> Any:
    """The ``${...}`` and ``%{...}`` sequences of a template (None for one that is not closed)."""
    i, n = 0, len(text)
    while True:
        i = _next_start(text, i)
        if i < 0:
            return
        depth, j = 1, i + 2
        while j < n and depth:
            c = text[j]
            if c == '"':
                j += 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            j += 1
        if depth:
            yield None
            return
        yield text[i:j]
        i = j


def _next_start(text: str, i: int) -> int:
    """Where the next sequence starts at or after ``i`` (``$${`` and ``%%{`` are literal text), or -1."""
    while True:
        found = _START.search(text, i)
        if found is None:
            return -1
        if found.group(1):
            i = found.end()
            continue
        return found.start()
