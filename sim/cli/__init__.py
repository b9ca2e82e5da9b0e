"""The ``tradesim`` command (also ``python -m sim``).

Thin by design: each command parses its options, calls one library function and
renders the result; anything the command line does, Python can do with the same
functions (``import sim``, see the notebooks). One module per group of commands:

    ui.py          the app, consoles, options declared once, shared rendering
    run.py         run (and --resume)
    compare.py     compare
    branches.py    branches, reweight
    explore.py     sensitivity, sweep
    uncertainty.py variance, discover
    inspect.py     list, validate, show, sources, diff
    calibrate.py   calibrate
    output.py      plot, report, replay
    workshop.py    play (and its replays)
    tournament.py  tournament
    forecast.py    forecast add, forecast score
    classroom.py   workshop (the game in a class's browsers; web libraries imported only when it runs)
    cache.py       cache (where the compiled model is kept; --clear, --build)

``tradesim --help`` must stay quick: no module here imports numba, scipy,
matplotlib, SALib, dask or pandas at import time (a test checks).
"""

from __future__ import annotations

import sys

# Importing a command module registers its commands, in this order in `tradesim --help`.
# isort: off
import sim.cli.inspect
import sim.cli.calibrate
import sim.cli.run
import sim.cli.compare
import sim.cli.branches
import sim.cli.explore
import sim.cli.uncertainty
import sim.cli.output
import sim.cli.workshop
import sim.cli.tournament
import sim.cli.forecast
import sim.cli.cache  # noqa: F401

# isort: on
from sim.cli.classroom import register as _register_classroom
from sim.cli.ui import app

_register_classroom(app)  # `tradesim workshop`: the game served to a class's browsers

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of ``tradesim`` and ``python -m sim``: never a traceback, unless asked for.

    Commands turn what they expect to go wrong (bad input, a damaged folder, a full disk) into
    one line and exit 2 themselves. Anything else that escapes is a defect: it still gets one
    line (exit 1) naming the error, and ``--debug`` (or ``TRADESIM_DEBUG=1``) shows the traceback.
    """
    import os

    debug = "--debug" in sys.argv[1:] or os.environ.get("TRADESIM_DEBUG") == "1"
    if "--debug" in sys.argv[1:]:
        sys.argv.remove("--debug")
    try:
        app(prog_name="tradesim", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("stopped (Ctrl-C)\n")
        raise SystemExit(130) from None
    except Exception as exc:  # a defect: say it in one line, keep the traceback for --debug
        if debug:
            raise
        from sim.cli.tables import bounded

        sys.stderr.write(
            f"error: {type(exc).__name__}: {bounded(str(exc), 300)}\n"
            "This is a defect in tradesim, not in your input; run the same command with --debug "
            "for the traceback, and report it.\n"
        )
        raise SystemExit(1) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
