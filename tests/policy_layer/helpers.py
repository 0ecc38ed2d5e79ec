"""Shared fixtures data for the policy-layer tests: law-enforcement style definitions, a set, resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
SUB = "11111111-1111-1111-1111-111111111111"
OTHER_SUB = "22222222-2222-2222-2222-222222222222"
SECTOR = "[coalesce(tryGet(subscription().tags, 'sector'), '')]"


def effect_param(default: str = "Deny", allowed: tuple[str, ...] = ("Deny", "Audit", "Disabled")) -> dict:
    return {"type": "String", "allowedValues": list(allowed), "defaultValue": default}


def vision_definition(name: str = "deny-vision", mode: str = "All", wrapped: bool = True) -> dict:
    """Deny image-capable deployments in law-enforcement subscriptions."""
    body = {
        "displayName": "Deny image-capable model deployments for law enforcement",
        "mode": mode,
        "metadata": {"clausegate": {"clauseId": "aoai-police-1", "clauseSource": "https://example.test/coc"}},
        "parameters": {
            "effect": effect_param(),
            "clearedModels": {"type": "Array", "defaultValue": ["text-embedding-3-large", "gpt-35-turbo"]},
            "lawEnforcementValues": {"type": "Array", "defaultValue": ["police", "law-enforcement"]},
        },
        "policyRule": {
            "if": {"allOf": [
                {"field": "type", "equals": DEPLOYMENT},
                {"field": f"{DEPLOYMENT}/model.name", "notIn": "[parameters('clearedModels')]"},
                {"value": SECTOR, "in": "[parameters('lawEnforcementValues')]"},
            ]},
            "then": {"effect": "[parameters('effect')]"},
        },
    }
    return {"name": name, "properties": body} if wrapped else {"name": name, **body}


def face_definition(name: str = "deny-face") -> dict:
    """Deny Face accounts in law-enforcement subscriptions."""
    return {"name": name, "properties": {
        "mode": "Indexed",
        "parameters": {"effect": effect_param()},
        "policyRule": {
            "if": {"allOf": [
                {"field": "type", "equals": "Microsoft.CognitiveServices/accounts"},
                {"field": "kind", "equals": "Face"},
                {"value": SECTOR, "equals": "police"},
            ]},
            "then": {"effect": "[parameters('effect')]"},
        },
    }}


def law_set(name: str = "law-set", member_names: tuple[str, str] = ("deny-vision", "deny-face")) -> dict:
    """A set of the two definitions with a set-level effect passed through."""
    return {"name": name, "properties": {
        "displayName": "Law enforcement guardrails",
        "parameters": {"effect": effect_param()},
        "policyDefinitionGroups": [{"name": "clause-1", "displayName": "Clause 1"}],
        "policyDefinitions": [
            {"policyDefinitionReferenceId": "vision",
             "policyDefinitionId": f"/providers/Microsoft.Management/managementGroups/mg/providers/"
                                   f"Microsoft.Authorization/policyDefinitions/{member_names[0]}",
             "parameters": {"effect": {"value": "[parameters('effect')]"}},
             "groupNames": ["clause-1"]},
            {"policyDefinitionReferenceId": "face",
             "policyDefinitionId": member_names[1],
             "parameters": {"effect": {"value": "[parameters('effect')]"}}},
        ],
    }}


def deployment(model: str = "gpt-4o", sub: str = SUB, rg: str = "rg1", name: str = "d1") -> dict:
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/acct/"
              f"deployments/{name}",
        "type": DEPLOYMENT, "name": f"acct/{name}",
        "properties": {"model": {"format": "OpenAI", "name": model, "version": "2024-11-20"}},
    }


def face_account(sub: str = SUB, location: str = "eastus") -> dict:
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.CognitiveServices/accounts/face1",
        "type": "Microsoft.CognitiveServices/accounts", "name": "face1", "kind": "Face",
        "location": location, "tags": {}, "properties": {},
    }


def police_context() -> dict:
    return {"subscriptions": {SUB: {"displayName": "police-sub", "tags": {"sector": "police"}},
                              OTHER_SUB: {"tags": {"sector": "health"}}}}


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) if not isinstance(data, str) else data, encoding="utf-8")
    return path
