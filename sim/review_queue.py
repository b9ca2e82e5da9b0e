"""The review queue: reviewers working through files in priority tiers.

This is the queueing engine under :mod:`sim.licensing`, kept apart because it
is pure queueing (it knows nothing of sectors or approvals) and is what the
Erlang C validation exercises. ``c`` reviewers each take an exponential time
per file. Files wait in one first-come-first-served queue per priority tier;
a reviewer who comes free takes the oldest file of the highest tier that has
arrived. Files in lanes that no tier serves are held.

Three ways to serve a day, with the same rules:

* the exact recursion over a heap of reviewer free-times (the Kiefer-Wolfowitz
  form of the multi-server queue), one step per file, under a microsecond each;
* on idle days (more reviewers free at the start of the day than files to
  serve before midnight, the usual state once the backlog has cleared) every
  file starts as soon as the day opens or it is filed, whichever is later:
  the recursion's schedule, draws included, computed in a few array operations;
* on saturated days (every reviewer busy all day with files already waiting,
  the usual state while the backlog is tens of thousands) each reviewer's
  back-to-back start times are drawn in vector rounds and merged in time order;
  then, tier by tier, each file takes the earliest open start at or after its
  filing (a cumulative-maximum recursion, vectorised). If every start finds a
  file, no reviewer idles and this is the schedule the recursion would make;
  if one does not, the day falls back to the recursion. The saturated path
  draws review times per reviewer rather than per file, so the two paths
  differ in which draw goes to which file, not in law.

Each tier's queue is a pair of Python lists with a head index (serving ``k``
files moves the index; the served prefix is cut off now and then). Reviewer
free times are a numpy array between days; only the recursion turns them
into a heap, for the day it runs. Reviewers are interchangeable, so results
depend on the set of free times, never on their order in the array.
"""

from __future__ import annotations

import copy
import heapq
import math
from bisect import bisect_left, bisect_right

import numpy as np


class Fifo:
    """Files waiting in one tier, oldest first: filing times and row numbers.

    Plain lists with a head index, so that serving ``k`` files is one slice and
    an index move rather than ``k`` pops; the served prefix is cut off now and then.
    """

    __slots__ = ("filed", "head", "rows")

    def __init__(self) -> None:
        self.filed: list[float] = []
        self.rows: list[int] = []
        self.head = 0

    def __len__(self) -> int:
        return len(self.filed) - self.head

    def __deepcopy__(self, memo: dict) -> Fifo:
        """A copy for a forked replication: the lists hold numbers only, so shallow copies suffice."""
        twin = Fifo()
        twin.filed, twin.rows, twin.head = self.filed.copy(), self.rows.copy(), self.head
        memo[id(self)] = twin
        return twin

    def extend(self, filed: list[float], rows: list[int]) -> None:
        self.filed.extend(filed)
        self.rows.extend(rows)

    def pending(self) -> tuple[list[float], list[int]]:
        """Filing times and rows of the files still waiting."""
        return self.filed[self.head :], self.rows[self.head :]

    def take(self, k: int) -> list[int]:
        """Remove the ``k`` oldest files; return their rows."""
        head = self.head
        rows = self.rows[head : head + k]
        self.advance(head + k)
        return rows

    def advance(self, head: int) -> None:
        """Mark every file before index ``head`` as served."""
        self.head = head
        if head > 4096 and 2 * head > len(self.filed):
            del self.filed[:head]
            del self.rows[:head]
            self.head = 0


class ReviewQueue:
    """Reviewers and waiting files of one replication."""

    def __init__(self, n_lanes: int, rng: np.random.Generator):
        self.n_lanes = n_lanes
        self.rng = rng
        self.tiers: list[list[int]] = []
        self.queues: list[Fifo] = []
        self.held = Fifo()
        #: when each reviewer is next free (days), in no particular order
        self.free = np.empty(0)
        self.mean_review_days = 1.0
        self._queue_of_lane = np.full(n_lanes, 0, dtype=np.int64)
        self._draws: list[float] = []
        self._pos = 0
        self._waiting = 0  # files in the queues and held

    def __deepcopy__(self, memo: dict) -> ReviewQueue:
        """A copy for a forked replication, without visiting every number of the lists one by one."""
        twin = ReviewQueue.__new__(ReviewQueue)
        memo[id(self)] = twin
        for name, value in vars(self).items():
            if name in ("_heap", "_draws") and value is not None:
                value = value.copy()  # numbers only
            elif name == "tiers":
                value = [tier.copy() for tier in value]
            else:
                value = copy.deepcopy(value, memo)
            setattr(twin, name, value)
        return twin

    # --- configuration ---------------------------------------------------------------------

    @property
    def reviewers(self) -> int:
        return self.free.size

    @property
    def waiting(self) -> int:
        """Files waiting for a reviewer, held files included."""
        return self._waiting

    def set_reviewers(self, n: int, now: float) -> None:
        """Grow or shrink the team; leaving reviewers finish the file in hand."""
        current = self.free.size
        if n > current:
            self.free = np.concatenate([self.free, np.full(n - current, float(now))])
        elif n < current:
            self.free = np.sort(self.free)[current - n :]  # the soonest free leave

    def set_tiers(self, tiers: list[list[int]], lane_of_row: np.ndarray) -> None:
        """Regroup waiting files under a new priority order (lanes in no tier are held)."""
        if tiers == self.tiers:
            return
        old = [q.pending() for q in (*self.queues, self.held)]
        filed = np.array([t for q in old for t in q[0]], dtype=np.float64)
        rows = np.array([r for q in old for r in q[1]], dtype=np.int64)
        order = np.lexsort((rows, filed))
        self.tiers = tiers
        self.queues = [Fifo() for _ in tiers]
        self.held = Fifo()
        self._queue_of_lane = np.full(self.n_lanes, len(tiers), dtype=np.int64)
        for i, tier in enumerate(tiers):
            self._queue_of_lane[tier] = i
        self._waiting = 0
        self.enqueue(filed[order], rows[order], lane_of_row[rows[order]])

    def enqueue(self, filed: np.ndarray, rows: np.ndarray | range, lanes: np.ndarray) -> None:
        """Add files, sorted by filing time, to the queue of their lane's tier."""
        n = filed.size
        if n == 0:
            return
        self._waiting += n
        fifos = [*self.queues, self.held]
        target = self._queue_of_lane[lanes]
        counts = np.bincount(target, minlength=len(fifos)).tolist()
        if n in counts:  # one queue takes them all: no reordering
            fifos[counts.index(n)].extend(filed.tolist(), rows if isinstance(rows, range) else rows.tolist())
            return
        if isinstance(rows, range):
            rows = np.arange(rows.start, rows.stop)
        order = np.argsort(target, kind="stable")
        filed_sorted = filed[order].tolist()
        rows_sorted = rows[order].tolist()
        lo = 0
        for fifo, count in zip(fifos, counts, strict=True):
            if count:
                fifo.extend(filed_sorted[lo : lo + count], rows_sorted[lo : lo + count])
                lo += count

    # --- serving ---------------------------------------------------------------------------

    def serve(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start every file a reviewer can take up in [t0, t1): rows, start and finish times."""
        free = self.free
        if free.size == 0:
            return _EMPTY
        np.maximum(free, t0, out=free)  # reviewers idle since an earlier day are free from t0
        queues = [q for q in self.queues if len(q.filed) > q.head]
        if not queues:
            return _EMPTY
        done = self._serve_saturated(queues, t1)
        if done is None:
            done = self._serve_idle(queues, t0, t1)
        if done is None:
            done = self._serve_exact(queues, t1)
        self._waiting -= done[0].size
        return done

    def _serve_saturated(self, queues: list[Fifo], t1: float):
        """Vectorised day when every reviewer stays busy; None when that does not hold."""
        c = self.reviewers
        waiting = sum(len(q.filed) - q.head for q in queues)
        expected = c * (t1 - float(self.free.min())) / self.mean_review_days
        if waiting < 2 * expected + 16:
            return None
        # Reviewers are interchangeable: hand them out in order of free time, so that the day's
        # schedule depends on when they are free, never on their order in the array.
        free = np.sort(self.free)
        # round after round, every reviewer free before midnight starts a file; those free
        # before midnight are a prefix of the sorted times, and then only the ones just served
        busy = np.arange(int(free.searchsorted(t1)))
        start_parts, finish_parts = [], []
        while busy.size:
            start = free[busy]
            finish = start + self.rng.standard_exponential(busy.size) * self.mean_review_days
            free[busy] = finish
            start_parts.append(start)
            finish_parts.append(finish)
            busy = busy[finish < t1]
        if not start_parts:  # every reviewer busy past midnight: nobody starts today
            return _EMPTY
        if len(start_parts) == 1:
            starts, finishes = start_parts[0], finish_parts[0]
        else:
            starts, finishes = np.concatenate(start_parts), np.concatenate(finish_parts)
        order = np.argsort(starts, kind="stable")
        starts, finishes = starts[order], finishes[order]
        n = starts.size
        if n > waiting:
            return None
        # Tier by tier, file j takes the earliest start still open that is no earlier than
        # its filing and later than file j-1's: k_j = j + cummax(g - j), g = first start >= filed.
        rows = np.empty(n, dtype=np.int64)
        open_slots = np.arange(n)
        open_starts = starts
        taken: list[int] = []
        for i, q in enumerate(queues):
            m = open_slots.size
            if m == 0:
                taken.append(0)
                continue
            count = min(m, len(q))
            filed = np.array(q.filed[q.head : q.head + count], dtype=np.float64)
            j = np.arange(count)
            k = j + np.maximum.accumulate(np.searchsorted(open_starts, filed) - j)
            take = int(np.searchsorted(k, m))
            rows[open_slots[k[:take]]] = q.rows[q.head : q.head + take]
            taken.append(take)
            if i == len(queues) - 1:
                if take < m:  # a reviewer would have sat idle: not a saturated day
                    return None
            elif take:
                keep = np.ones(m, dtype=bool)
                keep[k[:take]] = False
                open_slots = open_slots[keep]
                open_starts = open_starts[keep]
        for q, take in zip(queues, taken, strict=True):
            q.advance(q.head + take)
        self.free = free
        return rows, starts, finishes

    def _serve_idle(self, queues: list[Fifo], t0: float, t1: float):
        """A day with more idle reviewers than files to serve; None when that does not hold.

        While a reviewer is still free at ``t0`` the recursion starts every file at
        ``max(filed, t0)``: first the files already waiting, tier by tier, then the day's
        new files in filing order (ties to the higher tier). This is that schedule, with
        the recursion's draws in the recursion's order.
        """
        free = self.free
        bounds = []  # per tier: head, end of the files filed by t0, end of those filed before t1
        for q in queues:
            arrived = bisect_right(q.filed, t0, q.head)
            bounds.append((q.head, arrived, bisect_left(q.filed, t1, arrived)))
        k = sum(end - head for head, _, end in bounds)
        idle = np.flatnonzero(free <= t0)
        if k > idle.size:
            return None
        waiting_rows: list[int] = []
        new_filed: list[float] = []
        new_rows: list[int] = []
        for q, (head, arrived, end) in zip(queues, bounds, strict=True):
            waiting_rows += q.rows[head:arrived]
            new_filed += q.filed[arrived:end]
            new_rows += q.rows[arrived:end]
        filed = np.array(new_filed, dtype=np.float64)
        rows = np.array(waiting_rows + new_rows, dtype=np.int64)
        if sum(end > arrived for _, arrived, end in bounds) > 1:  # new files of several tiers: merge
            order = np.argsort(filed, kind="stable")
            filed = filed[order]
            rows[len(waiting_rows) :] = rows[len(waiting_rows) :][order]
        starts = np.concatenate([np.full(len(waiting_rows), t0), filed])
        self._ensure_draws(k)
        pos = self._pos
        finishes = starts + np.array(self._draws[pos : pos + k]) * self.mean_review_days
        self._pos = pos + k
        free[idle[:k]] = finishes
        for q, (_, _, end) in zip(queues, bounds, strict=True):
            q.advance(end)
        return rows, starts, finishes

    def _ensure_draws(self, need: int) -> None:
        """At least ``need`` unused review-time draws from ``_pos`` on (drawn 8192 at a time)."""
        pos = self._pos
        if len(self._draws) - pos < need:
            fresh = self.rng.standard_exponential(max(8192, need)).tolist()
            self._draws = self._draws[pos:] + fresh
            self._pos = 0

    def _serve_exact(self, queues: list[Fifo], t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The recursion over a heap of free times, built for the day and kept as an array after."""
        heap = self.free.tolist()
        heapq.heapify(heap)
        rows, starts, finishes = self._recursion(queues, heap, t1)
        self.free = np.array(heap, dtype=np.float64)
        k = len(rows)
        return (
            np.fromiter(rows, np.int64, k),
            np.fromiter(starts, np.float64, k),
            np.fromiter(finishes, np.float64, k),
        )

    def _recursion(
        self, queues: list[Fifo], heap: list[float], t1: float
    ) -> tuple[list[int], list[float], list[float]]:
        """Each reviewer, as it comes free, takes the best file that has arrived."""
        self._ensure_draws(sum(len(q.filed) - q.head for q in queues))
        draws, pos = self._draws, self._pos
        mean = self.mean_review_days
        starts: list[float] = []
        finishes: list[float] = []
        starts_append, finishes_append = starts.append, finishes.append
        replace = heapq.heapreplace
        if len(queues) == 1:  # one tier: plain first come, first served
            q = queues[0]
            filed, head = q.filed, q.head
            off = pos - head
            for i in range(head, len(filed)):
                a = filed[i]
                s = heap[0]
                start = a if a > s else s
                if start >= t1:
                    break
                finish = start + draws[off + i] * mean
                replace(heap, finish)
                starts_append(start)
                finishes_append(finish)
            k = len(starts)
            self._pos = pos + k
            return q.take(k), starts, finishes
        inf = math.inf
        rows: list[int] = []
        filed_of = [q.filed for q in queues]
        rows_of = [q.rows for q in queues]
        heads = [q.head for q in queues]
        ends = [len(f) for f in filed_of]
        tiers = range(len(queues))
        while True:
            s = heap[0]
            chosen = -1
            first_a, first_q = inf, -1
            for t in tiers:
                h = heads[t]
                if h < ends[t]:
                    a = filed_of[t][h]
                    if a <= s:
                        chosen, start = t, s
                        break
                    if a < first_a:
                        first_a, first_q = a, t
            if chosen < 0:
                if first_q < 0:
                    break
                chosen, start = first_q, first_a  # nobody waiting: the next file to arrive
            if start >= t1:
                break
            finish = start + draws[pos] * mean
            pos += 1
            replace(heap, finish)
            h = heads[chosen]
            rows.append(rows_of[chosen][h])
            heads[chosen] = h + 1
            starts_append(start)
            finishes_append(finish)
        self._pos = pos
        for q, h in zip(queues, heads, strict=True):
            q.advance(h)
        return rows, starts, finishes


_EMPTY = (np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))
