"""Time every reader on 10 MB hostile inputs (the promise: no input makes a command run past 10 s).

Usage: python bench/hostile_inputs.py [--size-mb 10] [--only NAME]

Each case writes one hostile file of about ``--size-mb`` megabytes, runs the command reading it as a
subprocess (with a 60 s cap) and prints the exit code and the seconds it took. A case over 10 s is
marked SLOW. Numbers, not assertions: the tests in tests/hostile check the exit codes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAN_HEAD = '{"format_version":"1.2","resource_changes":['
CHANGE = ('{{"address":"azurerm_resource_group.r{i}","mode":"managed","type":"azurerm_resource_group","name":"r{i}",'
          '"change":{{"actions":["create"],"after":{{"name":"r{i}","location":"eastus"}}}}}}')


def cases(size: int) -> dict[str, tuple[str, str, list[str]]]:
    """name -> (file name, content, argv with {f})."""
    deep = "[" * (size // 2) + "]" * (size // 2)
    wide = "[" + ",".join(["[]"] * (size // 3)) + "]"
    yaml_big = "".join(f"k{i}: {{sector: police, n: {i}}}\n" for i in range(size // 30))
    yaml_limit = "".join(f"k{i}: {{sector: police, n: {i}}}\n" for i in range((2 << 20) // 31))
    many = PLAN_HEAD + ",".join(CHANGE.format(i=i) for i in range(size // 170)) + "]}"
    deep_plan = PLAN_HEAD + '{"mode":"managed","x":' + "[" * (size // 2 - 40) + "]" * (size // 2 - 40) + "}]}"
    junk_plan = PLAN_HEAD + ",".join(["1"] * (size // 2)) + "]}"
    string_plan = PLAN_HEAD + CHANGE.format(i=0).replace('"eastus"', '"' + "x" * size + '"') + "]}"
    ints = '{"a": [' + ",".join(["9" * 4000] * (size // 4001)) + "]}"
    ev = ["eval", "--definition", "{d}", "--resource", "{r}"]
    return {
        "deep-json-context": ("ctx.json", deep, ["check", "{p}", "--context", "{f}"]),
        "wide-json-context": ("ctx.json", '{"subscriptions": {}, "x": ' + wide + "}", ["check", "{p}", "--context", "{f}"]),
        "deep-json-policy": ("pol.json", deep, ["eval", "--definition", "{f}", "--resource", "{r}"]),
        "wide-json-resource": ("res.json", wide, [*ev[:3], "--resource", "{f}"]),
        "big-int-resource": ("res.json", ints, [*ev[:3], "--resource", "{f}"]),
        "yaml-10mb-context": ("ctx.yaml", yaml_big, ["check", "{p}", "--context", "{f}"]),
        "yaml-at-limit-context": ("ctx.yaml", yaml_limit, ["check", "{p}", "--context", "{f}"]),
        "yaml-at-limit-pack": ("pack.yaml", yaml_limit, ["generate", "--pack", "{f}", "--out", "out"]),
        "plan-many-changes": ("plan.json", many, ["check", "{f}"]),
        "plan-deep-change": ("plan.json", deep_plan, ["check", "{f}"]),
        "plan-junk-changes": ("plan.json", junk_plan, ["check", "{f}"]),
        "plan-huge-string": ("plan.json", string_plan, ["check", "{f}"]),
        "nul-bytes-check": ("x.json", "\0" * size, ["check", "{f}"]),
        "deep-json-assignment": ("a.json", deep, [*ev, "--assignment", "{f}"]),
        "deep-json-aliases": ("al.json", deep, [*ev, "--aliases", "{f}"]),
        "deep-json-publish-plan": ("pp.json", deep, ["publish", "--plan", "{f}"]),
    }


def main() -> None:
    """Run the cases and print one line each."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=float, default=10.0)
    parser.add_argument("--only")
    args = parser.parse_args()
    size = int(args.size_mb * (1 << 20))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "d.json").write_text(json.dumps({"name": "d", "properties": {"mode": "All", "policyRule": {
            "if": {"field": "type", "equals": "Microsoft.CognitiveServices/accounts"}, "then": {"effect": "audit"}}}}))
        (root / "r.json").write_text(json.dumps({"id": "/subscriptions/x/resourceGroups/g/providers/"
                                                       "Microsoft.CognitiveServices/accounts/a",
                                                 "type": "Microsoft.CognitiveServices/accounts", "name": "a"}))
        (root / "p.json").write_text(PLAN_HEAD + CHANGE.format(i=0) + "]}")
        print(f"{'case':28} {'exit':>4} {'seconds':>8}  (input {args.size_mb:g} MB; over 10 s is SLOW)")
        for name, (fname, content, argv) in cases(size).items():
            if args.only and args.only not in name:
                continue
            target = root / fname
            target.write_text(content)
            full = [a.format(f=target, d=root / "d.json", r=root / "r.json", p=root / "p.json") for a in argv]
            started = time.monotonic()
            try:
                proc = subprocess.run([sys.executable, "-m", "generator", *full], cwd=root, env=env,
                                      capture_output=True, text=True, timeout=60)
                code, err = proc.returncode, proc.stderr.strip().splitlines()
            except subprocess.TimeoutExpired:
                code, err = -1, ["TIMEOUT"]
            took = time.monotonic() - started
            last = err[-1][:90] if err else ""
            print(f"{name:28} {code:>4} {took:8.2f}{'  SLOW' if took > 10 else ''}  {last}")
            target.unlink()


if __name__ == "__main__":
    main()
