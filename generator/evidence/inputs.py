"""Read ``scan``/``check`` JSON result files (CONTRACTS.md "JSON output") for the evidence report."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import InputError

FINDING_WORDS = ("match", "undetermined", "error", "invalid")


@dataclass
class ResultsFile:
    """One results file: where it came from, its digest, its results and the scan section (if any)."""

    path: str
    sha256: str
    kind: str  # "scan" | "check"
    results: list[dict[str, Any]] = field(default_factory=list)
    scan: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)


def _require(cond: bool, message: str, path: str, pointer: str) -> None:
    if not cond:
        raise InputError(message, file=path, pointer=pointer)


def read_results_file(path: str) -> ResultsFile:
    """Parse and check one file; a missing or malformed field is bad input naming the JSON pointer."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the results file: {exc.strerror or exc}", file=path) from None
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError("the results file is not UTF-8 JSON", file=path) from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(f"not JSON: {getattr(exc, 'msg', exc)} (expected the JSON output of scan or check, "
                         f"-o json)", file=path, line=line) from None
    _require(isinstance(doc, dict), "expected a JSON object with 'schemaVersion' and 'results' (the JSON "
                                    "output of scan or check)", path, "")
    version = doc.get("schemaVersion")
    _require(isinstance(version, int) and not isinstance(version, bool), "expected an integer 'schemaVersion'",
             path, "/schemaVersion")
    _require(version == 1, f"schemaVersion {version} is not supported (this clausegate reads 1)", path,
             "/schemaVersion")
    results = doc.get("results")
    _require(isinstance(results, list), "expected 'results' to be an array", path, "/results")
    out: list[dict[str, Any]] = []
    for i, r in enumerate(results):
        ptr = f"/results/{i}"
        _require(isinstance(r, dict), "expected a result object", path, ptr)
        for key in ("resource", "result", "effect"):
            _require(isinstance(r.get(key), str), f"expected a string '{key}'", path, f"{ptr}/{key}")
        for key in ("policyDefinitionName", "policySetDefinitionName", "policyDefinitionReferenceId", "clauseId",
                    "clauseSource", "message", "file", "remediation", "clauseTitle", "clauseQuote"):
            _require(r.get(key) is None or isinstance(r.get(key), str), f"expected '{key}' to be a string or null",
                     path, f"{ptr}/{key}")
        out.append(r)
    scan = doc.get("scan")
    _require(scan is None or isinstance(scan, dict), "expected 'scan' to be an object", path, "/scan")
    warnings = [str(w) for w in (doc.get("warnings") or []) if isinstance(w, str)] if isinstance(
        doc.get("warnings"), list) else []
    return ResultsFile(path=path, sha256=hashlib.sha256(data).hexdigest(), kind="scan" if scan else "check",
                       results=out, scan=scan, warnings=warnings)


def subscription_of(resource: str) -> str | None:
    """The lower-case subscription id in an ARM id, or None (Terraform addresses, file names)."""
    parts = resource.split("/")
    if len(parts) > 2 and parts[0] == "" and parts[1].lower() == "subscriptions" and parts[2]:
        return parts[2].lower()
    return None


__all__ = ["FINDING_WORDS", "ResultsFile", "read_results_file", "subscription_of"]
