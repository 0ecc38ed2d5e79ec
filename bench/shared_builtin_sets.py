"""Coverage: every built-in policy set resolves and compiles against the built-in definitions.

Usage: python bench/shared_builtin_sets.py --shared ../shared

Loads ``azure-policy-builtins/policyDefinitions`` and ``policySetDefinitions`` through
``load_policy_files`` (the same path `eval --definition` uses), then for every set whose parameters all
have defaults also plumbs the parameters set -> member (defaults, allowedValues, member expressions)
and resolves each member's effect. Prints counts and every failure; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    """Resolve and compile all built-in sets; exit 1 if one fails."""
    from generator.engine.evaluator import load_policy_files
    from generator.errors import ClausegateError

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", required=True, help="path to the shared folder (holds azure-policy-builtins/)")
    args = ap.parse_args(argv)
    root = Path(args.shared) / "azure-policy-builtins"
    defs_dir, sets_dir = root / "policyDefinitions", root / "policySetDefinitions"
    if not defs_dir.is_dir() or not sets_dir.is_dir():
        print(f"not found: {defs_dir} or {sets_dir}", file=sys.stderr)
        return 2
    set_files = sorted(sets_dir.rglob("*.json"))
    t0 = time.perf_counter()
    lib = load_policy_files([defs_dir, sets_dir])
    dt = time.perf_counter() - t0
    set_failures = [e for e in lib.invalid if e.file and Path(e.file).is_relative_to(sets_dir)]
    def_failures = [e for e in lib.invalid if e not in set_failures]
    members = sum(len(s.members) for s in lib.sets)
    print(f"definitions compiled: {len(lib.definitions)} ({len(def_failures)} failed)")
    print(f"sets resolved and compiled: {len(lib.sets)} of {len(set_files)} set files "
          f"({members} member references; {len(set_failures)} failed) in {dt:.1f}s")
    warned = [w for s in lib.sets for w in s.warnings]
    print(f"member parameters ignored because the set pins another definitionVersion: {len(warned)} "
          f"(in {sum(1 for s in lib.sets if s.warnings)} sets)")
    plumbing_failures: list[str] = []
    plumbed = 0
    for s in lib.sets:
        if not all(p.has_default for p in s.parameters.values()):
            continue
        try:
            from generator.engine.policies import resolve_parameter_values

            values = resolve_parameter_values(s.parameters, {}, owner=f"set {s.name}", source=s.file)
            for m, params in zip(s.members, s.member_parameters(values)):
                if not m.definition.provider_mode:
                    m.definition.resolve_effect(params)
            plumbed += 1
        except ClausegateError as exc:
            plumbing_failures.append(f"{s.file}: {exc}")
    print(f"sets whose parameters all have defaults, plumbed to members with effects resolved: {plumbed} "
          f"({len(plumbing_failures)} failed)")
    for e in def_failures + set_failures:
        print(f"  FAIL {e.where()}: {e.message}")
    for line in plumbing_failures:
        print(f"  FAIL {line}")
    failed = bool(def_failures or set_failures or plumbing_failures or len(lib.sets) != len(set_files))
    print("result: " + ("FAILED" if failed else "all built-in sets resolve and compile"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
