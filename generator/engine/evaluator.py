"""Load policy files into a library and evaluate resources through assignments, sets and exemptions.

Hot path: everything that does not depend on the resource (parameters, effects, overrides without
resource selectors, mode per type, which plans' `if` cannot hold for a type) is resolved once; each
resource gets one Scope reused across definitions, evaluated WITHOUT a trace; only results that are
reported are evaluated again with a trace to explain them. A plan whose `if` is decided False by
its type tests alone (conditions.type_guard) is reported no-match for other types without being
evaluated -- exactly the result evaluating it gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from generator.engine.assignments import Assignment, Exemption, resource_facts
from generator.engine.conditions import type_guard
from generator.engine.explain import explain
from generator.engine.policies import (
    PolicyDefinition,
    compile_definition,
    is_definition_doc,
    resolve_parameter_values,
)
from generator.engine.scope import ContextView, Scope
from generator.engine.sets import PolicySet, compile_set, is_set_doc
from generator.engine.values import UNKNOWN, EvaluationError
from generator.errors import InputError, PolicyCompileError, format_location
from generator.report.model import Result

TRACE_REPORTED = "reported"   # trace match / undetermined / error results (and not-enforced ones)
TRACE_ALL = "all"             # trace every evaluated result (eval of one resource)
TRACE_NONE = "none"

NO_MATCH_MESSAGE = "the policy's if condition does not hold"


@dataclass
class InvalidEntry:
    """A file or document that could not be read or compiled: reported as result 'invalid'."""

    file: str | None
    message: str
    pointer: str | None = None
    line: int | None = None
    name: str | None = None

    def where(self) -> str:
        """'file:line at /pointer' as far as known."""
        return format_location(self.file, self.line, self.pointer)


@dataclass
class PolicyLibrary:
    """Compiled definitions and sets from files and folders, plus what did not compile."""

    definitions: list[PolicyDefinition] = field(default_factory=list)
    sets: list[PolicySet] = field(default_factory=list)
    invalid: list[InvalidEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)     # JSON files in folders that are not policies
    explicit_files: set[str] = field(default_factory=set)
    # no definition reads a resource's name or id (generator.engine.memo): results may be shared
    identity_free: bool = False
    _by_key: dict[str, PolicyDefinition] = field(default_factory=dict, repr=False)
    _sets_by_key: dict[str, PolicySet] = field(default_factory=dict, repr=False)

    def add_definition(self, d: PolicyDefinition) -> None:
        """Index a definition by id and by name (first one wins on a clash)."""
        self.definitions.append(d)
        for key in filter(None, (d.id, d.name)):
            self._by_key.setdefault(key.lower(), d)

    def add_set(self, s: PolicySet) -> None:
        """Index a set by id and by name."""
        self.sets.append(s)
        for key in filter(None, (s.id, s.name)):
            self._sets_by_key.setdefault(key.lower(), s)

    def find_definition(self, id_or_name: str) -> PolicyDefinition | None:
        """A definition by full id, or by its name (the id's last segment)."""
        key = id_or_name.lower()
        return self._by_key.get(key) or self._by_key.get(key.rstrip("/").rsplit("/", 1)[-1])

    def find_set(self, id_or_name: str) -> PolicySet | None:
        """A set by full id or name."""
        key = id_or_name.lower()
        return self._sets_by_key.get(key) or self._sets_by_key.get(key.rstrip("/").rsplit("/", 1)[-1])

    def roots(self) -> list[PolicyDefinition | PolicySet]:
        """What runs without --assignment: every set plus definitions no set carries, else every definition.

        Definitions read from folders next to a set are its member source (e.g. built-in folders), so
        they are only evaluated as members; a definition named as a file is always evaluated.
        """
        if not self.sets:
            return list(self.definitions)
        members = {id(m.definition) for s in self.sets for m in s.members}
        loose = [d for d in self.definitions if id(d) not in members and d.file in self.explicit_files]
        return [*self.sets, *loose]


def _iter_documents(data: Any) -> list[tuple[Any, str]]:
    """Documents in a file: one object, an array, or an ARM list {"value": [...]}, with their pointers."""
    if isinstance(data, list):
        return [(d, f"/{i}") for i, d in enumerate(data)]
    if isinstance(data, dict) and isinstance(data.get("value"), list) and "policyRule" not in data:
        return [(d, f"/value/{i}") for i, d in enumerate(data["value"])]
    return [(data, "")]


def _policy_files(path: Path) -> list[Path]:
    return sorted(
        p for p in path.rglob("*.json")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def load_policy_files(paths: Iterable[str | Path], *, strict: bool = True, use_cache: bool = True) -> PolicyLibrary:
    """Read definitions and sets from files and folders; what does not parse or compile becomes ``invalid``.

    A missing path is InputError (exit 2). In folders, JSON that is neither a definition nor a set
    (test cases, parameter files) is skipped; a file named explicitly must be a policy unless
    ``strict`` is False.
    """
    from generator.safeload import parse_json, read_text

    from generator.engine.compile_cache import CompileCache, LazyCondition

    lib = PolicyLibrary()
    cache = CompileCache.default() if use_cache else CompileCache(None)
    set_docs: list[tuple[Any, str, str]] = []
    read: dict[Path, str] = {}  # resolved path -> the name it was first read under
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files, explicit = _policy_files(path), False
        elif path.is_file():
            files, explicit = [path], True
        else:
            if path.exists():
                from generator.safeload import check_regular

                check_regular(path)  # a FIFO, socket or device: say so (never opened)
            raise InputError("no such file or folder", file=str(raw))
        for f in files:
            fname = str(f)
            key = f.resolve()
            seen = key in read
            if not seen:
                read[key] = fname
            if explicit:
                lib.explicit_files.add(read[key])
            if seen:
                continue  # a file named twice, or named and inside a named folder, is read once
            try:
                text = read_text(f)
            except InputError as exc:
                lib.invalid.append(InvalidEntry(fname, exc.message))
                continue
            try:
                data = parse_json(text, fname)
            except InputError as exc:
                # A broken JSON file next to policies is most likely a broken policy: report it.
                lib.invalid.append(InvalidEntry(fname, exc.message, line=exc.line))
                continue
            found = False
            for doc, ptr in _iter_documents(data):
                if is_set_doc(doc):
                    set_docs.append((doc, fname, ptr))
                    found = True
                elif is_definition_doc(doc):
                    found = True
                    key = cache.key(text, ptr)
                    try:
                        d = compile_definition(doc, file=fname, pointer=ptr, known_guard=cache.guard_for(key))
                        if not isinstance(d.condition, LazyCondition):
                            cache.remember(key, d.condition)
                        lib.add_definition(d)
                    except PolicyCompileError as exc:
                        lib.invalid.append(InvalidEntry(fname, exc.message, exc.pointer, exc.line,
                                                        _doc_name(doc, f)))
            if not found:
                if explicit and strict:
                    lib.invalid.append(InvalidEntry(
                        fname, "not a policy definition or set: no 'policyRule' or 'policyDefinitions'", ""))
                else:
                    lib.skipped.append(fname)
    cache.save()
    invalid_names = {e.name.lower() for e in lib.invalid if e.name}
    for doc, fname, ptr in set_docs:
        try:
            lib.add_set(compile_set(doc, lib.find_definition, file=fname, pointer=ptr))
        except PolicyCompileError as exc:
            msg = exc.message
            missing = (exc.message.split(" refers to ", 1)[-1].split(",")[0]).rsplit("/", 1)[-1].lower()
            if missing in invalid_names:
                msg += f" (its definition {missing} is invalid)"
            lib.invalid.append(InvalidEntry(fname, msg, exc.pointer, exc.line, _doc_name(doc, Path(fname))))
    return lib


def _doc_name(doc: Any, f: Path) -> str:
    if isinstance(doc, Mapping):
        return str(doc.get("name") or (doc.get("properties") or {}).get("displayName") or f.stem)
    return f.stem


@dataclass
class _Plan:
    """One definition as it runs: under an assignment (or implicitly), possibly as a set member."""

    definition: PolicyDefinition
    parameters: dict[str, Any]
    effect: str
    policy_info: dict[str, Any]
    definition_file: str | None
    set: PolicySet | None = None
    reference_id: str | None = None
    assignment: Assignment | None = None
    override_static: bool = True          # the override does not depend on the resource
    non_compliance_message: str | None = None
    exemptions: list[Exemption] = field(default_factory=list)
    name: str = ""
    static: tuple = ()   # Result fields from definitionFile on, fixed per plan
    condition: Any = None  # the compiled if's bound evaluate, looked up once
    type_guard: frozenset[str] | None = None  # types outside of which the if is False (exactly)
    assignment_index: int = -1  # position of its assignment in Evaluator.assignments

    def __post_init__(self) -> None:
        d = self.definition
        self.name = d.name
        self.condition = d.condition.evaluate
        guard = getattr(d.condition, "guard", False)  # LazyCondition: from the compile cache
        self.type_guard = type_guard(d.condition) if guard is False else guard
        a = self.assignment
        self.static = (self.definition_file, self.set.name if self.set else None, self.reference_id,
                       d.clause_id, d.clause_source, None,
                       a.name if a else None, None if a is None or a.enforced else "DoNotEnforce")


def _add_parameter_note(res: Result, metadata: Any, entries: list[Any]) -> None:
    """Append a definition's note on a parameter (``metadata.clausegate.parameterNotes``) whose test decided.

    clausegate's generated definitions use it to say why an unknown model is denied (issue 15).
    """
    meta = metadata.get("clausegate") if isinstance(metadata, Mapping) else None
    notes = meta.get("parameterNotes") if isinstance(meta, Mapping) else None
    if not isinstance(notes, Mapping):
        return
    by_value = meta.get("parameterValueNotes")
    for e in entries:
        for pname, note in notes.items():
            if (isinstance(note, str) and e.outcome is True and e.operator.lower() == "notin"
                    and e.expected_source == f"[parameters('{pname}')]"):
                # a note for the value itself (a model the catalog lists as image-capable) wins
                known = by_value.get(pname) if isinstance(by_value, Mapping) else None
                if (isinstance(known, Mapping) and isinstance(known.get("note"), str) and isinstance(e.actual, str)
                        and e.actual.lower() in {str(v).lower() for v in known.get("values") or ()}):
                    note = known["note"]
                res.message = f"{res.message}: {e.actual!r} is {note}"
                return


class Evaluator:
    """Evaluate resources against a library through assignments (or implicitly) with exemptions."""

    def __init__(
        self,
        library: PolicyLibrary,
        assignments: Sequence[Assignment] = (),
        exemptions: Sequence[Exemption] = (),
        parameters: Mapping[str, Any] | None = None,
        fail_on: Iterable[str] | None = None,
        *,
        aliases: Any = None,
        now: datetime | None = None,
        trace: str = TRACE_REPORTED,
        parameters_file: str | None = None,
    ) -> None:
        from generator.report.model import normalise_fail_on

        self.library = library
        self.assignments = list(assignments)
        self.exemptions = list(exemptions)
        self.fail_on = normalise_fail_on(fail_on)
        self.now = now or datetime.now(timezone.utc)
        self.trace_mode = trace
        if aliases is None:
            from generator.engine.aliases import AliasTable

            aliases = AliasTable.default()
        self.aliases = aliases
        self.warnings: list[str] = list(getattr(aliases, "warnings", ()))
        self._type_cache: dict[str, list[str | None]] = {}
        self._skip_cache: dict[str, tuple[bool, ...]] = {}
        self._scope: Any = None
        self._view_cache: dict[tuple, tuple] = {}
        self._invalid_fixed: list[tuple] | None = None
        self.plans: list[_Plan] = []
        self.plan_errors: list[InvalidEntry] = []
        given = dict(parameters or {})
        if self.assignments:
            for a in self.assignments:
                self._plan_assignment(a, given, parameters_file)
        else:
            roots = library.roots()
            declared_anywhere = {n.lower() for r in roots for n in r.parameters}
            unknown = [k for k in given if k.lower() not in declared_anywhere]
            if unknown and roots:
                # A misspelt name must not silently leave the default in force (issue 20).
                raise InputError(
                    f"parameter {unknown[0]!r} is declared by no definition or set given"
                    + (f" (also unknown: {', '.join(map(repr, unknown[1:]))})" if unknown[1:] else ""),
                    file=parameters_file, pointer=f"/{unknown[0]}")
            for root in roots:
                # Without an assignment each root stands alone: one whose parameters cannot be
                # resolved is reported as invalid (exit 2) while the others are still evaluated.
                try:
                    self._plan_root(root, given, None, parameters_file)
                except InputError as exc:
                    # Name the parameters file and pointer when the value came from there; the
                    # definition's own file is named once (where() adds it).
                    if exc.file is None or exc.file == root.file:
                        entry = InvalidEntry(root.file, exc.message, exc.pointer if exc.file else None,
                                             exc.line if exc.file else None, root.name)
                    else:
                        entry = InvalidEntry(root.file, str(exc), None, None, root.name)
                    self.plan_errors.append(entry)
        for s in {id(p.set): p.set for p in self.plans if p.set is not None}.values():
            self.warnings.extend(s.warnings)
        for ex in self.exemptions:
            if not any(ex.names_assignment(a) for a in self.assignments):
                self.warnings.append(
                    f"exemption {ex.name} names assignment {ex.assignment_id}, which no --assignment gives; ignored")
        index = {id(a): i for i, a in enumerate(self.assignments)}
        for p in self.plans:
            if p.assignment is not None:
                p.assignment_index = index[id(p.assignment)]
        self._no_skips = (False,) * len(self.plans)
        # Selector facts are needed only for resource selectors, resource-dependent overrides, exemptions.
        self._needs_facts = any(a.resource_selectors or a.resource_dependent_overrides
                                for a in self.assignments) or any(ex.resource_selectors for ex in self.exemptions)

    # -- planning ---------------------------------------------------------------------------------
    def _plan_assignment(self, a: Assignment, cli_params: dict[str, Any], params_file: str | None) -> None:
        root: PolicyDefinition | PolicySet | None = self.library.find_set(a.policy_definition_id)
        if root is None or "/policydefinitions/" in a.policy_definition_id.lower():
            root = self.library.find_definition(a.policy_definition_id) or root
        if root is None:
            raise InputError(
                f"assignment {a.name} assigns {a.policy_definition_id}, which no --definition gives",
                file=a.file, pointer="/properties/policyDefinitionId")
        merged = {**a.parameters, **cli_params}
        self._plan_root(root, merged, a, a.file if not cli_params else params_file,
                        "/properties/parameters" if not cli_params else "")

    def _plan_root(self, root: PolicyDefinition | PolicySet, given: Mapping[str, Any], a: Assignment | None,
                   source: str | None, pointer_base: str = "") -> None:
        # Implicit runs share one --parameters file across roots, so only declared names apply.
        if isinstance(root, PolicySet):
            declared = {n.lower() for n in root.parameters}
            mine = {k: v for k, v in given.items() if a is not None or k.lower() in declared}
            set_values = resolve_parameter_values(root.parameters, mine, owner=f"set {root.name}", source=source,
                                                  strict_unknown=a is not None, pointer_base=pointer_base)
            per_member = root.member_parameters(set_values, source=source)
            for m, values in zip(root.members, per_member):
                self._add_plan(m.definition, values, a, root, m.reference_id)
        else:
            declared = {n.lower() for n in root.parameters}
            mine = {k: v for k, v in given.items() if a is not None or k.lower() in declared}
            values = resolve_parameter_values(root.parameters, mine, owner=f"definition {root.name}",
                                              source=source, strict_unknown=a is not None, pointer_base=pointer_base)
            self._add_plan(root, values, a, None, None)

    def _add_plan(self, d: PolicyDefinition, values: dict[str, Any], a: Assignment | None, s: PolicySet | None,
                  ref: str | None) -> None:
        effect = d.resolve_effect(values) if not d.provider_mode else _provider_effect(d, values)
        info = {
            "assignmentId": a.id if a else "",
            "definitionId": d.id or d.name,
            "setDefinitionId": (s.id or s.name) if s else "",
            "definitionReferenceId": ref or "",
        }
        plan = _Plan(d, values, effect, info, s.file if s else d.file, s, ref, a)
        if a is not None:
            plan.non_compliance_message = a.non_compliance_message(ref)
            if a.resource_dependent_overrides:
                plan.override_static = False
            else:
                over = a.effect_override({"policydefinitionreferenceid": ref.lower() if ref else ""})
                if over:
                    plan.effect = over.lower()
            plan.exemptions = [ex for ex in self.exemptions if ex.names_assignment(a)]
        self.plans.append(plan)

    # -- evaluation -------------------------------------------------------------------------------
    def invalid_results(self, resource: str = "(policy files)") -> list[Result]:
        """One 'invalid' result per definition or set that did not load or compile."""
        fixed = self._invalid_fixed
        if fixed is None:
            # Formatted once: a run over many resources repeats them for each.
            fixed = self._invalid_fixed = [
                (e.name or (Path(e.file).stem if e.file else "?"),
                 f"{e.where()}: {e.message}" if e.where() else e.message, e.file)
                for e in [*self.library.invalid, *self.plan_errors]]
        return [Result(resource=resource, policyDefinitionName=name, result="invalid", effect="unknown",
                       message=message, definitionFile=file, trace=[]) for name, message, file in fixed]

    def _mode_reasons(self, rtype: str, resource: Mapping[str, Any]) -> list[str | None]:
        """Per plan, why its mode excludes this type (cached per type, except Indexed child types)."""
        cached = self._type_cache.get(rtype)
        if cached is not None:
            return cached
        reasons = [p.definition.not_applicable_reason(rtype, resource) for p in self.plans]
        # Indexed looks at the resource's own tags/location for child types: do not cache those answers.
        if rtype.count("/") < 2 or not any(p.definition.mode_key == "indexed" for p in self.plans):
            self._type_cache[rtype] = reasons
        return reasons

    def _skips(self, rtype: str) -> tuple[bool, ...]:
        """Per plan, True when its `if` is False for every resource of this (string) type."""
        cached = self._skip_cache.get(rtype)
        if cached is None:
            low = rtype.lower()
            cached = tuple(p.type_guard is not None and low not in p.type_guard for p in self.plans)
            if len(self._skip_cache) < 4096:
                self._skip_cache[rtype] = cached
        return cached

    def evaluate(
        self,
        resource: Mapping[str, Any],
        ctx: Any,
        *,
        address: str,
        file: str | None = None,
        line: int | None = None,
        action: str = "create",
        request_context: Mapping[str, Any] | None = None,
    ) -> list[Result]:
        """Evaluate one ARM resource against every plan; one Result per (resource, definition)."""
        raw_type = resource.get("type")
        rtype = raw_type or ""
        if not isinstance(rtype, str):
            rtype = str(rtype)
        rid = resource.get("id")
        if not isinstance(rid, str):
            rid = None
        facts: dict[str, Any] | None = None
        if self._needs_facts:
            facts = resource_facts(resource)
        excluded = [a.exclusion_reason(rid, facts or {}) for a in self.assignments] if self.assignments else None
        reasons = self._mode_reasons(rtype, resource)
        wants_trace = self.trace_mode
        # The type prefilter needs the type itself (a string under "type"); TRACE_ALL traces no-match too.
        skips = (self._skips(raw_type) if type(raw_type) is str and wants_trace != TRACE_ALL
                 else self._no_skips)
        scope = None  # filled when the first plan is evaluated (often none is, for unrelated types)
        results: list[Result] = []
        append = results.append
        make = self._result
        for plan, reason, skip in zip(self.plans, reasons, skips):
            a = plan.assignment
            effect = plan.effect
            if a is not None:
                reason = excluded[plan.assignment_index] or reason  # type: ignore[index]
                if not plan.override_static:
                    over = a.effect_override({**(facts or {}), "policydefinitionreferenceid":
                                              plan.reference_id.lower() if plan.reference_id else ""})
                    if over:
                        effect = over.lower()
            if reason is None and effect == "disabled":
                reason = "the effect resolves to Disabled"
            if reason is not None:
                append(make(plan, address, file, line, "not-applicable", effect, reason, facts, rid))
                continue
            if skip:
                # Exactly what evaluating gives: False from type tests alone, no warnings, no trace.
                append(Result(address, plan.name, "no-match", effect, NO_MATCH_MESSAGE, file, line, *plan.static))
                continue
            if scope is None:
                scope = self._prepare_scope(resource, ctx, request_context)
            scope.parameters = plan.parameters
            scope.policy = plan.policy_info
            if scope.warnings:
                scope.warnings = []
            if scope.unknown_reasons:
                scope.unknown_reasons = []
            details = None
            try:
                outcome = plan.condition(scope)
            except EvaluationError as exc:
                word = "error"
                message = (f"evaluation failed, which Azure treats as an implicit deny: {exc}" if effect == "deny"
                           else f"evaluation failed: {exc}")
            else:
                if outcome is True:
                    details, message = plan.definition.effect_details(effect, scope, action)
                    word = "match"
                elif outcome is UNKNOWN:
                    word, message = "undetermined", "the outcome depends on values known only after apply"
                else:
                    word, message = "no-match", NO_MATCH_MESSAGE
            if a is None or word == "no-match":
                res = Result(address, plan.name, word, effect, message, file, line, *plan.static)
            else:
                res = make(plan, address, file, line, word, effect, message, facts, rid)
            if details:
                res.details = details
            reasons = scope.unknown_reasons
            if reasons:
                if word == "undetermined":
                    res.message = "; ".join(reasons)
                else:
                    # Decided without the unknown value (e.g. another anyOf branch held): still said.
                    res.warnings = list(reasons)
            if scope.warnings:
                res.warnings = (res.warnings or []) + list(scope.warnings)
            if wants_trace == TRACE_ALL or (wants_trace == TRACE_REPORTED and word != "no-match"):
                self._explain(res, plan, scope, ctx)
            append(res)
        return results

    def _prepare_scope(self, resource: Mapping[str, Any], ctx: Any,
                       request_context: Mapping[str, Any] | None) -> Scope:
        # One Scope per Evaluator, refilled per resource (cheaper than building one; not thread-safe).
        scope = self._scope
        if scope is None:
            scope = self._scope = Scope(resource, {}, {}, None, {}, {}, self.aliases, self.now)  # type: ignore[arg-type]
            # Plans' parameters and Context's subscription / resource-group entries are shared and
            # never mutated: conditions reading only them may remember outcomes (ValueCondition).
            scope.shared = True
        scope.resource = resource  # type: ignore[assignment]  # never mutated by the rule language
        scope.subscription, scope.resource_group = self._context_views(ctx)
        for view in (scope.subscription, scope.resource_group):
            if type(view) is ContextView:
                view.scope = scope  # reading an unknown value records why (see ContextView)
        scope.request_context = (dict(request_context) if request_context
                                 else {"apiVersion": resource.get("apiVersion", "")})
        scope.trace = None
        scope.frames = ()
        if scope.warnings:
            scope.warnings = []
        if scope.unknown_reasons:
            scope.unknown_reasons = []
        return scope

    def _context_views(self, ctx: Any) -> tuple[dict, dict | None]:
        """subscription() / resourceGroup() as the policy sees them: what no context gives is UNKNOWN.

        A resource group without a context entry has an unknown location, tags and properties (its
        name and id come from the resource id); a subscription without one an unknown display name and
        tenant -- its tags stay absent, as CONTRACTS says. Cached per context entry, so the objects
        stay shared and never mutated (ValueCondition remembers outcomes by their identity).
        """
        sub, rg = ctx.subscription, ctx.resource_group
        sub_known = getattr(ctx, "subscription_known", True)
        rg_known = getattr(ctx, "resource_group_known", True)
        key = (id(sub), id(rg), sub_known, rg_known)
        hit = self._view_cache.get(key)
        if hit is not None and hit[0] is sub and hit[1] is rg:
            return hit[2], hit[3]
        from generator.context import UNKNOWN_SUBSCRIPTION_ID
        from generator.engine.scope import ContextView

        vsub: dict = sub
        sid = sub.get("subscriptionId")
        if not sub_known or sid == UNKNOWN_SUBSCRIPTION_ID:
            data = dict(sub)
            if not sub_known:
                data.update(displayName=UNKNOWN, tenantId=UNKNOWN)
            if sid == UNKNOWN_SUBSCRIPTION_ID:
                data.update(id=UNKNOWN, subscriptionId=UNKNOWN)
                why = "the resource has no id naming its subscription"
            else:
                why = f"no context gives subscription {sid}"
            vsub = ContextView(data, "subscription()", f"{why} (give it under 'subscriptions' in --context)")
        vrg: dict | None = rg
        if rg is not None and not rg_known:
            data = dict(rg)
            data.update(location=UNKNOWN, tags=UNKNOWN, managedBy=UNKNOWN, properties=UNKNOWN)
            name = rg.get("name")
            why = (f"no context gives resource group {name} (give it under 'resourceGroups' in --context)"
                   if isinstance(name, str) else "its resource group is known only after apply")
            vrg = ContextView(data, "resourceGroup()", why)
        if len(self._view_cache) >= 1024:
            self._view_cache.clear()
        self._view_cache[key] = (sub, rg, vsub, vrg)
        return vsub, vrg

    def _explain(self, res: Result, plan: _Plan, scope: Any, ctx: Any) -> None:
        """Evaluate again with a trace (only for reported results) and turn it into readable lines."""
        scope.trace = []
        scope.parameters = plan.parameters
        scope.policy = plan.policy_info
        try:
            plan.definition.condition.evaluate(scope)
        except EvaluationError:
            pass  # the error is already the result; the trace up to it still explains
        entries = scope.trace
        scope.trace = None
        res.trace = [e.to_dict() for e in entries]
        res.explanation = explain(entries, parameters=plan.parameters, ctx=ctx, result=res.result)
        if res.result == "match":
            _add_parameter_note(res, plan.definition.metadata, entries)
        if res.result == "undetermined" and not scope.unknown_reasons:
            subjects = [e.subject for e in entries if e.outcome is UNKNOWN]
            if subjects:
                res.message = "depends on values known only after apply: " + ", ".join(dict.fromkeys(subjects))

    def _result(self, plan: _Plan, address: str, file: str | None, line: int | None, word: str, effect: str,
                message: str, facts: Mapping[str, Any] | None, rid: str | None) -> Result:
        res = Result(address, plan.name, word, effect, message, file, line, *plan.static)
        a = plan.assignment
        if a is not None:
            if word in ("match", "undetermined", "error"):
                res.nonComplianceMessage = plan.non_compliance_message
                self._apply_exemptions(res, plan, facts, rid)
        return res

    def _apply_exemptions(self, res: Result, plan: _Plan, facts: Mapping[str, Any] | None, rid: str | None) -> None:
        a = plan.assignment
        assert a is not None
        for ex in plan.exemptions:
            if not ex.covers(a, plan.reference_id, rid, facts or {}):
                continue
            if ex.expired(self.now):
                res.warnings = (res.warnings or []) + [
                    f"exemption {ex.name} expired on {ex.to_json()['expiresOn']}; not applied"]
                continue
            res.exemption = ex.to_json()
            return


def _provider_effect(d: PolicyDefinition, values: Mapping[str, Any]) -> str:
    """Effect of a resource-provider-mode definition for reporting (they may use RP-only effects)."""
    try:
        return d.resolve_effect(values)
    except InputError:
        return d.effect_text.lower() if not d.effect_text.startswith("[") else "unknown"
