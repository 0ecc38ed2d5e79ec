"""``clausegate scan``: existing Azure resources against the policies, across many subscriptions."""

from __future__ import annotations

import sys

import click

from generator.cli.azure_options import cloud_options
from generator.cli.options import fail_on_option, format_option


@click.command("scan")
@click.option("--management-group", "management_group", metavar="MG",
              help="Scan every subscription under this management group (name or ARM id).")
@click.option("--subscription", "subscriptions", multiple=True, metavar="ID",
              help="Scan this subscription (repeatable).")
@click.option("--tenant-wide", "tenant_wide", is_flag=True, help="Scan every subscription the identity can read.")
@click.option("--pack", metavar="NAME|PATH", help="Clause pack whose policies to scan for (default: the shipped pack).")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True),
              help="Policy definition or set file, or a folder of them (repeatable; instead of --pack).")
@click.option("--type", "extra_types", multiple=True, metavar="TYPE",
              help="Also scan for this resource type (repeatable), beyond those the policies name.")
@click.option("--law-enforcement-pattern", "le_pattern", metavar="REGEX",
              help="Names of subscriptions and management groups that look like law enforcement (case-insensitive).")
@click.option("--concurrency", type=click.IntRange(1, 10), default=8, show_default=True,
              help="Parallel Resource Manager listings of deployments (at most the HTTP connection pool, 10).")
@click.option("--list-every-account", "list_every", is_flag=True,
              help="List deployments under every account, even where no deployment could match.")
@cloud_options
@format_option()
@fail_on_option
@click.option("--all", "show_all", is_flag=True, help="List no-match results too.")
@click.option("--output", "output_file", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
@click.pass_context
def command(ctx: click.Context, management_group: str | None, subscriptions: tuple[str, ...], tenant_wide: bool,
            pack: str | None, policies: tuple[str, ...], extra_types: tuple[str, ...], le_pattern: str | None,
            concurrency: int, list_every: bool, tenant: str | None, cloud: str | None, output_format: str,
            fail_on: tuple[str, ...], show_all: bool, output_file: str | None) -> None:
    """Scan existing resources (through Azure Resource Graph) against the policies, and list law-enforcement
    subscriptions that are untagged or unassigned. Exit 1 on findings --fail-on selects, 3 when incomplete."""
    from generator.azure.arm_read import quiet_azure_logs
    from generator.azure.scan import format_scan_text, load_scan_policies, run_scan
    from generator.errors import InputError
    from generator.report import formatters

    if pack and policies:
        raise InputError("give --pack or --policy, not both")
    debug = bool(ctx.find_root().obj and ctx.find_root().obj.get("debug"))
    progress = (lambda msg: click.echo(f"  {msg}", err=True)) if sys.stderr.isatty() else None
    scan_policies = load_scan_policies(pack, policies)
    undo = quiet_azure_logs(debug)
    try:
        result = run_scan(scan_policies, management_group=management_group, subscriptions=subscriptions,
                          tenant_wide=tenant_wide, cloud=cloud, tenant=tenant, fail_on=fail_on, show_all=show_all,
                          extra_types=extra_types, concurrency=concurrency, le_pattern=le_pattern,
                          list_every_parent=list_every, progress=progress, debug=debug)
    finally:
        undo()
    text = formatters[output_format](result.report)
    if output_format == "text":
        text += format_scan_text(result)
    if output_file:
        from generator.fsio import write_text_atomic

        write_text_atomic(output_file, text)
    else:
        click.echo(text, nl=False)
    req = result.report["scan"]["requests"]
    if output_format != "text" or output_file:  # text on stdout already ends with it
        click.echo(f"scan: {req['total']} request(s) ({req['graphPages']} Resource Graph page(s), "
                   f"{req['resourceManagerListings']} Resource Manager listing(s), {req['retries']} retried)",
                   err=True)
    for line in result.incomplete:
        click.echo(f"incomplete: {line}", err=True)
    ctx.exit(result.exit_code)
