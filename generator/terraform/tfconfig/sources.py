"""Where a configuration may read from: the repository holding the configuration folder (the folder
itself outside a repository), including the modules `terraform init` installed under ``.terraform/modules``. Module sources and file functions resolve only inside it;
anything else is unknown with a warning, never read (an untrusted configuration is data, not code)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from generator.errors import InputError

MAX_FILE_BYTES = 16 * 1024 * 1024  # file() and friends: a configuration's own files are small
_REGISTRY_HOST = "registry.terraform.io/"


@dataclass(frozen=True)
class Installed:
    """One entry of ``.terraform/modules/modules.json``."""

    key: str
    source: str
    dir: str


class ConfigArea:
    """The configuration folder, resolved once: what file functions and module sources may reach."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real = root.resolve()
        # Monorepos call shared modules as `../../modules/x` and read files beside them: the area is the
        # repository that holds the configuration (nearest `.git`), else the configuration folder itself.
        self.boundary = repository_boundary(self.real)
        self.installed = read_modules_json(root)

    def contains(self, path: Path) -> Path | None:
        """The real path of ``path`` when it is inside the area (symlinks resolved), else None."""
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            return None
        return real if real == self.boundary or self.boundary in real.parents else None

    def resolve(self, path: str, base: Path | None = None) -> Path | None:
        """A path as Terraform reads it (relative to the root module folder, Terraform's working
        directory) when it stays inside the configuration folder, else None."""
        p = Path(path)
        if not p.is_absolute():
            p = (base or self.root) / p
        return self.contains(p)

    def read_text(self, path: str) -> str | None:
        """The text of a file inside the area; None when outside (the caller warns)."""
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8")

    def read_bytes(self, path: str) -> bytes | None:
        """The bytes of a file inside the area; None when outside (the caller warns)."""
        real = self.resolve(path)
        if real is None:
            return None
        if not real.is_file():
            raise FileNotFoundError(f"no file {path!r}")
        if real.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"file {path!r} is over {MAX_FILE_BYTES // (1024 * 1024)} MB; a configuration "
                             "file that large is not read", file=str(path))
        return real.read_bytes()


def repository_boundary(folder: Path) -> Path:
    """The nearest folder at or above ``folder`` holding ``.git`` (a repository root), else ``folder``."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def read_modules_json(root: Path) -> dict[str, Installed]:
    """Module key (``a.b`` for ``module.a.module.b``) -> installed module, as `terraform init` recorded."""
    path = root / ".terraform" / "modules" / "modules.json"
    from generator.errors import InputError
    from generator.safeload import load_json

    try:
        data = load_json(path)
        modules = data.get("Modules", [])
        return {m["Key"]: Installed(m["Key"], str(m.get("Source") or ""), str(m["Dir"]))
                for m in modules if isinstance(m, dict) and m.get("Key") and isinstance(m.get("Dir"), str)}
    except (InputError, OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def same_source(recorded: str, written: str) -> bool:
    """Whether the source `terraform init` recorded is the one the configuration names now (registry
    sources are recorded with their host; Terraform asks for a new init when they differ)."""
    def norm(s: str) -> str:
        s = s.strip()
        return s[len(_REGISTRY_HOST):] if s.lower().startswith(_REGISTRY_HOST) else s

    return not recorded or norm(recorded).lower() == norm(written).lower()


def module_key(parent_address: str, name: str) -> str:
    """The modules.json key of a call: the module names along the path, without instance keys."""
    return ".".join([m.group(1) for m in re.finditer(r"module\.([A-Za-z0-9_-]+)", parent_address)] + [name])


def is_local(source: object) -> bool:
    """Terraform's local paths start with ./ or ../ (anything else is a registry, git, ... address)."""
    return isinstance(source, str) and source.startswith(("./", "../", ".\\", "..\\"))
