"""`clausegate eval`: evaluate policy definitions, sets and assignments against ARM resource JSON."""

from __future__ import annotations

import sys

import click

from generator.cli.options import (
    context_options,
    fail_on_option,
    format_option,
    load_context,
)


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
@click.option("--all", "explain_all", is_flag=True,
              help="Explain every result, no-match too (default: only reported results when several resources).")
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
    explain_all: bool,
) -> None:
    """Evaluate policy JSON against ARM resources offline and report every (resource, definition) result."""
    from generator.engine.eval_run import run_eval

    code = run_eval(
        definitions=definitions, resource_file=resource_file, parameters_file=parameters_file,
        context=load_context(context_file, subscription_tags), assignment_files=assignment_files,
        exemption_files=exemption_files, output_format=output_format, fail_on=fail_on, aliases_file=aliases_file,
        action=action, explain_all=explain_all,
        # JSON (gigabytes at scale) goes straight to stdout: click.echo would scan it for ANSI codes.
        write=(lambda text: sys.stdout.write(text)) if output_format == "json" else (
            lambda text: click.echo(text, nl=False)),
    )
    click.get_current_context().exit(code)
