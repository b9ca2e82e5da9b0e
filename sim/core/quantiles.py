"""Quantiles of a large sample without sorting or partitioning it: numpy's numbers, in one pass.

A replication reports the median and 90th percentile wait of ~100,000 licence
files. ``np.quantile`` partitions the whole sample for that, which cost more
than a millisecond a replication, a few percent of the whole model. Here the
values are counted into bins (a monotone map, so the bins are in value order),
the bins holding the wanted ranks are found from the counts, and only their
few values are sorted. The interpolation between order statistics is numpy's
``linear`` method, done as numpy does it, so the results are equal to
``np.quantile`` to the bit (a test compares them on samples with ties,
repeated values and every small size).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.core.jit import kernel, on_warm_up
from sim.core.sorting import sort_values

#: bins of the counting pass: a few values per bin for the samples the model reports on
_BINS = 4096


def quantiles(values: np.ndarray, levels: Sequence[float]) -> list[float]:
    """``np.quantile(values, levels)`` (linear interpolation) for a 1-D float sample without NaN."""
    n = values.size
    if n == 0:
        return [math.nan] * len(levels)
    below, gammas = [], []
    for q in levels:
        virtual = (n - 1) * float(q)  # numpy's linear method, as numpy computes it
        floor = math.floor(virtual)
        below.append(floor)
        gammas.append(virtual - floor)
    ranks = sorted({min(max(r, 0), n - 1) for b in below for r in (b, b + 1)})
    found = _order_statistics(values, np.array(ranks, dtype=np.int64), _BINS)
    at = dict(zip(ranks, found.tolist(), strict=True))
    out = []
    for b, gamma in zip(below, gammas, strict=True):
        lo, hi = at[min(max(b, 0), n - 1)], at[min(max(b + 1, 0), n - 1)]
        diff = hi - lo
        out.append(hi - diff * (1.0 - gamma) if gamma >= 0.5 else lo + diff * gamma)  # numpy's _lerp
    return out


@kernel
def _order_statistics(values: np.ndarray, ranks: np.ndarray, bins: int) -> np.ndarray:
    """The values at positions ``ranks`` (ascending) of ``values`` sorted, by counting into bins."""
    low, high = values[0], values[0]
    for x in values:
        low = min(low, x)
        high = max(high, x)
    out = np.empty(ranks.size)
    if high == low:
        for i in range(ranks.size):
            out[i] = low
        return out
    scale = bins / (high - low)
    counts = np.zeros(bins, dtype=np.int64)
    for x in values:
        counts[min(int((x - low) * scale), bins - 1)] += 1
    # the bin of each rank, and how many values lie in the bins before it
    bin_of = np.empty(ranks.size, dtype=np.int64)
    before = np.empty(ranks.size, dtype=np.int64)
    seen, b = 0, 0
    for i in range(ranks.size):
        while seen + counts[b] <= ranks[i]:
            seen += counts[b]
            b += 1
        bin_of[i], before[i] = b, seen
    # the members of those bins, bin after bin, in one more pass
    start = np.empty(bins, dtype=np.int64)
    for k in range(bins):
        start[k] = -1
    size = 0
    for i in range(ranks.size):
        if start[bin_of[i]] < 0:
            start[bin_of[i]] = size
            size += counts[bin_of[i]]
    members = np.empty(size)
    filled = np.zeros(bins, dtype=np.int64)
    for x in values:
        k = min(int((x - low) * scale), bins - 1)
        if start[k] >= 0:
            members[start[k] + filled[k]] = x
            filled[k] += 1
    spare = np.empty(size)
    for i in range(ranks.size):
        first = start[bin_of[i]]
        if filled[bin_of[i]] > 0:  # sort each bin once
            sort_values(members, first, first + counts[bin_of[i]], spare)
            filled[bin_of[i]] = 0
        out[i] = members[first + ranks[i] - before[i]]
    return out


@on_warm_up("quantiles", compile_s=0.9)
def _warm_up() -> None:
    """Compile (or load) the kernel with the types ``quantiles`` passes."""
    _order_statistics(np.array([3.0, 1.0, 2.0]), np.array([0, 1], dtype=np.int64), 4)
