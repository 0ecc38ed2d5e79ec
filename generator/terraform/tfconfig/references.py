"""What `--source` needs from a directory: block locations and the references of expressions."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from lark import Token, Tree

from generator.terraform.tfconfig.evaluator import Scope, evaluate
from generator.terraform.tfconfig.modules import ModuleDefinition, ModuleInstance
from generator.terraform.tfconfig.parser import label, subtrees
from generator.terraform.tfconfig.reader import HclReader
from generator.terraform.tfconfig.values import EvalError

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
        parts = subtrees(node)
        return _static_traversal(parts[0]) if len(parts) == 1 else None
    if node.data == "identifier":
        return str(node.children[0]), True, []
    if node.data == "get_attr_expr_term":
        base_node, attr = subtrees(node)
        base = _static_traversal(base_node)
        if base is None:
            return None
        text, whole, dynamic = base
        return (f"{text}.{label(subtrees(attr)[0])}", True, dynamic) if whole else base
    if node.data == "index_expr_term":
        base_node, idx = subtrees(node)
        base = _static_traversal(base_node)
        if base is None:
            return None
        text, whole, dynamic = base
        inner = subtrees(idx)
        if idx.data == "short_index" and whole:
            return f"{text}[{inner[0]}]", True, dynamic
        key = None
        if idx.data == "braces_index" and inner:
            term = subtrees(inner[0]) if isinstance(inner[0], Tree) and inner[0].data == "expr_term" else inner
            lit = term[0] if term else None
            if isinstance(lit, Tree) and lit.data == "string" and all(
                    isinstance(p, Tree) and p.data == "string_part" and isinstance(p.children[0], Token)
                    for p in subtrees(lit)):
                key = json.dumps(label(lit))
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
            inside = reader.area.contains(directory / text) if isinstance(text, str) and text.startswith(("./", "../")) \
                else None  # only module folders inside the configuration folder are read
            if inside is not None and inside.is_dir():
                walk(inside, f"{prefix}module.{name}.", depth + 1)

    walk(Path(root), "", 0)
    return out, local_refs
