"""Daily quantiles of a run on a remote Dask cluster, reduced on fresh processes of this machine.

A ``--series quantiles`` run reduces its chunk files to daily quantiles when the last chunk is
in: exact quantiles need every replication's value of a day, so this step cannot start sooner.
Local runs hand it to their own worker pool. A remote cluster's workers may not see this disk,
so a remote run reduces here, and it used to do so in the main process alone: a serial tail
holding one series across every replication (~110 MB at 100,000).

It now reduces on :class:`FreshProcesses`, one series per process at a time, as many processes
as the run's ``workers`` (the command line caps them at the cores, as for local runs). Why not
a ``multiprocessing`` pool:

- forked, a child of the main process inherits the Dask client's threads' locks as they were at
  that instant (its event loop may run on after the client closed): any held one stays held;
- spawned (or from a fork server), each child first runs its parent's main file again, as
  ``__mp_main__``: a script calling ``sim.run(..., dask=ADDRESS)`` without an
  ``if __name__ == "__main__"`` guard would run its whole experiment again in every child (it
  failed, "An attempt has been made to start a new process before the current process has
  finished its bootstrapping phase"; found while measuring this).

A fresh interpreter started with ``python -I -c`` runs nothing of the caller's: it takes the
caller's ``sys.path``, then the function (pickled, as a pool sends it), then one item at a time
over a pipe, and answers each. It imports only this module and what the function needs
(:mod:`sim.results.series_store`: ~0.2 s, ~30 MB). The reduction is the same function on the
same files as everywhere else, each series is independent and the answers come back in the
series' order, so the quantile file has the bytes of a local run (``tests/test_large_runs.py``).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

#: prctl option (linux/prctl.h)
_PR_SET_PDEATHSIG = 1

#: What a fresh process runs: the caller's import path first, then :func:`serve`.
_BOOT = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from sim.experiments.reduction import serve; serve(int(sys.argv[1]))"
)


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


class FreshProcesses:
    """``map(function, items)`` on up to ``processes`` fresh interpreters: a pool's ``map``, with
    the results in the items' order and an item's exception raised here, that never runs the
    caller's main file. A process that dies raises :class:`BrokenProcessPool`, as a pool's does."""

    def __init__(self, processes: int):
        if processes < 1:
            raise ValueError(f"processes (={processes}) must be >= 1")
        self.processes = processes
        self.pids: list[int] = []  # of the processes started by the last map (for tests)

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        todo = list(enumerate(items))
        results: list[Any] = [None] * len(todo)
        failures: dict[int, BaseException] = {}
        lock = threading.Lock()
        children = [_start(function) for _ in range(min(self.processes, len(todo)))]
        self.pids = [child.pid for child in children]

        def drive(child: subprocess.Popen) -> None:
            """Hand this child the next item until none is left (or one failed), then let it go."""
            assert child.stdin is not None and child.stdout is not None
            try:
                while True:
                    with lock:
                        if not todo or failures:
                            return
                        index, item = todo.pop(0)
                    try:
                        pickle.dump((index, item), child.stdin, pickle.HIGHEST_PROTOCOL)
                        child.stdin.flush()
                        answer_index, ok, value = pickle.load(child.stdout)
                    except (OSError, EOFError, pickle.UnpicklingError):
                        with lock:
                            failures[index] = BrokenProcessPool(
                                f"a reducing process (pid {child.pid}) died (killed, or out of memory)"
                            )
                        return
                    with lock:
                        if ok:
                            results[answer_index] = value
                        else:
                            failures[answer_index] = value
            finally:
                _close(child)

        threads = [threading.Thread(target=drive, args=(child,), daemon=True) for child in children]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():  # a short wait at a time: Ctrl-C is seen here at once
                    thread.join(0.1)
        finally:
            for child in children:  # stopped (Ctrl-C here): the children go too
                if child.poll() is None:
                    child.kill()
                child.wait()
        if failures:
            raise failures[min(failures)]
        return results


def _start(function: Callable[[Any], Any]) -> subprocess.Popen:
    """A fresh interpreter (``-I``: no script, no environment's paths) given the path and the function."""
    child = subprocess.Popen(
        [sys.executable, "-I", "-c", _BOOT, str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None
    try:
        pickle.dump(sys.path, child.stdin, pickle.HIGHEST_PROTOCOL)
        pickle.dump(function, child.stdin, pickle.HIGHEST_PROTOCOL)
        child.stdin.flush()
    except OSError:  # died at once: its first item finds it gone
        pass
    return child


def _close(child: subprocess.Popen) -> None:
    """No more items: the child reads the end of its input and exits."""
    for pipe in (child.stdin, child.stdout):
        try:
            if pipe is not None:
                pipe.close()
        except OSError:
            pass


def serve(parent_pid: int) -> None:
    """A fresh process: read the function, then answer each ``(index, item)`` with ``(index, ok,
    result or exception)`` until the input ends. Ctrl-C is the main process's to handle; the
    process dies with it; anything the function prints goes to stderr, not into the answers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent_pid)
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    function = pickle.load(requests)
    while True:
        try:
            index, item = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = (index, True, function(item))
        except Exception as exc:  # the caller raises it, as a pool's map does
            answer = (index, False, exc)
        try:
            payload = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception that does not pickle: its words
            payload = pickle.dumps((index, False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        answers.write(payload)
        answers.flush()
