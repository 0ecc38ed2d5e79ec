"""Templates built by hand in the shapes Microsoft's ARM documentation shows, and a `check` runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.check.conftest import report_of, run_check

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SUB_SCHEMA = "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
# A US police subscription, and the resource groups the tests deploy to, known to have no tags (so the
# mobile clause's attestation tag is absent, not unknown).
POLICE_US = ["--context", str(Path(__file__).parent / "data" / "police-us.json")]
SUB = "11111111-2222-3333-4444-555555555555"


def template(resources: Any, parameters: dict | None = None, variables: dict | None = None, **extra: Any) -> dict:
    """A deployment template (resource-group level unless ``$schema`` is given)."""
    out: dict[str, Any] = {"$schema": SCHEMA, "contentVersion": "1.0.0.0"}
    out.update(extra)
    if parameters is not None:
        out["parameters"] = parameters
    if variables is not None:
        out["variables"] = variables
    out["resources"] = resources
    return out


def account(name: Any = "acct", kind: str = "OpenAI", **extra: Any) -> dict:
    """A Cognitive Services account resource."""
    return {"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": name,
            "location": "eastus", "kind": kind, "sku": {"name": "S0"}, "properties": {}, **extra}


def model_deployment(name: Any, model: Any, account_name: Any = "acct", **extra: Any) -> dict:
    """An Azure OpenAI model deployment (accounts/deployments) of ``model``."""
    full = name if not isinstance(name, str) or name.startswith("[") else f"{account_name}/{name}"
    return {"type": "Microsoft.CognitiveServices/accounts/deployments", "apiVersion": "2024-10-01",
            "name": full, "sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}}, **extra}


def dump(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON (so line numbers are meaningful) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def parameter_file(path: Path, **values: Any) -> Path:
    """An ARM parameter file (*.parameters.json) giving ``values``."""
    return dump(path, {"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
                       "parameters": {k: {"value": v} for k, v in values.items()}})


def check(args: list[str], cwd: Path | None = None) -> tuple[int, dict, str]:
    """Run `check --format json --all`; return (exit code, report, stderr)."""
    result = run_check([*args, "--format", "json", "--all"], cwd=cwd)
    assert "Traceback" not in result.output, result.output
    report = report_of(result) if result.exit_code in (0, 1) else {}
    return result.exit_code, report, "\n".join(report.get("warnings", [])) + result.stderr


def verdicts(report: dict) -> dict[str, dict[str, str]]:
    """{resource address: {clause id: "result effect"}} for every result (no-match included)."""
    out: dict[str, dict[str, str]] = {}
    for r in report["results"]:
        key = r.get("clauseId") or r.get("policyDefinitionReferenceId") or r["policyDefinitionName"]
        out.setdefault(r["resource"], {})[key] = f"{r['result']} {r['effect']}"
    return out


def everything(word: str) -> dict[str, str]:
    """The verdict of both shipped clauses."""
    return {"us-police": word, "mobile-realtime-fr": word}


DENY = everything("match deny")
ALLOW = everything("no-match deny")
UNDETERMINED = everything("undetermined deny")
