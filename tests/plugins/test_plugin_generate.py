"""`generate --target`: defaults, arm/epac written under ROOT/arm and ROOT/epac through the manifest,
covered by `generate --check`; start-up imports no plugin and no Azure SDK module."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from plugin_helpers import EXAMPLE_PACK, SHIPPED, modules_after, read_tree

from generator.cli import cli
from generator.output import MANIFEST_NAME


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def extra_targets(out: Path, *extra: str) -> tuple[int, str]:
    return run("generate", "--pack", SHIPPED, "--pack", str(EXAMPLE_PACK), "--target", "arm", "--target", "epac",
               "--out", str(out), *extra)


def test_default_targets_are_policy_json_and_terraform(tmp_path: Path) -> None:
    code, output = run("generate", "--pack", SHIPPED, "--out", str(tmp_path))
    assert code == 0, output
    tops = {p.split("/")[0] for p in read_tree(tmp_path)}
    assert tops == {"modules"}
    targets = {e["target"] for e in json.loads((tmp_path / MANIFEST_NAME).read_text("utf-8"))["files"].values()}
    assert targets == {"policy-json", "terraform"}


def test_extra_targets_write_one_folder_each_and_pass_check(tmp_path: Path) -> None:
    code, output = extra_targets(tmp_path)
    assert code == 0, output
    tree = read_tree(tmp_path)
    assert {p.split("/")[0] for p in tree} == {"arm", "epac"}
    assert "arm/aoai-law-enforcement.json" in tree and "arm/restricted-data-net.json" in tree
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text("utf-8"))["files"]
    assert set(manifest) == set(tree)
    assert {(e["target"], p.split("/")[0]) for p, e in manifest.items()} == {("arm", "arm"), ("epac", "epac")}
    code, output = extra_targets(tmp_path, "--check")
    assert code == 0, output
    # A second run is a no-op: byte-identical output.
    code, output = extra_targets(tmp_path)
    assert code == 0 and "0 created, 0 updated, 0 deleted" in output
    assert read_tree(tmp_path) == tree


def test_check_catches_a_hand_edit_in_each_target(tmp_path: Path) -> None:
    assert extra_targets(tmp_path)[0] == 0
    for rel in ("arm/aoai-law-enforcement.json", "epac/Definitions/policyAssignments/aoai-law-enforcement.jsonc"):
        path = tmp_path / rel
        original = path.read_text("utf-8")
        path.write_text(original.replace("\"Default\"", "\"DoNotEnforce\"", 1), "utf-8")
        code, output = extra_targets(tmp_path, "--check")
        assert code == 1
        assert f"--- a/{rel}" in output and "+" in output
        code, output = extra_targets(tmp_path)
        assert code == 2 and "edited by hand" in output  # the manifest protects the edit
        path.write_text(original, "utf-8")
    assert extra_targets(tmp_path, "--check")[0] == 0


def test_default_run_leaves_extra_target_output_alone(tmp_path: Path) -> None:
    assert extra_targets(tmp_path)[0] == 0
    before = read_tree(tmp_path)
    code, output = run("generate", "--pack", SHIPPED, "--pack", str(EXAMPLE_PACK), "--out", str(tmp_path))
    assert code == 0, output
    after = read_tree(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("modules/")} == before


def test_unknown_target_is_exit_2(tmp_path: Path) -> None:
    code, output = run("generate", "--pack", SHIPPED, "--target", "no-such-target", "--out", str(tmp_path))
    assert code == 2
    assert "unknown target 'no-such-target'" in output and "arm" in output


def test_help_and_import_load_no_plugin_and_no_azure_module() -> None:
    help_code = ("from generator.cli import main\nimport sys\nsys.argv=['clausegate','--help']\n"
                 "try:\n    main()\nexcept SystemExit:\n    pass")
    for code in ("import generator", help_code, "import generator.plugins"):
        mods = modules_after(code)
        assert not any(m.startswith("azure") for m in mods), code
        assert not any(m.startswith(("generator.targets", "generator.packs", "generator.pack.")) for m in mods), code
        assert "generator.cli.plugins_cmd" not in mods
        if code != help_code:  # (click itself may import importlib.metadata for --version)
            assert "importlib.metadata" not in mods, "entry points must not be read at import time"
