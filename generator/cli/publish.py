"""``clausegate publish``: publish a pack's definitions, set, assignment and exemptions to a scope."""

from __future__ import annotations

import json
from typing import Any

import click

from generator.cli.azure_options import retry_budget_option
from generator.cli.options import format_option, parse_key_values

SYMBOL = {"create": "+", "update": "~", "unchanged": "=", "delete": "-", "orphaned": "?"}


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, sort_keys=True) if value is not None else "null"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_text(result: Any) -> str:
    """The diff and the request counts, for people."""
    plan = result.plan
    mode = "what-if" if result.what_if else "apply"
    lines = [f"Scope {plan.scope.id} (owner {plan.owner}, {mode})"]
    for c in plan.changes:
        lines.append(f"  {SYMBOL[c.action]} {c.action:<9} {c.kind:<10} {c.name}")
        for d in c.changes:
            if c.action == "update":
                before = "(absent)" if d.before is _absent() else _short(d.before)
                after = "(absent)" if d.after is _absent() else _short(d.after)
                lines.append(f"      {d.path}: {before} -> {after}")
        if c.action == "orphaned":
            lines.append("      owned but no longer produced; kept (use --prune to delete)")
    s = plan.summary()
    verb = "would" if result.what_if else "to"
    lines.append(f"Plan: {s['create']} {verb} create, {s['update']} {verb} update, {s['delete']} {verb} delete, "
                 f"{s['unchanged']} unchanged" + (f", {s['orphaned']} orphaned" if s["orphaned"] else ""))
    if not result.what_if:
        lines.append(f"Applied: {len(result.applied)} of {len(plan.writes())} change(s)")
    if result.saved_to:
        lines.append(f"Saved plan to {result.saved_to} (fingerprint {plan.fingerprint[:12]})")
    st = result.stats
    lines.append(f"Requests: {st.requests} ({st.writes} writes), retries: {st.retries} "
                 f"(throttled {st.throttled}, server errors {st.server_errors}, "
                 f"connection errors {st.connection_errors})")
    return "\n".join(lines)


def _absent() -> Any:
    from generator.azure.publish import _ABSENT

    return _ABSENT


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
    import logging

    from generator.azure.credentials import RedactingFilter, install_log_redaction

    debug = bool(ctx.obj and ctx.obj.get("debug"))
    install_log_redaction()
    handler: logging.Handler | None = None
    azure_logger = logging.getLogger("azure")
    old_level = azure_logger.level
    if not debug and not any(isinstance(h, logging.NullHandler) for h in azure_logger.handlers):
        # Without --debug, azure-identity's multi-line warnings must not reach stderr through
        # logging's last-resort handler: failures are reported once, as one line, by the CLI.
        azure_logger.addHandler(logging.NullHandler())
    if debug:
        # SDK request/response traces on stderr; the record factory and this filter redact secrets.
        handler = logging.StreamHandler()
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        azure_logger.setLevel(logging.DEBUG)
        azure_logger.addHandler(handler)
    try:
        _run(scope_text, pack, assign, assignment_name, parameters, exemptions, what_if, out, plan_path,
             prune, owner_id, tenant, cloud, output_format, debug)
    finally:
        if handler is not None:
            azure_logger.removeHandler(handler)
            azure_logger.setLevel(old_level)


def _run(scope_text: str | None, pack: str | None, assign: bool, assignment_name: str | None,
         parameters: tuple[str, ...], exemptions: tuple[str, ...], what_if: bool, out: str | None,
         plan_path: str | None, prune: bool, owner_id: str | None, tenant: str | None, cloud: str | None,
         output_format: str, debug: bool) -> None:
    from generator.azure.publish import load_bundle, load_exemption_files, parse_parameter_value, parse_scope, run_publish
    from generator.azure.settings import resolve_settings
    from generator.errors import InputError

    settings = resolve_settings(cloud, tenant)
    scope = parse_scope(scope_text) if scope_text else None
    if plan_path and (pack or assign or parameters or exemptions or prune or assignment_name or owner_id):
        raise InputError("--plan applies a saved plan as it is; do not combine it with pack or assignment options")
    bundle = owner = None
    if not plan_path:
        if scope is None:
            raise click.UsageError("--scope is required (unless --plan)")
        bundle, default_owner = load_bundle(pack)
        owner = owner_id or default_owner
    values = {k: parse_parameter_value(v) for k, v in parse_key_values(parameters, "--parameter").items()}
    result = run_publish(
        settings=settings, scope=scope, bundle=bundle, owner=owner, assign=assign,
        assignment_name=assignment_name, parameters=values, exemptions=load_exemption_files(exemptions),
        what_if=what_if, out=out, plan_path=plan_path, prune=prune, debug=debug,
    )
    if output_format == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(render_text(result))
    for note in result.ignored:
        click.echo(f"warning: ignored {note}: not at the scope asked for; never changed or deleted", err=True)
    if result.interrupted:
        import signal

        written = ", ".join(f"{c.action} {c.kind} {c.name}" for c in result.applied) or "nothing"
        click.echo(f"interrupted: stopped between requests after {len(result.applied)} of "
                   f"{len(result.plan.writes())} write(s) ({written}); run publish again to finish", err=True)
        raise click.exceptions.Exit(143 if result.interrupted == signal.SIGTERM else 130)
    if result.error is not None:
        raise result.error
