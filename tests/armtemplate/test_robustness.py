"""Odd templates give warnings and undetermined results, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.armtemplate.helpers import POLICE_US, UNDETERMINED, account, dump, model_deployment, template, verdicts
from tests.check.conftest import report_of, run_check


def _run(tmp_path: Path, doc: Any, *extra: str) -> Any:
    path = dump(tmp_path / "template.json", doc)
    result = run_check([str(path), *POLICE_US, *extra, "--format", "json", "--all"])
    assert "Traceback" not in result.output, result.output
    return result


@pytest.mark.parametrize("doc", [
    template([account(copy={"name": "c", "count": -1})]),
    template([account(copy={"name": "c", "count": "[parameters('missing')]"})]),
    template([account(condition="[1]")]),
    template([account("[variables('a')]")], variables={"a": "[variables('b')]", "b": "[variables('a')]"}),
    template([account("[parameters('a')]")], parameters={"a": {"type": "string", "defaultValue": "[parameters('a')]"}}),
    template([account("[ns.loop()]")], functions=[{"namespace": "ns", "members": {"loop": {
        "parameters": [], "output": {"type": "string", "value": "[ns.loop()]"}}}}]),
    template([{"type": "Microsoft.Resources/deployments", "name": "x", "properties": {"template": "oops"}}]),
    template([{"type": "Microsoft.Resources/deployments", "name": "x", "properties": {
        "templateLink": {"relativePath": "../../../../nowhere.json"}}}]),
    template([account(properties={"[concat('a', parameters('nope'))]": 1})]),
    template([account(properties={"copy": [{"name": "x", "count": "[reference('r').n]", "input": 1}]})]),
    template("not resources"),
    template([model_deployment("d", "[take(parameters('m'), 'x')]")], parameters={"m": {"type": "string",
                                                                                       "defaultValue": "gpt"}}),
])
def test_never_a_traceback(tmp_path: Path, doc: Any) -> None:
    result = _run(tmp_path, doc)
    assert result.exit_code in (0, 1, 2), result.output


def test_a_resource_without_a_type_is_bad_input_with_its_line(tmp_path: Path) -> None:
    result = _run(tmp_path, template([account(), {"name": "x"}]))
    assert result.exit_code == 2
    assert "/resources/1" in result.output and "'type'" in result.output


def test_a_copy_count_known_at_deployment_only_is_undetermined(tmp_path: Path) -> None:
    doc = template([account("[concat('face', copyIndex())]", kind="Face",
                            copy={"name": "f", "count": "[length(reference('x').items)]"})])
    result = _run(tmp_path, doc)
    assert result.exit_code == 0
    report = report_of(result)
    assert verdicts(report) == {"Microsoft.CognitiveServices/accounts/[concat('face', copyIndex())][*]": UNDETERMINED}
    assert any("/resources/0/copy/count" in w for w in report["warnings"])


def test_self_referencing_variables_warn(tmp_path: Path) -> None:
    doc = template([model_deployment("d", "[variables('a')]")], variables={"a": "[variables('a')]"})
    report = report_of(_run(tmp_path, doc))
    assert any("refers to itself" in w for w in report["warnings"])


def test_template_options_are_ignored_with_a_warning_for_terraform(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "azurerm_resource_group" "rg" {\n  name = "a"\n  location = "eastus"\n}\n',
                                      encoding="utf-8")
    params = dump(tmp_path / "p.json", {"parameters": {}})
    result = run_check([str(tmp_path), "--template-parameters", str(params), "--resource-group", "x",
                        "--format", "json"])
    assert result.exit_code == 0
    assert any("--template-parameters" in w and "ARM templates only" in w for w in report_of(result)["warnings"])
