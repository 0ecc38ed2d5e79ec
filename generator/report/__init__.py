"""Result JSON (CONTRACTS.md), text / json / sarif / junit formatters and the exit-code decision."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from generator.report.model import (
    CONTRACT_FIELDS,
    DEFAULT_FAIL_ON,
    RESULT_WORDS,
    SCHEMA_VERSION,
    Result,
    build_report,
    exit_code,
    normalise_fail_on,
    selected_by,
)


def _text(report: Mapping[str, Any]) -> str:
    from generator.report.text import format_text

    return format_text(report)


def _json(report: Mapping[str, Any]) -> str:
    from generator.report.json_fmt import format_json

    return format_json(report)


def _sarif(report: Mapping[str, Any]) -> str:
    from generator.report.sarif import format_sarif

    return format_sarif(report)


def _junit(report: Mapping[str, Any]) -> str:
    from generator.report.junit import format_junit

    return format_junit(report)


# name -> formatter(report) -> str; imported lazily so that `import generator.report` stays light.
formatters: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "junit": _junit,
}


def load_schema(name: str) -> dict[str, Any]:
    """Return a JSON Schema shipped in generator/schemas (e.g. 'report', 'context', 'policy-test')."""
    import json
    from importlib.resources import files

    return json.loads(files("generator.schemas").joinpath(f"{name}.schema.json").read_text("utf-8"))


__all__ = [
    "CONTRACT_FIELDS", "DEFAULT_FAIL_ON", "RESULT_WORDS", "SCHEMA_VERSION", "Result", "build_report",
    "exit_code", "formatters", "load_schema", "normalise_fail_on", "selected_by",
]
