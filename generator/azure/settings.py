"""Azure clouds and settings (CONTRACTS.md "Azure settings"): cloud, Resource Manager endpoint, token scope."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from generator.errors import InputError

ENV_CLOUD = "AZURE_CLOUD"
ENV_ARM_ENDPOINT = "CLAUSEGATE_ARM_ENDPOINT"


@dataclass(frozen=True)
class Cloud:
    """One Azure cloud: its Resource Manager endpoint, token audience and sign-in authority."""

    name: str
    arm_endpoint: str
    audience: str
    authority: str

    @property
    def scope(self) -> str:
        """The OAuth scope for Resource Manager tokens."""
        return self.audience.rstrip("/") + "/.default"


CLOUDS: dict[str, Cloud] = {
    "AzureCloud": Cloud("AzureCloud", "https://management.azure.com", "https://management.azure.com",
                        "login.microsoftonline.com"),
    "AzureUSGovernment": Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net",
                               "https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    "AzureChinaCloud": Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn",
                             "https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
}


@dataclass(frozen=True)
class AzureSettings:
    """What the clients need: the cloud, the endpoint actually used, the tenant (if any)."""

    cloud: Cloud
    arm_endpoint: str
    tenant: str | None = None

    @property
    def scope(self) -> str:
        """Token scope: the cloud's audience even when the endpoint is overridden (the token is for that cloud)."""
        return self.cloud.scope


def _cloud_by_name(name: str, source: str) -> Cloud:
    for key, cloud in CLOUDS.items():
        if key.lower() == name.strip().lower():
            return cloud
    raise InputError(f"unknown Azure cloud {name!r} from {source}; use one of {', '.join(CLOUDS)}")


def resolve_settings(cloud: str | None = None, tenant: str | None = None,
                     env: Mapping[str, str] | None = None) -> AzureSettings:
    """``--cloud``, else ``AZURE_CLOUD``, else public; ``CLAUSEGATE_ARM_ENDPOINT`` overrides the endpoint."""
    env = os.environ if env is None else env
    if cloud:
        chosen = _cloud_by_name(cloud, "--cloud")
    elif env.get(ENV_CLOUD):
        chosen = _cloud_by_name(env[ENV_CLOUD], ENV_CLOUD)
    else:
        chosen = CLOUDS["AzureCloud"]
    endpoint = chosen.arm_endpoint
    override = (env.get(ENV_ARM_ENDPOINT) or "").strip()
    if override:
        parts = urlsplit(override)
        if parts.scheme != "https" or not parts.netloc:
            # Tokens travel with every request; never send them over plain HTTP.
            raise InputError(f"{ENV_ARM_ENDPOINT} must be an https:// URL, got {override!r}")
        endpoint = override.rstrip("/")
    return AzureSettings(cloud=chosen, arm_endpoint=endpoint, tenant=tenant or None)
