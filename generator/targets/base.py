"""What every output target implements: render a pack to files, never write them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from generator.pack.catalog import Catalog
    from generator.pack.model import Pack

# Version of the contract between clausegate and its targets: ``render(pack, options) -> {path: text}``
# with the Pack and RenderOptions fields of this version. A target may declare ``render_api``; one
# declaring another version is refused at load time (docs/plugins.md, "Versioning").
RENDER_API_VERSION = 1

# Targets `clausegate generate` runs when no --target is given (issue 8); arm and epac are opt-in.
DEFAULT_TARGETS = ("policy-json", "terraform")


@dataclass(frozen=True)
class RenderOptions:
    """Options shared by all targets; ``catalog`` None means the packaged model catalog."""

    catalog: Catalog | None = None

    def get_catalog(self) -> Catalog:
        """Return the catalog to use, loading the packaged one on demand."""
        if self.catalog is not None:
            return self.catalog
        from generator.pack.catalog import load_catalog

        return load_catalog()


@runtime_checkable
class Target(Protocol):
    """An output target, registered under the ``clausegate.targets`` entry-point group."""

    name: str
    description: str

    def render(self, pack: Pack, options: RenderOptions) -> dict[str, str]:
        """Return ``{posix relative path: text}``; paths are relative to the output root."""
        ...


def definitions_module(pack: Pack) -> str:
    """Folder (relative to the output root) of the module that creates definitions and the set."""
    return f"modules/{pack.slug}-definitions"


def assignment_module(pack: Pack) -> str:
    """Folder of the module that assigns the pack's policy set."""
    return f"modules/{pack.slug}-assignment"
