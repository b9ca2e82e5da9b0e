"""``python -m sim`` is the same program as the ``tradesim`` command.

Guarded: a process that imports this file under another name (a ``spawn``ed child preparing
its parent's main module, ``runpy.run_path``) must not run the command again.
"""

from sim.cli import main

if __name__ == "__main__":
    main()
