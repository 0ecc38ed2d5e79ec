"""Where clausegate keeps what it read from Azure (live context, synced aliases).

``$CLAUSEGATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/clausegate``, else ``~/.cache/clausegate``. Kept
out of ``generator.azure`` so the engine can find the synced alias table without the Azure SDK.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_CACHE_DIR = "CLAUSEGATE_CACHE_DIR"
ALIASES_FILE = "aliases.json"


def default_cache_dir() -> Path:
    """The cache folder from the environment (not created here)."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "clausegate"


def synced_aliases_path(cache_dir: str | Path | None = None) -> Path:
    """The alias table ``clausegate aliases sync`` writes and the engine reads."""
    return (Path(cache_dir).expanduser() if cache_dir else default_cache_dir()) / ALIASES_FILE
