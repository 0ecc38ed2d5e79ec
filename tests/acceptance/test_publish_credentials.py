"""`publish` on a machine with no Azure sign-in: "no credentials", not "refused" (exit 3, one line)."""

from __future__ import annotations

from azure.core.exceptions import ClientAuthenticationError

from generator.azure.credentials import credential_error
from generator.azure.settings import resolve_settings

# What DefaultAzureCredential (azure-identity 1.2x) says when nothing is set up: several sources do not
# use the word "unavailable".
NOTHING_SET_UP = """DefaultAzureCredential failed to retrieve a token from the included credentials.
Attempted credentials:
\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment variables are not fully configured.
\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable.
\tVisualStudioCodeCredential: VisualStudioCodeCredential requires the 'azure-identity-broker' package to be installed.
\tAzureCliCredential: Azure CLI not found on path
\tAzurePowerShellCredential: PowerShell is not installed
\tAzureDeveloperCliCredential: Azure Developer CLI could not be found. Please visit https://aka.ms/azure-dev
To mitigate this issue, please refer to the troubleshooting guidelines here at https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot."""

REFUSED = """DefaultAzureCredential failed to retrieve a token from the included credentials.
Attempted credentials:
\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment variables are not fully configured.
\tManagedIdentityCredential: ManagedIdentityCredential: AADSTS90002: Tenant 'contoso' not found.
To mitigate this issue, please refer to the troubleshooting guidelines."""


def test_nothing_set_up_is_no_credentials_found() -> None:
    err = credential_error(ClientAuthenticationError(message=NOTHING_SET_UP), resolve_settings(env={}))
    assert err.exit_code == 3
    assert str(err).startswith("no Azure credentials found (tried EnvironmentCredential")
    assert "az login" in str(err) and "\n" not in str(err)


def test_a_source_that_fails_is_refused() -> None:
    err = credential_error(ClientAuthenticationError(message=REFUSED), resolve_settings(env={}))
    assert str(err).startswith("Azure refused the credentials: ManagedIdentityCredential")
