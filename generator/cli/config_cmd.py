"""``clausegate config``: the settings file and the effective settings."""

from __future__ import annotations

import click

from generator.cli.options import config_option


@click.group("config")
def command() -> None:
    """Show the settings .clausegate.yaml (or --config) gives, merged with the defaults."""


@command.command("show")
@config_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(config_path: str | None, output_format: str) -> None:
    """Print each effective setting of `check` and where it comes from (file:line, default)."""
    from generator.config import show_settings

    click.echo(show_settings(config_path, output_format), nl=False)


@command.command("schema")
def schema() -> None:
    """Print the JSON Schema of .clausegate.yaml (for editors)."""
    import json

    from generator.report import load_schema

    click.echo(json.dumps(load_schema("config"), indent=2))
