"""The pre-commit hook and the CI examples stay valid and call `clausegate check` as documented."""

from __future__ import annotations

import yaml

from tests.check.conftest import REPO


def test_pre_commit_hook_is_valid() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    hook = next(h for h in hooks if h["id"] == "clausegate-check")
    # the keys pre-commit requires, and a hook that runs once per repository on a directory
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["entry"] == "clausegate check" and hook["pass_filenames"] is False
    assert "tf" in hook["files"]


def test_github_actions_uploads_sarif() -> None:
    wf = yaml.safe_load((REPO / "examples" / "ci" / "github-actions.yml").read_text("utf-8"))
    steps = wf["jobs"]["check"]["steps"]
    check = next(s for s in steps if "clausegate check" in s.get("run", ""))
    assert "--format sarif" in check["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["if"] == "always()" and upload["with"]["sarif_file"] in check["run"]


def test_azure_pipelines_publishes_junit() -> None:
    pipe = yaml.safe_load((REPO / "examples" / "ci" / "azure-pipelines.yml").read_text("utf-8"))
    steps = pipe["steps"]
    check = next(s for s in steps if "clausegate check" in s.get("script", ""))
    assert "--format junit" in check["script"]
    publish = next(s for s in steps if s.get("task") == "PublishTestResults@2")
    assert publish["inputs"]["testResultsFormat"] == "JUnit" and publish["condition"] == "always()"
