"""The review queue on its own: the compiled recursion against a plain reference."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest

from sim.model.licensing.queue import ReviewQueue


def test_reviewers_added_at_a_whole_day_keep_fractional_times():
    # env.now is an int after a whole-day timeout; a busy day must not round times to ints
    q = ReviewQueue(5, np.random.default_rng(0))
    q.mean_review_days = 0.5
    q.set_tiers([[0, 1, 2, 3]])
    q.set_reviewers(3, 5)
    q.enqueue(np.full(100, 5.0), 0, np.zeros(100, dtype=np.int8))
    rows, starts, finishes = q.serve(5.0, 6.0)
    assert rows.size > 0
    assert starts.dtype == np.float64
    assert (finishes > starts).all()
    assert q.waiting == 100 - rows.size


def reference_schedule(filed, lanes, tiers, reviewers, draws, mean, t_end):
    """The priority multi-server recursion written plainly: one heap, a scan of every waiting file.

    A reviewer coming free takes the oldest arrived file of the highest tier; if none has
    arrived, the earliest file to arrive (ties to the higher tier). Review times are
    ``draws`` in start order.
    """
    tier_of = {lane: t for t, tier in enumerate(tiers) for lane in tier}
    waiting = [i for i in range(filed.size) if int(lanes[i]) in tier_of]
    heap = [0.0] * reviewers
    out = {}
    k = 0
    while waiting:
        s = heap[0]
        arrived = [i for i in waiting if filed[i] <= s]
        if arrived:
            i = min(arrived, key=lambda j: (tier_of[int(lanes[j])], filed[j], j))
            start = s
        else:
            i = min(waiting, key=lambda j: (filed[j], tier_of[int(lanes[j])], j))
            start = filed[i]
        if start >= t_end:
            break
        finish = start + draws[k] * mean
        k += 1
        heapq.heapreplace(heap, finish)
        waiting.remove(i)
        out[i] = (start, finish)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_compiled_recursion_matches_the_reference_however_days_are_cut(seed):
    rng = np.random.default_rng(seed)
    n, days, mean = 300, 6, 0.4
    filed = np.sort(rng.uniform(0.0, days, n))
    lanes = rng.integers(0, 4, n).astype(np.int8)  # lane 3 is held
    tiers = [[int(rng.integers(0, 3))]]
    tiers.append([lane for lane in range(3) if lane not in tiers[0]])
    reviewers = int(rng.integers(2, 40))
    draws = np.random.default_rng(100 + seed).standard_exponential(10 * n)
    want = reference_schedule(filed, lanes, tiers, reviewers, draws, mean, float(days))

    for cuts in ([0, days], list(range(days + 1)), [0, 1, 3, days]):
        q = ReviewQueue(4, np.random.default_rng(100 + seed))
        q.mean_review_days = mean
        q.set_tiers(tiers)
        q.set_reviewers(reviewers, 0.0)
        got = {}
        for t0, t1 in itertools.pairwise(cuts):
            today = (filed >= t0) & (filed < t1)
            first = int(np.argmax(today)) if today.any() else 0
            q.enqueue(filed[today], first, lanes[today])
            rows, starts, finishes = q.serve(float(t0), float(t1))
            got |= {int(r): (s, f) for r, s, f in zip(rows, starts, finishes, strict=True)}
        assert got.keys() == want.keys()
        for row, (start, finish) in want.items():
            assert got[row] == pytest.approx((start, finish), abs=1e-12)
        held = int((lanes == 3).sum())
        assert q.waiting == n - len(got)
        assert q.waiting >= held
