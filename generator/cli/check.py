"""`clausegate check`: Terraform plans, Terraform directories or ARM JSON against the policies, before apply."""

from __future__ import annotations

from typing import Any

import click

from generator.cli.azure_options import apply_from_azure, from_azure_options
from generator.cli.options import (
    context_options,
    fail_on_option,
    format_option,
    load_context,
    parse_key_values,
    read_data_file,
)
from generator.errors import InputError


class _CheckCommand(click.Command):
    """Records the command-line order of --var and --var-file (Terraform applies them in that order)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        order = []
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if name in ("--var", "--var-file"):
                order.append(name[2:])
        ctx.meta["clausegate.var_order"] = order
        return super().parse_args(ctx, args)


def _ordered_variables(variables: tuple[str, ...], var_files: tuple[str, ...],
                       order: list[str]) -> tuple[dict[str, str], list[str] | None]:
    """-var values (a repeated name counts where it was last given) and the var / var-file order."""
    if order.count("var") != len(variables) or order.count("var-file") != len(var_files):
        return parse_key_values(variables, "--var"), None
    pairs: list[tuple[str, str]] = []
    events: list[tuple[str, str | None]] = []
    values = iter(variables)
    for kind in order:
        if kind == "var":
            key, value = next(iter(parse_key_values((next(values),), "--var").items()))
            pairs.append((key, value))
            events.append(("var", key))
        else:
            events.append(("var-file", None))
    last = {key: i for i, (kind, key) in enumerate(events) if kind == "var"}
    out: dict[str, str] = {}
    kinds: list[str] = []
    pair_values = iter(pairs)
    for i, (kind, key) in enumerate(events):
        if kind == "var-file":
            kinds.append(kind)
            continue
        k, v = next(pair_values)
        if last[k] == i:
            out[k] = v
            kinds.append(kind)
    return out, kinds


@click.command("check", cls=_CheckCommand)
@click.argument("path", type=click.Path(exists=True))
@click.option("--source", "source_dir", type=click.Path(exists=True, file_okay=False),
              help="Terraform directory the plan was made from (adds file and line to results).")
@click.option("--var", "variables", multiple=True, metavar="K=V", help="Terraform variable for a directory (repeatable).")
@click.option("--var-file", "var_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Terraform .tfvars file for a directory (repeatable, applied in order).")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True),
              help="Policy definition or set file, or a folder of them (repeatable; default: the shipped pack).")
@click.option("--parameters", "parameters_file", type=click.Path(exists=True, dir_okay=False),
              help="Parameter values: {\"name\": {\"value\": ...}} (bare values accepted).")
@click.option("--assignment", "assignment_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="ARM policy assignment JSON to evaluate through (repeatable).")
@click.option("--exemption", "exemption_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="ARM policy exemption JSON (repeatable).")
@context_options
@from_azure_options
@click.option("--subscription-id", "subscription_id", metavar="ID",
              help="Subscription the resources deploy to (for ARM ids and context).")
@click.option("--resource-group", "resource_group", metavar="NAME",
              help="Resource group an ARM template deploys to (for ids and context).")
@click.option("--template-parameters", "template_parameters", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="ARM parameter file (*.parameters.json) for a template (repeatable; later files win).")
@format_option()
@fail_on_option
@click.option("--all", "show_all", is_flag=True, help="List no-match results too.")
@click.option("--output", "output_file", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
def command(
    path: str,
    source_dir: str | None,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    policies: tuple[str, ...],
    parameters_file: str | None,
    assignment_files: tuple[str, ...],
    exemption_files: tuple[str, ...],
    context_file: str | None,
    subscription_tags: tuple[str, ...],
    subscription_id: str | None,
    resource_group: str | None,
    template_parameters: tuple[str, ...],
    output_format: str,
    fail_on: tuple[str, ...],
    show_all: bool,
    output_file: str | None,
    **azure_opts: Any,
) -> None:
    """Check what PATH would deploy (a plan from `terraform show -json`, a Terraform directory, or ARM
    JSON) against Azure Policy definitions, before apply. Exit 1 when a result --fail-on selects is found."""
    from generator.engine.assignments import load_assignment, load_exemption
    from generator.engine.evaluator import Evaluator, load_policy_files
    from generator.engine.policies import unwrap_parameter_values
    from generator.report import formatters
    from generator.terraform.check import check_exit_code, default_library, read_input, run

    if subscription_id is not None:
        from generator.ids import is_guid

        # Resource ids are built from it, and --from-azure reads /subscriptions/<id>: a value that is
        # not a subscription id is bad input, not a silent "nothing matched" or "nothing was read".
        if not is_guid(subscription_id):
            raise InputError(f"--subscription-id {subscription_id!r} is not a subscription id "
                             f"(a GUID such as 00000000-0000-0000-0000-000000000000)")
    cli_vars, var_order = _ordered_variables(
        variables, var_files, click.get_current_context().meta.get("clausegate.var_order", []))
    context = load_context(context_file, subscription_tags)
    named = [k for k in context.subscriptions if k != "*"]
    input_ = read_input(
        path,
        source_dir=source_dir,
        var_files=var_files,
        variables=cli_vars,
        subscription_id=subscription_id,
        context_subscription=named[0] if len(named) == 1 else None,
        var_order=var_order,
        template_parameters=template_parameters,
        resource_group=resource_group,
        context=context,
    )
    params = unwrap_parameter_values(read_data_file(parameters_file), parameters_file) if parameters_file else {}
    library = load_policy_files(policies) if policies else default_library()[0]
    assignments = [load_assignment(p) for p in assignment_files]
    exemptions = [load_exemption(p) for p in exemption_files]
    landing = [i.scope_id for i in input_.items] + [f"/subscriptions/{input_.subscription_id}"]
    notes: list[str] = _unmatched_context_subscriptions(named, "*" in context.subscriptions, landing)
    # --from-azure: live tags, assignments and exemptions of the scopes the resources land in.
    # Terraform resources are mapped lazily; map them once more here only when Azure must be asked.
    item_scopes = input_.scope_ids() if azure_opts.get("from_azure") else [i.scope_id for i in input_.items]
    scope_ids = item_scopes + [f"/subscriptions/{input_.subscription_id}" if input_.subscription_id else None]
    context = apply_from_azure(azure_opts, scope_ids, library, context, assignments, exemptions, notes)
    if policies and not library.definitions and not library.sets and not library.invalid:
        # A wrong path in a pipeline must not pass as "nothing to deny".
        raise InputError("no policy definition or set found under " + ", ".join(policies))
    evaluator = Evaluator(
        library,
        assignments=assignments,
        exemptions=exemptions,
        parameters=params,
        fail_on=fail_on,
        parameters_file=parameters_file,
    )
    report = run(input_, evaluator, context, show_all=show_all, fail_on=fail_on, extra_warnings=notes)
    if output_format == "sarif":
        # GitHub code scanning rejects a result without a physical location: a plan's results that no
        # --source places point at the file they were read from (the JSON report keeps file null).
        report = dict(report, results=[r if r.get("file") or r.get("result") == "invalid" else dict(r, file=path)
                                       for r in report.get("results", [])])
    text = formatters[output_format](report)
    if output_file:
        from generator.fsio import write_text_atomic

        write_text_atomic(output_file, text)
    else:
        click.echo(text, nl=False)
    click.get_current_context().exit(check_exit_code(report, fail_on))


def _unmatched_context_subscriptions(named: list[str], has_wildcard: bool, scopes: list[Any]) -> list[str]:
    """A warning when the context names subscriptions but none of them is one the resources land in."""
    if not named or has_wildcard:
        return []
    import re

    landing = {m.group(1).lower() for scope in scopes
               if (m := re.match(r"/subscriptions/([^/]+)", str(scope or ""), re.IGNORECASE))} - {"none"}
    if not landing or landing & {n.lower() for n in named}:
        return []
    return [f"the context file gives tags for subscription(s) {', '.join(sorted(named))}, but the resources "
            f"land in {', '.join(sorted(landing))}: those tags do not apply (use '*' for every subscription)"]
