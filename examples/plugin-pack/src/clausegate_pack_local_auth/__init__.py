"""Example third-party clause pack for clausegate, registered as the ``clausegate.packs`` entry point."""

from __future__ import annotations

from typing import Any


def pack() -> Any:
    """Load this distribution's pack.yaml (package data) into a clausegate Pack."""
    # Imported here, not at module level: clausegate imports entry points only when they are used.
    from generator.plugins import load_packaged_pack

    return load_packaged_pack(__name__, "pack.yaml")
