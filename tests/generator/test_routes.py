"""Every model-deployment route: in the pack, in the behaviour table, in the docs, within Azure's limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gen_helpers import REPO, SHIPPED

from generator.pack import load_pack
from generator.pack.catalog import MODEL_ROUTES, load_catalog, parse_asset_id
from generator.pack.routes import ROUTES_BEGIN, ROUTES_END, clause_routes, routes_markdown
from generator.targets.policy_json import build_bundle

POLICIES = REPO / "modules" / "aoai-law-enforcement-definitions" / "policies"
# Azure Policy limits (learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits,
# "Azure Policy limits"): nested conditions per rule, parameters per definition; names at most 64.
MAX_CONDITIONS = 512
MAX_PARAMETERS = 400


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack(SHIPPED)


def test_every_known_route_is_restricted_by_both_model_clauses(pack) -> None:  # type: ignore[no-untyped-def]
    for c in pack.clauses:
        types = {r.type for r in c.restricts}
        assert set(MODEL_ROUTES) <= types, (c.id, set(MODEL_ROUTES) - types)


def test_every_route_has_a_deny_and_an_allow_row(pack) -> None:  # type: ignore[no-untyped-def]
    outcomes: dict[str, set[str]] = {}
    for ex in pack.examples:
        outcomes.setdefault(ex.resource["type"], set()).add(ex.expect)
    for rtype in MODEL_ROUTES:
        assert {"deny", "allow"} <= outcomes.get(rtype, set()), rtype
    # vision denied, cleared allowed, unknown denied: at least three rows per route
    counts = {t: sum(ex.resource["type"] == t for ex in pack.examples) for t in MODEL_ROUTES}
    assert min(counts.values()) >= 3, counts


def test_docs_route_table_is_generated_from_the_pack(pack) -> None:  # type: ignore[no-untyped-def]
    text = (REPO / "docs" / "check.md").read_text("utf-8")
    start, end = text.index(ROUTES_BEGIN), text.index(ROUTES_END) + len(ROUTES_END) + 1
    assert text[start:end] == routes_markdown(pack), "refresh with: python -m generator.pack.routes"


def test_clause_routes_name_the_lifting_parameter(pack) -> None:  # type: ignore[no-untyped-def]
    rows = {r["type"]: r for r in clause_routes(pack)["us-police"]}
    mc = rows["Microsoft.CognitiveServices/accounts/managedComputeDeployments"]
    assert mc["liftedBy"] == "allowManagedComputeDeployments" and "no policy alias" in mc["decision"]
    online = rows["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"]
    assert online["modelAliases"] == ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/model"]


def _conditions(node) -> int:  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        own = 1 if any(k in node for k in ("field", "value", "count")) else 0
        return own + sum(_conditions(v) for v in node.values())
    if isinstance(node, list):
        return sum(_conditions(v) for v in node)
    return 0


def test_generated_policies_stay_within_azure_limits(pack) -> None:  # type: ignore[no-untyped-def]
    bundle = build_bundle(pack)
    for d in bundle.definitions:
        props = d["properties"]
        assert _conditions(props["policyRule"]) <= MAX_CONDITIONS
        assert len(props["parameters"]) <= MAX_PARAMETERS
        assert len(d["name"]) <= 64
        for s in json.dumps(props["policyRule"]).split('"'):
            assert len(s) < 24576  # an ARM template expression's length limit
    assert len(bundle.policy_set["properties"]["parameters"]) <= MAX_PARAMETERS
    for m in bundle.assignment("/subscriptions/00000000-0000-0000-0000-000000000000")["properties"][
            "nonComplianceMessages"]:
        assert len(m["message"]) <= 1024


@pytest.mark.parametrize(("asset_id", "expected"), [
    ("azureml://registries/azureml-meta/models/Llama-3.2-11B-Vision-Instruct/versions/1",
     ("Llama-3.2-11B-Vision-Instruct", "1")),
    ("azureml://registries/azure-openai/models/gpt-4/labels/latest", ("gpt-4", "")),
    ("/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/models/models/m/versions/2",
     ("models", "2")),  # a workspace named "models": split consumes the slash, so fail-closed
    ("azureml:my-model:3", ("azureml:my-model:3", "")),
    ("", ("", "")),
    (None, ("", "")),
    ("azureml://registries/r/Models/gpt-35-turbo/versions/1", ("azureml:", "1")),  # case-sensitive: not cleared
])
def test_parse_asset_id(asset_id, expected) -> None:  # type: ignore[no-untyped-def]
    assert parse_asset_id(asset_id) == expected


ASSET_IDS = [
    "azureml://registries/azureml-meta/models/Llama-3.2-11B-Vision-Instruct/versions/1",
    "azureml://registries/azureml-meta/models/Llama-3.3-70B-Instruct/versions/4",
    "azureml://registries/azureml-meta/models/Llama-3.3-70B-Instruct",
    "azureml://registries/azure-openai/models/gpt-4/versions/0613",
    "azureml://registries/azure-openai/models/gpt-4/versions/turbo-2024-04-09",
    "azureml://registries/azure-openai/models/gpt-4/labels/latest",
    "azureml://registries/azure-openai/models/GPT-35-TURBO/versions/0125",
    "azureml://registries/x/models/text-embedding-3-small/versions/1/extra",
    "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/models/whisper/versions/1",
    "azureml://registries/r/Models/gpt-35-turbo/versions/1",
    "azureml:gpt-35-turbo:1",
    "gpt-35-turbo",
    "",
]


# A law-enforcement subscription and resource group "rg" known to carry no attestation tag: without the
# resource group in the context its tags are unknown and the mobile clause is undetermined.
POLICE_CONTEXT = {"subscriptions": {"*": {"tags": {"sector": "police"}}}, "resourceGroups": {"rg": {"tags": {}}}}


def _police_context(tmp_path: Path) -> Path:
    path = tmp_path / "context.json"
    path.write_text(json.dumps(POLICE_CONTEXT), "utf-8")
    return path


def test_policy_and_catalog_agree_on_asset_ids(tmp_path: Path) -> None:
    """The generated rule and ``parse_asset_id`` + ``Catalog.is_cleared`` give the same answer."""
    cat = load_catalog()
    online = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
    resources = []
    for i, asset in enumerate(ASSET_IDS + [None]):
        props = {"model": asset} if asset is not None else {}
        resources.append({"id": f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                                f"Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e/deployments/d{i}",
                          "type": online, "name": f"w/e/d{i}", "properties": props})
    res_file = tmp_path / "resources.json"
    res_file.write_text(json.dumps(resources), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "eval", "--definition",
         str(POLICIES / "aoai-law-enforcement-mobile-realtime-fr.json"), "--resource", str(res_file),
         "--context", str(_police_context(tmp_path)), "--format", "json"],
        capture_output=True, text=True, cwd=REPO, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    got = {r["resource"]: r["result"] for r in json.loads(proc.stdout)["results"]}
    assert len(got) == len(resources)
    for res in resources:
        name, version = parse_asset_id(res["properties"].get("model"))
        cleared = cat.is_cleared(name, version or None)
        assert got[res["id"]] == ("no-match" if cleared else "match"), (res["properties"], got[res["id"]])
    assert any(v == "no-match" for v in got.values()) and any(v == "match" for v in got.values())


def test_clauses_command_lists_the_routes_of_each_clause() -> None:
    proc = subprocess.run([sys.executable, "-m", "generator", "clauses", "--pack", SHIPPED, "--format", "json"],
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr
    rows = {r["clauseId"]: r for r in json.loads(proc.stdout)["clauses"]}
    for clause_id in ("us-police", "mobile-realtime-fr"):
        types = [r["type"] for r in rows[clause_id]["routes"]]
        assert set(MODEL_ROUTES) <= set(types)
    assert "Microsoft.VideoIndexer/accounts" in [r["type"] for r in rows["us-police"]["routes"]]
    text = subprocess.run([sys.executable, "-m", "generator", "clauses", "--pack", SHIPPED],
                          capture_output=True, text=True, cwd=REPO, check=False).stdout
    assert "managedComputeDeployments: every deployment denied" in text


def test_a_denied_unknown_model_says_why_and_where_to_look(tmp_path: Path) -> None:
    resources = [
        {"id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
               "Microsoft.CognitiveServices/accounts/a/deployments/d", "type": "Microsoft.CognitiveServices/accounts/deployments",
         "name": "a/d", "properties": {"model": {"format": "OpenAI", "name": "gpt-9-omni", "version": "1"}}},
        {"id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
               "Microsoft.MachineLearningServices/workspaces/w/serverlessEndpoints/s",
         "type": "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints", "name": "w/s",
         "properties": {"modelSettings": {"modelId": "azureml://registries/r/models/Contoso-Vision/versions/1"}}},
        {"id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
               "Microsoft.CognitiveServices/accounts/face", "type": "Microsoft.CognitiveServices/accounts",
         "name": "face", "kind": "Face", "location": "eastus", "properties": {}},
        {"id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
               "Microsoft.CognitiveServices/accounts/a/deployments/v", "type": "Microsoft.CognitiveServices/accounts/deployments",
         "name": "a/v", "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}}},
    ]
    res_file = tmp_path / "r.json"
    res_file.write_text(json.dumps(resources), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "eval", "--definition", str(POLICIES), "--resource", str(res_file),
         "--context", str(_police_context(tmp_path)), "--format", "json"],
        capture_output=True, text=True, cwd=REPO, check=False)
    assert proc.returncode == 1, proc.stderr
    matches = {(r["resource"].rsplit("/", 1)[-1], r["message"]) for r in json.loads(proc.stdout)["results"]
               if r["result"] == "match"}
    by_name = dict(matches)
    for name, model in (("d", "gpt-9-omni"), ("s", "Contoso-Vision")):
        msg = by_name[name]
        assert f"'{model}' is not in the catalog as text-only; unknown models are treated as image-capable" in msg
        assert "generator/pack/data/models.yaml" in msg and "clausegate models sync" in msg
    assert "catalog" not in by_name["face"]  # a Face account is denied for its kind, not a model
    # a model the catalog lists as image-capable is said so, not called unknown
    assert "'gpt-4o' is listed in the catalog as taking image input (catalog generator/pack/data/models.yaml)" in \
        by_name["v"]
    assert "unknown models" not in by_name["v"]


def test_readme_route_list_is_generated_from_the_pack(pack) -> None:  # type: ignore[no-untyped-def]
    from generator.pack.routes import README_BEGIN, README_END, routes_readme

    fragment = routes_readme(pack)
    assert set(MODEL_ROUTES) <= {line.split("`")[1] for line in fragment.splitlines()[1:-1]}
    text = (REPO / "README.md").read_text("utf-8")
    if README_BEGIN in text:  # once the README carries the generated list, it must match the pack
        start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END) + 1
        assert text[start:end] == fragment, "refresh with: python -m generator.pack.routes"


def test_policy_and_parse_asset_id_agree_on_many_generated_ids() -> None:
    """Deterministic sweep over ids built from the parts that matter (slashes, case, labels, versions)."""
    import itertools
    import random

    from generator.context import Context
    from generator.engine.evaluator import Evaluator, load_policy_files

    parts = ["azureml:", "", "registries", "azure-openai", "models", "Models", "versions", "labels", "latest",
             "gpt-4", "GPT-4", "0613", "turbo-2024-04-09", "gpt-35-turbo", "whisper", "Llama-3.3-70B-Instruct", "x"]
    rng = random.Random(15)
    ids = {"/".join(rng.choice(parts) for _ in range(rng.randint(1, 8))) for _ in range(400)}
    ids |= {f"azureml://registries/r/models/{n}/versions/{v}" for n, v in itertools.product(
        ["gpt-4", "gpt-35-turbo", "gpt-4o", "nope"], ["0613", "turbo-2024-04-09", "1", ""])}
    cat = load_catalog()
    lib = load_policy_files([POLICIES / "aoai-law-enforcement-mobile-realtime-fr.json"])
    ctx = Context.from_data(POLICE_CONTEXT, source="test")
    serverless = "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints"
    evaluator = Evaluator(lib)
    cleared_seen = denied_seen = 0
    for i, asset in enumerate(sorted(ids)):
        rid = (f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
               f"Microsoft.MachineLearningServices/workspaces/w/serverlessEndpoints/s{i}")
        res = {"id": rid, "type": serverless, "name": f"w/s{i}", "properties": {"modelSettings": {"modelId": asset}}}
        [r] = evaluator.evaluate(res, ctx.resolve(rid), address=rid)
        name, version = parse_asset_id(asset)
        cleared = cat.is_cleared(name, version or None)
        assert r.result == ("no-match" if cleared else "match"), (asset, r.result, r.message)
        cleared_seen += cleared
        denied_seen += not cleared
    assert cleared_seen >= 5 and denied_seen >= 100
