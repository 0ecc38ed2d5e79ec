"""`clausegate eval` at scale: built-ins x N resources end to end, a 200,000-item count, one-resource latency.

Usage: python bench/eval_scale.py [--shared ../shared] [--resources 1000] [--format json] [--skip-builtins]

1. Built-ins x resources (needs ../shared): every built-in definition (policyDefinitions/, 5,009) against
   N plain resources of the 20 most used types (bench/shared_builtin_coverage.TOP_TYPES, round robin, with a
   few properties), run as `python -m generator eval --format json` in a subprocess writing to a file.
   Prints wall and CPU seconds, evaluations per second (evaluations / wall seconds, loading included),
   the child's peak RSS and the output size. Targets (issue 14 item 9): >= 100,000 evaluations/s and
   < 500 MB peak for 1,000 resources in JSON.
2. A count over 200,000 array members (count.field with a two-condition where, and a [*] condition),
   in process, CPU seconds (issue 20: under 1 s).
3. `clausegate eval` of one resource against one definition, wall seconds of the whole process (issue 14:
   under 0.3 s), best of 5.
Numbers are from a shared machine: compare runs made at the same time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def make_resources(n: int) -> list[dict]:
    """N resources of the 20 most used types, round robin, each with a few properties."""
    from shared_builtin_coverage import TOP_TYPES, plain_resource

    out = []
    for i in range(n):
        rtype = TOP_TYPES[i % len(TOP_TYPES)]
        r = plain_resource(rtype)
        r["id"] = r["id"].replace("plain1", f"r{i}")
        r["name"] = r["name"].replace("plain1", f"r{i}")
        r["tags"] = {"env": "prod" if i % 3 else "dev"}
        r["properties"] = {"provisioningState": "Succeeded", "publicNetworkAccess": "Enabled" if i % 2 else "Disabled",
                           "minimumTlsVersion": "TLS1_2"}
        out.append(r)
    return out


def builtins_scale(shared: Path, n: int, fmt: str) -> None:
    """Run eval of every built-in definition against n resources; print rate, memory, size."""
    defs = shared / "azure-policy-builtins" / "policyDefinitions"
    count = sum(1 for _ in defs.rglob("*.json"))
    with tempfile.TemporaryDirectory() as tmp:
        res = Path(tmp) / "resources.json"
        res.write_text(json.dumps(make_resources(n)), encoding="utf-8")
        out = Path(tmp) / f"report.{fmt}"
        env = {**os.environ, "CLAUSEGATE_CACHE_DIR": str(Path(tmp) / "cache")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        with out.open("w", encoding="utf-8") as fh:
            proc = subprocess.run([sys.executable, "-m", "generator", "eval", "--definition", str(defs),
                                   "--resource", str(res), "--format", fmt],
                                  stdout=fh, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        size = out.stat().st_size
        evaluations = None
        if fmt == "json" and proc.returncode in (0, 1, 2):
            with out.open(encoding="utf-8") as fh:
                tail = fh.read()[-2000:]
            try:
                evaluations = json.loads("{" + tail[tail.rindex('"summary"'):])["summary"]["total"]
            except ValueError:
                evaluations = None
        evaluations = evaluations or count * n
    print(f"built-ins x resources: {count} definitions x {n} resources = {evaluations:,} evaluations, "
          f"--format {fmt}, exit {proc.returncode}")
    if proc.returncode not in (0, 1, 2):
        print(proc.stderr[-2000:])
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s -> {evaluations / wall:,.0f} evaluations/s wall, "
          f"{evaluations / max(cpu, 1e-9):,.0f}/s CPU (target >= 100,000/s)")
    print(f"  peak RSS of the eval process: {after.ru_maxrss / 1024:.0f} MB (target < 500 MB); "
          f"report {size / 1e6:.0f} MB")


def count_200k() -> None:
    """A count (and a [*] condition) over 200,000 members, CPU seconds."""
    from generator.engine.conditions import compile_condition
    from generator.engine.scope import Scope

    nsg = "Microsoft.Network/networkSecurityGroups"
    rules = [{"name": f"r{i}", "properties": {"direction": "Inbound" if i % 2 else "Outbound", "access": "Allow",
                                              "destinationPortRange": str(i % 65536)}} for i in range(200_000)]
    resource_ = {"type": nsg, "name": "big", "properties": {"securityRules": rules}}
    count = compile_condition({"count": {"field": f"{nsg}/securityRules[*]", "where": {"allOf": [
        {"field": f"{nsg}/securityRules[*].direction", "equals": "Inbound"},
        {"field": f"{nsg}/securityRules[*].access", "equals": "Allow"}]}}, "greater": 0}, "/if")
    star = compile_condition({"field": f"{nsg}/securityRules[*].access", "equals": "Allow"}, "/if")
    for label, cond in (("count with a 2-condition where", count), ("[*] condition", star)):
        best = None
        for _ in range(3):
            scope = Scope(resource_)
            t = time.process_time()
            outcome = cond.evaluate(scope)
            took = time.process_time() - t
            best = took if best is None else min(best, took)
        print(f"200,000-member {label}: {best:.2f} s CPU (outcome {outcome}; target < 1 s)")


def one_resource_latency() -> None:
    """Wall seconds of a whole `clausegate eval` process for one resource and one definition."""
    definition = {"name": "no-public", "properties": {"mode": "All", "policyRule": {
        "if": {"allOf": [{"field": "type", "equals": "Microsoft.Storage/storageAccounts"},
                         {"field": "Microsoft.Storage/storageAccounts/allowBlobPublicAccess", "equals": True}]},
        "then": {"effect": "deny"}}}}
    res = {"type": "Microsoft.Storage/storageAccounts", "name": "s", "properties": {"allowBlobPublicAccess": True}}
    with tempfile.TemporaryDirectory() as tmp:
        d, r = Path(tmp) / "d.json", Path(tmp) / "r.json"
        d.write_text(json.dumps(definition))
        r.write_text(json.dumps(res))
        best = best_cpu = None
        for _ in range(5):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "generator", "eval", "--definition", str(d), "--resource", str(r)],
                           capture_output=True, cwd=REPO, env={**os.environ, "CLAUSEGATE_CACHE_DIR": tmp})
            took = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best = took if best is None else min(best, took)
            best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    print(f"clausegate eval of one resource: {best:.2f} s wall, {best_cpu:.2f} s CPU, whole process "
          "(target < 0.3 s; wall time includes waiting for the CPU on a busy machine)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--format", default="json", choices=["json", "text", "sarif", "junit"])
    parser.add_argument("--skip-builtins", action="store_true")
    args = parser.parse_args(argv)
    count_200k()
    one_resource_latency()
    if not args.skip_builtins:
        if (args.shared / "azure-policy-builtins").is_dir():
            builtins_scale(args.shared, args.resources, args.format)
        else:
            print(f"built-ins x resources: skipped ({args.shared}/azure-policy-builtins not found)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
