"""Policy unit tests kept as files (CONTRACTS.md): discovery, running, judging, text and JUnit output.

A test folder holds one definition or set (plus the set's member definitions) and either ``tests/``
with JSON cases ``{"resource", "context", "parameters", "expect": {"result", "effect"}}`` or bare
resources named ``NAME-deny.json`` / ``NAME-audit.json`` / ``NAME-none.json``. A folder may hold many
test folders at any depth.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Mapping

from generator.errors import ClausegateError, InputError

BARE_CASE_RE = re.compile(r"^(?P<name>.+)-(?P<kind>deny|audit|none)\.json$", re.IGNORECASE)
ACTING = ("match", "undetermined", "error")


def _bare_cases(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if BARE_CASE_RE.match(p.name))


def find_test_folders(root: str | Path) -> list[Path]:
    """Every folder under ``root`` (itself included) with a ``tests/`` folder of JSON cases or bare cases."""
    root = Path(root)
    out = []
    for d in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if d.name == "tests" or any(part.startswith(".") for part in d.relative_to(root).parts):
            continue
        if ((d / "tests").is_dir() and any((d / "tests").glob("*.json"))) or _bare_cases(d):
            out.append(d)
    return out


def policy_files(folder: Path, test_folders: set[Path]) -> list[Path]:
    """Policy JSON of a test folder: its own JSON files and sub-folders that are neither tests nor test folders."""
    files = [p for p in sorted(folder.glob("*.json")) if not BARE_CASE_RE.match(p.name)]
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if sub.name == "tests" or sub in test_folders or sub.name.startswith("."):
            continue
        files.extend(p for p in sorted(sub.rglob("*.json"))
                     if not any(parent in test_folders for parent in p.parents))
    return files


def load_cases(folder: Path) -> list[tuple[Path, dict[str, Any] | None, str | None]]:
    """(file, case, error) for each case of a folder; a case that cannot be read carries its error."""
    import jsonschema

    from generator.report import load_schema
    from generator.safeload import load_json

    validator = jsonschema.Draft202012Validator(load_schema("policy-test"))
    out: list[tuple[Path, dict[str, Any] | None, str | None]] = []
    tests = folder / "tests"
    files = (sorted(tests.glob("*.json")) if tests.is_dir() else []) + _bare_cases(folder)
    for f in files:
        # tests/*.json and bare NAME-deny|audit|none.json cases share one reader and one validation,
        # so a case that cannot be read or is not an object is reported as that case's error.
        try:
            data = load_json(f)
        except InputError as exc:
            out.append((f, None, str(exc)))
            continue
        m = BARE_CASE_RE.match(f.name)
        if m and (f.parent != tests or (isinstance(data, dict) and "expect" not in data)):
            data = _bare_case(data, m.group("kind"))
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            ptr = "".join(f"/{p}" for p in errors[0].absolute_path)
            out.append((f, None, f"{f} at {ptr or '/'}: invalid test case: {errors[0].message}"))
            continue
        out.append((f, data, None))
    return out


def _bare_case(resource: Any, kind: str) -> dict[str, Any]:
    kind = kind.lower()
    expect = {"result": "no-match"} if kind == "none" else {"result": "match", "effect": kind}
    return {"resource": resource, "expect": expect}


def judge(expect: Mapping[str, Any], results: list[dict[str, Any]]) -> tuple[bool, str]:
    """Whether the results meet the expectation, and what was got (one line).

    For a set, 'match'/'undetermined'/'error' pass when some member gives that result (with the
    expected effect, if named); 'no-match' passes when no member matches, is undetermined or fails
    (with the expected effect, if named); 'not-applicable' when every member is not applicable.
    """
    cands = [r for r in results if r["result"] != "invalid"]
    if expect.get("policyDefinitionReferenceId"):
        ref = expect["policyDefinitionReferenceId"].lower()
        cands = [r for r in cands if (r.get("policyDefinitionReferenceId") or "").lower() == ref]
    if expect.get("policyDefinitionName"):
        name = expect["policyDefinitionName"].lower()
        cands = [r for r in cands if r["policyDefinitionName"].lower() == name]
    want = expect["result"]
    eff = (expect.get("effect") or "").lower() or None
    if want == "invalid":
        ok = any(r["result"] == "invalid" for r in results)
    elif want in ACTING:
        ok = any(r["result"] == want and (eff is None or r["effect"] == eff) for r in cands)
    elif want == "no-match":
        ok = bool(cands) and not any(r["result"] in ACTING and (eff is None or r["effect"] == eff) for r in cands)
    else:  # not-applicable
        ok = bool(cands) and all(r["result"] == "not-applicable" for r in cands)
    return ok, describe_got(cands if cands else results)


def describe_got(results: list[dict[str, Any]]) -> str:
    """'match deny (set/ref); 3 no-match' for a case's results."""
    if not results:
        return "no results (no definition applies)"
    acting = [r for r in results if r["result"] in ACTING or r["result"] == "invalid"]
    parts = [f"{r['result']} {r['effect']} ({_label(r)})" for r in acting]
    rest: dict[str, int] = {}
    for r in results:
        if r not in acting:
            rest[r["result"]] = rest.get(r["result"], 0) + 1
    parts += [f"{n} {w}" for w, n in rest.items()]
    return "; ".join(parts)


def _label(r: Mapping[str, Any]) -> str:
    if r.get("policySetDefinitionName"):
        return f"{r['policySetDefinitionName']}/{r.get('policyDefinitionReferenceId')}"
    return str(r["policyDefinitionName"])


def run_policy_tests(directory: str | Path, *, context: Any = None, aliases: Any = None) -> dict[str, Any]:
    """Run every case under ``directory``; return the CONTRACTS report plus ``tests`` and ``summary.tests``."""
    from generator.context import Context
    from generator.engine.evaluator import TRACE_ALL, Evaluator, load_policy_files
    from generator.engine.policies import unwrap_parameter_values
    from generator.report import build_report
    from generator.report.model import Result

    root = Path(directory)
    folders = find_test_folders(root)
    all_results: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    run_warnings: list[str] = []
    base_context = context or Context.empty()
    for folder in folders:
        library = load_policy_files(policy_files(folder, set(folders)), strict=False)
        for case_file, case, error in load_cases(folder):
            address = case_file.relative_to(root).as_posix() if case_file.is_relative_to(root) else str(case_file)
            entry: dict[str, Any] = {"case": address, "folder": folder.as_posix(),
                                     "expect": case["expect"] if case else None}
            results: list[dict[str, Any]] = []
            if error is None and case is not None:
                try:
                    ctx_obj = (Context.from_data(case["context"], source=str(case_file))
                               if "context" in case else base_context)
                    evaluator = Evaluator(library, parameters=unwrap_parameter_values(case.get("parameters"),
                                                                                      str(case_file)),
                                          aliases=aliases, trace=TRACE_ALL)
                    resource = case["resource"]
                    if not isinstance(resource.get("type"), str):
                        raise InputError("the case's resource needs a 'type' string", file=str(case_file),
                                         pointer="/resource/type")
                    rid = resource.get("id") if isinstance(resource.get("id"), str) else None
                    rctx = ctx_obj.resolve(rid)
                    res = evaluator.invalid_results(address) + evaluator.evaluate(
                        resource, rctx, address=address, file=str(case_file))
                    results = [r.to_json() for r in res]
                    run_warnings.extend(evaluator.warnings)
                    run_warnings.extend(f"{address}: the policy reads {m}, which no context gives (evaluated as "
                                        "missing)" for m in rctx.missing if " tag '" in m)
                except ClausegateError as exc:
                    error = str(exc)
            if error is not None:
                results = [Result(resource=address, policyDefinitionName=folder.name, result="invalid",
                                  effect="unknown", message=error, file=str(case_file), trace=[]).to_json()]
                entry.update(passed=False, got=error, invalid=True)
            else:
                assert case is not None
                passed, got = judge(case["expect"], results)
                if not library.definitions and not library.sets:
                    passed, got = False, "no policy definition or set in " + folder.as_posix()
                entry.update(passed=passed, got=got)
            for r in results:
                r["test"] = {"case": address, "passed": entry["passed"]}
            all_results.extend(results)
            tests.append(entry)
    report = build_report(all_results, resources_read=len(tests), skipped=0, checked=len(tests), show_all=True,
                          warnings=run_warnings)
    report["tests"] = tests
    report["summary"]["tests"] = {
        "total": len(tests),
        "passed": sum(1 for t in tests if t["passed"]),
        "failed": sum(1 for t in tests if not t["passed"]),
        "folders": len(folders),
    }
    if not tests:
        # A wrong folder in a pipeline must not pass as "all tests passed".
        raise InputError(f"no policy test cases found under {root.as_posix()} (expected folders holding a "
                         "definition or set and tests/*.json, or NAME-deny.json / NAME-audit.json / NAME-none.json)")
    return report


def _trace_lines(r: Mapping[str, Any]) -> list[str]:
    lines = [f"  {r['result']} {r['effect']} {_label(r)}: {r.get('message', '')}"]
    lines += [f"    - {e}" for e in r.get("explanation") or []]
    lines += [f"    warning: {w}" for w in r.get("warnings") or []]
    for t in r.get("trace") or []:
        lines.append(f"    trace {t.get('pointer')}: {t.get('subject')} {t.get('operator')} "
                     f"{json.dumps(t.get('expected'), default=str)[:80]} -> actual "
                     f"{json.dumps(t.get('actual'), default=str)[:80]}: {t.get('outcome')}")
    return lines


def format_test_text(report: Mapping[str, Any]) -> str:
    """PASS/FAIL per case; every failure shows what was got and the trace of each result."""
    lines = []
    by_case: dict[str, list[Mapping[str, Any]]] = {}
    for r in report["results"]:
        by_case.setdefault(r["test"]["case"], []).append(r)
    for t in report["tests"]:
        exp = t.get("expect") or {}
        want = " ".join(filter(None, [exp.get("result"), exp.get("effect")])) or "?"
        if t["passed"]:
            lines.append(f"PASS {t['case']}: expected {want}; got {t['got']}")
            continue
        lines.append(f"FAIL {t['case']}: expected {want}; got {t['got']}")
        if not t.get("invalid"):
            for r in by_case.get(t["case"], []):
                if r["result"] != "not-applicable":
                    lines.extend(_trace_lines(r))
    s = report["summary"]["tests"]
    lines.append(f"{s['total']} case(s) in {s['folders']} folder(s): {s['passed']} passed, {s['failed']} failed")
    for w in report.get("warnings") or []:
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"


def format_test_junit(report: Mapping[str, Any]) -> str:
    """JUnit XML with one test case per policy test case."""
    root = ET.Element("testsuites", name="clausegate test")
    suites: dict[str, ET.Element] = {}
    by_case: dict[str, list[Mapping[str, Any]]] = {}
    for r in report["results"]:
        by_case.setdefault(r["test"]["case"], []).append(r)
    for t in report["tests"]:
        suite = suites.get(t["folder"])
        if suite is None:
            suite = suites[t["folder"]] = ET.SubElement(root, "testsuite", name=t["folder"])
        case = ET.SubElement(suite, "testcase", name=t["case"], classname=t["folder"])
        if not t["passed"]:
            tag = "error" if t.get("invalid") else "failure"
            body = "\n".join(line for r in by_case.get(t["case"], []) for line in _trace_lines(r))
            ET.SubElement(case, tag, message=f"expected {t.get('expect')}; got {t['got']}").text = body
    for suite in suites.values():
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    s = report["summary"]["tests"]
    root.set("tests", str(s["total"]))
    root.set("failures", str(s["failed"]))
    ET.indent(root)
    from generator.sanitize import xml_document  # control characters and non-ASCII names stay well-formed

    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml_document(ET.tostring(root, encoding="unicode")) + "\n"
