"""Shared helpers for the publish tests: a small policy bundle and a CLI runner."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from generator.cli import cli

MG = "/providers/Microsoft.Management/managementGroups/mg-police"
SUB_ID = "11111111-2222-3333-4444-555555555555"

_DEPLOYMENT_RULE = {
    "if": {"allOf": [
        {"field": "type", "equals": "Microsoft.CognitiveServices/accounts/deployments"},
        {"field": "Microsoft.CognitiveServices/accounts/deployments/model.name",
         "notIn": "[parameters('allowedModels')]"},
    ]},
    "then": {"effect": "[parameters('effect')]"},
}
_NETWORK_RULE = {
    "if": {"allOf": [
        {"field": "type", "equals": "Microsoft.CognitiveServices/accounts"},
        {"field": "Microsoft.CognitiveServices/accounts/publicNetworkAccess", "notEquals": "Disabled"},
    ]},
    "then": {"effect": "audit"},
}

BUNDLE: dict[str, Any] = {
    "name": "test-pack",
    "definitions": [
        {"name": "cg-allowed-models", "properties": {
            "displayName": "Only cleared models", "mode": "All", "description": "Clause 4.2",
            "metadata": {"clauseId": "4.2", "category": "Cognitive Services"},
            "parameters": {
                "allowedModels": {"type": "Array", "metadata": {"displayName": "Allowed models"}},
                "effect": {"type": "String", "defaultValue": "Deny", "allowedValues": ["Deny", "Audit"]},
            },
            "policyRule": _DEPLOYMENT_RULE}},
        {"name": "cg-no-public-network", "properties": {
            "displayName": "No public network access", "mode": "Indexed",
            "metadata": {"clauseId": "5.1"}, "policyRule": _NETWORK_RULE}},
    ],
    "policySet": {"name": "cg-law-enforcement", "properties": {
        "displayName": "Law enforcement AI guardrails",
        "metadata": {"category": "Cognitive Services"},
        "parameters": {"allowedModels": {"type": "Array"}},
        "policyDefinitions": [
            {"policyDefinitionId": "cg-allowed-models", "policyDefinitionReferenceId": "allowed-models",
             "parameters": {"allowedModels": {"value": "[parameters('allowedModels')]"}}},
            {"policyDefinitionId": "cg-no-public-network", "policyDefinitionReferenceId": "no-public-network"},
        ]}},
}


def bundle(**changes: Any) -> dict[str, Any]:
    """A deep copy of BUNDLE (tests mutate their copy)."""
    out = copy.deepcopy(BUNDLE)
    out.update(changes)
    return out


def write_bundle(path: Path, data: dict[str, Any] | None = None) -> str:
    """Write a bundle .json and return its path."""
    path.write_text(json.dumps(data or BUNDLE))
    return str(path)


def publish(*args: str, debug: bool = False) -> Result:
    """Run ``clausegate [--debug] publish ARGS`` in-process (env comes from the azure_env fixture)."""
    argv = (["--debug"] if debug else []) + ["publish", *args]
    return CliRunner(mix_stderr=False).invoke(cli, argv, catch_exceptions=False) if _has_mix() else \
        CliRunner().invoke(cli, argv, catch_exceptions=False)


def _has_mix() -> bool:
    import inspect

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def as_json(result: Result) -> dict[str, Any]:
    """The JSON document a ``--format json`` run printed."""
    return json.loads(result.stdout)
