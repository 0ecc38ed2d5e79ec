"""The ``clausegate`` command: a root group whose subcommands are imported only when run."""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from generator import __version__
from generator.errors import EXIT_BAD_INPUT, EXIT_FAILURE, ClausegateError

# name -> (module holding `command`, one-line help). The help text lives here so that
# `clausegate --help` lists every command without importing any of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("generator.cli.generate", "Render clause packs to policy JSON, Terraform and other targets."),
    "clauses": ("generator.cli.clauses", "List clauses, their sources and the policies enforcing each."),
    "models": ("generator.cli.models", "Show the model catalog and how each model is classified."),
    "eval": ("generator.cli.eval_cmd", "Evaluate policy definitions against ARM resource JSON."),
    "test": ("generator.cli.test_cmd", "Run policy unit tests kept as files."),
    "check": ("generator.cli.check", "Check Terraform plans, HCL or ARM JSON against the policies."),
    "exempt": ("generator.cli.exempt", "Write a policy exemption (reason and expiry required) for a finding."),
    "config": ("generator.cli.config_cmd", "Show the effective settings from .clausegate.yaml and the command line."),
    "publish": ("generator.cli.publish", "Publish a pack's definitions, set and assignment to Azure."),
    "scan": ("generator.cli.scan", "Scan existing Azure resources against the policies."),
    "aliases": ("generator.cli.aliases", "Manage the Azure Policy alias cache."),
    "plugins": ("generator.cli.plugins_cmd", "List installed clause packs and targets."),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use and maps errors to exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        return module.command  # type: ignore[no-any-return]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ClausegateError as exc:
            click.echo(f"error: {exc}", err=True)
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            raise
        except BrokenPipeError:
            # The reader went away (`clausegate ... | head`): nothing more can be shown, so stop
            # quietly; point stdout at /dev/null so the interpreter's final flush cannot fail again.
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_FAILURE)
        except Exception as exc:  # unexpected: one line plus a hint, traceback only on --debug
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", err=True
            )
            ctx.exit(EXIT_FAILURE)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="clausegate")
@click.option("--debug", is_flag=True, help="Show tracebacks and SDK logs (secrets stay redacted).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """clausegate: restriction clauses of AI service terms as enforced Azure Policy guardrails."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="clausegate")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)


__all__ = ["cli", "main", "COMMANDS", "EXIT_BAD_INPUT"]
