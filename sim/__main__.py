"""``python -m sim`` is the same program as the ``tradesim`` command."""

from sim.cli import main

main()
