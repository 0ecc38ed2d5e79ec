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
from generator.targets.hcl import align_attributes, hcl_heredoc, hcl_key, hcl_string, hcl_value

if TYPE_CHECKING:
    import jinja2

    from generator.pack.model import Pack

AZURERM_CONSTRAINT = ">= 4, < 6"
# 1.9: validation rules may refer to other variables (assignment_name vs scope_id); mock_provider
# in the unit tests needs 1.7.
TERRAFORM_CONSTRAINT = ">= 1.9"
# Management group names: letters, digits, '-', '_', '(', ')' and '.', at most 90 characters.
MG_NAME = r"[A-Za-z0-9_().-]{1,90}"
SUB_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
MG_ID_PATTERN = rf"^/providers/Microsoft\.Management/managementGroups/{MG_NAME}$"
SUB_ID_PATTERN = rf"^/subscriptions/{SUB_GUID}$"
SET_ID_PATTERN = (rf"^(/providers/Microsoft\.Management/managementGroups/{MG_NAME}|/subscriptions/{SUB_GUID})?"
                  r"/providers/Microsoft\.Authorization/policySetDefinitions/[^/]+$")
NOT_SCOPE_PATTERN = (rf"^(/providers/Microsoft\.Management/managementGroups/{MG_NAME}"
                     rf"|/subscriptions/{SUB_GUID}(/resourceGroups/[^/]+(/.+)?)?)$")
# Policy assignment and exemption names may not contain <>*%&:?+/\ nor end with '.' or ' '.
ASSIGNMENT_NAME_PATTERN = r"^[^<>*%&:?+/\\]*[^<>*%&:?+/\\. ]$"
EXEMPTION_NAME_PATTERN = r"^[^<>*%&:?+/\\]{0,63}[^<>*%&:?+/\\. ]$"
REGEX_NOTE = ("Resource ids are checked with a regular expression, not provider::azapi::parse_resource_id\n"
              "(AVM TFNFR38): that function needs the azapi provider and this module uses azurerm only.")
EXAMPLE_MG = "/providers/Microsoft.Management/managementGroups/contoso-police"
EXAMPLE_SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
_REQUIRED = object()


class Raw(str):
    """An HCL expression written as is (not a literal to quote)."""


def tf_literal(value: Any, indent: int = 0) -> str:
    """An HCL literal for ``value``, or the expression itself for :class:`Raw`."""
    return str(value) if isinstance(value, Raw) else hcl_value(value, indent)


@dataclass
class TfValidation:
    """One ``validation`` block, with a value that fails it (for the module's unit tests)."""

    condition: str
    error_message: str
    bad_value: Any
    case: str


@dataclass
class TfVariable:
    """One input variable; ``default`` left unset means required."""

    name: str
    type: str
    description: str
    default: Any = _REQUIRED
    nullable: bool | None = None
    validations: list[TfValidation] = field(default_factory=list)
    comment: str | None = None

    @property
    def required(self) -> bool:
        """True when the caller must set it."""
        return self.default is _REQUIRED

    @property
    def heredoc(self) -> bool:
        """Object types get a ``<<DESCRIPTION`` heredoc (AVM TFNFR17)."""
        return "object(" in self.type


@dataclass
class TfOutput:
    """One module output."""

    name: str
    description: str
    value: str


@dataclass
class TfRun:
    """One ``run`` block of a ``.tftest.hcl`` file (always ``command = plan``)."""

    name: str
    variables: dict[str, Any] = field(default_factory=dict)
    expect_failures: list[str] = field(default_factory=list)
    asserts: list[tuple[str, str]] = field(default_factory=list)


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
        env.filters["hcl_heredoc"] = hcl_heredoc
        env.filters["tf_literal"] = tf_literal
        _env = env
    return _env


def md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return re.sub(r"\s+", " ", text).replace("|", "\\|")


def _render(template: str, **ctx: Any) -> str:
    text = environment().get_template(template).render(**ctx)
    if template.endswith((".tf.j2", ".tftest.hcl.j2")):
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


def _not_allowed(allowed: list[Any]) -> Any:
    """A value outside ``allowed`` (for the validation unit tests)."""
    if all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in allowed):
        return max(allowed) + 1
    candidate = "NotAnAllowedValue"
    while candidate in allowed:
        candidate += "X"
    return candidate


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
        bad = _not_allowed(allowed)
        if spec["type"] == "Array":
            cond = f"alltrue([for v in var.{var.name} : contains({listed}, v)])"
            bad = [bad]
        else:
            cond = f"contains({listed}, var.{var.name})"
        var.validations.append(TfValidation(cond, f"{var.name} must be one of: {', '.join(map(str, allowed))}.",
                                            bad, "not_allowed"))
    if spec["type"] == "String" and pname.endswith("TagName"):
        var.validations.append(TfValidation(f"length(trimspace(var.{var.name})) > 0",
                                            f"{var.name} must not be empty.", "", "empty"))
    return var


def _regex(pattern: str, subject: str) -> str:
    return f"can(regex({hcl_string(pattern)}, {subject}))"


def _scope_check(subject: str) -> str:
    return f"{_regex(MG_ID_PATTERN, subject)} || {_regex(SUB_ID_PATTERN, subject)}"


_EXEMPTION_TYPE = (
    "map(object({\n"
    "    exemption_category              = string\n"
    "    expires_on                      = string\n"
    "    scope_id                        = string\n"
    "    description                     = optional(string)\n"
    "    display_name                    = optional(string)\n"
    "    policy_definition_reference_ids = optional(list(string), [])\n"
    "  }))"
)


def _assignment_variables(pack: Pack, bundle: Any, default_name: str) -> list[TfVariable]:
    """The assignment module's fixed variables (the set parameters are added by the caller)."""
    clause_ids = [c.id for c in pack.clauses]
    good_exemption = {"exemption_category": "Waiver", "expires_on": "2027-01-31T00:00:00Z", "scope_id": EXAMPLE_SUB}

    def exemption(**changes: Any) -> dict[str, Any]:
        return {"bad": dict(good_exemption, **changes)}

    return [
        TfVariable(
            "policy_set_definition_id", "string",
            "Id of the policy set to assign (output `policy_set_definition_id` of the definitions module), e.g. "
            "`/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/"
            f"policySetDefinitions/{bundle.policy_set['name']}`.",
            validations=[TfValidation(_regex(SET_ID_PATTERN, "var.policy_set_definition_id"),
                                      "policy_set_definition_id must be a policy set definition id: [<management group "
                                      "or subscription id>]/providers/Microsoft.Authorization/policySetDefinitions/<name>.",
                                      "/providers/Microsoft.Authorization/policyDefinitions/not-a-set", "not_a_set_id")],
        ),
        TfVariable(
            "scope_id", "string",
            "Where to assign: a management group id (`/providers/Microsoft.Management/managementGroups/<name>`) "
            "or a subscription id (`/subscriptions/<guid>`).",
            validations=[TfValidation(_scope_check("var.scope_id"),
                                      "scope_id must be a management group id or a subscription id.",
                                      "/subscriptions/not-a-guid", "malformed")],
        ),
        TfVariable(
            "assignment_name", "string",
            "Name of the assignment: at most 24 characters at a management group, 64 at a subscription; none of "
            "`<>*%&:?+/\\` and no trailing period or space.",
            default=default_name, nullable=False,
            validations=[
                # Terraform >= 1.9: a validation rule may read another variable.
                TfValidation(f"length(var.assignment_name) <= ({_regex(MG_ID_PATTERN, 'var.scope_id')} ? 24 : 64)",
                             "assignment_name can have at most 24 characters at a management group scope and 64 "
                             "at a subscription scope.", Raw('format("%025d", 0)'), "too_long_at_management_group"),
                TfValidation(_regex(ASSIGNMENT_NAME_PATTERN, "var.assignment_name"),
                             "assignment_name must not be empty, contain any of <>*%&:?+/\\ or end with a period "
                             "or a space.", "bad/name", "forbidden_character"),
            ],
        ),
        TfVariable(
            "description", "string", "Description of the assignment (at most 512 characters).",
            default=bundle.policy_set["properties"]["description"], nullable=False,
            validations=[TfValidation("length(var.description) <= 512",
                                      "description can have at most 512 characters.",
                                      Raw('format("%0513d", 0)'), "too_long")],
        ),
        TfVariable(
            "display_name", "string", "Display name of the assignment (1 to 128 characters).",
            default=pack.display_name, nullable=False,
            validations=[TfValidation("length(trimspace(var.display_name)) > 0 && length(var.display_name) <= 128",
                                      "display_name must have 1 to 128 characters.",
                                      Raw('format("%0129d", 0)'), "too_long")],
        ),
        TfVariable(
            "enforce", "bool",
            "Whether the assignment is enforced (false = DoNotEnforce: evaluate and report only).",
            default=True, nullable=False,
        ),
        TfVariable(
            "not_scopes", "list(string)",
            "Scopes excluded from the assignment: management group, subscription, resource group or resource ids.",
            default=[], nullable=False,
            validations=[TfValidation(f"alltrue([for s in var.not_scopes : {_regex(NOT_SCOPE_PATTERN, 's')}])",
                                      "Each of not_scopes must be a management group, subscription, resource group "
                                      "or resource id.", ["not-a-scope"], "malformed")],
        ),
        TfVariable(
            "exemptions", _EXEMPTION_TYPE,
            "Exemptions from this assignment, keyed by exemption name (at most 64 characters; none of "
            "`<>*%&:?+/\\`; no trailing period or space).\n\n"
            "- `exemption_category` - (Required) `Waiver` or `Mitigated`.\n"
            "- `expires_on` - (Required) When the exemption ends, as an RFC 3339 timestamp such as "
            "`2027-01-31T00:00:00Z`.\n"
            "- `scope_id` - (Required) Where the exemption applies: a management group id or a subscription id "
            "at or below `scope_id`.\n"
            "- `description` - (Optional) Why the exemption exists.\n"
            "- `display_name` - (Optional) Display name of the exemption.\n"
            "- `policy_definition_reference_ids` - (Optional) Clause ids the exemption covers "
            f"({', '.join(f'`{c}`' for c in clause_ids)}); empty means every clause.",
            default={}, nullable=False,
            validations=[
                TfValidation(f"alltrue([for k in keys(var.exemptions) : {_regex(EXEMPTION_NAME_PATTERN, 'k')}])",
                             "Exemption names must have 1 to 64 characters, none of <>*%&:?+/\\ and no trailing "
                             "period or space.", {"bad/name": good_exemption}, "bad_name"),
                TfValidation("alltrue([for e in var.exemptions : contains([\"Waiver\", \"Mitigated\"], "
                             "e.exemption_category)])",
                             "exemption_category must be Waiver or Mitigated.",
                             exemption(exemption_category="Forever"), "bad_category"),
                TfValidation("alltrue([for e in var.exemptions : can(formatdate(\"YYYY\", e.expires_on))])",
                             "expires_on must be an RFC 3339 timestamp such as 2027-01-31T00:00:00Z.",
                             exemption(expires_on="2027-01-31"), "bad_expiry"),
                TfValidation(f"alltrue([for e in var.exemptions : {_scope_check('e.scope_id')}])",
                             "Each exemption scope_id must be a management group id or a subscription id.",
                             exemption(scope_id="/subscriptions/not-a-guid"), "bad_scope"),
                TfValidation("alltrue([for e in var.exemptions : alltrue([for r in e.policy_definition_reference_ids : "
                             f"contains({'[' + ', '.join(hcl_string(c) for c in clause_ids) + ']'}, r)])])",
                             f"policy_definition_reference_ids must be clause ids: {', '.join(clause_ids)}.",
                             exemption(policy_definition_reference_ids=["not-a-clause"]), "unknown_clause"),
            ],
        ),
    ]


def _validation_runs(variables: list[TfVariable]) -> list[TfRun]:
    """One plan per validation block, each with a value that must fail it (AVM tests/unit)."""
    runs = []
    for v in variables:
        for check in v.validations:
            runs.append(TfRun(f"{v.name}_rejects_{check.case}", {v.name: check.bad_value},
                              expect_failures=[f"var.{v.name}"]))
    return runs


def _resources(main_tf: str) -> list[str]:
    return sorted(f"{t}.{n}" for t, n in re.findall(r'^resource "([a-z0-9_]+)" "([a-z0-9_]+)"', main_tf, re.M))


def md_type(tf_type: str) -> str:
    """A type cell as terraform-docs writes it: inline code, or <pre> when it spans lines."""
    if "\n" in tf_type:
        return "<pre>" + tf_type.replace("|", "\\|").replace("\n", "<br/>") + "</pre>"
    return f"`{tf_type}`"


def md_default(var: TfVariable) -> str:
    """A default cell as terraform-docs writes it (JSON; <pre> for non-empty collections)."""
    import json

    if var.required:
        return "n/a"
    if isinstance(var.default, (list, dict)) and var.default:
        text = json.dumps(var.default, indent=2, ensure_ascii=False)
        return "<pre>" + text.replace("|", "\\|").replace("\n", "<br/>") + "</pre>"
    return "`" + json.dumps(var.default, ensure_ascii=False).replace("|", "\\|") + "`"


def md_description(text: str) -> str:
    """A description cell: line breaks as <br/>, pipes escaped."""
    return text.strip().replace("|", "\\|").replace("\n", "<br/>")


class TerraformTarget:
    """Terraform modules ``modules/<slug>-definitions`` and ``modules/<slug>-assignment``."""

    name = "terraform"
    description = "Terraform modules (AVM style, azurerm >= 4, < 6) that deploy and assign the pack's policies"

    def render(self, pack: Pack, options: RenderOptions) -> dict[str, str]:
        """Render both modules: .tf files, unit tests, the default example and terraform-docs README."""
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
            "md_type": md_type,
            "md_default": md_default,
            "md_description": md_description,
            "regex_note": REGEX_NOTE,
        }
        dmod = definitions_module(pack)
        amod = assignment_module(pack)
        dname, aname = dmod.split("/", 1)[1], amod.split("/", 1)[1]
        set_name = bundle.policy_set["name"]

        # --- definitions module ---------------------------------------------------------------
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
                            "e.g. `/providers/Microsoft.Management/managementGroups/contoso`.",
                validations=[TfValidation(_regex(MG_ID_PATTERN, "var.management_group_id"),
                                          "management_group_id must look like "
                                          "/providers/Microsoft.Management/managementGroups/<name>.",
                                          "/subscriptions/00000000-0000-0000-0000-000000000000", "not_a_management_group")],
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
            TfOutput("resource_id", "Id of the policy set definition (the module's primary resource; AVM RMFR7).",
                     "azurerm_management_group_policy_set_definition.this.id"),
        ]
        d_valid = TfRun("valid_inputs_plan_every_clause", asserts=[
            (f"length(azurerm_policy_definition.this) == {len(definitions)}",
             f"Expected one policy definition per clause ({len(definitions)})."),
            *[(f"azurerm_policy_definition.this[{hcl_string(d['key'])}].name == {hcl_string(d['name'])}",
               f"Definition of clause {d['key']} must be named {d['name']}.") for d in definitions],
            (f"azurerm_management_group_policy_set_definition.this.name == {hcl_string(set_name)}",
             f"The policy set must be named {set_name}."),
            ("length(azurerm_management_group_policy_set_definition.this.policy_definition_reference) == "
             f"{len(refs)}", "The policy set must reference every definition."),
            ("alltrue([for d in azurerm_policy_definition.this : d.management_group_id == var.management_group_id])",
             "Every definition must be created at management_group_id."),
        ])
        d_file_vars = {"management_group_id": EXAMPLE_MG}
        ctx = dict(common, definitions=definitions, refs=refs, groups=groups, module_name=dname,
                   set_file=f"policies/{set_name}.json", variables=d_vars,
                   outputs=sorted(d_outputs, key=lambda o: o.name), module_kind="definitions",
                   bundle=bundle, definitions_module=dname, assignment_module=aname)
        self._module(files, dmod, "definitions", ctx, d_file_vars, _validation_runs(d_vars), d_valid)

        # --- assignment module ----------------------------------------------------------------
        set_params = bundle.policy_set["properties"]["parameters"]
        param_vars = [_parameter_variable(n, s) for n, s in set_params.items()]
        default_name = assignment_name(pack, management_group=True)
        fixed = _assignment_variables(pack, bundle, default_name)
        clash = {v.name for v in fixed} & {v.name for v in param_vars}
        if clash:
            from generator.errors import PackError

            raise PackError(f"pack parameters clash with module variables: {', '.join(sorted(clash))}", file=pack.path)
        a_vars = sorted_variables(fixed + param_vars)
        a_outputs = [
            TfOutput("policy_assignment_id", "Id of the policy assignment.", "local.assignment_id"),
            TfOutput("policy_assignment_name", "Name of the policy assignment.", "local.assignment_name"),
            TfOutput("policy_exemption_ids", "Map of exemption name to exemption id.",
                     "merge(\n    { for k, v in azurerm_management_group_policy_exemption.this : k => v.id },\n"
                     "    { for k, v in azurerm_subscription_policy_exemption.this : k => v.id },\n  )"),
            TfOutput("resource_id", "Id of the policy assignment (the module's primary resource; AVM RMFR7).",
                     "local.assignment_id"),
        ]
        messages = {c.id: non_compliance_message(pack, c) for c in pack.clauses}
        default_message = f"{pack.display_name} (clause pack {pack.name} {pack.version})"
        a_file_vars = {
            "policy_set_definition_id": f"{EXAMPLE_MG}/providers/Microsoft.Authorization/policySetDefinitions/{set_name}",
            "scope_id": EXAMPLE_MG,
        }
        mg_res = "azurerm_management_group_policy_assignment.this"
        sub_res = "azurerm_subscription_policy_assignment.this"
        a_valid = TfRun("valid_inputs_plan_management_group_assignment", asserts=[
            (f"length({mg_res}) == 1 && length({sub_res}) == 0",
             "A management group scope_id must create only the management group assignment."),
            (f"{mg_res}[0].name == {hcl_string(default_name)}",
             f"The assignment must be named {default_name} by default."),
            (f"length({mg_res}[0].name) <= 24", "A management group assignment name can have at most 24 characters."),
            (f"{mg_res}[0].enforce", "The assignment must be enforced by default."),
            (f"length({mg_res}[0].non_compliance_message) == {len(messages) + 1}",
             "Expected a default non-compliance message plus one per clause."),
        ])
        a_sub = TfRun("valid_inputs_plan_subscription_assignment_with_exemption",
                      variables={"scope_id": EXAMPLE_SUB, "exemptions": {"pilot": {
                          "exemption_category": "Mitigated", "expires_on": "2027-01-31T00:00:00Z",
                          "scope_id": EXAMPLE_SUB, "policy_definition_reference_ids": [pack.clauses[0].id]}}},
                      asserts=[
                          (f"length({sub_res}) == 1 && length({mg_res}) == 0",
                           "A subscription scope_id must create only the subscription assignment."),
                          (f"{sub_res}[0].subscription_id == var.scope_id",
                           "The assignment must target scope_id."),
                          ("length(azurerm_subscription_policy_exemption.this) == 1 && "
                           "length(azurerm_management_group_policy_exemption.this) == 0",
                           "A subscription-scoped exemption must create one subscription exemption."),
                          ('azurerm_subscription_policy_exemption.this["pilot"].expires_on == "2027-01-31T00:00:00Z"',
                           "The exemption must carry its expiry."),
                      ])
        ctx = dict(common, variables=a_vars, outputs=sorted(a_outputs, key=lambda o: o.name),
                   parameters=[(n, snake(n)) for n in set_params], messages=messages,
                   default_message=default_message, module_kind="assignment", bundle=bundle,
                   module_name=aname, definitions_module=dname, assignment_module=aname,
                   mg_id_pattern=MG_ID_PATTERN, default_name=default_name)
        self._module(files, amod, "assignment", ctx, a_file_vars, _validation_runs(a_vars), a_valid, a_sub)
        return dict(sorted(files.items()))

    @staticmethod
    def _module(files: dict[str, str], mod: str, kind: str, ctx: dict[str, Any], file_vars: dict[str, Any],
                invalid: list[TfRun], *valid: TfRun) -> None:
        """Render one module's files into ``files`` (AVM layout)."""
        files[f"{mod}/terraform.tf"] = _render("terraform/terraform.tf.j2", **ctx)
        files[f"{mod}/locals.tf"] = _render(f"terraform/{kind}.locals.tf.j2", **ctx)
        files[f"{mod}/main.tf"] = _render(f"terraform/{kind}.main.tf.j2", **ctx)
        files[f"{mod}/variables.tf"] = _render("terraform/variables.tf.j2", **ctx)
        files[f"{mod}/outputs.tf"] = _render("terraform/outputs.tf.j2", **ctx)
        files[f"{mod}/tests/unit/validations.tftest.hcl"] = _render(
            "terraform/unit.tftest.hcl.j2", **ctx, file_variables=file_vars, runs=invalid,
            purpose="One plan per variable validation, each with a value that must fail it.")
        files[f"{mod}/tests/unit/plan.tftest.hcl"] = _render(
            "terraform/unit.tftest.hcl.j2", **ctx, file_variables=file_vars, runs=list(valid),
            purpose="Plans with valid inputs and checks the planned attributes.")
        files[f"{mod}/examples/default/main.tf"] = _render(f"terraform/{kind}.example.tf.j2", **ctx)
        files[f"{mod}/examples/default/README.md"] = _render(
            "terraform/example.README.md.j2", **ctx, example_tf=files[f"{mod}/examples/default/main.tf"].rstrip("\n"))
        files[f"{mod}/.terraform-docs.yml"] = _render("terraform/terraform-docs.yml.j2", **ctx)
        header = _render("terraform/_header.md.j2", **ctx)
        footer = _render("terraform/_footer.md.j2", **ctx)
        files[f"{mod}/_header.md"] = header
        files[f"{mod}/_footer.md"] = footer
        files[f"{mod}/README.md"] = _render("terraform/README.md.j2", **ctx, header=header.rstrip("\n"),
                                            footer=footer.rstrip("\n"),
                                            resources=_resources(files[f"{mod}/main.tf"]))
