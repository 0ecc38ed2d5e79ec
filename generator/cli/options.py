"""Options shared by several commands, so that every command spells them the same way."""

from __future__ import annotations

from typing import Any, Callable

import click

RESULT_FAIL_CHOICES = ("deny", "audit", "undetermined", "error")
FORMAT_CHOICES = ("text", "json", "sarif", "junit")

F = Callable[..., Any]


def format_option(choices: tuple[str, ...] = FORMAT_CHOICES, default: str = "text") -> Callable[[F], F]:
    """``--format`` with the formats a command supports."""
    return click.option(
        "--format", "output_format", type=click.Choice(choices), default=default, show_default=True,
        help="Output format.",
    )


def fail_on_option(f: F) -> F:
    """``--fail-on`` (repeatable): which findings make the exit code 1 (default: deny matches and errors in deny policies)."""
    return click.option(
        "--fail-on", "fail_on", type=click.Choice(RESULT_FAIL_CHOICES), multiple=True,
        help="What fails the run (repeatable; default: deny matches and evaluation errors in deny policies).",
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


def read_data_file(path: str | None) -> Any:
    """Read a JSON (or YAML) data file; errors name the file and line (InputError, exit 2)."""
    if path is None:
        return None
    from generator.safeload import load_json_or_yaml

    return load_json_or_yaml(path)


def load_context(context_file: str | None, subscription_tags: tuple[str, ...]) -> Any:
    """Build the Context from ``--context`` and ``--subscription-tag`` (which wins over the file's '*')."""
    from generator.context import Context

    context = Context.load(context_file) if context_file else Context.empty()
    tags = parse_key_values(subscription_tags, "--subscription-tag")
    return context.with_subscription_tags(tags) if tags else context
