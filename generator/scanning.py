"""`clausegate scan` without the CLI: load the policies, scan Azure, write the report(s), decide the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from generator.report.emit import OutputSpec


@dataclass
class ScanRequest:
    """What `scan` was asked for."""

    management_group: str | None = None
    subscriptions: tuple[str, ...] = ()
    tenant_wide: bool = False
    pack: str | None = None
    policies: tuple[str, ...] = ()
    extra_types: tuple[str, ...] = ()
    le_pattern: str | None = None
    concurrency: int = 8
    list_every: bool = False
    tenant: str | None = None
    cloud: str | None = None
    fail_on: tuple[str, ...] = ()
    show_all: bool = False
    exemption_files: tuple[str, ...] = ()
    debug: bool = False
    progress: Callable[[str], None] | None = None
    output: OutputSpec = field(default_factory=OutputSpec)


def run_scan_command(req: ScanRequest, config_path: str | None = None, given: set[str] | None = None) -> int:
    """Scan, write the report(s) (text adds the scan section), and return the exit code (3 when incomplete)."""
    from generator.check import SCAN_SETTINGS, with_settings

    with_settings(req, config_path, given or set(), SCAN_SETTINGS)
    from generator.azure.arm_read import quiet_azure_logs
    from generator.azure.scan import format_scan_text, load_scan_policies, run_scan
    from generator.errors import InputError
    from generator.report.emit import emit, render_format

    if req.pack and req.policies:
        raise InputError("give --pack or --policy, not both")
    scan_policies = load_scan_policies(req.pack, req.policies)
    from generator.exempt import exemption_documents

    local = exemption_documents(req.exemption_files)
    undo = quiet_azure_logs(req.debug)
    try:
        result = run_scan(scan_policies, management_group=req.management_group, subscriptions=req.subscriptions,
                          tenant_wide=req.tenant_wide, cloud=req.cloud, tenant=req.tenant, fail_on=req.fail_on,
                          show_all=req.show_all, extra_types=req.extra_types, concurrency=req.concurrency,
                          le_pattern=req.le_pattern, list_every_parent=req.list_every, progress=req.progress,
                          debug=req.debug, local_exemptions=local)
    finally:
        undo()

    from generator.report.findings import annotate

    result.report = annotate(result.report, scan_policies.library, explain=req.output.explain)

    def render(fmt: str, report: Mapping[str, Any], color: bool) -> str:
        text = render_format(fmt, report, color=color, explain=req.output.explain)
        return text + format_scan_text(result) if fmt == "text" else text

    req_counts = result.report["scan"]["requests"]
    notes: list[Any] = []
    formats = req.output.formats or ("text",)
    if formats != ("text",) or req.output.output_file or req.output.output_dir:
        # text on standard output already ends with the request counts
        notes.append(f"scan: {req_counts['total']} request(s) ({req_counts['graphPages']} Resource Graph page(s), "
                     f"{req_counts['resourceManagerListings']} Resource Manager listing(s), "
                     f"{req_counts['retries']} retried)")
    notes.extend(f"incomplete: {line}" for line in result.incomplete)
    emit(result.report, req.output, render=render, notes=notes)
    return result.exit_code
