"""Clause packs shipped with clausegate, registered as ``clausegate.packs`` entry points."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.pack.model import Pack


def _load(folder: str) -> Pack:
    from generator.pack.loader import parse_pack

    ref = resources.files("generator.packs") / folder / "pack.yaml"
    # Errors name the file as it sits in the source tree, which is where a maintainer edits it.
    return parse_pack(ref.read_text("utf-8"), f"generator/packs/{folder}/pack.yaml")


def microsoft_aoai_law_enforcement() -> Pack:
    """Microsoft's terms on facial recognition by or for law enforcement (Azure OpenAI, Face, Video Indexer)."""
    return _load("microsoft-aoai-law-enforcement")
