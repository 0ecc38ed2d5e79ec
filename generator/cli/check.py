"""`clausegate check`: Terraform plans, Terraform directories or ARM JSON against the policies, before apply."""

from __future__ import annotations

from typing import Any

import click

from generator.cli.azure_options import from_azure_options
from generator.cli.options import (
    config_option,
    context_options,
    given_options,
    fail_on_option,
    output_options,
    output_spec,
    parse_key_values,
)


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
@click.argument("paths", nargs=-1, metavar="PATH...", type=click.Path(exists=True, allow_dash=True))
@click.option("--recursive", "-r", is_flag=True,
              help="Check every Terraform root (a folder with a provider or backend block) below each folder PATH.")
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
@click.option("--exemption", "exemption_files", multiple=True, type=click.Path(exists=True),
              help="ARM policy exemption JSON or YAML, or a folder of them such as .clausegate/exemptions "
                   "(repeatable; see 'clausegate exempt').")
@context_options
@from_azure_options
@click.option("--subscription-id", "subscription_id", metavar="ID",
              help="Subscription the resources deploy to (for ARM ids and context).")
@click.option("--resource-group", "resource_group", metavar="NAME",
              help="Resource group an ARM template deploys to (for ids and context).")
@click.option("--template-parameters", "template_parameters", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="ARM parameter file (*.parameters.json) for a template (repeatable; later files win).")
@output_options()
@fail_on_option
@click.option("--all", "show_all", is_flag=True, help="List no-match results too.")
@config_option
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[str, ...],
    recursive: bool,
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
    formats: tuple[str, ...],
    output_file: str | None,
    output_dir: str | None,
    quiet: bool | None,
    explain: bool | None,
    fail_on: tuple[str, ...],
    show_all: bool,
    config_path: str | None,
    **azure_opts: Any,
) -> None:
    """Check what each PATH would deploy (a plan from `terraform show -json`, `-` for such a plan on standard
    input, a Terraform directory, or ARM JSON) against Azure Policy definitions, before apply. Exit 1 when a
    result --fail-on selects is found."""
    from generator.check import CheckRequest, check_with_settings

    cli_vars, var_order = _ordered_variables(variables, var_files, ctx.meta.get("clausegate.var_order", []))
    request = CheckRequest(
        paths=list(paths), recursive=recursive, source_dir=source_dir, variables=cli_vars, var_files=var_files, var_order=var_order,
        policies=policies, parameters_file=parameters_file, assignment_files=assignment_files,
        exemption_files=exemption_files, context_file=context_file,
        subscription_tags=parse_key_values(subscription_tags, "--subscription-tag"),
        subscription_id=subscription_id, fail_on=fail_on, show_all=show_all, azure=azure_opts,
        debug=bool(ctx.find_root().obj and ctx.find_root().obj.get("debug")),
        resource_group=resource_group, template_parameters=template_parameters,
        output=output_spec(formats, output_file, output_dir, quiet, explain),
        echo=lambda line: click.echo(line, err=True),
    )
    ctx.exit(check_with_settings(request, config_path, given_options(ctx)))
