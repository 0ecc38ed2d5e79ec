"""The parser adapter: python-hcl2's Lark tree -> :class:`Body` / :class:`Block` with line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from generator.errors import InputError
from generator.terraform.tfconfig.values import EvalError

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


_CACHE_SET = False


def parse_tree(text: str, file: str) -> Tree:
    global _CACHE_SET
    if not _CACHE_SET:
        # python-hcl2's Lark parser is built (or loaded from its cache) on first use only: a folder that
        # tree-sitter parses whole never pays for importing it.
        from generator.check import use_parser_cache

        use_parser_cache()
        _CACHE_SET = True
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


def subtrees(node: Tree) -> list[Any]:
    """Children that carry meaning (no punctuation tokens, no newlines or comments); kept on the node,
    since the evaluator asks for them each time it evaluates the expression."""
    memo = node.__dict__
    out = memo.get("_subtrees")
    if out is not None:
        return out  # type: ignore[no-any-return]
    out = []
    for c in node.children:
        if isinstance(c, Tree):
            if c.data != "new_line_or_comment":
                out.append(c)
        elif c.type not in PUNCT:
            out.append(c)
    if len(out) == len(node.children):
        out = node.children  # nothing filtered: share the list rather than hold a copy per node
    memo["_subtrees"] = out
    return out


PUNCT = frozenset({
    "LBRACE", "RBRACE", "LSQB", "RSQB", "LPAR", "RPAR", "COMMA", "DOT", "EQ", "COLON", "DBLQUOTE",
    "QMARK", "INTERP_START", "NL_OR_COMMENT", "FOR_OBJECT_ARROW", "COLONS",
})


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def _escape_value(m: re.Match[str]) -> str:
    esc = m.group(1)
    if esc[0] in "uU":
        return chr(int(esc[1:], 16))
    return _ESCAPES.get(esc, "\\" + esc)


def unescape(text: str) -> str:
    """A quoted string's literal text with its backslash escapes (``\\n``, ``\\u00e9``) applied."""
    return _ESCAPE.sub(_escape_value, text) if "\\" in text else text


def label(node: Any) -> str:
    if isinstance(node, Token):
        return str(node)
    if node.data in ("identifier", "keyword", "literal_value"):
        return str(node.children[0])
    if node.data == "string":
        return "".join(str(p.children[0]) for p in node.children if isinstance(p, Tree) and isinstance(p.children[0], Token))
    raise EvalError(f"unexpected label {node.data}")


def tree_body(node: Tree, file: str) -> Body:
    body = Body()
    for child in node.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            parts = subtrees(child)
            body.attributes[label(parts[0])] = (parts[-1], child.meta.line)
        elif child.data == "block":
            parts = subtrees(child)
            inner = next(p for p in parts if isinstance(p, Tree) and p.data == "body")
            heads = [p for p in parts if p is not inner]
            body.blocks.append(Block(label(heads[0]), [label(h) for h in heads[1:]], tree_body(inner, file), file, child.meta.line))
    return body


def parse_file(path: Path, display: str, cache: Any = None) -> Body:
    """Parse one ``.tf`` or ``.tfvars`` file into a :class:`Body` (through ``cache``, a
    :class:`~generator.terraform.tfconfig.parsecache.FolderCache`, when given)."""
    from generator.safeload import read_text

    from generator.terraform.tfconfig import fastparse

    text = read_text(path).removeprefix("\ufeff")  # editors on Windows may write a BOM
    if fastparse.enabled():
        body = fastparse.parse_body(text, display)
        if body is not None:
            return body  # faster than loading it from the cache: only what it hands on is cached
    return cache.parse(text, display, _parse_slow) if cache is not None else _parse_slow(text, display)


def parse_text(text: str, display: str) -> Body:
    """Parse the text of one ``.tf`` or ``.tfvars`` file (the hand-written reader, else tree-sitter,
    else python-hcl2: each hands on what it does not map exactly)."""
    from generator.terraform.tfconfig import fastparse

    if fastparse.enabled():
        body = fastparse.parse_body(text, display)
        if body is not None:
            return body
    return _parse_slow(text, display)


def parse_expression(source: str, display: str) -> Any:
    """The tree of one expression's SOURCE (a template, a -var value, a .tf.json value), read by the
    same front ends as files; InputError when it is not exactly one expression."""
    body = parse_text(f"x = {source}\n", display)
    if list(body.attributes) != ["x"] or body.blocks:
        raise InputError("not a single expression", file=display)
    return body.attributes["x"][0]


def _parse_slow(text: str, display: str) -> Body:
    """tree-sitter, else python-hcl2 (which also names syntax errors)."""
    from generator.terraform.tfconfig import treesitter

    if treesitter.enabled():
        body = treesitter.parse_body(text, display)
        if body is not None:
            return body
    tree = parse_tree(text, display)  # the reference parser: also the one that names syntax errors
    return tree_body(tree.children[0], display)
