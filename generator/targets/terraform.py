"""Terraform modules for a pack (Azure Verified Modules conventions, azurerm >= 4, < 6).

Two modules per pack: ``<slug>-definitions`` creates the definitions and the policy set at a
management group from the policy JSON shipped inside it (rendered by the policy-json target),
and ``<slug>-assignment`` assigns the set at a management group or subscription. HCL is
rendered from Jinja2 templates whose strings all pass through ``hcl_string``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.targets.base import RenderOptions, assignment_module, definitions_module
from generator.targets.hcl import align_attributes, hcl_key, hcl_string, hcl_value

if TYPE_CHECKING:
    import jinja2

    from generator.pack.model import Pack

AZURERM_CONSTRAINT = ">= 4.0, < 6.0"
TERRAFORM_CONSTRAINT = ">= 1.5"
MG_ID_PATTERN = "^/providers/Microsoft.Management/managementGroups/[^/]+$"
SUB_ID_PATTERN = "^/subscriptions/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_REQUIRED = object()


@dataclass
class TfVariable:
    """One input variable; ``default`` left unset means required."""

    name: str
    type: str
    description: str
    default: Any = _REQUIRED
    nullable: bool | None = None
    validations: list[tuple[str, str]] = field(default_factory=list)

    @property
    def required(self) -> bool:
        """True when the caller must set it."""
        return self.default is _REQUIRED


@dataclass
class TfOutput:
    """One module output."""

    name: str
    description: str
    value: str


def sorted_variables(variables: list[TfVariable]) -> list[TfVariable]:
    """Required first, then optional, each alphabetical (AVM TFNFR15/41)."""
    return sorted(variables, key=lambda v: (not v.required, v.name))


def snake(name: str) -> str:
    """``usPoliceEffect`` -> ``us_police_effect``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def templates_dir() -> Path:
    """The templates folder: ``generator/templates`` in a wheel, else the repository's ``templates/``."""
    from importlib import resources

    packaged = resources.files("generator") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The one Jinja2 environment (strict undefined; HCL and Markdown only, never JSON)."""
    global _env
    if _env is None:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir())),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["hcl_string"] = hcl_string
        env.filters["hcl_value"] = hcl_value
        env.filters["hcl_key"] = hcl_key
        env.filters["md_cell"] = md_cell
        _env = env
    return _env


def md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return re.sub(r"\s+", " ", text).replace("|", "\\|")


def _render(template: str, **ctx: Any) -> str:
    text = environment().get_template(template).render(**ctx)
    if template.endswith(".tf.j2"):
        text = align_attributes(text)
    return text.rstrip("\n") + "\n"


def _tf_type(ptype: str, default: Any) -> str:
    if ptype == "String":
        return "string"
    if ptype == "Boolean":
        return "bool"
    if ptype == "Integer":
        return "number"
    if ptype == "Array":
        return "list(string)" if all(isinstance(x, str) for x in default) else "list(any)"
    return "any"


def _parameter_variable(pname: str, spec: dict[str, Any]) -> TfVariable:
    default = spec["defaultValue"]
    var = TfVariable(
        name=snake(pname),
        type=_tf_type(spec["type"], default),
        description=f"{spec['metadata']['displayName']}: {spec['metadata']['description'].rstrip('.')} "
                    f"(policy set parameter {pname}).",
        default=default,
        nullable=False,
    )
    allowed = spec.get("allowedValues")
    if allowed:
        listed = "[" + ", ".join(hcl_string(a) if isinstance(a, str) else hcl_value(a) for a in allowed) + "]"
        if spec["type"] == "Array":
            cond = f"alltrue([for v in var.{var.name} : contains({listed}, v)])"
        else:
            cond = f"contains({listed}, var.{var.name})"
        var.validations.append((cond, f"{var.name} must be one of: {', '.join(map(str, allowed))}."))
    if spec["type"] == "String" and pname.endswith("TagName"):
        var.validations.append((f"length(trimspace(var.{var.name})) > 0", f"{var.name} must not be empty."))
    return var


class TerraformTarget:
    """Terraform modules ``modules/<slug>-definitions`` and ``modules/<slug>-assignment``."""

    name = "terraform"
    description = "Terraform modules (AVM style, azurerm >= 4, < 6) that deploy and assign the pack's policies"

    def render(self, pack: Pack, options: RenderOptions) -> dict[str, str]:
        """Render both modules' .tf files and READMEs."""
        from generator.targets.policy_json import (
            assignment_name,
            build_bundle,
            non_compliance_message,
        )

        bundle = build_bundle(pack, options.get_catalog())
        files: dict[str, str] = {}
        common = {
            "pack": pack,
            "terraform_constraint": TERRAFORM_CONSTRAINT,
            "azurerm_constraint": AZURERM_CONSTRAINT,
        }

        # --- definitions module ---------------------------------------------------------------
        dmod = definitions_module(pack)
        definitions = [
            {"key": c.id, "file": f"policies/{d['name']}.json", "name": d["name"]}
            for c, d in zip(pack.clauses, bundle.definitions)
        ]
        refs = [
            {"index": i, "key": ref["policyDefinitionReferenceId"], "groups": ref["groupNames"]}
            for i, ref in enumerate(bundle.policy_set["properties"]["policyDefinitions"])
        ]
        groups = bundle.policy_set["properties"]["policyDefinitionGroups"]
        d_vars = sorted_variables([
            TfVariable(
                name="management_group_id",
                type="string",
                description="Id of the management group that holds the definitions and the policy set, "
                            "e.g. /providers/Microsoft.Management/managementGroups/contoso.",
                validations=[(f"can(regex({hcl_string(MG_ID_PATTERN)}, var.management_group_id))",
                              "management_group_id must look like /providers/Microsoft.Management/managementGroups/<name>.")],
            ),
        ])
        d_outputs = [
            TfOutput("policy_definition_ids", "Map of clause id to policy definition id.",
                     "{ for k, v in azurerm_policy_definition.this : k => v.id }"),
            TfOutput("policy_definition_names", "Map of clause id to policy definition name.",
                     "{ for k, v in azurerm_policy_definition.this : k => v.name }"),
            TfOutput("policy_set_definition_id", "Id of the policy set definition (initiative).",
                     "azurerm_management_group_policy_set_definition.this.id"),
            TfOutput("policy_set_definition_name", "Name of the policy set definition.",
                     "azurerm_management_group_policy_set_definition.this.name"),
        ]
        ctx = dict(common, definitions=definitions, refs=refs, groups=groups,
                   set_file=f"policies/{bundle.policy_set['name']}.json", variables=d_vars,
                   outputs=sorted(d_outputs, key=lambda o: o.name), module_kind="definitions",
                   bundle=bundle)
        files[f"{dmod}/terraform.tf"] = _render("terraform/terraform.tf.j2", **ctx)
        files[f"{dmod}/main.tf"] = _render("terraform/definitions.main.tf.j2", **ctx)
        files[f"{dmod}/variables.tf"] = _render("terraform/variables.tf.j2", **ctx)
        files[f"{dmod}/outputs.tf"] = _render("terraform/outputs.tf.j2", **ctx)
        files[f"{dmod}/README.md"] = _render("terraform/README.md.j2", **ctx)

        # --- assignment module ----------------------------------------------------------------
        amod = assignment_module(pack)
        set_params = bundle.policy_set["properties"]["parameters"]
        param_vars = [_parameter_variable(n, s) for n, s in set_params.items()]
        fixed = [
            TfVariable("policy_set_definition_id", "string",
                       "Id of the policy set to assign (output policy_set_definition_id of the definitions module).",
                       validations=[("can(regex(\"/providers/Microsoft.Authorization/policySetDefinitions/[^/]+$\", "
                                     "var.policy_set_definition_id))",
                                     "policy_set_definition_id must be a policy set definition id.")]),
            TfVariable("scope_id", "string",
                       "Where to assign: a management group id (/providers/Microsoft.Management/managementGroups/<name>) "
                       "or a subscription id (/subscriptions/<guid>).",
                       validations=[(f"can(regex({hcl_string(MG_ID_PATTERN)}, var.scope_id)) || "
                                     f"can(regex({hcl_string(SUB_ID_PATTERN)}, var.scope_id))",
                                     "scope_id must be a management group id or a subscription id.")]),
            TfVariable("assignment_name", "string",
                       "Name of the assignment (at most 24 characters at a management group, 64 at a subscription).",
                       default=assignment_name(pack, management_group=True), nullable=False,
                       validations=[("length(var.assignment_name) > 0 && length(var.assignment_name) <= 64",
                                     "assignment_name must have 1 to 64 characters.")]),
            TfVariable("description", "string", "Description of the assignment.",
                       default=bundle.policy_set["properties"]["description"], nullable=False),
            TfVariable("display_name", "string", "Display name of the assignment.",
                       default=pack.display_name, nullable=False),
            TfVariable("enforce", "bool",
                       "Whether the assignment is enforced (false = DoNotEnforce: evaluate and report only).",
                       default=True, nullable=False),
            TfVariable("not_scopes", "list(string)", "Scopes excluded from the assignment.",
                       default=[], nullable=False),
            TfVariable(
                "exemptions",
                "map(object({\n"
                "    exemption_category              = string\n"
                "    expires_on                      = string\n"
                "    scope_id                        = string\n"
                "    description                     = optional(string)\n"
                "    display_name                    = optional(string)\n"
                "    policy_definition_reference_ids = optional(list(string), [])\n"
                "  }))",
                "Exemptions from this assignment, keyed by exemption name. Each needs a category (Waiver or "
                "Mitigated), an expiry (RFC 3339, e.g. 2027-01-31T00:00:00Z) and a management group or "
                "subscription scope; policy_definition_reference_ids are clause ids (empty = every clause).",
                default={}, nullable=False,
                validations=[
                    ("alltrue([for e in var.exemptions : contains([\"Waiver\", \"Mitigated\"], e.exemption_category)])",
                     "exemption_category must be Waiver or Mitigated."),
                    ("alltrue([for e in var.exemptions : can(formatdate(\"YYYY\", e.expires_on))])",
                     "expires_on must be an RFC 3339 timestamp such as 2027-01-31T00:00:00Z."),
                    (f"alltrue([for e in var.exemptions : can(regex({hcl_string(MG_ID_PATTERN)}, e.scope_id)) || "
                     f"can(regex({hcl_string(SUB_ID_PATTERN)}, e.scope_id))])",
                     "Each exemption scope_id must be a management group id or a subscription id."),
                    (f"alltrue([for e in var.exemptions : alltrue([for r in e.policy_definition_reference_ids : "
                     f"contains({'[' + ', '.join(hcl_string(c.id) for c in pack.clauses) + ']'}, r)])])",
                     f"policy_definition_reference_ids must be clause ids: {', '.join(c.id for c in pack.clauses)}."),
                ],
            ),
        ]
        clash = {v.name for v in fixed} & {v.name for v in param_vars}
        if clash:
            from generator.errors import PackError

            raise PackError(f"pack parameters clash with module variables: {', '.join(sorted(clash))}", file=pack.path)
        a_vars = sorted_variables(fixed + param_vars)
        a_outputs = [
            TfOutput("policy_assignment_id", "Id of the policy assignment.", "local.assignment_id"),
            TfOutput("policy_assignment_name", "Name of the policy assignment.", "var.assignment_name"),
            TfOutput("policy_exemption_ids", "Map of exemption name to exemption id.",
                     "merge(\n    { for k, v in azurerm_management_group_policy_exemption.this : k => v.id },\n"
                     "    { for k, v in azurerm_subscription_policy_exemption.this : k => v.id },\n  )"),
        ]
        messages = {c.id: non_compliance_message(pack, c) for c in pack.clauses}
        default_message = f"{pack.display_name} (clause pack {pack.name} {pack.version})"
        ctx = dict(common, variables=a_vars, outputs=sorted(a_outputs, key=lambda o: o.name),
                   parameters=[(n, snake(n)) for n in set_params], messages=messages,
                   default_message=default_message, module_kind="assignment", bundle=bundle,
                   definitions_module=dmod.split("/", 1)[1])
        files[f"{amod}/terraform.tf"] = _render("terraform/terraform.tf.j2", **ctx)
        files[f"{amod}/main.tf"] = _render("terraform/assignment.main.tf.j2", **ctx)
        files[f"{amod}/variables.tf"] = _render("terraform/variables.tf.j2", **ctx)
        files[f"{amod}/outputs.tf"] = _render("terraform/outputs.tf.j2", **ctx)
        files[f"{amod}/README.md"] = _render("terraform/README.md.j2", **ctx)
        return dict(sorted(files.items()))
