"""load_policy_files: files, folders, arrays, ARM lists, roots, bad paths."""

from __future__ import annotations

import pytest

from generator.engine.evaluator import load_policy_files
from generator.engine.policytest import judge
from generator.errors import InputError
from policy_layer.helpers import face_definition, law_set, vision_definition, write


def test_array_and_arm_list_documents(tmp_path) -> None:
    write(tmp_path / "many.json", [vision_definition("a"), vision_definition("b")])
    write(tmp_path / "list.json", {"value": [vision_definition("c")]})
    lib = load_policy_files([tmp_path])
    assert sorted(d.name for d in lib.definitions) == ["a", "b", "c"]
    assert lib.find_definition("/providers/Microsoft.Authorization/policyDefinitions/B").name == "b"


def test_missing_path_is_bad_input(tmp_path) -> None:
    with pytest.raises(InputError) as err:
        load_policy_files([tmp_path / "nope"])
    assert err.value.exit_code == 2 and "nope" in str(err.value)


def test_roots_set_members_from_folder_not_evaluated_twice(tmp_path) -> None:
    write(tmp_path / "defs" / "vision.json", vision_definition())
    write(tmp_path / "defs" / "face.json", face_definition())
    write(tmp_path / "defs" / "unrelated.json", vision_definition("unrelated"))
    s = write(tmp_path / "set.json", law_set())
    lone = write(tmp_path / "lone.json", vision_definition("lone"))
    lib = load_policy_files([tmp_path / "defs", s, lone])
    names = [r.name for r in lib.roots()]
    # the set, plus the definition named as a file; folder definitions are the set's member source
    assert names == ["law-set", "lone"]
    assert [r.name for r in load_policy_files([tmp_path / "defs"]).roots()] == ["deny-face", "unrelated",
                                                                                "deny-vision"]


def test_judge_set_expectations() -> None:
    results = [
        {"result": "match", "effect": "deny", "policyDefinitionName": "a", "policyDefinitionReferenceId": "x",
         "policySetDefinitionName": "s"},
        {"result": "no-match", "effect": "audit", "policyDefinitionName": "b", "policyDefinitionReferenceId": "y",
         "policySetDefinitionName": "s"},
    ]
    assert judge({"result": "match", "effect": "deny"}, results)[0]
    assert not judge({"result": "match", "effect": "audit"}, results)[0]
    assert not judge({"result": "no-match"}, results)[0]
    assert judge({"result": "no-match", "effect": "audit"}, results)[0]
    assert judge({"result": "no-match", "policyDefinitionReferenceId": "y"}, results)[0]
    ok, got = judge({"result": "not-applicable"}, results)
    assert not ok and got == "match deny (s/x); 1 no-match"
