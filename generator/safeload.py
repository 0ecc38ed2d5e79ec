"""The one safe reader for every JSON and YAML input (packs, catalogs, contexts, parameters, policies ...).

Hostile files end at once as bad input (exit 2, naming the file and the line or pointer), never as a
hang, a RecursionError or a traceback:

- only regular files are read: a FIFO, socket or device is refused after a ``stat`` and opened, if at
  all, with ``O_NONBLOCK``, so a FIFO never blocks; a file over the size limit is refused with its size;
- YAML goes through the safe loader (no Python or unknown tags) with an alias-expansion budget (a
  "billion laughs" document is refused before it is expanded), a nesting limit and an integer-size limit;
- JSON has the same nesting and integer-size limits, and refuses NaN/Infinity (not JSON; they would
  leak into generated JSON as invalid tokens).
"""

from __future__ import annotations

import json
import os
import re
import stat
from typing import Any

from generator.errors import InputError

MAX_DEPTH = 100                 # nesting of objects/arrays: far beyond any real policy, pack or context
MAX_INT_DIGITS = 4300           # Python's own int/str conversion limit (CVE-2020-10735)
MAX_ALIAS_EXPANSION = 100_000   # nodes YAML aliases may add beyond the document's own nodes
MAX_INPUT_BYTES = 64 << 20      # one JSON/YAML input (plans are streamed and not limited here)
# YAML costs about a second per megabyte even through libyaml (its resolver runs in Python): beyond this a
# document is refused at once, so no YAML input can hold a command for long. Packs, catalogs and
# contexts are kilobytes; a big context can be JSON, which has no such limit.
MAX_YAML_CHARS = 2 << 20

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))
_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp", "merge"))
_MAP_TAGS = frozenset({_YAML + "map"})
_SEQ_TAGS = frozenset({_YAML + "seq"})


def _size_text(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n} bytes"


def file_kind(mode: int) -> str | None:
    """What a non-regular file is ('a FIFO (named pipe)', 'a folder' ...), or None for a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _os_error(exc: OSError, path: str) -> InputError:
    import errno

    if exc.errno == errno.ENOENT:
        return InputError("file not found", file=path)
    if exc.errno == errno.ENAMETOOLONG:
        return InputError("cannot read file: the file name is too long for the file system", file=path[:200] + "...")
    return InputError(f"cannot read file: {exc.strerror or exc}", file=path)


def check_regular(path: str | os.PathLike[str], *, limit: int | None = None) -> int:
    """Stat ``path`` (no open, so never blocking): InputError unless it is a regular file within ``limit``; its size."""
    name = os.fspath(path)
    if "\x00" in name:
        raise InputError("the file name holds a NUL byte", file=repr(name))
    try:
        st = os.stat(name)
    except OSError as exc:
        raise _os_error(exc, name) from None
    kind = file_kind(st.st_mode)
    if kind is not None:
        raise InputError(f"{kind}, not a regular file; give a file", file=name)
    if limit is not None and st.st_size > limit:
        raise InputError(f"the file is {_size_text(st.st_size)}, over the {_size_text(limit)} limit for this input",
                         file=name)
    return st.st_size


def open_regular(path: str | os.PathLike[str]) -> Any:
    """Open a regular file for binary reading without ever blocking on a FIFO or device (InputError otherwise)."""
    name = os.fspath(path)
    check_regular(name)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise _os_error(exc, name) from None
    try:
        kind = file_kind(os.fstat(fd).st_mode)  # swapped between stat and open?
        if kind is not None:
            raise InputError(f"{kind}, not a regular file; give a file", file=name)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (InputError naming the file otherwise)."""
    name = os.fspath(path)
    check_regular(name, limit=limit)
    with open_regular(name) as fh:
        try:
            # read(n) sets aside n bytes up front: ask for the size the file has (one more to see it
            # grew), not for the limit, which would cost a 256 MB allocation per file
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(min(size, limit) + 1)
            if len(data) > size:
                data += fh.read(limit + 1 - len(data))
        except OSError as exc:
            raise _os_error(exc, name) from None
    if len(data) > limit:
        raise InputError(f"the file is over the {_size_text(limit)} limit for this input", file=name)
    return data  # type: ignore[no-any-return]


def read_text(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES) -> str:
    """A UTF-8 text file (leading byte-order mark dropped, as ARM does); every failure is InputError."""
    from generator.fsio import utf16_hint

    data = read_bytes(path, limit=limit)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}){utf16_hint(data[:2])}", file=os.fspath(path)) from None
    return text[1:] if text.startswith("\ufeff") else text


# --------------------------------------------------------------------------------------------------
# JSON


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _reject_constant(name: str) -> Any:
    raise _BadConstant(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0:  # inf (1e999 overflows): not a number any consumer can use
        raise _BadConstant(text)
    return value


class _BadConstant(ValueError):
    pass


def parse_json(text: str, source: str | None, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text: syntax errors, NaN/Infinity, huge integers and deep nesting are InputError with the line."""
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=source, line=exc.lineno) from None
    except _BadConstant as exc:
        m = re.search(rf"(?<![\w\"]){re.escape(str(exc))}(?![\w\"])", text)
        raise InputError(f"not valid JSON: {str(exc)[:40]} is not a finite JSON number", file=source,
                         line=_line_of(text, m.start()) if m else None) from None
    except RecursionError:
        raise InputError(f"JSON nested deeper than {max_depth} levels", file=source) from None
    except ValueError as exc:  # int() over sys.get_int_max_str_digits()
        m = re.search(r"\d{%d,}" % (MAX_INT_DIGITS + 1), text)
        raise InputError(f"a number with more than {MAX_INT_DIGITS} digits ({str(exc).split(':')[0]})",
                         file=source, line=_line_of(text, m.start()) if m else None) from None
    # Cheap test first: fewer brackets than the limit cannot nest past it.
    if text.count("[") + text.count("{") > max_depth:
        pointer = too_deep(data, max_depth)
        if pointer is not None:
            raise InputError(f"JSON nested deeper than {max_depth} levels", file=source,
                             pointer=pointer if len(pointer) <= 80 else pointer[:80] + "...")
    return data


def too_deep(data: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """The pointer of a container nested deeper than ``max_depth``, or None (iterative: no recursion).

    Level by level without building pointers (a 10 MB document of small arrays is millions of
    containers); only a document found too deep is walked again to name the place.
    """
    containers = (dict, list)
    level = [data] if isinstance(data, containers) else []
    depth = 1
    while level:
        if depth > max_depth:
            return _locate(data, max_depth)
        nxt: list[Any] = []
        for node in level:
            values = node.values() if type(node) is dict else node
            nxt.extend([v for v in values if type(v) in containers])
        level = nxt
        depth += 1
    return None


def _locate(data: Any, max_depth: int) -> str:
    """The pointer of the first container deeper than ``max_depth`` (known to exist)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        node, depth, ptr = stack.pop()
        if depth > max_depth:
            return ptr
        if isinstance(node, dict):
            stack.extend((v, depth + 1, f"{ptr}/{_esc(k)}") for k, v in node.items() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1, f"{ptr}/{i}") for i, v in enumerate(node) if isinstance(v, (dict, list)))
    return ""


def _esc(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


# --------------------------------------------------------------------------------------------------
# YAML


def _yaml_error(exc: Exception, source: str | None, error: type[InputError], prefix: str) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
    return error(f"{prefix}: {problem}", file=source, line=(mark.line + 1) if mark is not None else None)


def compose_yaml(text: str, source: str | None, *, loader: Any = None, error: type[InputError] = InputError,
                 prefix: str = "YAML syntax error", max_depth: int = MAX_DEPTH) -> Any:
    """Compose one YAML document into a checked node graph (None for an empty document).

    Refused as ``error`` with the line: a syntax error, a tag other than the plain JSON-like ones
    (``!!python/...``, ``!custom``, ``!!binary`` ...), an integer over MAX_INT_DIGITS digits, nesting deeper
    than ``max_depth``, a recursive alias, and aliases that would expand past MAX_ALIAS_EXPANSION nodes.
    """
    import yaml

    if len(text) > MAX_YAML_CHARS:
        raise error(f"the YAML document is {_size_text(len(text))}, over the {_size_text(MAX_YAML_CHARS)} limit for "
                    f"YAML (JSON has no such limit)", file=source)
    loader = loader or getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source, error, prefix) from None
    except RecursionError:
        raise error(f"YAML nested deeper than {max_depth} levels", file=source) from None
    if node is not None:
        check_yaml_nodes(node, source, error=error, max_depth=max_depth)
    return node


def check_yaml_nodes(root: Any, source: str | None, *, error: type[InputError] = InputError,
                     max_depth: int = MAX_DEPTH) -> None:
    """Tags, integer sizes, nesting and alias expansion of a composed node graph (iterative, linear)."""
    import yaml

    unique = 0
    # id -> (expanded size, height); a node in progress maps to None (meeting it again is a cycle).
    done: dict[int, tuple[int, int] | None] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            kids = _children(node)
            size = 1 + sum(done[id(k)][0] for k in kids)  # type: ignore[index]
            height = 1 + max((done[id(k)][1] for k in kids), default=0)  # type: ignore[index]
            if height > max_depth:
                raise error(f"YAML nested deeper than {max_depth} levels", file=source, line=node.start_mark.line + 1)
            done[key] = (size, height)
            if size - unique > MAX_ALIAS_EXPANSION:
                raise error(f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} extra nodes (an alias bomb?)",
                            file=source, line=node.start_mark.line + 1)
            continue
        if key in done:
            if done[key] is None:
                raise error("recursive YAML alias (an anchor used inside itself)", file=source,
                            line=node.start_mark.line + 1)
            continue
        done[key] = None
        unique += 1
        _check_tag(node, source, error, yaml)
        stack.append((node, True))
        for kid in _children(node):
            if id(kid) in done and done[id(kid)] is None:
                raise error("recursive YAML alias (an anchor used inside itself)", file=source,
                            line=kid.start_mark.line + 1)
            if id(kid) not in done:
                stack.append((kid, False))


def _children(node: Any) -> list[Any]:
    value = node.value
    if isinstance(value, list):
        if value and isinstance(value[0], tuple):
            return [n for pair in value for n in pair]
        return list(value)
    return []


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag


def _check_tag(node: Any, source: str | None, error: type[InputError], yaml: Any) -> None:
    tag = node.tag
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        allowed = _SCALAR_TAGS
    elif isinstance(node, yaml.MappingNode):
        allowed = _MAP_TAGS
    else:
        allowed = _SEQ_TAGS
    if tag not in allowed:
        raise error(f"YAML tag {_short_tag(tag)} is not allowed (only plain values, lists and mappings)",
                    file=source, line=line)
    if tag == _YAML + "int" and len(node.value) > MAX_INT_DIGITS:
        raise error(f"a number with more than {MAX_INT_DIGITS} digits", file=source, line=line)


def parse_yaml(text: str, source: str | None, *, text_scalars: bool = False, error: type[InputError] = InputError,
               prefix: str = "not valid JSON or YAML") -> Any:
    """Parse one YAML document safely into plain data (None for an empty document).

    With ``text_scalars``, unquoted scalars stay text as written (only null is resolved).
    """
    import yaml

    loader_cls = text_loader() if text_scalars else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    node = compose_yaml(text, source, loader=loader_cls, error=error, prefix=prefix)
    if node is None:
        return None
    try:
        return yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source, error, prefix) from None
    except (ValueError, OverflowError) as exc:
        raise error(f"{prefix}: {exc}", file=source) from None


_TEXT_LOADER: Any = None


def text_loader() -> Any:
    """A SafeLoader that resolves no implicit bool, int, float or timestamp (null stays null)."""
    global _TEXT_LOADER
    if _TEXT_LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: a 10 MB context in about a second

        class TextLoader(base):  # type: ignore[misc,valid-type]
            pass

        dropped = {_YAML + "bool", _YAML + "int", _YAML + "float", _YAML + "timestamp"}
        TextLoader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag not in dropped]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        _TEXT_LOADER = TextLoader
    return _TEXT_LOADER


def parse_json_or_yaml(text: str, source: str | None, *, text_scalars: bool = False) -> Any:
    """JSON, or YAML when the text is not JSON; an empty document is InputError (never "no settings")."""
    stripped = text.lstrip()
    if not stripped:
        raise InputError("the file is empty; expected a JSON or YAML document", file=source)
    if stripped.startswith(("{", "[")):
        return parse_json(text, source)
    data = parse_yaml(text, source, text_scalars=text_scalars)
    if data is None:
        raise InputError("the file holds no JSON or YAML document (only comments or null)", file=source)
    return data


def load_json(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES) -> Any:
    """Read and parse a JSON file safely."""
    return parse_json(read_text(path, limit=limit), os.fspath(path))


def load_json_or_yaml(path: str | os.PathLike[str], *, text_scalars: bool = False,
                      limit: int = MAX_INPUT_BYTES) -> Any:
    """Read and parse a JSON or YAML file safely."""
    return parse_json_or_yaml(read_text(path, limit=limit), os.fspath(path), text_scalars=text_scalars)


__all__ = ["MAX_ALIAS_EXPANSION", "MAX_DEPTH", "MAX_INPUT_BYTES", "MAX_INT_DIGITS", "MAX_YAML_CHARS", "check_regular",
           "check_yaml_nodes", "compose_yaml", "file_kind", "load_json", "load_json_or_yaml", "open_regular",
           "parse_json", "parse_json_or_yaml", "parse_yaml", "read_bytes", "read_text", "text_loader", "too_deep"]
