"""Registries for clause packs and output targets, filled from entry points on first use.

Built-in packs and targets are declared as entry points of the ``clausegate`` distribution itself
(pyproject.toml), so they load exactly as a third-party plugin does. Nothing here is imported or
loaded when ``import generator`` or ``clausegate --help`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from generator.errors import InputError

PACK_GROUP = "clausegate.packs"
TARGET_GROUP = "clausegate.targets"


class DuplicatePluginError(InputError):
    """Two plugins claim the same name."""


class PluginLoadError(InputError):
    """A plugin failed to import or returned something unusable."""


@dataclass
class PluginEntry:
    """One registered name: where it comes from and how to load it (lazily)."""

    name: str
    distribution: str
    loader: Callable[[], Any]
    value: Any = None
    loaded: bool = False
    error: str | None = None

    def load(self) -> Any:
        """Import the plugin once; raise PluginLoadError naming its distribution on failure."""
        if not self.loaded:
            try:
                self.value = self.loader()
            except Exception as exc:  # a broken plugin must not take the others down
                self.error = f"{type(exc).__name__}: {exc}"
                raise PluginLoadError(
                    f"plugin {self.name!r} from distribution {self.distribution!r} failed to load: {self.error}"
                ) from None
            self.loaded = True
        return self.value


@dataclass
class Registry:
    """A name-keyed registry filled from one entry-point group, plus explicit registrations."""

    group: str
    kind: str
    entries: dict[str, PluginEntry] = field(default_factory=dict)
    _discovered: bool = False

    def register(self, name: str, loader: Callable[[], Any], distribution: str = "<runtime>") -> None:
        """Register ``name``; a second registration of the same name by another source is an error."""
        existing = self.entries.get(name)
        if existing is not None and existing.distribution != distribution:
            raise DuplicatePluginError(
                f"{self.kind} {name!r} is provided by both {existing.distribution!r} and {distribution!r}; "
                f"uninstall one of them"
            )
        self.entries[name] = PluginEntry(name=name, distribution=distribution, loader=loader)

    def discover(self) -> None:
        """Read the entry-point group once (cheap: nothing is imported until an entry is loaded)."""
        if self._discovered:
            return
        self._discovered = True
        from importlib.metadata import entry_points

        for ep in sorted(entry_points(group=self.group), key=lambda e: (e.name, e.value)):
            dist = ep.dist.name if ep.dist is not None else "<unknown>"
            if ep.name in self.entries and self.entries[ep.name].distribution == dist:
                continue  # the same distribution seen twice (e.g. editable + site-packages metadata)
            self.register(ep.name, ep.load, dist)

    def names(self) -> list[str]:
        """Return every registered name, sorted."""
        self.discover()
        return sorted(self.entries)

    def entry(self, name: str) -> PluginEntry:
        """Return the entry for ``name`` or raise InputError listing the known names."""
        self.discover()
        try:
            return self.entries[name]
        except KeyError:
            known = ", ".join(sorted(self.entries)) or "none"
            raise InputError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def load(self, name: str) -> Any:
        """Load and return the plugin object registered as ``name``."""
        return self.entry(name).load()


packs = Registry(PACK_GROUP, "clause pack")
targets = Registry(TARGET_GROUP, "target")
