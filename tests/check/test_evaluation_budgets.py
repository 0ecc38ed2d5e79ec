"""Untrusted configurations are data, not code (issue 12 item 7): file functions and module sources stay
inside the configuration folder, and evaluation budgets turn runaway inputs into exit 2 naming the place,
never a hang, a MemoryError or a RecursionError."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.check.conftest import report_of, run_check

US = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=US"]

ACCOUNT = """
resource "azurerm_cognitive_account" "a" {{
  name                = "acct"
  location            = "eastus"
  resource_group_name = "rg"
  kind                = "OpenAI"
  sku_name            = "S0"
  tags                = {{ leak = {expr} }}
}}
"""


def _dir(tmp_path: Path, main: str, **files: str) -> Path:
    root = tmp_path / "cfg"
    root.mkdir(exist_ok=True)
    (root / "main.tf").write_text(main, "utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    return root


@pytest.mark.parametrize("expr", [
    'file("/proc/self/environ")',
    'file("/etc/hostname")',
    'file("../secret.txt")',
    'file("${path.module}/../secret.txt")',
    'file("link/secret.txt")',
    'filebase64("../secret.txt")',
    'templatefile("../secret.txt", {})',
    'join(",", fileset("..", "*"))',
    'tostring(fileexists("../secret.txt"))',
    'filesha256("../secret.txt")',
])
def test_files_outside_the_configuration_are_never_read(tmp_path: Path, expr: str) -> None:
    (tmp_path / "secret.txt").write_text("TOP-SECRET-TOKEN", "utf-8")
    root = _dir(tmp_path, ACCOUNT.format(expr=expr))
    (root / "link").symlink_to(tmp_path)
    result = run_check([str(root), *US, "--format", "json", "--all"])
    assert result.exit_code in (0, 1), result.output
    assert "TOP-SECRET-TOKEN" not in result.output
    report = report_of(result)
    assert any("outside the configuration folder" in w for w in report["warnings"]), report["warnings"]
    from generator.terraform.tfconfig import read_directory

    res = read_directory(root).resources[0]
    from generator.engine.values import UNKNOWN

    assert res.values["tags"]["leak"] is UNKNOWN


def test_files_inside_the_configuration_are_read(tmp_path: Path) -> None:
    root = _dir(tmp_path, ACCOUNT.format(expr='trimspace(file("${path.module}/conf/value.txt"))'),
                **{"conf/value.txt": "inside\n"})
    from generator.terraform.tfconfig import read_directory

    assert read_directory(root).resources[0].values["tags"] == {"leak": "inside"}


@pytest.mark.parametrize(("main", "words"), [
    ('locals {\n  big = range(1000000000)\n}\n' + ACCOUNT.format(expr="length(local.big)"), "range()"),
    ('locals {\n  big = setproduct(range(1000), range(1000), range(1000))\n}\n' + ACCOUNT.format(expr="length(local.big)"),
     "setproduct()"),
    ('resource "azurerm_resource_group" "many" {\n  count    = 100000000\n  name     = "rg"\n  location = "eastus"\n}\n',
     "count ="),
    (ACCOUNT.format(expr='format("%0999999999d", 1)'), "width"),
    (ACCOUNT.format(expr='strrev(join("", [for i in range(100000) : "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]))'),
     "string"),
    ('locals {\n' + "".join(f'  s{i} = "${{local.s{i + 1}}}${{local.s{i + 1}}}"\n' for i in range(40))
     + '  s40 = "xxxxxxxxxxxxxxxx"\n}\n' + ACCOUNT.format(expr="local.s0"), "string"),
    ('locals {\n  x = [for a in range(100000) : [for b in range(100000) : a * b]]\n}\n' + ACCOUNT.format(expr="length(local.x)"),
     "steps"),
    ('module "self" {\n  source = "./"\n}\n' + ACCOUNT.format(expr='"x"'), "nest"),
    ('locals {\n' + "".join(f"  l{i} = local.l{i + 1} + 1\n" for i in range(3000)) + "  l3000 = 0\n}\n"
     + ACCOUNT.format(expr="local.l0"), "nest too deeply"),
    (ACCOUNT.format(expr='yamldecode("a: &a [x,x,x,x,x,x,x,x,x]\\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\\n'
                         'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\\n'
                         'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\\n")'), "yamldecode()"),
])
def test_budgets_are_bad_input_naming_the_place(tmp_path: Path, main: str, words: str) -> None:
    root = _dir(tmp_path, main)
    result = run_check([str(root), *US])
    assert result.exit_code == 2, result.output
    err = result.stderr if hasattr(result, "stderr") else result.output
    assert "main.tf:" in err and words in err, err
    assert "Traceback" not in result.output and len(err.strip().splitlines()) == 1, err


def test_a_backtracking_regex_runs_in_linear_time(tmp_path: Path) -> None:
    # (a+)+$ over a long run of a's and a b backtracks for ever in a backtracking engine; RE2 is linear
    expr = 'can(regex("(a+)+$", "' + "a" * 5000 + 'b"))'
    from generator.terraform.tfconfig import read_directory

    res = read_directory(_dir(tmp_path, ACCOUNT.format(expr=expr))).resources[0]
    assert res.values["tags"] == {"leak": False}
