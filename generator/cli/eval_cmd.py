"""`clausegate eval`: evaluate policy definitions, sets and assignments against ARM resource JSON."""

from __future__ import annotations

import click

from generator.cli.options import config_option, given_options, context_options, fail_on_option, output_options, output_spec, parse_key_values


@click.command("eval")
@click.option("--definition", "definitions", multiple=True, required=True, type=click.Path(exists=True),
              help="Policy definition or set JSON file, or a folder of them (repeatable).")
@click.option("--resource", "resource_files", multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False),
              help="ARM resource JSON (one object, an array, or {\"value\": [...]}; repeatable).")
@click.option("--parameters", "parameters_file", type=click.Path(exists=True, dir_okay=False),
              help="Assignment parameter values: {\"effect\": {\"value\": \"Audit\"}} (bare values accepted).")
@context_options
@click.option("--assignment", "assignment_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="ARM policy assignment JSON to evaluate through (repeatable).")
@click.option("--exemption", "exemption_files", multiple=True, type=click.Path(exists=True),
              help="ARM policy exemption JSON or YAML, or a folder of them such as .clausegate/exemptions "
                   "(repeatable; see 'clausegate exempt').")
@output_options()
@fail_on_option
@click.option("--aliases", "aliases_file", type=click.Path(exists=True, dir_okay=False),
              help="Extra alias table (JSON) for resource types the shipped table lacks.")
@click.option("--action", type=click.Choice(["create", "update", "delete"]), default="create", show_default=True,
              help="The request being checked (denyAction only blocks delete).")
@click.option("--all", "explain_all", is_flag=True,
              help="Explain every result, no-match too (default: only reported results when several resources).")
@config_option
@click.pass_context
def command(ctx: click.Context, config_path: str | None, explain_all: bool, definitions: tuple[str, ...], resource_files: tuple[str, ...],
            parameters_file: str | None, context_file: str | None, subscription_tags: tuple[str, ...],
            assignment_files: tuple[str, ...], exemption_files: tuple[str, ...], formats: tuple[str, ...],
            output_file: str | None, output_dir: str | None, quiet: bool | None, explain: bool | None,
            fail_on: tuple[str, ...], aliases_file: str | None, action: str) -> None:
    """Evaluate policy JSON against ARM resources offline and report every (resource, definition) result."""
    from generator.evaluate import EvalRequest, run_eval

    ctx.exit(run_eval(EvalRequest(
        definitions=definitions, resource_files=resource_files, parameters_file=parameters_file,
        context_file=context_file, subscription_tags=parse_key_values(subscription_tags, "--subscription-tag"),
        assignment_files=assignment_files, exemption_files=exemption_files, fail_on=fail_on,
        aliases_file=aliases_file, action=action, explain_all=explain_all,
        output=output_spec(formats, output_file, output_dir, quiet, explain),
    ), config_path, given_options(ctx)))
