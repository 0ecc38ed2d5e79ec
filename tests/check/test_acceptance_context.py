"""Acceptance regressions for `clausegate check` context: a resource group the plan creates gives all
its tags, so a tag it lacks is absent for certain and not reported as "given by no source"."""

from __future__ import annotations

import json
from pathlib import Path

from tests.check.conftest import report_of, run_check

SUB = "11111111-2222-3333-4444-555555555555"


def _plan(rg_tags: dict[str, object], rg_unknown: dict[str, object]) -> dict[str, object]:
    rg = {"name": "rg1", "location": "francecentral", "tags": rg_tags, "managed_by": None, "timeouts": None}
    dep = {"name": "vision", "cognitive_account_id":
           f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.CognitiveServices/accounts/a",
           "model": [{"format": "OpenAI", "name": "gpt-4.1", "version": "2025-04-14"}],
           "sku": [{"name": "Standard", "capacity": 1}], "rai_policy_name": None, "timeouts": None}

    def change(address: str, tf_type: str, after: dict[str, object], unknown: dict[str, object]) -> dict[str, object]:
        return {"address": address, "mode": "managed", "type": tf_type, "name": address.split(".")[1],
                "provider_name": "registry.terraform.io/hashicorp/azurerm",
                "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown,
                           "before_sensitive": False, "after_sensitive": {}}}

    return {
        "format_version": "1.2", "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": [change("azurerm_resource_group.rg", "azurerm_resource_group", rg, rg_unknown),
                             change("azurerm_cognitive_deployment.d", "azurerm_cognitive_deployment", dep,
                                    {"id": True})],
        "configuration": {"root_module": {"resources": []}},
    }


def _warnings(tmp_path: Path, plan: dict[str, object]) -> tuple[int, list[str]]:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    result = run_check([str(path), "--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR",
                        "--format", "json"])
    return result.exit_code, report_of(result).get("warnings", [])


def test_a_planned_resource_group_without_the_tag_is_not_a_missing_source(tmp_path: Path) -> None:
    code, warnings = _warnings(tmp_path, _plan({"env": "prod"}, {"id": True}))
    assert code == 1  # no attestation on the resource group: denied
    assert not any("resource group tag 'camera-context'" in w for w in warnings), warnings
    # the subscription's tags come from --subscription-tag only: that one is still named
    assert any("subscription tag 'camera-context'" in w and "no source gives" in w for w in warnings)


def test_a_planned_resource_group_with_an_unknown_tag_value_still_gives_its_tag_names(tmp_path: Path) -> None:
    # One rule (docs/check.md): the value of 'owner' is unknown (undetermined where read), but the plan
    # knows the resource group's tag names, so camera-context is absent for certain: denied.
    code, warnings = _warnings(tmp_path, _plan({"env": "prod"}, {"id": True, "tags": {"owner": True}}))
    assert code == 1
    assert any("tag 'owner' is known only after apply" in w and "undetermined" in w for w in warnings), warnings
    assert not any("resource group tag 'camera-context'" in w for w in warnings), warnings


def test_a_deployment_whose_resource_group_is_unknown_is_undetermined_not_an_error(tmp_path: Path) -> None:
    # cognitive_account_id unknown until apply and no configuration reference to follow (e.g. from a
    # data source): its resource group, and so the attestation tag, is known only after apply.
    plan = _plan({}, {"id": True})
    dep = plan["resource_changes"][1]["change"]  # type: ignore[index]
    del dep["after"]["cognitive_account_id"]
    dep["after_unknown"]["cognitive_account_id"] = True
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    result = run_check([str(path), "--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR",
                        "--format", "json"])
    report = report_of(result)
    words = {(r["resource"], r["clauseId"]): r["result"] for r in report["results"]}
    assert words == {("azurerm_cognitive_deployment.d", "mobile-realtime-fr"): "undetermined"}, words
    assert result.exit_code == 0
    assert any("known only after apply" in w and "azurerm_cognitive_deployment.d" in w for w in report["warnings"])
    failing = run_check([str(path), "--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR",
                         "--fail-on", "undetermined"])
    assert failing.exit_code == 1
