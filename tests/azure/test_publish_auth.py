"""Credentials, clouds and secrets: sign-in hints (exit 3), no token in any output at any log level."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from armstub import ArmStub
from publish_helpers import publish, write_bundle

from generator.azure.credentials import redact
from generator.azure.settings import resolve_settings
from generator.errors import InputError


@pytest.fixture
def pack_file(tmp_path: Path, azure_env: dict[str, str]) -> str:
    return write_bundle(tmp_path / "bundle.json")


def test_missing_credentials_exit_3_with_a_sign_in_hint(arm_stub: ArmStub, pack_file: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IDENTITY_ENDPOINT")
    monkeypatch.delenv("IDENTITY_HEADER")
    # Only the environment credential, and its variables are unset: nothing to sign in with.
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
    res = publish("--scope", "mg-police", "--pack", pack_file)
    assert res.exit_code == 3
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "no Azure credentials found" in lines[0] and "az login" in lines[0]
    assert "Traceback" not in res.stderr
    assert arm_stub.arm_requests() == []
    # The real command line prints the same single line (no SDK warnings through logging).
    import os

    proc = subprocess.run([sys.executable, "-m", "generator", "publish", "--scope", "mg-police", "--pack", pack_file],
                          capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines() == lines


def test_refused_credentials_exit_3_with_a_sign_in_hint(arm_stub: ArmStub, pack_file: str) -> None:
    arm_stub.refuse_tokens = True
    res = publish("--scope", "mg-police", "--pack", pack_file, "--tenant", "contoso.onmicrosoft.com")
    assert res.exit_code == 3
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "Azure refused the credentials" in res.stderr and "az login --tenant contoso.onmicrosoft.com" in res.stderr
    assert arm_stub.arm_requests() == []


def test_permission_denied_names_the_role(arm_stub: ArmStub, pack_file: str) -> None:
    arm_stub.inject("error", method="GET", path="policyDefinitions$", status=403)
    res = publish("--scope", "mg-police", "--pack", pack_file)
    assert res.exit_code == 3
    assert "Resource Policy Contributor" in res.stderr


def test_no_token_in_stdout_stderr_or_debug_logs(arm_stub: ArmStub, pack_file: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    arm_stub.inject("throttle", method="PUT", retry_after=0)  # error paths log too
    with caplog.at_level(logging.DEBUG):
        first = publish("--scope", "mg-police", "--pack", pack_file, debug=True)
        second = publish("--scope", "mg-police", "--pack", pack_file, "--format", "json", debug=True)
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr
    texts = [first.stdout, first.stderr, second.stdout, second.stderr, caplog.text,
             *(str(r.__dict__) for r in caplog.records)]
    everything = "\n".join(texts)
    # The logs really did carry requests, headers and the token answer (so this test can fail) ...
    assert "Authorization" in everything and "/msi/token" in everything
    assert len(caplog.records) > 20
    # ... but neither the token, nor any piece of it, nor the identity secret.
    token_parts = arm_stub.token.split(".")
    for secret in (arm_stub.token, token_parts[1], token_parts[2], arm_stub.identity_header):
        assert secret not in everything


def test_no_token_in_subprocess_output(arm_stub: ArmStub, pack_file: str, azure_env: dict[str, str]) -> None:
    env = {k: v for k, v in __import__("os").environ.items()}
    proc = subprocess.run([sys.executable, "-m", "generator", "--debug", "publish", "--scope", "mg-police",
                           "--pack", pack_file, "--what-if"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Authorization" in proc.stderr  # the debug trace is there
    assert arm_stub.token not in proc.stdout + proc.stderr
    assert arm_stub.identity_header not in proc.stdout + proc.stderr


def test_redact_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s3cr3t-value-123")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl"
    text = (f"Authorization: Bearer {jwt} 'authorization': 'Bearer abc.def' "
            f'{{"access_token": "opaque-token-1", "refresh_token":"r2"}} client_secret=s3cr3t-value-123 '
            f"X-IDENTITY-HEADER: 0123456789abcdef")
    clean = redact(text)
    for secret in (jwt, "abc.def", "opaque-token-1", "r2", "s3cr3t-value-123", "0123456789abcdef"):
        assert secret not in clean
    assert redact("GET /providers/Microsoft.Authorization/policyDefinitions") == \
        "GET /providers/Microsoft.Authorization/policyDefinitions"


def test_cloud_selection_and_endpoint_override() -> None:
    assert resolve_settings(env={}).arm_endpoint == "https://management.azure.com"
    gov = resolve_settings(env={"AZURE_CLOUD": "AzureUSGovernment"})
    assert gov.arm_endpoint == "https://management.usgovcloudapi.net"
    assert gov.scope == "https://management.usgovcloudapi.net/.default"
    assert gov.cloud.authority == "login.microsoftonline.us"
    # --cloud wins over AZURE_CLOUD; the override changes the endpoint, not the token audience.
    china = resolve_settings("AzureChinaCloud", env={"AZURE_CLOUD": "AzureUSGovernment",
                                                     "CLAUSEGATE_ARM_ENDPOINT": "https://127.0.0.1:8443/"})
    assert china.arm_endpoint == "https://127.0.0.1:8443"
    assert china.scope == "https://management.chinacloudapi.cn/.default"
    with pytest.raises(InputError):
        resolve_settings(env={"AZURE_CLOUD": "AzureGermanCloud"})
    with pytest.raises(InputError):
        resolve_settings(env={"CLAUSEGATE_ARM_ENDPOINT": "http://127.0.0.1:8080"})


def test_azure_modules_do_not_import_the_sdk_at_import_time() -> None:
    code = ("import generator.azure, generator.azure.settings, generator.azure.credentials, "
            "generator.azure.clients, generator.azure.publish, generator.azure.planfile, generator.cli.publish\n"
            "import sys; print(sorted(m for m in sys.modules if m.startswith('azure')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
