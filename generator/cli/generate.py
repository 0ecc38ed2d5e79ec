"""``clausegate generate``: render packs with every target and write them through the manifest."""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.command("generate")
@click.option("--pack", "packs", multiple=True, metavar="NAME|PATH|all",
              help="Clause pack: a registered name or a YAML file (repeatable; 'all' = every registered pack). "
                   "Default: the packs the output root already holds, else the shipped pack.")
@click.option("--target", "targets", multiple=True, metavar="NAME",
              help="Output target (repeatable; default: policy-json and terraform; also arm, epac; see 'clausegate plugins').")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="Output root (default: the nearest folder holding .clausegate-manifest.json up to the "
                   "repository root, else the repository root, else the current folder).")
@click.option("--catalog", "catalog", type=click.Path(dir_okay=False, exists=True),
              help="Model catalog YAML to use instead of the packaged one.")
@click.option("--catalog-max-age", "catalog_max_age", type=click.IntRange(min=0), metavar="DAYS",
              help="Warn when the catalog's newest entry is older than this (default: "
                   "$CLAUSEGATE_CATALOG_MAX_AGE_DAYS, else 120; 0: never).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and print a diff if the output is not up to date.")
@click.option("--force", is_flag=True, help="Overwrite owned generated files that were edited by hand.")
@click.option("--follow-symlinks", is_flag=True,
              help="Follow symlinks inside the output root when their target is inside it too (default: refuse).")
def command(packs: tuple[str, ...], targets: tuple[str, ...], out: Path | None, catalog: str | None,
            catalog_max_age: int | None, check: bool, force: bool, follow_symlinks: bool) -> None:
    """Render clause packs to policy JSON, policy-test cases and Terraform modules."""
    from generator.output import run_generate

    started = time.perf_counter()
    code = run_generate(list(packs), list(targets), out, catalog=catalog, check=check, force=force,
                        follow_symlinks=follow_symlinks, started=started, catalog_max_age=catalog_max_age,
                        echo=click.echo, warn=lambda m: click.echo(f"warning: {m}", err=True))
    if code:
        raise SystemExit(code)
