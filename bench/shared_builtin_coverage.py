"""Compile every built-in policy definition in ../shared, then evaluate every definition and set per resource type.

Usage: python bench/shared_builtin_coverage.py --shared ../shared [--verbose] [--types-only]

Part 2 (issue 14's acceptance): every built-in definition, and every built-in set, evaluated through
the policy layer (Evaluator, implicit assignment, default parameter values) against a plain resource
of each of the 20 most used resource types. Per type it prints the count of each result word and
fails (exit 1) on any `error` result or any `invalid` one other than "parameter has no value and no
default" (Azure rejects such an assignment too).
Part 1:
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


# The 20 most used resource types (a typical estate's inventory, by count), each as a plain resource.
TOP_TYPES = [
    "Microsoft.Compute/disks", "Microsoft.Network/networkInterfaces", "Microsoft.Compute/virtualMachines",
    "Microsoft.Storage/storageAccounts", "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Network/publicIPAddresses", "Microsoft.Network/virtualNetworks", "Microsoft.Compute/virtualMachines/extensions",
    "Microsoft.KeyVault/vaults", "Microsoft.Web/sites", "Microsoft.Web/serverFarms", "Microsoft.Insights/components",
    "Microsoft.OperationalInsights/workspaces", "Microsoft.Sql/servers", "Microsoft.Sql/servers/databases",
    "Microsoft.Network/loadBalancers", "Microsoft.ContainerRegistry/registries",
    "Microsoft.ContainerService/managedClusters", "Microsoft.CognitiveServices/accounts",
    "Microsoft.Resources/subscriptions/resourceGroups",
]
SUB = "00000000-0000-4000-8000-000000000001"
ALLOWED_INVALID = "has no value and no defaultValue"


def plain_resource(rtype: str) -> dict:
    """A resource of the type with only generic fields and empty properties."""
    name = "plain1"
    if rtype.lower() == "microsoft.resources/subscriptions/resourcegroups":
        rid = f"/subscriptions/{SUB}/resourceGroups/rg-plain"
        name = "rg-plain"
    else:
        ns, _, rest = rtype.partition("/")
        parts = rest.split("/")
        names = [name] * len(parts)
        rid = f"/subscriptions/{SUB}/resourceGroups/rg-plain/providers/{ns}/" + "/".join(
            f"{t}/{n}" for t, n in zip(parts, names))
        name = "/".join(names)
    return {"id": rid, "type": rtype, "name": name, "location": "eastus", "tags": {}, "kind": "",
            "properties": {}}


def type_coverage(shared: Path, verbose: bool) -> int:
    """Evaluate every built-in definition and set per type; returns the number of failures."""
    from generator.context import Context
    from generator.engine.evaluator import Evaluator, load_policy_files

    base = shared / "azure-policy-builtins"
    start = time.perf_counter()
    definitions = load_policy_files([base / "policyDefinitions"])
    with_sets = load_policy_files([base / "policyDefinitions", base / "policySetDefinitions"])
    loaded = time.perf_counter() - start
    context = Context.from_data({"subscriptions": {"*": {"displayName": "bench", "tags": {}}},
                                 "resourceGroups": {"rg-plain": {"location": "eastus", "tags": {}}}})
    evaluators = [("definitions", Evaluator(definitions, trace="none")), ("sets", Evaluator(with_sets, trace="none"))]
    print(f"\nper type: {len(definitions.definitions)} definitions and {len(with_sets.sets)} sets "
          f"(loaded and compiled in {loaded:.1f}s)")
    failures = 0
    bad: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    for rtype in TOP_TYPES:
        resource = plain_resource(rtype)
        ctx = context.resolve(resource["id"])
        words: collections.Counter[str] = collections.Counter()
        type_failures = 0
        for label, ev in evaluators:
            results = ev.invalid_results(resource["id"]) + ev.evaluate(resource, ctx, address=resource["id"])
            for r in results:
                words[r.result] += 1
                if r.result == "error" or (r.result == "invalid" and ALLOWED_INVALID not in r.message):
                    type_failures += 1
                    key = f"{r.result}: {r.message[:100]}"
                    bad[key] += 1
                    examples.setdefault(key, f"{label} {r.policySetDefinitionName or ''} {r.policyDefinitionName}")
        failures += type_failures
        counts = ", ".join(f"{words[w]} {w}" for w in ("match", "no-match", "undetermined", "error",
                                                          "not-applicable", "invalid") if words[w])
        print(f"  {'FAIL' if type_failures else 'ok  '} {rtype}: {counts}"
              + (f"; {type_failures} not allowed" if type_failures else ""))
    for key, n in bad.most_common(None if verbose else 20):
        print(f"    {n:5d}  {key}  (e.g. {examples[key]})")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", required=True, type=Path)
    parser.add_argument("--verbose", action="store_true", help="list every failure")
    parser.add_argument("--types-only", action="store_true", help="only the per-type evaluation (part 2)")
    args = parser.parse_args(argv)
    if args.types_only:
        return 1 if type_coverage(args.shared, args.verbose) else 0
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
    type_failures = type_coverage(args.shared, args.verbose)
    return 1 if failures or crashes or set_failures or type_failures else 0


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
