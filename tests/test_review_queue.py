"""The review queue on its own."""

from __future__ import annotations

import numpy as np

from sim.review_queue import ReviewQueue


def test_reviewers_added_at_a_whole_day_keep_fractional_times():
    # env.now is an int after a whole-day timeout; a saturated day must not round times to ints
    q = ReviewQueue(5, np.random.default_rng(0))
    q.mean_review_days = 0.5
    q.set_tiers([[0, 1, 2, 3]], np.zeros(100, dtype=np.int8))
    q.set_reviewers(3, 5)
    q.enqueue(np.full(100, 5.0), np.arange(100), np.zeros(100, dtype=np.int8))
    rows, starts, finishes = q.serve(5.0, 6.0)
    assert rows.size > 0
    assert starts.dtype == np.float64
    assert (finishes > starts).all()
    assert q.waiting == 100 - rows.size


def _queue_with_idle_reviewers(seed: int) -> ReviewQueue:
    """Two tiers, files already waiting and files arriving today, more reviewers free than files."""
    rng = np.random.default_rng(seed)
    lanes = rng.integers(0, 3, 60).astype(np.int8)  # lane 2 is held
    filed = np.sort(np.concatenate([rng.uniform(3.0, 4.0, 20), rng.uniform(4.0, 5.5, 40)]))
    q = ReviewQueue(3, np.random.default_rng(seed + 1))
    q.mean_review_days = 0.7
    q.set_reviewers(80, 0.0)
    q.set_tiers([[0], [1]], lanes)
    q.enqueue(filed, np.arange(60), lanes)
    return q


def test_idle_day_schedule_equals_the_recursion():
    for seed in range(5):
        fast, exact = _queue_with_idle_reviewers(seed), _queue_with_idle_reviewers(seed)
        for q in (fast, exact):
            q.free[:30] = 4.0 + np.linspace(0.0, 2.0, 30)  # some reviewers still busy into the day
        np.maximum(exact.free, 4.0, out=exact.free)
        want = exact._serve_exact([q for q in exact.queues if len(q)], 5.0)
        fast._serve_exact = None  # the idle-day path must serve this day on its own
        got = fast.serve(4.0, 5.0)
        assert got[0].size > 0
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(np.sort(fast.free), np.sort(exact.free))
        assert fast.waiting == 60 - got[0].size
