"""azurerm / azapi resources -> the ARM resource shape that Azure Policy aliases read (data-driven)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import yaml

from generator.errors import InputError
from generator.terraform import UNKNOWN, TfResource

PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"

_ABSENT = object()
_TF_PATH_SPLIT = re.compile(r"\.")


@functools.lru_cache(maxsize=1)
def load_table() -> dict[str, dict[str, Any]]:
    """The mapping table shipped in ``generator/terraform/data/mapping.yaml``."""
    text = resources.files("generator.terraform").joinpath("data/mapping.yaml").read_text("utf-8")
    # libyaml's loader, when present, reads the table in a tenth of the pure-Python loader's time
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return dict(data["types"])


def mapped_types() -> frozenset[str]:
    """Terraform types the table maps."""
    return frozenset(load_table())


_ALWAYS = frozenset({"id", "name", "resource_group_name", "type", "body", "parent_id", "resource_id"})


@functools.lru_cache(maxsize=None)
def read_attributes(tf_type: str) -> frozenset[str]:
    """Top-level attributes the mapping of ``tf_type`` can read (readers keep only these)."""
    spec = load_table().get(tf_type, {})
    out = set(_ALWAYS)
    how = spec.get("id")
    if isinstance(how, dict):
        out.update(v for v in how.values() if isinstance(v, str))
    for rule in spec.get("fields", ()):
        sources = rule.get("from", [])
        for source in sources if isinstance(sources, list) else [sources]:
            out.add(source.split(".", 1)[0])
    return frozenset(out)


@functools.lru_cache(maxsize=None)
def block_attributes(tf_type: str) -> frozenset[str]:
    """Top-level names of ``tf_type`` that are nested blocks (``model`` in ``model.0.name``, ``identity``)."""
    out = set()
    for rule in load_table().get(tf_type, {}).get("fields", ()):
        sources = rule.get("from", [])
        for source in sources if isinstance(sources, list) else [sources]:
            parts = source.split(".")
            if len(parts) > 1 and parts[1].isdigit():
                out.add(parts[0])
        if rule.get("transform") == "identity":
            out.update(sources if isinstance(sources, list) else [sources])
    return frozenset(out)


def is_unknown(value: Any) -> bool:
    """True for the UNKNOWN sentinel."""
    return value is UNKNOWN


@functools.lru_cache(maxsize=4096)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(_TF_PATH_SPLIT.split(path))


def get_path(values: Any, path: str) -> Any:
    """Read a dotted Terraform path (``model.0.name``); ``_ABSENT`` when missing or null."""
    return _walk(values, _parts(path))


def _walk(values: Any, parts: tuple[str, ...]) -> Any:
    current = values
    for part in parts:
        if current is UNKNOWN:
            return UNKNOWN
        if current.__class__ is dict:
            current = current.get(part, _ABSENT)
        elif isinstance(current, dict):
            current = current.get(part, _ABSENT)
        elif isinstance(current, list) and part.isdigit():
            idx = int(part)
            current = current[idx] if idx < len(current) else _ABSENT
        else:
            return _ABSENT
        if current is _ABSENT or current is None:
            return _ABSENT
    return current


_COMPILED: dict[int, tuple[dict[str, Any], list[tuple[Any, ...]]]] = {}


def _compiled_fields(spec: dict[str, Any]) -> list[tuple[Any, ...]]:
    """A type's field rules, each looked up once (they are applied to every resource of the type):
    (target path parts, fixed value, sources, default, value_if_set, map, transform)."""
    hit = _COMPILED.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    fields: list[tuple[Any, ...]] = []
    for rule in spec.get("fields", ()):
        to = _parts(rule["to"])
        if "value" in rule:
            fields.append((to, rule["value"], (), _ABSENT, _ABSENT, None, None))
            continue
        sources = rule["from"] if isinstance(rule["from"], list) else [rule["from"]]
        fields.append((to, _ABSENT, tuple((src, _parts(src) if "." in src else None) for src in sources),
                       rule.get("default", _ABSENT), rule.get("value_if_set", _ABSENT), rule.get("map"),
                       _TRANSFORMS[rule["transform"]] if "transform" in rule else None))
    _COMPILED[id(spec)] = (spec, fields)  # the spec itself kept: its id cannot be reused while cached
    return fields


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Write ``value`` at a dotted ARM path, creating objects on the way."""
    _set_parts(target, _parts(path), value)


def _set_parts(target: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    current = target
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            current[part] = nxt
        current = nxt
    current[parts[-1]] = value


def _identity(value: Any) -> Any:
    """Terraform ``identity {}`` block -> ARM ``identity`` object."""
    if value is UNKNOWN:
        return UNKNOWN
    block = value[0] if isinstance(value, list) and value else value
    if not isinstance(block, dict):
        return _ABSENT
    out: dict[str, Any] = {}
    if "type" in block and block["type"] is not None:
        out["type"] = block["type"]
    ids = block.get("identity_ids")
    if ids is UNKNOWN:
        out["userAssignedIdentities"] = UNKNOWN
    elif ids:
        out["userAssignedIdentities"] = {i: {} if i is not UNKNOWN else UNKNOWN for i in ids}
    for tf_key, arm_key in (("principal_id", "principalId"), ("tenant_id", "tenantId")):
        if block.get(tf_key) is not None:
            out[arm_key] = block[tf_key]
    return out


def _json(value: Any) -> Any:
    if isinstance(value, str):
        from generator.safeload import parse_json  # depth and number limits: a hostile string stays a string

        try:
            return parse_json(value, None)
        except InputError:
            return value
    return value


_TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "not": lambda v: UNKNOWN if v is UNKNOWN else (not v),
    "identity": _identity,
    "json": _json,
}


def split_azapi_type(value: Any) -> tuple[Any, Any]:
    """``"Microsoft.X/y@2024-01-01"`` -> (type, api version); UNKNOWN parts stay UNKNOWN."""
    if not isinstance(value, str):
        return UNKNOWN, UNKNOWN
    arm_type, _, api = value.partition("@")
    return arm_type, (api or None)


def parse_arm_id(arm_id: Any) -> dict[str, str]:
    """Pick subscription and resource group out of an ARM id (empty dict when not an id)."""
    if not isinstance(arm_id, str):
        return {}
    m = re.match(r"(?i)^/subscriptions/([^/]+)(?:/resourceGroups/([^/]+))?", arm_id)
    if not m:
        return {}
    out = {"subscription": m.group(1)}
    if m.group(2):
        out["resourceGroup"] = m.group(2)
    return out


def child_id(parent_id: str, arm_type: str, name: str) -> str:
    """ARM id of a resource of ``arm_type`` named ``name`` under ``parent_id``."""
    if arm_type.lower() == "microsoft.resources/resourcegroups":
        return f"{parent_id}/resourceGroups/{name}"  # ARM writes resource-group ids without /providers/
    segments = arm_type.split("/")
    namespace = segments[0]
    parent_types = _types_in_id(parent_id)
    # Parent is a resource of the same namespace (accounts -> accounts/deployments): extend it.
    if parent_types and "/".join(segments[:-1]).lower() == parent_types.lower():
        return f"{parent_id}/{segments[-1]}/{name}"
    # Otherwise the parent is a scope (subscription, resource group) or an extension target.
    rest = "/".join(segments[1:])
    return f"{parent_id}/providers/{namespace}/{rest}/{name}"


@functools.lru_cache(maxsize=8192)  # the children of one parent ask for the same id
def _types_in_id(arm_id: str) -> str:
    """``.../providers/NS/accounts/a/deployments/d`` -> ``NS/accounts/deployments``."""
    low = arm_id.lower()
    pos = low.rfind("/providers/")
    if pos < 0:
        return ""
    parts = arm_id[pos + len("/providers/"):].split("/")
    if not parts:
        return ""
    names = [parts[0]] + [parts[i] for i in range(1, len(parts), 2)]
    return "/".join(names)


class Mapper:
    """Maps :class:`TfResource` records to ARM resources using the table and an address index."""

    def __init__(
        self,
        index: Callable[[str], list[TfResource]] | None = None,
        subscription_id: str | None = None,
        table: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.table = table if table is not None else load_table()
        self._index = index or (lambda _a: [])
        self.subscription_id = subscription_id or PLACEHOLDER_SUBSCRIPTION
        self.used_placeholder = False
        self._id_cache: dict[str, Any] = {}
        self._by_key: dict[str, dict[str, TfResource]] = {}

    def handles(self, tf_type: str) -> bool:
        """True when ``tf_type`` has a mapping."""
        return tf_type in self.table

    # -- references -----------------------------------------------------------------------------
    def _find(self, res: TfResource, address: str) -> TfResource | None:
        """The resource instance an absolute (possibly key-less) address names, from ``res``'s view."""
        candidates = self._index(address)
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1 and res.index is not None:
            # `azurerm_x.y[each.key].id`: Terraform records the reference without the key, so the
            # instance with the same key is meant; any other key expression is not guessed.
            by_key = self._by_key.get(address)
            if by_key is None:
                by_key = self._by_key[address] = {json.dumps(c.index): c for c in candidates}
            return by_key.get(json.dumps(res.index))
        return None

    def attribute(self, res: TfResource, attr: str) -> Any:
        """The value of ``attr`` on ``res``, following configuration references when unknown."""
        value = res.values.get(attr, _ABSENT)
        if value is not UNKNOWN and value is not _ABSENT and value is not None:
            return value
        for address, ref_attr in res.refs.get(attr, ()):
            target = self._find(res, address)
            if target is None:
                continue
            if ref_attr == "id":
                resolved = self.arm_id(target)
            else:
                resolved = self.attribute(target, ref_attr)
            if resolved is not UNKNOWN and resolved is not _ABSENT:
                return resolved
        return UNKNOWN if value is UNKNOWN or res.refs.get(attr) else _ABSENT

    def _subscription(self, res: TfResource) -> str:
        """The subscription ``res`` deploys to: its provider configuration's, else the run's."""
        if res.subscription:
            return res.subscription
        if self.subscription_id == PLACEHOLDER_SUBSCRIPTION:
            self.used_placeholder = True
        return self.subscription_id

    # -- ids ------------------------------------------------------------------------------------
    def arm_type(self, res: TfResource) -> Any:
        """The ARM type of ``res`` (UNKNOWN for an azapi type not known before apply)."""
        spec = self.table.get(res.type)
        if spec is None:
            return None
        if spec["arm_type"] == "azapi":
            return split_azapi_type(res.values.get("type"))[0]
        return spec["arm_type"]

    def arm_id(self, res: TfResource) -> Any:
        """The ARM id of ``res``, or UNKNOWN when a part of it is known only after apply."""
        if res.address in self._id_cache:
            return self._id_cache[res.address]
        self._id_cache[res.address] = UNKNOWN  # guards against reference cycles
        value = self._arm_id(res)
        self._id_cache[res.address] = value
        return value

    def _arm_id(self, res: TfResource) -> Any:
        known = res.values.get("id")
        if isinstance(known, str) and known.lower().startswith("/subscriptions/"):
            return known  # an existing resource (no-op, update): the plan knows its real id
        spec = self.table.get(res.type)
        if spec is None:
            return UNKNOWN
        how = spec["id"]
        if res.type == "azapi_update_resource":
            rid = self.attribute(res, "resource_id")
            if isinstance(rid, str):
                return rid
        name = self.attribute(res, "name")
        if not isinstance(name, str):
            return UNKNOWN
        arm_type = self.arm_type(res)
        if how == "resource_group":
            return f"/subscriptions/{self._subscription(res)}/resourceGroups/{name}"
        if how == "in_resource_group":
            rg = self.attribute(res, "resource_group_name")
            if not isinstance(rg, str):
                return UNKNOWN
            return f"/subscriptions/{self._subscription(res)}/resourceGroups/{rg}/providers/{arm_type}/{name}"
        if how == "in_subscription":  # e.g. azurerm_subscription_template_deployment
            return f"/subscriptions/{self._subscription(res)}/providers/{arm_type}/{name}"
        if how == "in_tenant":  # azurerm_tenant_template_deployment
            return f"/providers/{arm_type}/{name}"
        if how == "azapi":
            if not isinstance(arm_type, str):
                return UNKNOWN
            parent = self.attribute(res, "parent_id")
            if parent is _ABSENT and arm_type.lower() == "microsoft.resources/resourcegroups":
                parent = f"/subscriptions/{self._subscription(res)}"  # azapi's default: the provider's subscription
            if not isinstance(parent, str):
                return UNKNOWN
            return child_id(parent, arm_type, name)
        if isinstance(how, dict) and "child_of" in how:
            parent = self.attribute(res, how["child_of"])
            if not isinstance(parent, str):
                return UNKNOWN
            return child_id(parent, arm_type, name)
        if isinstance(how, dict) and "beside" in how:
            other = parse_arm_id(self.attribute(res, how["beside"]))
            if "resourceGroup" not in other:
                return UNKNOWN
            return (
                f"/subscriptions/{other['subscription']}/resourceGroups/{other['resourceGroup']}"
                f"/providers/{arm_type}/{name}"
            )
        raise InputError(f"mapping for {res.type}: unknown id rule {how!r}")

    # -- the resource ---------------------------------------------------------------------------
    def to_arm(self, res: TfResource) -> dict[str, Any] | None:
        """The ARM-shaped resource for ``res``; None when its type is not mapped."""
        spec = self.table.get(res.type)
        if spec is None:
            return None
        out: dict[str, Any] = {}
        arm_type = self.arm_type(res)
        name = self.attribute(res, "name")
        if res.type == "azapi_update_resource" and name is _ABSENT:
            name = _last_name(self.attribute(res, "resource_id"))
        out["id"] = self.arm_id(res)
        out["name"] = UNKNOWN if name is _ABSENT else name
        out["type"] = arm_type
        if spec["arm_type"] == "azapi":
            self._apply_body(res, out)
        for field in _compiled_fields(spec):
            self._apply_field(res, field, out)
        if res.type == "azapi_update_resource" and isinstance(arm_type, str):
            # A patch: what its body leaves out keeps the deployed value, which the plan does not show.
            for path in arm_paths(arm_type):
                _set_if_absent(out, path, UNKNOWN)
        return out

    def scope_hint(self, res: TfResource) -> dict[str, Any]:
        """Subscription and resource group of ``res`` even when its full id is not known yet.

        Placement follows references as Terraform does: ``resource_group_name =
        azurerm_resource_group.rg.name``, ``parent_id = azapi_resource.rg.id`` or a parent's id name
        that block, whose name may be known only after apply; it is then named by a stand-in
        (:func:`standin_name`) whose tags and location the input itself gives.
        """
        return self._placement(res, 0)

    def _placement(self, res: TfResource, depth: int) -> dict[str, Any]:
        arm_id = self.arm_id(res)
        parsed = parse_arm_id(arm_id)
        if parsed:
            return parsed
        if depth > 32:  # a reference cycle cannot be valid Terraform; stop anyway
            return {}
        if self.is_resource_group(res):
            return {"subscription": self._rg_subscription(res)}
        spec = self.table.get(res.type, {})
        how = spec.get("id")
        attr = None
        if how == "in_resource_group":
            rg = self.attribute(res, "resource_group_name")
            if isinstance(rg, str):
                return {"subscription": self._subscription(res), "resourceGroup": rg}
            attr = "resource_group_name"
        elif how == "in_subscription":
            return {"subscription": self._subscription(res)}
        elif how == "azapi":
            attr = "parent_id"
        elif isinstance(how, dict):
            attr = how.get("child_of") or how.get("beside")
        elif res.type == "azapi_update_resource":
            attr = "resource_id"
        if not attr:
            return {}
        value = self.attribute(res, attr)
        parsed = parse_arm_id(value)
        if parsed:
            return parsed
        for address, ref_attr in res.refs.get(attr, ()):
            target = self._find(res, address)
            if target is None:
                continue
            if self.is_resource_group(target) and ref_attr in ("name", "id"):
                return {"subscription": self._rg_subscription(target), "resourceGroup": self.rg_name(target)}
            if ref_attr == "id" and attr != "resource_group_name":
                # the parent (or the resource beside) is in the same resource group as this one
                placed = self._placement(target, depth + 1)
                if placed.get("resourceGroup") is not None or self.is_resource_group(target):
                    return placed
        return {}

    def is_resource_group(self, res: TfResource) -> bool:
        """Whether ``res`` creates a resource group (azurerm or azapi)."""
        if res.type == "azurerm_resource_group":
            return True
        if res.type in ("azapi_resource", "azapi_update_resource"):
            arm_type = self.arm_type(res)
            return isinstance(arm_type, str) and arm_type.lower() == "microsoft.resources/resourcegroups"
        return False

    def rg_name(self, res: TfResource) -> str:
        """A resource group's name, or its stand-in when the name is known only after apply."""
        name = self.attribute(res, "name")
        return name if isinstance(name, str) else standin_name(res.address)

    def _rg_subscription(self, res: TfResource) -> str:
        """The subscription a resource group block lands in: its parent_id's, else the provider's
        (azapi's documented default for a resource group without parent_id)."""
        if res.type != "azurerm_resource_group":
            sub = parse_arm_id(self.attribute(res, "parent_id")).get("subscription")
            if sub:
                return sub
        return self._subscription(res)

    def _apply_field(self, res: TfResource, field: tuple[Any, ...], out: dict[str, Any]) -> None:
        to, fixed, sources, default, if_set, mapping, transform = field
        if fixed is not _ABSENT:
            _set_parts(out, to, fixed)
            return
        value: Any = _ABSENT
        for source, nested in sources:
            # A top-level attribute may be known through a reference; nested paths read the values.
            value = _walk(res.values, nested) if nested is not None else self.attribute(res, source)
            if value is not _ABSENT:
                break
        if value is _ABSENT:
            if default is _ABSENT:
                return
            value = default
        if value is not UNKNOWN:
            if if_set is not _ABSENT:
                value = if_set
            if mapping is not None:
                value = mapping.get(value, value)
            if transform is not None:
                value = transform(value)
                if value is _ABSENT:
                    return
        _set_parts(out, to, value)

    def _apply_body(self, res: TfResource, out: dict[str, Any]) -> None:
        body = res.values.get("body")
        if body is UNKNOWN:
            out["properties"] = UNKNOWN
            return
        if isinstance(body, str):
            from generator.safeload import parse_json  # depth and number limits: bad input, never exit 3

            try:
                body = parse_json(body, None) if body.strip() else {}
            except InputError as exc:
                raise InputError(f"{res.address}: body is not valid JSON ({exc.message})", file=res.file,
                                 line=res.line) from None
        if not isinstance(body, dict):
            return
        for key, value in body.items():
            if key in ("id", "name", "type"):
                continue  # the resource's identity comes from the azapi attributes
            out[key] = value


@functools.lru_cache(maxsize=None)
def arm_paths(arm_type: str) -> tuple[str, ...]:
    """ARM paths the table fills for ``arm_type`` (from every Terraform type that maps to it)."""
    paths = {"location", "tags", "identity"}
    for spec in load_table().values():
        if str(spec["arm_type"]).lower() == arm_type.lower():
            paths.update(rule["to"] for rule in spec.get("fields", ()))
    return tuple(sorted(paths))


def _set_if_absent(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    current: Any = target
    for part in parts[:-1]:
        if part not in current:
            current[part] = {}
        current = current[part]
        if not isinstance(current, dict):
            return  # already unknown (or a value) above this path
    current.setdefault(parts[-1], value)


def _last_name(arm_id: Any) -> Any:
    if isinstance(arm_id, str) and "/" in arm_id:
        return arm_id.rstrip("/").rsplit("/", 1)[1]
    return UNKNOWN


STANDIN_PREFIX = "<"


def standin_name(address: str) -> str:
    """The name a resource group block goes by while its real name is known only after apply.

    ``<`` and ``>`` cannot occur in Azure resource group names, so a stand-in never meets a real one.
    """
    return f"{STANDIN_PREFIX}{address.replace('/', '%2F')}>"


def is_standin(name: Any) -> bool:
    """True for a name made by :func:`standin_name`."""
    return isinstance(name, str) and name.startswith(STANDIN_PREFIX) and name.endswith(">")


def arm_resource_group(res: TfResource, mapper: Mapper) -> dict[str, Any] | None:
    """For a resource group block (azurerm or azapi) in a plan or HCL: context entry {name, location,
    tags}; the name is a stand-in when known only after apply, tags or a tag value may be UNKNOWN."""
    if not mapper.is_resource_group(res):
        return None
    if res.type == "azurerm_resource_group":
        tags, location = res.values.get("tags", _ABSENT), res.values.get("location")
    else:
        arm = mapper.to_arm(res) or {}
        tags, location = arm.get("tags", _ABSENT), arm.get("location")
    if tags is _ABSENT or tags is None:
        tags = {}
    return {
        "name": mapper.rg_name(res),
        "location": location,
        "tags": tags if isinstance(tags, dict) or tags is UNKNOWN else UNKNOWN,
    }


@functools.lru_cache(maxsize=None)
def terraform_attribute(tf_type: str, arm_path: str) -> str | None:
    """The Terraform attribute that fills ARM ``arm_path`` (``properties.model.name`` -> ``model[0].name``).

    For reports: an undetermined result names the missing value as Terraform spells it. None when the
    table has no rule for it (azapi resources carry the ARM shape in ``body``).
    """
    spec = load_table().get(tf_type)
    if spec is None:
        return None
    if spec.get("arm_type") == "azapi" and arm_path not in ("location", "tags", "identity", "name"):
        return "body." + arm_path
    for rule in spec.get("fields", ()):
        if rule.get("to") == arm_path:
            sources = rule.get("from", [])
            source = sources[0] if isinstance(sources, list) and sources else sources
            if isinstance(source, str) and source:
                return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", source)
    return arm_path if arm_path in ("name", "location", "tags") else None
