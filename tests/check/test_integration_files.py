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
    check = next(s for s in steps if s.get("uses", "").startswith("clausegate/clausegate@"))
    assert check["with"]["upload-sarif"] == "true" and check["with"]["sarif-file"].endswith(".sarif")
    action = yaml.safe_load((REPO / "action.yml").read_text("utf-8"))
    upload = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert "always()" in upload["if"] and upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"


def test_azure_pipelines_publishes_junit() -> None:
    template = yaml.safe_load((REPO / "examples" / "ci" / "azure-devops" / "clausegate-check.yml").read_text("utf-8"))
    steps = template["steps"]
    check = next(s for s in steps if "clausegate check" in s.get("script", ""))
    assert "-o junit" in check["script"] and "--output-dir" in check["script"]
    publish = next(s for s in steps if s.get("task") == "PublishTestResults@2")
    assert publish["inputs"]["testResultsFormat"] == "JUnit" and publish["condition"] == "always()"
    pipe = yaml.safe_load((REPO / "examples" / "ci" / "azure-pipelines.yml").read_text("utf-8"))
    assert any(s.get("template", "").startswith("examples/ci/azure-devops/clausegate-check.yml@") for s in pipe["steps"])
