"""Resource providers with their aliases: ``GET /providers`` and ``GET /providers/{namespace}``.

``$expand=resourceTypes/aliases`` adds the aliases in the service's shape (``name``, ``paths``,
``defaultPath`` ...). The table is :data:`armstub.aliases.ALIASES` (names; paths derived the way
most aliases map) plus :data:`EXTRA_ALIASES`, whose paths deliberately differ from the
``properties.<rest>`` fallback so a test can tell a synced alias from a guessed one. Tests may add
more under ``stub.state["providers"]`` (``{type: {alias: path}}``).
"""

from __future__ import annotations

from typing import Any

from .aliases import ALIASES
from .server import ArmError, ArmStub, StubRequest, StubResponse, route

# Alias -> path where the path is not properties.<rest>.
EXTRA_ALIASES: dict[str, dict[str, str]] = {
    "Microsoft.Contoso/widgets": {
        "Microsoft.Contoso/widgets/colour": "properties.appearance.colour",
        "Microsoft.Contoso/widgets/sizes[*]": "properties.dimensions.sizes[*]",
    },
    "Microsoft.Contoso/widgets/parts": {
        "Microsoft.Contoso/widgets/parts/material": "properties.build.material",
    },
}
_TOP_LEVEL = ("kind", "location", "sku.", "identity.", "plan.", "extendedLocation.")


def _derived_path(type_name: str, alias: str) -> str:
    rest = alias[len(type_name) + 1:]
    if rest == "kind" or rest.startswith(_TOP_LEVEL):
        return rest
    return "properties." + rest


def alias_table(stub: ArmStub) -> dict[str, dict[str, str]]:
    """Type -> {alias: path} that the providers API serves."""
    table: dict[str, dict[str, str]] = {}
    for type_name, names in ALIASES.items():
        table[type_name] = {a: _derived_path(type_name, a) for a in names}
    for source in (EXTRA_ALIASES, stub.state.get("providers") or {}):
        for type_name, aliases in source.items():
            table.setdefault(type_name, {}).update(aliases)
    return table


def _alias_doc(name: str, path: str) -> dict[str, Any]:
    return {
        "name": name,
        "paths": [{"path": path, "apiVersions": ["2023-05-01", "2024-10-01"],
                   "pattern": {"phrase": path, "variable": "", "type": "NotSpecified"},
                   "metadata": {"type": "String", "attributes": "None"}}],
        "type": "NotSpecified",
        "defaultPath": path,
        "defaultPattern": {"phrase": path, "variable": "", "type": "NotSpecified"},
        "defaultMetadata": {"type": "String", "attributes": "None"},
    }


def _providers(stub: ArmStub, expand: bool) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for type_name, aliases in sorted(alias_table(stub).items()):
        ns, _, rtype = type_name.partition("/")
        prov = out.setdefault(ns.lower(), {"id": f"/providers/{ns}", "namespace": ns, "resourceTypes": [],
                                           "registrationState": "Registered"})
        entry: dict[str, Any] = {"resourceType": rtype, "locations": ["East US"], "apiVersions": ["2024-10-01"]}
        if expand:
            entry["aliases"] = [_alias_doc(n, p) for n, p in sorted(aliases.items())]
        prov["resourceTypes"].append(entry)
    return out


def _wants_aliases(req: StubRequest) -> bool:
    return "aliases" in (req.q("$expand") or "").lower()


@route("GET", r"/providers")
def list_providers(stub: ArmStub, req: StubRequest) -> StubResponse:
    """All providers (paged), with aliases when expanded."""
    return stub.paged(req, list(_providers(stub, _wants_aliases(req)).values()))


@route("GET", r"/providers/(?P<ns>[^/]+)")
def get_provider(stub: ArmStub, req: StubRequest) -> StubResponse:
    """One provider namespace, with aliases when expanded."""
    prov = _providers(stub, _wants_aliases(req)).get(req.params["ns"].lower())
    if prov is None:
        raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{req.params['ns']}' is invalid.")
    return StubResponse(200, prov)
