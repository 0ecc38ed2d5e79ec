"""Fixtures for the Azure tests: the HTTPS ARM stand-in and a process environment pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from armstub import ArmStub

# Environment variables that would let azure-identity find a real identity on a developer's machine
# or CI runner; the tests must only ever see the stand-in's managed identity.
CREDENTIAL_ENV = (
    "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_TOKEN_CREDENTIALS", "AZURE_CLOUD", "CLAUSEGATE_ARM_ENDPOINT", "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
)


@pytest.fixture(scope="session")
def stub_ca():  # type: ignore[no-untyped-def]
    """One trustme certificate authority per session (made at test time, never stored)."""
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture
def arm_stub(stub_ca, tmp_path: Path) -> Iterator[ArmStub]:  # type: ignore[no-untyped-def]
    """A fresh stand-in per test (empty state, empty request log)."""
    stub = ArmStub(stub_ca, tmp_path).start()
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def azure_env(arm_stub: ArmStub, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this process (and CliRunner invocations) at the stand-in; clear any real credentials.

    ``AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential`` keeps DefaultAzureCredential from probing
    developer tools (az, azd, pwsh) that might hold a real sign-in.
    """
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    env = arm_stub.env()
    env["AZURE_TOKEN_CREDENTIALS"] = "ManagedIdentityCredential"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
