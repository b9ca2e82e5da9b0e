"""China's export-licence review (DESIGN.md subsystem 1).

Since the controls start (2025-04-04, fig ``china_export_controls_start_date``)
every export of the seven controlled elements and of magnets containing them
needs a licence. Applications queue for review: an initial backlog of contracts
caught by the new rule, new filings (a Poisson stream), renewals (a licence
lasts six months, fig ``export_licence_term_months``, and firms re-apply before
it runs out) and re-applications after a refusal.

The review is a multi-server queue: ``c`` reviewers, each taking an
exponential time per file, serving lanes in an order set by policy (the London
fast track puts civil US files first, a green channel puts trusted firms ahead
of everyone, Beijing may favour Europe). Within a lane files are served first
come, first served. A decision is never issued before the statutory minimum
review time, which the fast track and green channel shorten. Military-use files
(samarium) are held, refused or reviewed as the policy says; by default held.

Speed: files are rows of :class:`sim.applications.ApplicationTable`, not SimPy
processes, and the queue itself is :class:`sim.review_queue.ReviewQueue`.
Filing and deciding are vectorised per day. SimPy drives the day boundaries
and the dated policy events in between; policy never changes inside a day.
What does not depend on the queue is drawn ahead in blocks: new filings (counts,
times, attributes) 64 days at a time, decision uniforms a few thousand at a
time; booked renewals and re-applications are sorted into days in bulk, just
before the earliest falls due. Each named stream is still read in one fixed
order, so a seed gives the same results on any number of workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.applications import (
    KIND_BACKLOG,
    KIND_NEW,
    KIND_REAPPLICATION,
    KIND_RENEWAL,
    KINDS,
    ApplicationTable,
)
from sim.clock import Clock
from sim.domain import DESTINATIONS, LANE_INDEX, LANES, SECTORS
from sim.review_queue import ReviewQueue
from sim.sampling import ParamTree
from sim.streams import Streams

GREEN, US_CIVIL, EU_CIVIL, OTHER_CIVIL, MILITARY = (LANE_INDEX[name] for name in LANES)
_REGIME_FIELDS = (
    "review_capacity_per_day",
    "mean_review_days",
    "min_review_days",
    "fast_track",
    "fast_track_min_review_days",
    "fast_track_approval_probability",
    "green_channel",
    "green_channel_min_review_days",
    "europe_first",
    "military_handling",
    "military_approval_probability",
)


@dataclass
class Regime:
    """The review policy in force; changed only by dated events between days."""

    review_capacity_per_day: float
    mean_review_days: float
    min_review_days: float
    approval_probability: dict[str, float]
    fast_track: bool
    fast_track_min_review_days: float
    fast_track_approval_probability: float
    green_channel: bool
    green_channel_min_review_days: float
    europe_first: bool
    military_handling: str
    military_approval_probability: float

    def apply(self, change: ParamTree) -> None:
        """Overwrite the fields that a timeline event sets."""
        for name in _REGIME_FIELDS:
            if change.get(name) is not None:
                setattr(self, name, change[name])
        if change.get("approval_probability"):
            for sector, p in change["approval_probability"].items():
                if p is not None:
                    self.approval_probability[sector] = p

    def tiers(self) -> list[list[int]]:
        """Lanes grouped by service priority, highest first; held lanes left out."""
        tiers: list[list[int]] = []
        rest = [GREEN, US_CIVIL, EU_CIVIL, OTHER_CIVIL]
        if self.green_channel:
            tiers.append([GREEN])
            rest.remove(GREEN)
        if self.fast_track:
            tiers.append([lane for lane in (GREEN, US_CIVIL) if lane in rest])
            rest = [lane for lane in rest if lane not in (GREEN, US_CIVIL)]
        if self.europe_first:
            tiers.append([EU_CIVIL])
            rest.remove(EU_CIVIL)
        if self.military_handling != "hold":
            rest.append(MILITARY)
        tiers.append(rest)
        return [t for t in tiers if t]

    def approval_by_lane_and_sector(self) -> np.ndarray:
        """Approval probability of a file by lane (rows) and sector (columns)."""
        civil = np.array([self.approval_probability[s] for s in SECTORS])
        table = np.tile(civil, (len(LANES), 1))
        if self.fast_track:
            table[[GREEN, US_CIVIL]] = self.fast_track_approval_probability
        if self.green_channel:
            table[GREEN] = self.fast_track_approval_probability
        table[MILITARY] = self.military_approval_probability if self.military_handling == "review" else 0.0
        return table

    def min_review_by_lane(self) -> np.ndarray:
        """Statutory minimum days from filing to decision, per lane."""
        m = np.full(len(LANES), self.min_review_days)
        if self.fast_track:
            m[[GREEN, US_CIVIL]] = self.fast_track_min_review_days
        if self.green_channel:
            m[GREEN] = self.green_channel_min_review_days
        return m


@dataclass
class LicensingState:
    """What the rest of the model can see of the licence review, day by day."""

    backlog: int = 0  # filed, not yet decided (queued, in review or awaiting the statutory period)
    queued: int = 0  # waiting for a reviewer
    licences_in_force: int = 0
    reviewers: int = 0
    #: Multipliers that other subsystems (the negotiation's linkage to chip
    #: controls) apply on top of the regime; 1.0 means no effect.
    capacity_multiplier: float = 1.0
    approval_multiplier: float = 1.0
    #: Approvals decided today, by sector and destination (what supply ships).
    approved_today: np.ndarray = field(
        default_factory=lambda: np.zeros((len(SECTORS), len(DESTINATIONS)), dtype=np.int64)
    )


class LicensingReview:
    """The licence review of one replication, advanced one day at a time."""

    def __init__(self, clock: Clock, params: ParamTree, streams: Streams, state: LicensingState):
        self.clock = clock
        self.p = params
        self.state = state
        self.rng_arrivals = streams.generator("licensing.arrivals")
        self.rng_attributes = streams.generator("licensing.attributes")
        self.rng_decisions = streams.generator("licensing.decisions")
        self.apps = ApplicationTable()
        self.queue = ReviewQueue(len(LANES), streams.generator("licensing.review"))

        self.controls_day = clock.day(params.controls_start)
        self.term_days = float(params.licence_term_days)
        review = params.review
        self.regime = Regime(
            **{name: review[name] for name in _REGIME_FIELDS},
            approval_probability=dict(review.approval_probability),
        )
        self.sector_share = _normalised(params.sector_share, SECTORS)
        self.destination_share = _normalised(params.destination_share, DESTINATIONS)
        self.military_share = np.array([params.military_share[s] for s in SECTORS])
        self.arrivals_per_day = float(params.arrivals_per_day)
        self.renewal_probability = float(params.renewal_probability)
        self.reapply_probability = float(params.reapply_probability)
        self.renewal_delay = self.term_days - float(params.renewal_lead_days)
        self.reapply_delay = float(params.reapply_delay_days)
        self._follow_ups = self.renewal_probability > 0 or self.reapply_probability > 0
        #: uniforms per decision: approval, then (if any) renew-or-reapply
        self._uniforms = _UniformBlocks(self.rng_decisions, 2 if self._follow_ups else 1)
        self.n_days = n = clock.n_days
        self._new = _NewFilings(self.controls_day, n_days=n)
        #: a whole-day term: a licence approved on day d lapses on day d + term, counted at close
        self._whole_day_term = self.term_days.is_integer()
        size = n + 1  # index n collects whatever falls after the horizon
        #: future filings (renewals, re-applications) by day: (times, copied rows, kind)
        self.scheduled: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in range(n)]
        #: filings booked but not yet sorted into ``scheduled`` (done in bulk before the earliest is due)
        self._booked: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._booked_from = math.inf
        self.filed_per_day = np.zeros((size, len(KINDS)), dtype=np.int64)
        #: decisions by day, outcome (0 rejected, 1 approved), sector and destination
        self.decided_per_day = np.zeros((size, 2, len(SECTORS), len(DESTINATIONS)), dtype=np.int64)
        self.expiring_per_day = np.zeros(size, dtype=np.int64)
        self._filed_today = 0
        self.queued_end_of_day = np.zeros(n, dtype=np.int64)
        self.reviewers_per_day = np.zeros(n, dtype=np.int64)
        self._regime_changed(0.0)

    # Views of ``decided_per_day`` are made on use, never stored: a stored view would
    # come apart from its base when a forked replication is deep-copied.

    @property
    def approved_per_day(self) -> np.ndarray:
        """Approvals by day, sector and destination (a view)."""
        return self.decided_per_day[:, 1]

    # --- policy -------------------------------------------------------------------------

    def apply_policy(self, change: ParamTree, now: float) -> None:
        """A dated timeline event: change the regime from ``now`` on."""
        self.regime.apply(change)
        self._regime_changed(now)

    def refresh_capacity(self, now: float) -> None:
        """Re-read the multipliers that another subsystem (the negotiation) changed."""
        self._regime_changed(now)

    def _regime_changed(self, now: float) -> None:
        r = self.regime
        reviewers = r.review_capacity_per_day * r.mean_review_days * self.state.capacity_multiplier
        self.queue.mean_review_days = r.mean_review_days
        self.queue.set_reviewers(max(0, int(round(reviewers))), now)
        self.queue.set_tiers(r.tiers(), self.apps.raw("lane"))
        self.state.reviewers = self.queue.reviewers
        #: approval probability by lane * len(SECTORS) + sector
        self._p_approve = (r.approval_by_lane_and_sector() * self.state.approval_multiplier).ravel()
        self._min_review = r.min_review_by_lane()
        self._any_min_review = bool(self._min_review.any())

    # --- one day --------------------------------------------------------------------------

    def advance_day(self, day: int) -> None:
        """File today's applications, review until midnight, issue today's decisions."""
        if day >= self.controls_day:
            self._file_applications(day)
            rows, starts, finishes = self.queue.serve(float(day), float(day + 1))
            if rows.size:
                self._decide(rows, starts, finishes)
        self._close_day(day)

    def _file_applications(self, day: int) -> None:
        t0 = float(day)
        batches: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        counts = self.filed_per_day[day]
        self._filed_today = 0
        if day == self.controls_day:
            n = int(round(self.p.initial_backlog))
            if n:
                sector, destination, lane = self._new_attributes(self.rng_attributes.random((4, n)))
                batches.append((np.full(n, t0), sector, destination, lane, np.full(n, KIND_BACKLOG, np.int8)))
                counts[KIND_BACKLOG] += n
        new = self._new.day(day, self)
        if new[0].size:
            batches.append(new)
            counts[KIND_NEW] += new[0].size
        if self._booked_from < t0 + 1.0:
            self._sort_booked()
        if self.scheduled[day]:
            booked = self.scheduled[day]
            if len(booked) == 1:
                times, source, kind = booked[0]
            else:
                times, source, kind = (np.concatenate([b[i] for b in booked]) for i in range(3))
            apps = self.apps
            batches.append(
                (
                    times,
                    apps.raw("sector")[source],
                    apps.raw("destination")[source],
                    apps.raw("lane")[source],
                    kind,
                )
            )
            counts += np.bincount(kind, minlength=len(KINDS))
            self.scheduled[day] = []
        if not batches:
            return
        if len(batches) == 1:
            filed, sector, destination, lane, kind = batches[0]
        else:
            filed = np.concatenate([b[0] for b in batches])
            order = np.argsort(filed, kind="stable")
            filed = filed[order]
            sector, destination, lane, kind = (
                np.concatenate([b[i] for b in batches])[order] for i in range(1, 5)
            )
        first = self.apps.append(filed, sector, destination, lane, kind)
        self._filed_today = filed.size
        self.queue.enqueue(filed, range(first, first + filed.size), lane)

    def _new_attributes(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sector, destination and lane of new files, from four rows of uniform numbers."""
        sector = _pick(u[0], self.sector_share)
        destination = _pick(u[1], self.destination_share)
        military = u[2] < self.military_share[sector]
        trusted = u[3] < self.p.trusted_firm_share
        lane = np.where(
            destination == 0,
            np.where(trusted, GREEN, US_CIVIL),
            np.where(destination == 1, EU_CIVIL, OTHER_CIVIL),
        )
        lane = np.where(military, MILITARY, lane).astype(np.int8)
        return sector, destination, lane

    def _decide(self, rows: np.ndarray, starts: np.ndarray, finishes: np.ndarray) -> None:
        """Issue the decisions of files whose review started today (vectorised)."""
        apps = self.apps
        lane = apps.raw("lane")[rows]
        sector = apps.raw("sector")[rows]
        destination = apps.raw("destination")[rows]
        if self._any_min_review:
            decided = np.maximum(finishes, apps.raw("filed")[rows] + self._min_review[lane])
        else:
            decided = finishes
        u = self._uniforms.take(rows.size)
        approved = u[0] < self._p_approve[lane * len(SECTORS) + sector]

        apps.raw("started")[rows] = starts
        apps.raw("finished")[rows] = finishes
        apps.raw("decided")[rows] = decided
        apps.raw("approved")[rows] = approved.view(np.int8)

        # one count per decision in decided_per_day[day, approved, sector, destination]
        n = self.n_days
        day = decided.astype(np.int64)
        np.minimum(day, n, out=day)  # day n: after the horizon
        key = day * 2 + approved
        key *= len(SECTORS)
        key += sector
        key *= len(DESTINATIONS)
        key += destination
        np.add.at(self.decided_per_day.reshape(-1), key, 1)
        if not self._whole_day_term:  # else counted from the day's approvals in _close_day
            expires = (decided[approved] + self.term_days).astype(np.int64)
            np.minimum(expires, n, out=expires)
            np.add.at(self.expiring_per_day, expires, 1)

        if self._follow_ups:
            # renew after an approval, re-apply after a refusal: one uniform serves either
            follow = np.flatnonzero(
                u[1] < np.where(approved, self.renewal_probability, self.reapply_probability)
            )
            if follow.size:
                renewal = approved[follow]
                times = decided[follow] + np.where(renewal, self.renewal_delay, self.reapply_delay)
                kinds = np.where(renewal, KIND_RENEWAL, KIND_REAPPLICATION).astype(np.int8)
                self._booked.append((times, rows[follow], kinds))
                self._booked_from = min(self._booked_from, float(times.min()))

    def _sort_booked(self) -> None:
        """Sort booked future filings into ``scheduled`` by filing day."""
        booked = self._booked
        if len(booked) == 1:
            times, source_rows, kinds = booked[0]
        else:
            times, source_rows, kinds = (np.concatenate([b[i] for b in booked]) for i in range(3))
        self._booked = []
        self._booked_from = math.inf
        days = times.astype(np.int64)
        order = np.argsort(days, kind="stable")
        days, times, source_rows, kinds = days[order], times[order], source_rows[order], kinds[order]
        cut = (np.flatnonzero(np.diff(days)) + 1).tolist()
        first_days = days[[0, *cut]].tolist()
        bounds = [0, *cut, days.size]
        for d, lo, hi in zip(first_days, bounds[:-1], bounds[1:], strict=True):
            if d >= self.n_days:
                break
            self.scheduled[d].append((times[lo:hi], source_rows[lo:hi], kinds[lo:hi]))

    def _close_day(self, day: int) -> None:
        # Every decision dated `day` exists by now: decisions come from reviews started on
        # or before their date, so today's tallies are final and running totals suffice.
        s = self.state
        approved_today = self.approved_per_day[day]
        n_rejected, n_approved = self.decided_per_day[day].reshape(2, -1).sum(axis=1).tolist()
        if self._whole_day_term:
            self.expiring_per_day[min(day + int(self.term_days), self.n_days)] += n_approved
        s.backlog += self._filed_today - n_rejected - n_approved
        self._filed_today = 0
        s.licences_in_force += n_approved - int(self.expiring_per_day[day])
        s.queued = self.queue.waiting
        s.approved_today = approved_today
        self.queued_end_of_day[day] = s.queued
        self.reviewers_per_day[day] = s.reviewers

    # --- results --------------------------------------------------------------------------

    def series(self) -> dict[str, np.ndarray]:
        """Daily series over the horizon (one value per simulated day)."""
        n = self.clock.n_days
        filed = self.filed_per_day[:n]
        approved = self.approved_per_day[:n].sum(axis=(1, 2))
        rejected = self.decided_per_day[:n, 0].sum(axis=(1, 2))
        out = {
            "applications_filed": filed.sum(axis=1),
            "renewals_filed": filed[:, KIND_RENEWAL],
            "approvals": approved,
            "rejections": rejected,
            "backlog": np.cumsum(filed.sum(axis=1)) - np.cumsum(approved + rejected),
            "queued_for_review": self.queued_end_of_day.copy(),
            "licences_in_force": np.cumsum(approved) - np.cumsum(self.expiring_per_day[:n]),
            "reviewers": self.reviewers_per_day.copy(),
        }
        for i, sector in enumerate(SECTORS):
            out[f"approvals_{sector}"] = self.approved_per_day[:n, i, :].sum(axis=1)
        return out

    def outcomes(self, deadline_day: int) -> dict[str, float]:
        """Scalar outcomes of this replication."""
        series = self.series()
        backlog = series["backlog"]
        apps = self.apps
        decided = apps.column("decided")
        done = ~np.isnan(decided)
        wait = decided[done] - apps.column("filed")[done]
        lane = apps.column("lane")
        approved = apps.column("approved") == 1
        in_horizon = done & (decided < self.clock.n_days)
        d = min(max(deadline_day, 0), self.clock.n_days - 1)
        out: dict[str, float] = {
            "applications_total": float(series["applications_filed"].sum()),
            "backlog_at_deadline": float(backlog[d]),
            "backlog_peak": float(backlog.max()),
            "backlog_peak_date": float(np.argmax(backlog)),
            "backlog_at_end": float(backlog[-1]),
            "approvals_total": float(series["approvals"].sum()),
            "rejections_total": float(series["rejections"].sum()),
            "licences_in_force_at_deadline": float(series["licences_in_force"][d]),
            "licences_in_force_at_end": float(series["licences_in_force"][-1]),
            "renewals_filed_total": float(series["renewals_filed"].sum()),
            "renewal_wave_peak_date": float(np.argmax(series["renewals_filed"]))
            if series["renewals_filed"].any()
            else math.nan,
            "military_approvals": float((approved & (lane == MILITARY) & in_horizon).sum()),
            "wait_days_median": float(np.median(wait)) if wait.size else math.nan,
            "wait_days_p90": float(np.quantile(wait, 0.9)) if wait.size else math.nan,
            "wait_days_mean": float(wait.mean()) if wait.size else math.nan,
        }
        for sector in SECTORS:
            out[f"approvals_{sector}"] = float(series[f"approvals_{sector}"].sum())
        return out


class _UniformBlocks:
    """Uniform numbers for decisions, ``rows`` per decision, drawn a few thousand at a time."""

    def __init__(self, rng: np.random.Generator, rows: int, block: int = 4096):
        self.rng = rng
        self.rows = rows
        self.block = block
        self._u = np.empty((rows, 0))
        self._pos = 0

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` columns (a view); a fresh block when the current one runs short."""
        pos = self._pos
        if pos + n > self._u.shape[1]:
            self._u = self.rng.random((self.rows, max(self.block, n)))
            pos = 0
        self._pos = pos + n
        return self._u[:, pos : pos + n]


class _NewFilings:
    """Times and attributes of new filings, drawn in blocks of days and handed out a day at a time.

    Counts and times come from the arrivals stream and attributes from the attributes
    stream, block after block in day order, so each stream is used the same way on every run.
    The review is passed in on each call rather than kept: a reference back would make a
    cycle that holds a finished replication's application table until the cyclic garbage
    collector runs, so a worker's memory would grow by megabytes a replication meanwhile.
    """

    BLOCK_DAYS = 64

    def __init__(self, first_day: int, n_days: int):
        self.n_days = n_days
        self._first = self._end = first_day
        self._bounds: list[int] = []
        self._columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

    def day(
        self, day: int, review: LicensingReview
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(filing times, sector, destination, lane, kind) of the new files of ``day``."""
        if day >= self._end:
            self._draw(day, review)
        i = day - self._first
        lo, hi = self._bounds[i], self._bounds[i + 1]
        times, sector, destination, lane, kind = self._columns
        return times[lo:hi], sector[lo:hi], destination[lo:hi], lane[lo:hi], kind[lo:hi]

    def _draw(self, first: int, r: LicensingReview) -> None:
        days = max(1, min(self.BLOCK_DAYS, self.n_days - first))
        counts = r.rng_arrivals.poisson(r.arrivals_per_day, days)
        total = int(counts.sum())
        times = np.repeat(np.arange(first, first + days, dtype=np.float64), counts)
        times += r.rng_arrivals.random(total)
        times.sort()  # in order within each day; the days are already in order
        sector, destination, lane = r._new_attributes(r.rng_attributes.random((4, total)))
        self._columns = (times, sector, destination, lane, np.full(total, KIND_NEW, dtype=np.int8))
        self._bounds = [0, *np.cumsum(counts).tolist()]
        self._first, self._end = first, first + days


def _pick(u: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Category index for each uniform number, by cumulative shares."""
    cum = np.cumsum(shares)
    return np.minimum(np.searchsorted(cum, u, side="right"), len(shares) - 1).astype(np.int8)


def _normalised(weights: ParamTree, names: tuple[str, ...]) -> np.ndarray:
    w = np.array([float(weights[n]) for n in names])
    if w.sum() <= 0:
        raise ValueError(f"weights {dict(weights)} must not all be zero")
    return w / w.sum()
