"""Installable where pipelines run: the GitHub Action, CI examples, pre-commit hook, Dockerfile, the shim."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


def _yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text("utf-8"))


def test_github_workflow_examples_validate_against_the_workflow_schema() -> None:
    schema = json.loads((DATA / "github-workflow.schema.json").read_text("utf-8"))
    workflows = [REPO / "examples" / "ci" / "github-actions.yml", *sorted((REPO / ".github" / "workflows").glob("*.yml"))]
    assert len(workflows) >= 2
    for wf in workflows:
        data = _yaml(wf)
        # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on"
        if isinstance(data, dict) and True in data:
            data["on"] = data.pop(True)
        jsonschema.Draft7Validator(schema).validate(data)


def test_the_ci_example_uses_the_action_of_this_repository() -> None:
    data = _yaml(REPO / "examples" / "ci" / "github-actions.yml")
    steps = data["jobs"]["check"]["steps"]  # type: ignore[index]
    uses = [s["uses"] for s in steps if "uses" in s and "clausegate" in s["uses"]]
    assert uses and all(re.fullmatch(r"clausegate/clausegate@[\w.-]+", u) for u in uses)
    action = _yaml(REPO / "action.yml")
    step = next(s for s in steps if s.get("uses", "").startswith("clausegate/"))
    assert set(step["with"]) <= set(action["inputs"])  # type: ignore[index]
    text = (REPO / "examples" / "ci" / "github-actions.yml").read_text("utf-8")
    assert "pip install clausegate" not in text and "--output " not in text


def test_action_is_composite_and_installs_from_its_own_checkout() -> None:
    action = _yaml(REPO / "action.yml")
    assert action["runs"]["using"] == "composite"  # type: ignore[index]
    steps = action["runs"]["steps"]  # type: ignore[index]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert "$ACTION_PATH" in install["run"] and install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert any("upload-sarif" in s.get("uses", "") for s in steps)
    check = next(s for s in steps if s.get("id") == "check")
    assert "clausegate check" in check["run"] and "--output-dir" in check["run"]
    # inputs reach the shell through the environment, never pasted into the script
    assert "${{ inputs." not in check["run"]


def test_azure_devops_files_are_yaml_and_install_what_exists() -> None:
    for path in (REPO / "examples" / "ci").rglob("*.yml"):
        text = path.read_text("utf-8")
        _yaml(path)
        assert "pip install clausegate" not in text and "--output " not in text, path


def test_pre_commit_hook_installs_from_git_and_pins_no_missing_tag() -> None:
    hooks = _yaml(REPO / ".pre-commit-hooks.yaml")
    assert hooks[0]["language"] == "python" and hooks[0]["entry"] == "clausegate check"  # type: ignore[index]
    assert "rev: v0.1.0" not in (REPO / ".pre-commit-hooks.yaml").read_text("utf-8")


def test_dockerfile_is_slim_non_root_and_builds_the_parser_cache() -> None:
    text = (REPO / "Dockerfile").read_text("utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert 'ENTRYPOINT ["clausegate"]' in text
    assert "p.parser()" in text


def test_python_m_clausegate_works() -> None:
    out = subprocess.run([sys.executable, "-m", "clausegate", "--version"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0 and out.stdout.startswith("clausegate, version")


def test_the_wheel_includes_the_shim() -> None:
    text = (REPO / "pyproject.toml").read_text("utf-8")
    assert 'packages = ["generator", "clausegate"]' in text


def test_hcl_parser_cache_lives_in_the_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hcl2.parser as hp

    from generator.check import use_parser_cache

    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(hp, "PARSER_FILE", tmp_path / "site-packages-hcl2" / ".lark_cache.bin")
    target = use_parser_cache()
    assert target is not None and target.parent == tmp_path / "cache"
    assert hp.PARSER_FILE == target and target.name.startswith("lark-hcl2-")
    # an existing cache next to hcl2 (built at install or image build) is kept
    site = tmp_path / "site.bin"
    site.write_bytes(b"x")
    monkeypatch.setattr(hp, "PARSER_FILE", site)
    assert use_parser_cache() == site
