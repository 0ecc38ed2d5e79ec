"""`clausegate check` without the CLI: read the inputs, gather policies and context, evaluate, report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from generator.errors import InputError
from generator.report.emit import OutputSpec


@dataclass
class CheckRequest:
    """Everything `check` was asked for, already parsed (the CLI and the config file fill it)."""

    paths: list[str]
    source_dir: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    var_files: tuple[str, ...] = ()
    var_order: list[str] | None = None
    policies: tuple[str, ...] = ()
    parameters_file: str | None = None
    assignment_files: tuple[str, ...] = ()
    exemption_files: tuple[str, ...] = ()
    context_file: str | None = None
    subscription_tags: dict[str, str] = field(default_factory=dict)
    subscription_id: str | None = None
    fail_on: tuple[str, ...] = ()
    show_all: bool = False
    azure: dict[str, Any] = field(default_factory=dict)   # --from-azure and its settings
    debug: bool = False
    output: OutputSpec = field(default_factory=OutputSpec)
    echo: Callable[[str], None] | None = None               # stderr notes (from Azure: ...)


def run_check(req: CheckRequest) -> int:
    """Run `check` as asked, write the report(s), and return the CONTRACTS exit code."""
    report = build_check_report(req)
    out = req.output
    if any(fmt == "sarif" for fmt in out.formats):
        report = sarif_ready(report, req.paths)
    from generator.report.emit import emit

    emit(report, out)
    from generator.terraform.check import check_exit_code

    return check_exit_code(report, req.fail_on)


def sarif_ready(report: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """Every result placed in a file: GitHub code scanning rejects a result without a physical location.

    A plan's results that no --source places point at the file they were read from (the JSON report
    keeps ``file`` null).
    """
    default = paths[0] if len(paths) == 1 else None
    results = []
    for r in report.get("results", []):
        if not r.get("file") and r.get("result") != "invalid":
            src = r.get("inputPath") or default
            if src:
                r = dict(r, file=src)
        results.append(r)
    return dict(report, results=results)


def shipped_pack(ref: str | None = None) -> Any:
    """The pack named (a registered name or a YAML path), else the shipped one."""
    if ref:
        from generator.pack import load_pack

        return load_pack(ref)
    from generator.packs import microsoft_aoai_law_enforcement

    return microsoft_aoai_law_enforcement()


def _validate_subscription_id(subscription_id: str | None) -> None:
    if subscription_id is None:
        return
    from generator.ids import is_guid

    # Resource ids are built from it, and --from-azure reads /subscriptions/<id>: a value that is
    # not a subscription id is bad input, not a silent "nothing matched" or "nothing was read".
    if not is_guid(subscription_id):
        raise InputError(f"--subscription-id {subscription_id!r} is not a subscription id "
                         f"(a GUID such as 00000000-0000-0000-0000-000000000000)")


def load_context(context_file: str | None, subscription_tags: dict[str, str]) -> Any:
    """The Context from ``--context`` and ``--subscription-tag`` (which wins over the file's '*')."""
    from generator.context import Context

    context = Context.load(context_file) if context_file else Context.empty()
    return context.with_subscription_tags(subscription_tags) if subscription_tags else context


def read_parameters(parameters_file: str | None) -> dict[str, Any]:
    """Parameter values from a file: {"name": {"value": ...}} (bare values accepted)."""
    if not parameters_file:
        return {}
    from generator.context import parse_json_or_yaml
    from generator.engine.policies import unwrap_parameter_values
    from generator.fsio import read_text

    return unwrap_parameter_values(parse_json_or_yaml(read_text(parameters_file), parameters_file),
                                   parameters_file)


def build_check_report(req: CheckRequest) -> dict[str, Any]:
    """The CONTRACTS report of one `check` run (no output written)."""
    from generator.engine.assignments import load_assignment
    from generator.engine.evaluator import Evaluator, load_policy_files
    from generator.exempt import implied_assignments, load_exemptions
    from generator.terraform.check import default_library, read_input, run

    _validate_subscription_id(req.subscription_id)
    if not req.paths:
        raise InputError("nothing to check: give a PATH (a plan, a Terraform directory or ARM JSON)")
    context = load_context(req.context_file, req.subscription_tags)
    named = [k for k in context.subscriptions if k != "*"]
    path = req.paths[0]
    input_ = read_input(
        path,
        source_dir=req.source_dir,
        var_files=req.var_files,
        variables=req.variables,
        subscription_id=req.subscription_id,
        context_subscription=named[0] if len(named) == 1 else None,
        var_order=req.var_order,
    )
    params = read_parameters(req.parameters_file)
    library = load_policy_files(req.policies) if req.policies else default_library()[0]
    assignments = [load_assignment(p) for p in req.assignment_files]
    exemptions = load_exemptions(req.exemption_files)
    implied, expired = implied_assignments(exemptions, assignments, library)
    assignments.extend(implied)
    landing = [i.scope_id for i in input_.items] + [f"/subscriptions/{input_.subscription_id}"]
    notes: list[str] = unmatched_context_subscriptions(named, "*" in context.subscriptions, landing) + expired
    if req.azure.get("from_azure"):
        # Live tags, assignments and exemptions of the scopes the resources land in. Terraform
        # resources are mapped lazily; map them once more here only when Azure must be asked.
        scope_ids: list[str | None] = list(input_.scope_ids())
        scope_ids.append(f"/subscriptions/{input_.subscription_id}" if input_.subscription_id else None)
        context = apply_from_azure(req.azure, scope_ids, library, context, assignments, exemptions, notes,
                                   debug=req.debug, echo=req.echo)
    if req.policies and not library.definitions and not library.sets and not library.invalid:
        # A wrong path in a pipeline must not pass as "nothing to deny".
        raise InputError("no policy definition or set found under " + ", ".join(req.policies))
    evaluator = Evaluator(
        library,
        assignments=assignments,
        exemptions=exemptions,
        parameters=params,
        fail_on=req.fail_on,
        parameters_file=req.parameters_file,
    )
    report = run(input_, evaluator, context, show_all=req.show_all, fail_on=req.fail_on, extra_warnings=notes)
    from generator.report.findings import annotate

    return annotate(report, library, params, explain=req.output.explain)


def apply_from_azure(opts: dict[str, Any], scope_ids: list[str | None], library: Any, context: Any,
                     assignments: list[Any], exemptions: list[Any], notes: list[str], *, debug: bool = False,
                     echo: Callable[[str], None] | None = None) -> Any:
    """Add live assignments/exemptions and notes in place; return the context merged with Azure's tags."""
    from generator.azure.arm_read import quiet_azure_logs
    from generator.azure.live_context import load_live_context

    undo = quiet_azure_logs(debug)
    try:
        live = load_live_context(scope_ids, cloud=opts.get("cloud"), tenant=opts.get("tenant"),
                                 cache_dir=opts.get("cache_dir"),
                                 ttl=0 if opts.get("refresh") else opts.get("cache_ttl", 3600), debug=debug)
    finally:
        undo()
    keep, keep_ex, live_notes = live.relevant(library)
    assignments.extend(keep)
    exemptions.extend(keep_ex)
    notes.extend(live.warnings + live_notes)
    if echo is not None:
        echo(f"from Azure: {len(live.subscriptions)} subscription(s), {len(live.resource_groups)} resource "
             f"group(s), {len(keep)} assignment(s), {len(keep_ex)} exemption(s); {live.requests} request(s), "
             f"cache {live.cache_hits} hit(s) / {live.cache_misses} miss(es)")
    return live.merged_context(context)


def unmatched_context_subscriptions(named: list[str], has_wildcard: bool, scopes: list[Any]) -> list[str]:
    """A warning when the context names subscriptions but none of them is one the resources land in."""
    if not named or has_wildcard:
        return []
    landing = {m.group(1).lower() for scope in scopes
               if (m := re.match(r"/subscriptions/([^/]+)", str(scope or ""), re.IGNORECASE))} - {"none"}
    if not landing or landing & {n.lower() for n in named}:
        return []
    return [f"the context file gives tags for subscription(s) {', '.join(sorted(named))}, but the resources "
            f"land in {', '.join(sorted(landing))}: those tags do not apply (use '*' for every subscription)"]
