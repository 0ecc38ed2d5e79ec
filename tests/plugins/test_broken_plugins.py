"""Broken and conflicting plugins: reported with their distribution, the others keep working, exit 2
only when the user asks for the broken one. Built from throwaway dist-info folders on sys.path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plugin_helpers import SHIPPED, make_distribution, run_clausegate

BAD_YAML = """\
schemaVersion: 1
name: bad-yaml
slug: bad-yaml
version: 0.1.0
displayName: A pack with a schema violation
description: sources must not be empty
category: General
sources: []
parameters: {}
clauses: not-a-list
"""


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    make_distribution(site, "broken-import-dist", {
        "clausegate.packs": {"broken-import": "no_such_module_for_clausegate:pack"},
        "clausegate.targets": {"broken-target": "no_such_module_for_clausegate:Target"},
    })
    make_distribution(site, "bad-yaml-dist", {"clausegate.packs": {"bad-yaml": "bad_yaml_pack:pack"}}, {
        "bad_yaml_pack/__init__.py": """\
            def pack():
                from generator.plugins import load_packaged_pack
                return load_packaged_pack("bad_yaml_pack")
            """,
        "bad_yaml_pack/pack.yaml": BAD_YAML,
    })
    good_pack = """\
        def pack():
            from generator.pack import load_pack
            return load_pack(%r)
        """ % SHIPPED
    make_distribution(site, "dup-a", {"clausegate.packs": {"dup-name": "dup_a_pack:pack"}},
                      {"dup_a_pack/__init__.py": good_pack})
    make_distribution(site, "dup-b", {"clausegate.packs": {"dup-name": "dup_b_pack:pack"}},
                      {"dup_b_pack/__init__.py": good_pack})
    return site


def cg(site: Path, *args: str, cwd: Path) -> tuple[int, str, str]:
    result = run_clausegate(list(args), cwd=cwd, extra_path=[site])
    return result.returncode, result.stdout, result.stderr


def test_plugins_reports_each_problem_with_its_distribution(plugin_site: Path, tmp_path: Path) -> None:
    code, out, err = cg(plugin_site, "plugins", "--format", "json", cwd=tmp_path)
    assert code == 0, err
    rows = {(r["kind"], r["name"]): r for r in json.loads(out)["plugins"]}
    assert rows[("pack", "broken-import")]["status"] == "broken"
    assert rows[("pack", "broken-import")]["distribution"] == "broken-import-dist"
    assert "ModuleNotFoundError" in rows[("pack", "broken-import")]["detail"]
    assert rows[("target", "broken-target")]["status"] == "broken"
    assert rows[("pack", "bad-yaml")]["status"] == "broken"
    assert rows[("pack", "dup-name")]["status"] == "conflict"
    assert {rows[("pack", "dup-name")]["distribution"], *rows[("pack", "dup-name")]["conflictsWith"]} == {"dup-a", "dup-b"}
    assert rows[("pack", SHIPPED)]["status"] == "ok"
    assert "4 plugin(s) unusable" in err
    strict_code, _, _ = cg(plugin_site, "plugins", "--strict", cwd=tmp_path)
    assert strict_code == 2


def test_default_runs_skip_broken_plugins_and_keep_working(plugin_site: Path, tmp_path: Path) -> None:
    code, out, err = cg(plugin_site, "clauses", cwd=tmp_path)
    assert code == 0, err
    assert f"{SHIPPED} 1.0.0 / us-police" in out
    assert "clause pack 'broken-import' from distribution 'broken-import-dist' failed to load: ModuleNotFoundError" in err
    assert "clause pack 'bad-yaml' from distribution 'bad-yaml-dist' failed to load" in err
    assert "bad_yaml_pack/pack.yaml:8 at /sources: schema violation" in err  # file, line and pointer kept
    assert "'dup-a' and 'dup-b'" in err
    code, out, err = cg(plugin_site, "generate", "--pack", "all", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "out" / "modules" / "aoai-law-enforcement-definitions").is_dir()
    assert "skipped" in err


@pytest.mark.parametrize(("args", "expected"), [
    (["clauses", "--pack", "broken-import"],
     "clause pack 'broken-import' from distribution 'broken-import-dist' failed to load: ModuleNotFoundError"),
    (["clauses", "--pack", "bad-yaml"], "from distribution 'bad-yaml-dist' failed to load: bad_yaml_pack/pack.yaml:8"),
    (["generate", "--pack", SHIPPED, "--target", "broken-target"],
     "target 'broken-target' from distribution 'broken-import-dist' failed to load: ModuleNotFoundError"),
    (["clauses", "--pack", "dup-name"], "clause pack 'dup-name' is provided by both 'dup-a' and 'dup-b'"),
])
def test_asking_for_a_broken_plugin_exits_2_naming_its_distribution(
        plugin_site: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    if args[0] == "generate":
        args = [*args, "--out", str(tmp_path / "out")]
    code, _, err = cg(plugin_site, *args, cwd=tmp_path)
    assert code == 2, err
    assert expected in err
    assert "internal error" not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing written
