"""Options and glue for reading Azure from the CLI: ``check --from-azure`` (and ``--cloud``/``--tenant``)."""

from __future__ import annotations

from typing import Any, Callable

import click

F = Callable[..., Any]
CLOUD_CHOICES = ("AzureCloud", "AzureUSGovernment", "AzureChinaCloud")


def _set_retry_budget(_ctx: click.Context, _param: click.Parameter, value: float | None) -> None:
    if value is not None:
        from generator.azure.clients import configure_retry_budget

        configure_retry_budget(value)


def retry_budget_option(f: F) -> F:
    """``--retry-budget SECONDS``: total time a run may spend retrying Azure's server errors."""
    return click.option("--retry-budget", type=click.FloatRange(min=0), metavar="SECONDS", default=None,
                        expose_value=False, callback=_set_retry_budget, is_eager=True,
                        help="Total seconds a run may spend retrying Azure server errors (5xx, dropped "
                             "connections) before it reports them (default 20).")(f)


def cloud_options(f: F) -> F:
    """``--tenant``, ``--cloud`` (as publish spells them) and ``--retry-budget``."""
    f = retry_budget_option(f)
    f = click.option("--cloud", type=click.Choice(CLOUD_CHOICES),
                     help="Azure cloud (default: AZURE_CLOUD, else AzureCloud).")(f)
    f = click.option("--tenant", metavar="T", help="Microsoft Entra tenant to sign in to.")(f)
    return f


def from_azure_options(f: F) -> F:
    """``--from-azure`` and its settings; they reach the command as keyword arguments (``azure_opts``)."""
    from generator.azure.cache import DEFAULT_TTL

    f = click.option("--refresh", is_flag=True, help="With --from-azure: ignore the cache and read Azure again.")(f)
    f = click.option("--cache-ttl", "cache_ttl", type=click.IntRange(min=0), default=DEFAULT_TTL, show_default=True,
                     metavar="SECONDS", help="With --from-azure: how long read facts stay valid (0: no cache).")(f)
    f = click.option("--cache-dir", "cache_dir", type=click.Path(file_okay=False), metavar="DIR",
                     help="With --from-azure: cache folder (default: $CLAUSEGATE_CACHE_DIR, else "
                          "~/.cache/clausegate).")(f)
    f = cloud_options(f)
    f = click.option("--from-azure", "from_azure", is_flag=True,
                     help="Read the target subscriptions' and resource groups' tags, and the policy assignments and "
                          "exemptions in force there, from Azure (needs Reader).")(f)
    return f
