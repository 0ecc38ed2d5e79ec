"""`clausegate eval`: evaluate policy definitions, sets and assignments against ARM resource JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from generator.cli.options import (
    context_options,
    fail_on_option,
    format_option,
    load_context,
    read_data_file,
)
from generator.errors import InputError


def load_resources(path: str) -> list[tuple[dict[str, Any], str, int | None]]:
    """Read ARM resource JSON/YAML: one object, an array, or {"value": [...]}; returns (resource, address, line)."""
    from generator.errors import InputError

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


@click.command("eval")
@click.option("--definition", "definitions", multiple=True, required=True, type=click.Path(exists=True),
              help="Policy definition or set JSON file, or a folder of them (repeatable).")
@click.option("--resource", "resource_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="ARM resource JSON (one object, an array, or {\"value\": [...]}).")
@click.option("--parameters", "parameters_file", type=click.Path(exists=True, dir_okay=False),
              help="Assignment parameter values: {\"effect\": {\"value\": \"Audit\"}} (bare values accepted).")
@context_options
@click.option("--assignment", "assignment_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="ARM policy assignment JSON to evaluate through (repeatable).")
@click.option("--exemption", "exemption_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="ARM policy exemption JSON (repeatable).")
@format_option()
@fail_on_option
@click.option("--aliases", "aliases_file", type=click.Path(exists=True, dir_okay=False),
              help="Extra alias table (JSON) for resource types the shipped table lacks.")
@click.option("--action", type=click.Choice(["create", "update", "delete"]), default="create", show_default=True,
              help="The request being checked (denyAction only blocks delete).")
def command(
    definitions: tuple[str, ...],
    resource_file: str,
    parameters_file: str | None,
    context_file: str | None,
    subscription_tags: tuple[str, ...],
    assignment_files: tuple[str, ...],
    exemption_files: tuple[str, ...],
    output_format: str,
    fail_on: tuple[str, ...],
    aliases_file: str | None,
    action: str,
) -> None:
    """Evaluate policy JSON against ARM resources offline and report every (resource, definition) result."""
    from generator.engine.assignments import load_assignment, load_exemption
    from generator.engine.evaluator import TRACE_ALL, Evaluator, load_policy_files
    from generator.engine.policies import unwrap_parameter_values
    from generator.report import build_report, exit_code, formatters

    resources = load_resources(resource_file)
    context = load_context(context_file, subscription_tags)
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
        trace=TRACE_ALL,
        parameters_file=parameters_file,
    )
    results = []
    warnings = list(evaluator.warnings)
    for resource, address, line in resources:
        results.extend(evaluator.invalid_results(address))
        ctx = context.resolve(resource.get("id") if isinstance(resource.get("id"), str) else None)
        results.extend(evaluator.evaluate(resource, ctx, address=address, file=resource_file, line=line,
                                          action=action))
        warnings.extend(f"{address}: the policy reads {m}, which no context gives (evaluated as missing)"
                        for m in ctx.missing if " tag '" in m)
    if not resources:
        results.extend(evaluator.invalid_results(Path(resource_file).name))
    report = build_report(results, resources_read=len(resources), skipped=0, checked=len(resources),
                          show_all=True, fail_on=fail_on, warnings=warnings)
    click.echo(formatters[output_format](report), nl=False)
    click.get_current_context().exit(exit_code(report, fail_on))
