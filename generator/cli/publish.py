"""``clausegate publish``: publish a pack's definitions, set, assignment and exemptions to a scope."""

from __future__ import annotations

import click

from generator.cli.azure_options import retry_budget_option
from generator.cli.options import format_option, parse_key_values


@click.command("publish")
@click.option("--scope", "scope_text", metavar="SCOPE",
              help="Management group (name or ARM id) or /subscriptions/<id>. Required unless --plan.")
@click.option("--pack", "pack", metavar="NAME|PATH", help="Pack name or YAML path (or a rendered bundle .json).")
@click.option("--assign", is_flag=True, help="Also assign the set at the scope.")
@click.option("--assignment-name", metavar="N", help="Assignment name (default: from the set; 24 chars max at a management group).")
@click.option("--parameter", "parameters", multiple=True, metavar="K=V",
              help="Assignment parameter (repeatable); V is parsed as JSON when it can be.")
@click.option("--exemption", "exemptions", multiple=True, type=click.Path(dir_okay=False, exists=True),
              metavar="FILE", help="Exemption file, JSON or YAML (repeatable).")
@click.option("--what-if", "what_if", is_flag=True, help="Show the diff; send no write request.")
@click.option("--out", "out", type=click.Path(dir_okay=False), metavar="PLAN.json",
              help="With --what-if: save the plan for 'publish --plan'.")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False, exists=True), metavar="PLAN.json",
              help="Apply exactly this saved plan; refused if Azure changed since.")
@click.option("--prune", is_flag=True, help="Delete owned objects the pack no longer produces.")
@click.option("--owner-id", "owner_id", metavar="ID", help="Owner stamp for this environment (default: from the pack).")
@click.option("--tenant", metavar="T", help="Microsoft Entra tenant to sign in to.")
@click.option("--cloud", type=click.Choice(["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"]),
              help="Azure cloud (default: AZURE_CLOUD, else AzureCloud).")
@retry_budget_option
@format_option(("text", "json"))
@click.pass_context
def command(ctx: click.Context, scope_text: str | None, pack: str | None, assign: bool,
            assignment_name: str | None, parameters: tuple[str, ...], exemptions: tuple[str, ...],
            what_if: bool, out: str | None, plan_path: str | None, prune: bool, owner_id: str | None,
            tenant: str | None, cloud: str | None, output_format: str) -> None:
    """Publish a pack's definitions, set and (with --assign) assignment and exemptions to Azure."""
    from generator.publishing import PublishRequest, run_publish_command

    if not plan_path and not scope_text:
        raise click.UsageError("--scope is required (unless --plan)")
    ctx.exit(run_publish_command(PublishRequest(
        scope_text=scope_text, pack=pack, assign=assign, assignment_name=assignment_name,
        parameters=parse_key_values(parameters, "--parameter"), exemptions=exemptions, what_if=what_if, out=out,
        plan_path=plan_path, prune=prune, owner_id=owner_id, tenant=tenant, cloud=cloud,
        output_format=output_format, debug=bool(ctx.obj and ctx.obj.get("debug")),
    )))
