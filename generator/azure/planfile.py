"""Saved publish plans: ``--what-if --out PLAN.json`` writes one, ``--plan PLAN.json`` applies exactly it.

A plan records a hash of every remote object it was computed against. Applying re-reads Azure and
refuses when any of them changed, or an object of the same owner appeared, since the plan was made:
the approval was for that diff against that state, not for whatever the diff would be now.
Refusal is exit 2 (InputError), not 3: Azure answered fine; the plan file is the input that is no
longer valid, retrying cannot fix it, and the remedy is a new plan and a new approval.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from generator.azure.publish import (
    KINDS,
    Change,
    Plan,
    PropertyChange,
    RemoteState,
    current_hashes,
    parse_scope,
)
from generator.errors import InputError

PLAN_KIND = "clausegate-publish-plan"
PLAN_SCHEMA_VERSION = 1


class StalePlanError(InputError):
    """Azure changed at the scope since the plan was made (exit 2: make and approve a new plan)."""


def _changes_hash(changes: list[dict[str, Any]]) -> str:
    text = json.dumps(changes, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def plan_to_json(plan: Plan, managed_kinds: tuple[str, ...], exemption_scopes: tuple[str, ...]) -> dict[str, Any]:
    """The plan document: diff, PUT bodies, remote-state hashes and their fingerprint."""
    changes = [c.to_json(with_body=True) for c in plan.changes]
    return {
        "schemaVersion": PLAN_SCHEMA_VERSION,
        "kind": PLAN_KIND,
        "createdAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scope": plan.scope.id,
        "owner": plan.owner,
        "prune": plan.prune,
        "managedKinds": list(managed_kinds),
        "exemptionScopes": list(exemption_scopes),
        "fingerprint": plan.fingerprint,
        "remoteState": dict(sorted(plan.remote_hashes.items())),
        "summary": plan.summary(),
        "changes": changes,
        "changesHash": _changes_hash(changes),
    }


def save_plan(path: str | Path, doc: dict[str, Any]) -> None:
    """Write the plan atomically."""
    from generator.fsio import write_text_atomic

    write_text_atomic(path, json.dumps(doc, indent=2, sort_keys=False) + "\n", plain_mode=True)


class SavedPlan:
    """A plan read back from a file, with what is needed to check it against Azure."""

    def __init__(self, doc: dict[str, Any], path: str) -> None:
        self.doc = doc
        self.path = path
        self.scope = parse_scope(doc["scope"])
        self.owner: str = doc["owner"]
        self.managed_kinds: tuple[str, ...] = tuple(k for k in doc.get("managedKinds", []) if k in KINDS)
        self.exemption_scopes: tuple[str, ...] = tuple(doc.get("exemptionScopes", []))
        self.remote_hashes: dict[str, str] = dict(doc["remoteState"])
        changes = []
        for c in doc["changes"]:
            diffs = [PropertyChange(d["path"], d.get("before"), d.get("after")) for d in c.get("changes", [])]
            changes.append(Change(c["kind"], c["id"], c["name"], c["action"], diffs, c.get("body")))
        self.plan = Plan(self.scope, self.owner, changes, self.remote_hashes, prune=bool(doc.get("prune")))

    def check_current(self, remote: RemoteState) -> None:
        """Refuse (StalePlanError, exit 2) when the remote objects differ from those the plan was made against."""
        now = current_hashes(self.remote_hashes, remote, self.owner, self.managed_kinds)
        changed = sorted(k for k in set(now) | set(self.remote_hashes) if now.get(k) != self.remote_hashes.get(k))
        if changed:
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            raise StalePlanError(
                f"Azure changed at {self.scope.id} since the plan was made ({len(changed)} object(s): {shown}); "
                f"nothing was applied",
                file=self.path,
                hint="make and approve a new plan with --what-if --out",
            )


def load_plan(path: str | Path) -> SavedPlan:
    """Read and check a plan file (bad, edited or foreign files -> InputError, exit 2)."""
    from generator.safeload import load_json

    doc = load_json(path)
    if not isinstance(doc, dict) or doc.get("kind") != PLAN_KIND:
        raise InputError("not a clausegate publish plan (made by 'publish --what-if --out')", file=str(path))
    if doc.get("schemaVersion") != PLAN_SCHEMA_VERSION:
        raise InputError(f"plan schemaVersion {doc.get('schemaVersion')!r} is not supported", file=str(path))
    try:
        saved = SavedPlan(doc, str(path))
    except (KeyError, TypeError) as exc:
        raise InputError(f"incomplete plan: missing {exc}", file=str(path)) from None
    if saved.plan.fingerprint != doc.get("fingerprint") or _changes_hash(doc["changes"]) != doc.get("changesHash"):
        # An approved plan must be applied as approved; an edited one is a different plan.
        raise InputError("the plan was edited after it was made (its hashes do not match)", file=str(path),
                         hint="make a new plan with --what-if --out")
    return saved
