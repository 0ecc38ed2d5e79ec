"""pytest fixtures for every test folder that talks to the ARM stand-in: import them into a conftest
(``from armstub.fixtures import arm_stub, azure_env, stub_ca``) rather than writing them again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from armstub import ArmStub

# Environment variables that would let azure-identity find a real identity on a developer's machine
# or CI runner, or send requests elsewhere; the tests must only ever see the stand-in's managed identity.
CREDENTIAL_ENV = (
    "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_TOKEN_CREDENTIALS", "AZURE_CLOUD", "CLAUSEGATE_ARM_ENDPOINT", "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
)


def _credential_like(name: str) -> bool:
    return (name in CREDENTIAL_ENV or name.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_"))
            or name.lower().endswith("_proxy"))


@pytest.fixture(scope="session")
def stub_ca() -> Any:
    """One trustme certificate authority per session (made at test time, never stored)."""
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture
def arm_stub(stub_ca: Any, tmp_path: Path) -> Iterator[ArmStub]:
    """A fresh HTTPS stand-in per test (empty state, empty request log)."""
    stub = ArmStub(stub_ca, tmp_path).start()
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def azure_env(arm_stub: ArmStub, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this process and its children at the stand-in; no real credential can be found.

    ``AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential`` keeps DefaultAzureCredential from probing
    developer tools (az, azd, pwsh) that might hold a real sign-in.
    """
    for name in list(os.environ):
        if _credential_like(name):
            monkeypatch.delenv(name, raising=False)
    env = dict(arm_stub.env(), AZURE_TOKEN_CREDENTIALS="ManagedIdentityCredential")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
