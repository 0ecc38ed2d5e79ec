"""A configuration whose subscription is not known (no subscription_id, no --subscription-id) checked with
a context naming several subscriptions: a tag one of them carries is unknown for it, never absent, and
the placeholder id is said. Before, a gpt-4o deployment there exited 0 (the police tag read as absent)."""

from __future__ import annotations

from pathlib import Path

from tests.check.conftest import report_of, run_check

POLICE = "11111111-2222-3333-4444-555555555555"
RETAIL = "22222222-2222-3333-4444-555555555555"

MAIN = '''
resource "random_string" "u" {
  length = 4
}
resource "azapi_resource" "rg" {
  type     = "Microsoft.Resources/resourceGroups@2021-04-01"
  name     = "rg-${random_string.u.result}"
  location = "francecentral"
}
resource "azapi_resource" "acc" {
  type      = "Microsoft.CognitiveServices/accounts@2025-06-01"
  name      = "acc"
  parent_id = azapi_resource.rg.id
  location  = "francecentral"
  body      = { kind = "AIServices", sku = { name = "S0" } }
}
resource "azapi_resource" "d" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2023-05-01"
  name      = "d"
  parent_id = azapi_resource.acc.id
  body      = { sku = { name = "GlobalStandard" }, properties = { model = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" } } }
}
'''


def _run(tmp_path: Path, *extra: str) -> tuple[int, dict[str, set[str]], list[str]]:
    (tmp_path / "main.tf").write_text(MAIN, "utf-8")
    ctx = tmp_path / "ctx.json"
    ctx.write_text('{"subscriptions": {"%s": {"tags": {"sector": "police", "jurisdiction": "FR"}}, '
                   '"%s": {"tags": {"sector": "retail"}}}}' % (POLICE, RETAIL), "utf-8")
    result = run_check([str(tmp_path), "--context", str(ctx), "--format", "json", *extra])
    report = report_of(result)
    verdicts: dict[str, set[str]] = {}
    for r in report["results"]:
        verdicts.setdefault(r["resource"], set()).add(r["result"])
    return result.exit_code, verdicts, report.get("warnings") or []


def test_an_unknown_subscription_is_undetermined_not_absent(tmp_path: Path) -> None:
    _, verdicts, warnings = _run(tmp_path, "--fail-on", "deny", "--fail-on", "undetermined")
    assert verdicts["azapi_resource.d"] == {"undetermined"}
    assert any("subscription id unknown" in w for w in warnings), warnings
    assert not any("subscription tag 'sector'" in w and "no source gives" in w for w in warnings), warnings


def test_the_subscription_given_decides(tmp_path: Path) -> None:
    code, verdicts, _ = _run(tmp_path, "--subscription-id", POLICE)
    assert code == 1 and "match" in verdicts["azapi_resource.d"]
    code, verdicts, _ = _run(tmp_path, "--subscription-id", RETAIL)
    assert code == 0 and verdicts.get("azapi_resource.d", {"no-match"}) <= {"no-match"}


def test_a_resource_group_no_context_gives_is_not_said_to_be_decided_at_apply(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "azurerm_cognitive_deployment" "d" {\n  name = "d"\n  cognitive_account_id = '
        f'"/subscriptions/{POLICE}/resourceGroups/rg-ext/providers/Microsoft.CognitiveServices/accounts/a"\n'
        '  model {\n    format = "OpenAI"\n    name = "gpt-4o"\n    version = "1"\n  }\n}\n', "utf-8")
    result = run_check([str(tmp_path), "--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR",
                        "--format", "json"])
    lines = [line for r in report_of(result)["results"] for line in r.get("explanation") or []]
    assert any("no context gives the resource group" in line for line in lines), lines
    assert not any("resource group tag" in line and "known only after apply" in line for line in lines), lines
