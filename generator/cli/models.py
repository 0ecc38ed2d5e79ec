"""``clausegate models``: the model catalog, how each model is classified, and ``models sync``."""

from __future__ import annotations

import json

import click

from generator.cli.azure_options import cloud_options

_CATALOG_HELP = "Model catalog YAML (default: the packaged one)."
_MAX_AGE_HELP = ("Warn when the catalog's newest entry is older than this (default: $CLAUSEGATE_CATALOG_MAX_AGE_DAYS, "
                 "else 120; 0: never).")


@click.group("models", invoke_without_command=True)
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False, exists=True), help=_CATALOG_HELP)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--catalog-max-age", "max_age", type=click.IntRange(min=0), metavar="DAYS", help=_MAX_AGE_HELP)
@click.pass_context
def command(ctx: click.Context, catalog_path: str | None, output_format: str, max_age: int | None) -> None:
    """Show each catalog model, its versions, whether it takes images, and its source."""
    if ctx.invoked_subcommand is not None:
        return
    from generator.pack.catalog import check_staleness, load_catalog

    cat = load_catalog(catalog_path)
    stale = check_staleness(catalog_path, max_age)
    rows = []
    for e in sorted(cat.entries, key=lambda x: x.name.lower()):
        rows.append({
            "name": e.name, "classification": e.classification,
            "versions": [{"version": v.version, "imageInput": v.image_input} for v in e.versions],
            "source": e.source_title, "url": e.source_url, "asOf": e.as_of, "note": e.note,
        })
    if output_format == "json":
        click.echo(json.dumps({
            "catalog": cat.path, "models": rows, "clearedModels": cat.cleared_models(),
            "clearedModelVersions": cat.cleared_model_versions(),
            "newestAsOf": max((e.as_of for e in cat.entries), default=None), "stale": stale,
            "rule": "anything not cleared is image-capable (unknown and future models included)",
        }, indent=2, ensure_ascii=False))
    else:
        label = {"image": "image input", "text": "text only (cleared by name)", "mixed": "per version"}
        click.echo(f"catalog: {cat.path}")
        for r in rows:
            click.echo(f"{r['name']:32} {label[r['classification']]:30} as of {r['asOf']}  ({r['source']})")
            if r["classification"] == "mixed":
                for v in r["versions"]:
                    click.echo(f"  {v['version']:30} {'image input' if v['imageInput'] else 'text only (cleared)'}")
        click.echo("Not listed, or a version-less deployment of a per-version model: image-capable (fail-closed).")
    if stale:
        click.echo(f"warning: {stale}", err=True)


@command.command("sync")
@click.option("--location", required=True, metavar="REGION", help="Azure region whose model list is read (e.g. eastus).")
@click.option("--subscription", metavar="ID", help="Subscription to read it through (default: the first readable one).")
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False, exists=True),
              help="Catalog to compare with (default: the packaged one).")
@click.option("--format", "output_format", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True,
              help="yaml: a reviewable patch for --catalog files; json: the same findings for pipelines.")
@click.option("--output-file", "output_file", type=click.Path(dir_okay=False), metavar="PATH",
              help="Write the patch here (atomically) instead of stdout.")
@cloud_options
@click.pass_context
def sync(ctx: click.Context, location: str, subscription: str | None, catalog_path: str | None, output_format: str,
         output_file: str | None, tenant: str | None, cloud: str | None) -> None:
    """Print, as a YAML patch, every model Azure offers in REGION that the catalog does not classify.

    Never changes a catalog: review each entry against Microsoft Learn, then add it to a --catalog file.
    """
    from generator.azure.models_sync import run_sync

    debug = bool(ctx.find_root().obj and ctx.find_root().obj.get("debug"))
    text, summary = run_sync(location, subscription=subscription, catalog_path=catalog_path,
                             output_format=output_format, output_file=output_file, cloud=cloud, tenant=tenant,
                             debug=debug)
    if output_file is None:
        click.echo(text, nl=False)
    click.echo(summary, err=True)
