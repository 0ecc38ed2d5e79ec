"""Encoding, hash, date/time and IP network functions (Terraform's function reference, pure ones)."""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import ipaddress
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from generator.terraform.tfconfig.functions.text import _int, _s, tf_json
from generator.terraform.tfconfig.values import MAX_ITEMS, BudgetExceeded, EvalError, check_count, check_size


def _b(s: Any) -> bytes:
    return _s(s).encode("utf-8")


def fn_base64decode(s: Any) -> str:
    try:
        raw = base64.b64decode(_s(s), validate=True)
    except (binascii.Error, ValueError):
        raise EvalError("base64decode(): the string is not valid base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EvalError("base64decode(): the result is not valid UTF-8") from None


def fn_csvdecode(s: Any) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(_s(s)), strict=True))
    if not rows:
        raise EvalError("csvdecode(): missing header line")
    header, out = rows[0], []
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise EvalError(f"csvdecode(): line {i}: wrong number of fields")
        out.append(dict(zip(header, row)))
    return check_size(out)


def fn_jsondecode(s: Any) -> Any:
    try:
        value = json.loads(_s(s), parse_constant=lambda c: (_ for _ in ()).throw(EvalError(f"invalid JSON {c}")))
    except ValueError as exc:
        raise EvalError(f"jsondecode(): {exc}") from None
    except RecursionError:
        raise BudgetExceeded("jsondecode(): the JSON nests too deeply") from None
    return value


def _expanded_size(value: Any) -> int:
    """Nodes of a decoded document counting shared parts (YAML aliases) each time they are used."""
    memo: dict[int, int] = {}

    def size(v: Any, depth: int) -> int:
        if depth > 200:
            raise BudgetExceeded("yamldecode(): the document nests too deeply")
        if not isinstance(v, (list, dict)):
            return 1
        if id(v) in memo:
            return memo[id(v)]
        children = v.values() if isinstance(v, dict) else v
        total = 1
        for c in children:
            total += size(c, depth + 1)
            if total > MAX_ITEMS:
                break
        memo[id(v)] = total
        return total

    return size(value, 0)


def _yaml_loader() -> Any:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        """Safe, and timestamps stay strings (Terraform has no time type)."""

    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in base.yaml_implicit_resolvers.items()
    }
    return Loader


def fn_yamldecode(s: Any) -> Any:
    import yaml

    try:
        docs = list(yaml.load_all(_s(s), Loader=_yaml_loader()))
    except yaml.YAMLError as exc:
        raise EvalError(f"yamldecode(): {str(exc).splitlines()[0]}") from None
    if len(docs) > 1:
        raise EvalError("yamldecode(): the string holds more than one YAML document")
    value = docs[0] if docs else None
    if _expanded_size(value) > MAX_ITEMS:
        raise BudgetExceeded(f"yamldecode(): the document expands to over {MAX_ITEMS:,} values (aliases)")
    return json.loads(json.dumps(value, default=str))  # aliases become copies, keys strings


def _yaml_scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return tf_json(v)
    return json.dumps(v, ensure_ascii=False)


def fn_yamlencode(v: Any) -> str:
    """Terraform's yamlencode style: block style, strings and keys double-quoted, keys sorted."""
    lines: list[str] = []

    def emit(value: Any, indent: str, first_prefix: str) -> None:
        if isinstance(value, dict) and value:
            prefix = first_prefix
            for k in sorted(value):
                item = value[k]
                key = json.dumps(str(k), ensure_ascii=False)
                if isinstance(item, (dict, list)) and item:
                    lines.append(f"{prefix}{key}:")
                    emit(item, indent + ("  " if isinstance(item, dict) else ""),
                         indent + ("  " if isinstance(item, dict) else ""))
                else:
                    lines.append(f"{prefix}{key}: {_collection_or_scalar(item)}")
                prefix = indent
        elif isinstance(value, list) and value:
            prefix = first_prefix
            for item in value:
                if isinstance(item, (dict, list)) and item:
                    emit(item, indent + "  ", prefix + "- ")
                else:
                    lines.append(f"{prefix}- {_collection_or_scalar(item)}")
                prefix = indent
        else:
            lines.append(first_prefix + _collection_or_scalar(value))

    emit(v, "", "")
    return check_size("\n".join(lines) + "\n")


def _collection_or_scalar(v: Any) -> str:
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    return _yaml_scalar(v)


def fn_textencodebase64(s: Any, encoding: Any) -> str:
    try:
        return base64.b64encode(_s(s).encode(_s(encoding))).decode("ascii")
    except LookupError:
        raise EvalError(f"textencodebase64(): unsupported encoding {encoding!r}") from None
    except UnicodeEncodeError:
        raise EvalError(f"textencodebase64(): the string cannot be encoded as {encoding}") from None


def fn_textdecodebase64(s: Any, encoding: Any) -> str:
    try:
        return base64.b64decode(_s(s), validate=True).decode(_s(encoding))
    except LookupError:
        raise EvalError(f"textdecodebase64(): unsupported encoding {encoding!r}") from None
    except (binascii.Error, ValueError):
        raise EvalError("textdecodebase64(): invalid base64 or text") from None


def fn_urlencode(s: Any) -> str:
    from urllib.parse import quote_plus

    return quote_plus(_s(s), safe="")


_NAMESPACES = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID,
               "x500": uuid.NAMESPACE_X500}


def fn_uuidv5(namespace: Any, name: Any) -> str:
    ns = _NAMESPACES.get(_s(namespace))
    if ns is None:
        try:
            ns = uuid.UUID(_s(namespace))
        except ValueError:
            raise EvalError(f"uuidv5(): {namespace!r} is not a namespace (dns, url, oid, x500 or a UUID)") from None
    return str(uuid.uuid5(ns, _s(name)))


# -- date and time (RFC 3339 timestamps, as Terraform) ------------------------------------------

def _time(s: Any, fn: str) -> datetime:
    text = _s(s)
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", text)
    if not m:
        raise EvalError(f"{fn}(): {text!r} is not an RFC 3339 timestamp")
    frac = (m.group(3) or "")[:7].ljust(7, "0")[1:] if m.group(3) else ""
    tz = "+00:00" if m.group(4) in "Zz" else m.group(4)
    try:
        return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{'.' + frac if frac else ''}{tz}")
    except ValueError:
        raise EvalError(f"{fn}(): {text!r} is not a valid timestamp") from None


def _rfc3339(t: datetime) -> str:
    off = t.utcoffset() or timedelta(0)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        base += ("." + f"{t.microsecond:06d}").rstrip("0")
    if off == timedelta(0) and (t.tzinfo is timezone.utc or t.tzname() in ("UTC", "UTC+00:00")):
        return base + "Z"
    sign = "-" if off < timedelta(0) else "+"
    mins = abs(int(off.total_seconds())) // 60
    return f"{base}{sign}{mins // 60:02d}:{mins % 60:02d}"


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def _duration(s: Any) -> timedelta:
    text = _s(s)
    sign, rest = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if rest == "0":
        return timedelta(0)
    pos, seconds = 0, 0.0
    for m in _DURATION.finditer(rest):
        if m.start() != pos:
            break
        seconds += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(rest) or not rest:
        raise EvalError(f"timeadd(): invalid duration {text!r}")
    return timedelta(seconds=sign * seconds)


def fn_timeadd(ts: Any, duration: Any) -> str:
    t = _time(ts, "timeadd")
    try:
        return _rfc3339(t + _duration(duration))
    except OverflowError:
        raise EvalError("timeadd(): the result is out of range") from None


def fn_timecmp(a: Any, b: Any) -> int:
    ta, tb = _time(a, "timecmp"), _time(b, "timecmp")
    return (ta > tb) - (ta < tb)


_DATE_TOKENS = re.compile(r"'(?:[^']|'')*'|YYYY|YY|MMMM|MMM|MM|M|DD|D|EEEE|EEE|hh|h|HH|H|mm|m|ss|s|aa|AA|ZZZZZ|ZZZZ|ZZZ|Z"
                          r"|[A-Za-z]+|[^A-Za-z']+")


def fn_formatdate(spec: Any, ts: Any) -> str:
    t = _time(ts, "formatdate")
    off = t.utcoffset() or timedelta(0)
    mins = int(off.total_seconds()) // 60
    sign = "-" if mins < 0 else "+"
    hh, mm = divmod(abs(mins), 60)
    out = []
    for tok in _DATE_TOKENS.findall(_s(spec)):
        if tok.startswith("'"):
            out.append(tok[1:-1].replace("''", "'"))
            continue
        value = {
            "YYYY": f"{t.year:04d}", "YY": f"{t.year % 100:02d}", "MMMM": t.strftime("%B"), "MMM": t.strftime("%b"),
            "MM": f"{t.month:02d}", "M": str(t.month), "DD": f"{t.day:02d}", "D": str(t.day),
            "EEEE": t.strftime("%A"), "EEE": t.strftime("%a"), "hh": f"{t.hour:02d}", "h": str(t.hour),
            "HH": f"{(t.hour % 12) or 12:02d}", "H": str((t.hour % 12) or 12), "mm": f"{t.minute:02d}",
            "m": str(t.minute), "ss": f"{t.second:02d}", "s": str(t.second),
            "aa": "am" if t.hour < 12 else "pm", "AA": "AM" if t.hour < 12 else "PM",
            "ZZZZZ": f"{sign}{hh:02d}:{mm:02d}", "ZZZZ": f"{sign}{hh:02d}{mm:02d}",
            "ZZZ": "UTC" if mins == 0 else f"{sign}{hh:02d}{mm:02d}", "Z": "Z" if mins == 0 else f"{sign}{hh:02d}:{mm:02d}",
        }.get(tok)
        if value is None:
            if tok[0].isalpha():
                raise EvalError(f"formatdate(): invalid date format verb {tok!r}")
            value = tok
        out.append(value)
    return "".join(out)


# -- IP networks --------------------------------------------------------------------------------

def _net(prefix: Any, fn: str) -> Any:
    try:
        return ipaddress.ip_network(_s(prefix), strict=False)
    except ValueError:
        raise EvalError(f"{fn}(): invalid CIDR expression {prefix!r}") from None


def fn_cidrhost(prefix: Any, hostnum: Any) -> str:
    net, n = _net(prefix, "cidrhost"), _int(hostnum)
    if n < 0:
        n += net.num_addresses
    if not 0 <= n < net.num_addresses:
        raise EvalError(f"cidrhost(): prefix {prefix} has no host number {hostnum}")
    return str(net.network_address + n)


def fn_cidrnetmask(prefix: Any) -> str:
    net = _net(prefix, "cidrnetmask")
    if net.version != 4:
        raise EvalError("cidrnetmask(): only IPv4 prefixes have a netmask")
    return str(net.netmask)


def _subnet(net: Any, newbits: int, netnum: int, fn: str) -> Any:
    newlen = net.prefixlen + newbits
    if newbits < 0 or newlen > net.max_prefixlen:
        raise EvalError(f"{fn}(): insufficient address space to extend prefix of {net.prefixlen} by {newbits}")
    if not 0 <= netnum < 2 ** newbits:
        raise EvalError(f"{fn}(): prefix extension of {newbits} does not accommodate a subnet numbered {netnum}")
    start = int(net.network_address) + (netnum << (net.max_prefixlen - newlen))
    return ipaddress.ip_network((start, newlen))


def fn_cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    return str(_subnet(_net(prefix, "cidrsubnet"), _int(newbits), _int(netnum), "cidrsubnet"))


def fn_cidrsubnets(prefix: Any, *newbits: Any) -> list[str]:
    net = _net(prefix, "cidrsubnets")
    check_count(len(newbits), "cidrsubnets()")
    out, current = [], int(net.network_address)
    end = int(net.broadcast_address)
    for nb in newbits:
        bits = _int(nb)
        newlen = net.prefixlen + bits
        if bits < 1 or newlen > net.max_prefixlen:
            raise EvalError(f"cidrsubnets(): would extend prefix to {newlen} bits, which is too long")
        size = 1 << (net.max_prefixlen - newlen)
        current = (current + size - 1) // size * size
        if current + size - 1 > end:
            raise EvalError(f"cidrsubnets(): not enough remaining address space for a subnet with a prefix of {newlen}")
        out.append(str(ipaddress.ip_network((current, newlen))))
        current += size
    return out


ENCODING_FUNCTIONS = {
    "base64decode": fn_base64decode,
    "base64encode": lambda s: base64.b64encode(_b(s)).decode("ascii"),
    "csvdecode": fn_csvdecode,
    "jsondecode": fn_jsondecode,
    "textdecodebase64": fn_textdecodebase64,
    "textencodebase64": fn_textencodebase64,
    "urlencode": fn_urlencode,
    "yamldecode": fn_yamldecode,
    "yamlencode": fn_yamlencode,
    "base64sha256": lambda s: base64.b64encode(hashlib.sha256(_b(s)).digest()).decode("ascii"),
    "base64sha512": lambda s: base64.b64encode(hashlib.sha512(_b(s)).digest()).decode("ascii"),
    "md5": lambda s: hashlib.md5(_b(s)).hexdigest(),  # noqa: S324 - Terraform's md5(), not security
    "sha1": lambda s: hashlib.sha1(_b(s)).hexdigest(),  # noqa: S324 - Terraform's sha1()
    "sha256": lambda s: hashlib.sha256(_b(s)).hexdigest(),
    "sha512": lambda s: hashlib.sha512(_b(s)).hexdigest(),
    "uuidv5": fn_uuidv5,
    "formatdate": fn_formatdate,
    "timeadd": fn_timeadd,
    "timecmp": fn_timecmp,
    "cidrhost": fn_cidrhost,
    "cidrnetmask": fn_cidrnetmask,
    "cidrsubnet": fn_cidrsubnet,
    "cidrsubnets": fn_cidrsubnets,
}
