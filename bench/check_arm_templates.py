"""Seconds to expand and to `clausegate check` templates of 10 to 800 resources (ARM's per-template
limit), built as a copy loop of model deployments plus a Bicep-style nested module per 100.

Usage: python bench/check_arm_templates.py [--sizes 10,100,800]
Prints one line per size: expansion seconds (template reader only) and whole-check seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def build(n: int) -> dict:
    """A template with ``n`` model deployments: a copy loop, and nested modules of 100."""
    models = ["gpt-4o", "text-embedding-3-small", "gpt-4.1-mini"]
    loop = max(0, n - 100 * (n // 200))
    module_count = (n - loop) // 100
    dep = {"type": "Microsoft.CognitiveServices/accounts/deployments", "apiVersion": "2024-10-01",
           "name": "[format('acct/d{0}', copyIndex())]", "copy": {"name": "d", "count": "[parameters('n')]"},
           "sku": {"name": "Standard", "capacity": 1},
           "properties": {"model": {"format": "OpenAI", "name": "[parameters('models')[mod(copyIndex(), 3)]]",
                                    "version": "1"}}}
    params = {"n": {"type": "int"}, "models": {"type": "array", "defaultValue": models}}
    inner = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "parameters": params, "resources": [dep]}
    resources: list = [dict(dep, copy={"name": "d", "count": loop})]
    for i in range(module_count):
        resources.append({"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": f"m{i}",
                          "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                                         "parameters": {"n": {"value": 100}}, "template": inner}})
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"models": {"type": "array", "defaultValue": models}}, "resources": resources}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,100,800")
    args = parser.parse_args()
    from generator.armtemplate import read_template_file

    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"t{n}.json"
            path.write_text(json.dumps(build(n), indent=2), encoding="utf-8")
            start = time.perf_counter()
            expansion, _run = read_template_file(str(path))
            expand = time.perf_counter() - start
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "generator", "check", str(path), "--subscription-tag",
                            "sector=police", "--subscription-tag", "jurisdiction=US", "--format", "json"],
                           capture_output=True, check=False)
            whole = time.perf_counter() - start
            print(f"{n:>5} resources: read {len(expansion.resources):>5}  expand {expand:6.3f} s  check {whole:6.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
