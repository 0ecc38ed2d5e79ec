"""Benchmark: `clausegate check DIR` on Terraform directories of 1, 10, 100 and 1,000 `.tf` files.

Each file holds one OpenAI account and a for_each over 10 model deployments (a police subscription,
and a context naming the resource group, so every deployment is evaluated and most are denied).
Prints, per size, cold (parse cache off: a fresh machine) and warm (the folder checked again: files
the hand-written reader hands on come from the parse cache; it reads these files itself, so here the
two are the same work) figures of whole `clausegate check` processes (default text report,
after warm-up runs): median and best wall time, median CPU time, and the peak memory (ru_maxrss) of
one. Target at 1,000 files: under 3 s and under 150 MB. CPU time is the steadier figure on a busy
machine.

    python bench/check_hcl_dirs.py [--sizes 1,10,100,1000] [--runs 3] [--keep DIR] [--parser NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS = [("gpt-4o", "2024-11-20"), ("gpt-4o-mini", "2024-07-18"), ("o3-mini", "2025-01-31"), ("gpt-4.1", "2025-04-14"),
          ("gpt-35-turbo", "0125")]

FILE = """\
resource "azurerm_cognitive_account" "acct_{i}" {{
  name                = "oai-{i:04d}"
  location            = "francecentral"
  resource_group_name = "rg-ai"
  kind                = "OpenAI"
  sku_name            = "S0"
  tags = {{
    env   = "prod"
    owner = "team-{i}"
  }}
}}

resource "azurerm_cognitive_deployment" "d_{i}" {{
  for_each             = local.models_{i}
  name                 = each.key
  cognitive_account_id = azurerm_cognitive_account.acct_{i}.id
  model {{
    format  = "OpenAI"
    name    = each.value.name
    version = each.value.version
  }}
  sku {{
    name     = "Standard"
    capacity = 10
  }}
}}

locals {{
  models_{i} = {{
{models}
  }}
}}
"""


_EXE = shutil.which("clausegate")
CHECK = [_EXE] if _EXE else [sys.executable, "-m", "generator"]
ARGS = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR"]  # the default text report
# The resource group the accounts land in, without a camera-context attestation: every gpt-4o / gpt-4.1
# deployment is denied (without it, the resource group's tags are unknown and the verdicts undetermined).
CONTEXT = {"resourceGroups": {"rg-ai": {"location": "francecentral", "tags": {"env": "prod"}}}}


def build(folder: Path, files: int) -> None:
    """Write ``files`` .tf files (one account + 10 deployments each) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "providers.tf").write_text(
        'provider "azurerm" {\n  features {}\n  subscription_id = "11111111-2222-3333-4444-555555555555"\n}\n',
        "utf-8")
    for i in range(files):
        models = "\n".join(f'    "m{d}" = {{ name = "{MODELS[d % len(MODELS)][0]}", version = "{MODELS[d % len(MODELS)][1]}" }}'
                           for d in range(10))
        (folder / f"ai_{i:04d}.tf").write_text(FILE.format(i=i, models=models), "utf-8")


def _env(cache: Path, parser: str | None, warm: bool = True) -> dict[str, str]:
    env = dict(os.environ, CLAUSEGATE_CACHE_DIR=str(cache))
    if not warm:
        env["CLAUSEGATE_HCL_CACHE"] = "0"  # every file parsed: a fresh machine, a pipeline without a cache
    # As installed from a wheel: byte code compiled once (the warm-up run writes it), not at every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if parser:
        env["CLAUSEGATE_HCL_PARSER"] = parser
    return env


def _args(folder: Path) -> list[str]:
    context = folder.parent / "context.json"
    if not context.exists():
        context.write_text(json.dumps(CONTEXT), "utf-8")
    return ["check", str(folder), *ARGS, "--context", str(context)]


def run(folder: Path, cache: Path, parser: str | None, warm: bool = True) -> tuple[float, float, float, int]:
    """(wall s, cpu s, peak MB, exit code) of one `clausegate check` process."""
    env = _env(cache, parser, warm)
    cmd = [*CHECK, *_args(folder)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit(f"clausegate check failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, cpu, after.ru_maxrss / 1024, proc.returncode


def peak_of_one(folder: Path, cache: Path, parser: str | None, warm: bool = True) -> float:
    """Peak MB of one run measured alone (ru_maxrss of children is the max over all children so far)."""
    code = ("import resource,subprocess,sys,os;"
            "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    env = _env(cache, parser, warm)
    cmd = [sys.executable, "-c", code, *CHECK, *_args(folder)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True).stdout.strip()
    return int(out) / 1024 if out.isdigit() else float("nan")


def main() -> None:
    """Build the directories, run `clausegate check` on each, print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,10,100,1000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="build the directories here and keep them")
    ap.add_argument("--parser", help="CLAUSEGATE_HCL_PARSER for the runs (python-hcl2: the reference parser only)")
    args = ap.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="clausegate-hcl-bench-"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    # A fixed pure-Python loop: virtual machines change speed from one minute to the next, and this
    # says how fast this one was when the figures below were taken (compare runs by it).
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    print(f"reference loop (10 million additions): {time.perf_counter() - start:.2f} s")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.1f}; median of {args.runs} runs "
          f"of whole processes; parser {args.parser or 'default'}")
    print("cold: the parse cache off (every file parsed); warm: the same folder checked again (files parsed")
    print("before come from the parse cache). Wall time median and best; CPU median; peak of one run.")
    print(f"{'files':>6} {'resources':>9} | {'cold s':>7} {'best':>6} {'cpu s':>6} {'MB':>5} | "
          f"{'warm s':>7} {'best':>6} {'cpu s':>6} {'MB':>5} | exit")
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            folder = base / f"dir-{size}"
            if not folder.exists():
                build(folder, size)
            cells = []
            code = 0
            for warm in (False, True):
                cache = base / "cache"
                run(folder, cache, args.parser, warm)  # warm-up: byte code, the page cache, the parse cache
                if warm:
                    run(folder, cache, args.parser, warm)  # a file is stored the second time it is seen
                runs = []
                for _ in range(args.runs):
                    wall, cpu, _, code = run(folder, cache, args.parser, warm)
                    runs.append((wall, cpu))
                peak = peak_of_one(folder, cache, args.parser, warm)
                cells.append(f"{statistics.median(r[0] for r in runs):7.2f} {min(r[0] for r in runs):6.2f} "
                             f"{statistics.median(r[1] for r in runs):6.2f} {peak:5.0f}")
            print(f"{size:>6} {size * 11:>9} | {cells[0]} | {cells[1]} | {code}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
