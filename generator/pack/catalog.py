"""The model catalog: which models take image input, with source and as-of date per entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any


# Model selectors a restriction may name (`models:` in a pack). Each says which deployments are
# restricted; anything a selector does not clear is restricted (fail-closed).
MODEL_SELECTORS: dict[str, str] = {
    "image-input": "deployments of models that are not known to take text only (unknown and future models included)",
}

@dataclass(frozen=True)
class ModelRoute:
    """Where one deployment route keeps its model: name/version aliases, an asset-id alias, or none.

    ``kind`` is ``fields`` (``name`` and ``version`` aliases), ``assetId`` (one alias holding an
    id such as ``azureml://registries/R/models/NAME/versions/V``, classified by the name and version
    inside it) or ``none`` (Azure has no alias for the model, so a policy cannot classify it: the
    route is restricted as a whole unless a pack parameter lifts it). ``optional``: restrict only
    when the asset-id field is present (a parent resource that may carry no model at all).
    """

    type: str
    kind: str
    name: str | None = None
    version: str | None = None
    asset_id: str | None = None
    optional: bool = False
    note: str = ""


_CS = "Microsoft.CognitiveServices/accounts"
_ML = "Microsoft.MachineLearningServices/workspaces"

# Every route the alias tables (shared/reference/aliases, Get-AzPolicyAlias dumps) and the REST API
# specs show deploying, or subscribing to, a model. Checked against the tables of 2026-08-21.
MODEL_ROUTES: dict[str, ModelRoute] = {r.type: r for r in (
    ModelRoute(f"{_CS}/deployments", "fields", f"{_CS}/deployments/model.name", f"{_CS}/deployments/model.version",
               note="Azure OpenAI and Foundry Models deployments"),
    ModelRoute(f"{_CS}/managedComputeDeployments", "none",
               note="Foundry managed compute: properties.model is an asset id, but Azure has no alias for it"),
    ModelRoute(f"{_ML}/connections/deployments", "fields", f"{_ML}/connections/deployments/model.name",
               f"{_ML}/connections/deployments/model.version", note="deployments through a hub connection"),
    ModelRoute(f"{_ML}/endpoints/deployments", "fields", f"{_ML}/endpoints/deployments/model.name",
               f"{_ML}/endpoints/deployments/model.version", note="deployments on a hub endpoint"),
    ModelRoute(f"{_ML}/onlineEndpoints/deployments", "assetId",
               asset_id=f"{_ML}/onlineEndpoints/deployments/model",
               note="managed online deployments (properties.model: asset id or ARM id)"),
    ModelRoute(f"{_ML}/batchEndpoints/deployments", "assetId",
               asset_id=f"{_ML}/batchEndpoints/deployments/model.Id.assetId",
               note="batch deployments (properties.model.assetId; a data or output path has no model name)"),
    ModelRoute(f"{_ML}/serverlessEndpoints", "assetId",
               asset_id=f"{_ML}/serverlessEndpoints/modelSettings.modelId",
               note="serverless API deployments (properties.modelSettings.modelId)"),
    ModelRoute(f"{_ML}/endpoints", "assetId", asset_id=f"{_ML}/endpoints/serverlessEndpoint.modelSettings.modelId",
               optional=True, note="hub endpoints: a serverlessEndpoint's properties.modelSettings.modelId; the pack "
               "also restricts deployments given inline in properties.deployments[*]"),
    ModelRoute(f"{_ML}/marketplaceSubscriptions", "assetId",
               asset_id=f"{_ML}/marketplaceSubscriptions/modelId",
               note="the marketplace subscription a serverless deployment of a partner model needs"),
)}

# Routes the alias tables show naming a model that are not restricted, and why (docs/check.md).
ROUTES_NOT_RESTRICTED: dict[str, str] = {
    "Microsoft.App/agents (defaultModel)": "Azure SRE Agent's choice of the Microsoft-hosted model it runs on; "
    "no customer model is deployed",
    f"{_ML}/models, models/versions, jobs, schedules": "register or train models; nothing is served",
}


def parse_asset_id(asset_id: str | None) -> tuple[str, str]:
    """(model name, version) inside an asset id, exactly as the generated policy reads it.

    The policy takes the text after the last ``/models/`` (split is case-sensitive, as in ARM), then
    its first ``/``-separated part as the name and the part after ``/versions/`` as the version
    (``''`` when absent, e.g. ``labels/latest``). Anything without ``/models/`` keeps its whole text
    as the name, which no catalog clears (fail-closed).
    """
    text = asset_id or ""
    rest = text.split("/models/")[-1]
    name = rest.split("/")[0]
    version = rest.split("/versions/")[-1].split("/")[0] if "/versions/" in rest else ""
    return name, version


@dataclass(frozen=True)
class ModelVersion:
    """One deployable version of a model and whether it takes image input."""

    version: str
    image_input: bool


@dataclass(frozen=True)
class ModelEntry:
    """A catalog entry: a model name, its known versions, and where that knowledge comes from."""

    name: str
    image_input: bool | None
    versions: tuple[ModelVersion, ...]
    source: str
    source_title: str
    source_url: str
    as_of: str
    note: str | None = None

    @property
    def classification(self) -> str:
        """'image', 'text' or 'mixed' (versions disagree, so each version is classified alone)."""
        values = {v.image_input for v in self.versions}
        if self.image_input is not None:
            values.add(self.image_input)
        if values == {False}:
            return "text"
        if values == {True}:
            return "image"
        return "mixed"


@dataclass(frozen=True)
class Catalog:
    """The whole catalog and the parameter values the policies derive from it."""

    entries: tuple[ModelEntry, ...]
    path: str

    def entry(self, name: str) -> ModelEntry | None:
        """Return the entry for ``name`` (case-insensitive, as Azure Policy's ``in`` compares)."""
        low = name.lower()
        for e in self.entries:
            if e.name.lower() == low:
                return e
        return None

    def cleared_models(self) -> list[str]:
        """Names whose every known version takes no image input (cleared by name)."""
        return sorted({e.name for e in self.entries if e.classification == "text"})

    def image_models(self) -> list[str]:
        """Names whose every known version takes image input."""
        return sorted({e.name for e in self.entries if e.classification == "image"})

    def cleared_model_versions(self) -> list[str]:
        """``name,version`` of text-only versions of mixed names (Microsoft's concat pattern)."""
        out = {
            f"{e.name},{v.version}"
            for e in self.entries
            if e.classification == "mixed"
            for v in e.versions
            if not v.image_input
        }
        return sorted(out)

    def is_cleared(self, name: str | None, version: str | None) -> bool:
        """Apply the same rule as the generated policy: cleared by name, or by name and version."""
        if not name:
            return False
        e = self.entry(name)
        if e is None:
            return False
        if e.classification == "text":
            return True
        if e.classification == "mixed" and version:
            return any(v.version.lower() == version.lower() and not v.image_input for v in e.versions)
        return False


def _default_catalog_path() -> Path:
    return Path(str(resources.files("generator.pack") / "data" / "models.yaml"))


_packaged: list[Catalog] = []


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate the model catalog (the packaged one unless ``path`` is given)."""
    if path is None:
        # The packaged catalog cannot change while we run; every target asks for it.
        if not _packaged:
            _packaged.append(_load_catalog(None))
        return _packaged[0]
    return _load_catalog(path)


CATALOG_DIGEST = "models.validated.sha256"


def catalog_digest(catalog_text: str, schema_text: str) -> str:
    """sha256 over the catalog's text and its schema's text: changes when either changes."""
    import hashlib

    return hashlib.sha256(catalog_text.encode("utf-8") + b"\0" + schema_text.encode("utf-8")).hexdigest()


def _load_catalog(path: str | Path | None) -> Catalog:
    from generator.pack.yamlsrc import load_yaml_with_lines
    from generator.safeload import read_text

    file = Path(path) if path is not None else _default_catalog_path()
    shown = str(path) if path is not None else "generator/pack/data/models.yaml"
    text = read_text(file)
    data, smap = load_yaml_with_lines(text, shown)
    schema_text = (resources.files("generator.pack") / "schema" / "catalog.schema.json").read_text("utf-8")
    errors: list[Any] = []
    # The packaged catalog skips the JSON Schema pass (jsonschema's import alone is ~0.1 s of every
    # run) when its text and schema match the digest recorded when it was validated; tests keep the
    # digest current, and any edit brings full validation back. A catalog given by path is always checked.
    recorded = ""
    if path is None:
        try:
            recorded = (resources.files("generator.pack") / "data" / CATALOG_DIGEST).read_text("utf-8").strip()
        except OSError:
            recorded = ""
    if not recorded or recorded != catalog_digest(text, schema_text):
        import jsonschema

        schema = json.loads(schema_text)
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        ptr = "".join(f"/{p}" for p in err.absolute_path)
        raise smap.error(f"catalog schema: {err.message[:300]}", ptr)
    sources = data["sources"]
    seen: set[str] = set()
    entries = []
    for i, m in enumerate(data["models"]):
        ptr = f"/models/{i}"
        if m["name"].lower() in seen:
            raise smap.error(f"duplicate model {m['name']!r}", ptr + "/name")
        seen.add(m["name"].lower())
        src = sources.get(m["source"])
        if src is None:
            raise smap.error(f"unknown source {m['source']!r} (known: {', '.join(sorted(sources))})", ptr + "/source")
        default = m.get("imageInput")
        versions = []
        for j, v in enumerate(m.get("versions", [])):
            if isinstance(v, str):
                if default is None:
                    raise smap.error("a bare version needs imageInput on its model", f"{ptr}/versions/{j}")
                versions.append(ModelVersion(v, bool(default)))
            else:
                versions.append(ModelVersion(v["version"], bool(v["imageInput"])))
        if default is None and not versions:
            raise smap.error("give imageInput or versions with imageInput", ptr)
        entries.append(ModelEntry(
            name=m["name"], image_input=default, versions=tuple(versions), source=m["source"],
            source_title=src["title"], source_url=src["url"], as_of=m["asOf"], note=m.get("note"),
        ))
    return Catalog(tuple(entries), shown)


DEFAULT_MAX_AGE_DAYS = 120
MAX_AGE_ENV = "CLAUSEGATE_CATALOG_MAX_AGE_DAYS"
TODAY_ENV = "CLAUSEGATE_TODAY"  # an ISO date that stands in for today (reproducible runs and tests)


def today_from_env() -> Any:
    """Today's date, or the ISO date in CLAUSEGATE_TODAY (InputError when it is not one)."""
    import os
    from datetime import date

    from generator.errors import InputError

    text = os.environ.get(TODAY_ENV, "").strip()
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{TODAY_ENV}={text!r} is not a date (YYYY-MM-DD)") from None


def max_age_from_env(option: int | None) -> int:
    """The staleness limit in days: the option, else CLAUSEGATE_CATALOG_MAX_AGE_DAYS, else 120 (0 turns it off)."""
    import os

    from generator.errors import InputError

    if option is not None:
        return option
    text = os.environ.get(MAX_AGE_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_AGE_DAYS
    if not text.isdigit():
        raise InputError(f"{MAX_AGE_ENV}={text!r} is not a number of days")
    return int(text)


def staleness_warning(catalog: Catalog, today: Any, max_age_days: int) -> str | None:
    """A warning when the catalog's newest entry is older than ``max_age_days`` (None when fresh or 0)."""
    from datetime import date

    if max_age_days <= 0 or not catalog.entries:
        return None
    newest = max(e.as_of for e in catalog.entries)
    age = (today - date.fromisoformat(newest)).days
    if age <= max_age_days:
        return None
    return (f"the model catalog {catalog.path} is {age} days old (newest entry {newest}; limit {max_age_days} "
            "days): models Azure added since are denied as unknown; run `clausegate models sync --location "
            "<region>` to list them, review, and add them with --catalog")


def check_staleness(path: str | None, max_age_option: int | None) -> str | None:
    """Load the catalog (packaged unless ``path``) and return its staleness warning, if any."""
    return staleness_warning(load_catalog(path), today_from_env(), max_age_from_env(max_age_option))
