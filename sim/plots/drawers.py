"""Drawing processes started before a run: matplotlib is imported while the model simulates.

After a warm ``tradesim run`` of 100 replications, importing matplotlib and loading its fonts
took ~0.5 s of the main process before the first figure, on one core while the other idled.
:class:`DrawingProcesses` forks one process at the start of the command, which imports the
charts while the main process is still loading the compiled kernels (one core busy, the other
idle) and then sleeps; the main process never imports matplotlib. Asked for a finished
folder's figures, it reads the folder and draws them as ``tradesim plot FOLDER`` does
(:func:`sim.plots.redraw.redraw`), on one process per core forked from itself (so they inherit
matplotlib already imported): the same code, the same files.
"""

from __future__ import annotations

import io
import multiprocessing
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path

from sim.plots.parallel import ignore_interrupts


class DrawingProcesses:
    """A process that imports matplotlib now and draws a results folder's default figures later.

    Use as a context manager. With one process asked for, or where processes are not forked
    (spawned ones would import everything again), the figures are drawn in this process.
    """

    def __init__(self, processes: int):
        self.processes = max(1, processes)
        self._root: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None

    def __enter__(self) -> DrawingProcesses:
        if self.processes > 1 and multiprocessing.get_start_method() == "fork":
            context = multiprocessing.get_context("fork")
            self._conn, theirs = context.Pipe()
            self._root = context.Process(
                target=_drawing_root, args=(theirs, self.processes), name="tradesim-plots"
            )
            self._root.start()
            theirs.close()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._root is None or self._conn is None:
            return
        with suppress(OSError):  # it died already
            self._conn.send(None)  # done: it exits
        self._root.join(timeout=5)
        if self._root.is_alive():  # still drawing after a Ctrl-C: its own processes die with it
            self._root.terminate()
            self._root.join()
        self._conn.close()

    def default_figures(self, folder: Path, fmt: str = "png") -> list[Path]:
        """The default figures of a run's or a comparison's folder (what ``tradesim plot FOLDER``
        draws), on one process per core."""
        if self._root is None or self._conn is None:
            from sim.plots.redraw import redraw

            return redraw(Path(folder), fmt=fmt)
        self._conn.send((str(folder), fmt))
        try:
            ok, answer = self._conn.recv()
        except EOFError:
            raise RuntimeError("the plotting process died before drawing the figures") from None
        if not ok:
            raise answer
        return answer


def _drawing_root(conn: Connection, processes: int) -> None:
    """Import the charts and load their fonts, then draw each folder asked for until told to stop."""
    ignore_interrupts()
    import matplotlib.pyplot as plt

    from sim.plots import charts
    from sim.plots.redraw import redraw

    with plt.rc_context(charts._STYLE):  # the fonts the charts use, loaded once for every drawing process
        fig, ax = plt.subplots(figsize=(2, 2), layout="constrained")
        ax.set_title("Aa")
        ax.text(0.5, 0.5, "Aa", bbox={"facecolor": "white", "edgecolor": "none"})
        fig.savefig(io.BytesIO(), dpi=100)
        plt.close(fig)
    while True:
        try:
            request = conn.recv()
        except EOFError:  # the command ended
            return
        if request is None:
            return
        folder, fmt = request
        try:
            paths = redraw(Path(folder), fmt=fmt, workers=processes)
            conn.send((True, [path for path in paths if path is not None]))
        except Exception as exc:  # a damaged folder, a full disk: raised in the command, as if drawn there
            try:
                conn.send((False, exc))
            except Exception:  # an error that does not pickle
                conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
