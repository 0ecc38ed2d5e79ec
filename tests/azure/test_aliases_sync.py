"""clausegate aliases sync against the HTTPS stand-in, then the engine resolving a synced alias."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from armstub import ArmStub
from click.testing import CliRunner, Result

from generator.cli import cli

WIDGET_POLICY = {
    "name": "widgets-not-red",
    "properties": {
        "mode": "All",
        "policyRule": {
            "if": {"allOf": [
                {"field": "type", "equals": "Microsoft.Contoso/widgets"},
                {"field": "Microsoft.Contoso/widgets/colour", "equals": "red"},
            ]},
            "then": {"effect": "deny"},
        },
    },
}
WIDGET = {"id": "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Contoso/"
                "widgets/w1", "type": "Microsoft.Contoso/widgets", "name": "w1",
          "properties": {"appearance": {"colour": "red"}}}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def cache(azure_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder the engine and the sync both use."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(folder))
    return folder


def _evaluate(tmp_path: Path) -> object:
    from generator.context import Context
    from generator.engine.evaluator import Evaluator, load_policy_files

    policy = tmp_path / "widgets.json"
    policy.write_text(json.dumps(WIDGET_POLICY))
    [result] = Evaluator(load_policy_files([policy])).evaluate(WIDGET, Context.empty().resolve(WIDGET["id"]),
                                                                 address=WIDGET["id"])
    return result


def test_sync_then_the_engine_resolves_an_alias_the_shipped_table_lacks(arm_stub: ArmStub, cache: Path,
                                                                      tmp_path: Path) -> None:
    # Before: the alias is not shipped; the engine does not guess a path: undetermined, saying how to add it.
    before = _evaluate(tmp_path)
    assert before.result == "undetermined"  # type: ignore[attr-defined]
    assert "'Microsoft.Contoso/widgets/colour' is not in the alias table" in before.message  # type: ignore[attr-defined]
    assert "clausegate aliases sync" in before.message  # type: ignore[attr-defined]

    res = run("aliases", "sync")
    assert res.exit_code == 0, res.stderr
    table = json.loads((cache / "aliases.json").read_text())
    assert table["types"]["Microsoft.Contoso/widgets"]["Microsoft.Contoso/widgets/colour"] == \
        "properties.appearance.colour"
    assert "Microsoft.CognitiveServices" in table["namespaces"]
    assert "wrote " + str(cache / "aliases.json") in res.stdout

    after = _evaluate(tmp_path)
    assert after.result == "match" and after.effect == "deny"  # type: ignore[attr-defined]
    assert not after.warnings  # type: ignore[attr-defined]


def test_sync_follows_next_link_pages(arm_stub: ArmStub, cache: Path) -> None:
    arm_stub.page_size = 1  # one provider a page
    res = run("aliases", "sync")
    assert res.exit_code == 0, res.stderr
    pages = [r for r in arm_stub.arm_requests() if r.path == "/providers"]
    namespaces = json.loads((cache / "aliases.json").read_text())["namespaces"]
    assert len(pages) == len(namespaces) >= 3
    assert all("aliases" in (r.query.get("$expand") or "") for r in pages)
    assert f"with {len(pages)} request(s)" in res.stdout


def test_sync_one_namespace_keeps_the_others(arm_stub: ArmStub, cache: Path) -> None:
    assert run("aliases", "sync").exit_code == 0
    before = json.loads((cache / "aliases.json").read_text())
    arm_stub.state["providers"] = {"Microsoft.Contoso/widgets": {"Microsoft.Contoso/widgets/shape": "properties.form"}}
    arm_stub.clear_log()
    res = run("aliases", "sync", "Microsoft.Contoso")
    assert res.exit_code == 0, res.stderr
    assert [r.path for r in arm_stub.arm_requests()] == ["/providers/Microsoft.Contoso"]
    after = json.loads((cache / "aliases.json").read_text())
    assert after["types"]["Microsoft.Contoso/widgets"]["Microsoft.Contoso/widgets/shape"] == "properties.form"
    accounts = "Microsoft.CognitiveServices/accounts"
    assert after["types"][accounts] == before["types"][accounts]
    assert after["namespaces"] == before["namespaces"]


def test_unknown_namespace_is_bad_input(arm_stub: ArmStub, cache: Path) -> None:
    res = run("aliases", "sync", "Microsoft.Nope")
    assert res.exit_code == 2
    assert "Microsoft.Nope does not exist" in res.stderr
    assert not (cache / "aliases.json").exists()


def test_a_throttled_providers_request_is_retried(arm_stub: ArmStub, cache: Path) -> None:
    fault = arm_stub.inject("throttle", path=r"^/providers/Microsoft\.Contoso$", retry_after=0.1)
    res = run("aliases", "sync", "Microsoft.Contoso")
    assert res.exit_code == 0, res.stderr
    assert fault.fired == 1
    assert "with 2 request(s)" in res.stdout


def test_show_marks_synced_aliases(arm_stub: ArmStub, cache: Path) -> None:
    assert run("aliases", "show", "Microsoft.Contoso/widgets").exit_code == 2  # CONTRACTS: unknown type is bad input
    assert run("aliases", "sync", "Microsoft.Contoso").exit_code == 0
    res = run("aliases", "show", "microsoft.contoso/widgets", "--format", "json")
    rows = {r["alias"]: r for r in json.loads(res.stdout)}
    assert rows["Microsoft.Contoso/widgets/colour"] == {"alias": "Microsoft.Contoso/widgets/colour",
                                                         "path": "properties.appearance.colour", "origin": "synced"}
    shipped = json.loads(run("aliases", "show", "Microsoft.CognitiveServices/accounts/deployments",
                             "--format", "json").stdout)
    assert shipped and all(r["origin"] == "shipped" for r in shipped)
