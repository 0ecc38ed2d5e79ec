"""One template being evaluated: its parameters, variables, user-defined functions and target scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from generator.armtemplate.jsonpos import pointer_join
from generator.engine.expressions import ExpressionSyntaxError, is_expression, parse_expression, unescape_literal
from generator.engine.functions import arm_equals
from generator.engine.values import UNKNOWN, EvaluationError, has_unknown

__all__ = ["Run", "Frame", "Target", "PLACEHOLDER_SUBSCRIPTION"]

PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
_MISSING = object()


@dataclass
class Target:
    """Where a deployment lands: ``level`` is resourceGroup, subscription, managementGroup or tenant.
    ``subscription``/``resourceGroup``/``managementGroup`` are names (UNKNOWN when not known yet)."""

    level: str
    subscription: Any = None
    resourceGroup: Any = None
    managementGroup: Any = None

    def as_dict(self) -> dict[str, Any]:
        """The shape `resourceId()` and friends read."""
        return {"level": self.level, "subscription": self.subscription, "resourceGroup": self.resourceGroup,
                "managementGroup": self.managementGroup}

    def scope_id(self) -> Any:
        """The ARM id of the scope itself (UNKNOWN when a part is)."""
        if self.level == "tenant":
            return "/"
        if self.level == "managementGroup":
            mg = self.managementGroup
            return UNKNOWN if mg is UNKNOWN else f"/providers/Microsoft.Management/managementGroups/{mg}"
        if self.subscription is UNKNOWN:
            return UNKNOWN
        base = f"/subscriptions/{self.subscription}"
        if self.level == "subscription":
            return base
        return UNKNOWN if self.resourceGroup is UNKNOWN else f"{base}/resourceGroups/{self.resourceGroup}"


@dataclass
class Run:
    """State shared by every template of one expansion: warnings, compiled expressions, the context."""

    context: Any = None          # generator.context.Context, for resourceGroup().location and tags
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    warnings: list[str] = field(default_factory=list)
    used_placeholder_subscription: bool = False
    used_placeholder_resource_group: str | None = None
    _compiled: dict[str, Any] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)

    def warn(self, message: str) -> None:
        """Add a warning once."""
        if message not in self._seen:
            self._seen.add(message)
            self.warnings.append(message)

    def compile(self, text: str) -> Any:
        """The compiled closure of an expression string, in the template evaluation context."""
        fn = self._compiled.get(text)
        if fn is None:
            from generator.engine import functions
            from generator.engine.expressions import compile_node

            token = functions.TEMPLATE_MODE.set(True)
            try:
                fn = compile_node(parse_expression(text), text)
            finally:
                functions.TEMPLATE_MODE.reset(token)
            self._compiled[text] = fn
        return fn


class Frame:
    """One template (the file's, a nested deployment's inline one, or a relativePath one)."""

    def __init__(self, run: Run, template: dict[str, Any], *, where: Any, base: str, target: Target,
                 given: dict[str, Any] | None, deployment: dict[str, Any], delegate: "Frame | None" = None) -> None:
        self.run = run
        self.template = template
        self.where = where            # Where: file, lines, base directory, label for warnings
        self.base = base              # JSON pointer of this template inside its file
        self.target = target
        self.given = given or {}
        self.deployment = deployment
        self.delegate = delegate      # expressionEvaluationOptions "outer": the parent's values
        self.pointer = base           # where evaluation is, for notes
        self._params: dict[str, Any] = {}
        self._vars: dict[str, Any] = {}
        self._busy: set[str] = set()
        self.expander: Any = None     # the _Expander reading this template (for nested deployments' outputs)

    # -- messages ---------------------------------------------------------------------------------
    def warn(self, pointer: str, message: str) -> None:
        """A warning naming the file, line and JSON pointer."""
        self.run.warn(f"{self.where.locate(pointer)}: {message}")

    def note(self, message: str) -> None:
        """A value known only at deployment, at the pointer being evaluated."""
        self.warn(self.pointer, f"{message}; undetermined where a policy reads it")

    # -- values -----------------------------------------------------------------------------------
    def eval(self, value: Any, pointer: str, scope: Any, *, props: bool = False) -> Any:
        """Evaluate a JSON value of the template: expressions in strings (and keys), property copy loops."""
        if isinstance(value, str):
            if is_expression(value):
                return self.expression(value, pointer, scope)
            return unescape_literal(value)
        if isinstance(value, list):
            return [self.eval(v, pointer_join(pointer, i), scope, props=props) for i, v in enumerate(value)]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, v in value.items():
                p = pointer_join(pointer, key)
                if props and key == "copy" and _is_property_copy(v):
                    for i, loop in enumerate(v):
                        arr = self.loop_values(loop, pointer_join(p, i), scope)
                        out[str(loop["name"])] = arr
                    continue
                name: Any = key
                if is_expression(key):
                    name = self.expression(key, p, scope)
                    if name is UNKNOWN:
                        return UNKNOWN  # a property whose name is unknown: the object is not known
                    if not isinstance(name, str):
                        self.warn(p, f"a property name must be a string, not {name!r}")
                        return UNKNOWN
                else:
                    name = unescape_literal(key)
                out[name] = self.eval(v, p, scope, props=props)
            return out
        return value

    def loop_values(self, loop: dict[str, Any], pointer: str, scope: Any) -> Any:
        """The array a property or variable copy loop gives (UNKNOWN when its count is unknown)."""
        count = self.count(loop.get("count"), pointer_join(pointer, "count"), scope)
        if count is UNKNOWN:
            return UNKNOWN
        name = str(loop.get("name"))
        return [self.eval(loop.get("input"), pointer_join(pointer, "input"), scope.with_copy(name, i), props=True)
                for i in range(count)]

    def count(self, raw: Any, pointer: str, scope: Any) -> Any:
        """A copy count: a non-negative integer, or UNKNOWN (with a warning)."""
        value = self.eval(raw, pointer, scope)
        if value is UNKNOWN:
            self.warn(pointer, "the copy count is known only at deployment")
            return UNKNOWN
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.warn(pointer, f"the copy count must be a non-negative integer, not {value!r}")
            return UNKNOWN
        if value > 800:
            self.warn(pointer, f"a copy count of {value} exceeds Azure's limit of 800: Azure rejects this deployment")
        return value

    def expression(self, text: str, pointer: str, scope: Any) -> Any:
        """Evaluate one `[...]` expression; what cannot be evaluated warns and is UNKNOWN."""
        saved, self.pointer = self.pointer, pointer
        if self.delegate is not None:
            self.delegate.pointer = pointer
        try:
            return self.run.compile(text)(scope)
        except ExpressionSyntaxError as exc:
            self.warn(pointer, f"cannot evaluate {text}: {exc.message} (column {exc.column})")
        except EvaluationError as exc:
            self.warn(pointer, f"cannot evaluate {text}: {exc.message}")
        except RecursionError:
            self.warn(pointer, f"cannot evaluate {text}: nested too deeply")
        finally:
            self.pointer = saved
        return UNKNOWN

    # -- what template functions read (TemplateScope.template) ------------------------------------
    def parameter(self, name: str, scope: Any) -> Any:
        """`parameters(name)`: the given value, else the default, else UNKNOWN (warned)."""
        if self.delegate is not None:
            return self.delegate.parameter(name, scope)
        decls = self.template.get("parameters") or {}
        if decls is UNKNOWN or (isinstance(decls, dict) and decls.get(_ci_key(decls, name) or name) is UNKNOWN):
            # a Terraform jsonencode() whose declaration is known only after apply
            self.note(f"parameter {name!r} is declared by a part of the template known only after apply")
            return UNKNOWN
        key = _ci_key(decls, name)
        if key is None:
            raise EvaluationError(f"the template declares no parameter {name!r}")
        if key in self._params:
            return self._params[key]
        if key in self._busy:
            raise EvaluationError(f"the default of parameter {key!r} refers to itself")
        gkey = _ci_key(self.given, key)
        decl = decls.get(key) if isinstance(decls.get(key), dict) else {}
        if gkey is not None:
            value = self.given[gkey]
        elif "defaultValue" in decl:
            self._busy.add(key)
            try:
                base = type(scope)(template=self, subscription=scope.subscription,
                                   resource_group=scope.resource_group, now=scope.now, in_default=True)
                value = self.eval(decl["defaultValue"], f"{self.base}/parameters/{key}/defaultValue", base)
            finally:
                self._busy.discard(key)
        elif decl.get("nullable") is True:
            value = None  # languageVersion 2.0: an optional parameter without a value is null
        else:
            self.warn(f"{self.base}/parameters/{key}",
                      f"parameter {key!r} has no value (no defaultValue; give it with --template-parameters); "
                      "undetermined where a policy reads it")
            value = UNKNOWN
        allowed = decl.get("allowedValues")
        if isinstance(allowed, list) and value is not UNKNOWN and not has_unknown(value) and \
                not any(arm_equals(value, a) for a in allowed):
            # Azure refuses the whole deployment; the resources are still checked as written.
            self.warn(f"{self.base}/parameters/{key}", f"parameter {key!r} is {value!r}, not one of its allowedValues "
                      f"{allowed!r}: Azure rejects this deployment")
        self._params[key] = value
        return value

    def variable(self, name: str, scope: Any) -> Any:
        """`variables(name)`, evaluated once (copy loops in `variables.copy` included)."""
        if self.delegate is not None:
            return self.delegate.variable(name, scope)
        decls = self.template.get("variables") or {}
        if decls is UNKNOWN or (isinstance(decls, dict) and decls.get("copy") is UNKNOWN):
            self.note(f"variable {name!r} is in a part of the template known only after apply")
            return UNKNOWN
        loops = {str(c.get("name")).lower(): (i, c) for i, c in enumerate(decls.get("copy") or [])
                 if isinstance(c, dict)} if isinstance(decls.get("copy"), list) else {}
        key = _ci_key({k: v for k, v in decls.items() if k != "copy"}, name)
        lkey = name.lower() if name.lower() in loops else None
        if key is None and lkey is None:
            raise EvaluationError(f"the template declares no variable {name!r}")
        memo = key or f"copy:{lkey}"
        if memo in self._vars:
            return self._vars[memo]
        if memo in self._busy:
            raise EvaluationError(f"variable {name!r} refers to itself")
        self._busy.add(memo)
        try:
            base = type(scope)(template=self, subscription=scope.subscription,
                               resource_group=scope.resource_group, now=scope.now)
            if key is not None:
                value = self.eval(decls[key], f"{self.base}/variables/{key}", base, props=True)
            else:
                i, loop = loops[lkey]  # type: ignore[index]
                value = self.loop_values(loop, f"{self.base}/variables/copy/{i}", base)
        finally:
            self._busy.discard(memo)
        self._vars[memo] = value
        return value

    def reference(self, ident: str, full: bool, scope: Any) -> Any:
        """`reference()` of a nested deployment this template declares: its outputs; None otherwise."""
        if self.delegate is not None:
            return self.delegate.reference(ident, full, scope)
        if self.expander is None:
            return None
        return self.expander.module_outputs(self, ident, full, scope)

    def call_function(self, name: str, args: list[Any], scope: Any) -> Any:
        """A user-defined function (`namespace.name(...)`) of the template."""
        if self.delegate is not None:
            return self.delegate.call_function(name, args, scope)
        ns, _, member = name.partition(".")
        if self.template.get("functions") is UNKNOWN:
            self.note(f"function {name}() is in a part of the template known only after apply")
            return UNKNOWN
        for i, group in enumerate(self.template.get("functions") or []):
            if not isinstance(group, dict) or str(group.get("namespace", "")).lower() != ns.lower():
                continue
            members = group.get("members") or {}
            mkey = _ci_key(members, member)
            if mkey is None:
                continue
            fn = members[mkey]
            params = [p.get("name") for p in fn.get("parameters") or [] if isinstance(p, dict)]
            if len(params) != len(args):
                raise EvaluationError(f"{name}() takes {len(params)} argument(s), got {len(args)}")
            output = (fn.get("output") or {}).get("value")
            inner = scope.child(args=dict(zip(params, args)), copy={}, loop=None, lambdas={})
            return self.eval(output, f"{self.base}/functions/{i}/members/{mkey}/output/value", inner)
        raise EvaluationError(f"unknown function {name}()")


def _ci_key(mapping: Any, name: str) -> str | None:
    if not isinstance(mapping, dict):
        return None
    if name in mapping:
        return name
    low = name.lower()
    return next((k for k in mapping if isinstance(k, str) and k.lower() == low), None)


def _is_property_copy(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(c, dict) and "name" in c and "input" in c for c in value)
