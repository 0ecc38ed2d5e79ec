"""`clausegate eval` and `clausegate test` without the CLI: read, evaluate, report, decide the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from generator.errors import InputError
from generator.report.emit import OutputSpec


@dataclass
class EvalRequest:
    """What `eval` was asked for."""

    definitions: tuple[str, ...]
    resource_files: tuple[str, ...]
    parameters_file: str | None = None
    context_file: str | None = None
    context_data: dict[str, Any] | None = None
    parameters_data: dict[str, Any] | None = None
    subscription_tags: dict[str, str] = field(default_factory=dict)
    assignment_files: tuple[str, ...] = ()
    exemption_files: tuple[str, ...] = ()
    fail_on: tuple[str, ...] = ()
    aliases_file: str | None = None
    action: str = "create"
    explain_all: bool = False        # --all: explain every result, no-match too
    output: OutputSpec = field(default_factory=OutputSpec)


def load_resources(path: str) -> list[tuple[dict[str, Any], str, int | None]]:
    """Read ARM resource JSON/YAML: one object, an array, or {"value": [...]}; returns (resource, address, line)."""
    from generator.context import parse_json_or_yaml
    from generator.fsio import read_text

    data = parse_json_or_yaml(read_text(path), str(path))
    if isinstance(data, dict) and isinstance(data.get("value"), list) and "type" not in data:
        items, base = data["value"], "/value"
    elif isinstance(data, list):
        items, base = data, ""
    else:
        items, base = [data], None
    out = []
    for i, item in enumerate(items):
        pointer = f"{base}/{i}" if base is not None else ""
        if not isinstance(item, dict):
            raise InputError("an ARM resource must be a JSON object", file=path, pointer=pointer)
        if not isinstance(item.get("type"), str) or not item["type"]:
            raise InputError("an ARM resource needs a 'type' string (e.g. Microsoft.CognitiveServices/accounts)",
                             file=path, pointer=f"{pointer}/type")
        if isinstance(item.get("id"), str) and item["id"]:
            address = item["id"]
        else:
            address = Path(path).name if base is None else f"{Path(path).name}{pointer}"
        out.append((item, address, None))
    return out


def _aliases(aliases_file: str | None) -> Any:
    if not aliases_file:
        return None
    from generator.engine.aliases import AliasTable

    return AliasTable.with_extra(aliases_file)


def _prepare(req: EvalRequest) -> tuple[Any, Any, Any, dict[str, Any], list[str], list[tuple[Any, ...]]]:
    """Inputs of one `eval` run: (library, evaluator, context, parameters, warnings, resources)."""
    from generator.check import load_context, read_parameters
    from generator.engine.assignments import load_assignment
    from generator.engine.evaluator import TRACE_ALL, TRACE_REPORTED, Evaluator, load_policy_files

    resources = [(res, address, line, path) for path in req.resource_files
                 for res, address, line in load_resources(path)]
    context = load_context(req.context_file, req.subscription_tags, req.context_data)
    params = read_parameters(req.parameters_file)
    if req.parameters_data:
        from generator.engine.policies import unwrap_parameter_values

        params = {**unwrap_parameter_values(req.parameters_data, ".clausegate.yaml parameters"), **params}
    library = load_policy_files(req.definitions)
    if not library.definitions and not library.sets and not library.invalid:
        # A wrong folder in a pipeline must not pass as "nothing matched".
        raise InputError("no policy definition or set found under " + ", ".join(req.definitions))
    from generator.exempt import implied_assignments, load_exemptions

    assignments = [load_assignment(p) for p in req.assignment_files]
    exemptions = load_exemptions(req.exemption_files)
    implied, expired = implied_assignments(exemptions, assignments, library)
    evaluator = Evaluator(
        library,
        assignments=assignments + implied,
        exemptions=exemptions,
        parameters=params,
        fail_on=req.fail_on,
        aliases=_aliases(req.aliases_file),
        # One resource: explain everything (people read it); many: only what is reported, unless --all.
        trace=TRACE_ALL if req.explain_all or len(resources) <= 1 else TRACE_REPORTED,
        parameters_file=req.parameters_file,
    )
    return library, evaluator, context, params, expired + list(evaluator.warnings), resources


def _evaluate_all(req: EvalRequest, evaluator: Any, context: Any, resources: list[tuple[Any, ...]],
                  warnings: list[str], sink: Any) -> None:
    """Evaluate every resource, handing each resource's results to ``sink``; the collector stays out."""
    import gc

    gc.freeze()  # the library and inputs live for the whole run: never scan them again
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for resource, address, line, path in resources:
            results = evaluator.invalid_results(address)
            ctx = context.resolve(resource.get("id") if isinstance(resource.get("id"), str) else None)
            results.extend(evaluator.evaluate(resource, ctx, address=address, file=path, line=line,
                                              action=req.action))
            sink(results)
            warnings.extend(f"{address}: the policy reads {m}, which no context gives (evaluated as missing)"
                            for m in ctx.missing if " tag '" in m)
        if not resources:
            sink(evaluator.invalid_results(Path(req.resource_files[0]).name if req.resource_files else "-"))
    finally:
        if was_enabled:
            gc.enable()
        gc.unfreeze()


def build_eval_report(req: EvalRequest) -> dict[str, Any]:
    """The CONTRACTS report of one `eval` run: every (resource, definition) evaluation."""
    from generator.report import build_report
    from generator.report.findings import annotate

    library, evaluator, context, params, warnings, resources = _prepare(req)
    results: list[Any] = []
    _evaluate_all(req, evaluator, context, resources, warnings, results.extend)
    report = build_report(results, resources_read=len(resources), skipped=0, checked=len(resources),
                          show_all=True, fail_on=req.fail_on, warnings=warnings)
    return annotate(report, library, params, explain=req.output.explain)


def _stream_eval(req: EvalRequest) -> int:
    """JSON to standard output, written while evaluating (gigabytes at the scale of the built-ins x
    thousands of resources): running counts, nothing kept per evaluation; the summary goes to stderr."""
    from generator.report.emit import paint_summary, use_color
    from generator.report.findings import annotator
    from generator.report.stream import ResultStream
    from generator.report.text import summary_line

    library, evaluator, context, params, warnings, resources = _prepare(req)
    out = req.output.out()
    stream = ResultStream("json", out.write, fail_on=req.fail_on, show_all=True,
                          transform=annotator(library, params, explain=req.output.explain))
    _evaluate_all(req, evaluator, context, resources, warnings, stream.add)
    code = stream.finish(resources_read=len(resources), skipped=0, checked=len(resources), warnings=warnings)
    out.flush()
    if not req.output.quiet:
        err = req.output.err()
        color = use_color(err, req.output.color)
        for w in dict.fromkeys(warnings):
            err.write(f"warning: {w}\n")
        summary = stream.summary(resources_read=len(resources), skipped=0, checked=len(resources))
        report = {"summary": summary, "failOn": list(stream.fail_on)}
        err.write(paint_summary(summary_line(report, stream.fail_on), report, color) + "\n")
        err.flush()
    return code


def run_eval(req: EvalRequest, config_path: str | None = None, given: set[str] | None = None) -> int:
    """Run `eval` (the settings file fills what the command line left out), write the report(s), return the code."""
    from generator.check import EVAL_SETTINGS, with_settings

    with_settings(req, config_path, given or set(), EVAL_SETTINGS)
    from generator.report import exit_code
    from generator.report.emit import emit

    if req.output.destinations() == [("json", None)]:
        return _stream_eval(req)
    report = build_eval_report(req)
    emit(report, req.output)
    return exit_code(report, req.fail_on)


@dataclass
class TestRequest:
    """What `test` was asked for."""

    directory: str
    context_file: str | None = None
    context_data: dict[str, Any] | None = None
    subscription_tags: dict[str, str] = field(default_factory=dict)
    fail_on: tuple[str, ...] = ()
    aliases_file: str | None = None
    output: OutputSpec = field(default_factory=OutputSpec)


def run_tests(req: TestRequest, config_path: str | None = None, given: set[str] | None = None) -> int:
    """Run every policy test case under the folder, write the report(s), return the exit code."""
    from generator.check import TEST_SETTINGS, with_settings

    with_settings(req, config_path, given or set(), TEST_SETTINGS)
    from generator.check import load_context
    from generator.engine.policytest import format_test_junit, format_test_text, run_policy_tests
    from generator.report.emit import emit, render_format

    context = load_context(req.context_file, req.subscription_tags, req.context_data)
    report = run_policy_tests(req.directory, context=context, aliases=_aliases(req.aliases_file))

    def render(fmt: str, rep: Mapping[str, Any], color: bool) -> str:
        if fmt == "text":
            return format_test_text(rep)
        if fmt == "junit":
            return format_test_junit(rep)
        return render_format(fmt, rep)

    def summary(rep: Mapping[str, Any]) -> str:
        t = rep["summary"]["tests"]
        return f"{t['total']} case(s) in {t['folders']} folder(s): {t['passed']} passed, {t['failed']} failed"

    emit(report, req.output, render=render, summary=summary)
    return test_exit_code(report, req.fail_on)


def test_exit_code(report: Mapping[str, Any], fail_on: tuple[str, ...]) -> int:
    """1 when a case fails; --fail-on selects only among the results of failing cases."""
    from generator.report import exit_code

    # A result a passing case expected is not a finding: an explicit "--fail-on deny --fail-on error"
    # behaves as the default does.
    failing = {"results": [r for r in report["results"] if not r.get("test", {}).get("passed", False)],
               "summary": report["summary"]}
    code = exit_code(failing, fail_on) if fail_on else (2 if report["summary"]["results"]["invalid"] else 0)
    if report["summary"]["tests"]["failed"] and fail_on != ("none",):
        code = max(code, 1)
    return code
