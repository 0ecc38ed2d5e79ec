"""Deployment-time template functions: the engine's function library as a template sees it.

Compiled only while `functions.TEMPLATE_MODE` is set (see generator.armtemplate), so policy rules
keep Azure Policy's function set: `parameters()` reads the template's parameters, `variables()`,
`copyIndex()`, `deployment()`, `resourceId()` and friends, lambdas (`filter`, `map`, ...) and
user-defined functions exist here; `field()`, `current()`, `requestContext()`, `policy()` and
`ipRangeContains()` do not. Run-time functions (`reference`, `list*`, `newGuid`, `utcNow` outside
a parameter default, `environment`, `pickZones`, `providers`) give UNKNOWN and say so.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from generator.engine.expressions import Call, Literal, compile_node, type_name
from generator.engine.functions import (
    VARIADIC,
    _check_args,
    _err,
    _int,
    _need,
    _net_datetime_format,
    arm_string,
    parse_datetime,
)
from generator.engine.values import UNKNOWN, EvaluationError, has_unknown

__all__ = ["TemplateScope", "compile_template_call", "POLICY_ONLY", "RUNTIME"]

# Policy-rule functions a deployment template cannot call.
POLICY_ONLY = frozenset({"field", "current", "requestcontext", "policy", "iprangecontains"})
# Known only while Azure deploys: UNKNOWN here.
RUNTIME = frozenset({"reference", "newguid", "environment", "pickzones", "providers", "tenant"})


@dataclass
class TemplateScope:
    """What a template expression sees: the template (parameters, variables, functions, target),
    the deployment's subscription and resource group, copy-loop indexes and lambda variables."""

    template: Any                       # generator.armtemplate.expand.Frame
    subscription: dict = field(default_factory=dict)
    resource_group: dict | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    copy: dict = field(default_factory=dict)   # loop name (lower-case) -> index (or UNKNOWN)
    loop: str | None = None             # the innermost loop, for copyIndex() without a name
    lambdas: dict = field(default_factory=dict)
    in_default: bool = False            # evaluating a parameter's defaultValue (utcNow() allowed)
    args: dict | None = None            # a user-defined function's arguments (its parameters())
    # the policy engine's Scope fields that shared functions may touch
    parameters: dict = field(default_factory=dict)
    frames: tuple = ()
    warnings: list = field(default_factory=list)
    resource: dict = field(default_factory=dict)

    def note_unknown(self, reason: str) -> None:
        """What a shared engine function reports as unknown becomes a note at the pointer."""
        self.note(reason)

    def child(self, **changes: Any) -> "TemplateScope":
        """A copy with some fields changed (copy frames, lambda variables)."""
        return dataclasses.replace(self, **changes)

    def with_copy(self, name: str, index: Any) -> "TemplateScope":
        """The scope inside iteration ``index`` of copy loop ``name``."""
        return self.child(copy={**self.copy, name.lower(): index}, loop=name.lower())

    def note(self, message: str) -> None:
        """Report a value that is known only at deployment (once per location)."""
        self.template.note(message)


@dataclass(frozen=True)
class Lambda:
    """A `lambda('x', ...)` value: parameter names and the compiled body."""

    names: tuple
    body: Callable[[Any], Any]

    def __call__(self, scope: TemplateScope, *values: Any) -> Any:
        bound = dict(scope.lambdas)
        for name, value in zip(self.names, values):
            bound[name] = value
        return self.body(scope.child(lambdas=bound))


def _strings(node: Call) -> str | None:
    if node.args and isinstance(node.args[0], Literal) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _eager(node: Call, text: str, lo: int, hi: int, impl: Callable[..., Any], *, deep: bool = True) -> Callable[[Any], Any]:
    _check_args(node, text, lo, hi)
    argfs = [compile_node(a, text) for a in node.args]
    fname = node.name

    def call(scope: Any) -> Any:
        vals = [f(scope) for f in argfs]
        for v in vals:
            if v is UNKNOWN or (deep and isinstance(v, (list, dict)) and has_unknown(v)):
                return UNKNOWN
        try:
            return impl(scope, *vals)
        except EvaluationError:
            raise
        except (TypeError, ValueError, IndexError, KeyError, OverflowError) as exc:
            raise EvaluationError(f"{fname}(): {exc}") from None

    return call


# ---------------------------------------------------------------------------------------------
# template state: parameters, variables, copy loops, deployment, user-defined functions

def _parameters(scope: TemplateScope, name: Any) -> Any:
    n = _need(name, (str,), "parameters", "the parameter name")
    if scope.args is not None:
        for k, v in scope.args.items():
            if k.lower() == n.lower():
                return v
        raise EvaluationError(f"parameters(): the function has no parameter {n!r}")
    return scope.template.parameter(n, scope)


def _variables(scope: TemplateScope, name: Any) -> Any:
    if scope.args is not None:
        raise EvaluationError("variables() cannot be used inside a user-defined function")
    return scope.template.variable(_need(name, (str,), "variables", "the variable name"), scope)


def _compile_copy_index(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 0, 2)
    argfs = [compile_node(a, text) for a in node.args]

    def f(scope: TemplateScope) -> Any:
        vals = [a(scope) for a in argfs]
        if any(v is UNKNOWN for v in vals):
            return UNKNOWN
        loop, offset = None, 0
        if vals and isinstance(vals[0], str):
            loop = vals[0].lower()
            if len(vals) == 2:
                offset = _int(vals[1], "copyIndex")
        elif vals:
            if len(vals) == 2:
                raise EvaluationError("copyIndex(): with two arguments the first is the loop name")
            offset = _int(vals[0], "copyIndex")
        key = loop or scope.loop
        if key is None or key not in scope.copy:
            where = f"loop {vals[0]!r}" if loop else "a copy loop"
            raise EvaluationError(f"copyIndex() is used outside {where}")
        index = scope.copy[key]
        return UNKNOWN if index is UNKNOWN else index + offset

    return f


def _deployment(scope: TemplateScope) -> Any:
    return scope.template.deployment


def _subscription(scope: TemplateScope) -> Any:
    return scope.subscription


def _resource_group(scope: TemplateScope) -> Any:
    if scope.resource_group is None:
        raise EvaluationError("resourceGroup() is not available: the deployment is not at resource-group level")
    return scope.resource_group


def _user_function(node: Call, text: str) -> Callable[[Any], Any]:
    argfs = [compile_node(a, text) for a in node.args]
    name = node.name

    def f(scope: TemplateScope) -> Any:
        return scope.template.call_function(name, [a(scope) for a in argfs], scope)

    return f


# ---------------------------------------------------------------------------------------------
# resource ids

def _split_type(fn: str, rtype: Any, names: tuple) -> str:
    t = _need(rtype, (str,), fn, "the resource type")
    segments = t.split("/")
    if len(segments) < 2 or not all(segments):
        raise EvaluationError(f"{fn}(): {t!r} is not a resource type (Namespace/type)")
    parts: list[str] = []
    for n in names:
        parts.extend(arm_string(_need(n, (str, int), fn, "a resource name")).split("/"))
    if len(parts) != len(segments) - 1:
        raise EvaluationError(
            f"{fn}(): type {t!r} needs {len(segments) - 1} name segment(s), got {len(parts)}")
    return f"{segments[0]}/" + "/".join(f"{s}/{n}" for s, n in zip(segments[1:], parts))


def _target(scope: TemplateScope) -> dict:
    target = scope.template.target
    return target if isinstance(target, dict) else target.as_dict()


def _resource_id(scope: TemplateScope, *args: Any) -> str:
    pos = next((i for i, a in enumerate(args) if isinstance(a, str) and "/" in a), None)
    if pos is None or pos > 2 or pos + 1 >= len(args):
        raise EvaluationError("resourceId(): expected [subscriptionId], [resourceGroupName], resourceType, name...")
    tail = _split_type("resourceId", args[pos], args[pos + 1:])
    target = _target(scope)
    sub = target.get("subscription")
    rg = target.get("resourceGroup")
    if pos == 2:
        sub, rg = _need(args[0], (str,), "resourceId"), _need(args[1], (str,), "resourceId")
    elif pos == 1:
        rg = _need(args[0], (str,), "resourceId")
    if rg is None:
        if target.get("level") == "managementGroup" and pos == 0:
            return f"/providers/Microsoft.Management/managementGroups/{target.get('managementGroup')}/providers/{tail}"
        if target.get("level") == "tenant" and pos == 0:
            return f"/providers/{tail}"
        return _with_unknown(f"/subscriptions/{{0}}/providers/{tail}", sub)
    if rg is UNKNOWN or sub is UNKNOWN:
        return UNKNOWN
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{tail}"


def _with_unknown(pattern: str, *values: Any) -> Any:
    if any(v is UNKNOWN or v is None for v in values):
        return UNKNOWN
    return pattern.format(*values)


def _subscription_resource_id(scope: TemplateScope, *args: Any) -> Any:
    if len(args) >= 3 and not (isinstance(args[0], str) and "/" in args[0]):
        sub, rest = _need(args[0], (str,), "subscriptionResourceId"), args[1:]
    else:
        sub, rest = _target(scope).get("subscription"), args
    tail = _split_type("subscriptionResourceId", rest[0], rest[1:])
    return _with_unknown(f"/subscriptions/{{0}}/providers/{tail}", sub)


def _tenant_resource_id(scope: TemplateScope, rtype: Any, *names: Any) -> str:
    return "/providers/" + _split_type("tenantResourceId", rtype, names)


def _extension_resource_id(scope: TemplateScope, base: Any, rtype: Any, *names: Any) -> str:
    base_id = _need(base, (str,), "extensionResourceId", "the resource id").rstrip("/")
    return f"{base_id}/providers/" + _split_type("extensionResourceId", rtype, names)


def _management_group_resource_id(scope: TemplateScope, *args: Any) -> Any:
    if len(args) >= 3 and not (isinstance(args[0], str) and "/" in args[0]):
        mg, rest = _need(args[0], (str,), "managementGroupResourceId"), args[1:]
    else:
        mg, rest = _target(scope).get("managementGroup"), args
    tail = _split_type("managementGroupResourceId", rest[0], rest[1:])
    return _with_unknown(f"/providers/Microsoft.Management/managementGroups/{{0}}/providers/{tail}", mg)


def _management_group(scope: TemplateScope) -> Any:
    mg = _target(scope).get("managementGroup")
    if mg is None:
        raise EvaluationError("managementGroup() is available only in a management-group deployment")
    if mg is UNKNOWN:
        return UNKNOWN
    return {"id": f"/providers/Microsoft.Management/managementGroups/{mg}", "name": mg,
            "type": "Microsoft.Management/managementGroups", "properties": UNKNOWN}


# ---------------------------------------------------------------------------------------------
# lambdas

def _compile_lambda(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 1, VARIADIC)
    names = []
    for a in node.args[:-1]:
        if not (isinstance(a, Literal) and isinstance(a.value, str)):
            raise _err(node, text, "lambda(): the parameter names must be string literals")
        names.append(a.value)
    body = compile_node(node.args[-1], text)
    lam = Lambda(tuple(names), body)
    return lambda scope: lam


def _compile_lambda_variables(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 1, 1)
    argf = compile_node(node.args[0], text)

    def f(scope: TemplateScope) -> Any:
        name = argf(scope)
        if name is UNKNOWN:
            return UNKNOWN
        if name not in scope.lambdas:
            raise EvaluationError(f"lambdaVariables(): no lambda variable {name!r} here")
        return scope.lambdas[name]

    return f


def _lam(value: Any, fn: str) -> Lambda:
    if not isinstance(value, Lambda):
        raise EvaluationError(f"{fn}(): expected a lambda, not {type_name(value)}")
    return value


def _compile_higher(node: Call, text: str) -> Callable[[Any], Any]:
    name = node.name.lower()
    lo, hi = {"reduce": (3, 3), "toobject": (2, 3)}.get(name, (2, 2))
    _check_args(node, text, lo, hi)
    argfs = [compile_node(a, text) for a in node.args]

    def f(scope: TemplateScope) -> Any:
        vals = [a(scope) for a in argfs]
        if vals[0] is UNKNOWN:
            return UNKNOWN
        out = _HIGHER[name](scope, node.name, *vals)
        return UNKNOWN if has_unknown(out) and name in ("filter", "sort", "groupby", "toobject") else out

    return f


def _apply(lam: Lambda, scope: TemplateScope, item: Any, index: int) -> Any:
    return lam(scope, item, index) if len(lam.names) > 1 else lam(scope, item)


def _filter(scope: TemplateScope, fn: str, arr: Any, lam: Any) -> Any:
    lam = _lam(lam, fn)
    out = []
    for i, item in enumerate(_need(arr, (list,), fn)):
        keep = _apply(lam, scope, item, i)
        if keep is UNKNOWN:
            return UNKNOWN
        if not isinstance(keep, bool):
            raise EvaluationError(f"{fn}(): the lambda must return a boolean, not {type_name(keep)}")
        if keep:
            out.append(item)
    return out


def _map(scope: TemplateScope, fn: str, arr: Any, lam: Any) -> Any:
    lam = _lam(lam, fn)
    return [_apply(lam, scope, item, i) for i, item in enumerate(_need(arr, (list,), fn))]


def _reduce(scope: TemplateScope, fn: str, arr: Any, initial: Any, lam: Any) -> Any:
    lam = _lam(lam, fn)
    acc = initial
    for i, item in enumerate(_need(arr, (list,), fn)):
        acc = lam(scope, acc, item, i) if len(lam.names) > 2 else lam(scope, acc, item)
    return acc


def _sort(scope: TemplateScope, fn: str, arr: Any, lam: Any) -> Any:
    lam = _lam(lam, fn)

    def cmp(a: Any, b: Any) -> int:
        first = lam(scope, a, b)
        if first is UNKNOWN:
            raise _Unknown
        if first is True:
            return -1
        second = lam(scope, b, a)
        if second is UNKNOWN:
            raise _Unknown
        return 1 if second is True else 0

    try:
        return sorted(_need(arr, (list,), fn), key=functools.cmp_to_key(cmp))
    except _Unknown:
        return UNKNOWN


class _Unknown(Exception):
    pass


def _to_object(scope: TemplateScope, fn: str, arr: Any, key_lam: Any, value_lam: Any = None) -> Any:
    key_lam = _lam(key_lam, fn)
    out: dict = {}
    for item in _need(arr, (list,), fn):
        key = key_lam(scope, item)
        if key is UNKNOWN:
            return UNKNOWN
        value = item if value_lam is None else _lam(value_lam, fn)(scope, item)
        out[_need(key, (str,), fn, "a key")] = value
    return out


def _group_by(scope: TemplateScope, fn: str, arr: Any, lam: Any) -> Any:
    lam = _lam(lam, fn)
    out: dict = {}
    for item in _need(arr, (list,), fn):
        key = lam(scope, item)
        if key is UNKNOWN:
            return UNKNOWN
        out.setdefault(arm_string(key), []).append(item)
    return out


def _map_values(scope: TemplateScope, fn: str, obj: Any, lam: Any) -> Any:
    lam = _lam(lam, fn)
    return {k: lam(scope, v) for k, v in _need(obj, (dict,), fn).items()}


_HIGHER: dict[str, Callable[..., Any]] = {
    "filter": _filter, "map": _map, "reduce": _reduce, "sort": _sort,
    "toobject": _to_object, "groupby": _group_by, "mapvalues": _map_values,
}


# ---------------------------------------------------------------------------------------------
# dates

_DURATION = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def _add_months(dt: datetime, months: int) -> datetime:
    import calendar

    y, m = divmod(dt.month - 1 + months, 12)
    year, month = dt.year + y, m + 1
    return dt.replace(year=year, month=month, day=min(dt.day, calendar.monthrange(year, month)[1]))


def _date_time_add(scope: TemplateScope, base: Any, duration: Any, fmt: Any = None) -> str:
    dt = parse_datetime(base)
    if dt is None:
        raise EvaluationError(f"dateTimeAdd(): {base!r} is not an ISO 8601 date/time")
    m = _DURATION.match(_need(duration, (str,), "dateTimeAdd", "the duration"))
    if not m or m.group(0) in ("P", "-P"):
        raise EvaluationError(f"dateTimeAdd(): {duration!r} is not an ISO 8601 duration")
    sign = -1 if m.group(1) else 1
    y, mo, w, d, h, mi = (int(g or 0) for g in m.groups()[1:7])
    s = float(m.group(8) or 0)
    dt = _add_months(dt, sign * (12 * y + mo))
    dt += sign * timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)
    if fmt is not None:
        return _net_datetime_format(dt.astimezone(timezone.utc), _need(fmt, (str,), "dateTimeAdd"))
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_time_from_epoch(scope: TemplateScope, seconds: Any) -> str:
    dt = datetime.fromtimestamp(_int(seconds, "dateTimeFromEpoch"), timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_time_to_epoch(scope: TemplateScope, text: Any) -> int:
    dt = parse_datetime(text)
    if dt is None:
        raise EvaluationError(f"dateTimeToEpoch(): {text!r} is not an ISO 8601 date/time")
    return int(dt.timestamp())


def _compile_utc_now(node: Call, text: str) -> Callable[[Any], Any]:
    _check_args(node, text, 0, 1)
    argf = compile_node(node.args[0], text) if node.args else None

    def f(scope: TemplateScope) -> Any:
        if not scope.in_default:
            scope.note("utcNow() outside a parameter's defaultValue is known only at deployment")
            return UNKNOWN
        fmt = "yyyyMMddTHHmmssZ" if argf is None else argf(scope)
        if fmt is UNKNOWN:
            return UNKNOWN
        return _net_datetime_format(scope.now.astimezone(timezone.utc), _need(fmt, (str,), "utcNow"))

    return f


def _compile_reference(node: Call, text: str) -> Callable[[Any], Any]:
    """`reference()`: a nested deployment's outputs when the template can tell them; else UNKNOWN."""
    _check_args(node, text, 1, 3)
    argfs = [compile_node(a, text) for a in node.args]

    def f(scope: TemplateScope) -> Any:
        vals = [a(scope) for a in argfs]
        if isinstance(vals[0], str):
            full = len(vals) == 3 and isinstance(vals[2], str) and vals[2].lower() == "full"
            found = scope.template.reference(vals[0], full, scope)
            if found is not None:
                return found
        scope.note(f"{node.name}() is known only at deployment")
        return UNKNOWN

    return f


def _compile_runtime(node: Call, text: str) -> Callable[[Any], Any]:
    argfs = [compile_node(a, text) for a in node.args]
    name = node.name

    def f(scope: TemplateScope) -> Any:
        for a in argfs:
            a(scope)  # an argument that fails still fails, as in Azure
        scope.note(f"{name}() is known only at deployment")
        return UNKNOWN

    return f


# ---------------------------------------------------------------------------------------------

_TEMPLATE_EAGER: dict[str, tuple[int, int, Callable[..., Any], bool]] = {
    "parameters": (1, 1, _parameters, False),
    "variables": (1, 1, _variables, False),
    "deployment": (0, 0, _deployment, False),
    "subscription": (0, 0, _subscription, False),
    "resourcegroup": (0, 0, _resource_group, False),
    "resourceid": (2, VARIADIC, _resource_id, True),
    "subscriptionresourceid": (2, VARIADIC, _subscription_resource_id, True),
    "tenantresourceid": (2, VARIADIC, _tenant_resource_id, True),
    "extensionresourceid": (3, VARIADIC, _extension_resource_id, True),
    "managementgroupresourceid": (2, VARIADIC, _management_group_resource_id, True),
    "managementgroup": (0, 0, _management_group, False),
    "datetimeadd": (2, 3, _date_time_add, True),
    "datetimefromepoch": (1, 1, _date_time_from_epoch, True),
    "datetimetoepoch": (1, 1, _date_time_to_epoch, True),
}

_TEMPLATE_SPECIAL: dict[str, Callable[[Call, str], Callable[[Any], Any]]] = {
    "copyindex": _compile_copy_index,
    "lambda": _compile_lambda,
    "lambdavariables": _compile_lambda_variables,
    "utcnow": _compile_utc_now,
    "reference": _compile_reference,
    **{name: _compile_higher for name in _HIGHER},
}


def compile_template_call(node: Call, text: str) -> Callable[[Any], Any] | None:
    """Compile a call in a template; None to let the engine's shared library compile it."""
    name = node.name.lower()
    if name in POLICY_ONLY:
        raise _err(node, text, f"function {node.name}() is available in policy rules only, not in templates")
    if name in _TEMPLATE_SPECIAL:
        return _TEMPLATE_SPECIAL[name](node, text)
    if name in _TEMPLATE_EAGER:
        lo, hi, impl, deep = _TEMPLATE_EAGER[name]
        return _eager(node, text, lo, hi, impl, deep=deep)
    if name in RUNTIME or name.startswith("list"):
        return _compile_runtime(node, text)
    if "." in name:
        return _user_function(node, text)
    return None
