"""ARM template expression language: a parser (with column positions) and a compiler to closures.

Syntax: a JSON string value that starts with `[` and ends with `]` is an expression; a leading
`[[` escapes a literal `[`. Inside: single-quoted strings (`''` is a quote), integers and
decimals, function calls `name(arg, ...)`, property access `.x` and `['x']`, indexing `[0]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from generator.engine.values import MISSING, UNKNOWN, EvaluationError, ci_get

__all__ = [
    "Expr",
    "Literal",
    "Call",
    "Member",
    "ExpressionSyntaxError",
    "parse_expression",
    "is_expression",
    "unescape_literal",
]


class ExpressionSyntaxError(ValueError):
    """A malformed expression; `column` is 1-based within the whole JSON string value."""

    def __init__(self, message: str, column: int, text: str) -> None:
        super().__init__(f"{message} at column {column} of {text!r}")
        self.message = message
        self.column = column
        self.text = text


@dataclass(frozen=True)
class Expr:
    """Base of expression nodes; `column` is where the node starts (1-based)."""

    column: int


@dataclass(frozen=True)
class Literal(Expr):
    """A string or number literal."""

    value: Any


@dataclass(frozen=True)
class Call(Expr):
    """A function call; `name` as written (functions are matched ignoring case)."""

    name: str
    args: tuple


@dataclass(frozen=True)
class Member(Expr):
    """`target.name`, `target['name']` or `target[index]`; `key` is an expression."""

    target: Expr
    key: Expr
    dotted: bool


def is_expression(text: Any) -> bool:
    """Return True when a JSON value is an ARM expression string (`[...]`, not `[[...`)."""
    return (
        isinstance(text, str)
        and len(text) >= 2
        and text[0] == "["
        and text[-1] == "]"
        and text[1] != "["
    )


def unescape_literal(text: str) -> str:
    """Return the literal a non-expression string stands for (`[[x]` means `[x]`)."""
    if len(text) >= 2 and text.startswith("[[") and text[-1] == "]":
        return text[1:]
    return text


_IDENT_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT_CHARS = _IDENT_START | set("0123456789")
_DIGITS = set("0123456789")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        # The expression proper lives between the outer brackets; positions stay absolute.
        self.pos = 1
        self.end = len(text) - 1

    def error(self, message: str, pos: int | None = None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, (self.pos if pos is None else pos) + 1, self.text)

    def skip_ws(self) -> None:
        text, end = self.text, self.end
        while self.pos < end and text[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos] if self.pos < self.end else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            found = repr(self.text[self.pos]) if self.pos < self.end else "end of expression"
            raise self.error(f"expected {ch!r}, found {found}")
        self.pos += 1

    def parse(self) -> Expr:
        if self.peek() == "":
            raise self.error("empty expression")
        node = self.parse_expr()
        if self.peek() != "":
            raise self.error(f"unexpected {self.text[self.pos]!r}")
        return node

    def parse_expr(self) -> Expr:
        node = self.parse_primary()
        while True:
            ch = self.peek()
            if ch == ".":
                start = self.pos
                self.pos += 1
                self.skip_ws()
                name = self.read_ident()
                if not name:
                    raise self.error("expected a property name after '.'")
                node = Member(start + 1, node, Literal(start + 2, name), True)
            elif ch == "[":
                start = self.pos
                self.pos += 1
                key = self.parse_expr()
                self.expect("]")
                node = Member(start + 1, node, key, False)
            else:
                return node

    def read_ident(self) -> str:
        text, start = self.text, self.pos
        if self.pos < self.end and text[self.pos] in _IDENT_START:
            self.pos += 1
            while self.pos < self.end and text[self.pos] in _IDENT_CHARS:
                self.pos += 1
        return text[start : self.pos]

    def parse_primary(self) -> Expr:
        ch = self.peek()
        start = self.pos
        if ch == "":
            raise self.error("unexpected end of expression")
        if ch == "'":
            return Literal(start + 1, self.read_string())
        if ch in _DIGITS or ch == "-" or ch == "+":
            return Literal(start + 1, self.read_number())
        if ch == "(":
            # Grouping parentheses; Microsoft's own docs write `field(('alias'))`.
            self.pos += 1
            node = self.parse_expr()
            self.expect(")")
            return node
        if ch in _IDENT_START:
            name = self.read_ident()
            # Dotted function names (namespaces of user-defined functions) are kept whole.
            while self.pos < self.end and self.text[self.pos] == "." and self._ident_call_follows():
                self.pos += 1
                name += "." + self.read_ident()
            if self.peek() != "(":
                raise self.error(f"expected '(' after function name {name!r}")
            self.pos += 1
            args: list[Expr] = []
            if self.peek() == ")":
                self.pos += 1
            else:
                while True:
                    args.append(self.parse_expr())
                    ch = self.peek()
                    if ch == ",":
                        self.pos += 1
                        continue
                    if ch == ")":
                        self.pos += 1
                        break
                    found = repr(ch) if ch else "end of expression"
                    raise self.error(f"expected ',' or ')' in call of {name}, found {found}")
            return Call(start + 1, name, tuple(args))
        raise self.error(f"unexpected {ch!r}")

    def _ident_call_follows(self) -> bool:
        # `a.b(` is a namespaced call; `f().x` is property access (handled by parse_expr).
        i = self.pos + 1
        text = self.text
        if i >= self.end or text[i] not in _IDENT_START:
            return False
        while i < self.end and text[i] in _IDENT_CHARS:
            i += 1
        return i < self.end and text[i] == "("

    def read_string(self) -> str:
        text, end = self.text, self.end
        start = self.pos
        self.pos += 1
        parts = []
        while True:
            j = text.find("'", self.pos, end)
            if j < 0:
                raise self.error("unterminated string", start)
            parts.append(text[self.pos : j])
            if j + 1 < end and text[j + 1] == "'":
                parts.append("'")
                self.pos = j + 2
                continue
            self.pos = j + 1
            return "".join(parts)

    def read_number(self) -> int | float:
        text, end = self.text, self.end
        start = self.pos
        if text[self.pos] in "+-":
            self.pos += 1
        while self.pos < end and text[self.pos] in _DIGITS:
            self.pos += 1
        is_float = False
        if self.pos < end and text[self.pos] == "." and self.pos + 1 < end and text[self.pos + 1] in _DIGITS:
            is_float = True
            self.pos += 1
            while self.pos < end and text[self.pos] in _DIGITS:
                self.pos += 1
        raw = text[start : self.pos]
        if raw in ("+", "-", ""):
            raise self.error("malformed number", start)
        return float(raw) if is_float else int(raw)


def parse_expression(text: str) -> Expr:
    """Parse a `[...]` expression string; raises ExpressionSyntaxError with the column."""
    if not is_expression(text):
        raise ExpressionSyntaxError("not an expression (must start with '[' and end with ']')", 1, str(text))
    return _Parser(text).parse()


def to_source(node: Expr) -> str:
    """Render an expression node back to text (for messages and traces)."""
    if isinstance(node, Literal):
        if isinstance(node.value, str):
            return "'" + node.value.replace("'", "''") + "'"
        return repr(node.value)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(to_source(a) for a in node.args)})"
    if isinstance(node, Member):
        if node.dotted and isinstance(node.key, Literal):
            return f"{to_source(node.target)}.{node.key.value}"
        return f"{to_source(node.target)}[{to_source(node.key)}]"
    return "?"


# ---------------------------------------------------------------------------------------------
# Compilation to closures: compile once, evaluate many.

Evaluator = Callable[[Any], Any]


def compile_node(node: Expr, text: str) -> Evaluator:
    """Compile a parsed node to a function of the scope; `text` is the whole expression string."""
    from generator.engine import functions

    if isinstance(node, Literal):
        value = node.value
        return lambda scope: value
    if isinstance(node, Member):
        target = compile_node(node.target, text)
        if isinstance(node.key, Literal):
            key = node.key.value
            return lambda scope: member_access(target(scope), key)
        keyf = compile_node(node.key, text)
        return lambda scope: member_access(target(scope), keyf(scope))
    if isinstance(node, Call):
        return functions.compile_call(node, text)
    raise TypeError(node)


def member_access(obj: Any, key: Any) -> Any:
    """`obj.key` / `obj[key]` with ARM semantics: objects ignore case, arrays take an int."""
    if obj is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    if isinstance(obj, dict):
        if not isinstance(key, str):
            raise EvaluationError(f"cannot index an object with {type_name(key)} {key!r}")
        value = ci_get(obj, key)
        # A missing key reads as '' rather than failing: Microsoft's value-operator pattern says
        # `[resourceGroup().tags[name]]` "notEquals ''" is simply false when the tag is absent,
        # and built-ins (Tags/InheritTag_*) use it unguarded as an operator value, where null
        # would fail the evaluation. Use tryGet() to get null for a missing key.
        return "" if value is MISSING else value
    if isinstance(obj, list):
        if isinstance(key, bool) or not isinstance(key, int):
            raise EvaluationError(f"cannot index an array with {type_name(key)} {key!r}")
        if key < 0 or key >= len(obj):
            raise EvaluationError(f"array index {key} is out of range (length {len(obj)})")
        return obj[key]
    if obj is None:
        raise EvaluationError(f"cannot read property {key!r} of null")
    raise EvaluationError(f"cannot read property {key!r} of {type_name(obj)} {obj!r}")


def type_name(value: Any) -> str:
    """ARM type name of a JSON value, for messages."""
    if value is None:
        return "null"
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
