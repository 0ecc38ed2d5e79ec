"""Module definitions (a directory's files, overrides merged) and module instances (variables, locals,
count / for_each, child modules and their outputs)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lark import Token, Tree

from generator.errors import InputError
from generator.terraform import UNKNOWN, instance_suffix
from generator.terraform.tfconfig.evaluator import Scope, convert_type, evaluate
from generator.terraform.tfconfig.functions import fn_toset
from generator.terraform.tfconfig.jsonsyntax import parse_json_file
from generator.terraform.tfconfig.parser import Block, Body, label, parse_file, subtrees
from generator.terraform.tfconfig.values import (
    MAX_ITEMS,
    MAX_MODULE_DEPTH,
    META_ARGS,
    EvalError,
    Lazy,
    Namespace,
    RefUnknown,
    has_unknown,
    is_unknown,
    tf_str,
)

if TYPE_CHECKING:
    from generator.terraform.tfconfig.reader import HclReader

@dataclass
class ModuleDefinition:
    """One directory of ``.tf`` files."""

    dir: Path
    display: str                         # the directory relative to the root, for file names
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, tuple[Any, str, int]] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)
    resources_by_type: dict[str, dict[str, Block]] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)
    data: dict[str, dict[str, Block]] = field(default_factory=dict)   # data sources: type -> name -> block


def is_override_file(name: str) -> bool:
    """``override.tf``, ``*_override.tf`` and their ``.tf.json`` forms: merged into the other files' blocks."""
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def _config_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """(primary files, override files) of a module directory, each in lexical order as Terraform reads them."""
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith((".tf", ".tf.json")))
    return ([p for p in files if not is_override_file(p.name)], [p for p in files if is_override_file(p.name)])


def _block_key(block: Block) -> tuple[Any, ...] | None:
    """What identifies a top-level block for override merging (None: not merged here)."""
    if block.type in ("resource", "data") and len(block.labels) == 2:
        return (block.type, *block.labels)
    if block.type in ("variable", "output", "module") and block.labels:
        return (block.type, block.labels[0])
    if block.type == "provider" and block.labels:
        alias = block.body.attributes.get("alias")
        return ("provider", block.labels[0], literal_string(alias[0]) if alias else None)
    return None


def literal_string(expr: Any) -> str | None:
    """The text of a plain string expression (``"x"``), else None."""
    node = expr
    while isinstance(node, Tree) and node.data == "expr_term" and len(subtrees(node)) == 1:
        node = subtrees(node)[0]
    if isinstance(node, Tree) and node.data == "string":
        parts = [p for p in node.children if isinstance(p, Tree)]
        if all(p.data == "string_part" and isinstance(p.children[0], Token) for p in parts):
            return label(node)
    return None


def merge_override(base: Block, override: Block) -> None:
    """Terraform's override merge: each attribute replaces the original's; nested blocks of a type the
    override has replace all of the original's blocks of that type; the rest is kept."""
    base.body.attributes.update(override.body.attributes)
    replaced = {b.type if b.type != "dynamic" else f"dynamic:{b.labels[0] if b.labels else ''}"
                for b in override.body.blocks}
    replaced_types = {t for t in replaced if not t.startswith("dynamic:")} | {t[8:] for t in replaced if t.startswith("dynamic:")}

    def kind(b: Block) -> str:
        return b.labels[0] if b.type == "dynamic" and b.labels else b.type

    base.body.blocks = [b for b in base.body.blocks if kind(b) not in replaced_types] + list(override.body.blocks)


def load_definition(directory: Path, display: str) -> ModuleDefinition:
    """Parse a directory's ``*.tf`` and ``*.tf.json`` files, then merge its override files into them."""
    from generator.terraform.tfconfig.parsecache import FolderCache

    definition = ModuleDefinition(directory, display)
    primary, overrides = _config_files(directory)
    cache = FolderCache.open(directory)
    bodies: list[Body] = []
    for path in primary:
        name = f"{display}/{path.name}" if display not in ("", ".") else path.name
        bodies.append(parse_json_file(path, name) if path.name.endswith(".json") else parse_file(path, name, cache))
    by_key = {k: b for body in bodies for b in body.blocks if (k := _block_key(b)) is not None}
    local_bodies: list[tuple[Body, str]] = []
    for path in overrides:
        name = f"{display}/{path.name}" if display not in ("", ".") else path.name
        override = parse_json_file(path, name) if path.name.endswith(".json") else parse_file(path, name, cache)
        for block in override.blocks:
            if block.type == "locals":
                local_bodies.append((block.body, name))  # each local replaces the one of the same name
                continue
            key = _block_key(block)
            if key is None:
                continue  # terraform {} settings and the like: nothing clausegate reads
            if key not in by_key:
                raise InputError(f"override {block.type} {' '.join(repr(x) for x in block.labels)} has no "
                                 "original block to merge into (Terraform rejects this)", file=block.file, line=block.line)
            merge_override(by_key[key], block)
    cache.save()
    for body in bodies:
        for block in body.blocks:
            if block.type == "variable" and block.labels:
                unique(definition.variables.get(block.labels[0]), block, f"variable {block.labels[0]!r}")
                definition.variables[block.labels[0]] = block
            elif block.type == "locals":
                for key, (expr, line) in block.body.attributes.items():
                    if key in definition.locals:
                        _, first_file, first_line = definition.locals[key]
                        raise InputError(f"duplicate local value {key!r} (first defined at {first_file}:{first_line}; "
                                         "Terraform rejects this)", file=block.file, line=line)
                    definition.locals[key] = (expr, block.file, line)
            elif block.type == "resource" and len(block.labels) == 2:
                unique(definition.resources_by_type.get(block.labels[0], {}).get(block.labels[1]), block,
                        f"resource {'.'.join(block.labels)}")
                definition.resources.append(block)
                definition.resources_by_type.setdefault(block.labels[0], {})[block.labels[1]] = block
            elif block.type == "module" and block.labels:
                unique(definition.modules.get(block.labels[0]), block, f"module {block.labels[0]!r}")
                definition.modules[block.labels[0]] = block
            elif block.type == "output" and block.labels:
                definition.outputs[block.labels[0]] = block
            elif block.type == "provider":
                definition.providers.append(block)
            elif block.type == "data" and len(block.labels) == 2:
                definition.data.setdefault(block.labels[0], {})[block.labels[1]] = block
    for local_body, file in local_bodies:
        for key, (expr, line) in local_body.attributes.items():
            definition.locals[key] = (expr, file, line)
    return definition


class DataObject(Lazy):
    """A data source as expressions see it: Terraform reads it while planning, so its arguments (a
    resource group's ``name``) are what the configuration gives; what it reads from Azure is unknown."""

    def __init__(self, module: ModuleInstance, block: Block, scope: Scope | None = None) -> None:
        self.module, self.block = module, block
        self.scope = scope or Scope(module)

    def get(self, name: str) -> Any:
        attrs = self.block.body.attributes
        if name in attrs and name not in META_ARGS:
            return evaluate(attrs[name][0], self.scope)
        from generator.terraform.tfconfig.datasources import data_source_fact

        return data_source_fact(self.module, self.block, name, self.get)


class InstanceObject(Lazy):
    """One resource instance as other expressions see it: configured attributes, else unknown."""

    def __init__(self, module: ModuleInstance, block: Block, address: str, scope: Scope) -> None:
        self.module, self.block, self.address, self.scope = module, block, address, scope

    def get(self, name: str) -> Any:
        attrs = self.block.body.attributes
        if name in attrs and name not in META_ARGS:
            value = evaluate(attrs[name][0], self.scope)
            if value is UNKNOWN:
                return RefUnknown(((self.address, name),))
            return value
        nested = [b for b in self.block.body.blocks if b.type == name]
        if nested:
            return [self.module.reader.block_value(b.body, self.scope, b.file) for b in nested]
        return RefUnknown(((self.address, name),))  # computed (id, endpoint...) or provider default


class ModuleInstance:
    """A module definition with its variable values, at an address."""

    def __init__(self, reader: HclReader, definition: ModuleDefinition, address: str, inputs: dict[str, Any],
                 uncertain: bool = False) -> None:
        self.reader = reader
        self.definition = definition
        self.address = address
        # an instance of a module whose count/for_each is known only after apply: it may not exist,
        # so what it deploys is at most undetermined
        self.uncertain = uncertain
        self._unknown_expansion: dict[str, ModuleInstance] = {}
        # provider configurations visible here ("azurerm", "azurerm.hub") -> subscription id or None
        self.providers: dict[str, str | None] = {}
        self._resource_objects: dict[tuple[str, str], Any] = {}
        self._locals: dict[str, Any] = {}
        self._evaluating: set[str] = set()
        self._children: dict[str, Any] = {}
        self.variables: dict[str, Any] = {}
        scope = Scope(self)
        for name, block in definition.variables.items():
            if name in inputs:
                self.variables[name] = inputs[name]
            elif "default" in block.body.attributes:
                self.variables[name] = reader.safe_eval(block.body.attributes["default"][0], scope, block.file, block.line)
            else:
                reader.warn(f"{block.file}:{block.line}: variable {name!r} has no value; it is unknown")
                self.variables[name] = UNKNOWN
            if "type" in block.body.attributes and self.variables[name] is not UNKNOWN:
                try:
                    self.variables[name] = convert_type(self.variables[name], block.body.attributes["type"][0], scope)
                except EvalError as exc:
                    reader.warn(f"{block.file}:{block.line}: variable {name!r}: {exc}; treated as unknown")
                    self.variables[name] = UNKNOWN

    def local(self, name: str) -> Any:
        """Evaluate ``local.name`` once."""
        if name in self._locals:
            return self._locals[name]
        if name not in self.definition.locals:
            raise EvalError(f"no local value {name!r}")
        if name in self._evaluating:
            raise EvalError(f"local.{name} refers to itself")
        self._evaluating.add(name)
        expr, file, line = self.definition.locals[name]
        value = self.reader.safe_eval(expr, Scope(self), file, line)
        self._evaluating.discard(name)
        self._locals[name] = value
        return value

    def _prefix(self) -> str:
        return f"{self.address}." if self.address else ""

    def expansion(self, block: Block, scope: Scope) -> Any:
        """[(index, each-pair, count)] for a block with count / for_each; None if single; UNKNOWN if unknowable."""
        attrs = block.body.attributes
        if "for_each" in attrs:
            value = self.reader.safe_eval(attrs["for_each"][0], scope, block.file, attrs["for_each"][1])
            if has_unknown(value) and not isinstance(value, dict):
                return UNKNOWN
            if isinstance(value, dict):
                return [(k, (k, v), None) for k, v in value.items()]
            if isinstance(value, list):
                return [(tf_str(v), (tf_str(v), v), None) for v in fn_toset(value)]
            return UNKNOWN
        if "count" in attrs:
            value = self.reader.safe_eval(attrs["count"][0], scope, block.file, attrs["count"][1])
            if is_unknown(value) or not isinstance(value, (int, float)):
                return UNKNOWN
            if value > MAX_ITEMS:
                raise InputError(f"count = {int(value):,} is over the budget of {MAX_ITEMS:,} instances (evaluation "
                                 "budget)", file=block.file, line=attrs["count"][1])
            return [(i, None, i) for i in range(int(value))]
        return None

    def data_object(self, tf_type: str, name: str) -> Any:
        """What ``data.tf_type.name`` evaluates to (repeated data sources: unknown)."""
        block = self.definition.data.get(tf_type, {}).get(name)
        if block is None:
            raise EvalError(f"no data source {tf_type}.{name}")
        if "count" in block.body.attributes or "for_each" in block.body.attributes:
            # read once per instance, as resources are (`data.azurerm_resource_group.x[0].id`)
            exp = self.expansion(block, Scope(self))
            if not isinstance(exp, list):
                return UNKNOWN
            if "count" in block.body.attributes:
                return [DataObject(self, block, Scope(self, each, count)) for _, each, count in exp]
            return {str(idx): DataObject(self, block, Scope(self, each, count)) for idx, each, count in exp}
        return DataObject(self, block)

    def resource_object(self, tf_type: str, name: str) -> Any:
        """What ``tf_type.name`` evaluates to: one instance, a list (count) or a map (for_each); built
        once per module instance (every instance of a for_each may reference the same parent)."""
        key = (tf_type, name)
        found = self._resource_objects.get(key)
        if found is None:
            found = self._resource_object(tf_type, name)
            if isinstance(found, InstanceObject):
                # only the single instance is kept: lists and maps are values a caller may build on
                self._resource_objects[key] = found
        return found

    def _resource_object(self, tf_type: str, name: str) -> Any:
        block = self.definition.resources_by_type.get(tf_type, {}).get(name)
        if block is None:
            raise EvalError(f"no resource {tf_type}.{name}")
        base = f"{self._prefix()}{tf_type}.{name}"
        exp = self.expansion(block, Scope(self))
        if exp is UNKNOWN:
            return RefUnknown(((base, "id"),))
        if exp is None:
            return InstanceObject(self, block, base, Scope(self))
        objects = [(idx, InstanceObject(self, block, base + instance_suffix(idx), Scope(self, each, count)))
                   for idx, each, count in exp]
        if "count" in block.body.attributes:
            return [o for _, o in objects]
        return {str(idx): o for idx, o in objects}

    def child(self, name: str) -> Any:
        """The child module instance(s) of ``module.name``: one, a list (count) or a map (for_each)."""
        if name in self._children:
            return self._children[name]
        block = self.definition.modules.get(name)
        if block is None:
            raise EvalError(f"no module {name!r}")
        self._children[name] = UNKNOWN  # guards against a cycle while building
        if self.address.count("module.") >= MAX_MODULE_DEPTH:
            raise InputError(f"module {name!r}: modules nest over {MAX_MODULE_DEPTH} levels deep (a module that calls "
                             "itself?) (evaluation budget)", file=block.file, line=block.line)
        exp = self.expansion(block, Scope(self))
        if isinstance(exp, list) and not exp:
            # count = 0 or an empty for_each: no instance, so nothing to read (installed or not)
            self._children[name] = [] if "count" in block.body.attributes else {}
            return self._children[name]
        suffixes = ([UNKNOWN_INSTANCE] if exp is UNKNOWN else [""] if exp is None
                    else [instance_suffix(e[0]) for e in exp])
        directory = self.reader.module_dir(self, name, block, suffixes)
        if directory is None:
            self._children[name] = None
            return None
        definition = self.reader.definition(directory)
        undeclared = sorted(k for k in block.body.attributes
                            if k not in META_ARGS and k not in ("source", "version", "providers")
                            and k not in definition.variables)
        if undeclared:
            self.reader.warn(f"{block.file}:{block.line}: module {name!r}: argument(s) {', '.join(undeclared)} not "
                             "declared as variables by the module (Terraform rejects the configuration); ignored")

        def make(idx: Any, each: Any, count: Any, uncertain: bool = False) -> ModuleInstance:
            scope = Scope(self, each, count)
            inputs = {
                k: self.reader.safe_eval(expr, scope, block.file, line)
                for k, (expr, line) in block.body.attributes.items()
                if k not in META_ARGS and k not in ("source", "version", "providers")
            }
            suffix = UNKNOWN_INSTANCE if uncertain else instance_suffix(idx)
            inst = ModuleInstance(self.reader, definition, f"{self._prefix()}module.{name}{suffix}", inputs,
                                  uncertain or self.uncertain)
            from generator.terraform.tfconfig.providers import child_configs

            inst.providers = child_configs(self, block, definition.providers, inst)
            return inst

        if exp is UNKNOWN:
            # How many instances, and their keys, are known only after apply. Not checking them would be
            # a silent pass: read one instance with each.key / each.value / count.index unknown, whose
            # resources are at most undetermined. Other expressions see its outputs as unknown.
            self.reader.warn(f"{block.file}:{block.line}: module {name!r}: count/for_each is unknown before apply; "
                             f"checked as one instance ({UNKNOWN_INSTANCE}) whose key and index are unknown")
            each, count = unknown_iteration(block)
            self._unknown_expansion[name] = make(None, each, count, uncertain=True)
            self._children[name] = None
            return None

        if exp is None:
            result: Any = make(None, None, None)
        elif "count" in block.body.attributes:
            result = [make(*e) for e in exp]
        else:
            result = {str(e[0]): make(*e) for e in exp}
        self._children[name] = result
        return result

    def outputs_of(self, inst: ModuleInstance) -> Lazy:
        """A module instance's outputs as an object."""
        def get(out: str) -> Any:
            block = inst.definition.outputs.get(out)
            if block is None or "value" not in block.body.attributes:
                raise EvalError(f"module has no output {out!r}")
            expr, line = block.body.attributes["value"]
            return evaluate(expr, Scope(inst))

        return Namespace(get)

    def module_output_object(self, name: str) -> Any:
        """``module.name``: its outputs (or a list / map of them when repeated)."""
        inst = self.child(name)
        if inst is None or inst is UNKNOWN:
            return UNKNOWN
        if isinstance(inst, list):
            return [self.outputs_of(i) for i in inst]
        if isinstance(inst, dict):
            return {k: self.outputs_of(i) for k, i in inst.items()}
        return self.outputs_of(inst)

    def release(self) -> None:
        """Drop what this instance cached (values, resource objects, children): they refer back to it."""
        self._resource_objects.clear()
        self._locals.clear()
        self._children.clear()
        self._unknown_expansion.clear()
        self.variables.clear()

    def all_instances(self) -> Iterator[ModuleInstance]:
        """This instance and every child module instance below it."""
        yield self
        for name in self.definition.modules:
            inst = self.child(name)
            if inst is None and name in self._unknown_expansion:
                yield from self._unknown_expansion[name].all_instances()
            elif isinstance(inst, ModuleInstance):
                yield from inst.all_instances()
            elif isinstance(inst, list):
                for i in inst:
                    yield from i.all_instances()
            elif isinstance(inst, dict):
                for i in inst.values():
                    yield from i.all_instances()

# The address suffix of the one instance read for a block whose count/for_each is known only after apply
# (Terraform shows such instances as `[*]` in `terraform plan` for deferred changes).
UNKNOWN_INSTANCE = "[*]"


def unknown_iteration(block: Block) -> tuple[tuple[Any, Any] | None, Any]:
    """(each, count) for the stand-in instance of a block whose count/for_each is unknown: all unknown."""
    if "for_each" in block.body.attributes:
        return (UNKNOWN, UNKNOWN), None
    return None, UNKNOWN


def unique(first: Block | None, block: Block, what: str) -> None:
    """Terraform rejects a second declaration of the same variable, resource or module: so do we."""
    if first is not None and first is not block:
        raise InputError(f"duplicate {what} (first declared at {first.file}:{first.line}; Terraform rejects this)",
                         file=block.file, line=block.line)
