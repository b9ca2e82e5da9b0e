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
