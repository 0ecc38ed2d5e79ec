"""The first parser front end: a hand-written reader of the common HCL native syntax, producing the very
trees the tree-sitter front end gives (python-hcl2's node names and shapes).

Why a third parser: on a large configuration, tree-sitter's own parse and the walk over its nodes cost
more than everything else `check` does. This reader scans the text once with one regular expression
and builds the trees directly, about twice as fast. It is deliberately strict: anything it does not
map exactly (a template directive, a strip marker, a Unicode identifier, a number in a form tree-sitter
reads differently, any syntax error) raises :class:`Unsupported`, and the file goes to tree-sitter,
then python-hcl2, which also names syntax errors. A test checks that it gives tree-sitter's trees for
every `.tf` file of the repository and a corpus of constructs.

CLAUSEGATE_HCL_PARSER=tree-sitter (or python-hcl2) turns it off.
"""

from __future__ import annotations

import os
import re
from typing import Any

from lark import Tree

from generator.terraform.tfconfig.parser import Block, Body
from generator.terraform.tfconfig.treesitter import OPERATOR_TOKENS, literal_parts, literal_string, plain_string, tok

_t = Tree


class Unsupported(Exception):
    """Syntax this reader does not map: the file is parsed by tree-sitter (then python-hcl2) instead."""


def enabled() -> bool:
    """Whether this reader is tried first (CLAUSEGATE_HCL_PARSER names another parser: not)."""
    return _TOKEN is not None and os.environ.get("CLAUSEGATE_HCL_PARSER", "").strip().lower() in ("", "auto", "fast")


def parse_body(text: str, file: str) -> Body | None:
    """The file's top-level body, or None when another front end must parse it."""
    try:
        return _Reader(text, file).file_body()
    except (Unsupported, RecursionError):
        return None


# Whitespace and comments, then one token. Numbers take tree-sitter's form (an exponent only after a
# fraction) and must not run into a name; a quoted string without interpolation or directive is one
# token, any other opening quote starts a template.
_SKIP = r"(?:[ \t\r\n]+|\#[^\n]*|//[^\n]*|/\*.*?\*/)*+"  # possessive: no backtracking on odd input
try:
    _TOKEN = re.compile(_SKIP + r"""(?:
    (?P<name>[A-Za-z_][A-Za-z0-9_-]*)(?![^\x00-\x7f])
  | (?P<number>[0-9]+(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?)?)(?![A-Za-z0-9_])
  | (?P<string>"(?:[^"\\$%\n]|\\[^\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))*+")
  | (?P<quote>")
  | (?P<heredoc><<-?)
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|\.\*|\[\*\]|::|[-+*/%<>!?:=.,\[\](){}])
  | (?P<end>\Z)
)""", re.S | re.X)
    _LITERAL = re.compile(r"""(?:[^"\\$%\n]|\\[^\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))*+""")
except re.error:  # Python 3.10 has no possessive quantifiers: tree-sitter parses everything
    _TOKEN = _LITERAL = None  # type: ignore[assignment]
_HEREDOC_ID = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")

# HCL's binary operators by precedence (all left-associative); unary - and ! bind tighter
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, ">": 4, ">=": 4, "<": 4, "<=": 4, "+": 5, "-": 5,
               "*": 6, "/": 6, "%": 6}
_FORMS = {"true": ("TRUE", "true"), "false": ("FALSE", "false"), "null": ("NULL", "null")}


def _term(inner: Any) -> Tree:
    return Tree("expr_term", [inner])


def _name(text: str) -> Tree:
    return Tree("identifier", [tok("NAME", text)])


class _Reader:
    """Recursive descent over tokens read on demand (templates and heredocs switch the scanner's mode)."""

    def __init__(self, text: str, file: str) -> None:
        self.s = text
        self.file = file
        self.pos = 0            # where the next token's scan starts
        self.kind = ""          # the current token: kind, text, start offset
        self.text = ""
        self.start = 0
        self._line_pos = 0      # line numbers counted forward from the last one asked
        self._line = 1
        self.advance()

    # -- tokens ---------------------------------------------------------------------------------
    def advance(self) -> None:
        m = _TOKEN.match(self.s, self.pos)
        if m is None:
            raise Unsupported("token")
        self.kind = m.lastgroup or ""
        self.text = m.group(self.kind)
        self.start = m.start(self.kind)
        self.pos = m.end()

    def take(self, op: str) -> None:
        if self.kind != "op" or self.text != op:
            raise Unsupported(f"expected {op}")
        self.advance()

    def at(self, op: str) -> bool:
        return self.kind == "op" and self.text == op

    def line(self, offset: int) -> int:
        if offset < self._line_pos:
            raise Unsupported("line order")
        self._line += self.s.count("\n", self._line_pos, offset)
        self._line_pos = offset
        return self._line

    # -- structure ------------------------------------------------------------------------------
    def file_body(self) -> Body:
        body = self.body()
        if self.kind != "end":
            raise Unsupported("text after the last block")
        return body

    def body(self) -> Body:
        body = Body()
        attributes, blocks = body.attributes, body.blocks
        while self.kind == "name":
            name, line = self.text, self.line(self.start)
            self.advance()
            if self.kind == "op" and self.text == "=":
                self.advance()
                attributes[name] = (self.expression(), line)
                continue
            labels: list[str] = []
            while self.kind != "op":
                if self.kind == "name":
                    labels.append(self.text)
                elif self.kind == "string" and "\\" not in self.text and "{" not in self.text:
                    labels.append(self.text[1:-1])
                else:
                    raise Unsupported("block label")
                self.advance()
            self.take("{")
            inner = self.body()
            self.take("}")
            blocks.append(Block(name, labels, inner, self.file, line))
        return body

    # -- expressions ----------------------------------------------------------------------------
    def expression(self) -> Any:
        """A whole expression: an operation or term, or a conditional of them."""
        cond = self.binary(1)
        if self.kind == "op" and self.text == "?":
            self.advance()
            yes = self.expression()
            self.take(":")
            return _t("conditional", [cond, yes, self.expression()])
        return cond

    def binary(self, level: int) -> Any:
        left = self.unary()
        while self.kind == "op":
            op = self.text
            prec = _PRECEDENCE.get(op)
            if prec is None or prec < level:
                break
            self.advance()
            right = self.binary(prec + 1)
            left = _t("binary_op", [left, _t("binary_term", [_t("binary_operator", [tok(OPERATOR_TOKENS[op], op)]),
                                                            right])])
        return left

    def unary(self) -> Any:
        if self.kind == "op" and self.text in ("-", "!"):
            op = self.text
            self.advance()
            return _t("unary_op", [tok(OPERATOR_TOKENS[op], op), self.unary()])
        return self.operand()

    def operand(self) -> Any:
        """A term and its postfix operators (attribute, index, splat)."""
        base = self.term()
        while self.kind == "op":
            op = self.text
            if op == ".":
                self.advance()
                if self.kind == "name":
                    base = _term(_t("get_attr_expr_term", [base, _t("get_attr", [_name(self.text)])]))
                elif self.kind == "number" and self.text.isdigit():
                    base = _term(_t("index_expr_term", [base, _t("short_index", [tok("INT_LITERAL", self.text)])]))
                else:
                    raise Unsupported("after a dot")
                self.advance()
            elif op == "[":
                self.advance()
                index = self.expression()
                self.take("]")
                base = _term(_t("index_expr_term", [base, _t("braces_index", [index])]))
            elif op == ".*" or op == "[*]":
                base = _term(self.splat(base, op))
            else:
                break
        return base

    def splat(self, base: Tree, op: str) -> Tree:
        full = op == "[*]"
        kind = "full_splat" if full else "attr_splat"
        steps: list[Any] = [tok("FULL_SPLAT_START" if full else "ATTR_SPLAT", op)]
        self.advance()
        while self.kind == "op":  # tree-sitter's splats take every attribute and index that follow
            if self.text == ".":
                self.advance()
                if self.kind == "name":
                    steps.append(_t("get_attr", [_name(self.text)]))
                elif self.kind == "number" and self.text.isdigit():
                    steps.append(_t("short_index", [tok("INT_LITERAL", self.text)]))
                else:
                    raise Unsupported("after a dot")
                self.advance()
            elif self.text == "[":
                self.advance()
                index = self.expression()
                self.take("]")
                steps.append(_t("braces_index", [index]))
            elif self.text in (".*", "[*]"):
                raise Unsupported("splat after a splat")
            else:
                break
        return _t(f"{kind}_expr_term", [base, _t(kind, steps)])

    def term(self) -> Any:
        kind, text = self.kind, self.text
        if kind == "name":
            self.advance()
            if self.kind == "op" and (self.text == "(" or self.text == "::"):
                return _term(self.function(text))
            form = _FORMS.get(text)
            if form is not None:
                return _term(_t("literal_value", [tok(*form)]))
            return _term(_name(text))
        if kind == "string":
            self.advance()
            return _term(_string(text[1:-1]))
        if kind == "number":
            self.advance()
            if text.isdigit():
                return _term(_t("int_lit", [tok("INT_LITERAL", text)]))
            return _term(_t("float_lit", [tok("FLOAT_LITERAL", text)]))
        if kind == "quote":
            return _term(self.template())
        if kind == "heredoc":
            return _term(self.heredoc())
        if kind == "op":
            if text == "(":
                self.advance()
                inner = self.expression()
                self.take(")")
                return _term(inner)
            if text == "[":
                self.advance()
                if self.kind == "name" and self.text == "for":
                    return _term(self.for_expr("]"))
                items = []
                while not self.at("]"):
                    items.append(self.expression())
                    if not self.at(","):
                        break
                    self.advance()
                self.take("]")
                return _term(_t("tuple", items))
            if text == "{":
                self.advance()
                if self.kind == "name" and self.text == "for":
                    return _term(self.for_expr("}"))
                return _term(self.object())
        raise Unsupported(f"unexpected {text!r}")

    def object(self) -> Tree:
        elems = []
        while not self.at("}"):
            if self.kind == "name" and self.text in ("for", "in", "if"):
                raise Unsupported("keyword as an object key")
            key = self.expression()
            if not (self.at("=") or self.at(":")):
                raise Unsupported("object element")
            self.advance()
            elems.append(_t("object_elem", [_t("object_elem_key", [key]), tok("EQ", "="), self.expression()]))
            if self.at(","):
                self.advance()
        self.advance()
        return _t("object", elems)

    def function(self, first: str) -> Tree:
        children: list[Any] = [_name(first)]
        while self.at("::"):
            self.advance()
            if self.kind != "name":
                raise Unsupported("function name")
            children.append(_name(self.text))
            self.advance()
        self.take("(")
        if self.at(")"):
            self.advance()
            return _t("function_call", children)
        items: list[Any] = []
        while True:
            items.append(self.expression())
            if self.at(","):
                self.advance()
                if self.at(")"):
                    break
                continue
            if self.at("..."):
                self.advance()
                items.append(tok("ELLIPSIS", "..."))
            break
        self.take(")")
        children.append(_t("arguments", items))
        return _t("function_call", children)

    def for_expr(self, close: str) -> Tree:
        self.advance()  # for
        names = []
        while self.kind == "name" and self.text != "in":
            names.append(_name(self.text))
            self.advance()
            if self.at(","):
                self.advance()
        if not names or len(names) > 2 or self.kind != "name":
            raise Unsupported("for intro")
        self.advance()  # in
        out: list[Any] = [_t("for_intro", [tok("FOR", "for"), *names, tok("IN", "in"), self.expression()])]
        self.take(":")
        out.append(self.expression())
        data = "for_tuple_expr"
        if close == "}":
            data = "for_object_expr"
            self.take("=>")
            out += [tok("FOR_OBJECT_ARROW", "=>"), self.expression()]
            if self.at("..."):
                self.advance()
                out.append(tok("ELLIPSIS", "..."))
        if self.kind == "name" and self.text == "if":
            self.advance()
            out.append(_t("for_cond", [tok("IF", "if"), self.expression()]))
        self.take(close)
        return _t(data, out)

    # -- templates ------------------------------------------------------------------------------
    def template(self) -> Tree:
        """A quoted string with interpolations (directives and strip markers go to tree-sitter)."""
        s = self.s
        pos = self.start + 1
        parts: list[Tree] = []
        while True:
            m = _LITERAL.match(s, pos)
            end = m.end()  # type: ignore[union-attr]
            parts += literal_parts(s[pos:end])
            if s.startswith('"', end):
                self.pos = end + 1
                break
            if not s.startswith("${", end) or s.startswith("${~", end):
                raise Unsupported("template directive, strip marker or unterminated string")
            self.pos = end + 2
            self.advance()
            expr = self.expression()
            if not self.at("}"):
                raise Unsupported("interpolation")
            parts.append(_t("string_part", [_t("interpolation", [tok("INTERP_START", "${"), expr, tok("RBRACE", "}")])]))
            pos = self.pos
        self.advance()
        return _t("string", [tok("DBLQUOTE", '"'), *parts, tok("DBLQUOTE", '"')])

    def heredoc(self) -> Tree:
        """``<<EOT`` ... ``EOT``: one token holding the whole text, as the other front ends give it."""
        s = self.s
        m = _HEREDOC_ID.match(s, self.pos)
        if m is None:
            raise Unsupported("heredoc")
        marker = m.group(1)
        pos = m.end()
        while True:
            nl = s.find("\n", pos)
            line = s[pos:] if nl < 0 else s[pos:nl]
            if line.strip() == marker:
                end = pos + line.index(marker) + len(marker)
                break
            if nl < 0:
                raise Unsupported("unterminated heredoc")
            pos = nl + 1
        text = s[self.start:end] + "\n"
        kind = "heredoc_template_trim" if self.text == "<<-" else "heredoc_template"
        self.pos = end
        self.advance()
        return _t(kind, [tok(kind.upper(), text)])


def _string(raw: str) -> Tree:
    """A quoted string without interpolation: its parts, and its value computed once."""
    if "{" not in raw and "\\" not in raw:
        return plain_string(raw)
    return literal_string(raw)
