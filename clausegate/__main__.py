"""`python -m clausegate`."""

from generator.cli import main

main()
