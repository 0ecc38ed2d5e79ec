"""Read a directory of ``.tf`` files as Terraform would see it before a plan.

python-hcl2 parses (its Lark grammar, with line numbers); this module evaluates the expression subset
that decides what gets deployed: variables (defaults, ``terraform.tfvars``, ``*.auto.tfvars``,
``-var-file``, ``-var``, ``TF_VAR_*``), locals, ``count`` / ``for_each``, ``dynamic`` blocks, child
modules with local sources (or the ones ``terraform init`` recorded in ``.terraform/modules``), string
templates, ``for`` expressions, splats, conditionals and the common functions. Whatever cannot be
known before apply (a resource's ``id``, a data source, an unsupported function) is UNKNOWN, never
a guess; references to other resources are kept so that mapping can still place the resource.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from generator.errors import InputError
from generator.terraform import UNKNOWN, TfResource, instance_suffix

META_ARGS = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"})


class EvalError(Exception):
    """An expression Terraform would reject or that this evaluator does not support."""


@dataclass(frozen=True)
class RefUnknown:
    """Unknown until apply, but known to come from these (resource address, attribute) pairs."""

    refs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PartialJson:
    """``jsonencode(x)`` of a value with unknown parts: kept as the object so that a body stays readable."""

    value: Any


def is_unknown(value: Any) -> bool:
    """True for UNKNOWN and for unknown values that carry references."""
    return value is UNKNOWN or isinstance(value, (RefUnknown, PartialJson))


def has_unknown(value: Any) -> bool:
    """True when an unknown occurs anywhere inside ``value``."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


# -- parsing ------------------------------------------------------------------------------------

@dataclass
class Body:
    """A block body: attributes (expression trees) and nested blocks, with lines."""

    attributes: dict[str, tuple[Any, int]] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Block:
    """``type "label" "label" { body }``."""

    type: str
    labels: list[str]
    body: Body
    file: str
    line: int


def _parse_tree(text: str, file: str) -> Tree:
    from hcl2.api import parses_to_tree

    try:
        return parses_to_tree(text)
    except UnexpectedInput as exc:
        line = getattr(exc, "line", None)
        line = line if isinstance(line, int) and line > 0 else text.count("\n") + 1
        col = getattr(exc, "column", None)
        where = f", column {col}" if isinstance(col, int) and col > 0 else ""
        raise InputError(f"HCL syntax error{where}", file=file, line=line) from None
    except Exception as exc:  # lark raises a few other types on odd input; all are bad input here
        raise InputError(f"HCL syntax error: {type(exc).__name__}", file=file) from None


def _subtrees(node: Tree) -> list[Any]:
    """Children that carry meaning (no punctuation tokens, no newlines or comments)."""
    out = []
    for c in node.children:
        if isinstance(c, Tree):
            if c.data != "new_line_or_comment":
                out.append(c)
        elif c.type not in _PUNCT:
            out.append(c)
    return out


_PUNCT = frozenset({
    "LBRACE", "RBRACE", "LSQB", "RSQB", "LPAR", "RPAR", "COMMA", "DOT", "EQ", "COLON", "DBLQUOTE",
    "QMARK", "INTERP_START", "NL_OR_COMMENT", "FOR_OBJECT_ARROW", "COLONS",
})


def _label(node: Any) -> str:
    if isinstance(node, Token):
        return str(node)
    if node.data in ("identifier", "keyword", "literal_value"):
        return str(node.children[0])
    if node.data == "string":
        return "".join(str(p.children[0]) for p in node.children if isinstance(p, Tree) and isinstance(p.children[0], Token))
    raise EvalError(f"unexpected label {node.data}")


def _body(node: Tree, file: str) -> Body:
    body = Body()
    for child in node.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            parts = _subtrees(child)
            body.attributes[_label(parts[0])] = (parts[-1], child.meta.line)
        elif child.data == "block":
            parts = _subtrees(child)
            inner = next(p for p in parts if isinstance(p, Tree) and p.data == "body")
            heads = [p for p in parts if p is not inner]
            body.blocks.append(Block(_label(heads[0]), [_label(h) for h in heads[1:]], _body(inner, file), file, child.meta.line))
    return body


def parse_file(path: Path, display: str) -> Body:
    """Parse one ``.tf`` or ``.tfvars`` file into a :class:`Body`."""
    from generator.safeload import read_text

    text = read_text(path).removeprefix("\ufeff")  # editors on Windows may write a BOM
    tree = _parse_tree(text, display)
    return _body(tree.children[0], display)


# -- JSON syntax (.tf.json) ----------------------------------------------------------------------

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
        tree = _parse_tree(f"x = {source}\n", file)
    except InputError:
        raise InputError("invalid expression in JSON configuration", file=file, line=line) from None
    attr = next(c for c in tree.children[0].children if isinstance(c, Tree) and c.data == "attribute")
    return _subtrees(attr)[-1]


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


# -- values -------------------------------------------------------------------------------------

class Lazy:
    """An object whose attributes are computed on access (locals, resources, module outputs)."""

    def get(self, name: str) -> Any:  # pragma: no cover - abstract
        """Value of attribute ``name``."""
        raise NotImplementedError


class _Namespace(Lazy):
    def __init__(self, getter: Callable[[str], Any]) -> None:
        self._getter = getter

    def get(self, name: str) -> Any:
        return self._getter(name)


def _tf_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    raise EvalError(f"cannot use a {type(value).__name__} in a string template")


def _plain(value: Any) -> Any:
    """Materialise lazy objects (for jsonencode, outputs used as whole objects)."""
    if isinstance(value, Lazy):
        raise EvalError("a whole resource or module object is not supported here")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _strip_unknown_json(value: Any) -> Any:
    if isinstance(value, PartialJson):
        return value.value
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _strip_unknown_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_unknown_json(v) for v in value]
    return value


# -- functions ----------------------------------------------------------------------------------

def _fn_merge(*args: Any) -> Any:
    out: dict[str, Any] = {}
    for a in args:
        if a is None:
            continue
        if not isinstance(a, dict):
            raise EvalError("merge() takes maps")
        out.update(a)
    return out


def _fn_lookup(m: Any, key: Any, *default: Any) -> Any:
    if isinstance(m, dict) and key in m:
        return m[key]
    if default:
        return default[0]
    raise EvalError(f"lookup(): no key {key!r}")


def _fn_format(fmt: str, *args: Any) -> str:
    it = iter(args)

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%"
        return _tf_str(next(it))

    return re.sub(r"%%|%[-+ #0-9.]*[sdvqtfeEgGxXob]", sub, fmt)


def _fn_flatten(v: Any) -> list[Any]:
    out: list[Any] = []
    for item in v:
        if isinstance(item, list):
            out.extend(_fn_flatten(item))
        else:
            out.append(item)
    return out


def _fn_distinct(v: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in v:
        if item not in out:
            out.append(item)
    return out


def _fn_toset(v: Any) -> list[Any]:
    return sorted(_fn_distinct(list(v)), key=lambda x: json.dumps(x, sort_keys=True, default=str))


def _fn_range(*a: Any) -> list[Any]:
    return list(range(*[int(x) for x in a]))


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsondecode": lambda s: json.loads(s),
    "yamldecode": lambda s: __import__("yaml").safe_load(s),
    "merge": _fn_merge,
    "lookup": _fn_lookup,
    "concat": lambda *a: [x for part in a for x in part],
    "length": lambda v: len(v),
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "toset": _fn_toset,
    "tolist": lambda v: list(v),
    "tomap": lambda v: dict(v),
    "tostring": lambda v: v if v is None else _tf_str(v),
    "tonumber": lambda v: v if v is None else (float(v) if "." in str(v) else int(v)),
    "tobool": lambda v: v if isinstance(v, bool) or v is None else {"true": True, "false": False}[v],
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "title": lambda s: s.title(),
    "trimspace": lambda s: s.strip(),
    "trim": lambda s, c: s.strip(c),
    "trimprefix": lambda s, p: s[len(p):] if s.startswith(p) else s,
    "trimsuffix": lambda s, p: s[: -len(p)] if p and s.endswith(p) else s,
    "format": _fn_format,
    "join": lambda sep, v: sep.join(_tf_str(x) for x in v),
    "split": lambda sep, s: s.split(sep),
    "replace": lambda s, a, b: s.replace(a, b),
    "substr": lambda s, o, n: s[o:] if n < 0 else s[o:o + n],
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "coalesce": lambda *a: next(x for x in a if x not in (None, "")),
    "coalescelist": lambda *a: next(x for x in a if x),
    "contains": lambda v, x: x in v,
    "element": lambda v, i: v[int(i) % len(v)],
    "index": lambda v, x: v.index(x),
    "flatten": _fn_flatten,
    "distinct": _fn_distinct,
    "compact": lambda v: [x for x in v if x not in (None, "")],
    "zipmap": lambda k, v: dict(zip(k, v)),
    "slice": lambda v, a, b: v[int(a):int(b)],
    "reverse": lambda v: list(reversed(v)),
    "sort": lambda v: sorted(v),
    "range": _fn_range,
    "abs": abs,
    "min": lambda *a: min(a),
    "max": lambda *a: max(a),
    "ceil": math.ceil,
    "floor": math.floor,
    "sum": lambda v: sum(v),
    "one": lambda v: (v[0] if v else None) if len(v) <= 1 else (_ for _ in ()).throw(EvalError("one(): more than one element")),
    "setunion": lambda *a: _fn_toset([x for part in a for x in part]),
    "setintersection": lambda a, *b: _fn_toset([x for x in a if all(x in o for o in b)]),
    "setsubtract": lambda a, b: _fn_toset([x for x in a if x not in b]),
    "base64encode": lambda s: base64.b64encode(s.encode()).decode(),
    "base64decode": lambda s: base64.b64decode(s).decode(),
    "sha256": lambda s: hashlib.sha256(s.encode()).hexdigest(),
    "md5": lambda s: hashlib.md5(s.encode()).hexdigest(),  # noqa: S324 - Terraform's md5(), not security
    "regex": lambda p, s: _regex(p, s),
    "can": None,   # handled lazily
    "try": None,   # handled lazily
    "jsonencode": None,  # handled specially: keeps a body with unknown parts readable
}


def _regex(pattern: str, s: str) -> Any:
    m = re.search(pattern, s)
    if not m:
        raise EvalError("regex(): no match")
    if m.groupdict():
        return m.groupdict()
    if m.groups():
        return list(m.groups())
    return m.group(0)


# -- the evaluator ------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "uU":
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, "\\" + esc)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", sub, text)


class Scope:
    """Names visible to an expression: module instance, each / count, for-expression variables."""

    def __init__(self, module: ModuleInstance, each: tuple[Any, Any] | None = None, count: int | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self.module = module
        self.each = each
        self.count = count
        self.extra = extra or {}

    def child(self, names: dict[str, Any]) -> Scope:
        """A scope with more names (a for expression's variables, a dynamic block's iterator)."""
        return Scope(self.module, self.each, self.count, {**self.extra, **names})

    def root(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        m = self.module
        if name == "var":
            return m.variables
        if name == "local":
            return _Namespace(m.local)
        if name == "each":
            if self.each is None:
                raise EvalError("each is only valid with for_each")
            return {"key": self.each[0], "value": self.each[1]}
        if name == "count":
            if self.count is None:
                raise EvalError("count is only valid with count")
            return {"index": self.count}
        if name == "module":
            return _Namespace(m.module_output_object)
        if name == "path":
            return {"module": str(m.definition.dir), "root": str(m.reader.root), "cwd": os.getcwd()}
        if name == "terraform":
            return {"workspace": "default"}
        if name == "data":
            return _Namespace(lambda _t: _Namespace(lambda _n: UNKNOWN))
        if name in m.definition.resources_by_type:
            return _Namespace(lambda n, t=name: m.resource_object(t, n))
        raise EvalError(f"unknown name {name!r}")


def evaluate(node: Any, scope: Scope) -> Any:
    """Evaluate an expression tree; unknowns propagate, EvalError for what Terraform would reject."""
    if isinstance(node, Token):
        raise EvalError(f"unexpected token {node.type}")
    kind = node.data
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise EvalError(f"unsupported expression {kind}")
    return handler(node, scope)


def _e_expr_term(node: Tree, scope: Scope) -> Any:
    parts = _subtrees(node)
    return evaluate(parts[0], scope)


def _e_literal(node: Tree, scope: Scope) -> Any:
    return {"true": True, "false": False, "null": None}[str(node.children[0])]


def _e_int(node: Tree, scope: Scope) -> Any:
    return int(str(node.children[0]))


def _e_float(node: Tree, scope: Scope) -> Any:
    return float(str(node.children[0]))


def _e_identifier(node: Tree, scope: Scope) -> Any:
    return scope.root(str(node.children[0]))


def _template(parts: list[Any], scope: Scope) -> Any:
    out: list[str] = []
    unknown: Any = None
    for part in parts:
        if isinstance(part, Token):
            if part.type == "ESCAPED_INTERPOLATION":
                out.append(str(part)[1:])
            elif part.type == "ESCAPED_DIRECTIVE":
                out.append(str(part)[1:])
            else:
                out.append(_unescape(str(part)))
            continue
        if part.data == "interpolation":
            value = evaluate(_subtrees(part)[0], scope)
            if is_unknown(value):
                unknown = UNKNOWN
                continue
            if value is None:
                raise EvalError("null in a string template")
            out.append(_tf_str(value))
        else:
            unknown = UNKNOWN  # %{if}/%{for} directives: not evaluated
    return unknown if unknown is not None else "".join(out)


def _e_string(node: Tree, scope: Scope) -> Any:
    parts = [p.children[0] for p in node.children if isinstance(p, Tree) and p.data == "string_part"]
    if len(parts) == 1 and isinstance(parts[0], Tree) and parts[0].data == "interpolation":
        # "${x}" alone keeps x's type (Terraform unwraps a sole interpolation)
        return evaluate(_subtrees(parts[0])[0], scope)
    return _template(parts, scope)


def _e_heredoc(node: Tree, scope: Scope) -> Any:
    text = str(node.children[0])
    trim = node.data == "heredoc_template_trim"
    first_nl = text.index("\n")
    marker = text[2 + trim:first_nl].strip()
    body = text[first_nl + 1:].rstrip("\n")
    body = body[: body.rfind(marker)].rstrip(" \t")
    lines = body.split("\n")
    if trim:
        indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
        cut = min(indents) if indents else 0
        lines = [ln[cut:] for ln in lines]
    body = "\n".join(lines)
    if "${" not in body:
        return body
    pieces: list[str] = []
    pos = 0
    unknown = False
    for m in re.finditer(r"(?<!\$)\$\{([^}]*)\}", body):
        pieces.append(body[pos:m.start()])
        inner = _body(_parse_tree(f"x = {m.group(1)}\n", "<heredoc>").children[0], "<heredoc>")
        value = evaluate(inner.attributes["x"][0], scope)
        if is_unknown(value):
            unknown = True
        else:
            pieces.append(_tf_str(value))
        pos = m.end()
    pieces.append(body[pos:])
    return UNKNOWN if unknown else "".join(pieces).replace("$${", "${")


def _e_tuple(node: Tree, scope: Scope) -> Any:
    return [evaluate(c, scope) for c in _subtrees(node)]


def _e_object(node: Tree, scope: Scope) -> Any:
    out: dict[str, Any] = {}
    for elem in _subtrees(node):
        key_node, value_node = _subtrees(elem)[0], _subtrees(elem)[-1]
        inner = _subtrees(key_node)[0]
        if isinstance(inner, Tree) and inner.data == "keyword":
            key: Any = str(inner.children[0])
        else:
            # A bare identifier key is its name; anything else is an expression ("${x}", (x)).
            ident = _subtrees(inner)[0] if isinstance(inner, Tree) and inner.data == "expr_term" else None
            if isinstance(ident, Tree) and ident.data == "identifier":
                key = str(ident.children[0])
            else:
                key = evaluate(inner, scope)
        if is_unknown(key):
            return UNKNOWN
        out[_tf_str(key)] = evaluate(value_node, scope)
    return out


def _call_args(node: Tree) -> tuple[list[Any], bool]:
    parts = _subtrees(node)
    args_node = next((p for p in parts if isinstance(p, Tree) and p.data == "arguments"), None)
    if args_node is None:
        return [], False
    expand = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_node.children)
    # `f(list...)`: the ellipsis marks the expansion, it is not an argument
    return [a for a in _subtrees(args_node) if not (isinstance(a, Token) and a.type == "ELLIPSIS")], expand


def _e_function(node: Tree, scope: Scope) -> Any:
    parts = _subtrees(node)
    names = [str(p.children[0]) for p in parts if isinstance(p, Tree) and p.data == "identifier"]
    name = names[-1]
    arg_nodes, expand = _call_args(node)
    if name in ("try", "can"):
        for arg in arg_nodes:
            try:
                value = evaluate(arg, scope)
            except EvalError:
                if name == "can":
                    return False
                continue
            return True if name == "can" else value
        if name == "can":
            return False
        raise EvalError("try(): no argument could be evaluated")
    args = [evaluate(a, scope) for a in arg_nodes]
    if expand and args:
        last = args.pop()
        if is_unknown(last):
            return UNKNOWN
        args.extend(last)
    if name == "jsonencode":
        value = args[0]
        if isinstance(value, Lazy):
            return UNKNOWN
        if has_unknown(value):
            return PartialJson(_strip_unknown_json(value))
        return json.dumps(_plain(value), separators=(",", ":"))
    if name == "file":
        if is_unknown(args[0]):
            return UNKNOWN
        path = Path(args[0])
        if not path.is_absolute():
            path = Path(os.getcwd()) / path
        try:
            return path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise EvalError(f"file(): {exc}") from None
    fn = _FUNCTIONS.get(name)
    if fn is None:
        scope.module.reader.warn(f"function {name}() is not evaluated offline; its value is unknown")
        return UNKNOWN
    if any(is_unknown(a) for a in args):
        return UNKNOWN
    if any(isinstance(a, Lazy) for a in args):
        return UNKNOWN
    try:
        return fn(*args)
    except EvalError:
        raise
    except Exception as exc:  # a Python error here means Terraform would reject the call too
        if any(has_unknown(a) for a in args):
            return UNKNOWN
        raise EvalError(f"{name}(): {type(exc).__name__}: {exc}") from None


def _get_attr(value: Any, name: str) -> Any:
    if isinstance(value, RefUnknown) or is_unknown(value):
        return UNKNOWN
    if isinstance(value, Lazy):
        return value.get(name)
    if isinstance(value, dict):
        if name in value:
            return value[name]
        raise EvalError(f"no attribute {name!r}")
    if value is None:
        raise EvalError(f"attribute {name!r} of null")
    raise EvalError(f"attribute {name!r} of a {type(value).__name__}")


def _index(value: Any, key: Any) -> Any:
    if is_unknown(key):
        return UNKNOWN
    if isinstance(value, RefUnknown) or is_unknown(value):
        return UNKNOWN
    if isinstance(value, Lazy):
        return value.get(_tf_str(key))
    if isinstance(value, dict):
        k = _tf_str(key)
        if k in value:
            return value[k]
        raise EvalError(f"no key {k!r}")
    if isinstance(value, list):
        i = int(key)
        if 0 <= i < len(value):
            return value[i]
        raise EvalError(f"index {i} out of range")
    raise EvalError(f"cannot index a {type(value).__name__}")


def _e_get_attr_term(node: Tree, scope: Scope) -> Any:
    base_node, attr = _subtrees(node)
    base = evaluate(base_node, scope)
    return _get_attr(base, _label(_subtrees(attr)[0]))


def _e_index_term(node: Tree, scope: Scope) -> Any:
    base_node, idx = _subtrees(node)
    base = evaluate(base_node, scope)
    return _apply_index(base, idx, scope)


def _apply_index(base: Any, idx: Tree, scope: Scope) -> Any:
    if idx.data == "short_index":
        key: Any = int(str(_subtrees(idx)[0]))
    else:
        key = evaluate(_subtrees(idx)[0], scope)
    return _index(base, key)


def _e_splat(node: Tree, scope: Scope) -> Any:
    base_node, splat = _subtrees(node)
    base = evaluate(base_node, scope)
    if is_unknown(base):
        return UNKNOWN
    items = base if isinstance(base, list) else (list(base.values()) if isinstance(base, dict) and not isinstance(base, Lazy) else ([] if base is None else [base]))
    out = []
    steps = [t for t in splat.children if isinstance(t, Tree)]  # drop the `.*` / `[*]` token
    for item in items:
        value = item
        for step in steps:
            if step.data == "get_attr":
                value = _get_attr(value, _label(_subtrees(step)[0]))
            else:
                value = _apply_index(value, step, scope)
        out.append(value)
    return out


def _e_unary(node: Tree, scope: Scope) -> Any:
    op = str(node.children[0])
    value = evaluate(node.children[1], scope)
    if is_unknown(value):
        return UNKNOWN
    if op == "!":
        return not value
    return -value


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "%": lambda a, b: a % b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def _e_binary(node: Tree, scope: Scope) -> Any:
    left_node, term = _subtrees(node)[0], _subtrees(node)[1]
    op_node, right_node = _subtrees(term)[0], _subtrees(term)[-1]
    op = str(op_node.children[0])
    left = evaluate(left_node, scope)
    if op in ("&&", "||"):
        if not is_unknown(left) and ((op == "&&" and not left) or (op == "||" and left)):
            return left
        right = evaluate(right_node, scope)
        if is_unknown(left) or is_unknown(right):
            return UNKNOWN
        return bool(right)
    right = evaluate(right_node, scope)
    if is_unknown(left) or is_unknown(right):
        return UNKNOWN
    try:
        result = _BINARY[op](left, right)
    except Exception as exc:
        raise EvalError(f"operator {op}: {exc}") from None
    if op == "/" and isinstance(result, float) and result.is_integer():
        return int(result)
    return result


def _e_conditional(node: Tree, scope: Scope) -> Any:
    cond_node, yes, no = _subtrees(node)
    cond = evaluate(cond_node, scope)
    if is_unknown(cond):
        return UNKNOWN
    return evaluate(yes if cond else no, scope)


def _for_parts(node: Tree) -> tuple[list[str], Any, list[Any], Any]:
    parts = _subtrees(node)
    intro = next(p for p in parts if isinstance(p, Tree) and p.data == "for_intro")
    intro_parts = [p for p in _subtrees(intro) if isinstance(p, Tree)]
    names = [str(p.children[0]) for p in intro_parts if p.data == "identifier"]
    collection = [p for p in intro_parts if p.data != "identifier"][0]
    cond = next((p for p in parts if isinstance(p, Tree) and p.data == "for_cond"), None)
    bodies = [p for p in parts if isinstance(p, Tree) and p.data not in ("for_intro", "for_cond")]
    cond_expr = [p for p in _subtrees(cond) if isinstance(p, Tree)][0] if cond is not None else None
    return names, collection, bodies, cond_expr


def _iterate(collection: Any, names: list[str]) -> Iterator[dict[str, Any]]:
    if isinstance(collection, dict):
        pairs = list(collection.items())
    elif isinstance(collection, list):
        pairs = list(enumerate(collection))
    else:
        raise EvalError("for expression over a value that is not a collection")
    for k, v in pairs:
        yield {names[0]: k, names[1]: v} if len(names) == 2 else {names[0]: v}


def _e_for_tuple(node: Tree, scope: Scope) -> Any:
    names, coll_node, bodies, cond = _for_parts(node)
    coll = evaluate(coll_node, scope)
    if is_unknown(coll):
        return UNKNOWN
    out = []
    for names_values in _iterate(coll, names):
        inner = scope.child(names_values)
        if cond is not None:
            keep = evaluate(cond, inner)
            if is_unknown(keep):
                return UNKNOWN
            if not keep:
                continue
        out.append(evaluate(bodies[0], inner))
    return out


def _e_for_object(node: Tree, scope: Scope) -> Any:
    names, coll_node, bodies, cond = _for_parts(node)
    grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
    coll = evaluate(coll_node, scope)
    if is_unknown(coll):
        return UNKNOWN
    out: dict[str, Any] = {}
    for names_values in _iterate(coll, names):
        inner = scope.child(names_values)
        if cond is not None:
            keep = evaluate(cond, inner)
            if is_unknown(keep):
                return UNKNOWN
            if not keep:
                continue
        key = evaluate(bodies[0], inner)
        if is_unknown(key):
            return UNKNOWN
        value = evaluate(bodies[1], inner)
        if grouping:
            out.setdefault(_tf_str(key), []).append(value)
        else:
            out[_tf_str(key)] = value
    return out


def _e_paren(node: Tree, scope: Scope) -> Any:
    return evaluate(_subtrees(node)[0], scope)


_HANDLERS: dict[str, Callable[[Tree, Scope], Any]] = {
    "expr_term": _e_expr_term,
    "literal_value": _e_literal,
    "int_lit": _e_int,
    "float_lit": _e_float,
    "identifier": _e_identifier,
    "string": _e_string,
    "heredoc_template": _e_heredoc,
    "heredoc_template_trim": _e_heredoc,
    "tuple": _e_tuple,
    "object": _e_object,
    "function_call": _e_function,
    "get_attr_expr_term": _e_get_attr_term,
    "index_expr_term": _e_index_term,
    "attr_splat_expr_term": _e_splat,
    "full_splat_expr_term": _e_splat,
    "unary_op": _e_unary,
    "binary_op": _e_binary,
    "conditional": _e_conditional,
    "for_tuple_expr": _e_for_tuple,
    "for_object_expr": _e_for_object,
}


# -- type constraints ---------------------------------------------------------------------------

def _type_call(node: Any) -> tuple[str, list[Any]]:
    """A type expression as (name, argument trees): ``map(string)`` -> ("map", [string])."""
    inner = node
    while isinstance(inner, Tree) and inner.data == "expr_term":
        inner = _subtrees(inner)[0]
    if isinstance(inner, Tree) and inner.data == "identifier":
        return str(inner.children[0]), []
    if isinstance(inner, Tree) and inner.data == "function_call":
        parts = _subtrees(inner)
        name = str(parts[0].children[0])
        args, _ = _call_args(inner)
        return name, args
    if isinstance(inner, Tree) and inner.data == "object":
        return "{}", [inner]
    return "any", []


def convert_type(value: Any, type_node: Any, scope: Scope) -> Any:
    """Apply a variable's type constraint as Terraform does: optional() defaults, string conversion."""
    if is_unknown(value) or value is None:
        return value
    name, args = _type_call(type_node)
    if name == "string" and isinstance(value, (bool, int, float)):
        return _tf_str(value)
    if name == "number" and isinstance(value, str):
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            raise EvalError(f"{value!r} is not a number") from None
    if name == "bool" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if name == "map" and args and isinstance(value, dict):
        return {k: convert_type(v, args[0], scope) for k, v in value.items()}
    if name in ("list", "set") and args and isinstance(value, list):
        items = [convert_type(v, args[0], scope) for v in value]
        return _fn_toset(items) if name == "set" else items
    if name == "object" and args and isinstance(value, dict):
        obj_name, obj_args = _type_call(args[0])
        if obj_name != "{}":
            return value
        out = dict(value)
        for elem in _subtrees(obj_args[0]):
            key_node = _subtrees(_subtrees(elem)[0])[0]  # expr_term (a name or a string) or a keyword
            key = _label(_subtrees(key_node)[0] if key_node.data == "expr_term" else key_node)
            attr_type = _subtrees(elem)[-1]
            attr_name, attr_args = _type_call(attr_type)
            if attr_name == "optional":
                if key not in out or out[key] is None:
                    out[key] = evaluate(attr_args[1], scope) if len(attr_args) > 1 else None
                if out[key] is not None and attr_args:
                    out[key] = convert_type(out[key], attr_args[0], scope)
            elif key in out:
                out[key] = convert_type(out[key], attr_type, scope)
            else:
                raise EvalError(f"attribute {key!r} is required")
        return out
    return value


# -- modules ------------------------------------------------------------------------------------

@dataclass
class ModuleDefinition:
    """One directory of ``.tf`` files."""

    dir: Path
    display: str                         # the directory relative to the root, for file names
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, tuple[Any, str, int]] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)
    resources_by_type: dict[str, dict[str, Block]] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)


def is_override_file(name: str) -> bool:
    """``override.tf``, ``*_override.tf`` and their ``.tf.json`` forms: merged into the other files' blocks."""
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def _config_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """(primary files, override files) of a module directory, each in lexical order as Terraform reads them."""
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith((".tf", ".tf.json")))
    return ([p for p in files if not is_override_file(p.name)], [p for p in files if is_override_file(p.name)])


def _block_key(block: Block) -> tuple[Any, ...] | None:
    """What identifies a top-level block for override merging (None: not merged here)."""
    if block.type in ("resource", "data") and len(block.labels) == 2:
        return (block.type, *block.labels)
    if block.type in ("variable", "output", "module") and block.labels:
        return (block.type, block.labels[0])
    if block.type == "provider" and block.labels:
        alias = block.body.attributes.get("alias")
        return ("provider", block.labels[0], _literal_string(alias[0]) if alias else None)
    return None


def _literal_string(expr: Any) -> str | None:
    """The text of a plain string expression (``"x"``), else None."""
    node = expr
    while isinstance(node, Tree) and node.data == "expr_term" and len(_subtrees(node)) == 1:
        node = _subtrees(node)[0]
    if isinstance(node, Tree) and node.data == "string":
        parts = [p for p in node.children if isinstance(p, Tree)]
        if all(p.data == "string_part" and isinstance(p.children[0], Token) for p in parts):
            return _label(node)
    return None


def merge_override(base: Block, override: Block) -> None:
    """Terraform's override merge: each attribute replaces the original's; nested blocks of a type the
    override has replace all of the original's blocks of that type; the rest is kept."""
    base.body.attributes.update(override.body.attributes)
    replaced = {b.type if b.type != "dynamic" else f"dynamic:{b.labels[0] if b.labels else ''}"
                for b in override.body.blocks}
    replaced_types = {t for t in replaced if not t.startswith("dynamic:")} | {t[8:] for t in replaced if t.startswith("dynamic:")}

    def kind(b: Block) -> str:
        return b.labels[0] if b.type == "dynamic" and b.labels else b.type

    base.body.blocks = [b for b in base.body.blocks if kind(b) not in replaced_types] + list(override.body.blocks)


def load_definition(directory: Path, display: str) -> ModuleDefinition:
    """Parse a directory's ``*.tf`` and ``*.tf.json`` files, then merge its override files into them."""
    definition = ModuleDefinition(directory, display)
    primary, overrides = _config_files(directory)
    bodies: list[Body] = []
    for path in primary:
        name = f"{display}/{path.name}" if display not in ("", ".") else path.name
        bodies.append(parse_json_file(path, name) if path.name.endswith(".json") else parse_file(path, name))
    by_key = {k: b for body in bodies for b in body.blocks if (k := _block_key(b)) is not None}
    local_bodies: list[tuple[Body, str]] = []
    for path in overrides:
        name = f"{display}/{path.name}" if display not in ("", ".") else path.name
        override = parse_json_file(path, name) if path.name.endswith(".json") else parse_file(path, name)
        for block in override.blocks:
            if block.type == "locals":
                local_bodies.append((block.body, name))  # each local replaces the one of the same name
                continue
            key = _block_key(block)
            if key is None:
                continue  # terraform {} settings and the like: nothing clausegate reads
            if key not in by_key:
                raise InputError(f"override {block.type} {' '.join(repr(x) for x in block.labels)} has no "
                                 "original block to merge into (Terraform rejects this)", file=block.file, line=block.line)
            merge_override(by_key[key], block)
    for body in bodies:
        for block in body.blocks:
            if block.type == "variable" and block.labels:
                _unique(definition.variables.get(block.labels[0]), block, f"variable {block.labels[0]!r}")
                definition.variables[block.labels[0]] = block
            elif block.type == "locals":
                for key, (expr, line) in block.body.attributes.items():
                    if key in definition.locals:
                        _, first_file, first_line = definition.locals[key]
                        raise InputError(f"duplicate local value {key!r} (first defined at {first_file}:{first_line}; "
                                         "Terraform rejects this)", file=block.file, line=line)
                    definition.locals[key] = (expr, block.file, line)
            elif block.type == "resource" and len(block.labels) == 2:
                _unique(definition.resources_by_type.get(block.labels[0], {}).get(block.labels[1]), block,
                        f"resource {'.'.join(block.labels)}")
                definition.resources.append(block)
                definition.resources_by_type.setdefault(block.labels[0], {})[block.labels[1]] = block
            elif block.type == "module" and block.labels:
                _unique(definition.modules.get(block.labels[0]), block, f"module {block.labels[0]!r}")
                definition.modules[block.labels[0]] = block
            elif block.type == "output" and block.labels:
                definition.outputs[block.labels[0]] = block
            elif block.type == "provider":
                definition.providers.append(block)
    for local_body, file in local_bodies:
        for key, (expr, line) in local_body.attributes.items():
            definition.locals[key] = (expr, file, line)
    return definition


class _InstanceObject(Lazy):
    """One resource instance as other expressions see it: configured attributes, else unknown."""

    def __init__(self, module: ModuleInstance, block: Block, address: str, scope: Scope) -> None:
        self.module, self.block, self.address, self.scope = module, block, address, scope

    def get(self, name: str) -> Any:
        attrs = self.block.body.attributes
        if name in attrs and name not in META_ARGS:
            value = evaluate(attrs[name][0], self.scope)
            if value is UNKNOWN:
                return RefUnknown(((self.address, name),))
            return value
        nested = [b for b in self.block.body.blocks if b.type == name]
        if nested:
            return [self.module.reader.block_value(b.body, self.scope, b.file) for b in nested]
        return RefUnknown(((self.address, name),))  # computed (id, endpoint...) or provider default


class ModuleInstance:
    """A module definition with its variable values, at an address."""

    def __init__(self, reader: HclReader, definition: ModuleDefinition, address: str, inputs: dict[str, Any]) -> None:
        self.reader = reader
        self.definition = definition
        self.address = address
        self._locals: dict[str, Any] = {}
        self._evaluating: set[str] = set()
        self._children: dict[str, Any] = {}
        self.variables: dict[str, Any] = {}
        scope = Scope(self)
        for name, block in definition.variables.items():
            if name in inputs:
                self.variables[name] = inputs[name]
            elif "default" in block.body.attributes:
                self.variables[name] = reader.safe_eval(block.body.attributes["default"][0], scope, block.file, block.line)
            else:
                reader.warn(f"{block.file}:{block.line}: variable {name!r} has no value; it is unknown")
                self.variables[name] = UNKNOWN
            if "type" in block.body.attributes and self.variables[name] is not UNKNOWN:
                try:
                    self.variables[name] = convert_type(self.variables[name], block.body.attributes["type"][0], scope)
                except EvalError as exc:
                    reader.warn(f"{block.file}:{block.line}: variable {name!r}: {exc}; treated as unknown")
                    self.variables[name] = UNKNOWN

    def local(self, name: str) -> Any:
        """Evaluate ``local.name`` once."""
        if name in self._locals:
            return self._locals[name]
        if name not in self.definition.locals:
            raise EvalError(f"no local value {name!r}")
        if name in self._evaluating:
            raise EvalError(f"local.{name} refers to itself")
        self._evaluating.add(name)
        expr, file, line = self.definition.locals[name]
        value = self.reader.safe_eval(expr, Scope(self), file, line)
        self._evaluating.discard(name)
        self._locals[name] = value
        return value

    def _prefix(self) -> str:
        return f"{self.address}." if self.address else ""

    def expansion(self, block: Block, scope: Scope) -> Any:
        """[(index, each-pair, count)] for a block with count / for_each; None if single; UNKNOWN if unknowable."""
        attrs = block.body.attributes
        if "for_each" in attrs:
            value = self.reader.safe_eval(attrs["for_each"][0], scope, block.file, attrs["for_each"][1])
            if has_unknown(value) and not isinstance(value, dict):
                return UNKNOWN
            if isinstance(value, dict):
                return [(k, (k, v), None) for k, v in value.items()]
            if isinstance(value, list):
                return [(_tf_str(v), (_tf_str(v), v), None) for v in _fn_toset(value)]
            return UNKNOWN
        if "count" in attrs:
            value = self.reader.safe_eval(attrs["count"][0], scope, block.file, attrs["count"][1])
            if is_unknown(value) or not isinstance(value, (int, float)):
                return UNKNOWN
            return [(i, None, i) for i in range(int(value))]
        return None

    def resource_object(self, tf_type: str, name: str) -> Any:
        """What ``tf_type.name`` evaluates to: one instance, a list (count) or a map (for_each)."""
        block = self.definition.resources_by_type.get(tf_type, {}).get(name)
        if block is None:
            raise EvalError(f"no resource {tf_type}.{name}")
        base = f"{self._prefix()}{tf_type}.{name}"
        exp = self.expansion(block, Scope(self))
        if exp is UNKNOWN:
            return RefUnknown(((base, "id"),))
        if exp is None:
            return _InstanceObject(self, block, base, Scope(self))
        objects = [(idx, _InstanceObject(self, block, base + instance_suffix(idx), Scope(self, each, count)))
                   for idx, each, count in exp]
        if "count" in block.body.attributes:
            return [o for _, o in objects]
        return {str(idx): o for idx, o in objects}

    def child(self, name: str) -> Any:
        """The child module instance(s) of ``module.name``: one, a list (count) or a map (for_each)."""
        if name in self._children:
            return self._children[name]
        block = self.definition.modules.get(name)
        if block is None:
            raise EvalError(f"no module {name!r}")
        self._children[name] = UNKNOWN  # guards against a cycle while building
        directory = self.reader.module_dir(self, name, block)
        if directory is None:
            self._children[name] = None
            return None
        definition = self.reader.definition(directory)
        exp = self.expansion(block, Scope(self))
        if exp is UNKNOWN:
            self.reader.warn(f"{block.file}:{block.line}: module {name!r}: count/for_each is unknown; not expanded")
            self._children[name] = None
            return None

        def make(idx: Any, each: Any, count: Any) -> ModuleInstance:
            scope = Scope(self, each, count)
            inputs = {
                k: self.reader.safe_eval(expr, scope, block.file, line)
                for k, (expr, line) in block.body.attributes.items()
                if k not in META_ARGS and k not in ("source", "version", "providers")
            }
            return ModuleInstance(self.reader, definition, f"{self._prefix()}module.{name}{instance_suffix(idx)}", inputs)

        if exp is None:
            result: Any = make(None, None, None)
        elif "count" in block.body.attributes:
            result = [make(*e) for e in exp]
        else:
            result = {str(e[0]): make(*e) for e in exp}
        self._children[name] = result
        return result

    def outputs_of(self, inst: ModuleInstance) -> Lazy:
        """A module instance's outputs as an object."""
        def get(out: str) -> Any:
            block = inst.definition.outputs.get(out)
            if block is None or "value" not in block.body.attributes:
                raise EvalError(f"module has no output {out!r}")
            expr, line = block.body.attributes["value"]
            return evaluate(expr, Scope(inst))

        return _Namespace(get)

    def module_output_object(self, name: str) -> Any:
        """``module.name``: its outputs (or a list / map of them when repeated)."""
        inst = self.child(name)
        if inst is None or inst is UNKNOWN:
            return UNKNOWN
        if isinstance(inst, list):
            return [self.outputs_of(i) for i in inst]
        if isinstance(inst, dict):
            return {k: self.outputs_of(i) for k, i in inst.items()}
        return self.outputs_of(inst)

    def all_instances(self) -> Iterator[ModuleInstance]:
        """This instance and every child module instance below it."""
        yield self
        for name in self.definition.modules:
            inst = self.child(name)
            if isinstance(inst, ModuleInstance):
                yield from inst.all_instances()
            elif isinstance(inst, list):
                for i in inst:
                    yield from i.all_instances()
            elif isinstance(inst, dict):
                for i in inst.values():
                    yield from i.all_instances()


# -- the reader ---------------------------------------------------------------------------------

@dataclass
class HclResult:
    """Resources of a Terraform directory, ready for mapping."""

    resources: list[TfResource]
    warnings: list[str]
    subscription_id: str | None
    not_expanded: int = 0


class HclReader:
    """Evaluates a root module directory."""

    def __init__(self, root: Path, var_files: list[Path] | None = None, variables: dict[str, str] | None = None,
                 order: list[str] | None = None) -> None:
        self.root = root
        self.var_files = var_files or []
        self.cli_vars = variables or {}
        # "var-file" / "var" per command-line option, in the order given (Terraform applies -var-file and
        # -var in that order, the later winning); None: every -var-file, then every -var.
        self.order = order
        self.warnings: list[str] = []
        self._definitions: dict[Path, ModuleDefinition] = {}
        self._init_modules = self._read_modules_json()

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def definition(self, directory: Path) -> ModuleDefinition:
        """Parse a module directory once."""
        key = directory.resolve()
        if key not in self._definitions:
            # File names are as the user would write them: relative to the working directory when the
            # root was given relative (`check infra/ai` -> infra/ai/main.tf), else relative to the root.
            rel = os.path.relpath(directory, self.root)
            base = "" if self.root.is_absolute() else self.root.as_posix()
            parts = [p for p in (base, "" if rel == "." else rel.replace(os.sep, "/")) if p and p != "."]
            self._definitions[key] = load_definition(directory, os.path.normpath("/".join(parts)).replace(os.sep, "/") if parts else "")
        return self._definitions[key]

    def _read_modules_json(self) -> dict[str, str]:
        path = self.root / ".terraform" / "modules" / "modules.json"
        from generator.safeload import load_json

        try:
            data = load_json(path)
            return {m["Key"]: m["Dir"] for m in data.get("Modules", []) if m.get("Key")}
        except (InputError, KeyError, TypeError, AttributeError):
            return {}

    def module_dir(self, parent: ModuleInstance, name: str, block: Block) -> Path | None:
        """Where a module call's source is on disk (local path or `terraform init`'s copy)."""
        source_attr = block.body.attributes.get("source")
        source = self.safe_eval(source_attr[0], Scope(parent), block.file, block.line) if source_attr else None
        if isinstance(source, str) and (source.startswith("./") or source.startswith("../")):
            directory = (parent.definition.dir / source).resolve()
            if directory.is_dir():
                return directory
            raise InputError(f"module {name!r}: source directory {source!r} not found", file=block.file, line=block.line)
        key_parts = [m.group(1) for m in re.finditer(r"module\.([A-Za-z0-9_-]+)", parent.address)] + [name]
        init_dir = self._init_modules.get(".".join(key_parts))
        if init_dir and (self.root / init_dir).is_dir():
            return self.root / init_dir
        self.warn(f"{block.file}:{block.line}: module {name!r} (source {source!r}) is not local and not installed "
                  "by `terraform init`; its resources are not checked")
        return None

    def safe_eval(self, expr: Any, scope: Scope, file: str, line: int) -> Any:
        """Evaluate; an expression that fails becomes UNKNOWN with a warning (never a guess)."""
        try:
            return evaluate(expr, scope)
        except EvalError as exc:
            self.warn(f"{file}:{line}: {exc}; treated as unknown")
            return UNKNOWN
        except RecursionError:
            self.warn(f"{file}:{line}: expression nests too deeply; treated as unknown")
            return UNKNOWN
        except InputError:
            raise
        except Exception as exc:  # an evaluator gap must not stop the check: unknown, and say so
            self.warn(f"{file}:{line}: expression not evaluated ({type(exc).__name__}: {exc}); treated as unknown")
            return UNKNOWN

    def block_value(self, body: Body, scope: Scope, file: str = "") -> dict[str, Any]:
        """A nested block as an object: attributes, and blocks as lists (the plan JSON shape)."""
        out: dict[str, Any] = {}
        for key, (expr, line) in body.attributes.items():
            if key in META_ARGS:
                continue
            out[key] = self.safe_eval(expr, scope, file, line)
        for block in body.blocks:
            if block.type in ("lifecycle", "provisioner", "connection", "timeouts"):
                continue
            if block.type == "dynamic" and block.labels:
                out.setdefault(block.labels[0], [])
                dynamic = self._dynamic(block, scope)
                if dynamic is UNKNOWN:
                    out[block.labels[0]] = UNKNOWN
                elif isinstance(out[block.labels[0]], list):
                    out[block.labels[0]].extend(dynamic)
                continue
            existing = out.setdefault(block.type, [])
            if isinstance(existing, list):
                existing.append(self.block_value(block.body, scope, file))
        return out

    def _dynamic(self, block: Block, scope: Scope) -> Any:
        attrs = block.body.attributes
        if "for_each" not in attrs:
            return []
        coll = self.safe_eval(attrs["for_each"][0], scope, block.file, attrs["for_each"][1])
        if is_unknown(coll):
            return UNKNOWN
        iterator = block.labels[0]
        if "iterator" in attrs:
            iterator = _label(_subtrees(_subtrees(attrs["iterator"][0])[0])[0]) if isinstance(attrs["iterator"][0], Tree) else iterator
        content = next((b for b in block.body.blocks if b.type == "content"), None)
        if content is None:
            return []
        pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll if isinstance(coll, list) else []))
        return [self.block_value(content.body, scope.child({iterator: {"key": k, "value": v}}), block.file)
                for k, v in pairs]

    # -- variables ------------------------------------------------------------------------------
    def _tfvars(self, path: Path, display: str) -> dict[str, Any]:
        if path.name.endswith(".json"):
            from generator.safeload import parse_json, read_text

            data = parse_json(read_text(path), display)
            if not isinstance(data, dict):
                raise InputError("a .tfvars.json file holds one object", file=display)
            return data
        body = parse_file(path, display)
        dummy = ModuleInstance.__new__(ModuleInstance)
        dummy.reader, dummy.definition, dummy.address = self, ModuleDefinition(self.root, ""), ""
        dummy.variables, dummy._locals, dummy._evaluating, dummy._children = {}, {}, set(), {}
        return {k: self.safe_eval(expr, Scope(dummy), display, line) for k, (expr, line) in body.attributes.items()}

    def root_inputs(self, definition: ModuleDefinition) -> dict[str, Any]:
        """Root variable values by Terraform's precedence: env, tfvars, auto.tfvars, -var-file / -var."""
        values: dict[str, Any] = {}
        for key, raw in os.environ.items():
            if key.startswith("TF_VAR_") and key[7:] in definition.variables:
                values[key[7:]] = self._cli_value(definition, key[7:], raw)
        for name in ("terraform.tfvars", "terraform.tfvars.json"):
            if (self.root / name).is_file():
                values.update(self._tfvars(self.root / name, name))
        for path in sorted(list(self.root.glob("*.auto.tfvars")) + list(self.root.glob("*.auto.tfvars.json"))):
            values.update(self._tfvars(path, path.name))
        files, cli = list(self.var_files), list(self.cli_vars.items())
        order = self.order
        if order is None or order.count("var-file") != len(files) or order.count("var") != len(cli):
            order = ["var-file"] * len(files) + ["var"] * len(cli)
        for kind in order:
            if kind == "var-file":
                path = files.pop(0)
                if not path.is_file():
                    raise InputError("variable file not found", file=str(path))
                values.update(self._tfvars(path, str(path)))
            else:
                key, raw = cli.pop(0)
                values[key] = self._cli_value(definition, key, raw)
        unknown = sorted(set(values) - set(definition.variables))
        for key in unknown:
            self.warn(f"a value was given for undeclared variable {key!r}")
        return {k: v for k, v in values.items() if k in definition.variables}

    def _cli_value(self, definition: ModuleDefinition, name: str, raw: str) -> Any:
        """``-var k=v``: a string for string variables, else an HCL expression (as Terraform does)."""
        block = definition.variables.get(name)
        type_attr = block.body.attributes.get("type") if block else None
        type_text = ""
        if type_attr is not None:
            node = type_attr[0]
            type_text = " ".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))
        if type_attr is None or type_text.strip() == "string":
            return raw
        body = _body(_parse_tree(f"v = {raw}\n", f"-var {name}").children[0], f"-var {name}")
        dummy_def = ModuleDefinition(self.root, "")
        dummy = ModuleInstance(self, dummy_def, "", {})
        return self.safe_eval(body.attributes["v"][0], Scope(dummy), f"-var {name}", 1)

    # -- resources ------------------------------------------------------------------------------
    def read(self) -> HclResult:
        """Evaluate the root module and every child; return the resource instances."""
        if not self.root.is_dir():
            raise InputError("not a directory", file=str(self.root))
        definition = self.definition(self.root)
        if not any(self.root.glob("*.tf")) and not any(self.root.glob("*.tf.json")):
            raise InputError("no .tf or .tf.json files in this directory", file=str(self.root))
        root = ModuleInstance(self, definition, "", self.root_inputs(definition))
        resources: list[TfResource] = []
        not_expanded = 0
        subscription: str | None = None
        for block in definition.providers:
            if block.labels and block.labels[0] == "azurerm" and "subscription_id" in block.body.attributes:
                expr, line = block.body.attributes["subscription_id"]
                value = self.safe_eval(expr, Scope(root), block.file, line)
                if isinstance(value, str) and subscription is None:
                    subscription = value
        for inst in root.all_instances():
            for block in inst.definition.resources:
                tf_type, name = block.labels
                exp = inst.expansion(block, Scope(inst))
                base = f"{inst._prefix()}{tf_type}.{name}"
                if exp is UNKNOWN:
                    self.warn(f"{block.file}:{block.line}: {base}: count/for_each is unknown before apply; not checked")
                    not_expanded += 1
                    continue
                for idx, each, count in exp if exp is not None else [(None, None, None)]:
                    scope = Scope(inst, each, count)
                    values = self.block_value(block.body, scope, block.file)
                    resources.append(self._resource(base + instance_suffix(idx), tf_type, name, inst.address, idx, values, block))
        return HclResult(resources, self.warnings, subscription, not_expanded)

    def _resource(self, address: str, tf_type: str, name: str, module: str, index: Any, values: dict[str, Any], block: Block) -> TfResource:
        refs: dict[str, list[tuple[str, str]]] = {}
        clean: dict[str, Any] = {}
        for key, value in values.items():
            if isinstance(value, RefUnknown):
                refs[key] = list(value.refs)
                clean[key] = UNKNOWN
            elif isinstance(value, PartialJson):
                clean[key] = value.value if key == "body" else UNKNOWN
            else:
                clean[key] = _clean(value)
        return TfResource(address=address, type=tf_type, name=name, module=module, index=index,
                          values=clean, action="create", file=block.file, line=block.line, refs=refs)


def _clean(value: Any) -> Any:
    """Nested references and partial JSON become plain UNKNOWN (only top-level ones place a resource)."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Lazy):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def read_directory(
    root: str | os.PathLike[str], *, var_files: list[str] | None = None, variables: dict[str, str] | None = None,
    order: list[str] | None = None,
) -> HclResult:
    """Evaluate the Terraform root module in ``root`` (``order``: see :class:`HclReader`)."""
    return HclReader(Path(root), [Path(p) for p in var_files or []], variables, order).read()


def block_locations(root: str | os.PathLike[str]) -> dict[str, tuple[str, int]]:
    """Config address without instance keys (``module.x.type.name``) -> (file, line), for `--source`."""
    return source_config(root)[0]


def _static_traversal(node: Any) -> tuple[str, bool, list[Any]] | None:
    """(static prefix text, whether it is the whole traversal, dynamic index expressions) or None.

    Mirrors Terraform's ``references``: ``a.b[each.key].id`` gives ``a.b`` (the traversal stops at
    the first index that is not a constant) and ``each.key`` separately.
    """
    if isinstance(node, Token):
        return None
    if node.data == "expr_term":
        parts = _subtrees(node)
        return _static_traversal(parts[0]) if len(parts) == 1 else None
    if node.data == "identifier":
        return str(node.children[0]), True, []
    if node.data == "get_attr_expr_term":
        base_node, attr = _subtrees(node)
        base = _static_traversal(base_node)
        if base is None:
            return None
        text, whole, dynamic = base
        return (f"{text}.{_label(_subtrees(attr)[0])}", True, dynamic) if whole else base
    if node.data == "index_expr_term":
        base_node, idx = _subtrees(node)
        base = _static_traversal(base_node)
        if base is None:
            return None
        text, whole, dynamic = base
        inner = _subtrees(idx)
        if idx.data == "short_index" and whole:
            return f"{text}[{inner[0]}]", True, dynamic
        key = None
        if idx.data == "braces_index" and inner:
            term = _subtrees(inner[0]) if isinstance(inner[0], Tree) and inner[0].data == "expr_term" else inner
            lit = term[0] if term else None
            if isinstance(lit, Tree) and lit.data == "string" and all(
                    isinstance(p, Tree) and p.data == "string_part" and isinstance(p.children[0], Token)
                    for p in _subtrees(lit)):
                key = json.dumps(_label(lit))
            elif isinstance(lit, Tree) and lit.data == "int_lit":
                key = str(lit.children[0])
        if key is not None and whole:
            return f"{text}[{key}]", True, dynamic
        return text, False, dynamic + ([inner[0]] if idx.data == "braces_index" and inner else [])
    return None


def expression_references(node: Any) -> list[str]:
    """The references of an HCL expression, as ``terraform show -json`` would list them."""
    out: list[str] = []

    def visit(n: Any, bound: frozenset[str]) -> None:
        if isinstance(n, Token):
            return
        if n.data in ("for_tuple_expr", "for_object_expr"):
            # `for k, v in ...`: k and v are the expression's own names, not references (as in Terraform)
            intro = next((c for c in n.children if isinstance(c, Tree) and c.data == "for_intro"), None)
            if intro is not None:
                bound = bound | {str(c.children[0]) for c in intro.children
                                 if isinstance(c, Tree) and c.data == "identifier"}
        found = _static_traversal(n) if n.data in ("expr_term", "get_attr_expr_term", "index_expr_term") else None
        if found is not None and "." in found[0]:
            text, _whole, dynamic = found
            if text.split(".", 1)[0] not in bound:
                out.append(text)
                parts = 3 if text.startswith(("data.", "module.")) else 2
                shorter = re.match(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*){%d}" % (parts - 1), text)
                if shorter and shorter.group(0) != text:
                    out.append(shorter.group(0))  # Terraform lists the shorter form too
            for d in dynamic:
                visit(d, bound)
            return
        for child in n.children:
            visit(child, bound)

    visit(node, frozenset())
    return list(dict.fromkeys(out))


def source_config(
    root: str | os.PathLike[str],
) -> tuple[dict[str, tuple[str, int]], dict[str, dict[str, list[str]]]]:
    """For `--source`: block locations (as :func:`block_locations`) and each module's locals'
    references (config path ``module.a.module.b``, "" for the root -> local name -> references)."""
    out: dict[str, tuple[str, int]] = {}
    local_refs: dict[str, dict[str, list[str]]] = {}
    reader = HclReader(Path(root))

    def walk(directory: Path, prefix: str, depth: int) -> None:
        if depth > 16:
            return
        definition = reader.definition(directory)
        for block in definition.resources:
            out[f"{prefix}{block.labels[0]}.{block.labels[1]}"] = (block.file, block.line)
        local_refs[prefix.rstrip(".")] = {name: expression_references(expr)
                                          for name, (expr, _f, _l) in definition.locals.items()}
        for name, block in definition.modules.items():
            src = block.body.attributes.get("source")
            text = None
            if src is not None:
                try:
                    text = evaluate(src[0], Scope(ModuleInstance(reader, ModuleDefinition(directory, ""), "", {})))
                except EvalError:
                    text = None
            if isinstance(text, str) and text.startswith(("./", "../")) and (directory / text).is_dir():
                walk((directory / text).resolve(), f"{prefix}module.{name}.", depth + 1)

    walk(Path(root), "", 0)
    return out, local_refs


def _unique(first: Block | None, block: Block, what: str) -> None:
    """Terraform rejects a second declaration of the same variable, resource or module: so do we."""
    if first is not None and first is not block:
        raise InputError(f"duplicate {what} (first declared at {first.file}:{first.line}; Terraform rejects this)",
                         file=block.file, line=block.line)
