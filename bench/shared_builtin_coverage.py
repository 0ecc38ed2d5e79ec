"""Compile every built-in policy definition in ../shared and report how many compile, and why not.

Usage: python bench/shared_builtin_coverage.py --shared ../shared [--verbose]
Compiles `policyRule.if`, `then.details.existenceCondition` and every template expression in
`then` (except the ARM deployment template a deployIfNotExists carries, which is not policy
language), then every expression in the policy sets' parameter values. Each compiled `if` is
also evaluated against a few synthetic resources (known, empty and unknown properties): any
exception other than an evaluation error counts as a crash. Exit code 1 on any failure or crash.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.engine.conditions import compile_condition, compile_value  # noqa: E402
from generator.engine.scope import Scope  # noqa: E402
from generator.engine.values import UNKNOWN, EvaluationError  # noqa: E402
from generator.errors import PolicyCompileError  # noqa: E402


def compile_definition(doc: dict) -> int:
    """Compile one definition document; returns the number of conditions/values compiled."""
    return _compile(doc)[0]


def _compile(doc: dict) -> tuple[int, object]:
    base = "/properties" if isinstance(doc.get("properties"), dict) else ""
    props = doc["properties"] if base else doc
    rule = props.get("policyRule")
    if not isinstance(rule, dict):
        raise PolicyCompileError("no policyRule object", pointer=f"{base}/policyRule")
    if "if" not in rule:
        raise PolicyCompileError("policyRule has no 'if'", pointer=f"{base}/policyRule")
    condition = compile_condition(rule["if"], f"{base}/policyRule/if")
    count = 1
    then = rule.get("then")
    if not isinstance(then, dict):
        raise PolicyCompileError("policyRule has no 'then' object", pointer=f"{base}/policyRule/then")
    count += _values(then, f"{base}/policyRule/then")
    return count, condition


def smoke(doc: dict, condition: object) -> int:
    """Evaluate against synthetic resources; returns how many evaluations raised an evaluation error."""
    props = doc.get("properties", doc)
    params = {}
    for name, spec in (props.get("parameters") or {}).items():
        kind = str(spec.get("type", "")).lower()
        params[name] = spec.get("defaultValue", [] if kind == "array" else {} if kind == "object" else 1 if kind == "integer" else "x")
    rule_text = json.dumps(props["policyRule"]["if"])
    rtype = "Microsoft.Storage/storageAccounts"
    marker = '"field": "type", "equals": "'
    if marker in rule_text:
        rtype = rule_text.split(marker, 1)[1].split('"', 1)[0]
    errors = 0
    for properties in ({}, {"x": [1, {"y": None}]}, UNKNOWN):
        resource = {"type": rtype, "name": "r1", "location": "eastus", "kind": "k", "tags": {"env": "prod"},
                    "id": f"/subscriptions/s/resourceGroups/rg/providers/{rtype}/r1", "properties": properties}
        scope = Scope(resource, params, {"subscriptionId": "s", "tags": {}}, {"name": "rg", "location": "eastus", "tags": {}},
                      {"apiVersion": "2024-01-01", "identity": {}}, {}, trace=[])
        try:
            condition.evaluate(scope)  # type: ignore[attr-defined]
        except EvaluationError:
            errors += 1
    return errors


def _values(node: object, pointer: str) -> int:
    n = 0
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{pointer}/{k}"
            low = k.lower()
            if low == "deployment":
                continue  # an ARM template: template functions, not policy language
            if low == "existencecondition":
                compile_condition(v, p)
                n += 1
            else:
                n += _values(v, p)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            n += _values(v, f"{pointer}/{i}")
    elif isinstance(node, str):
        compile_value(node, pointer)
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", required=True, type=Path)
    parser.add_argument("--verbose", action="store_true", help="list every failure")
    args = parser.parse_args(argv)
    root = args.shared / "azure-policy-builtins" / "policyDefinitions"
    files = sorted(root.rglob("*.json"))
    if not files:
        print(f"no definitions under {root}", file=sys.stderr)
        return 2
    ok = 0
    eval_errors = 0
    crashes: list[tuple[Path, str]] = []
    failures: list[tuple[Path, str]] = []
    reasons: collections.Counter[str] = collections.Counter()
    start = time.perf_counter()
    for f in files:
        try:
            doc = json.loads(f.read_text(encoding="utf-8-sig"))
            _, condition = _compile(doc)
            ok += 1
        except (PolicyCompileError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            failures.append((f, str(exc)))
            reasons[getattr(exc, "message", str(exc)).split(":")[0][:80]] += 1
            continue
        try:
            eval_errors += smoke(doc, condition)
        except Exception as exc:  # noqa: BLE001 - a crash is what this counts
            crashes.append((f, f"{type(exc).__name__}: {exc}"))
    elapsed = time.perf_counter() - start
    print(f"built-in definitions: {len(files)}; compiled: {ok}; failed: {len(failures)} ({elapsed:.1f}s)")
    for reason, n in reasons.most_common():
        print(f"  {n:5d}  {reason}")
    for f, msg in failures if args.verbose else failures[:20]:
        print(f"FAIL {f.relative_to(root)}: {msg}")
    print(f"smoke evaluations: {3 * ok}; evaluation errors (result 'error', expected for some "
          f"synthetic inputs): {eval_errors}; crashes: {len(crashes)}")
    for f, msg in crashes[:20]:
        print(f"CRASH {f.relative_to(root)}: {msg}")
    set_ok, set_failures = compile_sets(args.shared / "azure-policy-builtins" / "policySetDefinitions")
    print(f"built-in policy sets: {set_ok + len(set_failures)}; parameter expressions compiled in {set_ok}; "
          f"failed: {len(set_failures)}")
    for f, msg in set_failures[:20]:
        print(f"FAIL set {f.name}: {msg}")
    return 1 if failures or crashes or set_failures else 0


def compile_sets(root: Path) -> tuple[int, list[tuple[Path, str]]]:
    """Compile every expression in the sets' member parameter values."""
    ok = 0
    failures: list[tuple[Path, str]] = []
    for f in sorted(root.rglob("*.json")):
        try:
            doc = json.loads(f.read_text(encoding="utf-8-sig"))
            props = doc.get("properties", doc)
            for i, member in enumerate(props.get("policyDefinitions") or []):
                _values(member.get("parameters") or {}, f"/properties/policyDefinitions/{i}/parameters")
            ok += 1
        except (PolicyCompileError, json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
            failures.append((f, str(exc)))
    return ok, failures


if __name__ == "__main__":
    sys.exit(main())
