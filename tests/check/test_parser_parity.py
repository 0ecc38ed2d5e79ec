"""The tree-sitter front end gives the very trees python-hcl2 (the reference) gives, and the example
folders evaluate to identical results through both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lark import Token, Tree

from generator.terraform.tfconfig import treesitter
from generator.terraform.tfconfig.parser import PUNCT, Body, parse_tree, tree_body

REPO = Path(__file__).resolve().parents[2]
TF_FILES = sorted(p for base in ("examples", "tests", "modules") for p in (REPO / base).rglob("*.tf"))
EXAMPLE_DIRS = sorted({p.parent for p in (REPO / "examples").rglob("*.tf")
                       if ".terraform" not in p.parts and "tests" not in p.parts})

pytestmark = pytest.mark.skipif(not treesitter.enabled(), reason="tree-sitter HCL grammar not installed")


def _norm(node: Any) -> Any:
    """What the evaluator reads of a tree: node names, meaningful tokens' text (not punctuation)."""
    if isinstance(node, Token):
        return str(node)
    if node.data == "unary_op" and str(node.children[0]) == "-":
        inner = _norm(node.children[1])
        if inner[0] == "expr_term" and inner[1][0][0] in ("int_lit", "float_lit"):
            # python-hcl2 lexes -1 as one literal, tree-sitter as minus applied to 1: the same number
            kind, (text,) = inner[1][0]
            return ("expr_term", [(kind, ["-" + text])])
    kids = [c for c in node.children
            if not (isinstance(c, Tree) and c.data == "new_line_or_comment")
            and not (isinstance(c, Token) and c.type in PUNCT | {"FOR_OBJECT_ARROW"})]
    if node.data == "keyword":  # `for = 1` as an object key: a name either way
        return ("identifier", [str(kids[0])])
    if node.data == "object_elem_key" and len(kids) == 1 and isinstance(kids[0], Tree) and kids[0].data == "keyword":
        return ("object_elem_key", [("expr_term", [_norm(kids[0])])])
    return (node.data, [_norm(c) for c in kids])


def _body(body: Body) -> Any:
    return ({k: (_norm(v), line) for k, (v, line) in body.attributes.items()},
            [(b.type, b.labels, b.line, _body(b.body)) for b in body.blocks])


@pytest.mark.parametrize("path", TF_FILES, ids=[str(p.relative_to(REPO)) for p in TF_FILES])
def test_same_trees_as_python_hcl2(path: Path) -> None:
    text = path.read_text("utf-8")
    fast = treesitter.parse_body(text, path.name)
    assert fast is not None, "tree-sitter front end fell back to python-hcl2"
    reference = tree_body(parse_tree(text, path.name).children[0], path.name)
    assert _body(fast) == _body(reference)


@pytest.mark.parametrize("folder", EXAMPLE_DIRS, ids=[str(p.relative_to(REPO)) for p in EXAMPLE_DIRS])
def test_example_folders_evaluate_identically(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.terraform.tfconfig import read_directory

    def run(parser: str) -> Any:
        monkeypatch.setenv("CLAUSEGATE_HCL_PARSER", parser)
        result = read_directory(folder)
        return ([(r.address, repr(r.values), r.refs, r.file, r.line) for r in result.resources], result.warnings)

    assert run("tree-sitter") == run("python-hcl2")


def test_what_tree_sitter_does_not_parse_falls_back_to_python_hcl2(tmp_path: Path) -> None:
    # tree-sitter's HCL grammar rejects an exponent without a fraction; python-hcl2 (and Terraform) read it
    (tmp_path / "main.tf").write_text("locals {\n  x = 1e3\n}\n", "utf-8")
    assert treesitter.parse_body((tmp_path / "main.tf").read_text("utf-8"), "main.tf") is None
    from generator.terraform.tfconfig.parser import parse_file

    body = parse_file(tmp_path / "main.tf", "main.tf")
    assert _norm(body.blocks[0].body.attributes["x"][0]) == ("expr_term", [("float_lit", ["1e3"])])
