"""Generated Terraform: parses with python-hcl2, uses only documented azurerm arguments, AVM order."""

from __future__ import annotations

import json
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


@pytest.fixture(scope="module", params=[SHIPPED, str(EXAMPLE_PACK)], ids=["shipped", "example"])
def rendered(request: pytest.FixtureRequest) -> dict[str, str]:
    return TerraformTarget().render(load_pack(request.param), RenderOptions())


def _tf(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {p: parse_hcl(t) for p, t in files.items() if p.endswith(".tf")}


def test_every_tf_file_parses_and_module_layout(rendered: dict[str, str]) -> None:
    parsed = _tf(rendered)
    modules = {p.rsplit("/", 1)[0] for p in parsed}
    assert len(modules) == 2
    for m in modules:
        for name in ("terraform.tf", "main.tf", "variables.tf", "outputs.tf"):
            assert f"{m}/{name}" in parsed
        assert f"{m}/README.md" in rendered
    for p, doc in parsed.items():
        assert "provider" not in doc, f"{p} declares a provider block"
        if p.endswith("terraform.tf"):
            req = doc["terraform"][0]["required_providers"][0]["azurerm"]
            assert req == {"source": "hashicorp/azurerm", "version": ">= 4.0, < 6.0"}


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
            if "default" in body and isinstance(body["default"], (list, dict)):
                assert body.get("nullable") is False, f"{name}: collections are nullable = false"
        # TFNFR15/41: required first, then optional, each alphabetical.
        split = required.index(False) if False in required else len(required)
        assert all(required[:split]) and not any(required[split:])
        assert names[:split] == sorted(names[:split]) and names[split:] == sorted(names[split:])
        readme = rendered[path.replace("variables.tf", "README.md")]
        for n in names:
            assert f"| `{n}` |" in readme


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
    main = next(t for p, t in rendered.items() if p.endswith("-definitions/main.tf"))
    files = re.findall(r'file\("\$\{path\.module\}/(policies/[^"]+\.json)"\)', main)
    assert files, "policy JSON is read from the module folder"
    doc = parse_hcl(main)
    (_, _, body), = [b for b in blocks(doc, "resource") if b[0] == "azurerm_policy_definition"]
    assert body["policy_rule"] == "${jsonencode(each.value.properties.policyRule)}"


def test_non_compliance_messages_quote_each_clause() -> None:
    pack = load_pack(SHIPPED)
    files = TerraformTarget().render(pack, RenderOptions())
    main = parse_hcl(next(t for p, t in files.items() if p.endswith("-assignment/main.tf")))
    messages = main["locals"][0]["non_compliance_messages"]
    for c in pack.clauses:
        assert messages[c.id] == non_compliance_message(pack, c)
        assert c.quote in messages[c.id]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")
def test_terraform_fmt_check(tmp_path: Path, rendered: dict[str, str]) -> None:
    for p, t in rendered.items():
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text(t, "utf-8")
    proc = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_examples_call_existing_module_variables() -> None:
    for main in sorted((REPO / "examples" / "terraform").glob("*/main.tf")):
        doc = parse_hcl(main.read_text("utf-8"))
        assert "provider" in doc
        for entry in doc["module"]:
            (_, body), = entry.items()
            source = (main.parent / body["source"]).resolve()
            assert source.is_dir(), source
            mod_vars = {next(iter(v)) for v in parse_hcl((source / "variables.tf").read_text("utf-8"))["variable"]}
            required = {next(iter(v)) for v in parse_hcl((source / "variables.tf").read_text("utf-8"))["variable"]
                        if "default" not in next(iter(v.values()))}
            given = set(body) - {"source", "version", "providers", "depends_on", "count", "for_each"}
            assert given <= mod_vars, (main, given - mod_vars)
            assert required <= given, (main, required - given)


def test_policy_json_and_terraform_agree_on_file_names() -> None:
    from generator.targets.policy_json import PolicyJsonTarget

    pack = load_pack(SHIPPED)
    policies = PolicyJsonTarget().render(pack, RenderOptions())
    main = next(t for p, t in TerraformTarget().render(pack, RenderOptions()).items() if p.endswith("-definitions/main.tf"))
    for rel in re.findall(r'\$\{path\.module\}/(policies/[^"]+\.json)', main):
        path = f"modules/{pack.slug}-definitions/{rel}"
        assert path in policies
        json.loads(policies[path])
