"""Re-record the report tests' inputs by running the real commands (run from the repository root):

    python tests/evidence/make_fixtures.py

- ``check-nested-modules.json`` and ``check-attested-rg.json``: ``clausegate check -o json`` on two
  of the examples under examples/check/;
- ``scan-stand-in.json``: ``clausegate scan --tenant-wide -o json`` against the HTTPS ARM stand-in
  seeded with tests/azure/tenant_seed.py (100 subscriptions).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(HERE), str(HERE.parent / "azure")]


def main() -> None:
    from generator.cli import cli

    os.chdir(REPO)
    runner = CliRunner()
    ex = "examples/check"
    checks = {
        "check-nested-modules.json": ["check", f"{ex}/plan-nested-modules/plan.json", "--subscription-tag",
                                      "sector=police", "--subscription-tag", "jurisdiction=US", "--format", "json"],
        "check-attested-rg.json": ["check", f"{ex}/plan-attested-resource-group/plan.json", "--context",
                                   f"{ex}/plan-attested-resource-group/context.yaml", "--format", "json"],
    }
    for name, args in checks.items():
        res = runner.invoke(cli, args)
        assert res.exit_code in (0, 1), res.stderr
        (HERE / "fixtures" / name).write_text(res.stdout, encoding="utf-8")
    import trustme
    from armstub import ArmStub
    from conftest import CREDENTIAL_ENV
    from tenant_seed import seed_tenant

    stub = ArmStub(trustme.CA(), Path(tempfile.mkdtemp())).start()
    try:
        for k in CREDENTIAL_ENV:
            os.environ.pop(k, None)
        os.environ.update({**stub.env(), "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential"})
        seed_tenant(stub, 100)
        res = runner.invoke(cli, ["scan", "--tenant-wide", "--format", "json"])
        assert res.exit_code in (0, 1), res.stderr
        (HERE / "fixtures" / "scan-stand-in.json").write_text(res.stdout, encoding="utf-8")
    finally:
        stub.stop()


if __name__ == "__main__":
    main()
