"""Acceptance regressions for ``aliases sync|show`` and ``check --from-azure`` input handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from armstub import ArmStub
from click.testing import CliRunner, Result

from generator.cli import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def cache(azure_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(folder))
    return folder


@pytest.mark.parametrize("namespace", ["Microsoft.Contoso?x=1", "Microsoft.Contoso#", "Micro$oft", "../providers"])
def test_a_namespace_that_is_not_one_is_bad_input_and_sends_nothing(arm_stub: ArmStub, cache: Path,
                                                                   namespace: str) -> None:
    res = run("aliases", "sync", namespace)
    assert res.exit_code == 2 and "is not a resource provider namespace" in res.stderr
    assert arm_stub.requests == []
    assert not (cache / "aliases.json").exists()


def test_several_namespaces_sync_together(arm_stub: ArmStub, cache: Path) -> None:
    res = run("aliases", "sync", "Microsoft.Contoso", "Microsoft.CognitiveServices")
    assert res.exit_code == 0, res.stderr
    table = json.loads((cache / "aliases.json").read_text())
    assert table["namespaces"] == ["Microsoft.CognitiveServices", "Microsoft.Contoso"]
    assert "in 2 namespace(s) with 2 request(s)" in res.stdout


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_show_of_an_unknown_type_is_bad_input_not_a_finding(cache: Path, fmt: str) -> None:
    """CONTRACTS: exit 1 means a --fail-on finding; a type with no known alias is bad input (2)."""
    res = run("aliases", "show", "Microsoft.Nope/things", "--format", fmt)
    assert res.exit_code == 2
    assert "no aliases known for Microsoft.Nope/things" in res.stderr
    if fmt == "json":
        assert json.loads(res.stdout) == []


def test_check_from_azure_with_a_subscription_id_that_is_not_a_guid(arm_stub: ArmStub, azure_env: dict[str, str],
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"type": "Microsoft.CognitiveServices/accounts/deployments", "name": "a/x",
                                 "properties": {"model": {"name": "gpt-4o", "version": "1", "format": "OpenAI"}}}]))
    res = run("check", str(path), "--from-azure", "--subscription-id", "my-subscription",
              "--cache-dir", str(tmp_path / "c"))
    assert res.exit_code == 2
    assert "--subscription-id 'my-subscription' is not a subscription id" in res.stderr
    assert arm_stub.requests == []


def test_sync_to_another_cache_dir_says_the_engine_will_not_read_it(arm_stub: ArmStub, cache: Path,
                                                                   tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    res = run("aliases", "sync", "Microsoft.Contoso", "--cache-dir", str(other))
    assert res.exit_code == 0, res.stderr
    assert (other / "aliases.json").is_file() and not (cache / "aliases.json").exists()
    assert f"CLAUSEGATE_CACHE_DIR={other}" in res.stderr
    # Syncing into the folder the engine reads says nothing more.
    res = run("aliases", "sync", "Microsoft.Contoso")
    assert res.exit_code == 0 and "note:" not in res.stderr
