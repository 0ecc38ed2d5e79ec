"""A small on-disk cache of what was read from Azure, with a time limit per entry.

Location: ``--cache-dir``, else ``$CLAUSEGATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/clausegate``, else
``~/.cache/clausegate``. Entries are JSON files written atomically; a corrupt or foreign file is a
miss, never an error. Keys include the Resource Manager endpoint, so clouds and the test stand-in
never share entries.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from generator.cachedir import default_cache_dir

DEFAULT_TTL = 3600  # seconds: tags and assignments change rarely, and --refresh forces a read


class JsonCache:
    """Get and put JSON documents under a key, honouring a time limit in seconds (0 disables reads)."""

    def __init__(self, root: str | Path | None, ttl: float, namespace: str) -> None:
        self.root = Path(root).expanduser() if root else default_cache_dir()
        self.ttl = ttl
        self.namespace = namespace
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(f"{self.namespace}\n{key}".encode()).hexdigest()[:32]
        return self.root / "live" / f"{digest}.json"

    def get(self, key: str) -> Any | None:
        """The cached document, or None when absent, expired or unreadable."""
        if self.ttl <= 0:
            self.misses += 1
            return None
        path = self._path(key)
        from generator.errors import InputError
        from generator.safeload import load_json

        try:
            doc = load_json(path)
        except InputError:
            self.misses += 1
            return None
        if not isinstance(doc, dict) or doc.get("key") != key or \
                time.time() - float(doc.get("storedAt", 0)) > self.ttl:
            self.misses += 1
            return None
        self.hits += 1
        return doc.get("data")

    def put(self, key: str, data: Any) -> None:
        """Store a document (best effort: a read-only cache folder only costs the next run a read)."""
        from generator.fsio import write_text_atomic

        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, json.dumps({"key": key, "storedAt": time.time(), "data": data}))
        except Exception:  # noqa: BLE001 - caching must never fail a run
            pass
