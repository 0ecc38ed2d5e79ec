"""The reader: a root module directory evaluated into resource instances (variables from every source)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree

from generator.errors import InputError
from generator.terraform import UNKNOWN, TfResource, instance_suffix
from generator.terraform.mapping import read_attributes
from generator.terraform.tfconfig.evaluator import Scope, evaluate
from generator.terraform.tfconfig.modules import (
    UNKNOWN_INSTANCE,
    ModuleDefinition,
    ModuleInstance,
    load_definition,
    unknown_iteration,
)
from generator.terraform.tfconfig.parser import Block, Body, label, parse_expression, parse_file, subtrees
from generator.terraform.tfconfig.providers import own_configs, resource_subscription
from generator.terraform.tfconfig.sources import ConfigArea, is_local, module_key, same_source
from generator.terraform.tfconfig.values import (
    BudgetExceeded,
    META_ARGS,
    PARTIAL_JSON_ATTRIBUTES,
    EvalError,
    Lazy,
    PartialJson,
    RefUnknown,
    is_unknown,
)

@dataclass
class HclResult:
    """Resources of a Terraform directory, ready for mapping."""

    resources: list[TfResource]
    warnings: list[str]
    subscription_id: str | None
    not_expanded: int = 0            # blocks with count/for_each unknown, read as one uncertain instance
    # module calls not read (not installed, outside the folder): (address, file, line)
    missing_modules: list[tuple[str, str, int]] = field(default_factory=list)
    used_placeholder: bool = False   # a data source's id was built with the placeholder subscription


class HclReader:
    """Evaluates a root module directory."""

    def __init__(self, root: Path, var_files: list[Path] | None = None, variables: dict[str, str] | None = None,
                 order: list[str] | None = None, subscription_id: str | None = None,
                 fallback_subscription: str | None = None) -> None:
        self.root = root
        # The run's subscription as `check` decides it (--subscription-id, else the default provider's,
        # else the context's only one): where a data source reads when its provider names none.
        self.subscription_id = subscription_id
        self.fallback_subscription = fallback_subscription
        self.run_subscription: str | None = None
        self.used_placeholder = False
        self.var_files = var_files or []
        self.cli_vars = variables or {}
        # "var-file" / "var" per command-line option, in the order given (Terraform applies -var-file and
        # -var in that order, the later winning); None: every -var-file, then every -var.
        self.order = order
        self.warnings: list[str] = []
        self._definitions: dict[Path, ModuleDefinition] = {}
        self.area = ConfigArea(root)
        self.steps = 0  # expression nodes evaluated (a budget: see values.MAX_STEPS)
        # (address, file, line) of module calls that could not be read: reported as undetermined
        self.missing_modules: list[tuple[str, str, int]] = []

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def definition(self, directory: Path) -> ModuleDefinition:
        """Parse a module directory once."""
        key = directory.resolve()
        if key not in self._definitions:
            # File names are as the user would write them: relative to the working directory when the
            # root was given relative (`check infra/ai` -> infra/ai/main.tf), else relative to the root.
            rel = os.path.relpath(directory, self.root)
            base = "" if self.root.is_absolute() else self.root.as_posix()
            parts = [p for p in (base, "" if rel == "." else rel.replace(os.sep, "/")) if p and p != "."]
            self._definitions[key] = load_definition(directory, os.path.normpath("/".join(parts)).replace(os.sep, "/") if parts else "")
        return self._definitions[key]

    def module_dir(self, parent: ModuleInstance, name: str, block: Block, suffixes: list[str] | None = None) -> Path | None:
        """Where a module call's source is on disk: a local path inside the configuration folder, or
        the copy `terraform init` installed (as modules.json records it). Else None, with a warning, and
        the call is remembered, once per instance (``suffixes``: ``[0]``, ``["k"]``, ``[*]``), so that `check`
        reports it (its resources and outputs are unknown)."""
        source_attr = block.body.attributes.get("source")
        source = self.safe_eval(source_attr[0], Scope(parent), block.file, block.line) if source_attr else None
        address = f"{parent._prefix()}module.{name}"
        where = f"{block.file}:{block.line}: module {name!r}"
        if is_local(source):
            directory = self.area.contains(parent.definition.dir / str(source))
            if directory is None:
                self.warn(f"{where}: source {source!r} is outside the configuration folder and its repository; not read, its "
                          "resources and outputs are unknown")
                self._missing(address, block, suffixes)
                return None
            if directory.is_dir():
                return directory
            raise InputError(f"module {name!r}: source directory {source!r} not found", file=block.file, line=block.line)
        installed = self.area.installed.get(module_key(parent.address, name))
        if installed is not None and isinstance(source, str) and not same_source(installed.source, source):
            self.warn(f"{where}: source {source!r} differs from the one `terraform init` installed "
                      f"({installed.source!r}); run `terraform init` again. Its resources and outputs are unknown")
            self._missing(address, block, suffixes)
            return None
        directory = self.area.contains(self.root / installed.dir) if installed is not None else None
        if directory is not None and directory.is_dir():
            return directory
        self.warn(f"{where} (source {source!r}) is not installed: run `terraform init` in "
                  f"{self.root.as_posix()} to install it. Its resources and outputs are unknown")
        self._missing(address, block, suffixes)
        return None

    def _missing(self, address: str, block: Block, suffixes: list[str] | None) -> None:
        for suffix in suffixes or [""]:
            self.missing_modules.append((address + suffix, block.file, block.line))

    def module_path(self, directory: Path) -> str:
        """``path.module`` as Terraform gives it: relative to the root module folder."""
        rel = os.path.relpath(directory.resolve(), self.area.real).replace(os.sep, "/")
        return "." if rel == "." else rel

    def safe_eval(self, expr: Any, scope: Scope, file: str, line: int) -> Any:
        """Evaluate; an expression that fails becomes UNKNOWN with a warning (never a guess). A budget
        exceeded (size, steps, nesting) is bad input naming the place: never a hang or a crash."""
        try:
            return evaluate(expr, scope)
        except EvalError as exc:
            self.warn(f"{file}:{line}: {exc}; treated as unknown")
            return UNKNOWN
        except BudgetExceeded as exc:
            raise InputError(f"{exc} (evaluation budget)", file=file, line=line) from None
        except RecursionError:
            raise InputError("expressions or locals nest too deeply to evaluate (evaluation budget)",
                             file=file, line=line) from None
        except MemoryError:
            raise InputError("evaluation ran out of memory (evaluation budget)", file=file, line=line) from None
        except InputError:
            raise
        except Exception as exc:  # an evaluator gap must not stop the check: unknown, and say so
            self.warn(f"{file}:{line}: expression not evaluated ({type(exc).__name__}: {exc}); treated as unknown")
            return UNKNOWN

    def block_value(self, body: Body, scope: Scope, file: str = "", keep: frozenset[str] | None = None,
                    shared: dict[int, Any] | None = None) -> dict[str, Any]:
        """A nested block as an object: attributes, and blocks as lists (the plan JSON shape); with
        ``keep``, only those top-level names (what the mapping reads) are evaluated. ``shared`` holds
        the values of expressions that do not read each or count, for the other instances of a block."""
        out: dict[str, Any] = {}
        for key, (expr, line) in body.attributes.items():
            if key in META_ARGS or (keep is not None and key not in keep):
                continue
            if shared is not None and iteration_free(expr):
                hit = shared.get(id(expr), _MISSING)
                if hit is _MISSING:
                    hit = self.safe_eval(expr, scope, file, line)
                    if not isinstance(hit, PartialJson):  # read as a structure later: one per instance
                        shared[id(expr)] = hit
                out[key] = hit
                continue
            out[key] = self.safe_eval(expr, scope, file, line)
        for block in body.blocks:
            if block.type in ("lifecycle", "provisioner", "connection", "timeouts"):
                continue
            if keep is not None and (block.labels[0] if block.type == "dynamic" and block.labels else block.type) not in keep:
                continue
            if block.type == "dynamic" and block.labels:
                out.setdefault(block.labels[0], [])
                dynamic = self._dynamic(block, scope)
                if dynamic is UNKNOWN:
                    out[block.labels[0]] = UNKNOWN
                elif isinstance(out[block.labels[0]], list):
                    out[block.labels[0]].extend(dynamic)
                continue
            existing = out.setdefault(block.type, [])
            if isinstance(existing, list):
                existing.append(self.block_value(block.body, scope, file, shared=shared))
        return out

    def _dynamic(self, block: Block, scope: Scope) -> Any:
        attrs = block.body.attributes
        if "for_each" not in attrs:
            return []
        coll = self.safe_eval(attrs["for_each"][0], scope, block.file, attrs["for_each"][1])
        if is_unknown(coll):
            return UNKNOWN
        iterator = block.labels[0]
        if "iterator" in attrs:
            iterator = label(subtrees(subtrees(attrs["iterator"][0])[0])[0]) if isinstance(attrs["iterator"][0], Tree) else iterator
        content = next((b for b in block.body.blocks if b.type == "content"), None)
        if content is None:
            return []
        pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll if isinstance(coll, list) else []))
        return [self.block_value(content.body, scope.child({iterator: {"key": k, "value": v}}), block.file)
                for k, v in pairs]

    # -- variables ------------------------------------------------------------------------------
    def _tfvars(self, path: Path, display: str) -> dict[str, Any]:
        if path.name.endswith(".json"):
            from generator.safeload import parse_json, read_text

            data = parse_json(read_text(path), display)
            if not isinstance(data, dict):
                raise InputError("a .tfvars.json file holds one object", file=display)
            return data
        body = parse_file(path, display)
        dummy = ModuleInstance.__new__(ModuleInstance)
        dummy.reader, dummy.definition, dummy.address = self, ModuleDefinition(self.root, ""), ""
        dummy.variables, dummy._locals, dummy._evaluating, dummy._children = {}, {}, set(), {}
        return {k: self.safe_eval(expr, Scope(dummy), display, line) for k, (expr, line) in body.attributes.items()}

    def root_inputs(self, definition: ModuleDefinition) -> dict[str, Any]:
        """Root variable values by Terraform's precedence: env, tfvars, auto.tfvars, -var-file / -var."""
        values: dict[str, Any] = {}
        for key, raw in os.environ.items():
            if key.startswith("TF_VAR_") and key[7:] in definition.variables:
                values[key[7:]] = self._cli_value(definition, key[7:], raw)
        for name in ("terraform.tfvars", "terraform.tfvars.json"):
            if (self.root / name).is_file():
                values.update(self._tfvars(self.root / name, name))
        for path in sorted(list(self.root.glob("*.auto.tfvars")) + list(self.root.glob("*.auto.tfvars.json"))):
            values.update(self._tfvars(path, path.name))
        files, cli = list(self.var_files), list(self.cli_vars.items())
        order = self.order
        if order is None or order.count("var-file") != len(files) or order.count("var") != len(cli):
            order = ["var-file"] * len(files) + ["var"] * len(cli)
        for kind in order:
            if kind == "var-file":
                path = files.pop(0)
                if not path.is_file():
                    raise InputError("variable file not found", file=str(path))
                values.update(self._tfvars(path, str(path)))
            else:
                key, raw = cli.pop(0)
                values[key] = self._cli_value(definition, key, raw)
        unknown = sorted(set(values) - set(definition.variables))
        for key in unknown:
            self.warn(f"a value was given for undeclared variable {key!r}")
        return {k: v for k, v in values.items() if k in definition.variables}

    def _cli_value(self, definition: ModuleDefinition, name: str, raw: str) -> Any:
        """``-var k=v``: a string for string variables, else an HCL expression (as Terraform does)."""
        block = definition.variables.get(name)
        type_attr = block.body.attributes.get("type") if block else None
        type_text = ""
        if type_attr is not None:
            node = type_attr[0]
            type_text = " ".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))
        if type_attr is None or type_text.strip() == "string":
            return raw
        expr = parse_expression(raw, f"-var {name}")
        dummy_def = ModuleDefinition(self.root, "")
        dummy = ModuleInstance(self, dummy_def, "", {})
        return self.safe_eval(expr, Scope(dummy), f"-var {name}", 1)

    # -- resources ------------------------------------------------------------------------------
    def read(self) -> HclResult:
        """Evaluate the root module and every child; return the resource instances."""
        if not self.root.is_dir():
            raise InputError("not a directory", file=str(self.root))
        definition = self.definition(self.root)
        if not any(self.root.glob("*.tf")) and not any(self.root.glob("*.tf.json")):
            raise InputError("no .tf or .tf.json files in this directory", file=str(self.root))
        root = ModuleInstance(self, definition, "", self.root_inputs(definition))
        resources: list[TfResource] = []
        not_expanded = 0
        root.providers = own_configs(root, definition.providers)
        # the run's subscription: the default azurerm provider's, else azapi's, else any configuration's
        subscription = (root.providers.get("azurerm") or root.providers.get("azapi")
                        or next((v for _, v in sorted(root.providers.items()) if v), None))
        self.run_subscription = self.subscription_id or subscription or self.fallback_subscription
        for inst in root.all_instances():
            for block in inst.definition.resources:
                tf_type, name = block.labels
                exp = inst.expansion(block, Scope(inst))
                base = f"{inst._prefix()}{tf_type}.{name}"
                if exp is UNKNOWN:
                    # How many instances, and their keys, are known only after apply. Skipping the block
                    # would be a silent pass: read one instance with each.key / each.value / count.index
                    # unknown; it may not exist, so a match on it is undetermined.
                    self.warn(f"{block.file}:{block.line}: {base}: count/for_each is unknown before apply; checked as "
                              f"one instance ({UNKNOWN_INSTANCE}) whose key and index are unknown")
                    not_expanded += 1
                    each, count = unknown_iteration(block)
                    values = self.block_value(block.body, Scope(inst, each, count), block.file, read_attributes(tf_type))
                    res = self._resource(base + UNKNOWN_INSTANCE, tf_type, name, inst.address, UNKNOWN, values, block)
                    res.uncertain = True
                    res.subscription = resource_subscription(inst, block, tf_type)
                    resources.append(res)
                    continue
                subscription_of = resource_subscription(inst, block, tf_type)
                # for_each / count instances differ only where each or count is read: the rest is
                # evaluated once (values are copied by _clean, so instances share no container)
                shared: dict[int, Any] | None = {} if exp is not None and len(exp) > 1 else None
                for idx, each, count in exp if exp is not None else [(None, None, None)]:
                    scope = Scope(inst, each, count)
                    values = self.block_value(block.body, scope, block.file, read_attributes(tf_type), shared)
                    res = self._resource(base + instance_suffix(idx), tf_type, name, inst.address, idx, values, block)
                    res.uncertain = inst.uncertain
                    res.subscription = subscription_of
                    resources.append(res)
        result = HclResult(resources, self.warnings, subscription, not_expanded, list(self.missing_modules),
                           self.used_placeholder)
        # Instances and the lazy resource objects they cache refer to each other: left as they are, the
        # parse trees and every evaluated value (three quarters of a million objects on a 1,000-file
        # folder) would wait for the cyclic collector, which walks them all. Breaking the cycles here
        # frees them by reference counting as soon as this returns.
        for inst in list(root.all_instances()):
            inst.release()
        self._definitions.clear()
        return result

    def _resource(self, address: str, tf_type: str, name: str, module: str, index: Any, values: dict[str, Any], block: Block) -> TfResource:
        keep = read_attributes(tf_type)  # what no mapping reads is dropped, as the plan reader does
        refs: dict[str, list[tuple[str, str]]] = {}
        clean: dict[str, Any] = {}
        for key, value in values.items():
            if key not in keep:
                continue
            if isinstance(value, RefUnknown):
                refs[key] = list(value.refs)
                clean[key] = UNKNOWN
            elif isinstance(value, PartialJson):
                clean[key] = value.value if key in PARTIAL_JSON_ATTRIBUTES else UNKNOWN
            else:
                clean[key] = _clean(value)
        return TfResource(address=address, type=tf_type, name=name, module=module, index=index,
                          values=clean, action="create", file=block.file, line=block.line, refs=refs)


_PLAIN = (str, int, float, bool, type(None))
_MISSING = object()
_ITERATION_NAMES = frozenset({"each", "count"})


def iteration_free(node: Any) -> bool:
    """Whether an expression's value cannot depend on ``each`` or ``count``: no token names them and it
    holds no heredoc (its template is parsed when evaluated). Conservative: a key or attribute named
    count also counts. Kept on the node."""
    if isinstance(node, Token):
        return str(node) not in _ITERATION_NAMES and not node.type.startswith("HEREDOC")
    memo = node.__dict__
    free = memo.get("_iteration_free")
    if free is None:
        free = memo["_iteration_free"] = all(iteration_free(c) for c in node.children)
    return free  # type: ignore[no-any-return]


def _clean(value: Any) -> Any:
    """Nested references and partial JSON become plain UNKNOWN (only top-level ones place a resource)."""
    if value.__class__ in _PLAIN:
        return value
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Lazy):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def read_directory(
    root: str | os.PathLike[str], *, var_files: list[str] | None = None, variables: dict[str, str] | None = None,
    order: list[str] | None = None, subscription_id: str | None = None, fallback_subscription: str | None = None,
) -> HclResult:
    """Evaluate the Terraform root module in ``root`` (``order``: see :class:`HclReader`)."""
    import gc

    # Parse trees are many small long-lived objects: the cyclic collector would walk them again and
    # again (two thirds of the run on a 1,000-file folder). Nothing here makes cycles worth collecting.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return HclReader(Path(root), [Path(p) for p in var_files or []], variables, order, subscription_id,
                         fallback_subscription).read()
    finally:
        if was_enabled:
            gc.enable()
