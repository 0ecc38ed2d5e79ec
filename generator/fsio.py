"""The one file layer: atomic writes, checked output paths, and a root nothing escapes.

* ``write_text_atomic``/``write_bytes_atomic``: a reader sees the old file or the new one, never half
  of one; a failure is exit 2 "cannot write PATH: reason".
* ``check_output_path``: an ``--out``/``--output-file`` that cannot be written is refused before any
  work (missing parent, not a folder, read-only, /proc, /sys, a name too long).
* ``SafeRoot``: reads, writes and deletes of paths relative to an output root. Every path is checked
  (relative, no ``..``, no NUL) and walked from the root one folder at a time with ``O_NOFOLLOW``,
  so a symlink inside the root is refused (exit 2, naming it) instead of being followed out of it;
  with ``follow_symlinks`` a link is followed only when its target is inside the root too.
* Temporary files are named ``.clausegate-tmp-<hex>`` so that a later run recognises and removes the
  ones an interrupted run left behind.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from pathlib import Path

TEMP_PREFIX = ".clausegate-tmp-"
TEMP_RE = re.compile(r"^\.clausegate-tmp-[0-9a-f]{16}$")
NAME_MAX = 255
PATH_MAX = 4096
# Kernel interfaces, never a place for output (writing there changes the system, not a file).
_FORBIDDEN_ROOTS = ("/proc", "/sys")
_HAS_DIR_FD = os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")


def _input_error(message: str, **kw: object) -> Exception:
    from generator.errors import InputError

    return InputError(message, **kw)  # type: ignore[arg-type]


def temp_name() -> str:
    """A fresh temporary file name with the recognisable prefix."""
    return TEMP_PREFIX + secrets.token_hex(8)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return (exc.strerror or str(exc)).lower() if exc.strerror else str(exc)


def _cannot_write(path: object, reason: str) -> Exception:
    return _input_error(f"cannot write {path}: {reason}")


def check_output_path(path: str | os.PathLike[str], *, directory: bool = False) -> None:
    """Raise InputError "cannot write PATH: reason" unless ``path`` can be written.

    A file needs an existing, writable parent folder; a folder (``directory``) may not exist yet
    but its nearest existing ancestor must be a writable folder. Either is refused under /proc or
    /sys, with a NUL byte, or with a name longer than the file system allows.
    """
    text = os.fspath(path)
    if "\0" in text:
        raise _cannot_write(repr(text), "the path holds a NUL byte")
    absolute = os.path.abspath(text)
    real = os.path.realpath(absolute)
    for special in _FORBIDDEN_ROOTS:
        if real == special or real.startswith(special + "/") or absolute.startswith(special + "/"):
            raise _cannot_write(text, f"{special} is a kernel interface, not a place for output")
    if len(absolute.encode("utf-8", "surrogateescape")) >= PATH_MAX:
        raise _cannot_write(text, "path too long")
    for part in Path(absolute).parts:
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise _cannot_write(text, "file name too long")
    p = Path(absolute)
    if directory:
        if p.exists() and not p.is_dir():
            raise _cannot_write(text, "it exists and is not a folder")
        ancestor = p
        while not ancestor.exists():
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise _cannot_write(text, f"{ancestor} is not a folder")
        _check_writable_dir(text, ancestor)
        return
    if p.is_dir():
        raise _cannot_write(text, "it is a folder")
    parent = p.parent
    if not parent.exists():
        raise _cannot_write(text, f"folder {parent} does not exist")
    if not parent.is_dir():
        raise _cannot_write(text, f"{parent} is not a folder")
    _check_writable_dir(text, parent)


def _check_writable_dir(text: str, folder: Path) -> None:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            raise _cannot_write(text, "read-only file system")
    except (AttributeError, OSError):
        pass
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _cannot_write(text, f"folder {folder} is not writable")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, plain_mode: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    The temporary file is private (0600) while written; with ``plain_mode`` (the default) the result
    gets the mode a plain write would give it (the replaced file's, else 0666 less the umask). An
    OS error is InputError "cannot write PATH: reason" (exit 2).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(target, _reason(exc)) from None
    tmp = target.parent / temp_name()
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        raise _cannot_write(target, _reason(exc)) from None
    try:
        if plain_mode:
            os.chmod(tmp, _mode_for(target))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        # Never leave the temporary file behind, whatever interrupted us.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _cannot_write(target, _reason(exc)) from None
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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


# --- the output root ------------------------------------------------------------------------------

def unsafe_relative(path: object) -> str | None:
    """Why ``path`` is not a safe relative path inside a root (None when it is)."""
    if not isinstance(path, str) or not path:
        return "not a non-empty string"
    if "\0" in path:
        return "holds a NUL byte"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "is absolute"
    if "\\" in path:
        return "holds a backslash"
    parts = path.split("/")
    if ".." in parts:
        return "holds '..'"
    if any(p in ("", ".") for p in parts):
        return "holds an empty or '.' component"
    if any(len(p.encode("utf-8", "surrogateescape")) > NAME_MAX for p in parts):
        return f"has a name longer than {NAME_MAX} bytes"
    return None


class SafeRoot:
    """Reads, writes and deletes under ``root`` that never leave it, whatever links the tree holds."""

    def __init__(self, root: str | os.PathLike[str], *, follow_symlinks: bool = False) -> None:
        self.root = Path(os.path.realpath(root))
        self.follow_symlinks = follow_symlinks

    # -- path checks
    def _inside(self, real: str) -> bool:
        root = str(self.root)
        return real == root or real.startswith(root.rstrip("/") + "/")

    def _symlink_error(self, link: Path) -> Exception:
        if self.follow_symlinks:
            target = os.path.realpath(link)
            return _input_error(f"symlink {link} points outside the output root {self.root} (to {target}); "
                                "clausegate writes only inside the root")
        return _input_error(f"symlink inside the output root: {link}; clausegate does not follow links "
                            "(use --follow-symlinks if its target is inside the root too)")

    def resolve(self, rel: str) -> str:
        """``rel`` checked and, with ``follow_symlinks``, with links inside the root resolved.

        Raises InputError for an unsafe path, a link (unless followed to a place inside the root)
        or a component that is not a folder.
        """
        why = unsafe_relative(rel)
        if why:
            raise _input_error(f"unsafe path {rel!r}: it {why}")
        parts = rel.split("/")
        cur = self.root
        out: list[str] = []
        for i, part in enumerate(parts):
            p = cur / part
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                out.extend(parts[i:])
                break
            except NotADirectoryError:
                raise _input_error(f"cannot write {p}: {cur} is not a folder") from None
            if stat.S_ISLNK(st.st_mode):
                real = os.path.realpath(p)
                if not self.follow_symlinks or not self._inside(real):
                    raise self._symlink_error(p)
                cur = Path(real)
                out = list(cur.relative_to(self.root).parts)
                continue
            if i < len(parts) - 1 and not stat.S_ISDIR(st.st_mode):
                raise _input_error(f"cannot write {self.root / rel}: {p} is not a folder")
            cur = p
            out.append(part)
        if not out:
            raise _input_error(f"unsafe path {rel!r}: it names the output root itself")
        return "/".join(out)

    def path(self, rel: str) -> Path:
        """The absolute path of a checked relative path (for messages)."""
        return self.root / rel

    # -- folder walking without following links
    def _open_dir(self, parts: list[str], *, create: bool) -> int | None:
        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            if not create:
                return None
            try:
                os.makedirs(self.root, exist_ok=True)
            except OSError as exc:
                raise _cannot_write(self.root, _reason(exc)) from None
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for i, part in enumerate(parts):
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                try:
                    nfd = os.open(part, flags, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        os.close(fd)
                        return None
                    try:
                        os.mkdir(part, 0o777, dir_fd=fd)
                    except FileExistsError:
                        pass
                    nfd = os.open(part, flags, dir_fd=fd)
                except OSError as exc:
                    here = self.root.joinpath(*parts[: i + 1])
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(here):
                        raise self._symlink_error(here) from None
                    raise _cannot_write(here, _reason(exc)) from None
                os.close(fd)
                fd = nfd
            return fd
        except BaseException:
            try:
                os.close(fd)
            except OSError:
                pass
            raise

    def _split(self, rel: str) -> tuple[list[str], str]:
        parts = self.resolve(rel).split("/")
        return parts[:-1], parts[-1]

    def read_bytes(self, rel: str) -> bytes | None:
        """The bytes of ``rel`` or None when absent; a link or a non-regular file is refused."""
        if not _HAS_DIR_FD:
            p = self.root / self.resolve(rel)
            try:
                return p.read_bytes()
            except FileNotFoundError:
                return None
        parents, name = self._split(rel)
        dfd = self._open_dir(parents, create=False)
        if dfd is None:
            return None
        try:
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
            except FileNotFoundError:
                return None
            except OSError as exc:
                full = self.root.joinpath(*parents, name)
                if exc.errno == errno.ELOOP:
                    raise self._symlink_error(full) from None
                if exc.errno == errno.EISDIR:
                    raise _input_error(f"cannot write {full}: it is a folder") from None
                raise _input_error(f"cannot read {full}: {_reason(exc)}") from None
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise _input_error(f"cannot write {self.root.joinpath(*parents, name)}: not a regular file")
                return handle.read()
        finally:
            os.close(dfd)

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Replace ``rel`` atomically (temporary file + rename in its folder), creating folders."""
        if not _HAS_DIR_FD:
            write_bytes_atomic(self.root / self.resolve(rel), data)
            return
        parents, name = self._split(rel)
        full = self.root.joinpath(*parents, name)
        dfd = self._open_dir(parents, create=True)
        assert dfd is not None
        tmp = temp_name()
        try:
            try:
                mode = os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dfd)
            except OSError as exc:
                raise _cannot_write(full, _reason(exc)) from None
            try:
                os.fchmod(fd, mode)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
            except BaseException as exc:
                try:
                    os.unlink(tmp, dir_fd=dfd)
                except OSError:
                    pass
                if isinstance(exc, OSError):
                    raise _cannot_write(full, _reason(exc)) from None
                raise
        finally:
            os.close(dfd)

    def unlink(self, rel: str) -> None:
        """Delete ``rel`` (absent is fine) and the folders it leaves empty, up to the root."""
        if not _HAS_DIR_FD:
            p = self.root / self.resolve(rel)
            p.unlink(missing_ok=True)
            self.prune_empty_dirs(rel)
            return
        parents, name = self._split(rel)
        dfd = self._open_dir(parents, create=False)
        if dfd is None:
            return
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                raise self._symlink_error(self.root.joinpath(*parents, name))
            os.unlink(name, dir_fd=dfd)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise _input_error(f"cannot delete {self.root.joinpath(*parents, name)}: {_reason(exc)}") from None
        finally:
            os.close(dfd)
        self.prune_empty_dirs(rel)

    def prune_empty_dirs(self, rel: str) -> None:
        """Remove the folders above ``rel`` that are empty now, stopping at the root or a link."""
        try:
            parts = self.resolve(rel).split("/")[:-1]
        except Exception:
            return
        while parts:
            folder = self.root.joinpath(*parts)
            if os.path.islink(folder):
                return
            try:
                folder.rmdir()
            except OSError:
                return
            parts.pop()

    def remove_stale_temps(self, folders: set[str]) -> list[str]:
        """Delete ``.clausegate-tmp-*`` files an interrupted run left in ``folders`` (relative; "" is
        the root); return what was removed."""
        removed = []
        for folder in sorted(folders):
            base = self.root / folder if folder else self.root
            try:
                if os.path.islink(base) or not base.is_dir():
                    continue
                if folder and not self._inside(os.path.realpath(base)):
                    continue
                names = os.listdir(base)
            except OSError:
                continue
            for name in names:
                if TEMP_RE.match(name):
                    p = base / name
                    try:
                        if stat.S_ISREG(os.lstat(p).st_mode):
                            p.unlink()
                            removed.append(f"{folder}/{name}" if folder else name)
                    except OSError:
                        pass
        return removed

    def lock(self) -> int | None:
        """Hold an exclusive lock on the root folder (released when the fd closes or the process dies)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return None
        fd = os.open(self.root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd
