"""Clause packs shipped with clausegate, registered as ``clausegate.packs`` entry points."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.pack.model import Pack


VALIDATED_DIGEST = "pack.validated.sha256"


def _load(folder: str) -> Pack:
    from generator.pack.loader import parse_pack, validated_digest

    base = resources.files("generator.packs") / folder
    text = (base / "pack.yaml").read_text("utf-8")
    # JSON Schema validation (importing jsonschema and running it) is about a third of `check`'s
    # start-up. A shipped pack whose text and schema match the digest recorded when it was last
    # validated (tests/generator/test_pack_digest.py keeps it current) skips that pass; any edit
    # changes the digest, and then the pack is validated in full as before.
    try:
        recorded = (base / VALIDATED_DIGEST).read_text("utf-8").strip()
    except OSError:
        recorded = ""
    checked = bool(recorded) and recorded == validated_digest(text)
    # Errors name the file as it sits in the source tree, which is where a maintainer edits it.
    return parse_pack(text, f"generator/packs/{folder}/pack.yaml", schema_checked=checked)


def microsoft_aoai_law_enforcement() -> Pack:
    """Microsoft's terms on facial recognition by or for law enforcement (Azure OpenAI, Face, Video Indexer)."""
    return _load("microsoft-aoai-law-enforcement")
