"""Output targets: each renders a pack to ``{relative path: text}`` and never writes."""

from __future__ import annotations

from generator.targets.base import RenderOptions, Target, assignment_module, definitions_module

__all__ = ["RenderOptions", "Target", "assignment_module", "definitions_module", "load_target"]


def load_target(name: str) -> Target:
    """Instantiate the target registered as ``name`` (entry point ``clausegate.targets``)."""
    from generator import plugins

    obj = plugins.targets.load(name)
    target = obj() if isinstance(obj, type) else obj
    if not callable(getattr(target, "render", None)):
        from generator.plugins import PluginLoadError

        raise PluginLoadError(f"target {name!r} has no render(pack, options) method")
    return target  # type: ignore[no-any-return]
