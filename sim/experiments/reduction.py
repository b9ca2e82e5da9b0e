"""Daily quantiles of a run on a remote Dask cluster, reduced on this machine's cores.

A ``--series quantiles`` run reduces its chunk files to daily quantiles when the last chunk is
in: exact quantiles need every replication's value of a day, so this step cannot start sooner.
Local runs hand it to their own worker pool. A remote cluster's workers may not see this disk,
so a remote run reduces here, and before this module it did so in the main process alone: a
serial tail holding one series across every replication (~110 MB at 100,000).

It now reduces on a pool of fresh processes started with ``spawn``, one series each at a time,
as many as the run's ``workers`` (the command line caps them at the cores, as for local runs).
Not forked: the main process holds the Dask client's threads (its event loop, possibly still
running after the client closed), and a child forked from a threaded process inherits any lock
another thread held at that instant, locked forever. A spawned child starts a new interpreter
and imports only what it runs: this module (kept light: no model, no kernels) and
:mod:`sim.results.series_store`, ~0.2 s and ~30 MB. ``python -m sim``'s ``__main__`` is guarded,
so a child spawned from the ``tradesim`` command never runs the command again.

The reduction is the same function on the same files as everywhere else, each series is
independent, and the quantile file keeps the series' order, so the bytes are those of a local
run (``tests/test_large_runs.py``).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

#: prctl option (linux/prctl.h)
_PR_SET_PDEATHSIG = 1


def exit_with_parent(parent_pid: int | None) -> None:
    """Have the kernel kill this process when its parent dies (Linux ``PR_SET_PDEATHSIG``).

    A run's main process killed with SIGKILL cannot stop its workers; without this they kept
    simulating, orphaned. If the parent died before the request took effect, exit now.
    Elsewhere than Linux this does nothing (the pool's workers notice a lost parent when
    they next read their queue).
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux with glibc
        return
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def start_reducer(parent_pid: int) -> None:
    """A reducing process ignores Ctrl-C (the main process stops the run) and dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent_pid)


@contextmanager
def reduction_pool(processes: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``processes`` spawned processes for :meth:`ResultsWriter.reduce_to_quantiles`.

    Started lazily by the pool (a process per task submitted, up to ``processes``), shut down on
    the way out; a series not yet started is cancelled if the run is stopped.
    """
    pool = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_reducer,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
