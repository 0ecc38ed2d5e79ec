"""A third-party pack installed as its own distribution is picked up with no change to clausegate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from plugin_helpers import PLUGIN_PACK, SHIPPED, make_venv, modules_after, pip_install_no_network, run_clausegate

PACK = "restricted-local-auth"
DIST = "clausegate-pack-local-auth"


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding clausegate (from this environment) plus examples/plugin-pack, pip-installed offline."""
    import subprocess

    root = tmp_path_factory.mktemp("plugin-venv")
    python = make_venv(root / "venv")
    # --no-build-isolation (no index, no network) needs the build backend in the venv already.
    probe = subprocess.run([str(python), "-c", "import hatchling"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("hatchling (the example's build backend) is not importable; install the test extra")
    project = root / "plugin-pack"
    shutil.copytree(PLUGIN_PACK, project)  # build from a copy: the example folder stays untouched
    result = pip_install_no_network(python, project)
    assert result.returncode == 0, result.stdout + result.stderr
    return python


def test_plugins_lists_the_pack_with_its_distribution(plugin_venv: Path, tmp_path: Path) -> None:
    result = run_clausegate(["plugins", "--format", "json"], python=str(plugin_venv), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {(r["kind"], r["name"]): r for r in json.loads(result.stdout)["plugins"]}
    assert rows[("pack", PACK)]["distribution"] == DIST
    assert rows[("pack", PACK)]["status"] == "ok"
    assert rows[("pack", SHIPPED)]["distribution"] == "clausegate"
    assert {n for k, n in rows if k == "target"} >= {"policy-json", "terraform", "arm", "epac"}


def test_clauses_picks_up_the_installed_pack(plugin_venv: Path, tmp_path: Path) -> None:
    result = run_clausegate(["clauses", "--format", "json"], python=str(plugin_venv), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["clauses"]
    mine = [r for r in rows if r["pack"] == PACK]
    assert [r["clauseId"] for r in mine] == ["no-local-auth"]
    assert mine[0]["policyDefinitionName"] == "restricted-local-auth-no-local-auth"
    assert any(r["pack"] == SHIPPED for r in rows)  # the built-in pack still works next to it


def test_generate_renders_the_installed_pack_with_every_target(plugin_venv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["generate", "--pack", PACK, "--out", str(out)]
    for target in ("policy-json", "terraform", "arm", "epac"):
        args += ["--target", target]
    result = run_clausegate(args, python=str(plugin_venv), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    policies = out / "modules" / "restricted-local-auth-definitions" / "policies"
    definition = json.loads((policies / "restricted-local-auth-no-local-auth.json").read_text("utf-8"))
    assert definition["properties"]["metadata"]["clausegate"]["pack"] == PACK
    assert (out / "arm" / "restricted-local-auth.json").is_file()
    assert (out / "epac" / "Definitions" / "policySetDefinitions" / "restricted-local-auth.json").is_file()
    check = run_clausegate(args + ["--check"], python=str(plugin_venv), cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    # The pack's examples became policy-test cases; the offline engine agrees with every one.
    tested = run_clausegate(["test", str(policies)], python=str(plugin_venv), cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_help_and_import_load_no_plugin_even_when_installed(plugin_venv: Path) -> None:
    for code in ("import generator",
                 "from generator.cli import main\nimport sys\nsys.argv=['clausegate','--help']\n"
                 "try:\n    main()\nexcept SystemExit:\n    pass"):
        mods = modules_after(code, python=str(plugin_venv))
        assert "clausegate_pack_local_auth" not in mods
        assert not any(m.startswith(("azure", "generator.targets", "generator.packs", "generator.pack.")) for m in mods)


def test_installing_a_pack_keeps_this_repositorys_generate_check_clean(plugin_venv: Path) -> None:
    """Issue 18: without --pack, generate renders the packs the output root holds, not every installed one."""
    from plugin_helpers import REPO

    for targets in ([], ["--target", "arm", "--target", "epac"]):
        check = run_clausegate(["generate", "--check", *targets], python=str(plugin_venv), cwd=REPO)
        assert check.returncode == 0, check.stdout[-3000:] + check.stderr
        assert "up to date" in check.stdout
        assert f"output root: {REPO}" in check.stderr
    listed = run_clausegate(["plugins", "--format", "json"], python=str(plugin_venv), cwd=REPO)
    rows = {r["name"]: r for r in json.loads(listed.stdout)["plugins"] if r["kind"] == "pack"}
    assert rows[SHIPPED]["inOutputRoot"] is True and rows[PACK]["inOutputRoot"] is False
    assert rows[SHIPPED]["default"] is True and rows[PACK]["default"] is False


def test_a_root_holding_the_plugin_pack_checks_that_pack_and_all_means_every_pack(plugin_venv: Path,
                                                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    made = run_clausegate(["generate", "--pack", PACK, "--out", str(out)], python=str(plugin_venv), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    # No --pack: the pack this root holds (not the shipped one, not every installed one).
    check = run_clausegate(["generate", "--out", str(out), "--check"], python=str(plugin_venv), cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = run_clausegate(["plugins", "--format", "json", "--out", str(out)], python=str(plugin_venv), cwd=tmp_path)
    rows = {r["name"]: r for r in json.loads(listed.stdout)["plugins"] if r["kind"] == "pack"}
    assert rows[PACK]["inOutputRoot"] is True and rows[SHIPPED]["inOutputRoot"] is False
    text = run_clausegate(["plugins", "--out", str(out)], python=str(plugin_venv), cwd=tmp_path)
    assert any(PACK in line and "(in output root)" in line for line in text.stdout.splitlines())
    # --pack all: every registered pack; --check names the pack of each out-of-date file.
    every = run_clausegate(["generate", "--pack", "all", "--out", str(out), "--check"], python=str(plugin_venv),
                           cwd=tmp_path)
    assert every.returncode == 1
    assert "modules/aoai-law-enforcement-definitions/main.tf (missing; pack microsoft-aoai-law-enforcement, " \
           "target terraform)" in every.stderr
    assert f"(pack {SHIPPED})" in every.stderr.splitlines()[-1]
    # A hand edit in the plugin pack's files is reported under that pack.
    main_tf = out / "modules" / "restricted-local-auth-definitions" / "main.tf"
    main_tf.write_text(main_tf.read_text("utf-8") + "# edit\n", "utf-8")
    drift = run_clausegate(["generate", "--out", str(out), "--check"], python=str(plugin_venv), cwd=tmp_path)
    assert drift.returncode == 1
    assert f"out of date: modules/restricted-local-auth-definitions/main.tf (differs; pack {PACK}, target terraform)" \
        in drift.stderr
