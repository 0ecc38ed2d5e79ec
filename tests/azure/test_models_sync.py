"""clausegate models sync against the HTTPS stand-in: exactly the unclassified models, as a YAML patch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from armstub import ArmStub
from armstub.models import DEFAULT_MODELS, model_item
from click.testing import CliRunner, Result

from generator.cli import cli

SUB = "00000000-0000-4000-8000-0000000000aa"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def env(azure_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("CLAUSEGATE_TODAY", "2026-12-03")
    return azure_env


def test_sync_lists_exactly_the_models_the_catalog_does_not_classify(arm_stub: ArmStub, env: dict[str, str]) -> None:
    res = run("models", "sync", "--location", "East US", "--subscription", SUB)
    assert res.exit_code == 0, res.stderr
    patch = yaml.safe_load(res.stdout)
    names = [m["name"] for m in patch["models"]]
    # gpt-4o, text-embedding-3-large, gpt-4, gpt-35-turbo and Llama-3.2-11B-Vision-Instruct are in the catalog.
    assert names == ["Contoso-Embed-9", "gpt-6", "gpt-6-mini"]
    for m in patch["models"]:
        assert m["imageInput"] is True  # never cleared by the sync itself
        assert m["source"] in patch["sources"] and m["asOf"] == "2026-12-03"
    gpt6 = next(m for m in patch["models"] if m["name"] == "gpt-6")
    assert gpt6["versions"] == ["2026-10-01"]
    assert "lifecycle Preview" in gpt6["note"] and "responses=true" in gpt6["note"]
    assert "#   gpt-4: turbo-2026-02-01" in res.stdout  # per-version entry with an unlisted version
    assert "#   gpt-35-turbo: 2026-03-01" in res.stdout  # cleared by name, version not seen
    assert "3 not in the catalog" in res.stderr
    paths = [r.path for r in arm_stub.arm_requests()]
    assert paths == [f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/models"]


def test_the_patch_is_a_valid_catalog_once_reviewed(arm_stub: ArmStub, env: dict[str, str], tmp_path: Path) -> None:
    from generator.pack.catalog import load_catalog

    out = tmp_path / "patch.yaml"
    res = run("models", "sync", "--location", "eastus", "--subscription", SUB, "--output-file", str(out))
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "" and f"wrote {out}" in res.stderr
    merged = yaml.safe_load((Path(__file__).resolve().parents[2] / "generator/pack/data/models.yaml").read_text())
    patch = yaml.safe_load(out.read_text())
    merged["sources"].update(patch["sources"])
    merged["models"] += patch["models"]
    cat_file = tmp_path / "catalog.yaml"
    cat_file.write_text(yaml.safe_dump(merged))
    cat = load_catalog(cat_file)
    assert cat.entry("gpt-6") is not None and not cat.is_cleared("gpt-6", "2026-10-01")
    # Synced again against the merged catalog: nothing new.
    res = run("models", "sync", "--location", "eastus", "--subscription", SUB, "--catalog", str(cat_file),
              "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["notInCatalog"] == []


def test_paged_answers_are_followed(arm_stub: ArmStub, env: dict[str, str]) -> None:
    arm_stub.page_size = 4
    res = run("models", "sync", "--location", "eastus", "--subscription", SUB, "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert [m["name"] for m in data["notInCatalog"]] == ["Contoso-Embed-9", "gpt-6", "gpt-6-mini"]
    assert data["requests"] == -(-len(DEFAULT_MODELS) // 4)


def test_without_subscription_the_first_readable_one_is_used(arm_stub: ArmStub, env: dict[str, str]) -> None:
    from tenant_seed import seed_tenant, sub_id

    seed_tenant(arm_stub, 3)
    res = run("models", "sync", "--location", "eastus", "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["subscription"] == sorted(sub_id(i) for i in range(3))[0]


def test_a_throttled_answer_is_retried(arm_stub: ArmStub, env: dict[str, str]) -> None:
    fault = arm_stub.inject("throttle", path=r"/locations/eastus/models$", retry_after=0.1, times=1)
    res = run("models", "sync", "--location", "eastus", "--subscription", SUB, "--format", "json")
    assert res.exit_code == 0, res.stderr
    assert fault.fired == 1
    assert json.loads(res.stdout)["requests"] == 2


def test_persistent_throttling_is_a_remote_failure(arm_stub: ArmStub, env: dict[str, str]) -> None:
    arm_stub.inject("throttle", path=r"/locations/eastus/models$", retry_after=0.01, times=100)
    res = run("models", "sync", "--location", "eastus", "--subscription", SUB)
    assert res.exit_code == 3
    assert "model list of eastus" in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize("raw", [["not", "an", "object"], {"value": "gpt-6"}, {"value": [], "nextLink": 5}, "x"])
def test_a_malformed_answer_is_a_remote_failure(arm_stub: ArmStub, env: dict[str, str], raw: object) -> None:
    arm_stub.state["models_raw"] = {"eastus": raw}
    res = run("models", "sync", "--location", "eastus", "--subscription", SUB)
    assert res.exit_code == 3, res.output
    assert "not a model list" in res.stderr and "Traceback" not in res.stderr


def test_items_without_a_model_name_are_counted_not_dropped(arm_stub: ArmStub, env: dict[str, str]) -> None:
    arm_stub.state["models"] = {"eastus": [model_item("gpt-7", "1"), {"kind": "OpenAI", "model": {"version": "1"}},
                                           "junk", {"model": {"name": "", "version": "2"}}]}
    res = run("models", "sync", "--location", "eastus", "--subscription", SUB, "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert [m["name"] for m in data["notInCatalog"]] == ["gpt-7"] and data["skippedItems"] == 3
    assert "3 item(s) without a model name skipped" in res.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (("--location", "east us!"), "not an Azure region"),
    (("--location", "eastus", "--subscription", "nope"), "not a subscription id"),
])
def test_bad_input(arm_stub: ArmStub, env: dict[str, str], args: tuple[str, ...], needle: str) -> None:
    res = run("models", "sync", *args)
    assert res.exit_code == 2 and needle in res.stderr
    assert arm_stub.arm_requests() == []


def test_permission_denied_names_the_role(arm_stub: ArmStub, env: dict[str, str]) -> None:
    arm_stub.inject("error", path=r"/locations/eastus/models$", status=403, times=1)
    res = run("models", "sync", "--location", "eastus", "--subscription", SUB)
    assert res.exit_code == 3 and "Reader" in res.stderr
