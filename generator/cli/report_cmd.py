"""``clausegate report``: a self-contained HTML page (or Markdown) of evidence per clause for governance teams."""

from __future__ import annotations

import sys

import click

from generator.cli.azure_options import cloud_options


@click.command("report")
@click.argument("results", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--from-azure", "from_azure", is_flag=True,
              help="Also read assignments, compliance states and exemptions from Azure Resource Graph (needs Reader).")
@click.option("--scope", metavar="S",
              help="With --from-azure: a management group (name or id), a subscription id, or 'tenant'.")
@click.option("--pack", "packs", multiple=True, metavar="NAME|PATH",
              help="Clause pack to report on (repeatable; default: the packs the inputs name, else every one).")
@click.option("--format", "output_format", type=click.Choice(["html", "markdown"]), default="html",
              show_default=True, help="Output format.")
@click.option("--output-file", "output_file", type=click.Path(dir_okay=False),
              help="Write the report to this file (atomically) instead of standard output.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Date the report is made for (YYYY-MM-DD): exemptions expiring within 30 days of it are "
                   "marked. Default: the day Azure is read; none for files alone.")
@click.option("--law-enforcement-pattern", "le_pattern", metavar="REGEX",
              help="Names of subscriptions and management groups that look like law enforcement (case-insensitive).")
@cloud_options
@click.option("--quiet", "-q", is_flag=True, help="No summary line or warnings on standard error.")
@click.pass_context
def command(ctx: click.Context, results: tuple[str, ...], from_azure: bool, scope: str | None,
            packs: tuple[str, ...], output_format: str, output_file: str | None, as_of: str | None,
            le_pattern: str | None, tenant: str | None, cloud: str | None, quiet: bool) -> None:
    """Render evidence per clause (quote, source, policies, coverage, findings, exemptions) from scan/check
    JSON results and, with --from-azure, live Azure. Exit 3 when Azure could be read only in part."""
    from generator.errors import InputError
    from generator.evidence import make_report

    if from_azure and not scope:
        raise InputError("--from-azure needs --scope (a management group, a subscription id, or 'tenant')")
    if scope and not from_azure:
        raise InputError("--scope is read only with --from-azure")
    debug = bool(ctx.find_root().obj and ctx.find_root().obj.get("debug"))
    progress = (lambda msg: click.echo(f"  {msg}", err=True)) if sys.stderr.isatty() and not quiet else None
    say = (lambda msg: None) if quiet else (lambda msg: click.echo(msg, err=True))
    undo = None
    if from_azure:
        from generator.azure.arm_read import quiet_azure_logs

        undo = quiet_azure_logs(debug)
    try:
        run = make_report(results, fmt=output_format, packs=packs, as_of=as_of, scope=scope if from_azure else None,
                          cloud=cloud, tenant=tenant, le_pattern=le_pattern,
                          warn=lambda m: say(f"warning: {m}"), progress=progress, debug=debug)
    finally:
        if undo:
            undo()
    if output_file:
        from generator.fsio import write_text_atomic

        write_text_atomic(output_file, run.text)
    else:
        click.echo(run.text, nl=False)
    clauses = run.data["clauses"]
    findings = sum(c["findingCount"] for c in clauses)
    soon = run.data["expiringSoon"]
    line = f"report: {len(clauses)} clause(s), {findings} resource(s) with findings"
    if run.data["azure"]:
        line += f", {run.data['azure']['subscriptions']} subscription(s), {soon} exemption(s) expiring or expired; " \
                f"{run.requests} request(s) ({run.graph_pages} Resource Graph page(s))"
    say(line)
    for w in run.data["warnings"]:
        say(f"warning: {w}")
    for m in run.incomplete:  # shown even with --quiet: the exit code alone would not say what is missing
        click.echo(f"incomplete: {m}", err=True)
    ctx.exit(3 if run.incomplete else 0)
