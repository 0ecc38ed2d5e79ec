"""Filesystem functions: they read only inside the configuration folder (see ``sources.ConfigArea``);
a path outside it is unknown with a warning and never read. Relative paths are relative to the root
module folder, Terraform's working directory."""

from __future__ import annotations

import base64
import hashlib
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator.terraform import UNKNOWN
from generator.terraform.tfconfig.functions.text import _s
from generator.terraform.tfconfig.values import EvalError, check_count


@dataclass
class FileContext:
    """What file functions need from the reader: the folder they may read and a way to warn."""

    area: Any                                  # sources.ConfigArea
    warn: Callable[[str], None]
    render: Callable[[str, dict[str, Any]], Any] | None = None   # a template's text + vars -> value


def _outside(ctx: FileContext, fn: str, path: str) -> Any:
    ctx.warn(f"{fn}({path!r}): the path is outside the configuration folder and its repository; not read, its value is unknown")
    return UNKNOWN


def _read(ctx: FileContext, fn: str, path: Any, binary: bool = False) -> Any:
    path = _s(path)
    try:
        data = ctx.area.read_bytes(path) if binary else ctx.area.read_text(path)
    except FileNotFoundError:
        raise EvalError(f"{fn}(): no file exists at {path!r}") from None
    except UnicodeDecodeError:
        raise EvalError(f"{fn}(): the file {path!r} is not valid UTF-8 (use filebase64)") from None
    except OSError as exc:
        raise EvalError(f"{fn}(): cannot read {path!r}: {exc.strerror or exc}") from None
    return _outside(ctx, fn, path) if data is None else data


def _hashed(algo: str, b64: bool) -> Callable[..., Any]:
    def fn(ctx: FileContext, path: Any) -> Any:
        data = _read(ctx, f"file{'base64' if b64 else ''}{algo}", path, binary=True)
        if data is UNKNOWN:
            return UNKNOWN
        digest = hashlib.new(algo, data)
        return base64.b64encode(digest.digest()).decode("ascii") if b64 else digest.hexdigest()
    return fn


def fn_file(ctx: FileContext, path: Any) -> Any:
    return _read(ctx, "file", path)


def fn_filebase64(ctx: FileContext, path: Any) -> Any:
    data = _read(ctx, "filebase64", path, binary=True)
    return UNKNOWN if data is UNKNOWN else base64.b64encode(data).decode("ascii")


def fn_fileexists(ctx: FileContext, path: Any) -> Any:
    real = ctx.area.resolve(_s(path))
    if real is None:
        return _outside(ctx, "fileexists", _s(path))
    if real.exists() and not real.is_file():
        raise EvalError(f"fileexists(): {path!r} is not a regular file")
    return real.is_file()


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Terraform's fileset patterns (doublestar): * ? [...] {a,b} and ** across folders."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                raise EvalError(f"fileset(): invalid pattern {pattern!r}")
            body = pattern[i + 1:j]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = j + 1
            continue
        elif c == "{":
            j = pattern.find("}", i + 1)
            if j < 0:
                raise EvalError(f"fileset(): invalid pattern {pattern!r}")
            out.append("(?:" + "|".join(re.escape(p) for p in pattern[i + 1:j].split(",")) + ")")
            i = j + 1
            continue
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def fn_fileset(ctx: FileContext, path: Any, pattern: Any) -> Any:
    base = ctx.area.resolve(_s(path))
    if base is None:
        return _outside(ctx, "fileset", _s(path))
    rx = _glob_regex(_s(pattern))
    out: list[str] = []
    if not base.is_dir():
        return out
    seen = 0
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if ctx.area.contains(base / folder / d) is not None)
        for name in files:
            seen += 1
            check_count(seen, "fileset()")
            rel = posixpath.join(os.path.relpath(folder, base).replace(os.sep, "/"), name).removeprefix("./")
            full = os.path.join(folder, name)
            if rx.match(rel) and ctx.area.contains(type(base)(full)) is not None:
                out.append(rel)
    return sorted(out)


def fn_templatefile(ctx: FileContext, path: Any, variables: Any) -> Any:
    if not isinstance(variables, dict):
        raise EvalError("templatefile(): the variables must be an object")
    text = _read(ctx, "templatefile", path)
    if text is UNKNOWN or ctx.render is None:
        return UNKNOWN
    return ctx.render(text, variables)


def fn_abspath(ctx: FileContext, path: Any) -> str:
    p = _s(path)
    return posixpath.normpath(p if posixpath.isabs(p) else posixpath.join(ctx.area.real.as_posix(), p))


FILE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "file": fn_file,
    "filebase64": fn_filebase64,
    "fileexists": fn_fileexists,
    "fileset": fn_fileset,
    "templatefile": fn_templatefile,
    "filemd5": _hashed("md5", False),
    "filesha1": _hashed("sha1", False),
    "filesha256": _hashed("sha256", False),
    "filesha512": _hashed("sha512", False),
    "filebase64sha256": _hashed("sha256", True),
    "filebase64sha512": _hashed("sha512", True),
    "abspath": fn_abspath,
}

# Path functions that read nothing.
PATH_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "basename": lambda p: posixpath.basename(_s(p).rstrip("/")) or ("/" if _s(p).startswith("/") else "."),
    "dirname": lambda p: posixpath.dirname(_s(p).rstrip("/") or "/") or ".",
}
