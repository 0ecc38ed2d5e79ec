"""Placement by reference (issue 11 item 1): a resource group block referenced by name or id is the
resource group, even when its name is known only after apply; unknown tags are undetermined, never absent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.check.conftest import EXAMPLES, report_of, run_check

SCENARIOS = {
    "placement-azurerm": "azurerm_cognitive_deployment.d",
    "placement-variable-named": "azurerm_cognitive_deployment.d",
    "placement-azapi": "azapi_resource.dep",
}


def _verdicts(args: list[str], cwd: Path | None = None) -> tuple[int, dict[str, dict[str, str]], list[str]]:
    result = run_check([*args, "--format", "json"], cwd=cwd)
    report = report_of(result)
    out: dict[str, dict[str, str]] = {}
    for r in report["results"]:
        if r["result"] != "no-match":
            out.setdefault(r["resource"], {})[r.get("clauseId") or r["policyDefinitionName"]] = r["result"]
    return result.exit_code, out, report.get("warnings") or []


@pytest.mark.parametrize("jurisdiction", ["FR", "US"])
@pytest.mark.parametrize("form", ["directory", "plan"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_reproductions_deny(scenario: str, form: str, jurisdiction: str) -> None:
    folder = EXAMPLES / scenario
    target = "." if form == "directory" else "plan.json"
    code, verdicts, _ = _verdicts([target, "--subscription-tag", "sector=police",
                                   "--subscription-tag", f"jurisdiction={jurisdiction}"], cwd=folder)
    assert code == 1
    expected = {"mobile-realtime-fr": "match"}
    if jurisdiction == "US":
        expected["us-police"] = "match"
    assert verdicts == {SCENARIOS[scenario]: expected}


def _copy(tmp_path: Path, scenario: str, replace: tuple[str, str] | None = None) -> Path:
    folder = tmp_path / scenario
    shutil.copytree(EXAMPLES / scenario, folder)
    (folder / "plan.json").unlink()
    if replace:
        main = folder / "main.tf"
        text = main.read_text("utf-8")
        assert replace[0] in text
        main.write_text(text.replace(*replace), "utf-8")
    return folder


FR = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR"]


def test_the_referenced_resource_groups_tags_are_read(tmp_path: Path) -> None:
    # the attestation on the resource group block (whose name is unknown) allows the deployment
    folder = _copy(tmp_path, "placement-azurerm",
                   ('location = "eastus"\n}', 'location = "eastus"\n  tags = { camera-context = "stationary-controlled" }\n}'))
    code, verdicts, _ = _verdicts([str(folder), *FR])
    assert (code, verdicts) == (0, {})


@pytest.mark.parametrize("tags", [
    "tags = data.azurerm_resource_group.other.tags",
    'tags = { camera-context = data.azurerm_resource_group.other.tags["camera-context"] }',
])
def test_unknown_tags_are_undetermined_never_absent(tmp_path: Path, tags: str) -> None:
    folder = _copy(tmp_path, "placement-azurerm", ('location = "eastus"\n}', f'location = "eastus"\n  {tags}\n}}'))
    (folder / "data.tf").write_text('data "azurerm_resource_group" "other" { name = "rg-other" }\n', "utf-8")
    code, verdicts, warnings = _verdicts([str(folder), *FR])
    assert code == 0
    assert verdicts == {"azurerm_cognitive_deployment.d": {"mobile-realtime-fr": "undetermined"}}
    assert any("known only after apply" in w and "undetermined" in w for w in warnings)


def test_module_outputs_pass_the_resource_group_through(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "placement-azurerm", ("resource_group_name = azurerm_resource_group.rg.name",
                                                   "resource_group_name = module.rg.name"))
    main = folder / "main.tf"
    text = main.read_text("utf-8")
    start, end = text.index('resource "azurerm_resource_group"'), text.index('resource "azurerm_cognitive_account"')
    (folder / "rg").mkdir()
    (folder / "rg" / "main.tf").write_text(
        'resource "random_string" "s" {\n  length = 6\n}\n' + text[start:end]
        + 'output "name" {\n  value = azurerm_resource_group.rg.name\n}\n', "utf-8")
    main.write_text(text[:start] + 'module "rg" {\n  source = "./rg"\n}\n\n' + text[end:], "utf-8")
    code, verdicts, _ = _verdicts([str(folder), *FR])
    assert (code, verdicts) == (1, {"azurerm_cognitive_deployment.d": {"mobile-realtime-fr": "match"}})


def test_azapi_resource_group_without_parent_id_is_in_the_providers_subscription(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "placement-azapi", ('name     = "rg-${random_string.s.result}"', 'name     = "rg-fixed"'))
    sub = "11111111-2222-3333-4444-555555555555"
    result = run_check([str(folder), "--subscription-id", sub, "--format", "json", "--all"])
    ids: dict[str, Any] = {r["resource"]: r for r in report_of(result)["results"] if "resource" in r}
    assert "azapi_resource.acct" in ids
    from generator.terraform.check import read_input

    items = {i.address: i for i in read_input(str(folder), subscription_id=sub).iter_items()}
    assert items["azapi_resource.rg"].resource["id"] == f"/subscriptions/{sub}/resourceGroups/rg-fixed"
    assert items["azapi_resource.dep"].resource["id"] == (
        f"/subscriptions/{sub}/resourceGroups/rg-fixed/providers/Microsoft.CognitiveServices/accounts/acct/deployments/dep")


def test_a_stand_in_resource_group_has_unknown_name_and_id(tmp_path: Path) -> None:
    from generator.terraform.check import read_input

    inp = read_input(str(EXAMPLES / "placement-azurerm"))
    items = {i.address: i for i in inp.iter_items()}
    scope = items["azurerm_cognitive_deployment.d"].scope_id
    assert scope is not None and scope.endswith("/resourceGroups/<azurerm_resource_group.rg>")
    patch = next(iter(inp.resource_group_patches.values()))
    from generator.engine.values import UNKNOWN

    assert patch["name"] is UNKNOWN and patch["id"] is UNKNOWN


def test_a_data_source_resource_group_is_placed_by_its_configured_name(tmp_path: Path) -> None:
    # Terraform reads data sources while planning: the name given in the configuration is the name; the
    # tags are Azure's (here from --context: the attestation allows the deployment, its absence denies)
    folder = _copy(tmp_path, "placement-azurerm", ("resource_group_name = azurerm_resource_group.rg.name",
                                                   "resource_group_name = data.azurerm_resource_group.rg.name"))
    (folder / "data.tf").write_text('data "azurerm_resource_group" "rg" {\n  name = "rg-existing"\n}\n', "utf-8")
    from generator.terraform.check import read_input

    items = {i.address: i for i in read_input(str(folder)).iter_items()}
    assert "/resourceGroups/rg-existing/providers/" in items["azurerm_cognitive_deployment.d"].scope_id
    ctx = tmp_path / "ctx.json"
    for tags, expected in (({"camera-context": "stationary-controlled"}, (0, {})),
                           ({}, (1, {"azurerm_cognitive_deployment.d": {"mobile-realtime-fr": "match"}}))):
        ctx.write_text(json.dumps({"resourceGroups": {"rg-existing": {"tags": tags}}}), "utf-8")
        code, verdicts, _ = _verdicts([str(folder), *FR, "--context", str(ctx)])
        assert (code, verdicts) == expected


def test_a_plan_whose_module_output_passes_the_resource_group_through(tmp_path: Path) -> None:
    plan = json.loads((EXAMPLES / "placement-azurerm" / "plan.json").read_text("utf-8"))
    # move the resource group (and its random suffix) into module "rg", whose output "name" is its name
    for change in plan["resource_changes"]:
        if change["type"] in ("azurerm_resource_group", "random_string"):
            change["address"] = f"module.rg.{change['address']}"
            change["module_address"] = "module.rg"
    root = plan["configuration"]["root_module"]
    moved = [r for r in root["resources"] if r["type"] in ("azurerm_resource_group", "random_string")]
    root["resources"] = [r for r in root["resources"] if r not in moved]
    account = next(r for r in root["resources"] if r["type"] == "azurerm_cognitive_account")
    account["expressions"]["resource_group_name"] = {"references": ["module.rg.name", "module.rg"]}
    root["module_calls"] = {"rg": {"source": "./rg", "module": {
        "resources": moved,
        "outputs": {"name": {"expression": {"references": ["azurerm_resource_group.rg.name", "azurerm_resource_group.rg"]}}},
    }}}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), "utf-8")
    code, verdicts, _ = _verdicts([str(path), *FR])
    assert (code, verdicts) == (1, {"azurerm_cognitive_deployment.d": {"mobile-realtime-fr": "match"}})
