"""`publish` checks --parameter values and exemption files as Azure would, before any write (exit 2).

Runs the real CLI in a subprocess against the HTTPS ARM stand-in of tests/azure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.helpers import REPO, run

sys.path.insert(0, str(REPO / "tests" / "azure"))

CREDENTIAL_ENV = ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE",
                  "AZURE_CLOUD", "AZURE_AUTHORITY_HOST", "MSI_ENDPOINT", "IMDS_ENDPOINT", "HTTPS_PROXY",
                  "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def stub_env(tmp_path: Path) -> Iterator[tuple[object, dict[str, str]]]:
    trustme = pytest.importorskip("trustme")
    from armstub import ArmStub

    stub = ArmStub(trustme.CA(), tmp_path).start()
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV}
    env.update(stub.env(), AZURE_TOKEN_CREDENTIALS="ManagedIdentityCredential")
    try:
        yield stub, env
    finally:
        stub.stop()


@pytest.mark.parametrize(("parameter", "why"), [
    ("usPoliceEffect=Block", "allowedValues"),
    ("treatScopeAsLawEnforcement=maybe", "boolean"),
    ("lawEnforcementValues=police", "array"),
])
def test_bad_parameter_value_is_bad_input_and_nothing_is_written(stub_env, parameter: str, why: str) -> None:
    stub, env = stub_env
    for extra in (["--what-if"], []):
        proc = run("publish", "--scope", "mg-police", "--assign", "--parameter", parameter, *extra, env=env)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert f"--parameter {parameter.split('=')[0]}" in proc.stderr and why in proc.stderr
    assert not [r for r in stub.arm_requests() if r.method in ("PUT", "PATCH", "DELETE")]


def test_good_parameter_values_are_accepted(stub_env) -> None:
    import json

    stub, env = stub_env
    assert run("publish", "--scope", "mg-police", "--assign", env=env).returncode == 0
    proc = run("publish", "--scope", "mg-police", "--assign", "--parameter", "usPoliceEffect=Audit",
               "--parameter", "treatScopeAsLawEnforcement=true", "--parameter", "sectorTagName=2024",
               "--parameter", 'lawEnforcementValues=["police"]', "--what-if", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    (assignment,) = [c for c in json.loads(proc.stdout)["changes"] if c["kind"] == "assignment"]
    after: dict = {}
    for change in assignment["changes"]:
        if change["path"] == "properties.parameters":
            after.update(change["after"])
        elif change["path"].startswith("properties.parameters."):
            after[change["path"].split(".")[2]] = change["after"]
    assert after["sectorTagName"] == {"value": "2024"}          # a String parameter keeps its text
    assert after["treatScopeAsLawEnforcement"] == {"value": True}
    assert after["lawEnforcementValues"] == {"value": ["police"]}


@pytest.mark.parametrize(("body", "why"), [
    ("  exemptionCategory: Waiver\n  expiresOn: not-a-date\n", "expiresOn"),
    ("  exemptionCategory: Waiver\n  policyDefinitionReferenceIds: [no-such-clause]\n", "no-such-clause"),
])
def test_bad_exemption_is_bad_input_before_any_write(stub_env, tmp_path: Path, body: str, why: str) -> None:
    stub, env = stub_env
    exemption = tmp_path / "exemption.yaml"
    exemption.write_text("name: ex1\nproperties:\n" + body, encoding="utf-8")
    for extra in (["--what-if"], []):
        proc = run("publish", "--scope", "mg-police", "--assign", "--exemption", exemption, *extra, env=env)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert why in proc.stderr
    assert not [r for r in stub.arm_requests() if r.method in ("PUT", "PATCH", "DELETE")]


def test_yaml_exemption_with_unquoted_expiry_publishes_and_is_then_unchanged(stub_env, tmp_path: Path) -> None:
    stub, env = stub_env
    exemption = tmp_path / "exemption.yaml"
    exemption.write_text("name: ex1\nproperties:\n  exemptionCategory: Waiver\n"
                         "  expiresOn: 2027-01-31T00:00:00Z\n  policyDefinitionReferenceIds: [us-police]\n",
                         encoding="utf-8")
    plan = tmp_path / "plan.json"
    proc = run("publish", "--scope", "mg-police", "--assign", "--exemption", exemption, "--what-if", "--out", plan,
               env=env)
    assert proc.returncode == 0, proc.stderr
    assert '"expiresOn": "2027-01-31T00:00:00Z"' in plan.read_text(encoding="utf-8")
    assert run("publish", "--plan", plan, env=env).returncode == 0
    again = run("publish", "--scope", "mg-police", "--assign", "--exemption", exemption, "--what-if", env=env)
    assert again.returncode == 0 and "0 would create, 0 would update, 0 would delete" in again.stdout
