"""Template resources as Azure would deploy them: conditions, copy loops, child resources, nested deployments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.armtemplate.frame import PLACEHOLDER_SUBSCRIPTION, Frame, Run, Target
from generator.armtemplate.jsonpos import pointer_join
from generator.engine.template_functions import TemplateScope
from generator.engine.values import UNKNOWN, has_unknown

__all__ = ["Where", "TemplateResource", "Expansion", "expand_template", "DEPLOYMENTS"]

DEPLOYMENTS = "microsoft.resources/deployments"
# Keys that steer the deployment rather than describe the resource.
_CONTROL = {"condition", "copy", "dependsOn", "comments", "resources", "existing", "scope", "resourceGroup",
            "subscriptionId", "metadata", "import", "dependson"}
_MAX_DEPTH = 20
OPAQUE: dict[str, Any] = {"id": UNKNOWN, "name": UNKNOWN, "type": UNKNOWN, "kind": UNKNOWN, "location": UNKNOWN,
                          "sku": UNKNOWN, "tags": UNKNOWN, "identity": UNKNOWN, "properties": UNKNOWN}


@dataclass
class Where:
    """Where a template was read: the file shown in results, its lines, its folder, or a label."""

    file: str | None
    lines: dict[str, int] = field(default_factory=dict)
    folder: Path | None = None
    label: str | None = None      # e.g. the Terraform address embedding the template
    line: int | None = None       # the line of the embedding resource, when there are no lines

    def line_of(self, pointer: str) -> int | None:
        """The line of the object at ``pointer`` (or of its nearest enclosing object)."""
        p = pointer
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return self.line
            p = p.rsplit("/", 1)[0]

    def locate(self, pointer: str) -> str:
        """`file:line /pointer` for warnings."""
        if self.label:
            return f"{self.label} (template {pointer or '/'})"
        line = self.line_of(pointer)
        return f"{self.file}:{line} {pointer or '/'}" if line else f"{self.file} {pointer or '/'}"


@dataclass
class TemplateResource:
    """One resource a template deploys, in ARM shape, named as a person wrote it."""

    resource: dict[str, Any]
    address: str
    file: str | None
    line: int | None
    scope_id: Any
    uncertain: bool = False        # deployed only if a condition or copy count known at deployment allows


@dataclass
class Expansion:
    """What expanding a template gave."""

    resources: list[TemplateResource] = field(default_factory=list)
    resource_groups: list[tuple[dict[str, Any], Any, str]] = field(default_factory=list)  # (rg, subscription, address)
    warnings: list[str] = field(default_factory=list)
    dropped: int = 0               # instances a false condition or a zero count removed


class _Expander:
    def __init__(self, run: Run, out: Expansion) -> None:
        self.run = run
        self.out = out

    # -- scopes -----------------------------------------------------------------------------------
    def scope_for(self, frame: Frame, target: Target) -> TemplateScope:
        """subscription() and resourceGroup() of a deployment at ``target`` (from the context when given)."""
        sub = target.subscription
        if sub is None:
            sub = PLACEHOLDER_SUBSCRIPTION
            self.run.used_placeholder_subscription = True
        ctx = None
        if self.run.context is not None and sub is not UNKNOWN:
            rg = target.resourceGroup if isinstance(target.resourceGroup, str) else None
            ctx = self.run.context.resolve(f"/subscriptions/{sub}" + (f"/resourceGroups/{rg}" if rg else ""))
        subscription: dict[str, Any] = {"id": UNKNOWN if sub is UNKNOWN else f"/subscriptions/{sub}",
                                        "subscriptionId": sub, "tenantId": UNKNOWN, "displayName": UNKNOWN}
        if ctx is not None and ctx.subscription_known:
            given = ctx.subscription
            subscription["displayName"] = given.get("displayName", UNKNOWN)
            subscription["tags"] = given.get("tags") or {}
        resource_group = None
        if target.level == "resourceGroup":
            rg = target.resourceGroup
            resource_group = {"id": target.scope_id(), "name": rg, "type": "Microsoft.Resources/resourceGroups",
                              "location": UNKNOWN, "managedBy": None, "tags": UNKNOWN,
                              "properties": {"provisioningState": "Succeeded"}}
            if ctx is not None and ctx.resource_group_known and ctx.resource_group:
                if ctx.resource_group.get("location"):
                    resource_group["location"] = ctx.resource_group["location"]
                resource_group["tags"] = ctx.resource_group.get("tags") or {}
        return TemplateScope(template=frame, subscription=subscription, resource_group=resource_group, now=self.run.now)

    # -- resources --------------------------------------------------------------------------------
    def resources(self, frame: Frame, scope: TemplateScope, prefix: str, depth: int, uncertain: bool) -> None:
        raw = frame.template.get("resources")
        if raw is None:
            return
        pointer = f"{frame.base}/resources"
        if raw is UNKNOWN:  # a Terraform jsonencode() whose resources are known only after apply
            frame.warn(pointer, "the resources are known only after apply; what they deploy is undetermined")
            self.opaque(frame, pointer, prefix[:-2] if prefix.endswith("::") else "resources", frame.target)
            return
        if not isinstance(raw, (list, dict)):
            frame.warn(pointer, "resources must be an array or (languageVersion 2.0) an object; not read")
            return
        self.declarations(frame, raw, pointer, scope, prefix, None, depth, uncertain)

    def declarations(self, frame: Frame, raw: Any, pointer: str, scope: TemplateScope, prefix: str,
                     parent: tuple[Any, Any] | None, depth: int, uncertain: bool) -> None:
        entries = raw.items() if isinstance(raw, dict) else enumerate(raw)
        for key, decl in entries:
            p = pointer_join(pointer, key)
            symbol = key if isinstance(key, str) else None
            if decl is UNKNOWN:  # a Terraform template with a whole resource known only after apply
                frame.warn(p, "the resource is known only after apply; what it deploys is undetermined")
                self.opaque(frame, p, f"{prefix}{symbol}" if symbol is not None else f"{prefix}resources[{key}]",
                            frame.target)
                continue
            if not isinstance(decl, dict) or not (isinstance(decl.get("type"), str) or decl.get("type") is UNKNOWN):
                from generator.errors import InputError

                raise InputError("an ARM resource must be an object with a 'type'", file=frame.where.file,
                                 line=frame.where.line_of(p), pointer=p)
            copy = decl.get("copy")
            if copy is UNKNOWN or (isinstance(copy, dict) and copy.get("name") is UNKNOWN):
                # How many instances, and which loop copyIndex() names, are known only after apply.
                frame.warn(pointer_join(p, "copy"), "the copy loop is known only after apply; "
                           "what the resource would be denied for is undetermined")
                self.instance(frame, decl, p, scope.with_copy("copy", UNKNOWN), prefix, symbol, "[*]",
                              parent, depth, True)
                continue
            if isinstance(copy, dict):
                count = frame.count(copy.get("count"), pointer_join(pointer_join(p, "copy"), "count"), scope)
                name = str(copy.get("name", "copy"))
                if count is UNKNOWN:
                    self.instance(frame, decl, p, scope.with_copy(name, UNKNOWN), prefix, symbol, "[*]",
                                  parent, depth, True)
                    continue
                if count == 0:
                    self.out.dropped += 1
                for i in range(count):
                    self.instance(frame, decl, p, scope.with_copy(name, i), prefix, symbol, f"[{i}]",
                                  parent, depth, uncertain)
            else:
                self.instance(frame, decl, p, scope, prefix, symbol, "", parent, depth, uncertain)

    def instance(self, frame: Frame, decl: dict[str, Any], p: str, scope: TemplateScope, prefix: str,
                 symbol: str | None, suffix: str, parent: tuple[Any, Any] | None, depth: int,
                 uncertain: bool) -> None:
        if "condition" in decl:
            cond = frame.eval(decl["condition"], pointer_join(p, "condition"), scope)
            if cond is False:
                self.out.dropped += 1
                return
            if cond is not True:
                if cond is not UNKNOWN:
                    frame.warn(pointer_join(p, "condition"), f"the condition must be a boolean, not {cond!r}")
                else:
                    frame.warn(pointer_join(p, "condition"), "the condition is known only at deployment; "
                               "what the resource would be denied for is undetermined")
                uncertain = True
        rtype: Any = frame.eval(decl["type"], pointer_join(p, "type"), scope)
        name: Any = frame.eval(decl.get("name"), pointer_join(p, "name"), scope)
        if parent is not None:
            rtype, name = _child(parent, rtype, name)
        if decl.get("existing") is True:
            return  # read for names only: an existing resource is not deployed
        if decl.get("existing") is UNKNOWN:
            uncertain = True  # deployed only if it is not `existing`, which is known only after apply
        if isinstance(rtype, str) and rtype.lower() == DEPLOYMENTS:
            address = _address(prefix, symbol, rtype, name, decl.get("name"), suffix)
            self.deployment(frame, decl, p, scope, address, name, depth, uncertain)
        else:
            self.emit(frame, decl, p, scope, prefix, symbol, suffix, rtype, name, uncertain)
        children = decl.get("resources")
        if children is UNKNOWN:
            cp = pointer_join(p, "resources")
            frame.warn(cp, "the child resources are known only after apply; what they deploy is undetermined")
            self.opaque(frame, cp, _address(prefix, symbol, rtype, name, decl.get("name"), suffix) + "::resources",
                        frame.target)
        elif isinstance(children, (list, dict)) and children:
            self.declarations(frame, children, pointer_join(p, "resources"), scope, prefix, (rtype, name),
                              depth, uncertain)

    def emit(self, frame: Frame, decl: dict[str, Any], p: str, scope: TemplateScope, prefix: str,
             symbol: str | None, suffix: str, rtype: Any, name: Any, uncertain: bool) -> None:
        resource: dict[str, Any] = {}
        for key, value in decl.items():
            if key in _CONTROL or key in ("type", "name"):
                continue
            resource[key] = frame.eval(value, pointer_join(p, key), scope, props=(key == "properties"))
        resource["type"] = rtype
        resource["name"] = name
        target = self.placement(frame, decl, p, scope, frame.target)
        rid = _resource_id(target, rtype, name, self.extension_scope(frame, decl, p, scope, target))
        resource["id"] = rid
        if isinstance(rtype, str) and rtype.lower() == "microsoft.resources/resourcegroups":
            if target.level in ("subscription", "resourceGroup") and isinstance(name, str):
                rg = {"name": name, "location": resource.get("location"), "tags": resource.get("tags") or {}}
                self.out.resource_groups.append((rg, target.subscription, _address(prefix, symbol, rtype, name,
                                                                                   decl.get("name"), suffix)))
        scope_id = rid if isinstance(rid, str) else target.scope_id()
        self.out.resources.append(TemplateResource(
            resource, _address(prefix, symbol, rtype, name, decl.get("name"), suffix), frame.where.file,
            frame.where.line_of(p), scope_id if isinstance(scope_id, str) else None, uncertain))

    def extension_scope(self, frame: Frame, decl: dict[str, Any], p: str, scope: TemplateScope,
                        target: Target) -> Any:
        """The id an extension resource (`scope` property) attaches to; None for an ordinary resource."""
        if "scope" not in decl:
            return None
        value = frame.eval(decl["scope"], pointer_join(p, "scope"), scope)
        if not isinstance(value, str):
            return UNKNOWN
        if value.startswith("/"):
            return value.rstrip("/") or "/"
        base = target.scope_id()
        return UNKNOWN if base is UNKNOWN else f"{base.rstrip('/')}/providers/{value}"

    def placement(self, frame: Frame, decl: dict[str, Any], p: str, scope: TemplateScope, target: Target) -> Target:
        """The target of a resource or nested deployment with `subscriptionId`/`resourceGroup`/`scope`."""
        out = Target(target.level, target.subscription, target.resourceGroup, target.managementGroup)
        if "subscriptionId" in decl:
            out.subscription = _name(frame.eval(decl["subscriptionId"], pointer_join(p, "subscriptionId"), scope))
            if out.level in ("managementGroup", "tenant"):
                out.level = "subscription"
        if "resourceGroup" in decl:
            out.resourceGroup = _name(frame.eval(decl["resourceGroup"], pointer_join(p, "resourceGroup"), scope))
            out.level = "resourceGroup"
            if out.subscription is None:
                out.subscription = target.subscription
        if str(decl.get("type", "")).lower() == DEPLOYMENTS and "scope" in decl:
            value = frame.eval(decl["scope"], pointer_join(p, "scope"), scope)
            if isinstance(value, str):
                low = value.strip("/").lower()
                if low == "":
                    out = Target("tenant")
                elif low.startswith("providers/microsoft.management/managementgroups/") or \
                        low.startswith("microsoft.management/managementgroups/"):
                    out = Target("managementGroup", managementGroup=value.rstrip("/").rsplit("/", 1)[1])
            elif value is UNKNOWN:
                out = Target("managementGroup", managementGroup=UNKNOWN)
        return out

    # -- nested deployments -----------------------------------------------------------------------
    def deployment(self, frame: Frame, decl: dict[str, Any], p: str, scope: TemplateScope, address: str,
                   name: Any, depth: int, uncertain: bool) -> None:
        target = self.placement(frame, decl, p, scope, frame.target)
        if depth >= _MAX_DEPTH:
            frame.warn(p, f"nested deployments deeper than {_MAX_DEPTH} are not read")
            self.opaque(frame, p, address, target)
            return
        child = self.child_frame(frame, decl, p, scope, name)
        if child is None:
            self.opaque(frame, p, address, target)
            return
        self.resources(child[0], child[1], f"{address}::", depth + 1, uncertain)

    def child_frame(self, frame: Frame, decl: dict[str, Any], p: str, scope: TemplateScope,
                    name: Any) -> tuple[Frame, TemplateScope] | None:
        """The frame and scope of a nested deployment's template (None when it cannot be read)."""
        props = decl.get("properties") if isinstance(decl.get("properties"), dict) else {}
        pp = pointer_join(p, "properties")
        target = self.placement(frame, decl, p, scope, frame.target)
        options = props.get("expressionEvaluationOptions") if isinstance(props.get("expressionEvaluationOptions"), dict) else {}
        inner = str(options.get("scope", "outer")).lower() == "inner"
        template, where, base = props.get("template"), frame.where, f"{pp}/template"
        link = props.get("templateLink")
        if template is None and isinstance(link, dict):
            template, where, base = self.linked(frame, link, pointer_join(pp, "templateLink"), scope)
            inner = True  # a linked template always has its own parameters and variables
            if template is None:
                return None
        if not isinstance(template, dict):
            frame.warn(pp, "the nested deployment has no template clausegate can read; what it deploys is undetermined")
            return None
        deployment = {"name": name, "properties": {"templateLink": UNKNOWN, "template": {
            "contentVersion": template.get("contentVersion"), "metadata": template.get("metadata")},
            "parameters": {}, "mode": props.get("mode", "Incremental"), "provisioningState": "Accepted"},
            "location": decl.get("location", UNKNOWN) if target.level != "resourceGroup" else UNKNOWN}
        if inner:
            given = self.parameters_by_value(frame, props, pp, scope)
            child = Frame(self.run, template, where=where, base=base, target=target, given=given,
                          deployment=deployment)
            child.expander = self
            return child, self.scope_for(child, target)
        # "outer": the nested template's expressions read the parent's parameters, variables,
        # subscription() and resourceGroup(); only where its resources land changes.
        child = Frame(self.run, template, where=where, base=base, target=target, given=None,
                      deployment=frame.deployment, delegate=frame)
        child.expander = self
        return child, scope

    def module_outputs(self, frame: Frame, ident: str, full: bool, scope: TemplateScope) -> Any:
        """`reference()` of a nested deployment of ``frame`` (by symbolic name, name or id): its outputs,
        evaluated when read; None when ``ident`` names no such deployment."""
        raw = frame.template.get("resources")
        wanted = ident.rstrip("/").rsplit("/", 1)[-1].lower() if "/" in ident else ident.lower()
        by_id = "/" in ident
        entries = raw.items() if isinstance(raw, dict) else enumerate(raw or [])
        base_scope = TemplateScope(template=scope.template, subscription=scope.subscription,
                                   resource_group=scope.resource_group, now=scope.now)
        for key, decl in entries:
            if not isinstance(decl, dict) or str(decl.get("type", "")).lower() != DEPLOYMENTS or "copy" in decl:
                continue
            p = pointer_join(f"{frame.base}/resources", key)
            if not (isinstance(key, str) and not by_id and key.lower() == wanted):
                name = frame.eval(decl.get("name"), pointer_join(p, "name"), base_scope)
                if not (isinstance(name, str) and name.lower() == wanted):
                    continue
            else:
                name = frame.eval(decl.get("name"), pointer_join(p, "name"), base_scope)
            child = self.child_frame(frame, decl, p, base_scope, name)
            if child is None:
                return None
            outputs = _LazyOutputs(child[0], child[1])
            return {"properties": {"outputs": outputs}} if full else {"outputs": outputs}
        return None

    def parameters_by_value(self, frame: Frame, props: dict[str, Any], pp: str, scope: TemplateScope) -> dict[str, Any]:
        given: dict[str, Any] = {}
        if "parametersLink" in props:
            frame.warn(pointer_join(pp, "parametersLink"), "a parameters link is not fetched; parameters without "
                       "a default are undetermined")
        params = props.get("parameters")
        if not isinstance(params, dict):
            return given
        for key, entry in params.items():
            ptr = pointer_join(pointer_join(pp, "parameters"), key)
            if isinstance(entry, dict) and "value" in entry:
                given[key] = frame.eval(entry["value"], pointer_join(ptr, "value"), scope)
            elif isinstance(entry, dict) and "reference" in entry:
                frame.warn(ptr, "a Key Vault reference is known only at deployment; undetermined where a policy reads it")
                given[key] = UNKNOWN
            else:
                frame.warn(ptr, "a parameter value must be {\"value\": ...}; undetermined where a policy reads it")
                given[key] = UNKNOWN
        return given

    def linked(self, frame: Frame, link: dict[str, Any], lp: str, scope: TemplateScope) -> tuple[Any, Any, str]:
        """A `templateLink.relativePath` template read from the template's folder (a URI is never fetched)."""
        rel = frame.eval(link.get("relativePath"), pointer_join(lp, "relativePath"), scope) if "relativePath" in link else None
        if not isinstance(rel, str) or frame.where.folder is None:
            what = "templateLink.uri is not fetched" if "relativePath" not in link else \
                "templateLink.relativePath is not known here"
            frame.warn(lp, f"{what}; what the linked template deploys is undetermined")
            return None, None, ""
        path = (frame.where.folder / rel).resolve()
        if not path.is_file():
            frame.warn(lp, f"linked template {rel} not found next to the template; what it deploys is undetermined")
            return None, None, ""
        from generator.armtemplate.jsonpos import parse_with_lines
        from generator.fsio import read_text

        shown = str(Path(frame.where.file).parent / rel) if frame.where.file else str(path)
        data, lines = parse_with_lines(read_text(str(path)), shown)
        return data, Where(shown, lines, path.parent), ""

    def opaque(self, frame: Frame, p: str, address: str, target: Target) -> None:
        """A deployment whose resources cannot be read: every policy on it is undetermined."""
        scope_id = target.scope_id()
        self.out.resources.append(TemplateResource(dict(OPAQUE), f"{address}::(not read)", frame.where.file,
                                                   frame.where.line_of(p),
                                                   scope_id if isinstance(scope_id, str) else None, True))


class _LazyOutputs(dict):  # type: ignore[type-arg]
    """A nested deployment's `outputs`, each evaluated in its own template when an expression reads it."""

    def __init__(self, frame: Frame, scope: TemplateScope) -> None:
        super().__init__()
        self._frame, self._scope = frame, scope

    def __missing__(self, key: str) -> Any:
        outputs = self._frame.template.get("outputs")
        if not isinstance(outputs, dict):
            raise KeyError(key)
        real = next((k for k in outputs if isinstance(k, str) and k.lower() == str(key).lower()), None)
        if real is None or not isinstance(outputs[real], dict):
            raise KeyError(key)
        out = outputs[real]
        value = self._frame.eval(out.get("value"), f"{self._frame.base}/outputs/{real}/value", self._scope)
        entry = {"type": out.get("type"), "value": value}
        self[key] = entry
        return entry


def _name(value: Any) -> Any:
    return value if isinstance(value, str) else UNKNOWN


def _child(parent: tuple[Any, Any], rtype: Any, name: Any) -> tuple[Any, Any]:
    """A child resource's full type and name, completed from its parent's as ARM does."""
    ptype, pname = parent
    if isinstance(rtype, str) and "/" not in rtype:
        rtype = f"{ptype}/{rtype}" if isinstance(ptype, str) else UNKNOWN
    if isinstance(rtype, str) and isinstance(name, str) and name.count("/") < rtype.count("/") - 1:
        name = f"{pname}/{name}" if isinstance(pname, str) else UNKNOWN
    return rtype, name


def _address(prefix: str, symbol: str | None, rtype: Any, name: Any, raw_name: Any, suffix: str) -> str:
    """The symbolic name (languageVersion 2.0), else `type/name`; copy instances get `[i]`."""
    if symbol is not None:
        return f"{prefix}{symbol}{suffix}"
    shown = name if isinstance(name, str) else (raw_name if isinstance(raw_name, str) else "(name unknown)")
    if isinstance(name, str) and suffix and not has_unknown(name):
        suffix = ""  # the evaluated name already tells the instances apart
    return f"{prefix}{rtype if isinstance(rtype, str) else '(type unknown)'}/{shown}{suffix}"


def _resource_id(target: Target, rtype: Any, name: Any, extension: Any) -> Any:
    if not isinstance(rtype, str) or not isinstance(name, str):
        return UNKNOWN
    if rtype.lower() == "microsoft.resources/resourcegroups" and target.level in ("subscription", "resourceGroup"):
        sub = target.subscription or PLACEHOLDER_SUBSCRIPTION
        return UNKNOWN if sub is UNKNOWN else f"/subscriptions/{sub}/resourceGroups/{name}"
    segments, names = rtype.split("/"), name.split("/")
    if len(names) == len(segments) - 1:
        tail = f"{segments[0]}/" + "/".join(f"{t}/{n}" for t, n in zip(segments[1:], names))
    else:
        tail = f"{rtype}/{name}"
    if extension is not None:
        return UNKNOWN if extension is UNKNOWN else f"{extension.rstrip('/')}/providers/{tail}"
    if target.level in ("subscription", "resourceGroup") and target.subscription is None:
        target = Target(target.level, PLACEHOLDER_SUBSCRIPTION, target.resourceGroup, target.managementGroup)
    base = target.scope_id()
    if base is UNKNOWN:
        return UNKNOWN
    return f"{base.rstrip('/')}/providers/{tail}"


def level_of(template: dict[str, Any]) -> str:
    """The deployment level a template's `$schema` names (resource group when it names none)."""
    schema = str(template.get("$schema", "")).lower()
    if "subscriptiondeploymenttemplate" in schema:
        return "subscription"
    if "managementgroupdeploymenttemplate" in schema:
        return "managementGroup"
    if "tenantdeploymenttemplate" in schema:
        return "tenant"
    return "resourceGroup"


def expand_template(template: dict[str, Any], *, given: dict[str, Any], target: Target, where: Where,
                    run: Run, prefix: str = "", deployment_name: Any = UNKNOWN) -> Expansion:
    """Expand one template deployed at ``target`` with parameter values ``given``."""
    out = Expansion()
    expander = _Expander(run, out)
    deployment = {"name": deployment_name, "properties": {"templateLink": UNKNOWN, "template": {
        "contentVersion": template.get("contentVersion"), "metadata": template.get("metadata")},
        "parameters": {}, "mode": "Incremental", "provisioningState": "Accepted"}, "location": UNKNOWN}
    frame = Frame(run, template, where=where, base="", target=target, given=given, deployment=deployment)
    frame.expander = expander
    scope = expander.scope_for(frame, target)
    for key in given:
        if template.get("parameters") is not UNKNOWN and _ci(template.get("parameters"), key) is None:
            frame.warn("/parameters", f"parameter {key!r} is given but the template does not declare it "
                       "(Azure rejects the deployment)")
    expander.resources(frame, scope, prefix, 0, False)
    out.warnings = run.warnings
    return out


def _ci(mapping: Any, key: str) -> Any:
    if not isinstance(mapping, dict):
        return None
    return next((k for k in mapping if isinstance(k, str) and k.lower() == key.lower()), None)


def is_template(data: Any) -> bool:
    """True for a deployment template (not a bare resource list)."""
    return isinstance(data, dict) and isinstance(data.get("resources"), (list, dict)) and (
        "$schema" in data or "contentVersion" in data or "languageVersion" in data)
