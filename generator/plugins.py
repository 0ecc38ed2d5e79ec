"""Registries for clause packs and output targets, filled from entry points on first use.

Built-in packs and targets are declared as entry points of the ``clausegate`` distribution itself
(pyproject.toml), so they load exactly as a third-party plugin does. Nothing here is imported or
loaded when ``import generator`` or ``clausegate --help`` runs.

Failure rules (issue 8): a plugin that fails to import, or a pack whose YAML is invalid, is
reported with its distribution name and does not stop the other plugins; two distributions that
claim one name are reported naming both. Either is an error (exit 2) only when that name is used,
which is why discovery records problems on the entry instead of raising.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from generator.errors import ClausegateError, InputError

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
    kind: str = "plugin"
    finish: Callable[[Any], Any] | None = None
    value: Any = None
    loaded: bool = False
    error: str | None = None
    conflicts: list[str] = field(default_factory=list)
    entry_point: str | None = None

    @property
    def status(self) -> str:
        """``conflict``, ``broken``, ``ok`` (loaded) or ``not loaded``."""
        if self.conflicts:
            return "conflict"
        if self.error is not None:
            return "broken"
        return "ok" if self.loaded else "not loaded"

    def duplicate_message(self) -> str:
        """The error text for a name claimed by several distributions."""
        dists = " and ".join(repr(d) for d in [self.distribution, *self.conflicts])
        return f"{self.kind} {self.name!r} is provided by both {dists}; uninstall one of them"

    def load(self) -> Any:
        """Import the plugin once; raise PluginLoadError (or DuplicatePluginError) naming its distribution."""
        if self.conflicts:
            raise DuplicatePluginError(self.duplicate_message())
        if self.error is not None:  # a failure is remembered: the same error every time it is asked for
            raise PluginLoadError(self._error_message())
        if not self.loaded:
            try:
                value = self.loader()
                if self.finish is not None:
                    value = self.finish(value)
            except ClausegateError as exc:  # e.g. a pack whose YAML is invalid: keep file and line
                self.error = str(exc)
                raise PluginLoadError(self._error_message()) from None
            except Exception as exc:  # a broken plugin must not take the others down
                self.error = f"{type(exc).__name__}: {exc}"
                raise PluginLoadError(self._error_message()) from None
            self.value = value
            self.loaded = True
        return self.value

    def _error_message(self) -> str:
        return f"{self.kind} {self.name!r} from distribution {self.distribution!r} failed to load: {self.error}"


@dataclass
class Registry:
    """A name-keyed registry filled from one entry-point group, plus explicit registrations."""

    group: str
    kind: str
    finish: Callable[[Any], Any] | None = None
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
        self.entries[name] = PluginEntry(name=name, distribution=distribution, loader=loader,
                                         kind=self.kind, finish=self.finish)

    def discover(self) -> None:
        """Read the entry-point group once (cheap: nothing is imported until an entry is loaded)."""
        if self._discovered:
            return
        self._discovered = True
        from importlib.metadata import entry_points

        for ep in sorted(entry_points(group=self.group), key=lambda e: (e.name, e.value)):
            dist = ep.dist.name if ep.dist is not None else "<unknown>"
            existing = self.entries.get(ep.name)
            if existing is not None:
                if existing.distribution != dist and dist not in existing.conflicts:
                    # Recorded, not raised: the other names keep working; using this one fails.
                    existing.conflicts.append(dist)
                continue  # the same distribution seen twice (e.g. editable + site-packages metadata)
            self.entries[ep.name] = PluginEntry(name=ep.name, distribution=dist, loader=ep.load,
                                                kind=self.kind, finish=self.finish, entry_point=ep.value)

    def names(self) -> list[str]:
        """Return every registered name, sorted (broken and conflicting ones included)."""
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

    def usable_names(self, warn: Callable[[str], None] | None = None) -> list[str]:
        """Names whose plugin loads; each one that does not is passed to ``warn`` and skipped.

        For runs over "every registered name": a broken or ambiguous plugin the user did not ask
        for is reported but does not fail the run (it does when named explicitly).
        """
        out = []
        for name in self.names():
            try:
                self.entries[name].load()
            except InputError as exc:
                if warn is not None:
                    warn(f"skipped: {exc}")
                continue
            out.append(name)
        return out


def _finish_pack(obj: Any) -> Any:
    """Turn what a ``clausegate.packs`` entry point names into a validated Pack."""
    from generator.pack.model import Pack

    value = obj() if callable(obj) and not isinstance(obj, Pack) else obj
    if isinstance(value, (str, Path)):
        from generator.pack.loader import load_pack_file

        value = load_pack_file(value)
    if not isinstance(value, Pack):
        raise TypeError(f"the entry point returned {type(value).__name__}, not a Pack")
    return value


def _finish_target(obj: Any) -> Any:
    """Instantiate a target class and check it speaks a render contract this clausegate knows."""
    from generator.targets.base import RENDER_API_VERSION

    target = obj() if isinstance(obj, type) else obj
    if not callable(getattr(target, "render", None)):
        raise TypeError("it has no render(pack, options) method")
    api = getattr(target, "render_api", 1)
    if api != RENDER_API_VERSION:
        raise TypeError(f"it implements render contract {api!r}; this clausegate speaks {RENDER_API_VERSION}")
    return target


def load_packaged_pack(package: str, resource: str = "pack.yaml") -> Any:
    """Load a pack YAML shipped as package data of ``package`` (for third-party pack plugins)."""
    from importlib import resources

    from generator.pack.loader import parse_pack

    ref = resources.files(package) / resource
    return parse_pack(ref.read_text("utf-8"), f"{package.replace('.', '/')}/{resource}")


packs = Registry(PACK_GROUP, "clause pack", finish=_finish_pack)
targets = Registry(TARGET_GROUP, "target", finish=_finish_target)
