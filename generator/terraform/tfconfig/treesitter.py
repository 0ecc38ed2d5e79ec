"""A second parser front end: the tree-sitter HCL grammar (compiled C, about 20 times faster than
python-hcl2's Lark parser) producing the very trees python-hcl2 gives (the same node names and shapes),
so the evaluator cannot tell them apart. python-hcl2 stays the reference: a file this adapter does not
fully understand (a syntax error, a construct it does not map) is parsed by python-hcl2 instead, and a
test runs the example folders through both and compares the results.

CLAUSEGATE_HCL_PARSER=python-hcl2 turns this front end off.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from lark import Token, Tree

from generator.terraform.tfconfig.parser import Block, Body, unescape as _unescape


class Unsupported(Exception):
    """A construct this adapter does not map: the caller falls back to python-hcl2."""


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter_hcl
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_hcl.language()))


def enabled() -> bool:
    """Whether tree-sitter parses .tf files (installed, and not turned off by CLAUSEGATE_HCL_PARSER)."""
    if os.environ.get("CLAUSEGATE_HCL_PARSER", "").strip().lower() in ("python-hcl2", "hcl2", "lark"):
        return False
    try:
        _parser()
    except Exception:  # not installed or no wheel for this platform: python-hcl2 does it all
        return False
    return True


def parse_body(text: str, file: str) -> Body | None:
    """The file's top-level body, or None when python-hcl2 must parse it (errors, unmapped syntax)."""
    src = text.encode("utf-8")
    tree = _parser().parse(src)
    root = tree.root_node
    if root.has_error:
        return None
    try:
        conv = _Converter(src, file)
        body = next((c for c in root.named_children if c.type == "body"), None)
        return conv.body(body) if body is not None else Body()
    except (Unsupported, RecursionError, UnicodeDecodeError):
        return None


_t = Tree  # Tree(data, children): the trees python-hcl2 builds


# Tokens are immutable text: one object per (type, text) serves every occurrence (names, literals and
# punctuation repeat across a configuration; creating a lark Token costs more than the parse itself).
_TOKENS: dict[tuple[str, str], Token] = {}


def tok(kind: str, text: str) -> Token:
    """The shared token for (kind, text)."""
    key = (kind, text)
    tok = _TOKENS.get(key)
    if tok is None:
        if len(_TOKENS) > 200_000:
            _TOKENS.clear()
        tok = _TOKENS[key] = Token(kind, text)
    return tok


def plain_string(text: str) -> Tree:
    """A string literal without escapes or templates, as python-hcl2 shapes it, its value computed."""
    quote = tok("DBLQUOTE", '"')
    if text:
        tree = Tree("string", [quote, Tree("string_part", [tok("STRING_CHARS", text)]), quote])
    else:
        tree = Tree("string", [quote, quote])
    tree.__dict__["_constant"] = text
    return tree


def _term(inner: Any) -> Tree:
    return Tree("expr_term", [inner])


OPERATOR_TOKENS = {"==": "DOUBLE_EQ", "!=": "NEQ", "<": "LT", ">": "GT", "<=": "LEQ", ">=": "GEQ", "-": "MINUS", "*": "ASTERISK",
        "/": "SLASH", "%": "PERCENT", "&&": "DOUBLE_AMP", "||": "DOUBLE_PIPE", "+": "PLUS", "!": "NOT"}
_LITERAL_SPLIT = re.compile(r"(\$\$\{[^}]*\}|%%\{[^}]*\})")
_SKIP = frozenset({"comment"})


def literal_parts(text: str) -> list[Tree]:
    """A template's literal text as python-hcl2's string parts (``$${`` and ``%%{`` are escapes)."""
    if not text:
        return []
    if "$${" not in text and "%%{" not in text:
        return [Tree("string_part", [tok("STRING_CHARS", text)])]
    out = []
    for chunk in _LITERAL_SPLIT.split(text):
        if not chunk:
            continue
        if chunk.startswith("$${"):
            out.append(Tree("string_part", [tok("ESCAPED_INTERPOLATION", chunk)]))
        elif chunk.startswith("%%{"):
            out.append(Tree("string_part", [tok("ESCAPED_DIRECTIVE", chunk)]))
        else:
            out.append(Tree("string_part", [tok("STRING_CHARS", chunk)]))
    return out


def literal_string(text: str) -> Tree:
    """A quoted string without interpolation or directive (escapes and ``$${`` allowed), its value kept."""
    parts = literal_parts(text)
    tree = Tree("string", [tok("DBLQUOTE", '"'), *parts, tok("DBLQUOTE", '"')])
    if len(text) < 4096:
        # its value, as the evaluator would compute it on first use (most strings are evaluated once)
        tree.__dict__["_constant"] = "".join(
            str(t)[1:] if t.type != "STRING_CHARS" else _unescape(str(t)) for t in (p.children[0] for p in parts))
    return tree


class _Converter:
    def __init__(self, src: bytes, file: str) -> None:
        self.src = src
        self.file = file

    def text(self, node: Any) -> str:
        return self.src[node.start_byte:node.end_byte].decode("utf-8")

    # -- structure ------------------------------------------------------------------------------
    def body(self, node: Any) -> Body:
        body = Body()
        for c in node.named_children:
            if c.type == "attribute":
                kids = [k for k in c.named_children if k.type not in _SKIP]
                if len(kids) != 2 or kids[0].type != "identifier" or kids[1].type != "expression":
                    raise Unsupported("attribute")
                body.attributes[self.text(kids[0])] = (self.expression(kids[1]), c.start_point[0] + 1)
            elif c.type == "block":
                body.blocks.append(self.block(c))
            elif c.type not in _SKIP:
                raise Unsupported(c.type)
        return body

    def block(self, node: Any) -> Block:
        kids = [k for k in node.named_children if k.type not in _SKIP]
        if not kids or kids[0].type != "identifier":
            raise Unsupported("block")
        labels: list[str] = []
        inner = Body()
        for k in kids[1:]:
            if k.type == "identifier":
                labels.append(self.text(k))
            elif k.type == "string_lit":
                if any(c.type not in ("quoted_template_start", "quoted_template_end", "template_literal")
                       for c in k.children):
                    raise Unsupported("template in a block label")
                labels.append(self.src[k.start_byte + 1:k.end_byte - 1].decode("utf-8"))
            elif k.type == "body":
                inner = self.body(k)
            elif k.type not in ("block_start", "block_end"):
                raise Unsupported(k.type)
        return Block(self.text(kids[0]), labels, inner, self.file, node.start_point[0] + 1)

    # -- expressions ----------------------------------------------------------------------------
    def expression(self, node: Any) -> Any:
        """An ``expression`` node: a term (or a parenthesised expression) and its postfix operators."""
        kids = node.children
        if len(kids) == 1 and kids[0].type not in _SKIP and kids[0].type != "(":
            return self.term(kids[0])  # the common case: a term alone
        kids = [k for k in kids if k.type not in _SKIP]
        if not kids:
            raise Unsupported("empty expression")
        if kids[0].type == "(":
            if len(kids) < 3 or kids[2].type != ")":
                raise Unsupported("parenthesis")
            base = _term(self.expression(kids[1]))
            rest = kids[3:]
        else:
            base = self.term(kids[0])
            rest = kids[1:]
        for op in rest:
            if base.data != "expr_term":
                raise Unsupported("postfix after an operation")
            base = _term(self.postfix(base, op))
        return base

    def operand(self, nodes: list[Any]) -> Any:
        """An operand of an operation: tree-sitter lists its term and postfix operators flat."""
        if not nodes:
            raise Unsupported("operand")
        if nodes[0].type == "(":
            if len(nodes) < 3 or nodes[2].type != ")":
                raise Unsupported("parenthesis")
            base, rest = _term(self.expression(nodes[1])), nodes[3:]
        else:
            base, rest = self.term(nodes[0]), nodes[1:]
        for op in rest:
            if base.data != "expr_term":
                raise Unsupported("postfix after an operation")
            base = _term(self.postfix(base, op))
        return base

    def term(self, node: Any) -> Any:
        t = node.type
        if t == "expression":
            return self.expression(node)
        if t == "literal_value":
            return _term(self.literal(node.named_children[0]))
        if t == "variable_expr":
            return _term(_t("identifier", [tok("NAME", self.text(node.named_children[0]))]))
        if t == "collection_value":
            return _term(self.collection(node.named_children[0]))
        if t == "template_expr":
            inner = node.named_children[0]
            if inner.type == "quoted_template":
                return _term(self.string(inner))
            if inner.type == "heredoc_template":
                return _term(self.heredoc(inner))
            raise Unsupported(inner.type)
        if t == "function_call":
            return _term(self.function(node))
        if t == "for_expr":
            return _term(self.for_expr(node.named_children[0]))
        if t == "operation":
            return self.operation(node.named_children[0])
        if t == "conditional":
            parts = [k for k in node.named_children if k.type not in _SKIP]
            if len(parts) != 3:
                raise Unsupported("conditional")
            first = [k for k in parts[0].children if k.type not in _SKIP]
            if len(first) == 1 and first[0].type == "conditional":
                # tree-sitter reads `a ? b : c ? d : e` as `(a ? b : c) ? d : e`; HCL (and python-hcl2)
                # as `a ? b : (c ? d : e)`
                raise Unsupported("chained conditional")
            return _t("conditional", [self.expression(p) for p in parts])
        raise Unsupported(t)

    def literal(self, node: Any) -> Tree:
        t = node.type
        if t == "numeric_lit":
            text = self.text(node)
            if re.fullmatch(r"\d+", text):
                return _t("int_lit", [tok("INT_LITERAL", text)])
            return _t("float_lit", [tok("FLOAT_LITERAL", text)])
        if t == "bool_lit":
            text = self.text(node)
            return _t("literal_value", [tok("TRUE" if text == "true" else "FALSE", text)])
        if t == "null_lit":
            return _t("literal_value", [tok("NULL", "null")])
        if t == "string_lit":
            return self.string(node)
        raise Unsupported(t)

    def collection(self, node: Any) -> Tree:
        if node.type == "tuple":
            return _t("tuple", [self.expression(k) for k in node.named_children if k.type == "expression"])
        if node.type == "object":
            elems = []
            for e in node.named_children:
                if e.type != "object_elem":
                    if e.type in ("object_start", "object_end") or e.type in _SKIP:
                        continue
                    raise Unsupported(e.type)
                key, val = e.child_by_field_name("key"), e.child_by_field_name("val")
                if key is None or val is None:
                    raise Unsupported("object element")
                elems.append(_t("object_elem", [_t("object_elem_key", [self.expression(key)]), tok("EQ", "="),
                                                self.expression(val)]))
            return _t("object", elems)
        raise Unsupported(node.type)

    def function(self, node: Any) -> Tree:
        kids = [k for k in node.children if k.type not in _SKIP]
        names = self.text(kids[0]).split("::")
        children: list[Any] = [_t("identifier", [tok("NAME", n)]) for n in names]
        args = next((k for k in kids if k.type == "function_arguments"), None)
        if args is not None:
            items: list[Any] = []
            for a in args.children:
                if a.type == "expression":
                    items.append(self.expression(a))
                elif a.type == "ellipsis":
                    items.append(tok("ELLIPSIS", "..."))
                elif a.type not in (",",) and a.type not in _SKIP:
                    raise Unsupported(a.type)
            children.append(_t("arguments", items))
        return _t("function_call", children)

    def postfix(self, base: Tree, node: Any) -> Tree:
        if node.type == "get_attr":
            return _t("get_attr_expr_term", [base, self.get_attr(node)])
        if node.type == "index":
            return _t("index_expr_term", [base, self.index(node.named_children[0])])
        if node.type == "splat":
            splat = node.named_children[0]
            kind, token = ("attr_splat", "ATTR_SPLAT") if splat.type == "attr_splat" else ("full_splat", "FULL_SPLAT_START")
            steps: list[Any] = [tok(token, ".*" if kind == "attr_splat" else "[*]")]
            for s in splat.named_children:
                if s.type == "get_attr":
                    steps.append(self.get_attr(s))
                elif s.type == "index":
                    steps.append(self.index(s.named_children[0]))
                elif s.type not in _SKIP:
                    raise Unsupported(s.type)
            return _t(f"{kind}_expr_term", [base, _t(kind, steps)])
        raise Unsupported(node.type)

    def get_attr(self, node: Any) -> Tree:
        ident = node.named_children[0]
        return _t("get_attr", [_t("identifier", [tok("NAME", self.text(ident))])])

    def index(self, node: Any) -> Tree:
        if node.type == "new_index":
            expr = next(k for k in node.named_children if k.type == "expression")
            return _t("braces_index", [self.expression(expr)])
        if node.type == "legacy_index":
            digits = self.src[node.start_byte + 1:node.end_byte].decode("utf-8")
            if not digits.isdigit():
                raise Unsupported("legacy index")
            return _t("short_index", [tok("INT_LITERAL", digits)])
        raise Unsupported(node.type)

    def operation(self, node: Any) -> Tree:
        kids = [k for k in node.children if k.type not in _SKIP]
        if node.type == "unary_operation":
            op = kids[0].type
            if op not in ("-", "!"):
                raise Unsupported(op)
            return _t("unary_op", [tok(OPERATOR_TOKENS[op], op), self.operand(kids[1:])])
        if node.type == "binary_operation":
            # left operand (its nodes, or "(" expression ")" and postfix), the operator, the right operand
            split = 3 if kids[0].type == "(" else 1
            while split < len(kids) and (kids[split].is_named or kids[split].type not in OPERATOR_TOKENS):
                split += 1
            if split >= len(kids):
                raise Unsupported("binary operation")
            op = kids[split].type
            left = self.operand(kids[:split])
            right = self.operand(kids[split + 1:])
            return _t("binary_op", [left, _t("binary_term", [_t("binary_operator", [tok(OPERATOR_TOKENS[op], op)]), right])])
        raise Unsupported(node.type)

    def for_expr(self, node: Any) -> Tree:
        kids = [k for k in node.named_children if k.type not in _SKIP]
        intro = next(k for k in kids if k.type == "for_intro")
        idents = [_t("identifier", [tok("NAME", self.text(i))]) for i in intro.named_children if i.type == "identifier"]
        coll = next(i for i in intro.named_children if i.type == "expression")
        out: list[Any] = [_t("for_intro", [tok("FOR", "for"), *idents, tok("IN", "in"), self.expression(coll)])]
        exprs = [k for k in kids if k.type == "expression"]
        cond = next((k for k in kids if k.type == "for_cond"), None)
        if node.type == "for_tuple_expr":
            if len(exprs) != 1:
                raise Unsupported("for tuple")
            out.append(self.expression(exprs[0]))
        else:
            if len(exprs) != 2:
                raise Unsupported("for object")
            out += [self.expression(exprs[0]), tok("FOR_OBJECT_ARROW", "=>"), self.expression(exprs[1])]
            if any(k.type == "ellipsis" for k in kids):
                out.append(tok("ELLIPSIS", "..."))
        if cond is not None:
            expr = next(k for k in cond.named_children if k.type == "expression")
            out.append(_t("for_cond", [tok("IF", "if"), self.expression(expr)]))
        return _t(node.type, out)

    # -- templates ------------------------------------------------------------------------------
    def string(self, node: Any) -> Tree:
        raw = self.src[node.start_byte + 1:node.end_byte - 1]
        if b"{" not in raw and b"\\" not in raw and node.child_count == 3:
            # the common case: "text" with no interpolation, directive or escape (a brace anywhere
            # takes the general path below, which also handles $${ and %%{)
            return plain_string(raw.decode("utf-8"))
        kids = node.children
        if not kids or kids[0].type != "quoted_template_start" or kids[-1].type != "quoted_template_end":
            raise Unsupported("string")
        start, end = kids[0].end_byte, kids[-1].start_byte
        if len(kids) <= 3 and all(k.type != "template_interpolation" and k.type != "template_directive" for k in kids):
            return literal_string(self.src[start:end].decode("utf-8"))  # no interpolation or directive
        parts = self.template(node, start, end)
        return _t("string", [tok("DBLQUOTE", '"'), *parts, tok("DBLQUOTE", '"')])

    def heredoc(self, node: Any) -> Tree:
        start = next((k for k in node.named_children if k.type == "heredoc_start"), None)
        if start is None:
            raise Unsupported("heredoc")
        trim = self.text(start).startswith("<<-")
        text = self.text(node)
        if not text.endswith("\n"):
            text += "\n"
        kind = "heredoc_template_trim" if trim else "heredoc_template"
        return _t(kind, [tok(kind.upper(), text)])

    def template(self, node: Any, start: int, end: int) -> list[Tree]:
        """String parts of ``node``'s children between two byte offsets: literal text is the source
        between the interpolations and directives (tree-sitter leaves edge whitespace out of literals)."""
        parts: list[Tree] = []
        pos = start
        for c in node.children:
            if c.start_byte < start or c.end_byte > end or c.type == "template_literal":
                continue
            parts += literal_parts(self.src[pos:c.start_byte].decode("utf-8"))
            if c.type == "template_interpolation":
                if any(k.type == "strip_marker" for k in c.children):
                    raise Unsupported("strip marker in an interpolation")
                expr = next(k for k in c.named_children if k.type == "expression")
                parts.append(_t("string_part", [_t("interpolation", [tok("INTERP_START", "${"), self.expression(expr),
                                                                      tok("RBRACE", "}")])]))
            elif c.type == "template_directive":
                parts += self.directive(c.named_children[0])
            else:
                raise Unsupported(c.type)
            pos = c.end_byte
        parts += literal_parts(self.src[pos:end].decode("utf-8"))
        return parts

    def marker(self, node: Any, kind: str) -> Tree:
        """A directive's opening (``%{ if x ~}``) as python-hcl2's flat template_* rule."""
        kids = [k for k in node.children if k.type not in _SKIP]
        out: list[Any] = []
        for k in kids:
            if k.type == "template_directive_start":
                out.append(tok("DIRECTIVE_START", "%{"))
            elif k.type == "template_directive_end":
                out.append(tok("RBRACE", "}"))
            elif k.type == "strip_marker":
                out.append(tok("STRIP_MARKER", "~"))
            elif k.type == "identifier":
                out.append(_t("identifier", [tok("NAME", self.text(k))]))
            elif k.type == "expression":
                out.append(self.expression(k))
            elif k.type == ",":
                out.append(tok("COMMA", ","))
            elif not k.is_named:
                out.append(tok(k.type.upper(), k.type))
            else:
                raise Unsupported(k.type)
        return _t("string_part", [_t(f"template_{kind}", out)])

    def directive(self, node: Any) -> list[Tree]:
        kids = [k for k in node.children if k.type not in _SKIP]
        names = {"template_if_intro": "if_start", "template_else_intro": "else", "template_if_end": "endif",
                 "template_for_start": "for_start", "template_for_end": "endfor"}
        markers = [k for k in kids if k.type in names]
        if not markers or markers[-1] is not kids[-1]:
            raise Unsupported("directive")
        out: list[Tree] = []
        for i, m in enumerate(markers):
            out.append(self.marker(m, names[m.type]))
            if i + 1 < len(markers):
                out += self.template(node, m.end_byte, markers[i + 1].start_byte)
        return out
