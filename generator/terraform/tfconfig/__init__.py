"""Read a directory of ``.tf`` files as Terraform would see it before a plan.

python-hcl2 parses (its Lark grammar, with line numbers); this package evaluates the expression subset
that decides what gets deployed: variables (defaults, ``terraform.tfvars``, ``*.auto.tfvars``,
``-var-file``, ``-var``, ``TF_VAR_*``), locals, ``count`` / ``for_each``, ``dynamic`` blocks, child
modules with local sources (or the ones ``terraform init`` recorded in ``.terraform/modules``), string
templates, ``for`` expressions, splats, conditionals and Terraform's pure functions. Whatever cannot be
known before apply (a resource's ``id``, a data source, an impure function) is UNKNOWN, never
a guess; references to other resources are kept so that mapping can still place the resource.

Files by concern: ``parser`` (python-hcl2 adapter), ``jsonsyntax`` (``.tf.json``), ``values``,
``functions`` (the function library), ``evaluator`` (expressions, type constraints), ``modules``
(definitions, overrides, instances), ``reader`` (the root module and its variables), ``references``
(what `--source` needs).
"""

from __future__ import annotations

from generator.terraform.tfconfig.modules import is_override_file, load_definition
from generator.terraform.tfconfig.reader import HclReader, HclResult, read_directory
from generator.terraform.tfconfig.references import block_locations, expression_references, source_config

__all__ = ["HclReader", "HclResult", "block_locations", "expression_references", "is_override_file",
           "load_definition", "read_directory", "source_config"]
