"""Messages found on the way (issue 16 item 7)."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_sign_in_endpoint_is_a_network_failure_with_the_host() -> None:
    """A real azure-identity credential against a port nothing listens on: a network failure, not a refusal."""
    from azure.identity import ClientSecretCredential

    from generator.azure.credentials import credential_error
    from generator.azure.settings import resolve_settings

    port = _closed_port()
    cred = ClientSecretCredential("00000000-0000-0000-0000-000000000000", "client", "secret",
                                  authority=f"127.0.0.1:{port}", retry_total=0, disable_instance_discovery=True)
    try:
        cred.get_token("https://management.azure.com/.default")
    except Exception as exc:  # noqa: BLE001 - whatever azure-identity raises is what users see
        err = credential_error(exc, resolve_settings(None, None))
    else:  # pragma: no cover
        raise AssertionError("a closed port gave a token")
    assert "network failure" in str(err) and "127.0.0.1" in str(err)
    assert "refused the credentials" not in str(err)


def test_aliases_help_is_not_cut_mid_sentence() -> None:
    out = CliRunner().invoke(cli, ["aliases", "--help"]).output
    rows = [ln.strip() for ln in out.split("Commands:")[1].splitlines() if ln.strip()]
    assert all(not r.endswith("...") and "(e.g." not in r for r in rows), rows


def test_format_given_twice_without_output_dir_is_refused(tmp_path: Path) -> None:
    from tests.check.conftest import EXAMPLES, run_check

    result = run_check([str(EXAMPLES / "plan-nested-modules" / "plan.json"), "--format", "json", "--format", "text"])
    assert result.exit_code == 2 and "--output-dir" in result.output
    # the same format twice is one report
    assert run_check([str(EXAMPLES / "plan-nested-modules" / "plan.json"), "-o", "json", "-o", "json"]).exit_code == 0


def test_docs_nits() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert "later `arm`" not in (repo / "docs" / "architecture.md").read_text("utf-8")
    assert "Issue 7 (live context" not in (repo / "docs" / "azure.md").read_text("utf-8")
    assert "row below predates" not in (repo / "docs" / "check.md").read_text("utf-8")
