"""`clausegate eval` below the CLI: read inputs, evaluate every (resource, definition) pair, stream the report.

At scale (thousands of definitions x thousands of resources) nothing is kept per evaluation: each
resource's results go to the writer as soon as they exist (generator.report.stream), explanations are
built only for reported results (match / undetermined / error) unless ``explain_all``, and the cyclic
garbage collector is kept out of the loop (the library is frozen once loaded; the loop allocates no
cycles worth collecting).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any, Callable

from generator.errors import InputError


def load_resources(path: str) -> list[tuple[dict[str, Any], str, int | None]]:
    """Read ARM resource JSON/YAML: one object, an array, or {"value": [...]}; returns (resource, address, line)."""
    from generator.cli.options import read_data_file

    data = read_data_file(path)
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


def run_eval(
    *,
    definitions: tuple[str, ...],
    resource_file: str,
    parameters_file: str | None,
    context: Any,
    assignment_files: tuple[str, ...] = (),
    exemption_files: tuple[str, ...] = (),
    output_format: str = "text",
    fail_on: tuple[str, ...] = (),
    aliases_file: str | None = None,
    action: str = "create",
    explain_all: bool = False,
    write: Callable[[str], Any],
) -> int:
    """Evaluate and write the report in ``output_format`` through ``write``; returns the exit code."""
    from generator.cli.options import read_data_file
    from generator.engine.assignments import load_assignment, load_exemption
    from generator.engine.evaluator import TRACE_ALL, TRACE_REPORTED, Evaluator, load_policy_files
    from generator.engine.policies import unwrap_parameter_values
    from generator.report.stream import ResultStream

    resources = load_resources(resource_file)
    params = unwrap_parameter_values(read_data_file(parameters_file), parameters_file) if parameters_file else {}
    aliases = None
    if aliases_file:
        from generator.engine.aliases import AliasTable

        aliases = AliasTable.with_extra(aliases_file)
    library = load_policy_files(definitions)
    if not library.definitions and not library.sets and not library.invalid:
        # A wrong folder in a pipeline must not pass as "nothing matched".
        raise InputError("no policy definition or set found under " + ", ".join(definitions))
    evaluator = Evaluator(
        library,
        assignments=[load_assignment(p) for p in assignment_files],
        exemptions=[load_exemption(p) for p in exemption_files],
        parameters=params,
        fail_on=fail_on,
        aliases=aliases,
        # One resource: explain everything (people read it); many: only what is reported.
        trace=TRACE_ALL if explain_all or len(resources) <= 1 else TRACE_REPORTED,
        parameters_file=parameters_file,
    )
    stream = ResultStream(output_format, write, fail_on=fail_on, show_all=True)
    warnings = list(evaluator.warnings)
    gc.freeze()  # the library and inputs live for the whole run: never scan them again
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for resource, address, line in resources:
            results = evaluator.invalid_results(address)
            ctx = context.resolve(resource.get("id") if isinstance(resource.get("id"), str) else None)
            results.extend(evaluator.evaluate(resource, ctx, address=address, file=resource_file, line=line,
                                              action=action))
            stream.add(results)
            warnings.extend(f"{address}: the policy reads {m}, which no context gives (evaluated as missing)"
                            for m in ctx.missing if " tag '" in m)
        if not resources:
            stream.add(evaluator.invalid_results(Path(resource_file).name))
    finally:
        if was_enabled:
            gc.enable()
        gc.unfreeze()
    return stream.finish(resources_read=len(resources), skipped=0, checked=len(resources), warnings=warnings)
