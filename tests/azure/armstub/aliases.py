"""A small alias list for the stand-in: enough for the test packs; extend it for new tests.

Keyed by resource type; values are alias names. The providers API handler (issue 7) can render this
same table as ``resourceTypes[].aliases``.
"""

from __future__ import annotations

ALIASES: dict[str, list[str]] = {
    "Microsoft.CognitiveServices/accounts": [
        "Microsoft.CognitiveServices/accounts/kind",
        "Microsoft.CognitiveServices/accounts/sku.name",
        "Microsoft.CognitiveServices/accounts/publicNetworkAccess",
        "Microsoft.CognitiveServices/accounts/disableLocalAuth",
        "Microsoft.CognitiveServices/accounts/customSubDomainName",
        "Microsoft.CognitiveServices/accounts/networkAcls.defaultAction",
    ],
    "Microsoft.CognitiveServices/accounts/deployments": [
        "Microsoft.CognitiveServices/accounts/deployments/model.name",
        "Microsoft.CognitiveServices/accounts/deployments/model.format",
        "Microsoft.CognitiveServices/accounts/deployments/model.version",
        "Microsoft.CognitiveServices/accounts/deployments/raiPolicyName",
        "Microsoft.CognitiveServices/accounts/deployments/sku.name",
    ],
    # The model-deployment routes of the shipped pack (generator/pack/catalog.py MODEL_ROUTES).
    "Microsoft.MachineLearningServices/workspaces/connections/deployments": [
        "Microsoft.MachineLearningServices/workspaces/connections/deployments/model.name",
        "Microsoft.MachineLearningServices/workspaces/connections/deployments/model.version",
    ],
    "Microsoft.MachineLearningServices/workspaces/endpoints/deployments": [
        "Microsoft.MachineLearningServices/workspaces/endpoints/deployments/model.name",
        "Microsoft.MachineLearningServices/workspaces/endpoints/deployments/model.version",
    ],
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments": [
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/model",
    ],
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments": [
        "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments/model.Id.assetId",
    ],
    "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints": [
        "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/modelSettings.modelId",
    ],
    "Microsoft.MachineLearningServices/workspaces/endpoints": [
        "Microsoft.MachineLearningServices/workspaces/endpoints/serverlessEndpoint.modelSettings.modelId",
        "Microsoft.MachineLearningServices/workspaces/endpoints/deployments[*]",
        "Microsoft.MachineLearningServices/workspaces/endpoints/deployments[*].model.name",
        "Microsoft.MachineLearningServices/workspaces/endpoints/deployments[*].model.version",
    ],
    "Microsoft.MachineLearningServices/workspaces/marketplaceSubscriptions": [
        "Microsoft.MachineLearningServices/workspaces/marketplaceSubscriptions/modelId",
    ],
    "Microsoft.Storage/storageAccounts": [
        "Microsoft.Storage/storageAccounts/supportsHttpsTrafficOnly",
        "Microsoft.Storage/storageAccounts/minimumTlsVersion",
    ],
}

# Fields that are not aliases but are always allowed in a policy rule.
CORE_FIELDS = {"name", "fullname", "kind", "type", "location", "id", "tags", "identity.type",
               "identity.userassignedidentities"}


def known_alias(name: str) -> bool:
    """True when ``name`` is a core field, a tag reference or an alias in :data:`ALIASES`."""
    low = name.lower()
    if low in CORE_FIELDS or low.startswith(("tags[", "tags.")) or name.startswith("["):
        return True
    return any(low == a.lower() for aliases in ALIASES.values() for a in aliases)
