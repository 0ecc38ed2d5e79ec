"""``clausegate generate``: render packs with every target and write them through the manifest."""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.command("generate")
@click.option("--pack", "packs", multiple=True, metavar="NAME|PATH",
              help="Clause pack: a registered name or a YAML file (repeatable; default: every registered pack).")
@click.option("--target", "targets", multiple=True, metavar="NAME",
              help="Output target (repeatable; default: policy-json and terraform; also arm, epac; see 'clausegate plugins').")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Output root (default: the nearest folder holding .clausegate-manifest.json, else the repository root, else the current one).")
@click.option("--catalog", "catalog", type=click.Path(dir_okay=False, exists=True),
              help="Model catalog YAML to use instead of the packaged one.")
@click.option("--catalog-max-age", "catalog_max_age", type=click.IntRange(min=0), metavar="DAYS",
              help="Warn when the catalog's newest entry is older than this (default: "
                   "$CLAUSEGATE_CATALOG_MAX_AGE_DAYS, else 120; 0: never).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and print a diff if the output is not up to date.")
@click.option("--force", is_flag=True, help="Overwrite or delete owned files that were edited by hand.")
def command(packs: tuple[str, ...], targets: tuple[str, ...], out: Path | None, catalog: str | None,
            catalog_max_age: int | None, check: bool, force: bool) -> None:
    """Render clause packs to policy JSON, policy-test cases and Terraform modules."""
    from generator import plugins
    from generator.output import MANIFEST_NAME, find_root, generate, relpath
    from generator.targets.base import DEFAULT_TARGETS

    started = time.perf_counter()
    # Packs nobody named: a broken or ambiguous plugin is reported and skipped (exit 2 only when named).
    pack_refs = list(packs) or plugins.packs.usable_names(warn=lambda m: click.echo(f"warning: {m}", err=True))
    # A target named twice is rendered once (a repeated option, not a conflict).
    target_names = list(dict.fromkeys(targets)) or list(DEFAULT_TARGETS)
    root = out if out is not None else find_root()
    p = generate(root, pack_refs, target_names, check=check, force=force, catalog_path=catalog)
    from generator.pack.catalog import check_staleness

    stale = check_staleness(catalog, catalog_max_age)
    if stale:
        click.echo(f"warning: {stale}", err=True)
    pending = p.pending()
    elapsed = time.perf_counter() - started
    if check:
        if pending:
            click.echo(p.diff(), nl=False)
            click.echo(f"{len(pending)} file(s) out of date under {relpath(p.root)}; run 'clausegate generate'", err=True)
            raise SystemExit(1)
        click.echo(f"up to date: {len(p.changes)} generated file(s) under {relpath(p.root)} ({elapsed:.2f}s)")
        return
    counts = {a: sum(1 for c in p.changes if c.action == a) for a in ("create", "update", "delete", "unchanged")}
    click.echo(
        f"{counts['create']} created, {counts['update']} updated, {counts['delete']} deleted, "
        f"{counts['unchanged']} unchanged under {relpath(p.root)} ({MANIFEST_NAME}; {elapsed:.2f}s)"
    )
