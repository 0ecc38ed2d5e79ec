"""``clausegate models sync``: the models Azure offers in a region that the catalog does not classify.

Reads ``GET /subscriptions/{s}/providers/Microsoft.CognitiveServices/locations/{location}/models``
(paged; each item names a model, a version, its capabilities and lifecycle status) through the
same management-client pipeline as the other Azure commands (capped retries honouring
Retry-After, request counting, one-line errors), and builds a YAML patch for ``--catalog`` files.
It never writes a catalog: every proposed entry is image-capable until a person reads Microsoft
Learn and decides otherwise, so applying the patch unread changes nothing the policies allow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from generator.errors import InputError, RemoteError

MODELS_API_VERSION = "2024-10-01"
MODELS_DOC = "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/models/list"


@dataclass
class AzureModel:
    """One model name as Azure lists it in a region, every version and kind folded together."""

    name: str
    versions: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    lifecycle: list[str] = field(default_factory=list)
    capabilities: dict[str, str] = field(default_factory=dict)
    deprecation: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    """What the catalog does not classify: new names, and new versions of names it classifies by version."""

    location: str
    subscription: str
    catalog: str
    today: str
    new_models: list[AzureModel]
    new_versions: list[tuple[AzureModel, list[str]]]
    cleared_by_name_new_versions: list[tuple[AzureModel, list[str]]]
    offered: int
    skipped: int
    requests: int


def _add(values: list[str], value: Any) -> None:
    if isinstance(value, str) and value and value not in values:
        values.append(value)


def fold_models(items: list[Any]) -> tuple[dict[str, AzureModel], int]:
    """Fold the API's items (one per kind, name and version) by model name; (models, items skipped)."""
    out: dict[str, AzureModel] = {}
    skipped = 0
    for item in items:
        model = item.get("model") if isinstance(item, dict) else None
        name = model.get("name") if isinstance(model, dict) else None
        if not isinstance(name, str) or not name.strip():
            skipped += 1  # reported: an item we cannot name is never silently dropped
            continue
        m = out.setdefault(name.lower(), AzureModel(name))
        _add(m.versions, model.get("version"))
        _add(m.formats, model.get("format"))
        _add(m.kinds, item.get("kind"))
        _add(m.lifecycle, model.get("lifecycleStatus"))
        dep = model.get("deprecation")
        if isinstance(dep, dict):
            _add(m.deprecation, dep.get("inference"))
        caps = model.get("capabilities")
        if isinstance(caps, dict):
            for k, v in caps.items():
                if isinstance(k, str) and isinstance(v, (str, int, float, bool)):
                    m.capabilities.setdefault(k, str(v).lower() if isinstance(v, bool) else str(v))
    for m in out.values():
        m.versions.sort()
        m.kinds.sort()
        m.formats.sort()
    return out, skipped


def compare(models: dict[str, AzureModel], catalog: Any) -> tuple[list[AzureModel], list[tuple[AzureModel, list[str]]],
                                                                   list[tuple[AzureModel, list[str]]]]:
    """(names the catalog lacks, per-version names with unlisted versions, text-cleared names with new versions)."""
    new, new_versions, cleared_new = [], [], []
    for key in sorted(models):
        m = models[key]
        entry = catalog.entry(m.name)
        if entry is None:
            new.append(m)
            continue
        known = {v.version.lower() for v in entry.versions}
        unlisted = [v for v in m.versions if v.lower() not in known]
        if not unlisted:
            continue
        if entry.classification == "mixed":
            new_versions.append((m, unlisted))  # not cleared until listed: denied today, maybe wrongly
        elif entry.classification == "text":
            cleared_new.append((m, unlisted))  # cleared by name today: a person should confirm
    return new, new_versions, cleared_new


def _q(text: str) -> str:
    """A double-quoted YAML scalar (a JSON string is one), whatever Azure put in the text."""
    import json

    return json.dumps(text, ensure_ascii=False)


def _c(text: str) -> str:
    """Text safe inside a YAML comment line (no line breaks from Azure's answer)."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", text)


def _azure_says(m: AzureModel) -> str:
    caps = ", ".join(f"{k}={v}" for k, v in sorted(m.capabilities.items())) or "none listed"
    parts = [f"format {', '.join(m.formats) or '?'}", f"kinds {', '.join(m.kinds) or '?'}",
             f"lifecycle {', '.join(m.lifecycle) or '?'}", f"capabilities {caps}"]
    if m.deprecation:
        parts.append(f"inference deprecation {', '.join(sorted(m.deprecation))}")
    return "; ".join(parts)


def render_patch(report: SyncReport) -> str:
    """The reviewable YAML patch: a ``sources`` entry and one ``models`` entry per unclassified name."""
    src = f"azure-models-{report.location}-{report.today}"
    lines = [
        f"# clausegate models sync: {report.offered} model name(s) Azure offers in {report.location} "
        f"(subscription {report.subscription}), read {report.today}.",
        f"# {len(report.new_models)} not in the catalog {report.catalog}; "
        f"{len(report.new_versions)} with versions a per-version entry does not list; "
        f"{len(report.cleared_by_name_new_versions)} cleared by name with versions it has not seen.",
        "# Review every entry against Microsoft Learn before adding it to a --catalog file. Each is",
        "# image-capable (imageInput: true, fail-closed) until Microsoft states text-only input; the",
        "# capabilities Azure reports do not say whether a model accepts images.",
        "sources:",
        f"  {src}:",
        f"    title: {_q(f'Azure Resource Manager model list, Microsoft.CognitiveServices/locations/{report.location}/models')}",
        f"    url: {MODELS_DOC}",
        f"    asOf: {_q(report.today)}",
        "models:" + ("" if report.new_models else " []"),
    ]
    for m in report.new_models:
        versions = ", ".join(_q(v) for v in m.versions)
        lines += [
            f"  - name: {_q(m.name)}",
            "    imageInput: true  # REVIEW: set false only where Microsoft Learn states text-only input",
            f"    versions: [{versions}]",
            f"    source: {src}",
            f"    asOf: {_q(report.today)}",
            f"    note: {_q('Azure says: ' + _azure_says(m))}",
        ]
    if report.new_versions:
        lines.append("# Versions a per-version entry does not list (denied until listed; add under its versions:):")
        for m, unlisted in report.new_versions:
            lines.append(_c(f"#   {m.name}: {', '.join(unlisted)}  ({_azure_says(m)})"))
    if report.cleared_by_name_new_versions:
        lines.append("# Names cleared by name with versions the catalog has not seen (still cleared; confirm they")
        lines.append("# take no images, or list the versions to classify each one):")
        for m, unlisted in report.cleared_by_name_new_versions:
            lines.append(_c(f"#   {m.name}: {', '.join(unlisted)}  ({_azure_says(m)})"))
    return "\n".join(lines) + "\n"


def report_json(report: SyncReport) -> dict[str, Any]:
    """The same findings as JSON (for pipelines)."""
    def m_json(m: AzureModel) -> dict[str, Any]:
        return {"name": m.name, "versions": m.versions, "formats": m.formats, "kinds": m.kinds,
                "lifecycleStatus": m.lifecycle, "capabilities": m.capabilities, "inferenceDeprecation": m.deprecation}
    return {
        "location": report.location, "subscription": report.subscription, "catalog": report.catalog,
        "asOf": report.today, "offered": report.offered, "skippedItems": report.skipped,
        "requests": report.requests,
        "notInCatalog": [m_json(m) for m in report.new_models],
        "unlistedVersions": [{**m_json(m), "unlisted": u} for m, u in report.new_versions],
        "clearedByNameUnseenVersions": [{**m_json(m), "unseen": u} for m, u in report.cleared_by_name_new_versions],
    }


def _location(text: str) -> str:
    loc = re.sub(r"\s+", "", text or "").lower()
    if not re.fullmatch(r"[a-z][a-z0-9]{1,40}", loc):
        raise InputError(f"{text!r} is not an Azure region name (e.g. eastus, swedencentral)")
    return loc


def _read_pages(client: Any, url: str | None, loc: str) -> list[Any]:
    """Every item of the paged list; an answer that is not ``{"value": [...]}`` is a remote failure."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    items: list[Any] = []
    page = 0
    while url:
        response = client.send_request(HttpRequest("GET", url))
        if response.status_code >= 400:
            raise HttpResponseError(response=response)
        page += 1
        try:
            payload = response.json()
        except ValueError:
            payload = None
        value = payload.get("value") if isinstance(payload, dict) else None
        next_link = payload.get("nextLink") if isinstance(payload, dict) else None
        if not isinstance(value, list) or not (next_link is None or isinstance(next_link, str)):
            raise RemoteError(f"Azure answered page {page} of the model list of {loc} with something that is not "
                              "a model list (expected {\"value\": [...]})", hint="rerun with --debug to see the answer")
        items.extend(value)
        url = next_link
    return items


def sync_models(location: str, *, catalog: Any, subscription: str | None = None, cloud: str | None = None,
                tenant: str | None = None, today: date | None = None, debug: bool = False) -> SyncReport:
    """Read Azure's model list for ``location`` and compare it with ``catalog`` (never writes it)."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    from generator.azure.arm_read import ArmReader, client_kwargs, read_error
    from generator.azure.clients import NO_SUBSCRIPTION, RequestStats
    from generator.azure.credentials import install_log_redaction, make_credential
    from generator.azure.settings import resolve_settings
    from generator.ids import is_guid

    install_log_redaction()
    loc = _location(location)
    if subscription is not None and not is_guid(subscription):
        raise InputError(f"--subscription {subscription!r} is not a subscription id (a GUID)")
    settings = resolve_settings(cloud, tenant)
    stats = RequestStats()
    credential = make_credential(settings)
    describe = read_error(settings, advice="", above=True)
    client = ResourceManagementClient(credential, NO_SUBSCRIPTION, **client_kwargs(settings, stats, debug=debug))
    reader = ArmReader(client, settings)
    try:
        if subscription is None:
            try:
                subs = reader.list("/subscriptions", "2022-12-01")
            except Exception as exc:
                raise describe(exc, "the subscriptions", "/subscriptions") from None
            ids = sorted(str(s.get("subscriptionId")) for s in subs if isinstance(s, dict) and s.get("subscriptionId"))
            if not ids:
                raise InputError("no subscription is readable with these credentials; give --subscription")
            subscription = ids[0]
        path = f"/subscriptions/{subscription}/providers/Microsoft.CognitiveServices/locations/{loc}/models"
        try:
            items = _read_pages(client, f"{path}?api-version={MODELS_API_VERSION}", loc)
        except (InputError, RemoteError):
            raise
        except Exception as exc:
            raise describe(exc, f"the model list of {loc}", f"/subscriptions/{subscription}") from None
    finally:
        client.close()
        close = getattr(credential, "close", None)
        if callable(close):
            close()
    models, skipped = fold_models(items)
    new, new_versions, cleared_new = compare(models, catalog)
    return SyncReport(loc, subscription, catalog.path, (today or date.today()).isoformat(), new, new_versions,
                      cleared_new, len(models), skipped, stats.requests)


def run_sync(location: str, *, subscription: str | None, catalog_path: str | None, output_format: str,
             output_file: str | None, cloud: str | None, tenant: str | None, debug: bool) -> tuple[str, str]:
    """Sync, render, and write ``output_file`` if given; (text, one-line summary for stderr)."""
    import json

    from generator.azure.arm_read import quiet_azure_logs
    from generator.pack.catalog import load_catalog, today_from_env

    catalog = load_catalog(catalog_path)
    undo = quiet_azure_logs(debug)
    try:
        report = sync_models(location, catalog=catalog, subscription=subscription, cloud=cloud, tenant=tenant,
                             today=today_from_env(), debug=debug)
    finally:
        undo()
    text = (json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n" if output_format == "json"
            else render_patch(report))
    if output_file is not None:
        from generator.fsio import write_text_atomic

        write_text_atomic(output_file, text)
    summary = (f"models sync: {report.offered} model name(s) in {report.location}; {len(report.new_models)} not in "
               f"the catalog, {len(report.new_versions)} with unlisted versions, "
               f"{len(report.cleared_by_name_new_versions)} cleared by name with unseen versions; "
               f"{report.requests} request(s)")
    if report.skipped:
        summary += f"; {report.skipped} item(s) without a model name skipped"
    if output_file is not None:
        summary += f"; wrote {output_file}"
    return text, summary
