"""Helpers shared by the generator tests: paths, the one python-hcl2 adapter, tree reading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHIPPED = "microsoft-aoai-law-enforcement"
EXAMPLE_PACK = REPO / "examples" / "packs" / "restricted-data-network.yaml"
DEFAULT_TARGETS = ["policy-json", "terraform"]


def parse_hcl(text: str) -> dict[str, Any]:
    """Parse HCL with python-hcl2 8.x, the one way the tests do (quotes stripped, blocks implicit)."""
    import hcl2
    from hcl2 import SerializationOptions

    opts = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    # python-hcl2 8.1 rejects an escaped template sequence that is never closed ("$${" alone, which
    # Terraform accepts) and returns closed ones still escaped. Both escapes only occur inside
    # string literals, so spell them as the equivalent unicode escapes that it decodes to the
    # literal text Terraform reads ("${" and "%{").
    text = text.replace("$${", "\\u0024{").replace("%%{", "\\u0025{")
    return hcl2.loads(text, serialization_options=opts)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` as ``{posix relative path: bytes}``."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def blocks(parsed: dict[str, Any], kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """``(type, name, body)`` for each resource/data block in a parsed file."""
    out = []
    for entry in parsed.get(kind, []):
        for rtype, named in entry.items():
            for name, body in named.items():
                out.append((rtype, name, body))
    return out
