"""Start-up stays light: no Azure SDK, no plugin and no engine module imported by --help."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from generator.cli import COMMANDS, cli


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True,
    ).stdout
    return set(out.split())


def test_help_lists_every_command_without_importing_them() -> None:
    mods = _modules_after("from generator.cli import main\nimport sys\nsys.argv=['clausegate','--help']\n"
                          "try:\n    main()\nexcept SystemExit:\n    pass")
    assert not any(m.startswith("azure") for m in mods)
    assert not any(m.startswith("generator.cli.") and m != "generator.cli.options" for m in mods)
    assert "jinja2" not in mods and "hcl2" not in mods


def test_import_generator_is_light() -> None:
    mods = _modules_after("import generator")
    assert not any(m.startswith(("azure", "click", "jinja2", "hcl2", "yaml")) for m in mods)


def test_help_output_names_all_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_unknown_command_is_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
