"""``clausegate scan``: existing Azure resources against the policies, across many subscriptions."""

from __future__ import annotations

import sys

import click

from generator.cli.azure_options import cloud_options
from generator.cli.options import config_option, given_options, fail_on_option, output_options, output_spec


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
@click.option("--exemption", "exemption_files", multiple=True, type=click.Path(exists=True),
              help="Exemption file or folder (see 'clausegate exempt'), honoured as if Azure held it (repeatable).")
@cloud_options
@output_options()
@fail_on_option
@click.option("--all", "show_all", is_flag=True, help="List no-match results too.")
@config_option
@click.pass_context
def command(ctx: click.Context, config_path: str | None, management_group: str | None, subscriptions: tuple[str, ...], tenant_wide: bool,
            pack: str | None, policies: tuple[str, ...], extra_types: tuple[str, ...], le_pattern: str | None,
            concurrency: int, list_every: bool, exemption_files: tuple[str, ...], tenant: str | None,
            cloud: str | None, formats: tuple[str, ...],
            output_file: str | None, output_dir: str | None, quiet: bool | None, explain: bool | None,
            fail_on: tuple[str, ...], show_all: bool) -> None:
    """Scan existing resources (through Azure Resource Graph) against the policies, and list law-enforcement
    subscriptions that are untagged or unassigned. Exit 1 on findings --fail-on selects, 3 when incomplete."""
    from generator.scanning import ScanRequest, run_scan_command

    debug = bool(ctx.find_root().obj and ctx.find_root().obj.get("debug"))
    progress = (lambda msg: click.echo(f"  {msg}", err=True)) if sys.stderr.isatty() and not quiet else None
    ctx.exit(run_scan_command(ScanRequest(
        management_group=management_group, subscriptions=subscriptions, tenant_wide=tenant_wide, pack=pack,
        policies=policies, extra_types=extra_types, le_pattern=le_pattern, concurrency=concurrency,
        list_every=list_every, exemption_files=exemption_files, tenant=tenant, cloud=cloud, fail_on=fail_on,
        show_all=show_all, debug=debug,
        progress=progress, output=output_spec(formats, output_file, output_dir, quiet, explain),
    ), config_path, given_options(ctx)))
