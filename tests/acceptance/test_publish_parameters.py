"""`publish --assign --parameter K=V` checks values against the set's types and allowedValues (exit 2).

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
