"""The CONTRACTS JSON report, serialised deterministically."""

from __future__ import annotations

import json
from typing import Any, Mapping


def format_json(report: Mapping[str, Any]) -> str:
    """Render ``report`` as indented JSON with a trailing newline."""
    return json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
