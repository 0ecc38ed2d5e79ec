"""Terraform's built-in functions (the function library), by the groups of Terraform's reference.

Every pure function is evaluated; impure ones (their value is decided at apply, or depends on the
machine) are unknown. Filesystem functions take a :class:`FileContext` (they read only inside the
configuration folder); ``try``, ``can``, ``jsonencode`` and ``templatestring`` are evaluated by the
evaluator because they need the expressions, not only the values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.terraform.tfconfig.functions.azapi import AZAPI_FUNCTIONS
from generator.terraform.tfconfig.functions.collections import COLLECTION_FUNCTIONS, fn_toset
from generator.terraform.tfconfig.functions.encoding import ENCODING_FUNCTIONS
from generator.terraform.tfconfig.functions.files import FILE_FUNCTIONS, PATH_FUNCTIONS, FileContext
from generator.terraform.tfconfig.functions.text import TEXT_FUNCTIONS, tf_json

FUNCTIONS: dict[str, Callable[..., Any]] = {
    **TEXT_FUNCTIONS, **COLLECTION_FUNCTIONS, **ENCODING_FUNCTIONS, **PATH_FUNCTIONS,
}

# Provider-defined functions evaluated offline: ("provider", provider, function).
PROVIDER_FUNCTIONS: dict[tuple[str, ...], Callable[..., Any]] = {
    ("provider", "azapi", name): fn for name, fn in AZAPI_FUNCTIONS.items()}

# Known only at apply or on the machine that runs Terraform; rsadecrypt needs a private key and
# base64gzip's bytes depend on Go's compressor: unknown rather than a value that may differ.
IMPURE = frozenset({"timestamp", "plantimestamp", "uuid", "bcrypt", "pathexpand", "rsadecrypt", "base64gzip",
                    "issensitive", "type"})

# Removed from the language (Terraform rejects them).
REMOVED = frozenset({"list", "map"})

# Functions whose result depends only on the structure of their arguments, so an unknown element
# inside a collection stays an unknown element of the result instead of making it all unknown.
STRUCTURAL = frozenset({"length", "concat", "merge", "lookup", "element", "slice", "flatten", "tolist", "tomap",
                        "values", "reverse", "one", "zipmap", "coalescelist", "chunklist", "sensitive",
                        "nonsensitive", "ephemeralasnull"})

SPECIAL = frozenset({"try", "can", "jsonencode", "templatestring"})

__all__ = ["FILE_FUNCTIONS", "FUNCTIONS", "IMPURE", "PROVIDER_FUNCTIONS", "REMOVED", "SPECIAL", "STRUCTURAL", "FileContext", "fn_toset",
           "tf_json"]
