"""`clausegate test DIR`: policy unit tests kept as files (CONTRACTS.md, "Policy tests")."""

from __future__ import annotations

import click

from generator.cli.options import config_option, given_options, context_options, fail_on_option, output_options, output_spec, parse_key_values


@click.command("test")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@context_options
@output_options(("text", "json", "junit"))
@fail_on_option
@click.option("--aliases", "aliases_file", type=click.Path(exists=True, dir_okay=False),
              help="Extra alias table (JSON).")
@config_option
@click.pass_context
def command(ctx: click.Context, config_path: str | None, directory: str, context_file: str | None, subscription_tags: tuple[str, ...],
            formats: tuple[str, ...], output_file: str | None, output_dir: str | None, quiet: bool | None,
            explain: bool | None, fail_on: tuple[str, ...], aliases_file: str | None) -> None:
    """Run every policy test case under DIR; show the trace of each failure; exit 1 when one fails."""
    from generator.evaluate import TestRequest, run_tests

    ctx.exit(run_tests(TestRequest(
        directory=directory, context_file=context_file,
        subscription_tags=parse_key_values(subscription_tags, "--subscription-tag"), fail_on=fail_on,
        aliases_file=aliases_file, output=output_spec(formats, output_file, output_dir, quiet, explain),
    ), config_path, given_options(ctx)))
