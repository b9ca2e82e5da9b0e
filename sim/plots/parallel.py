"""Drawing several figures at once, one per process: a run's default plots on every core.

A run's default figures took ~3.6 s of one core after 100 replications, drawn one after
another while the other core idled (matplotlib's layout, ticks and PNG encoding are
single-threaded Python and C). Each figure reads only the saved results folder and writes
only its own file, so they can be drawn in separate processes: forked from this one, they
inherit the results already read and matplotlib already imported, and each draws the
figures it is handed, heaviest first (longest processing time first keeps the processes
finishing together). The figures are drawn by the same code as one after another, so the
files are the same.

Serial (in this process) when one process is asked for, when there is one figure, when the
platform does not fork (spawned processes would import everything again), and inside
:func:`sim.plots.charts.kept_figures`, whose figures must come back to this process
(the charts ask for one process there).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FigureJob:
    """One figure to draw: a call that draws and writes it, and its cost relative to a fan chart."""

    draw: Callable[[], Path | None]
    weight: float = 1.0


#: The jobs of the figures being drawn, inherited by forked processes (tasks carry an index only).
_JOBS: list[FigureJob] = []


def _draw(index: int) -> Path | None:
    return _JOBS[index].draw()


def ignore_interrupts() -> None:
    """A drawing process leaves Ctrl-C to its parent, which waits for the figures under way, and dies
    with it (Linux ``PR_SET_PDEATHSIG``: a parent killed with SIGKILL takes it along; elsewhere it
    notices the lost parent at its next task)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with suppress(OSError, AttributeError):  # not Linux with glibc
        ctypes.CDLL("libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _start_drawing() -> None:
    """A drawing process: Ctrl-C left to its parent, one figure per shape reused for every chart it draws."""
    from sim.plots.render import reuse_figures_from_now

    ignore_interrupts()
    reuse_figures_from_now()


#: prctl option (linux/prctl.h)
_PR_SET_PDEATHSIG = 1


def draw_figures(jobs: list[FigureJob], workers: int = 1) -> list[Path | None]:
    """Draw every job, on up to ``workers`` processes; the paths come back in the jobs' order."""
    from sim.plots.render import figures_reused

    processes = min(workers, len(jobs))
    if processes <= 1 or multiprocessing.get_start_method() != "fork":
        with figures_reused():
            return [job.draw() for job in jobs]
    global _JOBS
    _JOBS = list(jobs)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_drawing) as pool:
            heaviest_first = sorted(range(len(jobs)), key=lambda i: -jobs[i].weight)
            futures = {i: pool.submit(_draw, i) for i in heaviest_first}
            return [futures[i].result() for i in range(len(jobs))]
    finally:
        _JOBS = []
