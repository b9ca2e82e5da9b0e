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

        n = clock.n_days
        size = n + 1  # index n collects whatever falls after the horizon
        #: future filings (renewals, re-applications) by day: (times, copied rows, kind)
        self.scheduled: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in range(n)]
        self.filed_per_day = np.zeros((size, len(KINDS)), dtype=np.int64)
        self.approved_per_day = np.zeros((size, len(SECTORS), len(DESTINATIONS)), dtype=np.int64)
        self.rejected_per_day = np.zeros((size, len(SECTORS)), dtype=np.int64)
        self.expiring_per_day = np.zeros(size, dtype=np.int64)
        self.queued_end_of_day = np.zeros(n, dtype=np.int64)
        self.reviewers_per_day = np.zeros(n, dtype=np.int64)
        self._regime_changed(0.0)

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
        self._p_approve = r.approval_by_lane_and_sector() * self.state.approval_multiplier
        self._min_review = r.min_review_by_lane()

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
        batches: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
        if day == self.controls_day:
            n = int(round(self.p.initial_backlog))
            batches.append((np.full(n, t0), self._new_attributes(n, KIND_BACKLOG)))
        n = int(self.rng_arrivals.poisson(self.p.arrivals_per_day))
        batches.append((t0 + np.sort(self.rng_arrivals.random(n)), self._new_attributes(n, KIND_NEW)))
        if self.scheduled[day]:
            times = np.concatenate([b[0] for b in self.scheduled[day]])
            source = np.concatenate([b[1] for b in self.scheduled[day]])
            attrs = {name: self.apps.raw(name)[source] for name in ("sector", "destination", "lane")}
            attrs["kind"] = np.concatenate([b[2] for b in self.scheduled[day]])
            batches.append((times, attrs))
            self.scheduled[day] = []
        if len(batches) == 1:
            filed, columns = batches[0]
        else:
            filed = np.concatenate([b[0] for b in batches])
            order = np.argsort(filed, kind="stable")
            filed = filed[order]
            columns = {
                name: np.concatenate([b[1][name] for b in batches])[order]
                for name in ("sector", "destination", "lane", "kind")
            }
        if filed.size == 0:
            return
        rows = self.apps.add(filed=filed, **columns)
        self.filed_per_day[day] += np.bincount(columns["kind"], minlength=len(KINDS))
        self.queue.enqueue(filed, rows, columns["lane"])

    def _new_attributes(self, n: int, kind: int) -> dict[str, np.ndarray]:
        u = self.rng_attributes.random((4, n))
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
        return {
            "sector": sector,
            "destination": destination,
            "lane": lane,
            "kind": np.full(n, kind, dtype=np.int8),
        }

    def _decide(self, rows: np.ndarray, starts: np.ndarray, finishes: np.ndarray) -> None:
        """Issue the decisions of files whose review started today (vectorised)."""
        apps = self.apps
        lane = apps.raw("lane")[rows]
        sector = apps.raw("sector")[rows]
        destination = apps.raw("destination")[rows]
        decided = np.maximum(finishes, apps.raw("filed")[rows] + self._min_review[lane])
        u = self.rng_decisions.random((3, rows.size))
        approved = u[0] < self._p_approve[lane, sector]

        apps.raw("started")[rows] = starts
        apps.raw("finished")[rows] = finishes
        apps.raw("decided")[rows] = decided
        apps.raw("approved")[rows] = approved

        n = self.clock.n_days
        day = np.minimum(decided.astype(np.int64), n)  # day n: after the horizon
        _tally(self.approved_per_day, day[approved], sector[approved], destination[approved])
        _tally(self.rejected_per_day, day[~approved], sector[~approved])
        _tally(
            self.expiring_per_day,
            np.minimum((decided[approved] + self.term_days).astype(np.int64), n),
        )

        renew = approved & (u[1] < self.p.renewal_probability)
        reapply = ~approved & (u[2] < self.p.reapply_probability)
        times = np.concatenate(
            (
                decided[renew] + (self.term_days - self.p.renewal_lead_days),
                decided[reapply] + self.p.reapply_delay_days,
            )
        )
        if times.size:
            kinds = np.repeat(
                np.array([KIND_RENEWAL, KIND_REAPPLICATION], dtype=np.int8),
                [int(renew.sum()), int(reapply.sum())],
            )
            self._schedule(times, np.concatenate((rows[renew], rows[reapply])), kinds)

    def _schedule(self, times: np.ndarray, source_rows: np.ndarray, kinds: np.ndarray) -> None:
        """Book future filings that copy the attributes of earlier applications."""
        days = times.astype(np.int64)
        order = np.argsort(days, kind="stable")
        days, times, source_rows, kinds = (
            days[order],
            times[order],
            source_rows[order],
            kinds[order],
        )
        cut = np.flatnonzero(np.diff(days)) + 1
        starts = np.concatenate(([0], cut)).tolist()
        ends = np.concatenate((cut, [days.size])).tolist()
        for lo, hi in zip(starts, ends, strict=True):
            d = int(days[lo])
            if d >= self.clock.n_days:
                break
            self.scheduled[d].append((times[lo:hi], source_rows[lo:hi], kinds[lo:hi]))

    def _close_day(self, day: int) -> None:
        # Every decision dated `day` exists by now: decisions come from reviews started on
        # or before their date, so today's tallies are final and running totals suffice.
        s = self.state
        approved_today = self.approved_per_day[day]
        n_approved = int(approved_today.sum())
        decided_today = n_approved + int(self.rejected_per_day[day].sum())
        s.backlog += int(self.filed_per_day[day].sum()) - decided_today
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
        rejected = self.rejected_per_day[:n].sum(axis=1)
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


def _tally(table: np.ndarray, day: np.ndarray, *categories: np.ndarray) -> None:
    """Add one to ``table[day, *categories]`` per entry, touching only the days involved."""
    if day.size == 0:
        return
    first = int(day.min())
    width = int(day.max()) - first + 1
    key = day - first
    for values, size in zip(categories, table.shape[1:], strict=True):
        key = key * size + values
    cells = width * int(np.prod(table.shape[1:], dtype=np.int64))
    table[first : first + width] += np.bincount(key, minlength=cells).reshape((width, *table.shape[1:]))


def _pick(u: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Category index for each uniform number, by cumulative shares."""
    cum = np.cumsum(shares)
    return np.minimum(np.searchsorted(cum, u, side="right"), len(shares) - 1).astype(np.int8)


def _normalised(weights: ParamTree, names: tuple[str, ...]) -> np.ndarray:
    w = np.array([float(weights[n]) for n in names])
    if w.sum() <= 0:
        raise ValueError(f"weights {dict(weights)} must not all be zero")
    return w / w.sum()
