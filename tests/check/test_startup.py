"""Start-up cost of `check`: the shipped pack and catalog skip JSON Schema only while their text is the validated one."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from generator.errors import PackError

PACK = "microsoft-aoai-law-enforcement"
PLAN = Path(__file__).resolve().parents[2] / "examples" / "check" / "plan-nested-modules" / "plan.json"


def _pack_text() -> str:
    return (resources.files("generator.packs") / PACK / "pack.yaml").read_text("utf-8")


def test_recorded_pack_digest_is_current_and_the_pack_validates_in_full() -> None:
    from generator.pack.loader import parse_pack, validated_digest
    from generator.packs import VALIDATED_DIGEST

    recorded = (resources.files("generator.packs") / PACK / VALIDATED_DIGEST).read_text("utf-8").strip()
    # After editing pack.yaml or pack.schema.json: validate, then write validated_digest(text) to the file.
    assert recorded == validated_digest(_pack_text()), f"update generator/packs/{PACK}/{VALIDATED_DIGEST}"
    parse_pack(_pack_text(), "pack.yaml")  # the full JSON Schema pass


def test_recorded_catalog_digest_is_current_and_the_catalog_validates_in_full() -> None:
    from generator.pack.catalog import CATALOG_DIGEST, _default_catalog_path, _load_catalog, catalog_digest

    text = (resources.files("generator.pack") / "data" / "models.yaml").read_text("utf-8")
    schema = (resources.files("generator.pack") / "schema" / "catalog.schema.json").read_text("utf-8")
    recorded = (resources.files("generator.pack") / "data" / CATALOG_DIGEST).read_text("utf-8").strip()
    assert recorded == catalog_digest(text, schema), f"update generator/pack/data/{CATALOG_DIGEST}"
    assert _load_catalog(_default_catalog_path()).entries  # by path: always the full schema pass


def test_shipped_pack_with_another_text_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.pack.loader as loader
    from generator.packs import microsoft_aoai_law_enforcement

    calls: list[Any] = []
    real = loader._schema_error
    monkeypatch.setattr(loader, "_schema_error", lambda *a: calls.append(a) or real(*a))
    microsoft_aoai_law_enforcement()
    assert calls == []  # digest matches: schema pass skipped
    monkeypatch.setattr(loader, "validated_digest", lambda _text: "0" * 64)  # as if the text had been edited
    microsoft_aoai_law_enforcement()
    assert len(calls) == 1


def test_user_pack_files_are_always_schema_validated(tmp_path: Path) -> None:
    from generator.pack import load_pack

    path = tmp_path / "pack.yaml"
    path.write_text(_pack_text() + "\nnotAPackField: 1\n", encoding="utf-8")
    with pytest.raises(PackError, match="schema violation"):
        load_pack(str(path))


def test_checking_a_plan_imports_neither_jsonschema_nor_lark() -> None:
    code = (
        "import sys\n"
        "from generator.cli import cli\n"
        f"try:\n    cli.main(['check', {str(PLAN)!r}], standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('jsonschema', 'lark', 'importlib.metadata') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_checking_a_folder_with_templates_never_loads_python_hcl2(tmp_path: Path) -> None:
    # python-hcl2 (its Lark grammar) is the reference for what the other front ends hand on; a folder
    # they read whole, heredoc templates and -var values included, never loads it
    (tmp_path / "main.tf").write_text(
        'variable "n" {\n  type = number\n}\n'
        'resource "azurerm_cognitive_deployment" "d" {\n  for_each = toset(["a", "b"])\n  name = "d-${each.key}"\n'
        '  cognitive_account_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/x"\n'
        '  rai_policy_name = <<-EOT\n    p-${each.key}-${var.n}\n    EOT\n'
        '  model {\n    format = "OpenAI"\n    name = "gpt-4o"\n    version = "1"\n  }\n}\n', "utf-8")
    code = (
        "import sys\n"
        "from generator.terraform.tfconfig import read_directory\n"
        f"result = read_directory({str(tmp_path)!r}, variables={{'n': '3'}})\n"
        "print(sorted(r.values['rai_policy_name'] for r in result.resources))\n"
        "print(sorted(m for m in sys.modules if 'hcl2' in m))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-2] == "['p-a-3\\n', 'p-b-3\\n']", out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
