"""``clausegate plugins``: installed clause packs and targets, the distribution of each, and whether it loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def _held_packs(out: Path | None) -> tuple[Path | None, set[str] | None, str | None]:
    """The output root, the packs its manifest owns (None when unreadable) and why not."""
    from generator.errors import InputError
    from generator.fsio import SafeRoot
    from generator.output import load_manifest, locate_root

    root = Path(out) if out is not None else locate_root().path
    try:
        return root, set(load_manifest(SafeRoot(root)).owned_packs()), None
    except InputError as exc:
        return root, None, str(exc)


def _rows(load: bool, held: set[str] | None = None) -> list[dict[str, Any]]:
    from generator import plugins
    from generator.output import SHIPPED_PACK
    from generator.targets.base import DEFAULT_TARGETS

    rows = []
    for kind, registry in (("pack", plugins.packs), ("target", plugins.targets)):
        for name in registry.names():
            entry = registry.entries[name]
            detail = ""
            if load:
                try:
                    value = entry.load()
                except plugins.InputError as exc:
                    detail = str(exc)
                else:
                    if kind == "pack":
                        detail = f"{value.version}: {value.display_name}"
                    else:
                        detail = getattr(value, "description", "")
            elif entry.conflicts:
                detail = entry.duplicate_message()
            rows.append({
                "kind": kind,
                "name": name,
                "distribution": entry.distribution,
                "conflictsWith": list(entry.conflicts),
                "entryPoint": entry.entry_point,
                "status": entry.status,
                # What `generate` renders with no --pack / --target: the packs the output root
                # holds (else the shipped pack), and the default targets.
                "default": (name in held if held else name == SHIPPED_PACK) if kind == "pack"
                else name in DEFAULT_TARGETS,
                "detail": detail,
            })
            if kind == "pack":
                # Whether the output root's manifest owns files of this pack (None: unreadable).
                rows[-1]["inOutputRoot"] = None if held is None else name in held
    return rows


@click.command("plugins")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-load", is_flag=True, help="Only read the entry points; import nothing (status 'not loaded').")
@click.option("--strict", is_flag=True, help="Exit 2 if any plugin fails to load or two plugins claim one name.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Output root to report on (default: found as `generate` finds it).")
def command(output_format: str, no_load: bool, strict: bool, out: Path | None) -> None:
    """List installed clause packs and targets, the distribution each comes from, and whether it loads."""
    root, held, why = _held_packs(out)
    rows = _rows(load=not no_load, held=held)
    missing = sorted((held or set()) - {r["name"] for r in rows if r["kind"] == "pack"})
    if why:
        click.echo(f"warning: cannot tell which packs the output root holds: {why}", err=True)
    if output_format == "json":
        click.echo(json.dumps({"outputRoot": str(root), "plugins": rows, "heldButNotInstalled": missing},
                              indent=2, ensure_ascii=False))
    else:
        width = max((len(r["name"]) for r in rows), default=4)
        for r in rows:
            dist = r["distribution"] + "".join(f" + {d}" for d in r["conflictsWith"])
            default = " (default)" if r["kind"] == "target" and r["default"] else ""
            if r.get("inOutputRoot"):
                default = " (in output root)"
            click.echo(f"{r['kind']:<7}{r['name']:<{width + 2}}{r['status']:<11}{dist}{default}")
            if r["detail"]:
                click.echo(f"{'':<7}{'':<{width + 2}}{r['detail']}")
        click.echo(f"output root: {root}" + (f" (holds {', '.join(sorted(held))})" if held else
                                             " (holds no pack)" if held is not None else ""), err=True)
    for name in missing:
        click.echo(f"warning: the output root holds files of pack {name!r}, which is not installed", err=True)
    bad = [r for r in rows if r["status"] in ("broken", "conflict")]
    if bad:
        click.echo(f"{len(bad)} plugin(s) unusable; a command fails only when it is asked for one of them", err=True)
        if strict:
            raise SystemExit(2)
