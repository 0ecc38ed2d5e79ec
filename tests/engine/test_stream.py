"""The streamed report (generator.report.stream) is the report build_report makes, in every format."""

from __future__ import annotations

import json

import pytest

from generator.report import build_report, exit_code, formatters
from generator.report.model import Result
from generator.report.stream import ResultStream


def _results() -> list[list[Result]]:
    a, b = "/subscriptions/s/resourceGroups/rg/providers/A/b/one", "two.json/1"
    first = [
        Result(a, "deny-x", "match", "deny", "the request would be denied", "r.json", None, "d.json",
               trace=[{"pointer": "/if", "outcome": "true"}], explanation=["x equals 1"]),
        Result(a, "audit-y", "no-match", "audit", "the policy's if condition does not hold", "r.json", None, "d.json",
               clauseId="c1", clauseSource="https://example.org"),
        Result(a, "z", "not-applicable", "deny", "mode Indexed does not evaluate A/b", "r.json", None, "d.json"),
    ]
    second = [
        Result(b, "deny-x", "no-match", "deny", "the policy's if condition does not hold", "r.json", None, "d.json"),
        Result(b, "audit-y", "undetermined", "audit", "alias 'A/b/c' is not in the alias table", "r.json", None,
               "d.json", warnings=["w"]),
        Result(b, "bad", "invalid", "unknown", "d.json: unknown mode 'x'", None, None, "bad.json", trace=[]),
    ]
    return [first, second]


@pytest.mark.parametrize("fail_on", [(), ("undetermined",), ("audit", "deny")])
def test_json_stream_equals_the_built_report(fail_on):
    out: list[str] = []
    stream = ResultStream("json", out.append, fail_on=fail_on)
    for group in _results():
        stream.add(group)
    code = stream.finish(resources_read=2, skipped=0, checked=2, warnings=["careful", "careful"])
    report = build_report([r for g in _results() for r in g], resources_read=2, skipped=0, checked=2,
                          show_all=True, fail_on=fail_on, warnings=["careful"])
    assert json.loads("".join(out)) == json.loads(formatters["json"](report))
    assert code == exit_code(report, fail_on) == 2


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit"])
def test_other_formats_equal_the_built_report(fmt):
    out: list[str] = []
    stream = ResultStream(fmt, out.append)
    for group in _results():
        stream.add(group)
    stream.finish(resources_read=2, checked=2, warnings=["careful"])
    report = build_report([r for g in _results() for r in g], resources_read=2, skipped=0, checked=2,
                          show_all=True, warnings=["careful"])
    assert "".join(out) == formatters[fmt](report)


def test_empty_json_stream_is_a_report():
    out: list[str] = []
    stream = ResultStream("json", out.append)
    assert stream.finish(resources_read=0, checked=0) == 0
    doc = json.loads("".join(out))
    assert doc["results"] == [] and doc["summary"]["total"] == 0
