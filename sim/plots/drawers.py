"""Drawing processes started before a run: matplotlib is imported while the model simulates.

See :class:`DrawingProcesses`; the figures are drawn as :mod:`sim.plots.parallel` draws them.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from pathlib import Path

from sim.plots.parallel import FigureJob, ignore_interrupts


class DrawingProcesses:
    """Processes started before a run, which import matplotlib while it simulates, then draw its figures.

    After a warm ``tradesim run`` of 100 replications, importing matplotlib and loading its fonts
    took ~0.5 s of the main process before the first figure. Forked at the start of the command,
    these processes do that while the main process is still loading the compiled kernels (one
    core busy, the other idle) and then sleep; the main process never imports matplotlib. Each
    reads the finished results folder itself and draws the default figures it is handed, with
    the same code as :func:`sim.plots.charts.draw_default_plots`, so the files are the same.
    Use as a context manager; without ``fork`` (or with one process) it draws in this process.
    """

    def __init__(self, processes: int):
        self.processes = max(1, processes)
        self._pool: ProcessPoolExecutor | None = None
        self._calls = 0

    def __enter__(self) -> DrawingProcesses:
        if self.processes > 1 and multiprocessing.get_start_method() == "fork":
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=_start_ready_drawer
            )
            self._pool.submit(int)  # forks every process now (a fork pool starts them all at once)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def default_figures(self, folder: Path, fmt: str = "png") -> list[Path]:
        """The default figures of the results folder ``folder``, drawn on these processes."""
        if self._pool is None:
            from sim.plots.charts import draw_default_plots
            from sim.results.folder import read_results

            return draw_default_plots(read_results(folder), fmt)
        self._calls += 1
        key = (str(folder), fmt, self._calls)  # each call reads the folder afresh
        weights = self._pool.submit(_default_weights, key).result()
        heaviest_first = sorted(range(len(weights)), key=lambda i: -weights[i])
        futures = {i: self._pool.submit(_draw_default, key, i) for i in heaviest_first}
        return [path for path in (futures[i].result() for i in range(len(weights))) if path is not None]


def _start_ready_drawer() -> None:
    """Ignore Ctrl-C (the parent stops the command), die with the parent, import the charts and
    load the fonts they use."""
    import ctypes
    import io
    import signal

    ignore_interrupts()
    # a parent killed with SIGKILL takes these idle processes with it (Linux ``PR_SET_PDEATHSIG``);
    # elsewhere they notice the lost parent at their next task
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL, 0, 0, 0)
    import matplotlib.pyplot as plt

    from sim.plots import charts

    with plt.rc_context(charts._STYLE):
        fig, ax = plt.subplots(figsize=(2, 2), layout="constrained")
        ax.set_title("Aa")
        ax.text(0.5, 0.5, "Aa", bbox={"facecolor": "white", "edgecolor": "none"})
        fig.savefig(io.BytesIO(), dpi=100)
        plt.close(fig)


#: The default figure jobs of the folder last asked for, in this drawing process.
_DEFAULT: dict[tuple[str, str, int], list[FigureJob]] = {}


def _default_jobs(key: tuple[str, str, int]) -> list[FigureJob]:
    if key not in _DEFAULT:
        from sim.plots.charts import default_plot_jobs
        from sim.results.folder import read_results

        _DEFAULT.clear()
        _DEFAULT[key] = default_plot_jobs(read_results(Path(key[0])), key[1])
    return _DEFAULT[key]


def _default_weights(key: tuple[str, str, int]) -> list[float]:
    return [job.weight for job in _default_jobs(key)]


def _draw_default(key: tuple[str, str, int], index: int) -> Path | None:
    return _default_jobs(key)[index].draw()
