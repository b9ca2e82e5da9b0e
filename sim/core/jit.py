"""Compiled inner loops: one place that says how the model's kernels are compiled.

A replication advances day by day, and each day does a little work on each of
tens of thousands of licence files, a few hundred plants and a few hundred
shipping lots. Written as numpy calls that is hundreds of calls on small
arrays a day, and the fixed cost of each call, not the arithmetic, is what a
replication costs (see ``benchmarks/bench_model.py``). The kernels that do a
subsystem's day in one call are compiled with numba instead.

Kernels are compiled without ``fastmath``, so they do the same IEEE arithmetic,
in the same order, as the Python they replace, and give the same numbers on
every machine. ``cache=True`` keeps the compiled code on disk (in the user's cache folder, see
below), so only the first process of a user pays the compile time;
``sim.model.replication.warm_up`` compiles (or loads) every kernel, which a parent process calls
before starting its workers.

Numba checks a cached kernel against its own source file only: a kernel that
calls one from another module (``sim.model.licensing.review._advance`` calls
``sim.model.licensing.queue.serve_day``) kept the old callee after an edit of that
module alone. So the cache lives in a folder named after a hash of every source the
kernels may depend on (``sim/core`` and ``sim/model``, ``sim.core.version.source_hash``):
``tradesim-numba-HASH/`` in the user's cache folder, or in ``NUMBA_CACHE_DIR`` if that is set
(``sim.core.kernel_cache`` says where, and how a cold cache is compiled on the idle cores at
once). Any edit there starts a fresh cache, compiled once; the cache of other code is never used.

Calling a kernel costs a fixed fraction of a microsecond per array argument
(numba checks and wraps each one), which adds up for a kernel that takes a
subsystem's whole state. A subsystem may therefore keep arrays of one shape in
one packed array and pass that; ``PackedRow`` keeps each row's name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

from sim.core import kernel_cache
from sim.core.kernel_cache import WarmUp

# Set before numba reads its configuration (and again below, if something imported numba first).
_CACHE_DIR = os.environ["NUMBA_CACHE_DIR"] = str(kernel_cache.cache_dir())

import numba  # after NUMBA_CACHE_DIR is set
import numpy as np

numba.config.CACHE_DIR = _CACHE_DIR

F = TypeVar("F", bound=Callable[..., Any])

#: Kernels registered with their warm-up call, by name.
_WARM_UPS: dict[str, WarmUp] = {}


def kernel(func: F) -> F:
    """Compile ``func`` as a numba kernel: no Python objects, cached on disk, no fast-math."""
    return numba.njit(cache=True, nogil=True, fastmath=False)(func)  # type: ignore[return-value]


def inline(func: F) -> F:
    """Compile ``func`` for calls from kernels only, inlined into each caller.

    For small helpers. Inlining saves the call, not the reference counting of
    the arrays a helper receives: in a loop over tens of thousands of files a
    helper that takes arrays cost as much again as its work (measured), so the
    hottest loops (``sim.model.licensing.queue.serve_day``, the filing and deciding in
    ``sim.model.licensing.review._advance``) are written out instead.
    """
    return numba.njit(inline="always", nogil=True, fastmath=False)(func)  # type: ignore[return-value]


def on_warm_up(
    name: str, compile_s: float, group: str | None = None
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a function that calls a module's kernels once on tiny inputs (see ``warm_up``).

    ``compile_s``: its compile time on a cold cache, CPU seconds (``benchmarks/bench_startup.py
    --kernels`` measures it), used to share a cold compile among processes. ``group``: warm-ups
    that compile each other's kernels (one calls a kernel of the other) name one group and are
    compiled in one process.
    """

    def register(func: Callable[[], None]) -> Callable[[], None]:
        _WARM_UPS[name] = WarmUp(name, func, compile_s, group or name)
        return func

    return register


def warm_up_named(name: str) -> None:
    """Run one registered warm-up (a compiling child process runs its share by name)."""
    _WARM_UPS[name].func()


def run_warm_ups() -> None:
    """Compile, or load from the disk cache, each kernel imported so far.

    On a cold cache the warm-ups are first shared among processes, one per core
    (``sim.core.kernel_cache.compile_in_processes``), and this process then loads what the others
    compiled. ``sim.model.replication.warm_up`` imports every subsystem first, so that all the
    model's kernels are registered; this module stays below the model and never imports it.
    """
    warm_ups = list(_WARM_UPS.values())
    folder = Path(_CACHE_DIR)
    if not kernel_cache.is_ready(folder):
        kernel_cache.compile_in_processes(warm_ups)
    for w in warm_ups:
        w.func()
    kernel_cache.mark_ready(folder)


class PackedRow:
    """An attribute that is one row of a packed array attribute: ``stock = PackedRow("_plants", 0)``.

    Reading gives a view of row ``row`` of ``obj.<table>``; assigning copies into
    that row. Only the packed array is stored on the instance, so ``copy.deepcopy``
    (``Replication.fork``) copies it once and the copy's rows are views of the copy.
    """

    def __init__(self, table: str, row: int):
        self.table = table
        self.row = row

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> PackedRow: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> np.ndarray: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> np.ndarray | PackedRow:
        if obj is None:
            return self
        return getattr(obj, self.table)[self.row]

    def __set__(self, obj: object, value: np.ndarray | float) -> None:
        getattr(obj, self.table)[self.row] = value
