"""The expression evaluator: HCL expression trees -> values, UNKNOWN where Terraform knows only after apply."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from lark import Token, Tree

from generator.errors import InputError
from generator.terraform import UNKNOWN
from generator.terraform.tfconfig.functions import (
    FILE_FUNCTIONS,
    FUNCTIONS,
    IMPURE,
    PROVIDER_FUNCTIONS,
    REMOVED,
    STRUCTURAL,
    FileContext,
    fn_toset,
    tf_json,
)
from generator.terraform.tfconfig.parser import label, parse_expression, subtrees
from generator.terraform.tfconfig.parser import unescape as _unescape
from generator.terraform.tfconfig.values import (
    MAX_STEPS,
    BudgetExceeded,
    check_size,
    EvalError,
    Lazy,
    Namespace,
    PartialJson,
    RefUnknown,
    has_unknown,
    is_unknown,
    plain,
    strip_unknown_json,
    tf_str,
)

if TYPE_CHECKING:
    from generator.terraform.tfconfig.modules import ModuleInstance



class Scope:
    """Names visible to an expression: module instance, each / count, for-expression variables."""

    def __init__(self, module: ModuleInstance, each: tuple[Any, Any] | None = None, count: int | None = None,
                 extra: dict[str, Any] | None = None, isolated: bool = False) -> None:
        self.module = module
        self.each = each
        self.count = count
        self.extra = extra or {}
        self.isolated = isolated  # a template: only the variables given to templatefile() are visible

    def child(self, names: dict[str, Any]) -> Scope:
        """A scope with more names (a for expression's variables, a dynamic block's iterator)."""
        return Scope(self.module, self.each, self.count, {**self.extra, **names}, self.isolated)

    def root(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        if self.isolated:
            raise EvalError(f"a template can only use the variables given to it; {name!r} is not one")
        m = self.module
        if name == "var":
            return m.variables
        if name == "local":
            return Namespace(m.local)
        if name == "each":
            if self.each is None:
                raise EvalError("each is only valid with for_each")
            return {"key": self.each[0], "value": self.each[1]}
        if name == "count":
            if self.count is None:
                raise EvalError("count is only valid with count")
            return {"index": self.count}
        if name == "module":
            return Namespace(m.module_output_object)
        if name == "path":
            # as Terraform: relative to the root module folder, its working directory
            return {"module": m.reader.module_path(m.definition.dir), "root": ".", "cwd": m.reader.area.real.as_posix()}
        if name == "terraform":
            return {"workspace": "default"}
        if name == "data":
            return Namespace(lambda t: Namespace(lambda n, t=t: m.data_object(t, n)))
        if name in m.definition.resources_by_type:
            return Namespace(lambda n, t=name: m.resource_object(t, n))
        raise EvalError(f"unknown name {name!r}")


def evaluate(node: Any, scope: Scope) -> Any:
    """Evaluate an expression tree; unknowns propagate, EvalError for what Terraform would reject."""
    reader = scope.module.reader
    steps = reader.steps = reader.steps + 1
    if steps > MAX_STEPS:
        raise BudgetExceeded(f"evaluation took over {MAX_STEPS:,} steps (a configuration that large, or a loop "
                             "that multiplies collections?)")
    if isinstance(node, Token):
        raise EvalError(f"unexpected token {node.type}")
    kind = node.data
    while kind == "expr_term":  # a term's wrapper (and parentheses): evaluate what it wraps
        children = node.children
        # hot path: a wrapper of one child (tree-sitter's always are) needs no punctuation filtering
        node = children[0] if len(children) == 1 else subtrees(node)[0]
        if isinstance(node, Token):
            raise EvalError(f"unexpected token {node.type}")
        kind = node.data
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise EvalError(f"unsupported expression {kind}")
    return handler(node, scope)


def _e_expr_term(node: Tree, scope: Scope) -> Any:
    parts = subtrees(node)
    return evaluate(parts[0], scope)


def _e_literal(node: Tree, scope: Scope) -> Any:
    return {"true": True, "false": False, "null": None}[str(node.children[0])]


def _e_int(node: Tree, scope: Scope) -> Any:
    return int(str(node.children[0]))


def _e_float(node: Tree, scope: Scope) -> Any:
    return float(str(node.children[0]))


def _e_identifier(node: Tree, scope: Scope) -> Any:
    return scope.root(str(node.children[0]))


def _directive(node: Tree) -> tuple[str, list[Any], bool, bool]:
    """(kind, expression parts, strip before, strip after) of a template directive."""
    kind = node.data.removeprefix("template_").removesuffix("_start")
    tokens = node.children
    strip_before = len(tokens) > 1 and isinstance(tokens[1], Token) and tokens[1].type == "STRIP_MARKER"
    strip_after = len(tokens) > 1 and isinstance(tokens[-2], Token) and tokens[-2].type == "STRIP_MARKER"
    return kind, [c for c in tokens if isinstance(c, Tree)], strip_before, strip_after


def _template(parts: list[Any], scope: Scope) -> Any:
    """A string template: literal text, ``${...}`` interpolations and ``%{if}`` / ``%{for}`` directives."""
    items: list[list[Any]] = []
    for part in parts:
        if isinstance(part, Token):
            if part.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                text = str(part)[1:]
            else:
                text = _unescape(str(part))
            if items and items[-1][0] == "text":
                items[-1][1] += text
            else:
                items.append(["text", text])
        elif part.data == "interpolation":
            items.append(["interp", subtrees(part)[0]])
        else:
            kind, exprs, before, after = _directive(part)
            items.append(["directive", kind, exprs, before, after])
    for i, item in enumerate(items):  # strip markers: ~ trims the whitespace next to the directive
        if item[0] == "directive":
            if item[3] and i > 0 and items[i - 1][0] == "text":
                items[i - 1][1] = items[i - 1][1].rstrip()
            if item[4] and i + 1 < len(items) and items[i + 1][0] == "text":
                items[i + 1][1] = items[i + 1][1].lstrip()
    pos, out = _render(items, 0, scope, ())
    if pos != len(items):
        raise EvalError(f"unexpected %{{{items[pos][1]}}} in a template")
    return out if is_unknown(out) else check_size(out)


def _render(items: list[list[Any]], pos: int, scope: Scope, until: tuple[str, ...]) -> tuple[int, Any]:
    """Render from ``pos`` until a directive in ``until``; returns (its position, text or UNKNOWN)."""
    out: list[str] = []
    unknown = False
    while pos < len(items):
        item = items[pos]
        if item[0] == "text":
            out.append(item[1])
            pos += 1
        elif item[0] == "interp":
            value = evaluate(item[1], scope)
            if is_unknown(value) or has_unknown(value):
                unknown = True
            elif value is None:
                raise EvalError("null in a string template")
            else:
                out.append(tf_str(value))
            pos += 1
        elif item[1] in until:
            break
        elif item[1] == "if":
            cond = evaluate(item[2][0], scope)
            pos, yes = _render(items, pos + 1, scope, ("else", "endif"))
            no: Any = ""
            if pos < len(items) and items[pos][1] == "else":
                pos, no = _render(items, pos + 1, scope, ("endif",))
            if pos >= len(items) or items[pos][1] != "endif":
                raise EvalError("%{if} without %{endif} in a template")
            pos += 1
            if is_unknown(cond):
                unknown = True
            else:
                chosen = yes if cond else no
                if is_unknown(chosen):
                    unknown = True
                else:
                    out.append(chosen)
        elif item[1] == "for":
            names = [str(e.children[0]) for e in item[2] if e.data == "identifier"]
            coll = evaluate(item[2][-1], scope)
            start = pos + 1
            end, _ = _skip(items, start)
            if is_unknown(coll):
                unknown = True
            else:
                for values in _iterate(coll, names):
                    _, text = _render(items, start, scope.child(values), ("endfor",))
                    if is_unknown(text):
                        unknown = True
                    else:
                        out.append(text)
                        check_size(out[-1])
            pos = end + 1
        else:
            raise EvalError(f"unexpected %{{{item[1]}}} in a template")
    return pos, (UNKNOWN if unknown else "".join(out))


def _skip(items: list[list[Any]], pos: int) -> tuple[int, None]:
    """The position of the %{endfor} that closes the %{for} whose body starts at ``pos``."""
    depth = 0
    while pos < len(items):
        item = items[pos]
        if item[0] == "directive" and item[1] == "for":
            depth += 1
        elif item[0] == "directive" and item[1] == "endfor":
            if depth == 0:
                return pos, None
            depth -= 1
        pos += 1
    raise EvalError("%{for} without %{endfor} in a template")


def render_text(text: str, scope: Scope) -> Any:
    """Template text (a heredoc's, a template file's) evaluated in ``scope``."""
    from generator.terraform.tfconfig.jsonsyntax import _json_template

    tree = _TEMPLATES.get(text)
    if tree is None:
        source = _json_template(text)  # the text as a quoted HCL template: ${...} and %{...} kept
        try:
            tree = parse_expression(source, "<template>")
        except InputError:
            raise EvalError("the template does not parse") from None
        if len(_TEMPLATES) >= 4096:
            _TEMPLATES.clear()
        # a heredoc in a block repeated by for_each is rendered once per instance: parsed once
        _TEMPLATES[text] = tree
    return evaluate(tree, scope)


_TEMPLATES: dict[str, Any] = {}


def _e_string(node: Tree, scope: Scope) -> Any:
    memo = node.__dict__
    constant = memo.get("_constant")
    if constant is not None:
        return constant  # a string without interpolations or directives, unescaped once
    parts = [p.children[0] for p in node.children if isinstance(p, Tree) and p.data == "string_part"]
    if len(parts) == 1 and isinstance(parts[0], Tree) and parts[0].data == "interpolation":
        # "${x}" alone keeps x's type (Terraform unwraps a sole interpolation)
        return evaluate(subtrees(parts[0])[0], scope)
    value = _template(parts, scope)
    if all(isinstance(p, Token) for p in parts):
        memo["_constant"] = value
    return value


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
    if "${" not in body and "%{" not in body:
        return body
    return render_text(body, scope)


def _e_tuple(node: Tree, scope: Scope) -> Any:
    return [evaluate(c, scope) for c in subtrees(node)]


def _edge(node: Tree, end: int) -> Any:
    """``subtrees(node)[end]`` (end 0 or -1) without filtering when that child is a tree (the usual case)."""
    child = node.children[end]
    if isinstance(child, Tree) and child.data != "new_line_or_comment":
        return child
    return subtrees(node)[end]


def _object_elements(node: Tree) -> list[tuple[str | None, Any, Any]]:
    """(static key or None, key expression, value expression) per element; kept on the node, since a
    block repeated by for_each evaluates the same object once per instance."""
    memo = node.__dict__
    elems = memo.get("_elements")
    if elems is not None:
        return elems  # type: ignore[no-any-return]
    elems = []
    for elem in subtrees(node):
        key_node, value_node = _edge(elem, 0), _edge(elem, -1)
        inner = _edge(key_node, 0)
        static: str | None = None
        if isinstance(inner, Tree) and inner.data == "keyword":
            static = str(inner.children[0])
        else:
            # A bare identifier key is its name; anything else is an expression ("${x}", (x)).
            ident = _edge(inner, 0) if isinstance(inner, Tree) and inner.data == "expr_term" else None
            if isinstance(ident, Tree) and ident.data == "identifier":
                static = str(ident.children[0])
        elems.append((static, inner, value_node))
    memo["_elements"] = elems
    return elems


def _e_object(node: Tree, scope: Scope) -> Any:
    out: dict[str, Any] = {}
    for static, key_node, value_node in _object_elements(node):
        if static is not None:
            out[static] = evaluate(value_node, scope)
            continue
        key = evaluate(key_node, scope)
        if is_unknown(key):
            return UNKNOWN
        out[tf_str(key)] = evaluate(value_node, scope)
    return out


def call_args(node: Tree) -> tuple[list[Any], bool]:
    parts = subtrees(node)
    args_node = next((p for p in parts if isinstance(p, Tree) and p.data == "arguments"), None)
    if args_node is None:
        return [], False
    expand = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_node.children)
    # `f(list...)`: the ellipsis marks the expansion, it is not an argument
    return [a for a in subtrees(args_node) if not (isinstance(a, Token) and a.type == "ELLIPSIS")], expand


def _e_function(node: Tree, scope: Scope) -> Any:
    parts = subtrees(node)
    names = [str(p.children[0]) for p in parts if isinstance(p, Tree) and p.data == "identifier"]
    name = names[-1]
    reader = scope.module.reader
    arg_nodes, expand = call_args(node)
    if len(names) > 1:  # provider::NAME::function: provider-defined; azapi's id functions are evaluated
        fn = PROVIDER_FUNCTIONS.get(tuple(names))
        if fn is None:
            reader.warn(f"provider function {'::'.join(names)}() is not evaluated offline; its value is unknown")
            return UNKNOWN
        args = [evaluate(a, scope) for a in arg_nodes]
        if expand or any(has_unknown(a) or isinstance(a, Lazy) for a in args):
            return UNKNOWN
        try:
            return _call("::".join(names), fn, args, args)
        except EvalError as exc:
            raise EvalError(f"{'::'.join(names)}(): {exc}") from None
    if name in ("try", "can"):
        for arg in arg_nodes:
            try:
                value = evaluate(arg, scope)
            except EvalError:
                if name == "can":
                    return False
                continue
            if name == "can":
                return UNKNOWN if is_unknown(value) else True
            return value
        if name == "can":
            return False
        raise EvalError("try(): no argument could be evaluated")
    args = [evaluate(a, scope) for a in arg_nodes]
    if expand and args:
        last = args.pop()
        if is_unknown(last):
            return UNKNOWN
        if not isinstance(last, list):
            raise EvalError(f"{name}(): the argument expanded with ... must be a list")
        args.extend(last)
    if name == "jsonencode":
        if len(args) != 1:
            raise EvalError("jsonencode(): one argument")
        value = args[0]
        if isinstance(value, Lazy):
            return UNKNOWN
        if has_unknown(value):
            return PartialJson(strip_unknown_json(value))
        return tf_json(plain(value))
    if name in IMPURE:
        reader.warn(f"function {name}() is not evaluated offline (its value is decided at apply or by the machine "
                    "running Terraform); its value is unknown")
        return UNKNOWN
    if name in REMOVED:
        raise EvalError(f"the {name}() function was removed from Terraform (use tolist / tomap)")
    if name == "templatestring" or name in FILE_FUNCTIONS:
        fn: Any = FILE_FUNCTIONS.get(name)
        if scope.isolated and name in ("templatefile", "templatestring"):
            raise EvalError(f"{name}() cannot be called from inside a template")
        if any(has_unknown(a) for a in args):
            if name != "templatefile":
                return UNKNOWN
            from generator.terraform.tfconfig.partialtemplate import partial_templatefile

            return partial_templatefile(FileContext(reader.area, reader.warn, lambda text, variables: render_template(
                text, variables, scope)), args)
        if name == "templatestring":
            if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
                raise EvalError("templatestring(): a string and an object of variables")
            return check_size(render_template(args[0], args[1], scope))
        ctx = FileContext(reader.area, reader.warn, lambda text, variables: render_template(text, variables, scope))
        return _call(name, fn, [ctx, *args], args)
    fn = FUNCTIONS.get(name)
    if fn is None:
        raise EvalError(f"call to unknown function {name}()")
    if name == "jsondecode" and len(args) == 1 and isinstance(args[0], PartialJson):
        return args[0].value  # the known structure, its unknown leaves unknown
    if any(is_unknown(a) or isinstance(a, Lazy) for a in args):
        return UNKNOWN
    if name not in STRUCTURAL and any(has_unknown(a) for a in args):
        return UNKNOWN
    return _call(name, fn, args, args)


def _call(name: str, fn: Any, call: list[Any], args: list[Any]) -> Any:
    try:
        return check_size(fn(*call))
    except (BudgetExceeded, InputError):
        raise
    except EvalError:
        if any(has_unknown(a) for a in args):
            return UNKNOWN
        raise
    except TypeError as exc:
        if any(has_unknown(a) for a in args):
            return UNKNOWN
        if "argument" in str(exc):
            raise EvalError(f"{name}(): wrong number of arguments") from None
        raise EvalError(f"{name}(): {exc}") from None
    except Exception as exc:  # a Python error here means Terraform would reject the call too
        if any(has_unknown(a) for a in args):
            return UNKNOWN
        raise EvalError(f"{name}(): {type(exc).__name__}: {exc}") from None


def render_template(text: str, variables: dict[str, Any], scope: Scope) -> Any:
    """A template (templatefile's file, templatestring's string) with only ``variables`` in scope."""
    return render_text(text, Scope(scope.module, extra={str(k): v for k, v in variables.items()}, isolated=True))


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
        return value.get(tf_str(key))
    if isinstance(value, dict):
        k = tf_str(key)
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
    memo = node.__dict__
    step = memo.get("_step")
    if step is None:
        base_node, attr = subtrees(node)
        step = memo["_step"] = (base_node, label(subtrees(attr)[0]))
    return _get_attr(evaluate(step[0], scope), step[1])


def _e_index_term(node: Tree, scope: Scope) -> Any:
    base_node, idx = subtrees(node)
    base = evaluate(base_node, scope)
    return _apply_index(base, idx, scope)


def _apply_index(base: Any, idx: Tree, scope: Scope) -> Any:
    if idx.data == "short_index":
        key: Any = int(str(subtrees(idx)[0]))
    else:
        key = evaluate(subtrees(idx)[0], scope)
    return _index(base, key)


def _e_splat(node: Tree, scope: Scope) -> Any:
    base_node, splat = subtrees(node)
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
                value = _get_attr(value, label(subtrees(step)[0]))
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
    left_node, term = subtrees(node)[0], subtrees(node)[1]
    op_node, right_node = subtrees(term)[0], subtrees(term)[-1]
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
    cond_node, yes, no = subtrees(node)
    cond = evaluate(cond_node, scope)
    if is_unknown(cond):
        return UNKNOWN
    return evaluate(yes if cond else no, scope)


def _for_parts(node: Tree) -> tuple[list[str], Any, list[Any], Any]:
    parts = subtrees(node)
    intro = next(p for p in parts if isinstance(p, Tree) and p.data == "for_intro")
    intro_parts = [p for p in subtrees(intro) if isinstance(p, Tree)]
    names = [str(p.children[0]) for p in intro_parts if p.data == "identifier"]
    collection = [p for p in intro_parts if p.data != "identifier"][0]
    cond = next((p for p in parts if isinstance(p, Tree) and p.data == "for_cond"), None)
    bodies = [p for p in parts if isinstance(p, Tree) and p.data not in ("for_intro", "for_cond")]
    cond_expr = [p for p in subtrees(cond) if isinstance(p, Tree)][0] if cond is not None else None
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
            out.setdefault(tf_str(key), []).append(value)
        else:
            out[tf_str(key)] = value
    return out


def _e_paren(node: Tree, scope: Scope) -> Any:
    return evaluate(subtrees(node)[0], scope)


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



def _type_call(node: Any) -> tuple[str, list[Any]]:
    """A type expression as (name, argument trees): ``map(string)`` -> ("map", [string])."""
    inner = node
    while isinstance(inner, Tree) and inner.data == "expr_term":
        inner = subtrees(inner)[0]
    if isinstance(inner, Tree) and inner.data == "identifier":
        return str(inner.children[0]), []
    if isinstance(inner, Tree) and inner.data == "function_call":
        parts = subtrees(inner)
        name = str(parts[0].children[0])
        args, _ = call_args(inner)
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
        return tf_str(value)
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
        return fn_toset(items) if name == "set" else items
    if name == "object" and args and isinstance(value, dict):
        obj_name, obj_args = _type_call(args[0])
        if obj_name != "{}":
            return value
        out = dict(value)
        for elem in subtrees(obj_args[0]):
            key_node = subtrees(subtrees(elem)[0])[0]  # expr_term (a name or a string) or a keyword
            key = label(subtrees(key_node)[0] if key_node.data == "expr_term" else key_node)
            attr_type = subtrees(elem)[-1]
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
