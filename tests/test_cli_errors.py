"""Root-level error handling: bad alias files name file and pointer; a closed pipe is not a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

REPO = Path(__file__).resolve().parent.parent
POLICIES = REPO / "modules" / "aoai-law-enforcement-definitions" / "policies"
RESOURCE = {
    "id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/deployments/d",
    "type": "Microsoft.CognitiveServices/accounts/deployments",
    "name": "a/d",
    "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}},
}


def _eval_with_aliases(tmp_path: Path, table: object) -> tuple[int, str]:
    aliases = tmp_path / "aliases.json"
    aliases.write_text(json.dumps(table))
    resource = tmp_path / "r.json"
    resource.write_text(json.dumps(RESOURCE))
    result = CliRunner().invoke(
        cli, ["eval", "--definition", str(POLICIES), "--resource", str(resource), "--aliases", str(aliases)]
    )
    return result.exit_code, result.output


def test_alias_file_that_is_not_an_object_names_file_and_pointer(tmp_path: Path) -> None:
    code, output = _eval_with_aliases(tmp_path, [])
    assert code == 2
    assert "aliases.json at /: an alias table must be a JSON object" in output


def test_alias_file_with_a_bad_type_entry_names_its_pointer(tmp_path: Path) -> None:
    code, output = _eval_with_aliases(tmp_path, {"types": {"Microsoft.X/y": 5}})
    assert code == 2
    assert "at /types/Microsoft.X~1y" in output
    assert "Traceback" not in output


def test_closed_stdout_pipe_is_quiet() -> None:
    # The reader is gone before clausegate writes (`clausegate models | true`): every write fails
    # with EPIPE, which must end the run quietly instead of as an "internal error".
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "generator", "models", "--format", "json"],
            stdout=write_end, stderr=subprocess.PIPE, timeout=60, check=False,
        )
    finally:
        os.close(write_end)
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 3  # output was cut short: not a clean run, not a crash either


@pytest.mark.parametrize("command", ["check", "eval"])
def test_an_empty_policy_folder_is_bad_input(tmp_path: Path, command: str) -> None:
    # A wrong --policy/--definition path in a pipeline must not pass as "nothing denied".
    empty = tmp_path / "policies"
    empty.mkdir()
    resource = tmp_path / "r.json"
    resource.write_text(json.dumps(RESOURCE))
    args = (["check", str(resource), "--policy", str(empty)] if command == "check"
            else ["eval", "--definition", str(empty), "--resource", str(resource)])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "no policy definition or set found under" in result.output
