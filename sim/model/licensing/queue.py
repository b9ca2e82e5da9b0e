"""The review queue: reviewers working through files in priority tiers.

This is the queueing engine under :mod:`sim.model.licensing.review`, kept apart because it
is pure queueing (it knows nothing of sectors or approvals) and is what the
Erlang C validation exercises. ``c`` reviewers each take an exponential time
per file. Files wait first come, first served within a priority tier (a group
of lanes); a reviewer who comes free takes the oldest file of the highest tier
that has arrived, and if none has, the next file to arrive (ties to the higher
tier). Files in lanes that no tier serves are held until a policy serves them.

Serving is the exact recursion over the reviewers' free times (the
Kiefer-Wolfowitz form of the multi-server queue): the reviewer free soonest
takes the next file, starting when both are ready, and is free again one
exponential review time later. One step per file, compiled (``sim.core.jit``): tens
of nanoseconds a file, where the same recursion in Python costs a microsecond
and vectorised shortcuts for busy and idle days cost hundreds of microseconds a
day in numpy calls. Review times come from the queue's own stream, drawn in
blocks and used one per started file in start order; numpy's generators give
the same sequence however it is cut into blocks, so a schedule never depends
on how the horizon is cut into days or into calls.

Storage, all numpy arrays so that a replication deep-copies (a fork) and
pickles: each lane keeps its waiting files (filing time, row number) in filing
order in one row of two lane-by-slot arrays, between a head and a tail index; a
tier's oldest file is the oldest of its lanes' heads, so regrouping lanes into
new tiers (a policy change) moves no file. Reviewer free times are a 4-ary
min-heap. Reviewers are interchangeable, so results depend on the set of free
times, never on their order in the array.

The compiled functions take the queue as the tuple ``ReviewQueue.arrays()``,
so that :mod:`sim.model.licensing.review` can file, serve and decide days in one compiled
call (``push`` and ``serve_day`` below); ``ReviewQueue.serve`` serves a day on
its own, for tests and validation.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from sim.core.jit import inline, kernel, on_warm_up

#: review times drawn at a time from the queue's stream
DRAW_BLOCK = 8192
#: children per node of the reviewers' free-time heap: four halves the levels of a binary heap,
#: and sifting through them costs about half as much (fewer unpredictable branches)
HEAP_ARITY = 4
#: slots of ``ReviewQueue.counters``
DRAW_POS, WAITING = 0, 1
#: how a call of ``serve_day`` ended
DONE, FULL, NO_DRAWS = 0, 1, 2


class ReviewQueue:
    """Reviewers and waiting files of one replication."""

    def __init__(self, n_lanes: int, rng: np.random.Generator, capacity: int = 1024):
        self.n_lanes = n_lanes
        self.rng = rng
        self.tiers: list[list[int]] = []
        #: lanes of each tier, highest priority first, padded with -1
        self.tier_lanes = np.full((0, n_lanes), -1, dtype=np.int64)
        #: waiting files by lane: filing times and row numbers, slots head..tail-1 in filing order
        self.lane_filed = np.empty((n_lanes, capacity))
        self.lane_rows = np.empty((n_lanes, capacity), dtype=np.int64)
        self.head = np.zeros(n_lanes, dtype=np.int64)
        self.tail = np.zeros(n_lanes, dtype=np.int64)
        #: when each reviewer is next free (days), a min-heap with HEAP_ARITY children per node
        self.free = np.empty(0)
        #: mean review time (days), in an array so that compiled code reads it with the rest
        self.mean = np.ones(1)
        self.draws = np.empty(0)  # standard exponential review times, used from counters[DRAW_POS] on
        #: the next unused draw, and files waiting (held ones included)
        self.counters = np.zeros(2, dtype=np.int64)

    def __deepcopy__(self, memo: dict) -> ReviewQueue:
        """A copy holding only the waiting files, each lane's from its first slot (a fork of the model).

        The served slots before ``head`` are dropped, as ``make_room`` drops them: nothing reads a
        slot outside ``head..tail``, so the copy serves the same files in the same order, and a
        fork copies the few waiting files instead of every slot the lanes have room for.
        """
        twin = ReviewQueue.__new__(ReviewQueue)
        memo[id(self)] = twin
        for name, value in vars(self).items():
            if name not in ("lane_filed", "lane_rows", "head", "tail"):
                setattr(twin, name, copy.deepcopy(value, memo))
        waiting = self.tail - self.head
        twin.lane_filed = np.empty_like(self.lane_filed)
        twin.lane_rows = np.empty_like(self.lane_rows)
        for lane in range(self.n_lanes):
            k, h = int(waiting[lane]), int(self.head[lane])
            twin.lane_filed[lane, :k] = self.lane_filed[lane, h : h + k]
            twin.lane_rows[lane, :k] = self.lane_rows[lane, h : h + k]
        twin.head = np.zeros_like(self.head)
        twin.tail = waiting.astype(np.int64)
        return twin

    def arrays(self) -> tuple:
        """The queue as compiled code takes it (see ``push`` and ``next_start``)."""
        return (
            self.free,
            self.tier_lanes,
            self.lane_filed,
            self.lane_rows,
            self.head,
            self.tail,
            self.draws,
            self.mean,
            self.counters,
        )

    # --- configuration ---------------------------------------------------------------------

    @property
    def reviewers(self) -> int:
        return self.free.size

    @property
    def waiting(self) -> int:
        """Files waiting for a reviewer, held files included."""
        return int(self.counters[WAITING])

    @property
    def mean_review_days(self) -> float:
        return float(self.mean[0])

    @mean_review_days.setter
    def mean_review_days(self, days: float) -> None:
        self.mean[0] = days

    def set_reviewers(self, n: int, now: float) -> None:
        """Grow or shrink the team; leaving reviewers finish the file in hand.

        The soonest free leave. A sorted array is a valid heap, so the heap is rebuilt by sorting.
        """
        current = self.free.size
        if n > current:
            self.free = np.sort(np.concatenate([self.free, np.full(n - current, float(now))]))
        elif n < current:
            self.free = np.sort(self.free)[current - n :]

    def set_tiers(self, tiers: list[list[int]]) -> None:
        """Serve lanes in this priority order from now on (lanes in no tier are held)."""
        self.tiers = [list(t) for t in tiers]
        table = np.full((len(tiers), self.n_lanes), -1, dtype=np.int64)
        for i, tier in enumerate(tiers):
            table[i, : len(tier)] = tier
        self.tier_lanes = table

    # --- room for compiled code ------------------------------------------------------------

    def has_room(self, files: int) -> bool:
        """Whether ``files`` more files fit in their lanes without moving anything."""
        return int(self.tail.max()) + files <= self.lane_filed.shape[1]

    def make_room(self, files: int) -> None:
        """Room for ``files`` more files in any lane: drop served slots, and grow if still short."""
        if self.has_room(files):
            return
        head, tail = self.head, self.tail
        waiting = tail - head
        slots = self.lane_filed.shape[1]
        need = int(waiting.max()) + files
        if 2 * need > slots:  # keep room for as many again, so that this is seldom needed
            slots = max(2 * need, 2 * slots)
        filed = np.empty((self.n_lanes, slots))
        rows = np.empty((self.n_lanes, slots), dtype=np.int64)
        for lane in range(self.n_lanes):  # drop the served slots at the front
            k = int(waiting[lane])
            filed[lane, :k] = self.lane_filed[lane, head[lane] : tail[lane]]
            rows[lane, :k] = self.lane_rows[lane, head[lane] : tail[lane]]
        self.lane_filed, self.lane_rows = filed, rows
        self.head = np.zeros(self.n_lanes, dtype=np.int64)
        self.tail = waiting.astype(np.int64)

    def draw_more(self) -> None:
        """A fresh block of review times after the unused ones (``next_start`` ran out)."""
        pos = int(self.counters[DRAW_POS])
        self.draws = np.concatenate([self.draws[pos:], self.rng.standard_exponential(DRAW_BLOCK)])
        self.counters[DRAW_POS] = 0

    # --- serving on its own ----------------------------------------------------------------

    def enqueue(self, filed: np.ndarray, first_row: int, lanes: np.ndarray) -> None:
        """Add files sorted by filing time, numbered ``first_row`` on, to their lanes' queues.

        Files must come in filing order across calls too (each day's files after the last day's).
        """
        self.make_room(filed.size)
        _push_all(self.arrays(), filed, first_row, lanes)

    def serve(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start every file a reviewer can take up in [t0, t1): rows, start and finish times.

        Reviewers idle since an earlier day are free from ``t0``.
        """
        n = self.waiting
        rows, starts, finishes = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n)
        k = 0
        while True:
            served, status = serve_day(self.arrays(), t0, t1, n - k, rows[k:], starts[k:], finishes[k:])
            k += served
            if status != NO_DRAWS:
                return rows[:k], starts[:k], finishes[:k]
            self.draw_more()


# --- compiled ------------------------------------------------------------------------------


@inline
def push(queue, filed, row, lane):  # pragma: no cover - compiled
    """Append one file to its lane's queue (the caller has made room)."""
    _, _, lane_filed, lane_rows, _, tail, _, _, counters = queue
    slot = tail[lane]
    lane_filed[lane, slot] = filed
    lane_rows[lane, slot] = row
    tail[lane] = slot + 1
    counters[WAITING] += 1


@kernel
def serve_day(queue, t0, t1, limit, out_rows, out_starts, out_finishes):  # pragma: no cover - compiled
    """The recursion from ``t0`` until no file starts before ``t1``, at most ``limit`` files.

    Each step: the reviewer free soonest (free from ``t0`` at the earliest) takes
    the oldest arrived file of the highest tier, or else the next file to arrive
    (ties to the higher tier), and is busy one review time from its start. Writes
    the files started to ``out_*`` and returns (how many, status): DONE, FULL
    (``limit`` reached: call again) or NO_DRAWS (review times used up: draw more,
    ``ReviewQueue.draw_more``, and call again). One flat loop: a helper called
    per file, even inlined, costs as much again in reference counting.
    """
    heap, tier_lanes, lane_filed, lane_rows, head, tail, draws, mean, counters = queue
    c = heap.size
    n_tiers, width = tier_lanes.shape
    k = 0
    while True:
        if c == 0:
            return k, DONE
        if k == limit:
            return k, FULL
        if counters[DRAW_POS] >= draws.size:
            return k, NO_DRAWS
        s = max(heap[0], t0)
        chosen = -1
        start = 0.0
        first_a = math.inf
        first_lane = -1
        for t in range(n_tiers):
            # the tier's oldest file: the oldest of its lanes' heads (ties by row: filing order)
            best = -1
            best_a = math.inf
            best_row = 0
            for j in range(width):
                lane = tier_lanes[t, j]
                if lane < 0:
                    break
                h = head[lane]
                if h < tail[lane]:
                    a = lane_filed[lane, h]
                    r = lane_rows[lane, h]
                    if best < 0 or a < best_a or (a == best_a and r < best_row):
                        best, best_a, best_row = lane, a, r
            if best < 0:
                continue
            if best_a <= s:
                chosen, start = best, s
                break
            if best_a < first_a:
                first_a, first_lane = best_a, best
        if chosen < 0:
            if first_lane < 0:
                return k, DONE  # nothing left to serve
            chosen, start = first_lane, first_a  # nobody waiting: the next file to arrive
        if start >= t1:
            return k, DONE
        pos = counters[DRAW_POS]
        finish = start + draws[pos] * mean[0]
        counters[DRAW_POS] = pos + 1
        # the reviewer at the top of the heap is busy until `finish`: sift it down
        i = 0
        while True:
            first = HEAP_ARITY * i + 1
            if first >= c:
                break
            best_child, best_free = first, heap[first]
            for j in range(first + 1, min(first + HEAP_ARITY, c)):
                if heap[j] < best_free:
                    best_child, best_free = j, heap[j]
            if best_free >= finish:
                break
            heap[i] = best_free
            i = best_child
        heap[i] = finish
        h = head[chosen]
        head[chosen] = h + 1
        counters[WAITING] -= 1
        out_rows[k] = lane_rows[chosen, h]
        out_starts[k] = start
        out_finishes[k] = finish
        k += 1


@kernel
def _push_all(queue, filed, first_row, lanes):  # pragma: no cover - compiled
    for i in range(filed.size):
        push(queue, filed[i], first_row + i, lanes[i])


@on_warm_up("review_queue", compile_s=0.5, group="licensing")
def _warm_up() -> None:
    q = ReviewQueue(2, np.random.default_rng(0), capacity=4)
    q.set_tiers([[0], [1]])
    q.set_reviewers(2, 0.0)
    q.enqueue(np.array([0.1, 0.2, 0.3]), 0, np.array([0, 1, 0], dtype=np.int8))
    q.serve(0.0, 1.0)
