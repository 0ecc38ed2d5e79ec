"""`clausegate check` without the CLI: read the inputs, gather policies and context, evaluate, report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from generator.errors import InputError
from generator.report.emit import OutputSpec


@dataclass
class CheckRequest:
    """Everything `check` was asked for, already parsed (the CLI and the config file fill it)."""

    paths: list[str]
    source_dir: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    var_files: tuple[str, ...] = ()
    var_order: list[str] | None = None
    policies: tuple[str, ...] = ()
    parameters_file: str | None = None
    assignment_files: tuple[str, ...] = ()
    exemption_files: tuple[str, ...] = ()
    context_file: str | None = None
    context_data: dict[str, Any] | None = None               # inline context from the settings file
    parameters_data: dict[str, Any] | None = None            # inline parameter values from the settings file
    subscription_tags: dict[str, str] = field(default_factory=dict)
    subscription_id: str | None = None
    resource_group: str | None = None                        # the resource group an ARM template deploys to
    template_parameters: tuple[str, ...] = ()                # ARM parameter files for templates
    fail_on: tuple[str, ...] = ()
    show_all: bool = False
    recursive: bool = False
    azure: dict[str, Any] = field(default_factory=dict)   # --from-azure and its settings
    debug: bool = False
    output: OutputSpec = field(default_factory=OutputSpec)
    echo: Callable[[str], None] | None = None               # stderr notes (from Azure: ...)


def run_check(req: CheckRequest) -> int:
    """Run `check` as asked, write the report(s), and return the CONTRACTS exit code."""
    import gc

    # A check run allocates millions of small objects that live until it ends (parse trees, resources,
    # results) and makes almost no cycles: with the default thresholds the cyclic collector walks them
    # again and again (a tenth of a 1,000-file run). Collect rarely, as mypy does for the same reason.
    saved = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        return _run_check(req)
    finally:
        gc.set_threshold(*saved)


def _run_check(req: CheckRequest) -> int:
    report = build_check_report(req)
    out = req.output
    if any(fmt == "sarif" for fmt in out.formats):
        report = sarif_ready(report, req.paths)
    from generator.report.emit import emit

    emit(report, out)
    from generator.terraform.check import check_exit_code

    return check_exit_code(report, req.fail_on)


def sarif_ready(report: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """Every result placed in a file: GitHub code scanning rejects a result without a physical location.

    A plan's results that no --source places point at the file they were read from (the JSON report
    keeps ``file`` null).
    """
    import os

    default = paths[0] if len(paths) == 1 and paths[0] != "-" else "stdin" if paths == ["-"] else None
    results = []
    for r in report.get("results", []):
        src = r.get("input") or default
        if not r.get("file") and r.get("result") != "invalid":
            if src:
                r = dict(r, file=src)
        elif r.get("file") and src and os.path.isabs(src) and not os.path.isabs(r["file"]) and Path(src).is_dir():
            # A folder given by its absolute path names its files relative to itself ("main.tf"): a SARIF
            # location must resolve from the working directory (or be absolute outside it).
            full = os.path.normpath(os.path.join(src, r["file"]))
            rel = os.path.relpath(full)
            r = dict(r, file=(full if rel.startswith("..") else rel).replace(os.sep, "/"))
        results.append(r)
    return dict(report, results=results)


def shipped_pack(ref: str | None = None) -> Any:
    """The pack named (a registered name or a YAML path), else the shipped one."""
    if ref:
        from generator.pack import load_pack

        return load_pack(ref)
    from generator.packs import microsoft_aoai_law_enforcement

    return microsoft_aoai_law_enforcement()


def _validate_subscription_id(subscription_id: str | None) -> None:
    if subscription_id is None:
        return
    from generator.ids import is_guid

    # Resource ids are built from it, and --from-azure reads /subscriptions/<id>: a value that is
    # not a subscription id is bad input, not a silent "nothing matched" or "nothing was read".
    if not is_guid(subscription_id):
        raise InputError(f"--subscription-id {subscription_id!r} is not a subscription id "
                         f"(a GUID such as 00000000-0000-0000-0000-000000000000)")


def load_context(context_file: str | None, subscription_tags: dict[str, str],
                 data: dict[str, Any] | None = None) -> Any:
    """The Context from ``--context`` (or inline settings) and ``--subscription-tag`` (which wins over '*')."""
    from generator.context import Context

    context = (Context.load(context_file) if context_file
               else Context.from_data(data, source=".clausegate.yaml context") if data else Context.empty())
    return context.with_subscription_tags(subscription_tags) if subscription_tags else context


def read_parameters(parameters_file: str | None) -> dict[str, Any]:
    """Parameter values from a file: {"name": {"value": ...}} (bare values accepted)."""
    if not parameters_file:
        return {}
    from generator.context import parse_json_or_yaml
    from generator.engine.policies import unwrap_parameter_values
    from generator.fsio import read_text

    return unwrap_parameter_values(parse_json_or_yaml(read_text(parameters_file), parameters_file),
                                   parameters_file)


def build_check_report(req: CheckRequest) -> dict[str, Any]:
    """The CONTRACTS report of one `check` run over every PATH (no output written)."""
    from generator.engine.assignments import load_assignment
    from generator.engine.evaluator import load_policy_files
    from generator.exempt import implied_assignments, load_exemptions
    from generator.terraform.check import default_library

    _validate_subscription_id(req.subscription_id)
    inputs = expand_paths(req.paths, recursive=req.recursive)
    params = read_parameters(req.parameters_file)
    if req.parameters_data:
        from generator.engine.policies import unwrap_parameter_values

        params = {**unwrap_parameter_values(req.parameters_data, ".clausegate.yaml parameters"), **params}
    library = load_policy_files(req.policies) if req.policies else default_library()[0]
    if req.policies and not library.definitions and not library.sets and not library.invalid:
        # A wrong path in a pipeline must not pass as "nothing to deny".
        raise InputError("no policy definition or set found under " + ", ".join(req.policies))
    assignments = [load_assignment(p) for p in req.assignment_files]
    exemptions = load_exemptions(req.exemption_files)
    implied, expired = implied_assignments(exemptions, assignments, library)
    assignments.extend(implied)
    reports = []
    with _stdin_plans(inputs) as resolved:
        for label, path in resolved:
            report = _check_one(req, path, library, params, list(assignments), list(exemptions))
            if len(resolved) > 1 or label != path:
                _label_results(report, label, path)
            reports.append(report)
    report = reports[0] if len(reports) == 1 else merge_reports(reports, inputs=[label for label, _ in resolved])
    if expired:
        report["warnings"] = list(dict.fromkeys(expired + list(report.get("warnings") or [])))
    from generator.report.findings import annotate

    return annotate(report, library, params, explain=req.output.explain)


def _check_one(req: CheckRequest, path: str, library: Any, params: dict[str, Any], assignments: list[Any],
               exemptions: list[Any]) -> dict[str, Any]:
    from generator.engine.evaluator import Evaluator
    from generator.terraform.check import read_input, run

    context = load_context(req.context_file, req.subscription_tags, req.context_data)
    named = [k for k in context.subscriptions if k != "*"]
    refuse_binary_plan(path)
    input_ = read_input(
        path,
        source_dir=req.source_dir,
        var_files=req.var_files,
        variables=req.variables,
        subscription_id=req.subscription_id,
        context_subscription=named[0] if len(named) == 1 else None,
        var_order=req.var_order,
        template_parameters=req.template_parameters,
        resource_group=req.resource_group,
        context=context,
    )
    landing = [i.scope_id for i in input_.items] + [f"/subscriptions/{input_.subscription_id}"]
    notes: list[str] = unmatched_context_subscriptions(named, "*" in context.subscriptions, landing)
    if req.azure.get("from_azure"):
        # Live tags, assignments and exemptions of the scopes the resources land in. Terraform
        # resources are mapped lazily; map them once more here only when Azure must be asked.
        scope_ids: list[str | None] = list(input_.scope_ids())
        scope_ids.append(f"/subscriptions/{input_.subscription_id}" if input_.subscription_id else None)
        context = apply_from_azure(req.azure, scope_ids, library, context, assignments, exemptions, notes,
                                   debug=req.debug, echo=req.echo)
    evaluator = Evaluator(
        library,
        assignments=assignments,
        exemptions=exemptions,
        parameters=params,
        fail_on=req.fail_on,
        parameters_file=req.parameters_file,
    )
    return run(input_, evaluator, context, show_all=req.show_all, fail_on=req.fail_on, extra_warnings=notes)


def use_parser_cache() -> Path | None:
    """Keep python-hcl2's Lark parser cache in clausegate's cache folder, so that it survives upgrades and
    works from a read-only install (site-packages in a container image); built once, by the first HCL run or
    at image build time. A cache already next to hcl2 (written at install) is used as it is."""
    try:
        import hcl2.parser as hp
    except ImportError:  # pragma: no cover - a dependency
        return None
    if hp.PARSER_FILE.exists():
        return Path(hp.PARSER_FILE)
    from importlib.metadata import version

    from generator.cachedir import default_cache_dir

    try:
        target = default_cache_dir() / f"lark-hcl2-{version('python-hcl2')}-{version('lark')}.bin"
        target.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError):
        return None  # no writable cache folder: Lark builds the parser in memory, as before
    hp.PARSER_FILE = target
    return target


def warm_parser_cache() -> Path | None:
    """Build the HCL parser cache now (image build, install step)."""
    path = use_parser_cache()
    import hcl2.parser as hp

    hp.parser()
    return path


# --- inputs -------------------------------------------------------------------------------------------

_ROOT_BLOCK = re.compile(r'^\s*(?:provider\s+"[^"]+"|backend\s+"[^"]+")\s*\{', re.MULTILINE)
# a module call's local source (`source = "../modules/x"`): that folder is a child module, not a root
_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.\.?(?:/[^"]*)?)"', re.MULTILINE)
_SKIP_DIRS = {".terraform", ".git", ".venv", "node_modules", ".terragrunt-cache"}


def is_terraform_root(folder: Path) -> bool:
    """A folder Terraform runs in: one of its .tf files holds a provider block or a backend block."""
    return any(_ROOT_BLOCK.search(text) for text in _tf_texts(folder))


def _tf_texts(folder: Path) -> list[str]:
    out = []
    for tf in sorted(folder.glob("*.tf")):
        try:
            out.append(tf.read_text("utf-8", errors="replace"))
        except OSError:
            continue
    return out


def terraform_roots(directory: str) -> list[str]:
    """Every Terraform root at or below ``directory``, sorted: a folder with a provider or backend block,
    or one that no module call below ``directory`` uses (azapi needs no provider block: skipping such a
    root would be a silent pass). Folders a module call uses as its source, and .terraform, are left out."""
    import os

    folders: list[str] = []
    declared: set[str] = set()
    used: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        if not any(f.endswith(".tf") for f in filenames):
            continue
        texts = _tf_texts(Path(dirpath))
        folders.append(dirpath)
        if any(_ROOT_BLOCK.search(text) for text in texts):
            declared.add(dirpath)
        for text in texts:
            for source in _LOCAL_SOURCE.findall(text):
                used.add(os.path.realpath(os.path.join(dirpath, source)))
    return [f for f in folders if f in declared or os.path.realpath(f) not in used]


def expand_paths(paths: list[str], *, recursive: bool = False) -> list[str]:
    """The inputs to check: PATHs as given, with --recursive folders replaced by the Terraform roots below."""
    if not paths:
        raise InputError("nothing to check: give a PATH (a plan, a Terraform directory, ARM JSON, or - for a plan "
                         "on standard input)")
    if paths.count("-") > 1:
        raise InputError("standard input (-) can be read once")
    out: list[str] = []
    for p in paths:
        if recursive and p != "-" and Path(p).is_dir():
            roots = terraform_roots(p)
            if not roots:
                raise InputError("no Terraform root (a folder with .tf files that is not a module another "
                                 "one calls) found below this folder", file=p)
            out.extend(roots)
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def refuse_binary_plan(path: str) -> None:
    """A saved plan file (`terraform plan -out`) is a zip archive: say how to get the JSON form."""
    p = Path(path)
    if not p.is_file():
        return
    try:
        with p.open("rb") as fh:
            head = fh.read(4)
    except OSError:
        return
    if head == b"PK\x03\x04":
        raise InputError(f"a binary Terraform plan; check its JSON form: terraform show -json {p.name} > "
                         f"{p.stem}.json, then clausegate check {p.stem}.json", file=path)


class _stdin_plans:
    """Context manager: ``-`` becomes a temporary file holding what standard input gave (removed after)."""

    def __init__(self, inputs: list[str]) -> None:
        self.inputs = inputs
        self.tmp: str | None = None

    def __enter__(self) -> list[tuple[str, str]]:
        import sys
        import tempfile

        out = []
        for p in self.inputs:
            if p != "-":
                out.append((p, p))
                continue
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
            if not data.strip():
                raise InputError("standard input is empty (expected a plan from terraform show -json)", file="-")
            fd, self.tmp = tempfile.mkstemp(prefix="clausegate-stdin-", suffix=".json")
            with open(fd, "wb") as fh:
                fh.write(data)
            out.append(("-", self.tmp))
        return out

    def __exit__(self, *exc: Any) -> None:
        if self.tmp:
            import os

            try:
                os.unlink(self.tmp)
            except OSError:
                pass


def _label_results(report: dict[str, Any], label: str, path: str) -> None:
    """Results of one input: where they came from, for SARIF and for people (stdin reads as 'stdin')."""
    shown = "stdin" if label == "-" else label
    for r in report.get("results", []):
        if "resource" not in r:
            continue
        if r.get("file") == path and label != path:
            r["file"] = shown
        r.setdefault("input", shown)
    report["warnings"] = [w if w.startswith(shown) else f"{shown}: {w}" for w in report.get("warnings") or []]


def merge_reports(reports: list[dict[str, Any]], *, inputs: list[str]) -> dict[str, Any]:
    """One report for several inputs: results in input order, counts summed, warnings kept once."""
    from generator.report.model import SCHEMA_VERSION

    summary: dict[str, Any] = {"total": 0, "results": {}, "effects": {}, "resources": {"read": 0, "skipped": 0,
                                                                                         "checked": 0},
                               "exempt": 0, "notEnforced": 0, "failing": 0}
    results: list[Any] = []
    warnings: list[str] = []
    for rep in reports:
        s = rep["summary"]
        results.extend(rep.get("results", []))
        warnings.extend(rep.get("warnings") or [])
        summary["total"] += s.get("total", 0)
        for key in ("results", "effects"):
            for k, v in s.get(key, {}).items():
                summary[key][k] = summary[key].get(k, 0) + v
        for k in ("read", "skipped", "checked"):
            summary["resources"][k] += s.get("resources", {}).get(k, 0)
        for k in ("exempt", "notEnforced", "failing", "existing"):
            if k in s:
                summary[k] = summary.get(k, 0) + s[k]
    summary["effects"] = dict(sorted(summary["effects"].items()))
    out: dict[str, Any] = {"schemaVersion": SCHEMA_VERSION, "results": results, "summary": summary,
                           "failOn": reports[0].get("failOn", ["deny"]), "inputs": inputs}
    if warnings:
        out["warnings"] = list(dict.fromkeys(warnings))
    return out


def apply_from_azure(opts: dict[str, Any], scope_ids: list[str | None], library: Any, context: Any,
                     assignments: list[Any], exemptions: list[Any], notes: list[str], *, debug: bool = False,
                     echo: Callable[[str], None] | None = None) -> Any:
    """Add live assignments/exemptions and notes in place; return the context merged with Azure's tags."""
    from generator.azure.arm_read import quiet_azure_logs
    from generator.azure.live_context import load_live_context

    undo = quiet_azure_logs(debug)
    try:
        live = load_live_context(scope_ids, cloud=opts.get("cloud"), tenant=opts.get("tenant"),
                                 cache_dir=opts.get("cache_dir"),
                                 ttl=0 if opts.get("refresh") else opts.get("cache_ttl", 3600), debug=debug)
    finally:
        undo()
    keep, keep_ex, live_notes = live.relevant(library)
    assignments.extend(keep)
    exemptions.extend(keep_ex)
    notes.extend(live.warnings + live_notes)
    if echo is not None:
        echo(f"from Azure: {len(live.subscriptions)} subscription(s), {len(live.resource_groups)} resource "
             f"group(s), {len(keep)} assignment(s), {len(keep_ex)} exemption(s); {live.requests} request(s), "
             f"cache {live.cache_hits} hit(s) / {live.cache_misses} miss(es)")
    return live.merged_context(context)


def unmatched_context_subscriptions(named: list[str], has_wildcard: bool, scopes: list[Any]) -> list[str]:
    """A warning when the context names subscriptions but none of them is one the resources land in."""
    if not named or has_wildcard:
        return []
    landing = {m.group(1).lower() for scope in scopes
               if (m := re.match(r"/subscriptions/([^/]+)", str(scope or ""), re.IGNORECASE))} - {"none"}
    if not landing or landing & {n.lower() for n in named}:
        return []
    return [f"the context file gives tags for subscription(s) {', '.join(sorted(named))}, but the resources "
            f"land in {', '.join(sorted(landing))}: those tags do not apply (use '*' for every subscription)"]


# --- settings file ---------------------------------------------------------------------------------------

# config key -> (CheckRequest attribute or "output.<attr>", click parameter name)
CHECK_SETTINGS: dict[str, tuple[str, str]] = {
    "paths": ("paths", "paths"),
    "recursive": ("recursive", "recursive"),
    "context": ("context_file", "context_file"),
    "subscriptionId": ("subscription_id", "subscription_id"),
    "policies": ("policies", "policies"),
    "parameters": ("parameters_file", "parameters_file"),
    "assignments": ("assignment_files", "assignment_files"),
    "exemptions": ("exemption_files", "exemption_files"),
    "failOn": ("fail_on", "fail_on"),
    "formats": ("output.formats", "formats"),
    "outputFile": ("output.output_file", "output_file"),
    "outputDir": ("output.output_dir", "output_dir"),
    "quiet": ("output.quiet", "quiet"),
    "explain": ("output.explain", "explain"),
    "all": ("show_all", "show_all"),
    "source": ("source_dir", "source_dir"),
    "terraform.varFiles": ("var_files", "var_files"),
}
_OUTPUT_SETTINGS = {k: CHECK_SETTINGS[k] for k in ("failOn", "formats", "outputFile", "outputDir", "quiet", "explain")}
EVAL_SETTINGS = {**_OUTPUT_SETTINGS, "context": CHECK_SETTINGS["context"], "parameters": CHECK_SETTINGS["parameters"],
                 "assignments": CHECK_SETTINGS["assignments"], "exemptions": CHECK_SETTINGS["exemptions"],
                 "policies": ("definitions", "definitions")}
TEST_SETTINGS = {**_OUTPUT_SETTINGS, "context": CHECK_SETTINGS["context"]}
SCAN_SETTINGS = {**_OUTPUT_SETTINGS, "policies": ("policies", "policies"), "pack": ("pack", "pack"),
                 "all": ("show_all", "show_all"), "exemptions": CHECK_SETTINGS["exemptions"]}
_TUPLES = {"definitions", "policies", "assignment_files", "exemption_files", "fail_on", "output.formats", "var_files"}


def apply_settings(req: Any, config: Any, given: set[str], table: dict[str, tuple[str, str]] | None = None,
                   *, tags: bool = True, variables: bool = False) -> Any:
    """Fill ``req`` from the settings file where the command line gave nothing; returns the Effective settings."""
    from generator.config import Effective

    eff = Effective()
    table = table if table is not None else CHECK_SETTINGS
    out_given = bool(given & {"output_file", "output_dir"})
    for key, (attr, param) in table.items():
        holder, name = (req.output, attr[7:]) if attr.startswith("output.") else (req, attr)
        current = getattr(holder, name)
        is_given = param in given or (key in ("outputFile", "outputDir") and out_given)
        value = eff.take(key, current, is_given, config if not (key in ("outputFile", "outputDir") and out_given)
                         else type(config)(), default=current)
        if key == "formats" and not value:
            value = ("text",)
        if key == "pack" and value and getattr(req, "policies", None) and "policies" in given:
            value = None  # --policy on the command line replaces the file's pack
        if key == "context" and isinstance(value, dict):
            req.context_data = value
            value = None
        if key == "parameters" and isinstance(value, dict):
            req.parameters_data = value
            value = None
        if attr in _TUPLES and value is not None:
            value = tuple(value)
        if key == "paths":
            value = list(value or [])
        setattr(holder, name, value)
    if tags and hasattr(req, "subscription_tags"):
        req.subscription_tags = eff.merge_tags("subscriptionTags", req.subscription_tags, config)
    if variables:
        req.variables = eff.merge_tags("terraform.variables", req.variables, config)
    if hasattr(req, "exemption_files") and not req.exemption_files:
        # `clausegate exempt` writes here: honoured without naming it
        base = config.path.parent if config.path is not None else Path(".")
        folder = base / ".clausegate" / "exemptions"
        if folder.is_dir():
            req.exemption_files = (str(folder),)
            eff.values["exemptions"], eff.origins["exemptions"] = [str(folder)], "default (clausegate exempt)"
    eff.values["config"] = str(config.path) if config.path else None
    eff.origins["config"] = "--config" if "config" in given else ("found upward" if config.path else "none found")
    return eff


def check_with_settings(req: CheckRequest, config_path: str | None, given: set[str]) -> int:
    """`check`: the settings file (found upward or --config) fills what the command line left out, then run."""
    from generator.config import load_config

    eff = apply_settings(req, load_config(config_path), given, variables=True)
    if any(eff.origins.get(k, "default") not in ("default", "command line")
           for k in ("terraform.variables", "terraform.varFiles")):
        req.var_order = None  # the file's variables first, then the command line's (which win)
    return run_check(req)


def with_settings(req: Any, config_path: str | None, given: set[str], table: dict[str, tuple[str, str]]) -> Any:
    """Fill an eval / test / scan request from the settings file where the command line gave nothing."""
    from generator.config import load_config

    apply_settings(req, load_config(config_path), given, table)
    return req
