"""The context file (CONTRACTS.md): subscription and resource-group facts a policy reads.

A resource's id decides which entries apply: ``*`` then the exact subscription id for the
subscription; a bare resource-group name then ``<subscriptionId>/<name>`` for its resource group
(later entries win key by key; tags merge). ``--subscription-tag K=V`` is shorthand for tags under
``*`` and wins over the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from generator.errors import InputError

# Used when a resource carries no id (a bare resource file): the subscription is then unknown.
UNKNOWN_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
UNKNOWN_TENANT_ID = "00000000-0000-0000-0000-000000000000"

_ID_RE = re.compile(r"^/subscriptions/(?P<sub>[^/]+)(?:/resourcegroups/(?P<rg>[^/]+))?", re.IGNORECASE)


@dataclass(slots=True)
class ResourceContext:
    """What a policy sees as subscription() and resourceGroup() for one resource, and what was missing."""

    subscription: dict[str, Any]
    resource_group: dict[str, Any] | None
    missing: list[str] = field(default_factory=list)
    # Tag names each source gives (lower-case), so a read of an absent tag can be named, not guessed.
    given_subscription_tags: frozenset[str] = frozenset()
    given_resource_group_tags: frozenset[str] = frozenset()
    subscription_known: bool = False
    resource_group_known: bool = False

    def note_tag_read(self, kind: str, name: str) -> bool:
        """Record that the policy read ``kind`` ('subscription' or 'resource group') tag ``name``.

        Returns True (and adds a line to ``missing``) when no context source gives that tag.
        """
        given = self.given_subscription_tags if kind == "subscription" else self.given_resource_group_tags
        if name.lower() in given:
            return False
        line = f"{kind} tag '{name}'"
        if line not in self.missing:
            self.missing.append(line)
        return True


def _where(file: str | None, pointer: str) -> dict[str, Any]:
    return {"file": file, "pointer": pointer}


def _norm_tags(tags: Any, file: str | None, pointer: str) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InputError("tags must be an object of name: value", **_where(file, pointer))
    out: dict[str, str] = {}
    for k, v in tags.items():
        if isinstance(v, (dict, list)):
            raise InputError(f"tag {k!r} must be a string", **_where(file, f"{pointer}/{_esc(str(k))}"))
        # Azure tag values are strings; YAML may give numbers or booleans.
        out[str(k)] = v if isinstance(v, str) else json.dumps(v)
    return out


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Context:
    """Subscription and resource-group entries from a context file and ``--subscription-tag``."""

    def __init__(
        self,
        subscriptions: Mapping[str, Mapping[str, Any]] | None = None,
        resource_groups: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        source: str | None = None,
    ) -> None:
        self.source = source
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.resource_groups: dict[str, dict[str, Any]] = {}
        for key, entry in (subscriptions or {}).items():
            ptr = f"/subscriptions/{_esc(str(key))}"
            if not isinstance(entry, Mapping):
                raise InputError("a subscription entry must be an object", **_where(source, ptr))
            self.subscriptions[str(key).lower()] = {
                **{k: v for k, v in entry.items() if k != "tags"},
                "tags": _norm_tags(entry.get("tags"), source, f"{ptr}/tags"),
            }
        for key, entry in (resource_groups or {}).items():
            ptr = f"/resourceGroups/{_esc(str(key))}"
            if not isinstance(entry, Mapping):
                raise InputError("a resource-group entry must be an object", **_where(source, ptr))
            if str(key).count("/") > 1:
                raise InputError("a resource-group key is '<name>' or '<subscriptionId>/<name>'", **_where(source, ptr))
            self.resource_groups[str(key).lower()] = {
                **{k: v for k, v in entry.items() if k != "tags"},
                "tags": _norm_tags(entry.get("tags"), source, f"{ptr}/tags"),
            }
        self._cache: dict[tuple[str | None, str | None], ResourceContext] = {}

    # -- loading ---------------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> "Context":
        """A context with no entries: subscriptions and resource groups without tags."""
        return cls()

    @classmethod
    def from_data(cls, data: Any, *, source: str | None = None) -> "Context":
        """Build from parsed JSON/YAML, validating against context.schema.json (InputError with pointer)."""
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise InputError("a context file must hold an object with 'subscriptions' and/or 'resourceGroups'",
                             file=source, pointer="")
        _validate_context(data, source)
        return cls(data.get("subscriptions"), data.get("resourceGroups"), source=source)

    @classmethod
    def load(cls, path: str | Path) -> "Context":
        """Read a context file (JSON, or YAML when not JSON) and validate it."""
        from generator.safeload import read_text

        text = read_text(path)
        return cls.from_data(parse_json_or_yaml(text, str(path), text_scalars=True), source=str(path))

    def with_subscription_tags(self, tags: Mapping[str, str]) -> "Context":
        """Return a copy where ``tags`` are added under ``*`` (they win over the file's ``*`` tags)."""
        subs = {k: dict(v, tags=dict(v.get("tags") or {})) for k, v in self.subscriptions.items()}
        star = subs.setdefault("*", {"tags": {}})
        star["tags"].update({str(k): str(v) for k, v in tags.items()})
        new = Context(None, None, source=self.source)
        new.subscriptions = subs
        new.resource_groups = {k: dict(v) for k, v in self.resource_groups.items()}
        return new

    # -- resolving -------------------------------------------------------------------------------
    def resolve(self, resource_id: str | None) -> ResourceContext:
        """Return subscription() / resourceGroup() for ``resource_id`` (cached per subscription and group)."""
        sub_id = rg_name = None
        if resource_id:
            m = _ID_RE.match(resource_id)
            if m:
                sub_id, rg_name = m.group("sub"), m.group("rg")
        key = (sub_id.lower() if sub_id else None, rg_name.lower() if rg_name else None)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._resolve(sub_id, rg_name)
            self._cache[key] = cached
        # Each caller gets its own 'missing' list: note_tag_read appends per resource.
        return ResourceContext(
            cached.subscription, cached.resource_group, list(cached.missing),
            cached.given_subscription_tags, cached.given_resource_group_tags,
            cached.subscription_known, cached.resource_group_known,
        )

    def _resolve(self, sub_id: str | None, rg_name: str | None) -> ResourceContext:
        missing: list[str] = []
        sub_entries = [self.subscriptions.get("*")]
        if sub_id:
            sub_entries.append(self.subscriptions.get(sub_id.lower()))
        merged: dict[str, Any] = {}
        tags: dict[str, str] = {}
        for entry in sub_entries:
            if entry:
                merged.update({k: v for k, v in entry.items() if k != "tags"})
                tags.update(entry.get("tags") or {})
        sub_known = any(sub_entries)
        if not sub_known:
            missing.append(f"subscription {sub_id or '(resource has no id)'}: no context entry")
        named_here = bool(sub_id) and bool(self.subscriptions.get(str(sub_id).lower()))
        if not named_here and (not sub_id or sub_id.lower() == UNKNOWN_SUBSCRIPTION_ID):
            # Which subscription is not known (a Terraform provider without subscription_id, no
            # --subscription-id): a tag that a subscription the context names carries may be this one's,
            # so it is unknown, never absent (two subscriptions, one police: not a silent pass).
            from generator.engine.values import UNKNOWN

            for key, entry in self.subscriptions.items():
                if key != "*" and entry:
                    for tag in entry.get("tags") or {}:
                        if tag not in tags:
                            tags[tag] = UNKNOWN
        sid = sub_id or UNKNOWN_SUBSCRIPTION_ID
        subscription = {
            "id": f"/subscriptions/{sid}",
            "subscriptionId": sid,
            "tenantId": merged.get("tenantId", UNKNOWN_TENANT_ID),
            "displayName": merged.get("displayName", sid),
            "tags": tags,
        }
        resource_group: dict[str, Any] | None = None
        rg_tags: dict[str, str] = {}
        rg_known = False
        if rg_name:
            rg_merged: dict[str, Any] = {}
            entries = [self.resource_groups.get(rg_name.lower())]
            if sub_id:
                entries.append(self.resource_groups.get(f"{sub_id}/{rg_name}".lower()))
            for entry in entries:
                if entry:
                    rg_merged.update({k: v for k, v in entry.items() if k != "tags"})
                    rg_tags.update(entry.get("tags") or {})
            rg_known = any(entries)
            if not rg_known:
                missing.append(f"resource group {rg_name}: no context entry")
            resource_group = {
                "id": f"/subscriptions/{sid}/resourceGroups/{rg_name}",
                "name": rg_name,
                "type": "Microsoft.Resources/resourceGroups",
                "location": rg_merged.get("location"),
                "managedBy": rg_merged.get("managedBy"),
                "tags": rg_tags,
                "properties": rg_merged.get("properties") or {"provisioningState": "Succeeded"},
            }
        return ResourceContext(
            subscription, resource_group, missing,
            frozenset(k.lower() for k in tags), frozenset(k.lower() for k in rg_tags),
            sub_known, rg_known,
        )


def parse_json_or_yaml(text: str, source: str, *, text_scalars: bool = False) -> Any:
    """Parse JSON, or YAML when the text is not JSON, through the safe reader (generator.safeload).

    With ``text_scalars``, unquoted YAML scalars stay text as written (tag values are strings in Azure:
    ``jurisdiction: NO`` is Norway, not false; ``since: 2024-01-01`` is not a date); only null is kept.
    """
    from generator.safeload import parse_json_or_yaml as safe_parse

    return safe_parse(text, source, text_scalars=text_scalars)


_SUB_KEYS = frozenset({"displayName", "tenantId", "tags"})
_RG_KEYS = frozenset({"location", "tags", "managedBy", "properties"})


def _plain_tags(tags: Any) -> bool:
    return tags is None or (isinstance(tags, dict) and all(
        isinstance(k, str) and isinstance(v, (str, int, float, bool)) for k, v in tags.items()))


def _plainly_valid(data: Mapping[str, Any]) -> bool:
    """True only when ``data`` is certainly valid against context.schema.json (the common case, checked
    without loading jsonschema, a tenth of a second per run); any doubt goes to jsonschema."""
    if not isinstance(data, dict) or not set(data) <= {"subscriptions", "resourceGroups"}:
        return False
    subs, rgs = data.get("subscriptions", {}), data.get("resourceGroups", {})
    if not isinstance(subs, dict) or not isinstance(rgs, dict):
        return False
    for key, entry in subs.items():
        if not (isinstance(key, str) and key and "/" not in key and isinstance(entry, dict) and set(entry) <= _SUB_KEYS):
            return False
        if any(k in entry and not isinstance(entry[k], str) for k in ("displayName", "tenantId")):
            return False
        if not _plain_tags(entry.get("tags")):
            return False
    for key, entry in rgs.items():
        if not (isinstance(key, str) and key.count("/") <= 1 and all(key.split("/"))
                and isinstance(entry, dict) and set(entry) <= _RG_KEYS):
            return False
        if any(k in entry and not isinstance(entry[k], str) for k in ("location", "managedBy")):
            return False
        if "properties" in entry and not isinstance(entry["properties"], dict):
            return False
        if not _plain_tags(entry.get("tags")):
            return False
    return True


def _validate_context(data: Mapping[str, Any], source: str | None) -> None:
    if _plainly_valid(data):
        return
    import jsonschema

    from generator.report import load_schema

    validator = jsonschema.Draft202012Validator(load_schema("context"))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        pointer = "".join(f"/{_esc(str(p))}" for p in err.absolute_path)
        raise InputError(f"invalid context file: {err.message}", file=source, pointer=pointer)
