"""The hand-written HCL front end gives tree-sitter's very trees (python-hcl2's where tree-sitter is known to
read HCL wrongly), or hands the file on; it never gives a different tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.terraform.tfconfig import fastparse, treesitter
from generator.terraform.tfconfig.parser import parse_tree, tree_body

from tests.check.test_parser_parity import _body  # the evaluator's view of a tree, punctuation aside

REPO = Path(__file__).resolve().parents[2]
SNIPPETS = [s.strip("\n") + "\n" for s in
            (REPO / "tests/check/data/fastparse/snippets.txt").read_text("utf-8").split("\n----\n")[1:]]
TF_FILES = sorted(p for base in ("examples", "tests", "modules") for p in (REPO / base).rglob("*.tf"))

# What the hand-written reader hands on, by design: template directives and strip markers, non-ASCII
# names, number forms tree-sitter reads differently, keywords as object keys, and syntax errors.
HANDED_ON = {
    'x = 1e3\n', 'x = 0x10\n', 'x = "${~ a ~}"\n', 'x = "%{ if a }b%{ endif }"\n', 'x = "unterminated\n',
    "x = café\n",
}

pytestmark = pytest.mark.skipif(not (fastparse.enabled() and treesitter.enabled()),
                                reason="needs Python 3.11+ and the tree-sitter HCL grammar")


def _reference(text: str) -> object:
    return _body(tree_body(parse_tree(text, "s.tf").children[0], "s.tf"))


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.splitlines()[0][:40] for s in SNIPPETS])
def test_snippet_same_tree_or_handed_on(snippet: str, eol: str) -> None:
    text = snippet.replace("\n", eol)
    fast = fastparse.parse_body(text, "s.tf")
    if snippet in HANDED_ON:
        assert fast is None, "expected to be handed on to tree-sitter"
        return
    assert fast is not None, "the hand-written reader should read this"
    slow = treesitter.parse_body(text, "s.tf")
    if slow is not None:
        assert fast == slow
    else:  # tree-sitter hands it on too (it misreads chained conditionals): python-hcl2 is the reference
        assert _body(fast) == _reference(text)


@pytest.mark.parametrize("path", TF_FILES, ids=[str(p.relative_to(REPO)) for p in TF_FILES])
def test_repository_files_same_tree(path: Path) -> None:
    text = path.read_text("utf-8").removeprefix("\ufeff")
    fast = fastparse.parse_body(text, path.name)
    if fast is None:
        assert path.name == "all.tf", "only the parity corpus (a keyword as an object key) is handed on"
        return
    assert fast == treesitter.parse_body(text, path.name)


def test_chained_conditional_reads_as_hcl_does() -> None:
    # `a ? b : c ? d : e` is `a ? b : (c ? d : e)`; tree-sitter's grammar nests it the other way
    text = 'x = true ? "b" : false ? "d" : "e"\n'
    assert treesitter.parse_body(text, "s.tf") is None
    fast = fastparse.parse_body(text, "s.tf")
    assert fast is not None
    assert fast.attributes["x"][0].children[2].data == "conditional"


def test_lines_of_attributes_and_blocks() -> None:
    text = '# c\n\nresource "a" "b" {\n  /* x\n  */ name = "n"\n\n  inner {\n    k = <<EOT\nx\nEOT\n    v = 1\n  }\n}\n'
    body = fastparse.parse_body(text, "m.tf")
    assert body is not None
    block = body.blocks[0]
    assert (block.line, block.body.attributes["name"][1]) == (3, 5)
    inner = block.body.blocks[0]
    assert (inner.line, inner.body.attributes["k"][1], inner.body.attributes["v"][1]) == (7, 8, 11)


@pytest.mark.parametrize("text", [
    "x = 1" + " " * 20000 + "~",
    'x = "' + "$" * 50000,
    "x = 1 /*" + " \n" * 20000,
    "x = " + "(" * 3000 + "1" + ")" * 3000,
    "#" * 100000 + "\n" + " " * 100000 + "\u00e9",
])
def test_hostile_text_is_handed_on_quickly(text: str) -> None:
    assert fastparse.parse_body(text, "h.tf") is None


def test_example_folders_evaluate_identically_through_every_front_end(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.terraform.tfconfig import read_directory

    folders = sorted({p.parent for p in (REPO / "examples").rglob("*.tf")
                      if ".terraform" not in p.parts and "tests" not in p.parts})
    assert folders

    def run(parser: str) -> object:
        monkeypatch.setenv("CLAUSEGATE_HCL_PARSER", parser)
        out = []
        for folder in folders:
            result = read_directory(folder)
            out.append(([(r.address, repr(r.values), r.refs, r.file, r.line) for r in result.resources], result.warnings))
        return out

    assert run("auto") == run("tree-sitter") == run("python-hcl2")
