"""The review queue: reviewers working through files in priority tiers.

This is the queueing engine under :mod:`sim.licensing`, kept apart because it
is pure queueing (it knows nothing of sectors or approvals) and is what the
Erlang C validation exercises. ``c`` reviewers each take an exponential time
per file. Files wait in one first-come-first-served queue per priority tier;
a reviewer who comes free takes the oldest file of the highest tier that has
arrived. Files in lanes that no tier serves are held.

Two ways to serve a day, with the same rules:

* the exact recursion over a heap of reviewer free-times (the Kiefer-Wolfowitz
  form of the multi-server queue), one step per file, under a microsecond each;
* on saturated days (every reviewer busy all day with files already waiting,
  the usual state while the backlog is tens of thousands) each reviewer's
  back-to-back start times are drawn in vector rounds and merged in time order;
  then, tier by tier, each file takes the earliest open start at or after its
  filing (a cumulative-maximum recursion, vectorised). If every start finds a
  file, no reviewer idles and this is the schedule the recursion would make;
  if one does not, the day falls back to the recursion. The saturated path
  draws review times per reviewer rather than per file, so the two paths
  differ in which draw goes to which file, not in law.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from itertools import islice

import numpy as np

Queue = tuple[deque[float], deque[int]]  # (filing times, row numbers), oldest first


class ReviewQueue:
    """Reviewers and waiting files of one replication."""

    def __init__(self, n_lanes: int, rng: np.random.Generator):
        self.n_lanes = n_lanes
        self.rng = rng
        self.tiers: list[list[int]] = []
        self.queues: list[Queue] = []
        self.held: Queue = (deque(), deque())
        self.free_at: list[float] = []  # heap: when each reviewer is next free
        self.mean_review_days = 1.0
        self._queue_of_lane = np.full(n_lanes, 0, dtype=np.int64)
        self._draws: list[float] = []
        self._pos = 0

    # --- configuration ---------------------------------------------------------------------

    @property
    def reviewers(self) -> int:
        return len(self.free_at)

    @property
    def waiting(self) -> int:
        """Files waiting for a reviewer, held files included."""
        return sum(len(q[0]) for q in self.queues) + len(self.held[0])

    def set_reviewers(self, n: int, now: float) -> None:
        """Grow or shrink the team; leaving reviewers finish the file in hand."""
        current = len(self.free_at)
        if n > current:
            for _ in range(n - current):
                heapq.heappush(self.free_at, now)
        elif n < current:
            self.free_at = sorted(self.free_at)[current - n :]  # the soonest free leave
            heapq.heapify(self.free_at)

    def set_tiers(self, tiers: list[list[int]], lane_of_row: np.ndarray) -> None:
        """Regroup waiting files under a new priority order (lanes in no tier are held)."""
        if tiers == self.tiers:
            return
        old = [*self.queues, self.held]
        filed = np.fromiter((t for q in old for t in q[0]), dtype=np.float64)
        rows = np.fromiter((r for q in old for r in q[1]), dtype=np.int64)
        order = np.lexsort((rows, filed))
        self.tiers = tiers
        self.queues = [(deque(), deque()) for _ in tiers]
        self.held = (deque(), deque())
        self._queue_of_lane = np.full(self.n_lanes, len(tiers), dtype=np.int64)
        for i, tier in enumerate(tiers):
            self._queue_of_lane[tier] = i
        self.enqueue(filed[order], rows[order], lane_of_row[rows[order]])

    def enqueue(self, filed: np.ndarray, rows: np.ndarray, lanes: np.ndarray) -> None:
        """Add files, sorted by filing time, to the queue of their lane's tier."""
        if filed.size == 0:
            return
        target = self._queue_of_lane[lanes]
        order = np.argsort(target, kind="stable")
        bounds = np.searchsorted(target[order], np.arange(len(self.queues) + 2))
        filed_sorted = filed[order].tolist()
        rows_sorted = rows[order].tolist()
        for i, (q_filed, q_rows) in enumerate([*self.queues, self.held]):
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            if hi > lo:
                q_filed.extend(filed_sorted[lo:hi])
                q_rows.extend(rows_sorted[lo:hi])

    # --- serving ---------------------------------------------------------------------------

    def serve(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start every file a reviewer can take up in [t0, t1): rows, start and finish times."""
        heap = self.free_at
        if not heap:
            return _EMPTY
        if heap[0] < t0:  # reviewers idle since an earlier day are free from t0
            idle = 0
            while heap and heap[0] < t0:
                heapq.heappop(heap)
                idle += 1
            for _ in range(idle):
                heapq.heappush(heap, t0)
        queues = [q for q in self.queues if q[0]]
        if not queues:
            return _EMPTY
        done = self._serve_saturated(queues, t1)
        if done is not None:
            return done
        rows, starts, finishes = self._serve_exact(queues, t1)
        if not rows:
            return _EMPTY
        return np.array(rows, dtype=np.int64), np.array(starts), np.array(finishes)

    def _serve_saturated(self, queues: list[Queue], t1: float):
        """Vectorised day when every reviewer stays busy; None when that does not hold."""
        c = len(self.free_at)
        waiting = sum(len(q[0]) for q in queues)
        expected = c * (t1 - self.free_at[0]) / self.mean_review_days
        if waiting < 2 * expected + 16:
            return None
        free = np.array(self.free_at)
        start_parts, finish_parts = [], []
        while True:
            busy_today = np.flatnonzero(free < t1)
            if busy_today.size == 0:
                break
            start = free[busy_today]
            finish = start + self.rng.standard_exponential(busy_today.size) * self.mean_review_days
            free[busy_today] = finish
            start_parts.append(start)
            finish_parts.append(finish)
        if not start_parts:  # every reviewer busy past midnight: nobody starts today
            return _EMPTY
        starts = np.concatenate(start_parts)
        order = np.argsort(starts, kind="stable")
        starts, finishes = starts[order], np.concatenate(finish_parts)[order]
        n = starts.size
        if n > waiting:
            return None
        # Tier by tier, file j takes the earliest start still open that is no earlier than
        # its filing and later than file j-1's: k_j = j + cummax(g - j), g = first start >= filed.
        rows = np.empty(n, dtype=np.int64)
        open_slots = np.arange(n)
        taken: list[int] = []
        for q_filed, q_rows in queues:
            m = open_slots.size
            if m == 0:
                taken.append(0)
                continue
            count = min(m, len(q_filed))
            filed = np.fromiter(islice(q_filed, count), dtype=np.float64, count=count)
            j = np.arange(count)
            k = j + np.maximum.accumulate(np.searchsorted(starts[open_slots], filed) - j)
            take = int(np.searchsorted(k, m))
            rows[open_slots[k[:take]]] = np.fromiter(islice(q_rows, take), np.int64, count=take)
            open_slots = np.delete(open_slots, k[:take])
            taken.append(take)
        if open_slots.size:  # a reviewer would have sat idle: not a saturated day
            return None
        for (q_filed, q_rows), take in zip(queues, taken, strict=False):
            for _ in range(take):
                q_filed.popleft()
                q_rows.popleft()
        self.free_at = free.tolist()
        heapq.heapify(self.free_at)
        return rows, starts, finishes

    def _more_draws(self, pos: int) -> tuple[list[float], int, int]:
        fresh = self.rng.standard_exponential(8192).tolist()
        self._draws = self._draws[pos:] + fresh
        return self._draws, 0, len(self._draws)

    def _serve_exact(self, queues: list[Queue], t1: float):
        """The recursion: each reviewer, as it comes free, takes the best file that has arrived."""
        heap, draws, pos = self.free_at, self._draws, self._pos
        n_draws = len(draws)
        mean = self.mean_review_days
        rows: list[int] = []
        starts: list[float] = []
        finishes: list[float] = []
        replace = heapq.heapreplace
        if len(queues) == 1:  # one tier: plain first come, first served
            q_filed, q_rows = queues[0]
            while q_filed:
                a = q_filed[0]
                s = heap[0]
                start = a if a > s else s
                if start >= t1:
                    break
                if pos == n_draws:
                    draws, pos, n_draws = self._more_draws(pos)
                q_filed.popleft()
                finish = start + draws[pos] * mean
                pos += 1
                replace(heap, finish)
                rows.append(q_rows.popleft())
                starts.append(start)
                finishes.append(finish)
            self._pos = pos
            return rows, starts, finishes
        inf = math.inf
        while True:
            s = heap[0]
            chosen = None
            first_a, first_q = inf, None
            for q in queues:
                q_filed = q[0]
                if q_filed:
                    a = q_filed[0]
                    if a <= s:
                        chosen, start = q, s
                        break
                    if a < first_a:
                        first_a, first_q = a, q
            if chosen is None:
                if first_q is None:
                    break
                chosen, start = first_q, first_a  # nobody waiting: the next file to arrive
            if start >= t1:
                break
            if pos == n_draws:
                draws, pos, n_draws = self._more_draws(pos)
            chosen[0].popleft()
            finish = start + draws[pos] * mean
            pos += 1
            replace(heap, finish)
            rows.append(chosen[1].popleft())
            starts.append(start)
            finishes.append(finish)
        self._pos = pos
        return rows, starts, finishes


_EMPTY = (np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))
