"""`.clausegate.yaml`: found upward within the repository, or --config; the command line wins; `config show`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.config import find_config
from tests.check.conftest import EXAMPLES, run_check

PLAN = EXAMPLES / "plan-nested-modules" / "plan.json"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    shutil.copy(PLAN, tmp_path / "plan.json")
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_found_upward_and_not_beyond_the_repository(repo: Path) -> None:
    sub = repo / "infra" / "ai"
    sub.mkdir(parents=True)
    assert find_config(sub) is None
    cfg = write(repo / ".clausegate.yaml", "failOn: [deny]\n")
    assert find_config(sub) == cfg
    inner = repo / "nested"
    (inner / ".git").mkdir(parents=True)
    assert find_config(inner) is None  # another repository: stops at its root


def test_settings_apply_and_the_command_line_wins(repo: Path) -> None:
    write(repo / ".clausegate.yaml", "paths: [plan.json]\nsubscriptionTags: {sector: police, jurisdiction: US}\n"
                                     "formats: [json]\n")
    result = run_check([], cwd=repo)
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["summary"]["failing"] == 2
    # the command line overrides a tag and the format
    result = run_check(["--subscription-tag", "sector=none", "-o", "text"], cwd=repo)
    assert result.exit_code == 0 and "evaluation(s)" in result.stdout
    assert run_check(["--fail-on", "none"], cwd=repo).exit_code == 0


def test_soft_fail_and_outputs_from_settings(repo: Path) -> None:
    write(repo / "ci" / "clausegate.yaml", "paths: [../plan.json]\nsubscriptionTags: {sector: police}\n"
                                           "formats: [sarif, junit]\noutputDir: ../reports\nfailOn: [none]\n")
    result = run_check(["--config", "ci/clausegate.yaml"], cwd=repo)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (repo / "reports").iterdir()) == ["clausegate.sarif", "clausegate.xml"]
    assert "evaluation(s)" in result.stderr


@pytest.mark.parametrize("text, where, what", [
    ("paths: [plan.json]\nfailon: [deny]\n", ":2", "unknown setting 'failon'"),
    ("paths: [plan.json\n", ":2", "YAML syntax error"),
    ("formats: [pdf]\n", ":1", "pdf"),
])
def test_bad_settings_file_is_exit_2_with_file_and_line(repo: Path, text: str, where: str, what: str) -> None:
    write(repo / ".clausegate.yaml", text)
    result = run_check(["plan.json"], cwd=repo)
    assert result.exit_code == 2
    assert f".clausegate.yaml{where}" in result.output and what in result.output
    assert "Traceback" not in result.output


def test_config_show_names_each_origin(repo: Path) -> None:
    write(repo / ".clausegate.yaml", "paths: [plan.json]\nfailOn: [deny, audit]\n")
    import os

    old = os.getcwd()
    os.chdir(repo)
    try:
        r = CliRunner().invoke(cli, ["config", "show", "--format", "json"], catch_exceptions=False)
    finally:
        os.chdir(old)
    rows = {row["setting"]: row for row in json.loads(r.stdout)["settings"]}
    assert rows["failOn"]["value"] == ["deny", "audit"] and rows["failOn"]["origin"] == ".clausegate.yaml:2"
    assert rows["paths"]["origin"] == ".clausegate.yaml:1"
    assert rows["formats"]["origin"] == "default"


def test_config_schema_is_shipped() -> None:
    from generator.report import load_schema

    schema = load_schema("config")
    assert "failOn" in schema["properties"] and schema["additionalProperties"] is False
