"""Terraform's JSON configuration syntax (``.tf.json``) read into the same :class:`Body` as HCL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.errors import InputError
from generator.terraform.tfconfig.parser import Block, Body, parse_expression
from generator.terraform.tfconfig.values import EvalError

# Nested blocks everywhere (JSON gives objects; without provider schemas, these names say "block").
_JSON_BLOCKS = frozenset({"lifecycle", "timeouts", "provisioner", "connection", "validation", "precondition",
                          "postcondition", "features"})
# Labels each top-level block type takes in JSON nesting ("resource": {"type": {"name": {...}}}).
_JSON_LABELS = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "provider": 1,
                "locals": 0, "terraform": 0, "moved": 0, "import": 0, "check": 1}


def _json_template(text: str) -> str:
    """A JSON string as HCL template source: quotes and backslashes escaped, ``${...}`` kept as written."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$${", i) or text.startswith("%%{", i):
            out.append(text[i:i + 3])
            i += 3
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            depth, j, quote = 0, i + 1, False
            while j < len(text):
                ch = text[j]
                if quote:
                    if ch == "\\":
                        j += 1
                    elif ch == '"':
                        quote = False
                elif ch == '"':
                    quote = True
                elif ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(text[i:j + 1])
            i = j + 1
            continue
        ch = text[i]
        out.append({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, ch))
        i += 1
    return '"' + "".join(out) + '"'


def _json_expr_source(value: Any, template: bool = True) -> str:
    """HCL expression source for a JSON value; strings are templates unless ``template`` is False."""
    if isinstance(value, str):
        return _json_template(value) if template else _json_template(value.replace("${", "$${").replace("%{", "%%{"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_json_expr_source(v, template) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{json.dumps(str(k))} = {_json_expr_source(v, template)}" for k, v in value.items() if k != "//"]
        return "{\n" + "\n".join(items) + "\n}"
    raise EvalError(f"unexpected JSON value {value!r}")


def _json_expression(value: Any, file: str, line: int, *, template: bool = True, raw: bool = False) -> Any:
    """The expression tree for a JSON attribute value (``raw``: the string is an HCL expression, e.g. a type)."""
    source = value if raw and isinstance(value, str) else _json_expr_source(value, template)
    try:
        return parse_expression(source, file)
    except InputError:
        raise InputError("invalid expression in JSON configuration", file=file, line=line) from None


def _json_body(obj: Any, file: str, line: int, kind: str, block_names: frozenset[str]) -> Body:
    """A block body from its JSON object: objects (or lists of objects) under block names are blocks."""
    body = Body()
    if not isinstance(obj, dict):
        raise InputError(f"a {kind} block must be a JSON object", file=file, line=line)
    for key, value in obj.items():
        if key == "//":
            continue  # JSON syntax comment
        if key == "dynamic" and isinstance(value, dict):
            for label, spec in value.items():
                for item in value_list(spec):
                    body.blocks.append(Block("dynamic", [label], _json_body(item, file, line, "dynamic", frozenset({"content"})),
                                             file, line))
            continue
        if (key in block_names or key in _JSON_BLOCKS) and (isinstance(value, dict) or (
                isinstance(value, list) and value and all(isinstance(v, dict) for v in value))):
            for item in value_list(value):
                body.blocks.append(Block(key, [], _json_body(item, file, line, key, frozenset()), file, line))
            continue
        raw = kind == "variable" and key == "type"          # a type constraint is an expression, not a string
        template = not (kind == "variable" and key == "default")  # defaults are literal values
        body.attributes[key] = (_json_expression(value, file, line, template=template, raw=raw), line)
    return body


def value_list(value: Any) -> list[Any]:
    """JSON syntax allows one object or a list of them wherever blocks repeat."""
    return value if isinstance(value, list) else [value]


def _json_line(text: str, *keys: str) -> int:
    """Line of the JSON key path (first match of each key after the previous): a block's location."""
    pos = 0
    for key in keys:
        found = text.find(json.dumps(key), pos)
        if found < 0:
            break
        pos = found
    return text.count("\n", 0, pos) + 1


def parse_json_file(path: Path, display: str) -> Body:
    """Parse one ``.tf.json`` file (Terraform's JSON configuration syntax) into a :class:`Body`."""
    from generator.safeload import parse_json, read_text

    text = read_text(path)
    data = parse_json(text, display)
    if not isinstance(data, dict):
        raise InputError("a .tf.json file must hold a JSON object", file=display)
    from generator.terraform.mapping import block_attributes

    out = Body()
    for block_type, content in data.items():
        if block_type == "//":
            continue
        depth = _JSON_LABELS.get(block_type)
        if depth is None:
            continue
        for item in value_list(content):
            stack: list[tuple[list[str], Any]] = [([], item)]
            while stack:
                labels, obj = stack.pop(0)
                if len(labels) < depth:
                    if not isinstance(obj, dict):
                        raise InputError(f"{block_type} block labels must be JSON objects", file=display)
                    stack.extend((labels + [k], v) for k, v in obj.items() if k != "//")
                    continue
                line = _json_line(text, block_type, *labels)
                names = block_attributes(labels[0]) if block_type in ("resource", "data") else frozenset()
                for entry in value_list(obj):
                    out.blocks.append(Block(block_type, labels, _json_body(entry, display, line, block_type, names),
                                            display, line))
    return out
