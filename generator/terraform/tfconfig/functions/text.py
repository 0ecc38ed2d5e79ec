"""Numeric, string and type-conversion functions (Terraform's function reference, pure ones)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from generator.terraform.tfconfig.values import MAX_STRING, BudgetExceeded, EvalError, check_size, tf_str


def _num(v: Any) -> Any:
    """A Terraform number from a number or a numeric string."""
    if isinstance(v, bool):
        raise EvalError("a bool is not a number")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return int(v) if re.fullmatch(r"-?\d+", v.strip()) else float(v)
        except ValueError:
            raise EvalError(f"{v!r} is not a number") from None
    raise EvalError(f"a {type(v).__name__} is not a number")


def _int(v: Any) -> int:
    n = _num(v)
    if isinstance(n, float):
        if not n.is_integer():
            raise EvalError(f"{n} is not a whole number")
        n = int(n)
    return n


def number(v: float) -> Any:
    """Integral floats as ints (Terraform has one number type)."""
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 63 else v


def fn_parseint(s: Any, base: Any) -> int:
    base = _int(base)
    if not 2 <= base <= 62:
        raise EvalError("parseint(): base must be between 2 and 62")
    if not isinstance(s, str) or not s:
        raise EvalError("parseint(): a non-empty string is required")
    digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text, sign = (s[1:], -1) if s[0] == "-" else (s[1:] if s[0] == "+" else s, 1)
    if base <= 36:
        text = text.lower()
    value = 0
    for ch in text:
        d = digits.find(ch)
        if d < 0 or d >= base:
            raise EvalError(f"parseint(): cannot parse {s!r} as a base {base} integer")
        value = value * base + d
    if not text:
        raise EvalError(f"parseint(): cannot parse {s!r}")
    return sign * value


def fn_pow(a: Any, b: Any) -> Any:
    a, b = _num(a), _num(b)
    if isinstance(a, int) and isinstance(b, int) and b >= 0:
        if abs(a) > 1 and b * math.log2(abs(a)) > 4096:
            raise BudgetExceeded("pow() result is too large")
        return a ** b
    return number(float(a) ** float(b))


def fn_log(x: Any, base: Any) -> Any:
    return number(math.log(_num(x), _num(base)))


def fn_signum(x: Any) -> int:
    x = _num(x)
    return (x > 0) - (x < 0)


# -- format ---------------------------------------------------------------------------------------

_VERB = re.compile(r"%(?:\[(\d+)\])?([-+# 0]*)(\d*|\*)(?:\.(\d*))?([a-zA-Z%])")


def _fmt_one(flags: str, width: str, prec: str | None, verb: str, arg: Any) -> str:
    if verb in "vsq" and not isinstance(arg, (str, int, float, bool)) and arg is not None and verb != "q":
        if verb == "v" and "#" not in flags:
            raise EvalError("format(): %v of a collection needs %#v")
    if verb == "v" and "#" in flags:
        text = tf_json(arg)
    elif verb in "vs":
        if arg is None:
            raise EvalError("format(): null value")
        text = tf_str(arg)
        if prec:
            text = text[: int(prec)]
    elif verb == "q":
        text = json.dumps(tf_str(arg), ensure_ascii=False)
    elif verb == "t":
        if not isinstance(arg, bool):
            raise EvalError("format(): %t needs a bool")
        text = "true" if arg else "false"
    elif verb in "dboxXeEfgG":
        n = _num(arg)
        if verb in "dbox" or verb == "X":
            n = _int(n)
        spec = ("+" if "+" in flags else "") + (" " if " " in flags else "") + ("#" if "#" in flags and verb in "box" else "")
        if verb == "d":
            text = format(n, spec + "d")
        elif verb in "boxX":
            text = format(n, spec + verb)
        else:
            text = format(float(n), spec + ("." + (prec or "6") if verb in "eEf" else ("." + prec if prec else "")) + verb)
            if verb in "gG" and not prec:
                text = repr(float(n)) if "e" not in repr(float(n)) else text
                text = text[:-2] if text.endswith(".0") else text
    else:
        raise EvalError(f"format(): unsupported verb %{verb}")
    w = int(width) if width and width != "*" else 0
    if w > MAX_STRING:
        raise BudgetExceeded(f"format(): a width of {w:,} is over the string budget")
    if len(text) < w:
        if "-" in flags:
            text = text.ljust(w)
        elif "0" in flags and verb not in "sqvt":
            sign = text[0] if text[:1] in "+- " else ""
            text = sign + text[len(sign):].rjust(w - len(sign), "0")
        else:
            text = text.rjust(w)
    return text


def fn_format(fmt: Any, *args: Any) -> str:
    if not isinstance(fmt, str):
        raise EvalError("format(): the format must be a string")
    out: list[str] = []
    pos = 0
    nxt = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        index, flags, width, prec, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        i = int(index) - 1 if index else nxt
        if i >= len(args):
            raise EvalError("format(): not enough arguments")
        out.append(_fmt_one(flags, width, prec, verb, args[i]))
        nxt = i + 1
    out.append(fmt[pos:])
    if nxt < len(args) and not any(m.group(1) for m in _VERB.finditer(fmt)):
        raise EvalError(f"format(): too many arguments; only {nxt} used by format string")
    return check_size("".join(out))


def fn_formatlist(fmt: Any, *args: Any) -> list[str]:
    n = None
    for a in args:
        if isinstance(a, list):
            if n is not None and len(a) != n:
                raise EvalError("formatlist(): all list arguments must have the same length")
            n = len(a)
    if n is None:
        n = 1
    return [fn_format(fmt, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


def _json_ready(v: Any) -> Any:
    """Whole floats as ints, keys as strings (module level: a recursive closure is a cycle per call)."""
    if isinstance(v, float):
        if not math.isfinite(v):
            raise EvalError("jsonencode(): a number that is not finite")
        return number(v)
    if isinstance(v, dict):
        return {str(k): _json_ready(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_ready(x) for x in v]
    return v


def tf_json(value: Any) -> str:
    """Terraform's jsonencode text: compact, keys sorted, <>& escaped as Go does, whole floats as ints."""
    text = json.dumps(_json_ready(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return check_size(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                      .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# -- strings --------------------------------------------------------------------------------------

def _s(v: Any) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        raise EvalError("a string is required, not null")
    return tf_str(v)


def fn_title(s: Any) -> str:
    return re.sub(r"(?<![\w'])(\w)", lambda m: m.group(1).upper(), _s(s))


def fn_substr(s: Any, offset: Any, length: Any) -> str:
    text, off, n = graphemes(_s(s)), _int(offset), _int(length)
    if off < 0:
        off = max(len(text) + off, 0)
    if off > len(text):
        raise EvalError("substr(): offset is beyond the end of the string")
    return "".join(text[off:] if n < 0 else text[off:off + n])


def fn_indent(n: Any, s: Any) -> str:
    pad = " " * _int(n)
    text = _s(s)
    check_size(" " * 0 if len(text) + text.count("\n") * len(pad) <= MAX_STRING else " " * (MAX_STRING + 1))
    return text.replace("\n", "\n" + pad)


def fn_join(sep: Any, *lists: Any) -> str:
    if not lists:
        raise EvalError("join(): at least one list is required")
    items = [x for lst in lists for x in lst]
    if any(x is None for x in items):
        raise EvalError("join(): a list element is null")
    return check_size(_s(sep).join(_s(x) for x in items))


def fn_split(sep: Any, s: Any) -> list[str]:
    sep, s = _s(sep), _s(s)
    if sep == "":
        return list(s)
    return s.split(sep)


def graphemes(text: str) -> list[str]:
    """Characters as people count them (Terraform counts grapheme clusters): combining marks, variation
    selectors, skin tones and zero-width-joined sequences stay with the character before them."""
    import unicodedata

    clusters: list[str] = []
    join = False
    for ch in text:
        code = ord(ch)
        extend = (unicodedata.combining(ch) or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF
                  or code == 0x200D or 0xE0020 <= code <= 0xE007F)
        if clusters and (extend or join):
            clusters[-1] += ch
        else:
            clusters.append(ch)
        join = code == 0x200D
    return clusters


def fn_strrev(s: Any) -> str:
    return "".join(reversed(graphemes(_s(s))))


def fn_chomp(s: Any) -> str:
    return re.sub(r"(?:\r\n?|\n)*\Z", "", _s(s))


def fn_trimspace(s: Any) -> str:
    return _s(s).strip()


def fn_trim(s: Any, chars: Any) -> str:
    return _s(s).strip(_s(chars))


def fn_trimprefix(s: Any, p: Any) -> str:
    s, p = _s(s), _s(p)
    return s[len(p):] if p and s.startswith(p) else s


def fn_trimsuffix(s: Any, p: Any) -> str:
    s, p = _s(s), _s(p)
    return s[: -len(p)] if p and s.endswith(p) else s


def fn_length(v: Any) -> int:
    if isinstance(v, str):
        return len(graphemes(v))
    if isinstance(v, (list, dict)):
        return len(v)
    raise EvalError("length(): a string or a collection is required")


# -- regular expressions: RE2 (Terraform's syntax, linear time: a pattern cannot backtrack for ever) --

def _re2(pattern: Any) -> Any:
    import re2  # google-re2: the same RE2 syntax Terraform (Go's regexp) uses, matched in linear time

    if not isinstance(pattern, str):
        raise EvalError("a regular expression must be a string")
    try:
        return re2.compile(pattern)
    except Exception as exc:  # re2.error: an invalid pattern is what Terraform rejects too
        raise EvalError(f"invalid regular expression {pattern!r}: {exc}") from None


def _groups(m: Any, rx: Any) -> Any:
    if rx.groupindex:
        return {name: (m.group(name) if m.group(name) is not None else "") for name in rx.groupindex}
    if rx.groups:
        return [g if g is not None else "" for g in m.groups()]
    return m.group(0)


def fn_regex(pattern: Any, s: Any) -> Any:
    rx = _re2(pattern)
    m = rx.search(_s(s))
    if m is None:
        raise EvalError("regex(): pattern did not match")
    return _groups(m, rx)


def fn_regexall(pattern: Any, s: Any) -> list[Any]:
    rx = _re2(pattern)
    out = [_groups(m, rx) for m in rx.finditer(_s(s))]
    return check_size(out)


def fn_replace(s: Any, substr: Any, repl: Any) -> str:
    s, substr, repl = _s(s), _s(substr), _s(repl)
    if len(substr) > 1 and substr.startswith("/") and substr.endswith("/"):
        rx = _re2(substr[1:-1])

        def expand(m: Any) -> str:
            def ref(g: re.Match[str]) -> str:
                name = g.group(1) or g.group(2)
                try:
                    value = m.group(int(name)) if name.isdigit() else m.group(name)
                except (IndexError, KeyError, Exception):
                    value = ""
                return value or ""
            return re.sub(r"\$\{(\w+)\}|\$(\w+)", ref, repl.replace("$$", "\0")).replace("\0", "$")

        return check_size(rx.sub(expand, s))
    if substr == "":
        return s
    if s.count(substr) * max(len(repl) - len(substr), 0) + len(s) > MAX_STRING:
        raise BudgetExceeded("replace(): the result would be over the string budget")
    return s.replace(substr, repl)


# -- type conversion ------------------------------------------------------------------------------

def fn_tostring(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (list, dict)):
        raise EvalError("tostring(): a collection cannot be converted to a string")
    return tf_str(v)


def fn_tonumber(v: Any) -> Any:
    return None if v is None else _num(v)


def fn_tobool(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError(f"tobool(): cannot convert {v!r} to a bool")


def fn_tomap(v: Any) -> Any:
    if v is None:
        return None
    if not isinstance(v, dict):
        raise EvalError("tomap(): a map or an object is required")
    return unify(dict(v))


def unify(value: Any) -> Any:
    """Elements of mixed primitive types become strings (Terraform's conversion to one element type)."""
    items = list(value.values()) if isinstance(value, dict) else list(value)
    kinds = {type(x) for x in items if x is not None}
    if len(kinds) > 1 and kinds <= {str, int, float, bool} and kinds != {int, float}:
        conv = [tf_str(x) if x is not None else None for x in items]
        return dict(zip(value.keys(), conv)) if isinstance(value, dict) else conv
    return value


TEXT_FUNCTIONS = {
    "abs": lambda x: abs(_num(x)),
    "ceil": lambda x: math.ceil(_num(x)),
    "floor": lambda x: math.floor(_num(x)),
    "log": fn_log,
    "max": lambda *a: max(_num(x) for x in a) if a else (_ for _ in ()).throw(EvalError("max(): no arguments")),
    "min": lambda *a: min(_num(x) for x in a) if a else (_ for _ in ()).throw(EvalError("min(): no arguments")),
    "parseint": fn_parseint,
    "pow": fn_pow,
    "signum": fn_signum,
    "chomp": fn_chomp,
    "endswith": lambda s, p: _s(s).endswith(_s(p)),
    "startswith": lambda s, p: _s(s).startswith(_s(p)),
    "strcontains": lambda s, p: _s(p) in _s(s),
    "format": fn_format,
    "formatlist": fn_formatlist,
    "indent": fn_indent,
    "join": fn_join,
    "lower": lambda s: _s(s).lower(),
    "upper": lambda s: _s(s).upper(),
    "regex": fn_regex,
    "regexall": fn_regexall,
    "replace": fn_replace,
    "split": fn_split,
    "strrev": fn_strrev,
    "substr": fn_substr,
    "title": fn_title,
    "trim": fn_trim,
    "trimprefix": fn_trimprefix,
    "trimsuffix": fn_trimsuffix,
    "trimspace": fn_trimspace,
    "length": fn_length,
    "tostring": fn_tostring,
    "tonumber": fn_tonumber,
    "tobool": fn_tobool,
    "tomap": fn_tomap,
    "sensitive": lambda v: v,
    "nonsensitive": lambda v: v,
    "ephemeralasnull": lambda v: v,
}
