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
    "report": ("generator.cli.report_cmd", "Render evidence per clause (HTML or Markdown) for governance teams."),
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
        from generator.sanitize import SanitizingWriter

        # One sanitising step for everything a command prints (reports, warnings, progress, errors):
        # text from inputs or Azure never reaches the terminal with control sequences in it.
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = SanitizingWriter(sys.stdout), SanitizingWriter(sys.stderr)
        try:
            return self._invoke_mapped(ctx)
        finally:
            sys.stdout, sys.stderr = saved

    def _invoke_mapped(self, ctx: click.Context) -> Any:
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
            # Ctrl-C where no handler of ours runs (an embedding caller): 130, never click's
            # "Aborted!" exit 1, which would read as a finding.
            click.echo("interrupted (SIGINT)", err=True)
            ctx.exit(EXIT_SIGINT)
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
            from generator.sanitize import clean_line

            click.echo(
                f"internal error: {type(exc).__name__}: {clean_line(str(exc))} (rerun with --debug for details)",
                err=True,
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


EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived. A BaseException, so that click does not turn it into "Aborted!"
    (exit 1) and ``except Exception`` blocks do not swallow it, while ``finally`` and
    ``except BaseException`` cleanups (atomic writes, the generate journal) still run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


def install_signal_handlers() -> None:
    """Make SIGINT and SIGTERM raise :class:`Interrupted` in the main thread."""
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, _raise_interrupted)
        except (ValueError, OSError):  # not the main thread, or not supported here
            pass


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 130 on SIGINT and 143 on SIGTERM, whatever was running."""
    install_signal_handlers()
    try:
        cli.main(args=argv, prog_name="clausegate")
    except Interrupted as exc:
        import signal

        name = signal.Signals(exc.signum).name if exc.signum in iter(signal.Signals) else str(exc.signum)
        try:
            sys.stderr.write(f"\ninterrupted ({name})\n")
            sys.stderr.flush()
        except Exception:
            pass
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # pragma: no cover - a handler could not be installed
        sys.exit(EXIT_SIGINT)


__all__ = ["cli", "main", "COMMANDS", "EXIT_BAD_INPUT", "EXIT_SIGINT", "EXIT_SIGTERM", "Interrupted"]
