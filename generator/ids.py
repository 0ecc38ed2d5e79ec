"""Azure identifier shapes shared by the commands that take them."""

from __future__ import annotations

import re

GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_guid(value: str) -> bool:
    """True when ``value`` is a GUID such as a subscription or tenant id."""
    return GUID_RE.fullmatch(value.strip()) is not None
