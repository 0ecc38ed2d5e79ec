"""Fixtures for the Azure tests: the HTTPS ARM stand-in and a process environment pointing at it
(shared with the other folders that use the stand-in: armstub/fixtures.py)."""

from __future__ import annotations

from armstub.fixtures import CREDENTIAL_ENV, arm_stub, azure_env, stub_ca  # noqa: F401  (fixtures)
