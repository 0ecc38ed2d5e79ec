"""Write a report while results are produced: running summary counts, nothing held but what a format needs.

`ResultStream(fmt, write, fail_on=..., show_all=...)`; `add(results)` once per resource (its results);
`finish(resources_read=..., skipped=..., checked=..., warnings=...)` writes the summary and returns the
exit code (the same decision as model.exit_code on the full report). JSON and text are written as
results arrive (JSON one result per line, compact, with the C encoder); SARIF and JUnit keep the
result objects and render at the end (they are documents with totals up front).
The document written is the CONTRACTS report `build_report` describes, field for field.
"""

from __future__ import annotations

import json
from operator import attrgetter
from typing import Any, Callable, Iterable, Mapping

from generator.report.model import (
    RESULT_WORDS,
    SCHEMA_VERSION,
    Result,
    build_report,
    normalise_fail_on,
    selected_by,
)

_FINDINGS = frozenset({"match", "undetermined", "error"})
# A result without these is "plain": its JSON after resource / file / line is the same for every resource.
_extras = attrgetter("trace", "explanation", "details", "exemption", "warnings", "nonComplianceMessage")
_plain_key = attrgetter("policyDefinitionName", "result", "effect", "message", "definitionFile",
                        "policySetDefinitionName", "policyDefinitionReferenceId", "clauseId", "clauseSource",
                        "policyAssignmentName", "enforcementMode")
_dumps = json.JSONEncoder(ensure_ascii=False, default=str, separators=(", ", ": ")).encode


class ResultStream:
    """Stream one report in one format to ``write`` (a text writer's write)."""

    def __init__(self, fmt: str, write: Callable[[str], Any], *, fail_on: Iterable[str] | None = None,
                 show_all: bool = True, transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.fmt = fmt
        # Per-result annotation (clause title, quote, remediation, missing values) for results of a pack
        # or undetermined ones; plain results of other policies skip it and keep the fast path.
        self.transform = transform
        self.write = write
        self.fail_on = normalise_fail_on(fail_on)
        self.show_all = show_all
        self.total = 0
        self.by_result = {word: 0 for word in RESULT_WORDS}
        self.by_effect: dict[str, int] = {}
        self.exempt = 0
        self.not_enforced = 0
        self.failing = 0
        self.resources: set[str] = set()
        self._first = True
        self._kept: list[dict[str, Any]] = []  # sarif / junit
        # JSON text of a plain result after its resource / file / line, by everything else it holds.
        self._tails: dict[tuple, str] = {}

    # -- per result -----------------------------------------------------------------------------
    def add(self, results: list[Result]) -> None:
        """Count and write one resource's results (one pass; the usual no-match costs a dict lookup)."""
        if not results:
            return
        by_result, by_effect, resources = self.by_result, self.by_effect, self.resources
        show_all, fail_on = self.show_all, self.fail_on
        listed: list[Result] = []
        last_resource = None
        for r in results:
            word = r.result
            by_result[word] = by_result.get(word, 0) + 1
            eff = r.effect or "unknown"
            by_effect[eff] = by_effect.get(eff, 0) + 1
            if word != "invalid" and r.resource is not last_resource:
                last_resource = r.resource
                resources.add(last_resource)
            if word != "no-match" or r.exemption is not None:
                if r.exemption:
                    self.exempt += 1
                elif r.enforcementMode == "DoNotEnforce" and word in _FINDINGS:
                    self.not_enforced += 1
                if word in _FINDINGS and selected_by(r.to_json(), fail_on):
                    self.failing += 1
            elif not show_all:
                continue
            listed.append(r)
        self.total += len(results)
        if not listed:
            return
        fmt = self.fmt
        if fmt == "json":
            tails = self._tails
            out = []
            head = ""
            last: tuple | None = None
            for r in listed:
                where = (r.resource, r.file, r.line)
                if where != last:
                    last = where
                    head = f'{{"resource": {_dumps(r.resource)}, "file": {_dumps(r.file)}, "line": {_dumps(r.line)}, '
                if any(_extras(r)) or (self.transform is not None and (r.clauseId or r.result == "undetermined")):
                    d = r.to_json()
                    out.append(_dumps(self.transform(d) if self.transform is not None else d))
                    continue
                key = _plain_key(r)
                tail = tails.get(key)
                if tail is None:
                    d = r.to_json()
                    for k in ("resource", "file", "line"):
                        d.pop(k)
                    tail = _dumps(d)[1:]  # '"definitionFile": ...}'
                    if len(tails) < 65536:
                        tails[key] = tail
                out.append(head + tail)
            text = ",\n".join(out)
            if self._first:
                self.write(f'{{"schemaVersion": {SCHEMA_VERSION}, "results": [\n' + text)
                self._first = False
            else:
                self.write(",\n" + text)
        elif fmt == "text":
            self.write(_text_group([self._json(r) for r in listed], fail_on))
        else:
            self._kept.extend(self._json(r) for r in listed)

    def _json(self, r: Result) -> dict[str, Any]:
        d = r.to_json()
        return self.transform(d) if self.transform is not None else d

    # -- end ------------------------------------------------------------------------------------
    def summary(self, *, resources_read: int, skipped: int, checked: int | None) -> dict[str, Any]:
        """The report's summary object, as build_report makes it."""
        return {
            "total": self.total,
            "results": dict(self.by_result),
            "effects": dict(sorted(self.by_effect.items())),
            "resources": {"read": resources_read, "skipped": skipped,
                          "checked": len(self.resources) if checked is None else checked},
            "exempt": self.exempt,
            "notEnforced": self.not_enforced,
            "failing": self.failing,
        }

    def finish(self, *, resources_read: int, skipped: int = 0, checked: int | None = None,
               warnings: Iterable[str] = ()) -> int:
        """Write the end of the report (summary, warnings) and return the CONTRACTS exit code."""
        summary = self.summary(resources_read=resources_read, skipped=skipped, checked=checked)
        warn = list(dict.fromkeys(warnings))
        if self.fmt == "json":
            start = f'{{"schemaVersion": {SCHEMA_VERSION}, "results": [\n' if self._first else "\n"
            end = f'], "summary": {_dumps(summary)}, "failOn": {_dumps(list(self.fail_on))}'
            if warn:
                end += f', "warnings": {_dumps(warn)}'
            self.write(start + end + "}\n")
        elif self.fmt == "text":
            from generator.report.text import summary_line

            lines = [f"warning: {w}" for w in warn]
            lines.append(summary_line({"summary": summary}, self.fail_on))
            self.write("\n".join(lines) + "\n")
        else:
            from generator.report import formatters

            report = build_report([], resources_read=resources_read, skipped=skipped, checked=checked,
                                  show_all=True, fail_on=self.fail_on, warnings=warn)
            report["results"] = self._kept
            report["summary"] = summary
            self.write(formatters[self.fmt](report))
        if self.by_result.get("invalid"):
            return 2
        return 1 if self.failing else 0


def _text_group(results: list[Mapping[str, Any]], fail_on: tuple[str, ...]) -> str:
    """One resource's heading and verdict lines, as format_text writes them."""
    from generator.report.text import _verdict_lines, _where

    groups: dict[tuple[str, Any, Any], list[Mapping[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["resource"], r.get("file"), r.get("line")), []).append(r)
    lines: list[str] = []
    for (resource, _file, _line), rs in groups.items():
        failing = sum(1 for r in rs if selected_by(r, fail_on))
        mark = f"  [FAILS: {failing}]" if failing else ""
        lines.append(f"{resource}{_where(rs[0])}{mark}")
        for r in rs:
            lines.extend(_verdict_lines(r, fail_on))
        lines.append("")
    return "\n".join(lines) + "\n"
