"""Sorting inside kernels without numba's generic sorts, whose compile is a cold start's cost."""

from __future__ import annotations

import numpy as np

from sim.core.jit import inline


@inline
def sort_stably(items: np.ndarray, k: int, key: np.ndarray) -> None:
    """Sort ``items[:k]`` by ``key[item]``, equal keys kept in their order (a bottom-up merge sort).

    ``items[:k] = items[:k][np.argsort(key[items[:k]], kind="mergesort")]``, to the element:
    a stable order of given keys is unique. Numba's generic argsort costs about a second of
    every cold compile, in each process that compiles a kernel using it; this, a fraction.
    """
    spare = np.empty(items.size, dtype=np.int64)
    src, dst = items, spare
    width = 1
    while width < k:
        for lo in range(0, k, 2 * width):
            mid, hi = min(lo + width, k), min(lo + 2 * width, k)
            i, j = lo, mid
            for out in range(lo, hi):
                if j >= hi or (i < mid and not key[src[j]] < key[src[i]]):
                    dst[out] = src[i]
                    i += 1
                else:
                    dst[out] = src[j]
                    j += 1
        src, dst = dst, src
        width *= 2
    if src is spare:
        for i in range(k):
            items[i] = spare[i]


@inline
def sort_values(values: np.ndarray, lo: int, hi: int, spare: np.ndarray) -> None:
    """Sort ``values[lo:hi]`` in place, ascending (a bottom-up merge sort; ``spare`` holds ``hi - lo``).

    ``values[lo:hi].sort()`` for values without NaN: the sorted order of numbers is unique
    (0.0 and -0.0, equal, keep their order). Numba's generic sort costs over a second of a cold
    compile in each process that compiles a kernel using it; this, a fraction.
    """
    k = hi - lo
    src, dst = values[lo:hi], spare[:k]
    in_spare = False
    width = 1
    while width < k:
        for start in range(0, k, 2 * width):
            mid, end = min(start + width, k), min(start + 2 * width, k)
            i, j = start, mid
            for out in range(start, end):
                if j >= end or (i < mid and not src[j] < src[i]):
                    dst[out] = src[i]
                    i += 1
                else:
                    dst[out] = src[j]
                    j += 1
        src, dst = dst, src
        in_spare = not in_spare
        width *= 2
    if in_spare:
        for i in range(k):  # a loop, not a slice assignment: that compiles numba's shape check
            values[lo + i] = spare[i]
