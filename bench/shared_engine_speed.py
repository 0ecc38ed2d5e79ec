"""Evaluations per second of compiled conditions on a stated mix (engine only, no policy layer).

Usage: python bench/shared_engine_speed.py --shared ../shared [--resources 20000] [--workers 2]
Mix: the Cognitive Services / Machine Learning built-ins (ARM modes All/Indexed) from ../shared plus Microsoft's documented
allowed-models deny rule, against 90% unrelated resources and 10% Cognitive Services resources
(half of those matching). Each evaluation builds a Scope (as the policy layer will) and evaluates
the definition's `if`. Prints evaluations per second for one process and for --workers processes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.engine.aliases import AliasTable  # noqa: E402
from generator.engine.conditions import compile_condition  # noqa: E402
from generator.engine.scope import Scope  # noqa: E402
from generator.engine.values import EvaluationError  # noqa: E402

DEP = "Microsoft.CognitiveServices/accounts/deployments"
FOUNDRY_RULE = {"allOf": [
    {"field": "type", "equals": DEP},
    {"not": {"value": f"[concat(field('{DEP}/model.name'), ',', field('{DEP}/model.version'))]",
             "in": "[parameters('allowedModels')]"}},
]}
UNRELATED = ["Microsoft.Storage/storageAccounts", "Microsoft.Compute/virtualMachines", "Microsoft.Network/virtualNetworks",
             "Microsoft.KeyVault/vaults", "Microsoft.Web/sites", "Microsoft.Sql/servers/databases"]


def load_definitions(shared: Path) -> list[tuple[str, dict, dict]]:
    """(name, if, default parameters) for the mix's definitions."""
    out = [("foundry-allowed-models", FOUNDRY_RULE, {"allowedModels": ["gpt-4o,2024-11-20", "gpt-4.1,2025-04-14"]})]
    root = shared / "azure-policy-builtins" / "policyDefinitions"
    for folder in ("Cognitive Services", "Machine Learning"):
        for f in sorted((root / folder).glob("*.json")):
            props = json.loads(f.read_text(encoding="utf-8-sig"))["properties"]
            if str(props.get("mode", "all")).lower() not in ("all", "indexed"):
                continue  # resource-provider modes (…Data) never run against ARM resources
            params = {k: v.get("defaultValue", [] if str(v.get("type", "")).lower() == "array" else "x")
                      for k, v in (props.get("parameters") or {}).items()}
            out.append((f.stem, props["policyRule"]["if"], params))
    return out


def make_resources(n: int, seed: int = 7) -> list[dict]:
    """90% unrelated resources, 10% Cognitive Services (half of them matching the deny rule)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        if i % 10:
            t = UNRELATED[i % len(UNRELATED)]
            out.append({"type": t, "name": f"r{i}", "location": "eastus", "tags": {"env": "prod"},
                        "properties": {"x": i, "publicNetworkAccess": "Enabled"}})
        elif rnd.random() < 0.5:
            out.append({"type": DEP, "name": f"d{i}", "sku": {"name": "Standard"},
                        "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-05-13"}}})
        else:
            out.append({"type": "Microsoft.CognitiveServices/accounts", "name": f"a{i}", "kind": "OpenAI",
                        "location": "eastus", "properties": {"publicNetworkAccess": "Disabled", "disableLocalAuth": True,
                                                             "encryption": {"keySource": "Microsoft.KeyVault"}}})
    return out


def run(args: tuple[Path, int, int]) -> tuple[int, float]:
    """Evaluate every (resource, definition) pair; returns (evaluations, seconds)."""
    shared, n, seed = args
    defs = [(name, compile_condition(cond, "/properties/policyRule/if"), params) for name, cond, params in load_definitions(shared)]
    resources = make_resources(n, seed)
    table = AliasTable.default()
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    sub = {"subscriptionId": "s", "tags": {}}
    rg = {"name": "rg", "location": "eastus", "tags": {}}
    count = 0
    start = time.perf_counter()
    for res in resources:
        for _name, cond, params in defs:
            scope = Scope(res, params, sub, rg, {"apiVersion": "2024-01-01"}, {}, table, now)
            try:
                cond.evaluate(scope)
            except EvaluationError:
                pass
            count += 1
    return count, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", required=True, type=Path)
    parser.add_argument("--resources", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    ndefs = len(load_definitions(args.shared))
    count, secs = run((args.shared, args.resources, 7))
    print(f"mix: {ndefs} definitions x {args.resources} resources (90% unrelated, 10% Cognitive Services)")
    print(f"1 process: {count} evaluations in {secs:.2f}s = {count / secs:,.0f}/s")
    if args.workers > 1:
        with multiprocessing.Pool(args.workers) as pool:
            start = time.perf_counter()
            parts = pool.map(run, [(args.shared, args.resources, 7 + w) for w in range(args.workers)])
            wall = time.perf_counter() - start
        total = sum(c for c, _ in parts)
        busy = max(s for _, s in parts)
        print(f"{args.workers} processes: {total} evaluations, {total / busy:,.0f}/s (evaluation time), "
              f"{total / wall:,.0f}/s (wall, incl. start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
