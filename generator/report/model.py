"""The result of one (resource, definition) evaluation and the report built from many (CONTRACTS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

SCHEMA_VERSION = 1

# CONTRACTS.md "Result words", in the order summaries list them.
RESULT_WORDS = ("match", "no-match", "undetermined", "error", "not-applicable", "invalid")

# The fields CONTRACTS.md fixes for each element of "results", in output order.
CONTRACT_FIELDS = (
    "resource",
    "file",
    "line",
    "definitionFile",
    "policyDefinitionName",
    "policySetDefinitionName",
    "policyDefinitionReferenceId",
    "result",
    "effect",
    "clauseId",
    "clauseSource",
    "message",
    "trace",
)

FAIL_ON_WORDS = ("deny", "audit", "undetermined", "error", "none")
# Default --fail-on: deny matches, and evaluation errors in deny policies (an implicit deny in Azure).
DEFAULT_FAIL_ON = ("deny",)


@dataclass(slots=True)
class Result:
    """One (resource, definition) evaluation; the contract fields plus extras the formatters use."""

    resource: str
    policyDefinitionName: str
    result: str
    effect: str
    message: str
    file: str | None = None
    line: int | None = None
    definitionFile: str | None = None
    policySetDefinitionName: str | None = None
    policyDefinitionReferenceId: str | None = None
    clauseId: str | None = None
    clauseSource: str | None = None
    trace: list[dict[str, Any]] | None = None
    # Extras (not in the contract list; emitted as additional keys only when set):
    policyAssignmentName: str | None = None
    enforcementMode: str | None = None          # "DoNotEnforce" when the assignment does not enforce
    exemption: dict[str, Any] | None = None     # {"name", "category", "expiresOn"} when exempt
    nonComplianceMessage: str | None = None
    details: dict[str, Any] | None = None       # modify/append operations, existence checks, denyAction
    explanation: list[str] | None = None        # readable lines built from the trace
    warnings: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the CONTRACTS JSON object: every contract field (null when unknown), then set extras."""
        out: dict[str, Any] = {name: getattr(self, name) for name in CONTRACT_FIELDS}
        if out["trace"] is None:
            out["trace"] = []
        for name in EXTRA_FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = value
        return out

    @property
    def enforced(self) -> bool:
        """False when an exemption or DoNotEnforce means Azure would not act on this result."""
        return self.exemption is None and self.enforcementMode != "DoNotEnforce"


EXTRA_FIELDS = (
    "policyAssignmentName",
    "enforcementMode",
    "exemption",
    "nonComplianceMessage",
    "details",
    "explanation",
    "warnings",
)


def _as_dict(result: Result | Mapping[str, Any]) -> dict[str, Any]:
    return result.to_json() if isinstance(result, Result) else dict(result)


def normalise_fail_on(fail_on: Iterable[str] | None) -> tuple[str, ...]:
    """Return the --fail-on words to apply: the given ones (validated) or the default."""
    words = tuple(dict.fromkeys(w.lower() for w in (fail_on or ())))
    for word in words:
        if word not in FAIL_ON_WORDS:
            from generator.errors import InputError

            raise InputError(f"unknown --fail-on value {word!r} (expected one of {', '.join(FAIL_ON_WORDS)})")
    if "none" in words and len(words) > 1:
        from generator.errors import InputError

        raise InputError("--fail-on none (soft fail) cannot be combined with other --fail-on values")
    return words or DEFAULT_FAIL_ON


def is_enforced(result: Mapping[str, Any]) -> bool:
    """False for a result that is exempt or comes from a DoNotEnforce assignment (reported, never failed)."""
    # "existing": `check` found it on a resource the plan leaves unchanged (reported, never failed).
    return not result.get("exemption") and result.get("enforcementMode") != "DoNotEnforce" and not result.get("existing")


def selected_by(result: Mapping[str, Any], fail_on: Iterable[str]) -> bool:
    """True when ``result`` is a finding that ``fail_on`` (normalised) selects.

    deny: deny matches and errors in deny policies (Azure treats a failed evaluation as an implicit
    deny); audit: audit / auditIfNotExists matches; undetermined: any undetermined result of an effect
    that acts; error: an evaluation error in any policy.
    """
    if not is_enforced(result):
        return False
    word = result.get("result")
    # "none" (soft fail) selects nothing; normalise_fail_on keeps it alone.
    effect = (result.get("effect") or "").lower()
    words = set(fail_on)
    if word == "match":
        if "deny" in words and effect == "deny":
            return True
        if "deny" in words and effect == "denyaction" and (result.get("details") or {}).get("action") == "delete":
            return True
        if "audit" in words and effect == "auditaction" and (result.get("details") or {}).get("action") == "delete":
            return True
        if "audit" in words and effect in ("audit", "auditifnotexists"):
            return True
        return False
    if word == "error":
        return "error" in words or ("deny" in words and effect == "deny")
    if word == "undetermined":
        return "undetermined" in words and effect != "disabled"
    return False


def build_report(
    results: Iterable[Result | Mapping[str, Any]],
    *,
    resources_read: int = 0,
    skipped: int = 0,
    checked: int | None = None,
    show_all: bool = True,
    fail_on: Iterable[str] | None = None,
    warnings: Iterable[str] = (),
) -> dict[str, Any]:
    """Build the CONTRACTS report: schemaVersion 1, results (no-match left out unless show_all), summary.

    The summary always counts every result, listed or not. ``fail_on`` (optional) is recorded so that
    formatters such as JUnit can mark the same findings the exit code fails on.
    """
    all_results = [_as_dict(r) for r in results]
    by_result = {word: 0 for word in RESULT_WORDS}
    by_effect: dict[str, int] = {}
    exempt = not_enforced = 0
    for r in all_results:
        by_result[r["result"]] = by_result.get(r["result"], 0) + 1
        eff = r.get("effect") or "unknown"
        by_effect[eff] = by_effect.get(eff, 0) + 1
        if r.get("exemption"):
            exempt += 1
        elif r.get("enforcementMode") == "DoNotEnforce" and r["result"] in ("match", "undetermined", "error"):
            not_enforced += 1  # findings Azure would not act on
    listed = all_results if show_all else [r for r in all_results if r["result"] != "no-match"]
    if checked is None:
        checked = len({r["resource"] for r in all_results if r["result"] != "invalid"})
    report: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "results": listed,
        "summary": {
            "total": len(all_results),
            "results": by_result,
            "effects": dict(sorted(by_effect.items())),
            "resources": {"read": resources_read, "skipped": skipped, "checked": checked},
            "exempt": exempt,
            "notEnforced": not_enforced,
        },
    }
    fail_words = normalise_fail_on(fail_on)
    report["summary"]["failing"] = sum(1 for r in all_results if selected_by(r, fail_words))
    report["failOn"] = list(fail_words)
    warn = list(dict.fromkeys(warnings))
    if warn:
        report["warnings"] = warn
    return report


def exit_code(report: Mapping[str, Any], fail_on: Iterable[str] | None = None) -> int:
    """CONTRACTS exit code for a report: 2 if a definition is invalid, 1 if --fail-on selects a result, else 0.

    The highest applicable code wins. ``fail_on`` None uses the report's recorded failOn, else the default.
    """
    words = normalise_fail_on(fail_on if fail_on else report.get("failOn"))
    results = report.get("results", [])
    if report.get("summary", {}).get("results", {}).get("invalid", 0) or any(
        r.get("result") == "invalid" for r in results
    ):
        return 2
    # Unlisted results are all no-match, which no --fail-on word selects, so the listed ones decide.
    return 1 if any(selected_by(r, words) for r in results) else 0
