"""A parse cache keyed by file content: a folder checked again with unchanged ``.tf`` files is not
parsed again.

Only files the hand-written reader (:mod:`fastparse`) hands on come here: it reads a file faster than
the cache can load one. For the others (template directives, python-hcl2's reference parse, 20 times
slower) parsing can be most of a run, and between two runs on a laptop most files are unchanged. One cache file per configuration
folder (under ``$CLAUSEGATE_CACHE_DIR``, else ``~/.cache/clausegate``, in ``hcl-parse/``) holds the
parsed files, each under the SHA-256 of its display name and text; the cache file's name covers the
folder, this format, the parser used and the versions of the parsers and of this conversion code. Lark
trees are slow to pickle; entries are nested lists and tuples written with :mod:`marshal` (the cache
folder is the user's own, as trusted as the files it speeds up).

Storing costs about a third of a parse, so a file is stored the second time it is seen unchanged: a
pipeline on a fresh machine (always cold) pays only for a list of digests, a developer's loop is warm
from the third run. Whatever goes wrong with the cache (no writable folder, a damaged or foreign
entry) only means the file is parsed: a cache can make a run faster, never different.
CLAUSEGATE_HCL_CACHE=0 turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
from pathlib import Path
from typing import Any, Callable

from lark import Token, Tree

from generator.terraform.tfconfig.parser import Block, Body

FORMAT = 2
# A folder's cache file is a few times its .tf files' size; anything far larger is not one of ours.
MAX_CACHE_BYTES = 512 * 1024 * 1024
# Cache files past this count are pruned, oldest first, down to half.
MAX_FOLDERS = 2_000
_SUBDIR = "hcl-parse"


@functools.lru_cache(maxsize=4)
def _salt(parsers: str) -> bytes:
    """What an entry depends on besides the file: the format, the parser used, the parsers' installed
    files and clausegate's own conversion code (an editable install changes without a new version).
    File sizes and times stand for versions: reading package metadata costs more than a small parse."""
    import importlib.util

    parts = [f"format={FORMAT}", f"parsers={parsers}"]
    for module in ("tree_sitter", "tree_sitter_hcl._binding", "hcl2", "lark"):
        try:
            spec = importlib.util.find_spec(module)
            origin = spec.origin if spec is not None else None
            st = os.stat(origin) if origin else None
            parts.append(f"{module}={origin}:{st.st_size}:{st.st_mtime_ns}" if st else f"{module}=none")
        except (ImportError, OSError, ValueError):
            parts.append(f"{module}=none")
    here = Path(__file__).parent
    code = hashlib.sha256()
    for name in ("parser.py", "fastparse.py", "treesitter.py", "parsecache.py"):
        try:
            code.update((here / name).read_bytes())
        except OSError:
            code.update(name.encode())
    parts.append(f"code={code.hexdigest()}")
    return "\n".join(parts).encode("utf-8", "surrogatepass")


def cache_folder() -> Path | None:
    """The folder cache files live in (created), or None when caching is off or impossible."""
    if os.environ.get("CLAUSEGATE_HCL_CACHE", "").strip().lower() in ("0", "false", "no", "off"):
        return None
    from generator.cachedir import default_cache_dir

    try:
        return _ready(default_cache_dir() / _SUBDIR)
    except (OSError, RuntimeError, ValueError):  # no home folder, ...
        return None


@functools.lru_cache(maxsize=8)
def _ready(folder: Path) -> Path | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only file system, a file in the way
        return None
    return folder if os.access(folder, os.W_OK) else None


class FolderCache:
    """The parsed files of one configuration folder: open, parse each file through it, save."""

    def __init__(self, path: Path | None, entries: dict[str, bytes], seen: set[str]) -> None:
        self.path = path
        self._entries = entries          # digest -> marshal of the encoded body (from the last runs)
        self._seen = seen                # digests seen once, not stored yet
        self._now: dict[str, bytes] = {}  # what this run keeps
        self._now_seen: set[str] = set()
        self._changed = False

    @classmethod
    def open(cls, directory: Path) -> FolderCache:
        """The cache of ``directory`` (an inert one when caching is off)."""
        folder = cache_folder()
        if folder is None:
            return cls(None, {}, set())
        from generator.terraform.tfconfig import fastparse, treesitter

        parsers = "+".join(name for name, on in (("fast", fastparse.enabled()), ("tree-sitter", treesitter.enabled()),
                                                 ("python-hcl2", True)) if on)
        try:
            where = str(directory.resolve())
        except (OSError, RuntimeError):
            where = str(directory.absolute())
        name = hashlib.sha256(_salt(parsers) + b"\0" + where.encode("utf-8", "surrogatepass")).hexdigest()
        path = folder / f"{name}.bin"
        entries: dict[str, bytes] = {}
        seen: set[str] = set()
        try:
            if path.stat().st_size > MAX_CACHE_BYTES:
                raise ValueError("too large to be one of ours")  # never read a planted huge file
            loaded = marshal.loads(path.read_bytes())
            if isinstance(loaded, tuple) and len(loaded) == 3 and loaded[0] == FORMAT:
                if isinstance(loaded[1], dict):
                    entries = loaded[1]
                if isinstance(loaded[2], (list, set, frozenset)):
                    seen = set(loaded[2])
        except Exception:  # none yet, or damaged / foreign: start afresh
            pass
        return cls(path, entries, seen)

    def parse(self, text: str, display: str, parse: Callable[[str, str], Body]) -> Body:
        """``parse(text, display)``, or what it gave for the same name and text before."""
        if self.path is None:
            return parse(text, display)
        digest = hashlib.sha256(display.encode("utf-8", "surrogatepass") + b"\0"
                                + text.encode("utf-8", "surrogatepass")).hexdigest()
        data = self._entries.get(digest)
        if data is not None:
            body = _load(data)
            if body is not None:
                self._now[digest] = data
                return body
        body = parse(text, display)  # a syntax error propagates: nothing is kept for it
        if digest in self._seen:
            # seen unchanged before: worth storing now
            try:
                self._now[digest] = marshal.dumps(_encode_body(body))
            except ValueError:
                self._now_seen.add(digest)
        else:
            self._now_seen.add(digest)
        self._changed = True
        return body

    def save(self) -> None:
        """Write what this run parsed, if anything changed (whole files only; the last writer wins)."""
        if self.path is None:
            return
        if not self._changed and len(self._now) == len(self._entries):
            return
        data = marshal.dumps((FORMAT, self._now, sorted(self._now_seen)))
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, self.path)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
            return
        prune(self.path.parent)


def _load(data: bytes) -> Body | None:
    try:
        return _body(marshal.loads(data), _TOKENS)
    except Exception:  # a damaged or foreign entry: parse instead
        return None


def prune(folder: Path, limit: int = MAX_FOLDERS) -> int:
    """Remove the oldest cache files when there are more than ``limit``, down to half; returns how many."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".bin")]
        if len(entries) <= limit:
            return 0
        dated = sorted((e.stat().st_mtime, e.path) for e in entries)
    except OSError:
        return 0
    removed = 0
    for _, path in dated[: len(dated) - limit // 2]:
        try:
            os.unlink(path)
            removed += 1
        except OSError:
            pass
    return removed


# -- the stored form --------------------------------------------------------------------------------
# A tree is a list [data, constant, *children] (constant: the value the converter gave a plain string,
# else None); a token is a tuple (type, text). Bodies and blocks are tuples.

def _encode(node: Any) -> Any:
    if isinstance(node, Token):
        return (node.type, str(node))
    return [node.data, node.__dict__.get("_constant"), *[_encode(c) for c in node.children]]


def _encode_body(body: Body) -> tuple[Any, ...]:
    attrs = [(name, _encode(expr), line) for name, (expr, line) in body.attributes.items()]
    blocks = [(b.type, list(b.labels), _encode_body(b.body), b.file, b.line) for b in body.blocks]
    return (attrs, blocks)


# Tokens are immutable text: one object per (type, text) for every file read from the cache.
_TOKENS: dict[tuple[str, str], Token] = {}


def _decode(node: Any, tokens: dict[tuple[str, str], Token]) -> Any:
    if node.__class__ is tuple:
        return _token(node, tokens)
    kids = []
    append = kids.append
    for child in node[2:]:
        if child.__class__ is tuple:  # the leaves, most of a tree: no call per token
            tok = tokens.get(child)
            append(tok if tok is not None else _token(child, tokens))
        else:
            append(_decode(child, tokens))
    tree = Tree(node[0], kids)
    if node[1] is not None:
        tree.__dict__["_constant"] = node[1]
    return tree


def _token(node: tuple[str, str], tokens: dict[tuple[str, str], Token]) -> Token:
    tok = tokens.get(node)
    if tok is None:
        if len(tokens) > 200_000:
            tokens.clear()
        tok = tokens[node] = Token(node[0], node[1])
    return tok


def _body(encoded: tuple[Any, ...], tokens: dict[tuple[str, str], Token]) -> Body:
    attrs, blocks = encoded
    body = Body()
    for name, expr, line in attrs:
        body.attributes[name] = (_decode(expr, tokens), line)
    for btype, labels, inner, file, line in blocks:
        body.blocks.append(Block(btype, list(labels), _body(inner, tokens), file, line))
    return body
