"""Date/time parsing and formatting (ISO 8601, .NET format strings) and utcNow(), addDays()."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from generator.engine.functions.arm_values import _int, _need
from generator.engine.functions.registry import _fn
from generator.engine.values import EvaluationError


_DT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def parse_datetime(text: Any) -> datetime | None:
    """Parse an ISO 8601 date/time (up to 7 fractional digits); None when it is not one."""
    if not isinstance(text, str):
        return None
    m = _DT.match(text.strip())
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    micro = int((frac or "0").ljust(7, "0")[:6])
    tzinfo = timezone.utc
    if tz and tz.upper() != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, tzinfo)
    except ValueError:
        return None


def format_datetime(dt: datetime) -> str:
    """Format as `yyyy-MM-ddTHH:mm:ss.fffffffZ` (the policy utcNow() format)."""
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0Z"


_NET_FORMAT = [
    ("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"),
]


def _net_datetime_format(dt: datetime, fmt: str) -> str:
    if fmt == "u":
        return dt.strftime("%Y-%m-%d %H:%M:%SZ")
    if fmt == "d":
        return dt.strftime("%m/%d/%Y")
    if fmt in ("o", "O"):
        return format_datetime(dt)
    out = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "f":
            j = i
            while j < len(fmt) and fmt[j] == "f":
                j += 1
            out.append(f"{dt.microsecond:06d}0"[: j - i])
            i = j
            continue
        for token, code in _NET_FORMAT:
            if fmt.startswith(token, i):
                out.append(dt.strftime(code))
                i += len(token)
                break
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# dates

@_fn("utcNow", 0, 1, scope=True)
def _utc_now(scope: Any, fmt: Any = None) -> str:
    now = scope.now if scope.now.tzinfo else scope.now.replace(tzinfo=timezone.utc)
    if fmt is None:
        return format_datetime(now)
    return _net_datetime_format(now.astimezone(timezone.utc), _need(fmt, (str,), "utcNow"))


@_fn("addDays", 2)
def _add_days(dt: Any, days: Any) -> str:
    parsed = parse_datetime(dt)
    if parsed is None:
        raise EvaluationError(f"addDays(): {dt!r} is not an ISO 8601 date/time")
    try:
        return format_datetime(parsed + timedelta(days=_int(days, "addDays")))
    except OverflowError:
        raise EvaluationError("addDays(): date out of range") from None
