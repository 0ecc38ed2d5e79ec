"""Every hostile file class against every command that reads that kind of input.

One test per (input kind, command, class): exit 2, one ``error:`` line naming the file (or, for policy
files, an ``invalid`` result naming it), no traceback, no hang, nothing written. All cases of the module
run in one child process (batch.py) so the hundred of them cost seconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hostile_support import (
    DEFINITION,
    HOSTILE,
    JSON_CLASSES,
    YAML_CLASSES,
    assert_result_refused,
    plan_doc,
    run_batch,
)

SHORT_JSON = ("fifo", "deep-json", "huge-int-json")
SHORT_YAML = ("fifo", "billion-laughs", "python-tag")
BASE = ["eval", "--definition", "definition.json", "--resource", "resource.json"]

# (reader id, bad file's path in the case folder, hostile classes, argv with {bad}, refused as a report?)
READERS: list[tuple[str, str, tuple[str, ...], list[str], bool]] = [
    # Context values stay text as written (a 5,000-digit tag value is text, not a number): no huge-int class.
    ("context-check-yaml", "bad.yaml", tuple(k for k in YAML_CLASSES if k != "huge-int-yaml"),
     ["check", "plan.json", "--context", "{bad}"], False),
    ("context-check-json", "bad.json", JSON_CLASSES, ["check", "plan.json", "--context", "{bad}"], False),
    ("context-eval", "bad.yaml", SHORT_YAML, [*BASE, "--context", "{bad}"], False),
    ("context-test", "bad.yaml", SHORT_YAML, ["test", "suite", "--context", "{bad}"], False),
    ("parameters-eval-yaml", "bad.yaml", YAML_CLASSES, [*BASE, "--parameters", "{bad}"], False),
    ("parameters-eval-json", "bad.json", JSON_CLASSES, [*BASE, "--parameters", "{bad}"], False),
    ("parameters-check", "bad.json", SHORT_JSON, ["check", "plan.json", "--parameters", "{bad}"], False),
    ("assignment-eval", "bad.json", JSON_CLASSES, [*BASE, "--assignment", "{bad}"], False),
    ("assignment-check", "bad.json", SHORT_JSON, ["check", "plan.json", "--assignment", "{bad}"], False),
    ("exemption-eval", "bad.json", JSON_CLASSES,
     [*BASE, "--assignment", "assignment.json", "--exemption", "{bad}"], False),
    ("exemption-check", "bad.json", SHORT_JSON,
     ["check", "plan.json", "--assignment", "assignment.json", "--exemption", "{bad}"], False),
    ("aliases-eval", "bad.json", JSON_CLASSES, [*BASE, "--aliases", "{bad}"], False),
    ("aliases-test", "bad.json", SHORT_JSON, ["test", "suite", "--aliases", "{bad}"], False),
    ("resource-eval", "bad.json", JSON_CLASSES, ["eval", "--definition", "definition.json", "--resource", "{bad}"],
     False),
    ("plan-or-arm-check", "bad.json", JSON_CLASSES, ["check", "{bad}"], False),
    ("tf-json-check", "tf/main.tf.json", ("deep-json", "huge-int-json", "nan-json", "not-utf8", "oversize"),
     ["check", "tf"], False),
    ("pack-generate", "bad.yaml", YAML_CLASSES, ["generate", "--pack", "{bad}", "--out", "out"], False),
    ("pack-clauses", "bad.yaml", SHORT_YAML, ["clauses", "--pack", "{bad}"], False),
    ("catalog-models", "bad.yaml", YAML_CLASSES, ["models", "--catalog", "{bad}"], False),
    ("catalog-generate", "bad.yaml", SHORT_YAML, ["generate", "--catalog", "{bad}", "--out", "out"], False),
    ("manifest-generate", "out/.clausegate-manifest.json", ("deep-json", "huge-int-json", "nan-json"),
     ["generate", "--out", "out"], False),
    ("publish-plan", "bad.json", JSON_CLASSES, ["publish", "--plan", "{bad}"], False),
    ("publish-bundle", "bad.json", SHORT_JSON, ["publish", "--scope", "mg-test", "--pack", "{bad}"], False),
    ("publish-exemption-yaml", "bad.yaml", YAML_CLASSES,
     ["publish", "--scope", "mg-test", "--exemption", "{bad}"], False),
    ("publish-exemption-json", "bad.json", SHORT_JSON, ["publish", "--scope", "mg-test", "--exemption", "{bad}"],
     False),
    ("policy-eval", "bad.json", JSON_CLASSES, ["eval", "--definition", "{bad}", "--resource", "resource.json"], True),
    ("policy-check", "bad.json", SHORT_JSON, ["check", "plan.json", "--policy", "{bad}"], True),
    ("test-case", "suite/tests/bad.json", JSON_CLASSES, ["test", "suite"], True),
]
CASES = [(reader, kind) for reader, _, kinds, _, _ in READERS for kind in kinds]
_SPECS = {r[0]: r for r in READERS}


def _prepare(folder: Path) -> None:
    from hostile_support import ASSIGNMENT, RESOURCE

    folder.mkdir(parents=True)
    (folder / "definition.json").write_text(json.dumps(DEFINITION))
    (folder / "resource.json").write_text(json.dumps(RESOURCE))
    (folder / "plan.json").write_text(json.dumps(plan_doc()))
    (folder / "assignment.json").write_text(json.dumps(ASSIGNMENT))
    suite = folder / "suite"
    (suite / "tests").mkdir(parents=True)
    (suite / "definition.json").write_text(json.dumps(DEFINITION))
    (suite / "tests" / "public.json").write_text(json.dumps(
        {"resource": RESOURCE, "expect": {"result": "match", "effect": "deny"}}))
    (folder / "tf").mkdir()
    (folder / "out").mkdir()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every case of the module, run once in one child process."""
    root = tmp_path_factory.mktemp("readers")
    cases = []
    for reader, kind in CASES:
        _, bad, _, argv, _ = _SPECS[reader]
        folder = root / f"{reader}--{kind}"
        _prepare(folder)
        HOSTILE[kind][0](folder / bad)
        cases.append({"id": f"{reader}--{kind}", "cwd": str(folder), "timeout": 20,
                      "argv": [a.replace("{bad}", bad) for a in argv]})
    try:
        return run_batch(cases, root)
    finally:
        # FIFOs and sparse files go with the folder; nothing else needs keeping.
        shutil.rmtree(root / ".cache", ignore_errors=True)


@pytest.mark.parametrize("reader, kind", CASES, ids=[f"{r}--{k}" for r, k in CASES])
def test_hostile_file_is_refused(results: dict[str, dict[str, Any]], reader: str, kind: str) -> None:
    _, bad, _, _, report = _SPECS[reader]
    assert_result_refused(results[f"{reader}--{kind}"], words=HOSTILE[kind][1], file=Path(bad).name,
                          report=report)
