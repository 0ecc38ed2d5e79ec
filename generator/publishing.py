"""`clausegate publish` without the CLI: load the pack, publish (or what-if), print the diff and counts."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PublishRequest:
    """What `publish` was asked for."""

    scope_text: str | None = None
    pack: str | None = None
    assign: bool = False
    assignment_name: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    exemptions: tuple[str, ...] = ()
    what_if: bool = False
    out: str | None = None
    plan_path: str | None = None
    prune: bool = False
    owner_id: str | None = None
    tenant: str | None = None
    cloud: str | None = None
    output_format: str = "text"
    debug: bool = False


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



class PublishInterrupted(Exception):
    """publish stopped between requests on SIGINT/SIGTERM; ``code`` is 130 or 143."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def run_publish_command(req: PublishRequest) -> int:
    """Publish as asked (or show the what-if diff), print the result, and return the exit code."""
    from generator.azure.arm_read import quiet_azure_logs

    undo = quiet_azure_logs(req.debug)
    try:
        _run(req)
    except PublishInterrupted as exc:
        return exc.code
    finally:
        undo()
    return 0


def _run(req: PublishRequest) -> None:
    from generator.azure.publish import load_bundle, load_exemption_files, parse_parameter_value, parse_scope, run_publish
    from generator.azure.settings import resolve_settings
    from generator.errors import InputError

    settings = resolve_settings(req.cloud, req.tenant)
    scope = parse_scope(req.scope_text) if req.scope_text else None
    if req.plan_path and (req.pack or req.assign or req.parameters or req.exemptions or req.prune
                          or req.assignment_name or req.owner_id):
        raise InputError("--plan applies a saved plan as it is; do not combine it with pack or assignment options")
    bundle = owner = None
    if not req.plan_path:
        if scope is None:
            raise InputError("--scope is required (unless --plan)")
        bundle, default_owner = load_bundle(req.pack)
        owner = req.owner_id or default_owner
    values = {k: parse_parameter_value(v) for k, v in req.parameters.items()}
    result = run_publish(
        settings=settings, scope=scope, bundle=bundle, owner=owner, assign=req.assign,
        assignment_name=req.assignment_name, parameters=values, exemptions=load_exemption_files(req.exemptions),
        what_if=req.what_if, out=req.out, plan_path=req.plan_path, prune=req.prune, debug=req.debug,
    )
    text = json.dumps(result.to_json(), indent=2) if req.output_format == "json" else render_text(result)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    for note in result.ignored:
        sys.stderr.write(f"warning: ignored {note}: not at the scope asked for; never changed or deleted\n")
    if result.interrupted:
        import signal

        written = ", ".join(f"{c.action} {c.kind} {c.name}" for c in result.applied) or "nothing"
        sys.stderr.write(f"interrupted: stopped between requests after {len(result.applied)} of "
                         f"{len(result.plan.writes())} write(s) ({written}); run publish again to finish\n")
        raise PublishInterrupted(143 if result.interrupted == signal.SIGTERM else 130)
    if result.error is not None:
        raise result.error
