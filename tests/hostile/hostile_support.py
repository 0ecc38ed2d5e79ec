"""Hostile-input helpers: each command runs as a real subprocess with a timeout, in a sandbox folder
whose tree is compared before and after, so a hang, a traceback or a stray write fails the test.

``HOSTILE`` holds the classes of bad files (FIFO, alias bomb, Python tag, deep nesting, huge integers,
devices, oversize ...); ``valid`` files let each command get as far as the hostile one.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 20.0  # seconds; a command that is still running then is a hang (the promise is 10 s on 10 MB)

DEFINITION: dict[str, Any] = {
    "name": "deny-public",
    "properties": {
        "displayName": "No public network", "mode": "Indexed",
        "parameters": {"effect": {"type": "String", "defaultValue": "Deny"}},
        "policyRule": {
            "if": {"allOf": [
                {"field": "type", "equals": "Microsoft.CognitiveServices/accounts"},
                {"field": "Microsoft.CognitiveServices/accounts/publicNetworkAccess", "notEquals": "Disabled"},
            ]},
            "then": {"effect": "[parameters('effect')]"},
        },
    },
}
SUB = "11111111-2222-3333-4444-555555555555"
ACCOUNT_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct"
RESOURCE: dict[str, Any] = {
    "id": ACCOUNT_ID, "name": "acct", "type": "Microsoft.CognitiveServices/accounts", "location": "eastus",
    "kind": "OpenAI", "properties": {"publicNetworkAccess": "Enabled"},
}
ASSIGNMENT: dict[str, Any] = {
    "id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/a1", "name": "a1",
    "properties": {"policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/deny-public",
                   "scope": f"/subscriptions/{SUB}"},
}


def plan_doc(address: str = "azurerm_resource_group.rg", name: str = "rg") -> dict[str, Any]:
    """A minimal `terraform show -json` plan creating one resource group."""
    return {"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": [{
        "address": address, "mode": "managed", "type": "azurerm_resource_group", "name": "rg",
        "change": {"actions": ["create"], "after": {"name": name, "location": "eastus"}, "after_unknown": {}},
    }]}


@dataclass
class Run:
    """One finished command."""

    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        """Non-empty stderr lines."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def clausegate(*args: str, cwd: Path, timeout: float = TIMEOUT, env: dict[str, str] | None = None) -> Run:
    """Run ``python -m generator ARGS`` in ``cwd``; a run past ``timeout`` fails the test as a hang."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
    full_env.update({"PYTHONPATH": str(REPO), "CLAUSEGATE_CACHE_DIR": str(cwd / ".cache"), "NO_COLOR": "1"})
    full_env.update(env or {})
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=full_env, text=True,
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"clausegate {' '.join(args)} did not finish within {timeout:g} s (a hang)")
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def assert_refused(run: Run, *, code: int = 2, mentions: str | None = None, file: str | None = None) -> None:
    """Exit ``code``; one ``error:`` line on stderr (naming ``file`` and ``mentions``); no traceback."""
    assert run.code == code, f"exit {run.code}, expected {code}\nstdout: {run.stdout[-800:]}\nstderr: {run.stderr[-1500:]}"
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr[-1500:]
    errors = [line for line in run.error_lines if line.startswith("error:")]
    assert len(errors) == 1, f"expected one error line, got: {run.stderr[-1500:]}"
    if mentions is not None:
        assert mentions.lower() in errors[0].lower(), errors[0]
    if file is not None:
        assert file in errors[0], errors[0]


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[str, int]]:
    """Path -> (sha256 or file kind, mode) for everything under ``root`` (FIFOs and links are not opened)."""
    out: dict[str, tuple[str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel_dir, d)) not in skip]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.relpath(path, root))
            if rel in skip or rel.startswith(".cache"):
                continue
            st = os.lstat(path)
            if os.path.islink(path):
                out[rel] = ("link:" + os.readlink(path), st.st_mode)
            elif not os.path.isfile(path) or st.st_size > (1 << 24):
                out[rel] = (f"special:{st.st_size}", st.st_mode)
            else:
                out[rel] = (hashlib.sha256(Path(path).read_bytes()).hexdigest(), st.st_mode)
    return out


# --------------------------------------------------------------------------------------------------
# hostile classes: name -> (writer(path), words the error must contain)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _billion_laughs(path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path.write_text("\n".join(lines) + "\n")


def _deep_json(path: Path) -> None:
    path.write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")


def _deep_yaml(path: Path) -> None:
    path.write_text("a: " + "[" * 5_000 + "]" * 5_000 + "\n")


def _oversize(path: Path) -> None:
    with open(path, "wb") as fh:  # sparse: costs no disk, but stat says 70 MB
        fh.truncate(70 << 20)


HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "FIFO"),
    "billion-laughs": (_billion_laughs, "alias"),
    "python-tag": (lambda p: p.write_text("a: !!python/object/apply:os.system ['touch pwned']\n"), "tag"),
    "unknown-tag": (lambda p: p.write_text("a: !ruby/object:Gem::Installer {x: 1}\n"), "tag"),
    "deep-yaml": (_deep_yaml, "nest"),
    "huge-int-yaml": (lambda p: p.write_text("a: " + "9" * 5000 + "\n"), "digits"),
    "deep-json": (_deep_json, "nested"),
    "huge-int-json": (lambda p: p.write_text('{"a": ' + "9" * 5000 + "}"), "digits"),
    "nan-json": (lambda p: p.write_text('{"a": NaN}'), "finite"),
    "inf-json": (lambda p: p.write_text('{"a": 1e999}'), "finite"),
    "not-utf8": (lambda p: p.write_bytes(b'{"a": "\xff\xfe"}'), "UTF-8"),
    "oversize": (_oversize, "limit"),
    "directory": (lambda p: p.mkdir(), "folder"),
}
JSON_CLASSES = ("fifo", "deep-json", "huge-int-json", "nan-json", "inf-json", "not-utf8", "oversize")
YAML_CLASSES = ("fifo", "billion-laughs", "python-tag", "unknown-tag", "deep-yaml", "huge-int-yaml", "oversize")


def run_batch(cases: list[dict[str, Any]], workdir: Path) -> dict[str, dict[str, Any]]:
    """Run ``cases`` ({id, cwd, argv, timeout}) in one child process (batch.py); results by id."""
    cases_file, results_file = workdir / "cases.json", workdir / "results.json"
    cases_file.write_text(json.dumps(cases))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
    env.update({"PYTHONPATH": str(REPO), "CLAUSEGATE_CACHE_DIR": str(workdir / ".cache")})
    budget = 60 + 25 * len(cases)
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("batch.py")), str(cases_file),
                           str(results_file)], env=env, text=True, capture_output=True, timeout=budget,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(results_file.read_text())  # type: ignore[no-any-return]


def assert_result_refused(res: dict[str, Any], *, words: str, file: str, code: int = 2,
                          report: bool = False) -> None:
    """A batch result: no hang, exit ``code``, no traceback, nothing changed, and the refusal names ``file``
    and ``words`` in one ``error:`` line (or, with ``report``, in the report: invalid policies are results)."""
    assert not res["hang"], f"hang after {res['seconds']:.1f} s"
    assert res["code"] == code, f"exit {res['code']}, expected {code}\nstdout: {res['stdout'][-800:]}\n" \
                                f"stderr: {res['stderr'][-1500:]}"
    assert "Traceback" not in res["stderr"] and "internal error" not in res["stderr"], res["stderr"][-1500:]
    assert res["changed"] == [], f"files changed: {res['changed']}"
    if report:
        text = res["stdout"] + res["stderr"]
        assert file in text and words.lower() in text.lower(), text[-1500:]
        return
    errors = [line for line in res["stderr"].splitlines() if line.startswith("error:")]
    assert len(errors) == 1, f"expected one error line, got: {res['stderr'][-1500:]}"
    assert file in errors[0] and words.lower() in errors[0].lower(), errors[0]
