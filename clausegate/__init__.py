"""`python -m clausegate` and `import clausegate`: the distribution's code lives in the `generator` package."""

from generator import __version__

__all__ = ["__version__", "main"]


def main() -> None:
    """Run the clausegate command line."""
    from generator.cli import main as _main

    _main()
