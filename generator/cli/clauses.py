"""``clausegate clauses``: each clause with its source and the policies that enforce it."""

from __future__ import annotations

import json

import click


@click.command("clauses")
@click.option("--pack", "packs", multiple=True, metavar="NAME|PATH",
              help="Clause pack (repeatable; default: every registered pack).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(packs: tuple[str, ...], output_format: str) -> None:
    """List clause ids, titles, sources and the policy definitions enforcing each."""
    from generator import plugins
    from generator.pack import load_pack
    from generator.pack.routes import clause_routes
    from generator.targets.policy_json import definition_name, effect_parameter_name, set_name

    rows = []
    # A broken plugin pack nobody named is reported and skipped (exit 2 only when named with --pack).
    for ref in list(packs) or plugins.packs.usable_names(warn=lambda m: click.echo(f"warning: {m}", err=True)):
        pack = load_pack(ref)
        routes = clause_routes(pack)
        for c in pack.clauses:
            rows.append({
                "pack": pack.name, "packVersion": pack.version, "clauseId": c.id, "title": c.title,
                "quote": c.quote, "source": {"publisher": c.source.publisher, "title": c.source.title,
                                             "url": c.source.url, "effective": c.source.effective},
                "policyDefinitionName": definition_name(pack, c), "policySetDefinitionName": set_name(pack),
                "policyDefinitionReferenceId": c.id, "effectParameter": effect_parameter_name(c),
                "defaultEffect": c.effect.default, "routes": routes[c.id],
            })
    if output_format == "json":
        click.echo(json.dumps({"clauses": rows}, indent=2, ensure_ascii=False))
        return
    for r in rows:
        src = r["source"]
        click.echo(f"{r['pack']} {r['packVersion']} / {r['clauseId']}: {r['title']}")
        click.echo(f"  quote:    \"{r['quote']}\"")
        eff = f", effective {src['effective']}" if src["effective"] else ""
        click.echo(f"  source:   {src['publisher']}, {src['title']}{eff}")
        click.echo(f"            {src['url']}")
        click.echo(f"  enforced: policy definition {r['policyDefinitionName']} "
                   f"(set {r['policySetDefinitionName']}, reference {r['policyDefinitionReferenceId']}, "
                   f"effect {r['defaultEffect']} via {r['effectParameter']})")
        click.echo("  routes:")
        for route in r["routes"]:
            click.echo(f"    {route['type']}: {route['decision']}")
