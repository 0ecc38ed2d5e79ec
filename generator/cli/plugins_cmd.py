"""``clausegate plugins``: installed clause packs and targets, the distribution of each, and whether it loads."""

from __future__ import annotations

import json
from typing import Any

import click


def _rows(load: bool) -> list[dict[str, Any]]:
    from generator import plugins
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
                "default": kind == "pack" or name in DEFAULT_TARGETS,
                "detail": detail,
            })
    return rows


@click.command("plugins")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-load", is_flag=True, help="Only read the entry points; import nothing (status 'not loaded').")
@click.option("--strict", is_flag=True, help="Exit 2 if any plugin fails to load or two plugins claim one name.")
def command(output_format: str, no_load: bool, strict: bool) -> None:
    """List installed clause packs and targets, the distribution each comes from, and whether it loads."""
    rows = _rows(load=not no_load)
    if output_format == "json":
        click.echo(json.dumps({"plugins": rows}, indent=2, ensure_ascii=False))
    else:
        width = max((len(r["name"]) for r in rows), default=4)
        for r in rows:
            dist = r["distribution"] + "".join(f" + {d}" for d in r["conflictsWith"])
            default = " (default)" if r["kind"] == "target" and r["default"] else ""
            click.echo(f"{r['kind']:<7}{r['name']:<{width + 2}}{r['status']:<11}{dist}{default}")
            if r["detail"]:
                click.echo(f"{'':<7}{'':<{width + 2}}{r['detail']}")
    bad = [r for r in rows if r["status"] in ("broken", "conflict")]
    if bad:
        click.echo(f"{len(bad)} plugin(s) unusable; a command fails only when it is asked for one of them", err=True)
        if strict:
            raise SystemExit(2)
