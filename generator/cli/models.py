"""``clausegate models``: the model catalog and how each model is classified."""

from __future__ import annotations

import json

import click


@click.command("models")
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False, exists=True),
              help="Model catalog YAML (default: the packaged one).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(catalog_path: str | None, output_format: str) -> None:
    """Show each catalog model, its versions, whether it takes images, and its source."""
    from generator.pack.catalog import load_catalog

    cat = load_catalog(catalog_path)
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
            "rule": "anything not cleared is image-capable (unknown and future models included)",
        }, indent=2, ensure_ascii=False))
        return
    label = {"image": "image input", "text": "text only (cleared by name)", "mixed": "per version"}
    click.echo(f"catalog: {cat.path}")
    for r in rows:
        click.echo(f"{r['name']:32} {label[r['classification']]:30} as of {r['asOf']}  ({r['source']})")
        if r["classification"] == "mixed":
            for v in r["versions"]:
                click.echo(f"  {v['version']:30} {'image input' if v['imageInput'] else 'text only (cleared)'}")
    click.echo("Not listed, or a version-less deployment of a per-version model: image-capable (fail-closed).")
