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

Speed: files are rows of :class:`sim.model.licensing.applications.ApplicationTable`, not SimPy
processes, and the queue itself is :class:`sim.model.licensing.queue.ReviewQueue`. One
compiled call (``_advance``, see ``sim.core.jit``) files, serves and decides a run
of days, file by file, with no numpy call per day. SimPy drives the day
boundaries and the dated policy events in between; policy never changes inside
a day, and since nothing but policy shapes the review, the review runs ahead to
the day before the next event that could change it (``advance_day``'s
``limit``). What does not depend on the queue is drawn up front: the backlog's
and every new filing's count, time and attributes. Review times and decision
uniforms are drawn in blocks and used in a fixed order; renewals and
re-applications are booked onto per-day lists as decisions are issued. Each
named stream is read in one fixed order, so a seed gives the same results on
any number of workers, and however the days are grouped into calls.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.core.clock import Clock
from sim.core.domain import DESTINATIONS, LANE_INDEX, LANES, SECTORS
from sim.core.jit import inline, kernel, on_warm_up
from sim.core.quantiles import quantiles
from sim.core.streams import Streams
from sim.model.licensing.applications import (
    KIND_BACKLOG,
    KIND_NEW,
    KIND_REAPPLICATION,
    KIND_RENEWAL,
    KINDS,
    ApplicationTable,
)
from sim.model.licensing.queue import DONE, DRAW_POS, NO_DRAWS, WAITING, ReviewQueue, serve_day
from sim.scenario.params import LicensingParams, RegimeChangeParams
from sim.scenario.sampling import ParamTree

GREEN, US_CIVIL, EU_CIVIL, OTHER_CIVIL, MILITARY = (LANE_INDEX[name] for name in LANES)
#: the lane of a civil file by destination (a US file's may become the trusted-firm lane)
_CIVIL_LANE = np.array(
    [{"us": US_CIVIL, "eu": EU_CIVIL}.get(d, OTHER_CIVIL) for d in DESTINATIONS], dtype=np.int8
)
_WARM_UP_START = dt.date(2025, 1, 1)
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

    def apply(self, change: RegimeChangeParams | ParamTree) -> None:
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


class LicensingReview:
    """The licence review of one replication: days closed in order, reviewed ahead where policy allows."""

    def __init__(self, clock: Clock, params: LicensingParams, streams: Streams, state: LicensingState):
        self.clock = clock
        self.p = params
        self.state = state
        self.rng_arrivals = streams.generator("licensing.arrivals")
        self.rng_attributes = streams.generator("licensing.attributes")
        self.rng_decisions = streams.generator("licensing.decisions")
        self.n_days = n = clock.n_days
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
        #: contracts running when the rule starts: each needs a licence (the initial backlog)
        self.contract_stock = float(params.initial_backlog)
        renewal_probability = float(params.renewal_probability)
        #: new contracts per day: as set, or (unset) the rate that replaces the contracts that end
        #: (those not renewed), so that the stock of contracts, and the flow it carries, is steady
        self.arrivals_per_day = (
            float(params.arrivals_per_day)
            if params.get("arrivals_per_day") is not None
            else self.contract_stock * (1.0 - renewal_probability) / self.term_days
        )
        self.cleared_days_max = float(params.get("cleared_days_max") or 0.0)
        self.rng_backlog_terms = streams.generator("licensing.backlog_terms")
        reapply_probability = float(params.reapply_probability)
        #: term (days), renewal and re-application chances, a renewal's filing ahead of the
        #: licence's end, and a re-application's delay after a refusal
        self.follow_up = np.array(
            [
                self.term_days,
                renewal_probability,
                reapply_probability,
                float(params.renewal_lead_days),
                float(params.reapply_delay_days),
            ]
        )
        #: decision uniforms, one per decision (see ``_advance``), drawn a block at a time
        self.uniforms = np.empty(0)

        # What does not depend on the queue is drawn up front: the initial backlog's
        # attributes, then the count, times and attributes of every new filing.
        self.backlog_files = self._draw_backlog()
        self.fresh = self._draw_new_filings()
        expected = self.backlog_files[0].size + 1.5 * self.fresh[0].size  # renewals and re-applications
        self.apps = ApplicationTable(int(expected) + 1024)
        self.queue = ReviewQueue(len(LANES), streams.generator("licensing.review"))
        #: future filings (renewals, re-applications), booked as decisions are issued
        self.booked = _Booked(n)
        #: running counts that the compiled day keeps (slots APPS, BOOKED, UNIFORM_POS, ...)
        self.counters = np.zeros(7, dtype=np.int64)
        #: the first day not yet reviewed: the review may run ahead of the rest of the model
        self.done = 0
        #: where the queue writes the files it starts, a block at a time: rows, starts, finishes
        self._served = (np.empty(SERVE_BLOCK, dtype=np.int64), np.empty(SERVE_BLOCK), np.empty(SERVE_BLOCK))

        size = n + 1  # index n collects whatever falls after the horizon
        self.filed_per_day = np.zeros((size, len(KINDS)), dtype=np.int64)
        #: decisions by day, outcome (0 rejected, 1 approved), sector and destination
        self.decided_per_day = np.zeros((size, 2, len(SECTORS), len(DESTINATIONS)), dtype=np.int64)
        #: the same, summed over sector and destination: rejections and approvals by day
        self.decisions_per_day = np.zeros((size, 2), dtype=np.int64)
        #: licences starting and ending by day (a renewal starts when the licence it continues ends)
        self.starting_per_day = np.zeros(size, dtype=np.int64)
        self.expiring_per_day = np.zeros(size, dtype=np.int64)
        #: US licences by decision day: the first row and last row of each day's linked list
        #: (``next_licence`` column), in the order decisions were issued; -1 if none
        self.licence_first = np.full(size, -1, dtype=np.int64)
        self.licence_last = np.full(size, -1, dtype=np.int64)
        self.queued_end_of_day = np.zeros(n, dtype=np.int64)
        self.reviewers_per_day = np.zeros(n, dtype=np.int64)
        self.backlog_end_of_day = np.zeros(n, dtype=np.int64)
        self.in_force_end_of_day = np.zeros(n, dtype=np.int64)
        self._regime_changed(0.0)

    # Views of ``decided_per_day`` are made on use, never stored: a stored view would
    # come apart from its base when a forked replication is deep-copied.

    @property
    def approved_per_day(self) -> np.ndarray:
        """Approvals by day, sector and destination (a view)."""
        return self.decided_per_day[:, 1]

    def us_licences(self) -> tuple[np.ndarray, ...]:
        """US licences by decision day, as supply reads them: the first row of each day's list,
        then the table's sector, ``valid_to``, ``cover``, ``contract`` and ``next_licence``
        columns (whole backing arrays: get them again after the table grows)."""
        apps = self.apps
        return (
            self.licence_first,
            apps.raw("sector"),
            apps.raw("valid_to"),
            apps.raw("cover"),
            apps.raw("contract"),
            apps.raw("next_licence"),
        )

    # --- policy -------------------------------------------------------------------------

    def apply_policy(self, change: RegimeChangeParams | ParamTree, now: float) -> None:
        """A dated timeline event: change the regime from ``now`` on."""
        self.regime.apply(change)
        self._regime_changed(now)

    def refresh_capacity(self, now: float) -> None:
        """Re-read the multipliers that another subsystem (the negotiation) changed."""
        self._regime_changed(now)

    def _regime_changed(self, now: float) -> None:
        if self.done > now:
            raise RuntimeError(
                f"the review policy changed on day {now:g}, but the review already ran to day {self.done}"
            )
        r = self.regime
        reviewers = r.review_capacity_per_day * r.mean_review_days * self.state.capacity_multiplier
        self.queue.mean_review_days = r.mean_review_days
        self.queue.set_reviewers(max(0, int(round(reviewers))), now)
        self.queue.set_tiers(r.tiers())
        self.state.reviewers = self.queue.reviewers
        #: approval probability by lane * len(SECTORS) + sector
        self._p_approve = (r.approval_by_lane_and_sector() * self.state.approval_multiplier).ravel()
        self._min_review = r.min_review_by_lane()

    # --- days -----------------------------------------------------------------------------

    def advance_day(self, day: int, limit: int | None = None) -> None:
        """Close ``day``: file, review and decide through it, and publish its state.

        The review depends on nothing but its own policy, so when the model knows
        that no policy can change before day ``limit + 1`` the review runs through
        ``limit`` now, in one compiled call, and later days only publish what it
        found. Results are the same however days are grouped: every random number
        is used in a fixed order (see ``sim.model.licensing.queue``).
        """
        if day >= self.done:
            self._run_through(day if limit is None else max(day, min(limit, self.n_days - 1)))
        s = self.state
        s.backlog = int(self.backlog_end_of_day[day])
        s.licences_in_force = int(self.in_force_end_of_day[day])
        s.queued = int(self.queued_end_of_day[day])

    def _run_through(self, last: int) -> None:
        """Review every day from ``done`` through ``last``, making room whenever the compiled day asks."""
        apps, queue, booked = self.apps, self.queue, self.booked
        while self.done <= last:
            self.done = _advance(
                self.done,
                last,
                self.controls_day,
                queue.arrays(),
                self._served,
                apps.columns(_APP_COLUMNS),
                booked.arrays(),
                (self.licence_first, self.licence_last),
                self.fresh,
                self.backlog_files,
                self.uniforms,
                self.counters,
                (
                    self.filed_per_day,
                    self.decided_per_day,
                    self.decisions_per_day,
                    self.starting_per_day,
                    self.expiring_per_day,
                    self.queued_end_of_day,
                    self.reviewers_per_day,
                    self.backlog_end_of_day,
                    self.in_force_end_of_day,
                ),
                self._min_review,
                self._p_approve,
                self.follow_up,
            )
            apps.size = int(self.counters[APPS])
            booked.size = int(self.counters[BOOKED])
            if self.done <= last:
                self._make_room(self.done)

    def _make_room(self, day: int) -> None:
        """Room for what the compiled run stopped for (see ``_advance``), and then some.

        Table rows and lane slots for a few weeks of files, so the run seldom
        stops; review times, decision uniforms and booking entries a block at a
        time, so no more is drawn than a block beyond what is used.
        """
        if not self.counters[SERVING]:
            end = min(day + ROOM_DAYS, self.n_days)
            bounds = self.fresh[4]
            files = int(bounds[end] - bounds[day]) + int(self.booked.count[day:end].sum())
            if day <= self.controls_day < end:
                files += self.backlog_files[0].size
            self.apps.reserve(self.apps.size + files)
            self.queue.make_room(files)
        queue = self.queue
        if queue.draws.size - int(queue.counters[DRAW_POS]) < 1:
            queue.draw_more()
        pos = int(self.counters[UNIFORM_POS])
        if self.uniforms.size - pos < 1:
            fresh = self.rng_decisions.random(UNIFORM_BLOCK)
            self.uniforms = np.concatenate([self.uniforms[pos:], fresh])
            self.counters[UNIFORM_POS] = 0
        self.booked.reserve(UNIFORM_BLOCK)

    # --- draws up front --------------------------------------------------------------------

    def _draw_backlog(self) -> tuple[np.ndarray, ...]:
        """The contracts running when the rule starts: sector, destination, lane, the day each
        is cleared for export through, and the day the term its licence would cover ends
        (all days of the model); sets ``backlog_contracts`` to them.

        Returns the files of those that need a licence (filed the day the rule starts):
        sector, destination, lane, cleared-through day (their ``prev_end``) and ``cover``.

        These contracts carried the normal flow, each at some stage of its term: its end
        is uniform over the next licence term, so that, renewed or not, they end at the
        steady rate at which new contracts replace them. Lots cleared for export before
        the rule keep leaving until a clearance drawn uniform over ``cleared_days_max``;
        the licence covers the schedule from then to the term's end. A term that ends
        while still cleared is renewed (as any, with ``renewal_probability``: its next term
        then needs the licence) or the contract ends and files nothing. Drawn from their
        own stream, so the other draws do not move.
        """
        n = int(round(self.p.initial_backlog)) if 0 <= self.controls_day < self.n_days else 0
        sector, destination, lane = self._new_attributes(n)
        u = self.rng_backlog_terms.random((3, n))
        cleared = self.cleared_days_max * u[0]
        term_end = self.term_days * (1.0 - u[1])  # in (0, term], days after the rule starts
        ends_cleared = term_end <= cleared
        renewed = ends_cleared & (u[2] < float(self.p.renewal_probability))
        term_end[renewed] += self.term_days
        cleared = np.minimum(cleared, term_end)
        day = float(self.controls_day)
        self.backlog_contracts = (sector, destination, lane, day + cleared, day + term_end)
        files = ~ends_cleared | renewed
        return (
            sector[files],
            destination[files],
            lane[files],
            day + cleared[files],
            term_end[files] - cleared[files],
        )

    def _draw_new_filings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Times and attributes of every new filing (a Poisson stream from the controls on).

        Returns (times, sector, destination, lane, bounds): the files of day ``d`` are
        ``bounds[d]:bounds[d + 1]``, in order of filing time.
        """
        first = max(self.controls_day, 0)
        days = max(0, self.n_days - first)
        counts = self.rng_arrivals.poisson(self.arrivals_per_day, days)
        total = int(counts.sum())
        times = np.repeat(np.arange(first, first + days, dtype=np.float64), counts)
        times += self.rng_arrivals.random(total)
        times.sort()  # in order within each day; the days are already in order
        sector, destination, lane = self._new_attributes(total)
        bounds = np.zeros(self.n_days + 1, dtype=np.int64)
        bounds[first + 1 :] = np.cumsum(counts)
        return times, sector, destination, lane, bounds

    def _new_attributes(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sector, destination and lane of ``n`` new files, drawn from the attributes stream."""
        sector = np.empty(n, dtype=np.int8)
        destination = np.empty(n, dtype=np.int8)
        lane = np.empty(n, dtype=np.int8)
        _attributes(
            self.rng_attributes,
            _edges(self.sector_share),
            _edges(self.destination_share),
            self.military_share,
            float(self.p.trusted_firm_share),
            sector,
            destination,
            lane,
        )
        return sector, destination, lane

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
            "licences_in_force": self.in_force_end_of_day.copy(),
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
        wait, military_approvals = _waits(
            apps.column("filed"),
            apps.column("decided"),
            apps.column("lane"),
            apps.column("approved"),
            float(self.clock.n_days),
        )
        d = min(max(deadline_day, 0), self.clock.n_days - 1)
        median_wait, p90_wait = quantiles(wait, (0.5, 0.9))
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
            "military_approvals": float(military_approvals),
            "wait_days_median": median_wait,
            "wait_days_p90": p90_wait,
            "wait_days_mean": float(wait.mean()) if wait.size else math.nan,
        }
        for sector in SECTORS:
            out[f"approvals_{sector}"] = float(series[f"approvals_{sector}"].sum())
        return out


#: slots of ``LicensingReview.counters``; SERVING: today's files are filed, its review under way
APPS, BOOKED, UNIFORM_POS, BACKLOG, IN_FORCE, SERVING, FILED_TODAY = range(7)
#: decision uniforms drawn at a time
UNIFORM_BLOCK = 8192
#: files the queue starts per call before their decisions are issued (the size of its output buffers)
SERVE_BLOCK = 4096
#: days of files that room is made for when the compiled run stops for room
ROOM_DAYS = 16
#: the application columns the compiled day reads and writes, in this order
_APP_COLUMNS = (
    "filed",
    "sector",
    "destination",
    "lane",
    "kind",
    "started",
    "finished",
    "decided",
    "approved",
    "contract",
    "cover",
    "prev_end",
    "valid_to",
    "next_licence",
)
#: the destination whose licences supply ships (the US)
_US = DESTINATIONS.index("us")


class _Booked:
    """Renewals and re-applications booked for a later day: one linked list of entries per day.

    The compiled day appends an entry (filing time, the row it copies, its kind)
    to the list of its filing day in constant time, and walks a day's list when
    the day comes, so nothing is sorted or regrouped in between.
    """

    def __init__(self, n_days: int, capacity: int = 4096):
        self.size = 0
        self.times = np.empty(capacity)
        self.source = np.empty(capacity, dtype=np.int64)
        self.kind = np.empty(capacity, dtype=np.int8)
        self.next = np.empty(capacity, dtype=np.int64)  # next entry of the same day, -1 at the end
        self.first = np.full(n_days, -1, dtype=np.int64)  # first entry of each day, -1 if none
        self.last = np.full(n_days, -1, dtype=np.int64)
        self.count = np.zeros(n_days, dtype=np.int64)

    def arrays(self) -> tuple:
        return self.times, self.source, self.kind, self.next, self.first, self.last, self.count

    def reserve(self, more: int) -> None:
        """Room for ``more`` entries (at least doubling)."""
        if self.size + more <= self.times.size:
            return
        capacity = max(self.size + more, 2 * self.times.size)
        for name in ("times", "source", "kind", "next"):
            old = getattr(self, name)
            grown = np.empty(capacity, dtype=old.dtype)
            grown[: self.size] = old[: self.size]
            setattr(self, name, grown)


@inline
def _files_on(day, controls_day, fresh_bounds, n_backlog, booked_count):  # pragma: no cover - compiled
    """How many files day ``day`` files: new ones, the initial backlog, and those booked for it."""
    if day < controls_day:
        return 0
    n = fresh_bounds[day + 1] - fresh_bounds[day] + booked_count[day]
    return n + n_backlog if day == controls_day else n


@kernel
def _advance(
    first_day,
    last_day,
    controls_day,
    queue,
    served,
    apps,
    booked,
    us_licences,
    fresh,
    backlog_files,
    uniforms,
    counters,
    tallies,
    min_review,
    p_approve,
    follow_up,
):  # pragma: no cover - compiled
    """Review days ``first_day..last_day``; returns the first day not reviewed.

    Each day: file (the initial backlog at the opening of the controls day, then
    new and booked files merged by filing time, new first on a tie), serve the
    queue until midnight, decide every file a reviewer takes up, close the day.
    Stops early, before a day when the table or the lanes might not hold its
    files, or within a day's review when review times, decision uniforms or
    booking entries run out (``counters[SERVING]`` says which); the caller makes
    room and calls again, and the run resumes where it stopped.
    """
    (
        filed_of,
        sector_of,
        destination_of,
        lane_of,
        kind_of,
        started_of,
        finished_of,
        decided_of,
        approved_of,
        contract_of,
        cover_of,
        prev_end_of,
        valid_to_of,
        next_licence_of,
    ) = apps
    licence_first, licence_last = us_licences
    booked_times, booked_source, booked_kind, booked_next, day_first, day_last, day_count = booked
    fresh_times, fresh_sector, fresh_destination, fresh_lane, fresh_bounds = fresh
    backlog_sector, backlog_destination, backlog_lane, backlog_prev_end, backlog_cover = backlog_files
    (
        filed_per_day,
        decided_per_day,
        decisions_per_day,
        starting_per_day,
        expiring_per_day,
        queued_end,
        reviewers_end,
        backlog_end,
        in_force_end,
    ) = tallies
    heap, _, lane_filed, lane_rows, _, tail, _, _, queue_counters = queue
    out_rows, out_starts, out_finishes = served
    term_days, renewal_probability, reapply_probability, renewal_lead, reapply_delay = follow_up
    last_slot = decided_per_day.shape[0] - 1  # decisions and expiries after the horizon
    n_sectors = decided_per_day.shape[2]
    horizon = day_first.size
    for day in range(first_day, last_day + 1):
        if day >= controls_day:
            if not counters[SERVING]:
                files = _files_on(day, controls_day, fresh_bounds, backlog_sector.size, day_count)
                longest = tail[0]  # tail.max(), written out (numpy's compiles for ~0.4 s)
                for lane in range(1, tail.size):
                    longest = max(longest, tail[lane])
                if counters[APPS] + files > filed_of.size or longest + files > lane_filed.shape[1]:
                    return day  # no room to file today
                # --- file: the backlog at the opening of the controls day, then new and booked
                # files merged by filing time (new first on a tie); each is written to the table
                # and appended to its lane's queue (the queue's `push`, written out: a call per
                # file costs as much again in reference counting)
                first_row = counters[APPS]
                n_backlog = backlog_sector.size if day == controls_day else 0
                entries = _sorted_entries(day_first[day], day_count[day], booked_times, booked_next)
                a, b = fresh_bounds[day], 0
                a_end, b_end = fresh_bounds[day + 1], entries.size
                for j in range(files):
                    row = first_row + j
                    if j < n_backlog:
                        t, sector, destination, lane, kind = (
                            float(day),
                            backlog_sector[j],
                            backlog_destination[j],
                            backlog_lane[j],
                            KIND_BACKLOG,
                        )
                        contract, cover, prev_end = row, backlog_cover[j], backlog_prev_end[j]
                    elif b == b_end or (a < a_end and fresh_times[a] <= booked_times[entries[b]]):
                        t, sector, destination, lane, kind = (
                            fresh_times[a],
                            fresh_sector[a],
                            fresh_destination[a],
                            fresh_lane[a],
                            KIND_NEW,
                        )
                        contract, cover, prev_end = row, term_days, -np.inf
                        a += 1
                    else:
                        e = entries[b]
                        source = booked_source[e]
                        t, sector, destination, lane, kind = (
                            booked_times[e], sector_of[source], destination_of[source], lane_of[source],
                            booked_kind[e],
                        )  # fmt: skip
                        contract = contract_of[source]
                        if kind == KIND_RENEWAL:  # the next term of the licence it continues
                            cover, prev_end = term_days, valid_to_of[source]
                        else:  # a re-application asks again for what the refused file asked
                            cover, prev_end = cover_of[source], prev_end_of[source]
                        b += 1
                    filed_of[row] = t
                    sector_of[row] = sector
                    destination_of[row] = destination
                    lane_of[row] = lane
                    kind_of[row] = kind
                    started_of[row] = np.nan
                    finished_of[row] = np.nan
                    decided_of[row] = np.nan
                    approved_of[row] = -1  # not decided yet
                    contract_of[row] = contract
                    cover_of[row] = cover
                    prev_end_of[row] = prev_end
                    valid_to_of[row] = np.nan
                    next_licence_of[row] = -1
                    filed_per_day[day, kind] += 1
                    slot = tail[lane]
                    lane_filed[lane, slot] = t
                    lane_rows[lane, slot] = row
                    tail[lane] = slot + 1
                queue_counters[WAITING] += files
                row = first_row + files
                counters[FILED_TODAY] = row - counters[APPS]
                counters[APPS] = row
                counters[SERVING] = 1
            # --- serve until midnight, a block of files at a time, and decide each file taken up
            while True:
                room = min(
                    uniforms.size - counters[UNIFORM_POS],
                    booked_times.size - counters[BOOKED],
                    out_rows.size,
                )
                if room == 0:
                    return day  # out of uniforms or booking room: resumes here
                served, status = serve_day(
                    queue, float(day), float(day + 1), room, out_rows, out_starts, out_finishes
                )
                for i in range(served):
                    r = out_rows[i]
                    finish = out_finishes[i]
                    lane = lane_of[r]
                    sector = sector_of[r]
                    decided = max(finish, filed_of[r] + min_review[lane])
                    u = counters[UNIFORM_POS]
                    counters[UNIFORM_POS] = u + 1
                    x, p = uniforms[u], p_approve[lane * n_sectors + sector]
                    approved = 1 if x < p else 0
                    started_of[r] = out_starts[i]
                    finished_of[r] = finish
                    decided_of[r] = decided
                    approved_of[r] = approved
                    on = min(int(decided), last_slot)
                    decided_per_day[on, approved, sector, destination_of[r]] += 1
                    decisions_per_day[on, approved] += 1
                    if approved:
                        # the licence starts where the contract's last one (or its clearance)
                        # ends, or now if that is past, and covers `cover` days of the schedule
                        start = max(decided, prev_end_of[r])
                        end = start + cover_of[r]
                        valid_to_of[r] = end
                        starting_per_day[min(int(start), last_slot)] += 1
                        expiring_per_day[min(int(end), last_slot)] += 1
                        if destination_of[r] == _US:  # append to the US licences decided that day
                            if licence_last[on] < 0:
                                licence_first[on] = r
                            else:
                                next_licence_of[licence_last[on]] = r
                            licence_last[on] = r
                    # renew after an approval, re-apply after a refusal, decided by where the
                    # decision's uniform fell within its outcome's share (x / p below p, (x - p) /
                    # (1 - p) above it: uniform again), so one number a decision serves both;
                    # a renewal is filed `renewal_lead` days before the licence ends (at once if
                    # that is past), and nothing is filed for a day already filed
                    if approved:
                        follows = x < p * renewal_probability
                        t = max(decided, valid_to_of[r] - renewal_lead)
                        kind = KIND_RENEWAL
                    else:
                        follows, t = x - p < (1.0 - p) * reapply_probability, decided + reapply_delay
                        kind = KIND_REAPPLICATION
                    t = max(t, float(day + 1))
                    on = int(t)
                    if not follows or on >= horizon:  # none, or filed after the horizon: not simulated
                        continue
                    # book it: append to the list of day `on`, in booking order
                    e = counters[BOOKED]
                    counters[BOOKED] = e + 1
                    booked_times[e] = t
                    booked_source[e] = r
                    booked_kind[e] = kind
                    booked_next[e] = -1
                    if day_last[on] < 0:
                        day_first[on] = e
                    else:
                        booked_next[day_last[on]] = e
                    day_last[on] = e
                    day_count[on] += 1
                if status == DONE:
                    break
                if status == NO_DRAWS:
                    return day  # out of review times: resumes here
        # --- close the day: every decision dated today exists by now (decisions come from
        # reviews started on or before their date), so today's tallies are final
        counters[SERVING] = 0
        filed_today = counters[FILED_TODAY]
        counters[FILED_TODAY] = 0
        n_rejected, n_approved = decisions_per_day[day, 0], decisions_per_day[day, 1]
        counters[BACKLOG] += filed_today - n_rejected - n_approved
        counters[IN_FORCE] += starting_per_day[day] - expiring_per_day[day]
        queued_end[day] = queue_counters[WAITING]
        reviewers_end[day] = heap.size
        backlog_end[day] = counters[BACKLOG]
        in_force_end[day] = counters[IN_FORCE]
    return last_day + 1


@inline
def _sorted_entries(first, count, times, next_entry):  # pragma: no cover - compiled
    """A day's booked entries by filing time, stably (ties in booking order).

    Entries come in the order decisions were issued, which interleaves lanes with
    different statutory minimums: far from sorted, so a merge sort, not an
    insertion sort (whose cost grows with the square of a day's renewals).
    """
    entries = np.empty(count, dtype=np.int64)
    at = np.empty(count)
    e = first
    for j in range(count):
        entries[j] = e
        at[j] = times[e]
        e = next_entry[e]
    return entries[np.argsort(at, kind="mergesort")]


@kernel
def _waits(
    filed: np.ndarray, decided: np.ndarray, lane: np.ndarray, approved: np.ndarray, horizon: float
) -> tuple[np.ndarray, int]:
    """Each decided file's wait (in table order), and the military files approved within the horizon."""
    wait = np.empty(filed.size)
    n = military = 0
    for i in range(filed.size):
        if not math.isnan(decided[i]):
            wait[n] = decided[i] - filed[i]
            n += 1
            military += approved[i] == 1 and lane[i] == MILITARY and decided[i] < horizon
    return wait[:n], military


@kernel
def _attributes(
    rng, sector_edges, destination_edges, military_share, trusted_share, sector, destination, lane
):  # pragma: no cover - compiled
    """Sector, destination and lane of new files, from two uniform numbers each, drawn here.

    The first number picks the sector: the last whose lower edge (cumulative
    share, ``sector_edges`` runs from 0 to 1) it reaches. Where it falls within
    the sector's share is itself uniform, and picks the destination the same
    way. The second number says military-use material (below the sector's
    military share); where it falls above that share is uniform again, and
    says trusted firm or not for a civil US file. Civil files go to the US
    lanes (trusted or not), Europe, or elsewhere.

    Why so: drawing four numbers a file was the largest cost of setting up a
    replication, and choosing by branches mispredicted half the time; the
    choices here are counted, not branched on (a uniform keeps 50-odd bits
    after a split).
    """
    just_below_one = 1.0 - 2.0**-53
    n_sectors, n_destinations = sector_edges.size - 1, destination_edges.size - 1
    for i in range(sector.size):
        u = rng.random()
        s = 0
        for k in range(1, n_sectors):
            s += u >= sector_edges[k]
        within = (u - sector_edges[s]) / (sector_edges[s + 1] - sector_edges[s])
        v = min(within, just_below_one)
        d = 0
        for k in range(1, n_destinations):
            d += v >= destination_edges[k]
        w = rng.random()
        m = military_share[s]
        lane_i = _CIVIL_LANE[d]
        if d == 0:
            lane_i = GREEN if w - m < trusted_share * (1.0 - m) else US_CIVIL
        if w < m:
            lane_i = MILITARY
        sector[i], destination[i], lane[i] = s, d, lane_i


def _edges(shares: np.ndarray) -> np.ndarray:
    """Category edges from shares that sum to one: 0, the cumulative shares, and exactly 1 at the end."""
    edges = np.concatenate([[0.0], np.cumsum(shares)])
    edges[-1] = 1.0
    return edges


def _normalised(weights: Mapping[str, float], names: tuple[str, ...]) -> np.ndarray:
    w = np.array([float(weights[n]) for n in names])
    if w.sum() <= 0:
        raise ValueError(f"weights {dict(weights)} must not all be zero")
    return w / w.sum()


@on_warm_up("licensing", compile_s=3.3)
def _warm_up() -> None:
    """Compile the day with the argument types a replication passes: run a tiny review."""
    from sim.core.streams import Streams

    params = ParamTree(
        controls_start=_WARM_UP_START,
        licence_term_days=182,
        initial_backlog=3,
        arrivals_per_day=2.0,
        renewal_probability=0.5,
        cleared_days_max=2.0,
        reapply_probability=0.5,
        renewal_lead_days=30,
        reapply_delay_days=1,
        trusted_firm_share=0.5,
        sector_share={s: 1.0 for s in SECTORS},
        destination_share={d: 1.0 for d in DESTINATIONS},
        military_share={s: 0.1 for s in SECTORS},
        review=ParamTree(
            review_capacity_per_day=2.0,
            mean_review_days=1.0,
            min_review_days=1.0,
            fast_track=False,
            fast_track_min_review_days=1.0,
            fast_track_approval_probability=0.9,
            green_channel=False,
            green_channel_min_review_days=1.0,
            europe_first=False,
            military_handling="hold",
            military_approval_probability=0.0,
            approval_probability={s: 0.5 for s in SECTORS},
        ),
    )
    clock = Clock(_WARM_UP_START, _WARM_UP_START + dt.timedelta(days=5))
    review = LicensingReview(clock, params, Streams(0, 0), LicensingState())
    for day in range(clock.n_days):
        review.advance_day(day)
    # the outcomes' kernel, as ``outcomes`` calls it (not ``outcomes`` itself: that would compile the
    # quantiles kernel too, which its own warm-up compiles, maybe in another process)
    apps = review.apps
    _waits(apps.column("filed"), apps.column("decided"), apps.column("lane"), apps.column("approved"), 5.0)
