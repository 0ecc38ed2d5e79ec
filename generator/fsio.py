"""Atomic file output: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, plain_mode: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    ``mkstemp`` makes the temporary file private (0600); with ``plain_mode`` (the default) the result
    gets the mode a plain write would give it (the replaced file's, else 0666 less the umask).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if plain_mode:
            os.chmod(tmp, _mode_for(target))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        # Never leave the temporary file behind, whatever interrupted us.
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_text_atomic(path: str | os.PathLike[str], text: str, *, plain_mode: bool = True) -> None:
    """Write UTF-8 text with ``\\n`` line endings atomically."""
    write_bytes_atomic(path, text.encode("utf-8"), plain_mode=plain_mode)


def utf16_hint(head: bytes) -> str:
    """A hint for UTF-16 files (Windows PowerShell 5's `>` writes UTF-16): empty for anything else."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return ("; this file is UTF-16 (as Windows PowerShell's `>` writes it): save it as UTF-8 "
                "(in PowerShell, pipe to `Out-File -Encoding utf8 FILE`)")
    return ""


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file (a leading byte-order mark is dropped, as ARM does), turning decoding and
    OS errors into InputError (exit 2)."""
    # Through the safe reader: only regular files (a FIFO never blocks), within the input size limit.
    from generator.safeload import read_text as safe_read_text

    return safe_read_text(path)
