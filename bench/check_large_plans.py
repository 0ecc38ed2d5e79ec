"""Benchmark: `clausegate check` on synthetic Terraform plans of 1,000 to 100,000 resources.

Prints, per size, the median wall time and CPU time (user + system) of whole `clausegate check`
processes beside those of a plain `python -c 'json.load(...)'` of the same file, and the peak memory
(ru_maxrss) of each child. Runs are interleaved so that load from other processes hits both alike;
CPU time is the steadier measure on a busy machine. About 11% of the resources are resource groups,
OpenAI accounts and model deployments (mapped and evaluated), the rest storage accounts (skipped).
Targets at 100,000 resources (~170 MB): check no slower than json.load, peak memory below the file size.
The last columns are the check/json.load ratios and whether check's peak memory is below the file size;
below ~30 MB of plan that cannot hold, since the interpreter with clausegate loaded needs ~25 MB.

    python bench/check_large_plans.py [--sizes 1000,10000,100000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

SUB = "11111111-2222-3333-4444-555555555555"
MODELS = [("gpt-4o", "2024-11-20"), ("gpt-4o-mini", "2024-07-18"), ("o3-mini", "2025-01-31")]


def _storage_values(i: int) -> dict[str, Any]:
    # A typical non-AI resource: most of a real plan is types clausegate skips.
    return {
        "name": f"st{i:07d}",
        "resource_group_name": f"rg-{i // 100:05d}",
        "location": "eastus",
        "account_tier": "Standard",
        "account_replication_type": "LRS",
        "public_network_access_enabled": False,
        "tags": {"env": "prod", "owner": "platform-team"},
    }


def _resources(n: int) -> Iterator[tuple[str, str, str, Any, dict[str, Any], dict[str, Any], list[str], dict[str, Any]]]:
    """Yield (module, type, name, index, values, after_unknown, actions, expressions) for n resources."""
    n_groups = max(1, n // 100)
    for g in range(n_groups):
        module = "module.ai" if g % 2 else ""
        rg = f"rg-{g:05d}"
        yield (module, "azurerm_resource_group", "rg", rg, {"name": rg, "location": "eastus", "tags": {"ai-attested": "true" if g % 3 else "false", "env": "prod"}}, {}, ["create"] if g % 4 == 0 else ["no-op"], {"name": {"constant_value": rg}})
        yield (module, "azurerm_cognitive_account", "acct", rg, {"name": f"oai-{g:05d}", "resource_group_name": rg, "location": "eastus", "kind": "OpenAI", "sku_name": "S0", "custom_subdomain_name": f"oai-{g:05d}", "public_network_access_enabled": False, "local_auth_enabled": False, "tags": {"env": "prod"}}, {"id": True, "endpoint": True}, ["create"] if g % 4 == 0 else ["no-op"], {"resource_group_name": {"references": ['azurerm_resource_group.rg["x"].name', "azurerm_resource_group.rg"]}})
        for d, (model, version) in enumerate(MODELS * 3):
            key = f"{g}-{d}"
            yield (module, "azurerm_cognitive_deployment", "d", key, {"name": f"{model}-{d}", "model": [{"format": "OpenAI", "name": model, "version": version}], "sku": [{"name": "GlobalStandard" if d % 2 else "Standard", "capacity": 10, "tier": None, "size": None, "family": None}], "rai_policy_name": "Microsoft.DefaultV2", "version_upgrade_option": "NoAutoUpgrade", "cognitive_account_id": None}, {"cognitive_account_id": True, "id": True, "model": [{}], "sku": [{}]}, ["create"], {"cognitive_account_id": {"references": ['azurerm_cognitive_account.acct["x"].id', "azurerm_cognitive_account.acct"]}})
    produced = n_groups * (2 + len(MODELS) * 3)
    for i in range(max(0, n - produced)):
        module = "module.data" if i % 3 == 0 else ""
        yield (module, "azurerm_storage_account", "st", i, _storage_values(i), {"id": True, "primary_blob_endpoint": True, "primary_access_key": True}, ["create"] if i % 5 == 0 else ["no-op"], {"name": {"references": ["var.prefix"]}})


def _address(module: str, tf_type: str, name: str, index: Any) -> str:
    key = f"[{json.dumps(index)}]"
    base = f"{tf_type}.{name}{key}"
    return f"{module}.{base}" if module else base


def build_plan(n: int, path: Path) -> int:
    """Write a synthetic `terraform show -json` plan with about ``n`` resources; return its size."""
    rows = list(_resources(n))
    enc = json.JSONEncoder(separators=(",", ":")).encode
    with path.open("w", encoding="utf-8") as out:
        out.write('{"format_version":"1.2","terraform_version":"1.9.8","variables":{"prefix":{"value":"st"}},')

        def module_tree(kind: str) -> None:
            by_mod: dict[str, list[str]] = {}
            for module, tf_type, name, index, values, *_ in rows:
                if kind == "planned":
                    item = {"address": _address(module, tf_type, name, index), "mode": "managed", "type": tf_type, "name": name, "index": index, "provider_name": "registry.terraform.io/hashicorp/azurerm", "schema_version": 0, "values": values, "sensitive_values": {"tags": {}}}
                else:
                    item = {"address": _address(module, tf_type, name, index), "mode": "managed", "type": tf_type, "name": name, "index": index, "provider_name": "registry.terraform.io/hashicorp/azurerm", "schema_version": 0, "values": dict(values, id=f"/subscriptions/{SUB}/x/{name}"), "sensitive_values": {}}
                by_mod.setdefault(module, []).append(enc(item))
            out.write('{"root_module":{"resources":[' + ",".join(by_mod.get("", [])) + '],"child_modules":[')
            out.write(",".join('{"address":' + enc(m) + ',"resources":[' + ",".join(items) + "]}" for m, items in by_mod.items() if m))
            out.write("]}}")

        out.write('"planned_values":')
        module_tree("planned")
        out.write(',"resource_changes":[')
        first = True
        for module, tf_type, name, index, values, unknown, actions, _ in rows:
            change = {"address": _address(module, tf_type, name, index), "mode": "managed", "type": tf_type, "name": name, "index": index, "provider_name": "registry.terraform.io/hashicorp/azurerm", "change": {"actions": actions, "before": None if actions == ["create"] else values, "after": values, "after_unknown": unknown, "before_sensitive": False if actions == ["create"] else {}, "after_sensitive": {"tags": {}}}}
            if module:
                change["module_address"] = module
            out.write(("" if first else ",") + enc(change))
            first = False
        out.write('],"prior_state":{"format_version":"1.0","terraform_version":"1.9.8","values":')
        module_tree("prior")
        out.write('},"configuration":{"provider_config":{"azurerm":{"name":"azurerm","full_name":"registry.terraform.io/hashicorp/azurerm","expressions":{"subscription_id":{"constant_value":"' + SUB + '"}}}},')
        blocks: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        for module, tf_type, name, _index, _values, _u, _a, expressions in rows:
            blocks.setdefault(module, {})[(tf_type, name)] = expressions
        def block_json(items: dict[tuple[str, str], dict[str, Any]]) -> str:
            return ",".join(enc({"address": f"{t}.{nm}", "mode": "managed", "type": t, "name": nm, "provider_config_key": "azurerm", "expressions": e, "schema_version": 0, "for_each_expression": {"references": ["local.items"]}}) for (t, nm), e in items.items())
        out.write('"root_module":{"resources":[' + block_json(blocks.get("", {})) + '],"module_calls":{')
        out.write(",".join(enc(m.split(".", 1)[1]) + ':{"source":"./modules/' + m.split(".", 1)[1] + '","module":{"resources":[' + block_json(items) + "]}}" for m, items in blocks.items() if m))
        out.write('}}},"relevant_attributes":[],"timestamp":"2026-11-27T00:00:00Z","applyable":true,"complete":true,"errored":false}')
    return path.stat().st_size


def _run(argv: list[str]) -> tuple[float, float, float]:
    """Run a child process; return (wall seconds, CPU seconds, peak RSS in MB) of that child."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        raise SystemExit(f"{' '.join(argv[:3])}... failed ({code}): {err[-2000:]}")
    # ru_maxrss is KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale / 1e6


def main() -> None:
    """Build the plans, time both readers, print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="keep the plans in this folder")
    parser.add_argument("--build", nargs=2, metavar=("N", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build_plan(int(args.build[0]), Path(args.build[1]))
        return
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="clausegate-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("clausegate")
    check_cmd = [exe] if exe else [sys.executable, "-m", "generator"]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"median of {args.runs} interleaved runs of whole processes (wall s / CPU s / peak MB)")
    print(f"{'resources':>10} {'file MB':>8} | {'json.load':>22} | {'clausegate check':>22} | {'wall':>5} {'cpu':>5} {'mem<file':>8}")
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            plan = tmp / f"plan-{n}.json"
            if not plan.exists():
                # Built in a child process: a forked child's peak RSS counts the parent's pages from
                # before exec, so a bench process that had held 100,000 rows would inflate every reading.
                subprocess.run([sys.executable, __file__, "--build", str(n), str(plan)], check=True)
            size = plan.stat().st_size
            load_argv = [sys.executable, "-c", "import json,sys; json.load(open(sys.argv[1], 'rb'))", str(plan)]
            check_argv = [*check_cmd, "check", str(plan), "--format", "json", "--output-file", os.devnull]
            loads, checks = [], []
            for _ in range(args.runs):  # interleaved, so that load from other processes hits both alike
                loads.append(_run(load_argv))
                checks.append(_run(check_argv))
            lw, lc, lm = (statistics.median(x[i] for x in loads) for i in range(3))
            cw, cc, cm = (statistics.median(x[i] for x in checks) for i in range(3))
            mb = size / 1e6
            print(f"{n:>10} {mb:>8.1f} | {lw:>7.2f} {lc:>7.2f} {lm:>6.0f} | {cw:>7.2f} {cc:>7.2f} {cm:>6.0f} | "
                  f"{cw / lw:>5.2f} {cc / lc:>5.2f} {'yes' if cm < mb else 'no':>8}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
