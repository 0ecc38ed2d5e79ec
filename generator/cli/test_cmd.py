"""`clausegate test DIR`: policy unit tests kept as files (CONTRACTS.md, "Policy tests")."""

from __future__ import annotations

import click

from generator.cli.options import context_options, fail_on_option, load_context


@click.command("test")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@context_options
@click.option("--format", "output_format", type=click.Choice(("text", "json", "junit")), default="text",
              show_default=True, help="Output format.")
@fail_on_option
@click.option("--aliases", "aliases_file", type=click.Path(exists=True, dir_okay=False),
              help="Extra alias table (JSON).")
def command(
    directory: str,
    context_file: str | None,
    subscription_tags: tuple[str, ...],
    output_format: str,
    fail_on: tuple[str, ...],
    aliases_file: str | None,
) -> None:
    """Run every policy test case under DIR; show the trace of each failure; exit 1 when one fails."""
    from generator.engine.policytest import format_test_junit, format_test_text, run_policy_tests
    from generator.report import exit_code, formatters

    aliases = None
    if aliases_file:
        from generator.engine.aliases import AliasTable

        aliases = AliasTable.with_extra(aliases_file)
    context = load_context(context_file, subscription_tags)
    report = run_policy_tests(directory, context=context, aliases=aliases)
    if output_format == "text":
        click.echo(format_test_text(report), nl=False)
    elif output_format == "junit":
        click.echo(format_test_junit(report), nl=False)
    else:
        click.echo(formatters["json"](report), nl=False)
    # A result a passing case expected is not a finding: --fail-on selects only among the results of
    # failing cases, so an explicit "--fail-on deny --fail-on error" behaves as the default does.
    failing = {"results": [r for r in report["results"] if not r.get("test", {}).get("passed", False)],
               "summary": report["summary"]}
    code = exit_code(failing, fail_on) if fail_on else (2 if report["summary"]["results"]["invalid"] else 0)
    if report["summary"]["tests"]["failed"]:
        code = max(code, 1)
    click.get_current_context().exit(code)

