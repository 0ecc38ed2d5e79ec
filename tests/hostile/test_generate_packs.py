"""Hostile packs and output paths: a pack that is not valid writes nothing, an output path that cannot
be written is exit 2 "cannot write PATH: reason" (issue 12, items 3 and 4)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gen_support import EXAMPLE_PACK, assert_error, run_cg, snapshot  # noqa: E402

WHERE_ANCHOR = "      - type: Microsoft.CognitiveServices/accounts\n"


def with_where(where: str) -> str:
    text = EXAMPLE_PACK.read_text("utf-8")
    assert WHERE_ANCHOR in text
    return text.replace(WHERE_ANCHOR, WHERE_ANCHOR + f"        where: {where}\n", 1)


BAD_PACKS = {
    "where-not-a-condition": (lambda: with_where("{foo: 1}"), "where is not a valid policy condition"),
    "where-unknown-operator": (lambda: with_where("{field: name, sortOf: x}"), "unknown operator"),
    "expression-does-not-parse": (lambda: with_where("{value: \"[concat('a',)]\", equals: x}"),
                                  "where is not a valid policy condition"),
    "nan-default": (lambda: EXAMPLE_PACK.read_text("utf-8") + "\nx-extra: .nan\n", "not finite"),
    "inf-in-where": (lambda: with_where("{field: name, equals: .inf}"), "not finite"),
    "huge-float": (lambda: with_where("{field: name, equals: 1.0e+999}"), "not finite"),
    "category-too-long": (lambda: EXAMPLE_PACK.read_text("utf-8").replace(
        "category: ", "category: " + "C" * 300 + " ", 1), "category must be usable as a folder name"),
    "category-with-slash": (lambda: EXAMPLE_PACK.read_text("utf-8").replace(
        "category: ", "category: ../../escape/", 1), "category must be usable as a folder name"),
}


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    proc = run_cg("generate", "--pack", EXAMPLE_PACK, "--target", "policy-json", "--target", "terraform",
                  "--target", "epac", "--target", "arm", "--out", root)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.parametrize("kind", sorted(BAD_PACKS))
def test_an_invalid_pack_writes_nothing(existing: Path, tmp_path: Path, kind: str) -> None:
    make, message = BAD_PACKS[kind]
    text = make()
    if kind == "nan-default":  # a parameter default, where a number is allowed by the schema
        text = EXAMPLE_PACK.read_text("utf-8")
        assert "parameters:\n" in text
        text = text.replace("parameters:\n", "parameters:\n  ratio: {type: Integer, displayName: R, description: R, "
                                             "default: .nan}\n", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, "utf-8")
    before = snapshot(tmp_path, exclude=bad)
    for root in (existing, tmp_path / "fresh"):
        proc = run_cg("generate", "--pack", bad, "--target", "policy-json", "--target", "terraform",
                      "--target", "epac", "--target", "arm", "--out", root)
        line = assert_error(proc, 2, message)
        assert "bad.yaml" in line  # the file (and line) is named
        assert snapshot(tmp_path, exclude=bad) == before
    assert not (tmp_path / "fresh").exists()


def test_check_refuses_an_invalid_pack_too(existing: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(with_where("{foo: 1}"), "utf-8")
    assert_error(run_cg("generate", "--pack", bad, "--out", existing, "--check"), 2, "where")


@pytest.mark.parametrize(("out", "reason"), [
    ("/proc/self/clausegate-out", "/proc is a kernel interface"),
    ("/sys/kernel/clausegate-out", "/sys is a kernel interface"),
    ("{tmp}/file/sub", "is not a folder"),
    ("{tmp}/" + "n" * 300, "file name too long"),
    ("{tmp}/file", "not a folder"),
])
def test_an_output_root_that_cannot_be_written_is_exit_2(tmp_path: Path, out: str, reason: str) -> None:
    (tmp_path / "file").write_text("x", "utf-8")
    before = snapshot(tmp_path)
    target = out.format(tmp=tmp_path)
    line = assert_error(run_cg("generate", "--pack", EXAMPLE_PACK, "--out", target), 2, "cannot write", reason)
    assert target[:60] in line
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_output_folder_is_exit_2(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert_error(run_cg("generate", "--pack", EXAMPLE_PACK, "--out", ro / "out"), 2, "cannot write",
                     "not writable")
    finally:
        ro.chmod(0o755)


def test_check_output_path_for_files() -> None:
    from generator.errors import InputError
    from generator.fsio import check_output_path

    for path, reason in (("/nonexistent-dir/x.json", "does not exist"), ("/proc/version", "/proc"),
                         ("/", "is a folder"), ("a\0b", "NUL")):
        with pytest.raises(InputError, match="cannot write .*" + reason.replace("/", ".")):
            check_output_path(path)
