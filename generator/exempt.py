"""Suppression is an exemption: write an Azure Policy exemption (for publish) and its Terraform form,
and honour exemption files offline in check, eval and scan through the shipped pack's assignment."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from generator.errors import InputError

DEFAULT_DIR = ".clausegate/exemptions"
_SUB = re.compile(r"^/subscriptions/[0-9a-fA-F-]{36}", re.IGNORECASE)
_MG = re.compile(r"^/providers/Microsoft\.Management/managementGroups/[A-Za-z0-9_().-]{1,90}$", re.IGNORECASE)
_BAD_NAME = re.compile(r"[<>*%&:?+/\\]")


@dataclass
class ExemptRequest:
    """What `clausegate exempt` was asked for."""

    clause: str
    scope: str
    category: str
    expires: str | None
    reason: str | None
    name: str | None = None
    pack: str | None = None
    assignment_scope: str | None = None
    out_dir: str = DEFAULT_DIR
    now: datetime | None = None


@dataclass
class ExemptResult:
    """The files written and the exemption object."""

    json_path: Path
    tf_path: Path
    exemption: dict[str, Any]


def parse_expiry(text: str, now: datetime) -> datetime:
    """``2027-01-31`` (end of that day, UTC) or an ISO 8601 time; must lie in the future."""
    raw = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            d = date.fromisoformat(raw)
            t = datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=timezone.utc)
        else:
            t = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            t = t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    except ValueError:
        raise InputError(f"--expires {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    if t <= now:
        raise InputError(f"--expires {text!r} is in the past: an exemption must end in the future")
    return t.astimezone(timezone.utc)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-").lower()


def default_name(clause: str, scope: str) -> str:
    """``<clause>-<last scope segment>``, at most 64 characters, valid as an exemption name."""
    tail = _slug(scope.rstrip("/").rsplit("/", 1)[-1])
    return f"{clause}-{tail}"[:64].rstrip("-. ")


def _assignment(pack: Any, scope: str, assignment_scope: str | None) -> tuple[str, str]:
    """(assignment scope, assignment id) of the shipped pack's assignment the exemption names."""
    from generator.targets.policy_json import assignment_name

    if assignment_scope is None:
        m = _SUB.match(scope)
        assignment_scope = m.group(0) if m else scope
    if not (_SUB.fullmatch(assignment_scope) or _MG.match(assignment_scope)):
        raise InputError(f"--assignment-scope {assignment_scope!r} is not a management group or subscription id")
    name = assignment_name(pack, management_group=bool(_MG.match(assignment_scope)))
    return assignment_scope, f"{assignment_scope}/providers/Microsoft.Authorization/policyAssignments/{name}"


def write_exemption(req: ExemptRequest) -> ExemptResult:
    """Validate, then write ``<out>/<name>.json`` (ARM exemption for publish / check) and ``<name>.tf``."""
    from generator.check import shipped_pack

    now = req.now or datetime.now(timezone.utc)
    if not req.reason or not req.reason.strip():
        raise InputError("an exemption needs --reason: say why the finding is accepted (it is kept in Azure)")
    if not req.expires:
        raise InputError("an exemption needs --expires DATE: exemptions end, and are reviewed when they do")
    if req.category not in ("Waiver", "Mitigated"):
        raise InputError(f"--category {req.category!r} is not Waiver or Mitigated")
    scope = req.scope.rstrip("/")
    if not (_SUB.match(scope) or _MG.match(scope)):
        raise InputError(f"--scope {req.scope!r} is not an ARM id (a management group, subscription, resource "
                         f"group or resource id such as /subscriptions/<id>/resourceGroups/<name>)")
    expires = parse_expiry(req.expires, now)
    pack = shipped_pack(req.pack)
    ids = [c.id for c in pack.clauses]
    if req.clause not in ids:
        raise InputError(f"--clause {req.clause!r} is not a clause of pack {pack.name} (clauses: {', '.join(ids)})")
    name = req.name or default_name(req.clause, scope)
    if not name or len(name) > 64 or _BAD_NAME.search(name) or name[-1] in ". ":
        raise InputError(f"exemption name {name!r}: 1 to 64 characters, none of <>*%&:?+/\\, "
                         "no trailing period or space")
    assignment_scope, assignment_id = _assignment(pack, scope, req.assignment_scope)
    expires_text = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    display = f"{req.clause}: {req.reason.strip()}"[:128]
    doc = {
        "id": f"{scope}/providers/Microsoft.Authorization/policyExemptions/{name}",
        "name": name,
        "type": "Microsoft.Authorization/policyExemptions",
        "scope": scope,
        "properties": {
            "policyAssignmentId": assignment_id,
            "policyDefinitionReferenceIds": [req.clause],
            "exemptionCategory": req.category,
            "expiresOn": expires_text,
            "displayName": display,
            "description": req.reason.strip(),
            "metadata": {"clausegate": {"clauseId": req.clause, "pack": pack.name,
                                        "createdOn": now.strftime("%Y-%m-%dT%H:%M:%SZ")}},
        },
    }
    out = Path(req.out_dir)
    json_path, tf_path = out / f"{name}.json", out / f"{name}.tf"
    from generator.report.emit import write_report_file

    write_report_file(str(json_path), json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    write_report_file(str(tf_path), terraform_snippet(doc, assignment_scope))
    return ExemptResult(json_path, tf_path, doc)


def _hcl(value: str) -> str:
    return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def terraform_snippet(doc: dict[str, Any], assignment_scope: str) -> str:
    """The same exemption for Terraform: an entry of the assignment module's ``exemptions`` map, or, below a
    subscription (which that map does not take), an azurerm exemption resource naming the module's assignment."""
    p = doc["properties"]
    scope, name = doc["scope"], doc["name"]
    refs = ", ".join(_hcl(r) for r in p["policyDefinitionReferenceIds"])
    if _MG.match(scope) or _SUB.fullmatch(scope):
        return (
            f"# Add to the `exemptions` map of the assignment module (modules/aoai-law-enforcement-assignment)\n"
            f"# assigned at {assignment_scope}:\n"
            f"#   exemptions = {{ ... }}\n"
            f"{_hcl(name)} = {{\n"
            f"  exemption_category              = {_hcl(p['exemptionCategory'])}\n"
            f"  expires_on                      = {_hcl(p['expiresOn'])}\n"
            f"  scope_id                        = {_hcl(scope)}\n"
            f"  description                     = {_hcl(p['description'])}\n"
            f"  display_name                    = {_hcl(p['displayName'])}\n"
            f"  policy_definition_reference_ids = [{refs}]\n"
            f"}}\n"
        )
    is_rg = re.fullmatch(r"/subscriptions/[^/]+/resourceGroups/[^/]+", scope, re.IGNORECASE) is not None
    kind, attr = ("resource_group", "resource_group_id") if is_rg else ("resource", "resource_id")
    label = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return (
        f"# The assignment module's `exemptions` map takes management groups and subscriptions only:\n"
        f"# an exemption below a subscription is its own resource, naming the module's assignment.\n"
        f"resource \"azurerm_{kind}_policy_exemption\" {_hcl(label)} {{\n"
        f"  name                            = {_hcl(name)}\n"
        f"  {attr:<31} = {_hcl(scope)}\n"
        f"  policy_assignment_id            = module.aoai_law_enforcement_assignment.policy_assignment_id\n"
        f"  exemption_category              = {_hcl(p['exemptionCategory'])}\n"
        f"  expires_on                      = {_hcl(p['expiresOn'])}\n"
        f"  description                     = {_hcl(p['description'])}\n"
        f"  display_name                    = {_hcl(p['displayName'])}\n"
        f"  policy_definition_reference_ids = [{refs}]\n"
        f"}}\n"
    )


# --- honoured offline --------------------------------------------------------------------------------

def exemption_files(paths: Iterable[str]) -> list[str]:
    """Files named directly, and every ``*.json`` / ``*.yaml`` in folders named."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(str(f) for f in sorted(path.iterdir())
                       if f.suffix.lower() in (".json", ".yaml", ".yml") and f.is_file())
        else:
            out.append(str(path))
    return out


def exemption_documents(paths: Iterable[str], *, validate: bool = True) -> list[dict[str, Any]]:
    """The exemption objects of files and folders (JSON or YAML; one line with file:line when malformed)."""
    return [doc for _, doc in _documents(paths, validate=validate)]


def _documents(paths: Iterable[str], *, validate: bool = True) -> list[tuple[str, dict[str, Any]]]:
    from generator.context import parse_json_or_yaml
    from generator.engine.assignments import parse_exemption
    from generator.fsio import read_text

    out: list[tuple[str, dict[str, Any]]] = []
    for f in exemption_files(paths):
        doc = parse_json_or_yaml(read_text(f), f)
        if isinstance(doc, dict) and isinstance(doc.get("exemptions"), list):
            doc = doc["exemptions"]
        for item in doc if isinstance(doc, list) else [doc]:
            if isinstance(item, dict) and isinstance(item.get("properties"), dict):
                exp = item["properties"].get("expiresOn")
                if isinstance(exp, (datetime, date)):  # YAML reads an unquoted time as a datetime
                    item = dict(item, properties=dict(item["properties"], expiresOn=exp.isoformat()))
            if validate:
                parse_exemption(item, file=f)  # bad input is exit 2 here, naming the file
            out.append((f, item))
    return out


def load_exemptions(paths: Iterable[str]) -> list[Any]:
    """Parse exemption files (JSON or YAML; one line with file:line when malformed)."""
    from generator.engine.assignments import parse_exemption

    return [parse_exemption(item, file=f) for f, item in _documents(paths, validate=False)]


def implied_assignments(exemptions: list[Any], assignments: list[Any], library: Any,
                        now: datetime | None = None) -> tuple[list[Any], list[str]]:
    """The shipped pack's assignment, for exemptions that name it when no assignment was given; and warnings
    for expired exemptions (they stop applying and say so)."""
    from generator.engine.assignments import Assignment

    now = now or datetime.now(timezone.utc)
    warnings = [f"exemption {ex.name} ({ex.file}) expired on {ex.to_json()['expiresOn']}: no longer applied; "
                f"renew it with 'clausegate exempt' or delete the file" for ex in exemptions if ex.expired(now)]
    if assignments or not exemptions:
        return [], warnings
    roots = [s for s in getattr(library, "sets", {}).values()] if isinstance(getattr(library, "sets", None), dict) \
        else list(getattr(library, "sets", []) or [])
    if len(roots) != 1:
        return [], warnings
    policy_set = roots[0]
    out: list[Any] = []
    for ex in exemptions:
        aid = ex.assignment_id.rstrip("/")
        if any(a.id.lower() == aid.lower() for a in out):
            continue
        name = aid.rsplit("/", 1)[-1]
        # Scope None: the assignment applies to every resource checked, as the implicit run does; only the
        # exemptions' own scopes narrow what they exempt.
        out.append(Assignment(name=name, id=aid, scope=None,
                              policy_definition_id=policy_set.id or policy_set.name, parameters={}))
    return out, warnings
