"""Options shared by several commands, so that every command spells them the same way."""

from __future__ import annotations

from typing import Any, Callable

import click

RESULT_FAIL_CHOICES = ("deny", "audit", "undetermined", "error")
FORMAT_CHOICES = ("text", "json", "sarif", "junit")

F = Callable[..., Any]


def format_option(choices: tuple[str, ...] = FORMAT_CHOICES, default: str = "text") -> Callable[[F], F]:
    """``--format`` with the formats a command supports (one report; for commands that do not report results)."""
    return click.option(
        "--format", "output_format", type=click.Choice(choices), default=default, show_default=True,
        help="Output format.",
    )


def _refuse_output(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None:
        hint = (f"'{value}' is a format: use -o {value}" if value in FORMAT_CHOICES
                else f"use --output-file {value}")
        raise click.UsageError(f"--output is not an option any more ({hint}; -o/--format FORMAT chooses the "
                               f"format, --output-file PATH the file)", ctx=ctx)
    return value


def output_options(choices: tuple[str, ...] = FORMAT_CHOICES) -> Callable[[F], F]:
    """``-o/--format`` (repeatable), ``--output-file``, ``--output-dir``, ``--quiet``, ``--explain`` (CONTRACTS)."""
    def decorate(f: F) -> F:
        f = click.option("--output", "legacy_output", hidden=True, expose_value=False, callback=_refuse_output,
                         is_eager=True, metavar="FILE")(f)
        f = click.option("--explain", is_flag=True, default=None,
                         help="Show every condition of the trace, not only those that decided.")(f)
        f = click.option("--quiet", "-q", is_flag=True, default=None,
                         help="Print nothing on standard error (no summary, no warnings).")(f)
        f = click.option("--output-dir", "output_dir", type=click.Path(file_okay=False), metavar="DIR",
                         help="Write one report per --format, as DIR/clausegate.<ext>.")(f)
        f = click.option("--output-file", "output_file", type=click.Path(dir_okay=False), metavar="PATH",
                         help="Write the report (one --format) to PATH instead of standard output.")(f)
        f = click.option("--format", "-o", "formats", type=click.Choice(choices), multiple=True,
                         help=f"Report format (repeatable with --output-dir; default text): {', '.join(choices)}.")(f)
        return f
    return decorate


def output_spec(formats: tuple[str, ...], output_file: str | None, output_dir: str | None,
                quiet: bool | None, explain: bool | None) -> Any:
    """The OutputSpec the options ask for."""
    from generator.report.emit import OutputSpec

    return OutputSpec(formats=tuple(formats) or ("text",), output_file=output_file, output_dir=output_dir,
                      quiet=bool(quiet), explain=bool(explain))


def fail_on_option(f: F) -> F:
    """``--fail-on`` (repeatable): which findings make the exit code 1 (default: deny matches and errors in deny policies)."""
    return click.option(
        "--fail-on", "fail_on", type=click.Choice(RESULT_FAIL_CHOICES + ("none",)), multiple=True,
        help="What fails the run (repeatable; default: deny matches and evaluation errors in deny policies; "
             "none: soft fail, exit 0 unless the input is bad or a failure occurs).",
    )(f)


def context_options(f: F) -> F:
    """``--context FILE`` and ``--subscription-tag K=V`` (CONTRACTS.md, context file)."""
    f = click.option(
        "--subscription-tag", "subscription_tags", multiple=True, metavar="K=V",
        help="Subscription tag for every subscription (repeatable); shorthand for '*' in the context file.",
    )(f)
    f = click.option(
        "--context", "context_file", type=click.Path(dir_okay=False, exists=True),
        help="Context file (JSON or YAML) with subscription and resource-group tags.",
    )(f)
    return f


def parse_key_values(values: tuple[str, ...], option: str) -> dict[str, str]:
    """Parse ``K=V`` items; a missing ``=`` is a usage error (exit 2)."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected K=V, got {item!r}", param_hint=option)
        out[key] = value
    return out


def config_option(f: F) -> F:
    """``--config FILE``: the settings file (default: .clausegate.yaml found upward, within the repository)."""
    return click.option("--config", "config_path", type=click.Path(dir_okay=False), metavar="FILE",
                        help="Settings file (default: .clausegate.yaml in this folder or above, up to the "
                             "repository root). Command-line options win.")(f)


def given_options(ctx: click.Context) -> set[str]:
    """Names of the options given on the command line (they win over the settings file)."""
    from click.core import ParameterSource

    return {name for name in ctx.params if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE}
