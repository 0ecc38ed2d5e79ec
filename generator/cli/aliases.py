"""``clausegate aliases``: sync Azure Policy aliases from Azure and show how a type's aliases resolve."""

from __future__ import annotations

import json

import click

from generator.cli.azure_options import cloud_options


@click.group("aliases")
def command() -> None:
    """Manage the alias table the engine resolves Azure Policy aliases with."""


@command.command("sync", short_help="Read aliases from Azure (all namespaces, or those named) and cache them.")
@click.argument("namespaces", nargs=-1, metavar="[NAMESPACE]...")
@click.option("--cache-dir", "cache_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where to write the table (default: $CLAUSEGATE_CACHE_DIR, else ~/.cache/clausegate).")
@cloud_options
@click.pass_context
def sync(ctx: click.Context, namespaces: tuple[str, ...], cache_dir: str | None, tenant: str | None,
         cloud: str | None) -> None:
    """Read aliases from the providers API (every namespace, or the NAMESPACEs given) and cache them."""
    from generator.azure.aliases_sync import sync_aliases
    from generator.azure.arm_read import quiet_azure_logs

    debug = bool(ctx.find_root().obj and ctx.find_root().obj.get("debug"))
    undo = quiet_azure_logs(debug)
    try:
        result = sync_aliases(namespaces, cloud=cloud, tenant=tenant, cache_dir=cache_dir, debug=debug)
    finally:
        undo()
    click.echo(f"synced {result.aliases} alias(es) for {result.types} resource type(s) in "
               f"{len(result.namespaces)} namespace(s) with {result.requests} request(s); wrote {result.path}")
    from generator.cachedir import synced_aliases_path

    if result.path.resolve() != synced_aliases_path().resolve():
        # The engine (eval, check, test, scan) and `aliases show` read the table from the cache folder
        # of the environment only; say so rather than let people think the synced aliases are in use.
        click.echo(f"note: eval, check, test, scan and 'aliases show' read {synced_aliases_path()}; set "
                   f"CLAUSEGATE_CACHE_DIR={result.path.parent} for them to use this table", err=True)


@command.command("show", short_help="List the aliases of a resource type and their paths.")
@click.argument("resource_type", metavar="TYPE")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(resource_type: str, output_format: str) -> None:
    """List the aliases of TYPE (e.g. Microsoft.CognitiveServices/accounts/deployments) and their paths."""
    from generator.azure.aliases_sync import show_type
    from generator.errors import EXIT_BAD_INPUT

    rows = show_type(resource_type)
    if output_format == "json":
        click.echo(json.dumps([{"alias": a, "path": p, "origin": o} for a, p, o in rows], indent=2))
    if not rows:
        # CONTRACTS exit codes: 1 means findings; an unknown type is bad input (2).
        click.echo(f"no aliases known for {resource_type}; run 'clausegate aliases sync "
                   f"{resource_type.split('/', 1)[0]}'", err=True)
        click.get_current_context().exit(EXIT_BAD_INPUT)
    if output_format == "json":
        return
    width = max(len(a) for a, _, _ in rows)
    for alias, path, origin in rows:
        click.echo(f"{alias:<{width}}  {path}  ({origin})")
