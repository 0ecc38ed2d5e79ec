"""Generated Terraform: parses with python-hcl2, uses only documented azurerm arguments, AVM order."""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from gen_helpers import EXAMPLE_PACK, REPO, SHIPPED, blocks, parse_hcl

from generator.pack import load_pack
from generator.targets import RenderOptions
from generator.targets.policy_json import non_compliance_message
from generator.targets.terraform import TerraformTarget

# Arguments and nested blocks of the azurerm resources the modules use, from the provider's docs
# (hashicorp/terraform-provider-azurerm website/docs/r/*.html.markdown at tag v4.81.0; the six
# policy pages are unchanged in v5.2.0 apart from an API line, per shared azure-facts Q6).
AZURERM_4X: dict[str, dict[str, Any]] = {
    "azurerm_policy_definition": {
        "required": {"name", "policy_type", "mode", "display_name"},
        "optional": {"description", "management_group_id", "policy_rule", "metadata", "parameters"},
        "blocks": {},
    },
    "azurerm_management_group_policy_set_definition": {
        "required": {"name", "policy_type", "display_name", "management_group_id"},
        "optional": {"description", "metadata", "parameters"},
        "blocks": {
            "policy_definition_reference": {"policy_definition_id", "parameter_values", "policy_group_names",
                                            "reference_id", "version"},
            "policy_definition_group": {"name", "display_name", "category", "description",
                                        "additional_metadata_resource_id"},
        },
    },
    "azurerm_management_group_policy_assignment": {
        "required": {"management_group_id", "name", "policy_definition_id"},
        "optional": {"description", "display_name", "enforce", "location", "metadata", "parameters", "not_scopes"},
        "blocks": {"non_compliance_message": {"content", "policy_definition_reference_id"},
                   "identity": {"type", "identity_ids"}, "overrides": {"value", "selectors"},
                   "resource_selectors": {"name", "selectors"}},
    },
    "azurerm_subscription_policy_assignment": {
        "required": {"subscription_id", "name", "policy_definition_id"},
        "optional": {"description", "display_name", "enforce", "location", "metadata", "parameters", "not_scopes"},
        "blocks": {"non_compliance_message": {"content", "policy_definition_reference_id"},
                   "identity": {"type", "identity_ids"}, "overrides": {"value", "selectors"},
                   "resource_selectors": {"name", "selectors"}},
    },
    "azurerm_management_group_policy_exemption": {
        "required": {"name", "management_group_id", "exemption_category", "policy_assignment_id"},
        "optional": {"description", "display_name", "expires_on", "policy_definition_reference_ids", "metadata"},
        "blocks": {},
    },
    "azurerm_subscription_policy_exemption": {
        "required": {"name", "subscription_id", "exemption_category", "policy_assignment_id"},
        "optional": {"description", "display_name", "expires_on", "policy_definition_reference_ids", "metadata"},
        "blocks": {},
    },
}
META = {"count", "for_each", "depends_on", "provider", "lifecycle", "dynamic"}


MODULE_FILES = ("terraform.tf", "locals.tf", "main.tf", "variables.tf", "outputs.tf", "README.md", "_header.md",
                "_footer.md", ".terraform-docs.yml", "examples/default/main.tf", "examples/default/README.md",
                "tests/unit/validations.tftest.hcl", "tests/unit/plan.tftest.hcl")


@pytest.fixture(scope="module", params=[SHIPPED, str(EXAMPLE_PACK)], ids=["shipped", "example"])
def rendered(request: pytest.FixtureRequest) -> dict[str, str]:
    return TerraformTarget().render(load_pack(request.param), RenderOptions())


def _module_of(path: str) -> str:
    return "/".join(path.split("/")[:2])


def _tf(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The module's own .tf files (not its examples), parsed."""
    return {p: parse_hcl(t) for p, t in files.items() if p.endswith(".tf") and p.count("/") == 2}


def _heredoc(text: str) -> str:
    """python-hcl2 keeps a heredoc's markers: return its body."""
    m = re.fullmatch(r"<<-?([A-Z_]+)\n(.*)\n\1", text, re.S)
    return m.group(2) if m else text


def _variables(text: str) -> dict[str, dict[str, Any]]:
    return {name: body for entry in parse_hcl(text).get("variable", []) for name, body in entry.items()}


def test_every_tf_file_parses_and_module_layout(rendered: dict[str, str]) -> None:
    for p, t in rendered.items():
        if p.endswith((".tf", ".tftest.hcl")):
            parse_hcl(t)
    modules = {_module_of(p) for p in rendered}
    assert len(modules) == 2
    for m in modules:
        for name in MODULE_FILES:
            assert f"{m}/{name}" in rendered, f"{m}/{name} is missing (AVM layout)"
        assert not any(p.endswith("providers.tf") for p in rendered), "AVM TFNFR39: no providers.tf"
    for p, doc in _tf(rendered).items():
        assert "provider" not in doc, f"{p} declares a provider block"
        if p.endswith("terraform.tf"):
            tf = doc["terraform"][0]
            assert tf["required_version"] == ">= 1.9"
            req = tf["required_providers"][0]["azurerm"]
            assert req == {"source": "hashicorp/azurerm", "version": ">= 4, < 6"}


def test_resource_arguments_match_azurerm_docs(rendered: dict[str, str]) -> None:
    seen = set()
    for path, doc in _tf(rendered).items():
        for rtype, _name, body in blocks(doc, "resource"):
            spec = AZURERM_4X.get(rtype)
            assert spec is not None, f"{path}: {rtype} is not in the argument table"
            seen.add(rtype)
            keys = set(body) - META
            args = {k for k in keys if k not in spec["blocks"]}
            assert args <= spec["required"] | spec["optional"], (rtype, args - spec["required"] - spec["optional"])
            assert spec["required"] <= args, (rtype, spec["required"] - args)
            nested = [(k, b) for k in keys & set(spec["blocks"]) for b in body[k]]
            for dyn in body.get("dynamic", []):
                for k, d in dyn.items():
                    assert k in spec["blocks"], (rtype, k)
                    nested += [(k, b) for b in d["content"]]
            for k, b in nested:
                assert set(b) <= spec["blocks"][k], (rtype, k, set(b) - spec["blocks"][k])
            # AVM TFNFR8: meta-arguments first, then arguments alphabetically, then nested blocks.
            order = [k for k in body if k not in META and k not in spec["blocks"]]
            assert order == sorted(order), (rtype, order)
    assert seen == set(AZURERM_4X)


def test_variables_typed_described_and_ordered(rendered: dict[str, str]) -> None:
    for path, doc in _tf(rendered).items():
        if not path.endswith("variables.tf"):
            continue
        names, required = [], []
        for entry in doc["variable"]:
            (name, body), = entry.items()
            names.append(name)
            required.append("default" not in body)
            assert body.get("type") and body.get("description"), name
            if "object(" in body["type"]:
                assert body["description"].startswith("<<DESCRIPTION\n"), f"{name}: object descriptions are heredocs"
            if body["type"].removeprefix("${").startswith(("list(", "map(", "set(", "object(")):
                assert body.get("nullable") is False, f"{name}: collections are nullable = false"
            if "default" in body and isinstance(body["default"], (list, dict)):
                assert body.get("nullable") is False, f"{name}: collections are nullable = false"
        # TFNFR15/41: required first, then optional, each alphabetical.
        split = required.index(False) if False in required else len(required)
        assert all(required[:split]) and not any(required[split:])
        assert names[:split] == sorted(names[:split]) and names[split:] == sorted(names[split:])
        readme = rendered[path.replace("variables.tf", "README.md")]
        for n in names:
            assert f'| <a name="input_{n}"></a> [{n}](#input_{n}) |' in readme


def test_outputs_discrete_and_alphabetical(rendered: dict[str, str]) -> None:
    for path, doc in _tf(rendered).items():
        if path.endswith("outputs.tf"):
            names = [next(iter(e)) for e in doc["output"]]
            assert names == sorted(names) and names
            for e in doc["output"]:
                (_, body), = e.items()
                assert body["description"].endswith(".")
                assert not re.fullmatch(r"\$\{azurerm_[a-z_]+\.this\}", body["value"]), "whole resources are not outputs"


def test_definitions_module_reads_the_shipped_json(rendered: dict[str, str]) -> None:
    local_tf = next(t for p, t in rendered.items() if p.endswith("-definitions/locals.tf"))
    files = re.findall(r'file\("\$\{path\.module\}/(policies/[^"]+\.json)"\)', local_tf)
    assert files, "policy JSON is read from the module folder"
    doc = parse_hcl(next(t for p, t in rendered.items() if p.endswith("-definitions/main.tf")))
    (_, _, body), = [b for b in blocks(doc, "resource") if b[0] == "azurerm_policy_definition"]
    assert body["policy_rule"] == "${jsonencode(each.value.properties.policyRule)}"


def test_non_compliance_messages_quote_each_clause() -> None:
    pack = load_pack(SHIPPED)
    files = TerraformTarget().render(pack, RenderOptions())
    local_tf = parse_hcl(next(t for p, t in files.items() if p.endswith("-assignment/locals.tf")))
    messages = local_tf["locals"][0]["non_compliance_messages"]
    for c in pack.clauses:
        assert messages[c.id] == non_compliance_message(pack, c)
        assert c.quote in messages[c.id]


def terraform_binary() -> str:
    """The terraform binary on PATH, or skip: CI machines need not have it (only `fmt` runs offline)."""
    found = shutil.which("terraform")
    if found is None:
        pytest.skip("no terraform binary on PATH (CI need not have one; these checks run where it exists)")
    return found


def _fmt_check(binary: str, *paths: Path) -> None:
    proc = subprocess.run([binary, "fmt", "-check", "-recursive", "-diff", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_terraform_fmt_check_rendered(tmp_path: Path, rendered: dict[str, str]) -> None:
    binary = terraform_binary()
    for p, t in rendered.items():
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text(t, "utf-8")
    _fmt_check(binary, tmp_path)  # .tf and .tftest.hcl


def test_terraform_fmt_check_committed_modules_and_examples() -> None:
    _fmt_check(terraform_binary(), REPO / "modules", REPO / "examples" / "terraform")


def test_validation_runs_fail_as_expected_in_terraform(tmp_path: Path, rendered: dict[str, str]) -> None:
    """Run each module's validation tests for real: variables.tf alone needs no provider, so this works offline."""
    binary = terraform_binary()
    for module in sorted({_module_of(p) for p in rendered}):
        work = tmp_path / module.split("/")[1]
        (work / "tests").mkdir(parents=True)
        (work / "variables.tf").write_text(rendered[f"{module}/variables.tf"], "utf-8")
        tests = rendered[f"{module}/tests/unit/validations.tftest.hcl"].replace('mock_provider "azurerm" {}\n', "")
        (work / "tests" / "validations.tftest.hcl").write_text(tests + '\nrun "defaults_are_valid" {\n  command = plan\n}\n',
                                                               "utf-8")
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull}
        for args in (["init", "-backend=false", "-input=false"], ["test", "-no-color"]):
            proc = subprocess.run([binary, *args], cwd=work, capture_output=True, text=True, timeout=300, env=env)
            assert proc.returncode == 0, f"{module}: terraform {args[0]}\n{proc.stdout}{proc.stderr}"
        runs = len(re.findall(r"^run ", tests, re.M)) + 1
        assert f"{runs} passed, 0 failed" in proc.stdout, proc.stdout


def test_fmt_tests_skip_without_terraform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match="no terraform binary"):
        terraform_binary()


def _check_module_call(body: dict[str, Any], variables: dict[str, dict[str, Any]], where: str) -> None:
    given = set(body) - {"source", "version", "providers", "depends_on", "count", "for_each"}
    assert given <= set(variables), (where, given - set(variables))
    required = {n for n, v in variables.items() if "default" not in v}
    assert required <= given, (where, required - given)


def test_examples_call_existing_module_variables() -> None:
    for main in sorted((REPO / "examples" / "terraform").glob("*/main.tf")):
        doc = parse_hcl(main.read_text("utf-8"))
        assert "provider" in doc
        tf = doc["terraform"][0]
        assert tf["required_version"] == ">= 1.9"
        assert tf["required_providers"][0]["azurerm"]["version"] == ">= 4, < 6"
        for entry in doc["module"]:
            (_, body), = entry.items()
            source = (main.parent / body["source"]).resolve()
            assert source.is_dir(), source
            _check_module_call(body, _variables((source / "variables.tf").read_text("utf-8")), str(main))


def test_default_examples_call_the_module_avm_style(rendered: dict[str, str]) -> None:
    for path, text in rendered.items():
        if not path.endswith("examples/default/main.tf"):
            continue
        module = _module_of(path)
        doc = parse_hcl(text)
        assert "provider" in doc and doc["terraform"][0]["required_version"] == ">= 1.9"
        sources = []
        for entry in doc["module"]:
            (_, body), = entry.items()
            sources.append(body["source"])
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), body["source"]))
            assert f"{target}/variables.tf" in rendered, (path, body["source"])
            _check_module_call(body, _variables(rendered[f"{target}/variables.tf"]), path)
        assert "../../" in sources, f"{path} must call its module with source = \"../../\""
        assert text.rstrip("\n") in rendered[f"{module}/examples/default/README.md"]


def test_unit_tests_cover_every_validation(rendered: dict[str, str]) -> None:
    for module in sorted({_module_of(p) for p in rendered}):
        variables = _variables(rendered[f"{module}/variables.tf"])
        validated = {n: len(v.get("validation", [])) for n, v in variables.items()}
        required = {n for n, v in variables.items() if "default" not in v}
        expected_failures: dict[str, int] = {}
        valid_runs = 0
        for path in (f"{module}/tests/unit/validations.tftest.hcl", f"{module}/tests/unit/plan.tftest.hcl"):
            doc = parse_hcl(rendered[path])
            assert doc["mock_provider"] == [{"azurerm": {}}], path
            file_vars = doc["variables"][0]
            assert required <= set(file_vars) <= set(variables), path
            for entry in doc["run"]:
                (name, run), = entry.items()
                assert run["command"] == "plan", (path, name)
                run_vars = run.get("variables", [{}])[0]
                assert set(run_vars) <= set(variables), (path, name)
                failures = run.get("expect_failures", [])
                for ref in failures:
                    m = re.fullmatch(r"\$\{var\.([a-z0-9_]+)\}", ref)
                    assert m, (path, name, ref)
                    var = m.group(1)
                    assert var in variables, f"{path}: run {name} expects a failure of unknown var.{var}"
                    assert validated[var], f"{path}: run {name} expects a failure of var.{var}, which has no validation"
                    assert var in run_vars, f"{path}: run {name} must set the bad value of var.{var}"
                    expected_failures[var] = expected_failures.get(var, 0) + 1
                if not failures:
                    assert run.get("assert"), f"{path}: run {name} with valid inputs asserts nothing"
                    valid_runs += 1
        # One run per validation block, and at least one plan with valid inputs.
        assert expected_failures == {n: c for n, c in validated.items() if c}, module
        assert valid_runs >= 1, module


def test_valid_plan_asserts_names_and_limits() -> None:
    pack = load_pack(SHIPPED)
    files = TerraformTarget().render(pack, RenderOptions())
    d_plan = files[f"modules/{pack.slug}-definitions/tests/unit/plan.tftest.hcl"]
    assert f"length(azurerm_policy_definition.this) == {len(pack.clauses)}" in d_plan
    for c in pack.clauses:
        assert f'azurerm_policy_definition.this["{c.id}"].name == "{pack.slug}-{c.id}"' in d_plan
    a_plan = files[f"modules/{pack.slug}-assignment/tests/unit/plan.tftest.hcl"]
    assert "length(azurerm_management_group_policy_assignment.this[0].name) <= 24" in a_plan


def test_effect_variables_validated_against_allowed_values(rendered: dict[str, str]) -> None:
    from generator.targets.terraform import snake

    module = next(_module_of(p) for p in rendered if p.endswith("-assignment/variables.tf"))
    variables = _variables(rendered[f"{module}/variables.tf"])
    locals_tf = next(t for p, t in rendered.items() if p.endswith("-assignment/locals.tf"))
    effects = re.findall(r"^    (\w+Effect) += \{ value", locals_tf, re.M)
    assert effects
    for pname in effects:
        var = variables[snake(pname)]
        conditions = [v["condition"] for v in var["validation"]]
        assert any("contains([" in c and f"var.{snake(pname)})" in c for c in conditions), pname


def test_readme_is_terraform_docs_markdown_table(rendered: dict[str, str]) -> None:
    import yaml

    for module in sorted({_module_of(p) for p in rendered}):
        config = yaml.safe_load(rendered[f"{module}/.terraform-docs.yml"])
        assert config["formatter"] == "markdown table"
        assert (config["header-from"], config["footer-from"]) == ("_header.md", "_footer.md")
        assert config["output"]["file"] == "README.md" and config["output"]["mode"] == "inject"
        assert "<!-- BEGIN_TF_DOCS -->" in config["output"]["template"]
        assert config["sort"] == {"enabled": True, "by": "required"}

        readme = rendered[f"{module}/README.md"]
        assert readme.count("<!-- BEGIN_TF_DOCS -->") == 1 and readme.count("<!-- END_TF_DOCS -->") == 1
        docs = readme.split("<!-- BEGIN_TF_DOCS -->\n", 1)[1].split("<!-- END_TF_DOCS -->", 1)[0]
        assert docs.startswith(rendered[f"{module}/_header.md"].rstrip("\n"))
        assert docs.rstrip("\n").endswith(rendered[f"{module}/_footer.md"].rstrip("\n"))
        sections = re.findall(r"^## (\w+)$", docs, re.M)
        assert [s for s in sections if s in {"Requirements", "Providers", "Modules", "Resources", "Inputs", "Outputs"}] \
            == ["Requirements", "Providers", "Modules", "Resources", "Inputs", "Outputs"]
        assert "| Name | Description | Type | Default | Required |\n| ---- | ----------- | ---- | ------- | :------: |" in docs
        variables = _variables(rendered[f"{module}/variables.tf"])
        rows = re.findall(r'^\| <a name="input_([a-z0-9_]+)"></a> \[\1\]\(#input_\1\) \| (.*) \| (yes|no) \|$', docs, re.M)
        assert [r[0] for r in rows] == list(variables), "inputs in variables.tf order (required, then optional)"
        for name, _, req in rows:
            assert (req == "yes") == ("default" not in variables[name])
        outputs = [next(iter(e)) for e in parse_hcl(rendered[f"{module}/outputs.tf"])["output"]]
        assert re.findall(r'^\| <a name="output_([a-z0-9_]+)"></a>', docs, re.M) == outputs
        for rtype, name, _ in blocks(parse_hcl(rendered[f"{module}/main.tf"]), "resource"):
            assert f"| [{rtype}.{name}](https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/" \
                   f"{rtype.removeprefix('azurerm_')}) | resource |" in docs


def test_object_variable_descriptions_document_each_attribute(rendered: dict[str, str]) -> None:
    for path, doc in _tf(rendered).items():
        if path.endswith("variables.tf"):
            for entry in doc["variable"]:
                (name, body), = entry.items()
                if "object(" in body["type"]:
                    text = _heredoc(body["description"])
                    for attr in re.findall(r"(\w+)\s*=", body["type"].removeprefix("${").removesuffix("}")):
                        assert f"`{attr}`" in text, (name, attr)


def test_policy_json_and_terraform_agree_on_file_names() -> None:
    from generator.targets.policy_json import PolicyJsonTarget

    pack = load_pack(SHIPPED)
    policies = PolicyJsonTarget().render(pack, RenderOptions())
    local_tf = next(t for p, t in TerraformTarget().render(pack, RenderOptions()).items()
                    if p.endswith("-definitions/locals.tf"))
    for rel in re.findall(r'\$\{path\.module\}/(policies/[^"]+\.json)', local_tf):
        path = f"modules/{pack.slug}-definitions/{rel}"
        assert path in policies
        json.loads(policies[path])
