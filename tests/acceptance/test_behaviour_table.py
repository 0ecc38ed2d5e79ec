"""Issue 2's behaviour table, row by row, through `clausegate eval` on the committed definitions.

One eval run over one resource per row: each row gets its own subscription (and resource group), and
the context file gives that subscription's and resource group's tags. Allowed rows must also show no
evaluation error.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.helpers import POLICIES, run, write_json

LE_US = {"sector": "law-enforcement", "jurisdiction": "US"}
FR = {"sector": "police", "jurisdiction": "FR"}
ATTESTED = {"camera-context": "stationary-controlled"}

DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"


def _dep(name: str, version: str | None = None) -> dict:
    model = {"format": "OpenAI", "name": name}
    if version is not None:
        model["version"] = version
    return {"type": DEPLOYMENT, "name": "acct/dep", "properties": {"model": model}}


def _account(kind: str) -> dict:
    return {"type": "Microsoft.CognitiveServices/accounts", "name": "acct", "kind": kind, "location": "eastus",
            "properties": {}}


ML = "Microsoft.MachineLearningServices/workspaces"
VISION = "azureml://registries/azureml-meta/models/Llama-3.2-11B-Vision-Instruct/versions/1"
CLEARED = "azureml://registries/azureml-meta/models/Llama-3.3-70B-Instruct/versions/4"
UNKNOWN = "azureml://registries/contoso/models/contoso-facematch/versions/2"


def _route(rtype: str, name: str, asset: str) -> dict:
    """A resource of one asset-id route (issue 15) carrying ``asset`` where that route keeps its model."""
    props: dict = {
        f"{ML}/onlineEndpoints/deployments": {"model": asset},
        f"{ML}/batchEndpoints/deployments": {"model": {"referenceType": "Id", "assetId": asset}},
        f"{ML}/serverlessEndpoints": {"modelSettings": {"modelId": asset}},
        f"{ML}/endpoints": {"endpointType": "serverlessEndpoint", "modelSettings": {"modelId": asset}},
        f"{ML}/marketplaceSubscriptions": {"modelId": asset},
        "Microsoft.CognitiveServices/accounts/managedComputeDeployments": {"model": asset},
    }[rtype]
    return {"type": rtype, "name": name, "properties": props}


ASSET_ROUTES = [(f"{ML}/onlineEndpoints/deployments", "ws/e/d"), (f"{ML}/batchEndpoints/deployments", "ws/e/d"),
                (f"{ML}/serverlessEndpoints", "ws/s"), (f"{ML}/endpoints", "ws/e"),
                (f"{ML}/marketplaceSubscriptions", "ws/m")]

ROWS = [  # (subscription tags, resource-group tags, resource, outcome)
    (LE_US, {}, _dep("gpt-4o", "2024-11-20"), "deny"),
    ({"Sector": "Law-Enforcement", "jurisdiction": "us"}, {}, _dep("gpt-4", "turbo-2024-04-09"), "deny"),
    (LE_US, {}, _dep("gpt-4", "0613"), "allow"),
    (LE_US, {}, _dep("gpt-4"), "deny"),
    (LE_US, {}, _dep("text-embedding-3-large", "1"), "allow"),
    (LE_US, {}, _dep("a-model-no-catalog-knows", "1"), "deny"),
    (LE_US, ATTESTED, _dep("gpt-4o"), "deny"),
    (LE_US, {}, _account("Face"), "deny"),
    (LE_US, {}, {"type": "Microsoft.VideoIndexer/accounts", "name": "vi", "location": "eastus", "properties": {}},
     "deny"),
    (LE_US, {}, _account("OpenAI"), "allow"),
    (FR, {}, _dep("gpt-4.1", "2025-04-14"), "deny"),
    (FR, {}, _dep("a-model-no-catalog-knows"), "deny"),
    (FR, ATTESTED, _dep("gpt-4.1"), "allow"),
    ({**FR, **ATTESTED}, {"camera-context": "mobile"}, _dep("gpt-4o"), "deny"),
    (FR, {}, _dep("text-embedding-3-small", "1"), "allow"),
    ({"sector": "police"}, {}, _dep("gpt-4o"), "deny"),
    ({"sector": "health"}, {}, _dep("gpt-4o"), "allow"),
    ({}, {}, _dep("gpt-4o"), "allow"),
    # issue 15: every other route; managed compute has no model alias, so even a text model is denied
    (LE_US, {}, _route("Microsoft.CognitiveServices/accounts/managedComputeDeployments", "acct/mc", VISION), "deny"),
    (LE_US, {}, _route("Microsoft.CognitiveServices/accounts/managedComputeDeployments", "acct/mc", CLEARED), "deny"),
    (LE_US, {}, _dep("gpt-35-turbo-16k", "0613"), "allow"),
    (LE_US, {}, _dep("babbage-002", "1"), "allow"),
] + [(LE_US, {}, _route(t, n, a), o) for t, n in ASSET_ROUTES
     for a, o in ((VISION, "deny"), (CLEARED, "allow"), (UNKNOWN, "deny"))]


def test_behaviour_table_through_eval(tmp_path: Path) -> None:
    resources, subs, rgs = [], {}, {}
    for i, (sub_tags, rg_tags, resource, _) in enumerate(ROWS):
        sub = f"00000000-0000-0000-0000-{i:012d}"
        provider_path = resource["type"].split("/", 1)
        resources.append({**resource, "id": f"/subscriptions/{sub}/resourceGroups/rg-{i}/providers/"
                                              f"{provider_path[0]}/{provider_path[1]}/{resource['name']}"})
        subs[sub] = {"tags": sub_tags}
        # Alternate the two resource-group key forms of CONTRACTS.md.
        rgs[f"{sub}/rg-{i}" if i % 2 else f"rg-{i}"] = {"location": "eastus", "tags": rg_tags}
    res_file = write_json(tmp_path / "resources.json", resources)
    ctx_file = write_json(tmp_path / "context.json", {"subscriptions": subs, "resourceGroups": rgs})
    proc = run("eval", "--definition", POLICIES, "--resource", res_file, "--context", ctx_file, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    by_resource: dict[str, list[dict]] = {}
    for r in report["results"]:
        by_resource.setdefault(r["resource"], []).append(r)
    assert len(by_resource) == len(ROWS)
    for i, ((sub_tags, rg_tags, resource, outcome), res) in enumerate(zip(ROWS, resources)):
        got = by_resource[res["id"]]
        assert len(got) == 2, got  # both clauses evaluated: eval lists every evaluation
        denied = any(r["result"] == "match" and r["effect"] == "deny" for r in got)
        row = f"row {i + 1}: {sub_tags} / {rg_tags} / {resource}"
        assert denied == (outcome == "deny"), row
        assert not any(r["result"] in ("error", "invalid", "undetermined") for r in got), row
