"""``clausegate report``: evidence for governance teams, one page per clause (HTML or Markdown).

Data flows one way: result files (``scan``/``check`` JSON) and, optionally, live Azure facts
(``generator.azure.compliance``) -> plain sorted data (``model.build_evidence``) -> Jinja2 templates
under ``templates/report/`` (``render.render``). Clause titles, quotes, sources, dates and remediation
come from the pack data, looked up by policy name or clause id, never from the result fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable


@dataclass
class ReportRun:
    """The rendered text and what the command reports on stderr."""

    text: str
    data: dict[str, Any]
    incomplete: list[str] = field(default_factory=list)
    requests: int = 0
    graph_pages: int = 0


def make_report(
    result_files: Iterable[str],
    *,
    fmt: str = "html",
    packs: Iterable[str] = (),
    as_of: str | None = None,
    scope: str | None = None,
    cloud: str | None = None,
    tenant: str | None = None,
    le_pattern: str | None = None,
    warn: Callable[[str], None] | None = None,
    progress: Callable[[str], None] | None = None,
    debug: bool = False,
) -> ReportRun:
    """Read the inputs (and Azure when ``scope`` is given), build the evidence and render it."""
    from generator.errors import InputError
    from generator.evidence.catalog import load_catalog
    from generator.evidence.inputs import read_results_file
    from generator.evidence.model import build_evidence, parse_as_of
    from generator.evidence.render import render

    if fmt not in ("html", "markdown"):
        raise InputError(f"unknown report format {fmt!r}; use html or markdown")
    day = parse_as_of(as_of)
    paths = list(result_files)
    files = [read_results_file(p) for p in paths]
    pack_refs = list(packs)
    catalog = load_catalog(pack_refs, warn=warn)
    azure = None
    if scope is not None:
        from generator.azure.compliance import parse_scope, read_compliance

        parse_scope(scope)  # bad input before any sign-in
        azure = read_compliance(scope, set_names=catalog.set_names, definition_names=catalog.definition_names,
                                cloud=cloud, tenant=tenant, progress=progress, debug=debug)
        if day is None:
            day = parse_as_of(azure.read_on)
    elif not paths:
        raise InputError("nothing to report: give scan/check JSON result files, or --from-azure --scope SCOPE")
    data = build_evidence(files, catalog, azure=azure, as_of=day, packs_named=bool(pack_refs), le_pattern=le_pattern)
    return ReportRun(render(data, fmt), data, list(azure.incomplete) if azure else [],
                     azure.requests if azure else 0, azure.graph_pages if azure else 0)


__all__ = ["ReportRun", "make_report"]
