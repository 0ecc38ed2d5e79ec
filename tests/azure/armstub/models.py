"""The regional model list: ``GET /subscriptions/{s}/providers/Microsoft.CognitiveServices/locations/{l}/models``.

Items have the service's shape (``kind``, ``skuName``, ``model{format, name, version, capabilities,
lifecycleStatus, deprecation, ...}``). Tests set ``stub.state["models"][<location>]`` to a list of
items, or ``stub.state["models_raw"][<location>]`` to any JSON answer (a malformed one, say); without
either, :data:`DEFAULT_MODELS` is served. Paged with ``stub.page_size``.
"""

from __future__ import annotations

from typing import Any

from .server import ArmError, ArmStub, StubRequest, StubResponse, route


def model_item(name: str, version: str, *, fmt: str = "OpenAI", kind: str = "OpenAI",
               capabilities: dict[str, str] | None = None, lifecycle: str = "GenerallyAvailable") -> dict[str, Any]:
    """One list item as the service returns it."""
    return {
        "kind": kind,
        "skuName": "S0",
        "model": {
            "format": fmt, "name": name, "version": version,
            "capabilities": capabilities or {"chatCompletion": "true"},
            "lifecycleStatus": lifecycle, "isDefaultVersion": True,
            "deprecation": {"inference": "2027-06-30T00:00:00Z"},
            "skus": [{"name": "GlobalStandard", "usageName": f"OpenAI.GlobalStandard.{name}"}],
        },
    }


DEFAULT_MODELS: list[dict[str, Any]] = [
    model_item("gpt-4o", "2024-11-20"),
    model_item("gpt-4o", "2024-11-20", kind="AIServices"),
    model_item("text-embedding-3-large", "1", capabilities={"embeddings": "true"}),
    model_item("gpt-4", "0613"),
    model_item("gpt-4", "turbo-2026-02-01"),  # a version the per-version entry does not list
    model_item("gpt-35-turbo", "0125"),
    model_item("gpt-35-turbo", "2026-03-01"),  # a version a name cleared by name has not seen
    model_item("gpt-6", "2026-10-01", capabilities={"chatCompletion": "true", "responses": "true"},
               lifecycle="Preview"),
    model_item("gpt-6-mini", "2026-10-01"),
    model_item("Llama-3.2-11B-Vision-Instruct", "6", fmt="Meta", kind="AIServices"),
    model_item("Contoso-Embed-9", "1", fmt="Contoso", kind="AIServices", capabilities={"embeddings": "true"}),
]


@route("GET", r"/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.CognitiveServices/locations/(?P<loc>[^/]+)/models")
def list_models(stub: ArmStub, req: StubRequest) -> StubResponse:
    """The models offered in one region (paged), or a test's raw answer."""
    if not req.q("api-version"):
        raise ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required.")
    loc = req.params["loc"].lower()
    raw = (stub.state.get("models_raw") or {}).get(loc)
    if raw is not None:
        return StubResponse(200, raw)
    items = (stub.state.get("models") or {}).get(loc, DEFAULT_MODELS)
    return stub.paged(req, list(items))
