"""check --from-azure against the HTTPS stand-in: live tags, assignments, exemptions, cache, 403."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from armstub import ArmStub, policy_state
from armstub.subscriptions import mg_id, tenant_state
from click.testing import CliRunner, Result
from tenant_seed import assignment_doc, sub_id

from generator.cli import cli

POLICE = sub_id(7)      # in management group "pd" (the set is assigned there)
OTHER = sub_id(8)       # in "corp": no assignment
RG = "rg-app"


def deployment(sub: str, rg: str = RG, model: str = "gpt-4o") -> dict[str, Any]:
    rid = (f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/acct/"
           f"deployments/vision")
    return {"id": rid, "name": "vision", "type": "Microsoft.CognitiveServices/accounts/deployments",
            "properties": {"model": {"format": "OpenAI", "name": model, "version": "2024-11-20"}}}


def write(tmp_path: Path, *resources: dict[str, Any]) -> str:
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(list(resources)))
    return str(path)


def check(path: str, cache: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["check", path, "--from-azure", "--cache-dir", str(cache), "--format", "json",
                                    *extra])


def results(res: Result, ref: str = "us-police") -> list[dict[str, Any]]:
    doc = json.loads(res.stdout)
    return [r for r in doc["results"] if r.get("policyDefinitionReferenceId") == ref]


@pytest.fixture
def tenant(arm_stub: ArmStub, azure_env: dict[str, str]) -> Any:
    state = tenant_state(arm_stub)
    state.add_management_group("pd", display="Metro PD")
    state.add_management_group("corp")
    state.add_subscription(POLICE, "metro-pd", {"sector": "police", "jurisdiction": "US"}, "pd", arm_stub)
    state.add_subscription(OTHER, "retail", {"sector": "retail"}, "corp", arm_stub)
    state.add_resource_group(POLICE, RG, "eastus", {"team": "vision"})
    state.add_resource_group(OTHER, RG, "eastus")
    return state


def test_tags_and_assignment_from_azure_change_the_result(arm_stub: ArmStub, tenant: Any, tmp_path: Path) -> None:
    path = write(tmp_path, deployment(POLICE))
    # Offline, the subscription's tags are unknown: the deployment passes.
    offline = CliRunner().invoke(cli, ["check", path, "--format", "json"])
    assert offline.exit_code == 0, offline.stderr
    assert results(offline) == []
    # From Azure: sector=police, jurisdiction=US -> denied, evaluated implicitly (no assignment yet).
    res = check(path, tmp_path / "c1")
    assert res.exit_code == 1, res.stderr
    [hit] = results(res)
    assert hit["result"] == "match" and hit["effect"] == "deny"
    assert "no assignment of these policies is in force" in " ".join(json.loads(res.stdout)["warnings"])
    assert "from Azure: 1 subscription(s), 1 resource group(s), 0 assignment(s)" in res.stderr

    # The set assigned at the management group with DoNotEnforce: reported, not failing.
    policy_state(arm_stub).put_raw(assignment_doc(mg_id("pd"), enforcementMode="DoNotEnforce"))
    res = check(path, tmp_path / "c2")
    assert res.exit_code == 0, res.stderr
    [hit] = results(res)
    assert hit["policyAssignmentName"] == "aoai-le" and hit["enforcementMode"] == "DoNotEnforce"
    assert "1 assignment(s)" in res.stderr


def test_assignment_parameters_and_exemptions_from_azure(arm_stub: ArmStub, tenant: Any, tmp_path: Path) -> None:
    # Untagged subscription, but the assignment treats its scope as law enforcement.
    tenant.subscriptions[POLICE.lower()]["tags"] = {"jurisdiction": "US"}
    doc = assignment_doc(mg_id("pd"), parameters={"treatScopeAsLawEnforcement": {"value": True}})
    policy_state(arm_stub).put_raw(doc)
    path = write(tmp_path, deployment(POLICE), deployment(OTHER))
    res = check(path, tmp_path / "c1")
    assert res.exit_code == 1, res.stderr
    by_sub = {r["resource"].split("/")[2]: r for r in results(res)}
    assert by_sub[POLICE]["result"] == "match"
    # The management-group assignment read for POLICE does not reach OTHER (not under "pd").
    assert OTHER not in by_sub or by_sub[OTHER]["result"] == "not-applicable"

    # A waiver at the resource group exempts the finding: reported, no longer failing.
    policy_state(arm_stub).put_raw({
        "id": f"/subscriptions/{POLICE}/resourceGroups/{RG}/providers/Microsoft.Authorization/policyExemptions/wv",
        "type": "Microsoft.Authorization/policyExemptions", "name": "wv",
        "properties": {"policyAssignmentId": doc["id"], "exemptionCategory": "Waiver"}})
    res = check(path, tmp_path / "c2")
    assert res.exit_code == 0, res.stderr
    [hit] = [r for r in results(res) if POLICE in r["resource"]]
    assert hit["exemption"]["name"] == "wv"


def test_a_cache_hit_sends_no_request_and_expires(arm_stub: ArmStub, tenant: Any, tmp_path: Path) -> None:
    path = write(tmp_path, deployment(POLICE))
    cache = tmp_path / "cache"
    first = check(path, cache)
    assert first.exit_code == 1
    sent = len(arm_stub.arm_requests())
    assert sent == 6  # subscription, its assignments and exemptions; the resource group and its two lists
    arm_stub.clear_log()
    second = check(path, cache)
    assert second.exit_code == 1 and results(second) == results(first)
    assert arm_stub.requests == []  # not even a token request
    assert "0 request(s), cache 2 hit(s)" in second.stderr
    # Azure changes; the cache still answers within its time limit, --refresh (or TTL 0) reads again.
    tenant.subscriptions[POLICE.lower()]["tags"] = {"sector": "retail"}
    assert check(path, cache).exit_code == 1
    refreshed = check(path, cache, "--refresh")
    assert refreshed.exit_code == 0 and len(arm_stub.arm_requests()) == sent
    assert check(path, cache, "--cache-ttl", "0").exit_code == 0


def test_cache_dir_from_environment(arm_stub: ArmStub, tenant: Any, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEGATE_CACHE_DIR", str(tmp_path / "envcache"))
    path = write(tmp_path, deployment(POLICE))
    res = CliRunner().invoke(cli, ["check", path, "--from-azure"])
    assert res.exit_code == 1
    assert list((tmp_path / "envcache" / "live").glob("*.json"))


def test_missing_read_access_names_the_scope_and_the_role(arm_stub: ArmStub, tenant: Any, tmp_path: Path) -> None:
    tenant.denied.add(f"/subscriptions/{POLICE}".lower())
    res = check(write(tmp_path, deployment(POLICE)), tmp_path / "c")
    assert res.exit_code == 3
    line = res.stderr.strip().splitlines()[-1]
    assert f"permission denied reading the subscription's tags at /subscriptions/{POLICE}" in line
    assert "Reader role" in line and "AuthorizationFailed" in line
    assert "Traceback" not in res.stderr and arm_stub.token not in res.stderr


def test_refused_credentials_are_one_line_exit_3(arm_stub: ArmStub, tenant: Any, tmp_path: Path) -> None:
    arm_stub.refuse_tokens = True
    res = check(write(tmp_path, deployment(POLICE)), tmp_path / "c")
    assert res.exit_code == 3
    [line] = res.stderr.strip().splitlines()
    assert line.startswith("error: Azure refused the credentials") and "az login" in line
    assert arm_stub.arm_requests() == []


def test_a_resource_group_the_plan_creates_is_not_an_error(arm_stub: ArmStub, tenant: Any, tmp_path: Path) -> None:
    res = check(write(tmp_path, deployment(POLICE, rg="rg-new")), tmp_path / "c")
    assert res.exit_code == 1, res.stderr
    assert "0 resource group(s)" in res.stderr


def test_no_subscription_in_the_ids_reads_nothing(arm_stub: ArmStub, tenant: Any, tmp_path: Path) -> None:
    res = check(write(tmp_path, {"type": "Microsoft.CognitiveServices/accounts/deployments", "name": "x",
                                 "properties": {"model": {"name": "gpt-4o"}}}), tmp_path / "c")
    assert res.exit_code == 0
    assert arm_stub.arm_requests() == []
    assert "nothing was read from Azure" in res.stdout


def test_terraform_directory_from_azure(arm_stub: ArmStub, azure_env: dict[str, str], tmp_path: Path) -> None:
    """The HCL example deploys to subscription 1111...; its tags in Azure decide the outcome."""
    example = Path(__file__).resolve().parents[2] / "examples" / "check" / "azurerm-modules-for-each"
    sub = "11111111-2222-3333-4444-555555555555"
    state = tenant_state(arm_stub)
    state.add_subscription(sub, "metro-police", {"sector": "law-enforcement", "jurisdiction": "USA"}, stub=arm_stub)
    res = CliRunner().invoke(cli, ["check", str(example), "--from-azure", "--cache-dir", str(tmp_path / "c"),
                                   "--format", "json"])
    assert res.exit_code == 1, res.stderr
    denied = {r["resource"] for r in results(res) if r["result"] == "match"}
    assert denied and all("deployment" in r for r in denied)
    # The resource group is created by the plan (404 in Azure): its planned tags are used, no error.
    assert "1 subscription(s), 0 resource group(s)" in res.stderr
    state.subscriptions[sub]["tags"] = {"sector": "retail"}
    res = CliRunner().invoke(cli, ["check", str(example), "--from-azure", "--refresh", "--cache-dir",
                                   str(tmp_path / "c"), "--format", "json"])
    assert res.exit_code == 0, res.stderr


def test_load_live_context_library_api(arm_stub: ArmStub, tenant: Any, tmp_path: Path) -> None:
    """The function check calls, used directly: context entries and engine assignments."""
    from generator.azure.live_context import load_live_context, target_scopes

    policy_state(arm_stub).put_raw(assignment_doc(mg_id("pd")))
    rid = deployment(POLICE)["id"]
    assert target_scopes([rid, None, "/subscriptions/00000000-0000-0000-0000-000000000000/x"]) == (
        [POLICE], [(POLICE, RG)])
    live = load_live_context([rid], cache_dir=str(tmp_path / "c"))
    ctx = live.merged_context().resolve(rid)
    assert ctx.subscription["tags"] == {"sector": "police", "jurisdiction": "US"}
    assert ctx.subscription["displayName"] == "metro-pd"
    assert ctx.resource_group is not None and ctx.resource_group["tags"] == {"team": "vision"}
    assert [a.name for a in live.assignments] == ["aoai-le"]
    assert live.requests == 6


def test_resource_groups_of_a_terraform_directory_are_read(arm_stub: ArmStub, azure_env: dict[str, str],
                                                          tmp_path: Path) -> None:
    """An existing resource group's attestation tag, read from Azure, decides clause 2 for HCL input."""
    state = tenant_state(arm_stub)
    state.add_subscription(POLICE, "metro-pd", {"sector": "police", "jurisdiction": "FR"}, stub=arm_stub)
    state.add_resource_group(POLICE, RG, "eastus", {"camera-context": "stationary-controlled"})
    (tmp_path / "main.tf").write_text(f"""
provider "azurerm" {{
  subscription_id = "{POLICE}"
  features {{}}
}}
resource "azurerm_cognitive_account" "a" {{
  name                = "acct"
  resource_group_name = "{RG}"
  location            = "eastus"
  kind                = "OpenAI"
  sku_name            = "S0"
}}
resource "azurerm_cognitive_deployment" "d" {{
  name                 = "vision"
  cognitive_account_id = azurerm_cognitive_account.a.id
  model {{
    format  = "OpenAI"
    name    = "gpt-4.1"
    version = "2025-04-14"
  }}
  sku {{
    name = "Standard"
  }}
}}
""")
    res = CliRunner().invoke(cli, ["check", str(tmp_path), "--from-azure", "--cache-dir", str(tmp_path / "c"),
                                   "--format", "json"])
    assert "1 subscription(s), 1 resource group(s)" in res.stderr
    assert res.exit_code == 0, res.stdout
    # The attestation removed in Azure: the deployment is denied (mobile real-time recognition).
    state.resource_groups[f"{POLICE}/{RG}".lower()]["tags"] = {}
    res = CliRunner().invoke(cli, ["check", str(tmp_path), "--from-azure", "--refresh", "--cache-dir",
                                   str(tmp_path / "c"), "--format", "json"])
    assert res.exit_code == 1, res.stdout
