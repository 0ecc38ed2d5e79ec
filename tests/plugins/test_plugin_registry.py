"""The registry's rules in-process: explicit registrations, remembered failures, the render contract."""

from __future__ import annotations

import pytest
from plugin_helpers import EXAMPLE_PACK

from generator import plugins
from generator.pack.model import Pack
from generator.plugins import DuplicatePluginError, PluginLoadError, Registry
from generator.targets.base import RENDER_API_VERSION


def test_second_distribution_for_a_name_is_refused_and_the_first_keeps_working() -> None:
    reg = Registry("clausegate.tests.none", "thing")
    reg.register("a", lambda: 1, "dist-one")
    with pytest.raises(DuplicatePluginError, match="'a' is provided by both 'dist-one' and 'dist-two'"):
        reg.register("a", lambda: 2, "dist-two")
    assert reg.load("a") == 1
    reg.register("a", lambda: 3, "dist-one")  # the same distribution again replaces, no conflict
    assert reg.load("a") == 3


def test_a_failing_plugin_is_imported_once_and_reported_with_its_distribution() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ImportError("No module named 'gone'")

    reg = Registry("clausegate.tests.none", "thing")
    reg.register("bad", broken, "bad-dist")
    reg.register("good", lambda: "ok", "good-dist")
    for _ in range(2):
        with pytest.raises(PluginLoadError, match="thing 'bad' from distribution 'bad-dist' failed to load: "
                                                  "ImportError: No module named 'gone'"):
            reg.load("bad")
    assert len(calls) == 1
    assert reg.entries["bad"].status == "broken"
    warnings: list[str] = []
    assert reg.usable_names(warnings.append) == ["good"]
    assert warnings == ["skipped: thing 'bad' from distribution 'bad-dist' failed to load: ImportError: No module named 'gone'"]
    assert PluginLoadError("x").exit_code == 2


def test_unknown_name_lists_the_known_ones() -> None:
    reg = Registry("clausegate.tests.none", "thing")
    reg.register("a", lambda: 1, "d")
    with pytest.raises(plugins.InputError, match=r"unknown thing 'b' \(known: a\)"):
        reg.load("b")


def test_target_declaring_another_render_contract_is_refused() -> None:
    class Future:
        name = "future"
        description = "speaks a newer contract"
        render_api = RENDER_API_VERSION + 1

        def render(self, pack: object, options: object) -> dict[str, str]:
            return {}

    reg = Registry("clausegate.tests.none", "target", finish=plugins._finish_target)
    reg.register("future", lambda: Future, "future-dist")
    with pytest.raises(PluginLoadError, match=f"implements render contract {RENDER_API_VERSION + 1}"):
        reg.load("future")
    reg.register("norender", lambda: object(), "odd-dist")
    with pytest.raises(PluginLoadError, match="from distribution 'odd-dist' failed to load: TypeError: it has no render"):
        reg.load("norender")


def test_pack_entry_point_may_return_a_pack_a_callable_or_a_path() -> None:
    reg = Registry("clausegate.tests.none", "clause pack", finish=plugins._finish_pack)
    reg.register("by-path", lambda: str(EXAMPLE_PACK), "d1")
    reg.register("by-callable", lambda: (lambda: str(EXAMPLE_PACK)), "d2")
    reg.register("not-a-pack", lambda: 42, "d3")
    assert isinstance(reg.load("by-path"), Pack)
    assert reg.load("by-callable").name == "restricted-data-network"
    with pytest.raises(PluginLoadError, match="'not-a-pack' from distribution 'd3' failed to load: TypeError: "
                                              "the entry point returned int, not a Pack"):
        reg.load("not-a-pack")
