"""One replication of the model: a SimPy environment driving the subsystems.

Time runs in days: day ``d`` starts at time ``d``. A clock process closes each
day at half past its start (time ``d + 0.5``), after every event dated that day
has fired and before the next day's: every subsystem advances through the day
in a fixed order, each reading what the ones before it published that day:

1. licensing: file, review and decide export applications (China);
2. supply: ship the lots of today's US licences, land what arrives;
3. industry: plants order, distributors deliver, plants run, slow (triage) or halt;
4. tariffs: record the levels in force;
5. market: the price index moves with the supply gap;
6. macro: book the day's GDP loss from idle plants and tariffs;
7. negotiation: update each side's pain.

Between events nothing can change any subsystem's rules, so a run of quiet
days is closed in one go: each subsystem does the whole stretch in one
compiled call, in the order above, and publishes the stretch's last day. The
numbers are the same as closing the days one at a time.

Decision points of the negotiation (talks, deadlines) and a court ruling on
the tariffs are SimPy processes too, firing at the start of their day. Dated events (the
licensing policy timeline, the tariff schedule) are SimPy processes that fire
at the start of their day, after the previous day has closed and before the new
one is simulated, so policy never changes in the middle of a day.

Only SimPy's public API is used: ordinary timeouts (the close at ``d + 0.5`` needs
no priority over the day's events, which are all at whole days), and a pause
(``run_until``) is ``Environment.run(until=day)``, which stops at ``day`` before
any event of that day.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import numpy as np
import simpy
from simpy import Event

from sim.core.clock import Clock
from sim.core.domain import SECTORS
from sim.core.jit import run_warm_ups
from sim.core.replication_result import ReplicationResult
from sim.core.streams import Streams
from sim.model.industry import Industry
from sim.model.licensing.review import LicensingReview
from sim.model.macro import Macro
from sim.model.market import Market
from sim.model.negotiation import Negotiation
from sim.model.state import ModelState
from sim.model.supply import Supply
from sim.model.tariffs import Tariffs
from sim.scenario.param_types import with_changes
from sim.scenario.params import CourtRulingParams, Params
from sim.scenario.sampling import draw_parameters
from sim.scenario.schema import Scenario

#: Fixed calendar windows of outcomes that are checked against the sources.
AUTO_HALT_CUTOFF = dt.date(2025, 6, 1)  # fig ford_chicago_plant_halt_date: an auto halt in late May
MAY_2025 = (dt.date(2025, 5, 1), dt.date(2025, 5, 31))  # fig magnet_price_rise_may_2025


class Replication:
    """The SimPy environment and subsystems of one replication."""

    def __init__(self, scenario: Scenario, params: Params, streams: Streams):
        self.scenario = scenario
        self.params = params
        self.clock = Clock(scenario.calendar.start, scenario.calendar.end)
        self.state = ModelState(clock=self.clock)
        self.env = simpy.Environment()
        self.licensing = LicensingReview(self.clock, params.licensing, streams, self.state.licensing)
        self.us_side = scenario.has_us_side
        if self.us_side:
            self.supply = Supply(
                self.clock, params, streams, self.state.supply, self.licensing.backlog_contracts
            )
            self.industry = Industry(self.clock, params, streams, self.state.industry)
            self.supply.tie_to_plants(self.industry.sector, self.industry.use)  # tied allocation only
            self.tariffs = Tariffs(self.clock.n_days, params, self.state.tariffs)
            self.market = Market(
                self.clock.n_days, params, self.state.market, float(self.industry.sector_demand.sum())
            )
            self.macro = Macro(self.clock, params, self.state.macro)
            self.negotiation = Negotiation(
                self.clock, params, streams, self.state.negotiation, self.licensing, self.tariffs
            )
            self.negotiation.start(0.0)
            # drawn up front: the ruling's date (or a fork before it) never shifts the draw
            self.court_u = float(streams.generator("tariffs.court").random())
        self._pause_day: int | None = None
        self._licensing_event_days = sorted(
            self.clock.day(ev.date) for ev in params.licensing.timeline.values()
        )
        #: dated events that will not fire: (timeline, event name); a fork may drop the events
        #: that carried a scripted decision point's history (see sim.experiments.branches)
        self.suppressed: set[tuple[str, str]] = set()
        self._start_processes(0)

    # --- the SimPy processes ---------------------------------------------------------------

    def _start_processes(self, today: int) -> None:
        """Start every process at the start of day ``today``, before its dated events fire.

        The processes keep no state of their own: what has happened is in the
        subsystems (days closed, decision points still pending), and dated events
        due before ``today`` have fired. So a copy of the subsystems taken at the
        start of a day continues exactly as the original would (see ``fork``).
        """
        params = self.params
        if self.us_side:
            self.env.process(self._timeline("tariffs", params.tariffs.timeline, self.tariffs.apply, today))
            self.env.process(self._negotiation())
            if params.tariffs.get("court_ruling"):
                self.env.process(self._court_ruling(params.tariffs.court_ruling, today))
        self.env.process(self._days(today))
        self.env.process(self._timeline("licensing", params.licensing.timeline, self._licensing_event, today))

    def _days(self, first: int) -> Iterator[Event]:
        """Close each day, in order, from day ``first``, once the day's dated events have fired.

        Day ``day`` closes at time ``day + 0.5``: every dated event fires at the
        start of its day (a whole number), so the close comes after the events of
        its own day and before those of the next, with ordinary timeouts.
        Most closes have nothing else around them. When no other event is due
        before a later day (``env.peek``), every day up to that one is closed
        at once: each subsystem runs through the stretch in one call, with the
        same arithmetic as day by day, and publishes the stretch's last day, which
        is all an event or a pause can read. A pause (``run_until``) always gets
        the day before it closed on its own.
        """
        env = self.env
        n_days = self.clock.n_days
        day = first
        while day < n_days:
            yield env.timeout(day + 0.5 - env.now)  # after the events of `day`: close `day`
            last = n_days - 1
            upcoming = env.peek()  # the next event: days before it can be closed now
            if upcoming < last + 1:
                last = int(math.floor(upcoming)) - 1
            if self._pause_day is not None:
                last = min(last, self._pause_day - 2)  # the day before a pause closes at its own midnight
            last = max(day, last)
            self._close_days(day, last)
            day = last + 1

    def _close_days(self, first: int, last: int) -> None:
        """Close days ``first..last`` (no event falls between them) and publish day ``last``."""
        self.state.day = last
        licensing = self.licensing
        licensing.advance_day(last, self._review_limit(last) if last >= licensing.done else None)
        if self.us_side:
            self._us_side_days(first, last)

    def _review_limit(self, day: int) -> int:
        """The last day the licence review may run through when closing ``day``.

        The review depends on nothing but its policy, which changes only at the
        start of a day: a dated licensing event, a decision point of the
        negotiation (which may change capacity, or put chip controls on), or a
        pause (a game's turn, a fork). Until the first of those the review can run
        ahead; the review refuses a policy change for a day it has already run.
        """
        upcoming = self.clock.n_days
        for event_day in self._licensing_event_days:
            if event_day > day:
                upcoming = event_day
                break
        if self.us_side and (point := self.negotiation.next_point()) is not None:
            upcoming = min(upcoming, point.fire_day)
        if self._pause_day is not None:
            upcoming = min(upcoming, self._pause_day)
        return upcoming - 1

    def _us_side_days(self, first: int, last: int) -> None:
        """Shipments, plants, tariffs, prices, GDP and pain of days ``first..last``, after licensing.

        Tariffs, chip controls and the negotiation's state change only at events,
        which fall outside the stretch, so they hold over it.
        """
        s = self.state
        supply, industry = self.supply, self.industry
        if supply.unconstrained:  # what lands depends on what the plants order: day by day
            for day in range(first, last + 1):
                supply.advance_day(day, self.licensing.us_licences())
                landed = industry.advance_day(day, s.supply.arrivals_today, True, s.supply.arrivals_by_plant)
                supply.record_unconstrained(day, landed)
        else:  # the plants run as far ahead as supply's landings are known
            supply.advance_day(last, self.licensing.us_licences(), self.licensing.done - 1)
            industry.run_through(supply.done - 1, *supply.landings)
            industry.publish(last)
        tariffs = s.tariffs
        self.tariffs.record_through(first, last)
        self.market.run_through(first, last, industry.landed, tariffs.us_on_china_pct)
        self.macro.run_through(
            first, last, industry.lost_output, tariffs.us_on_china_pct, tariffs.china_on_us_pct
        )
        self.negotiation.run_through(
            first, last, industry.lost_output, self.market.price, self.licensing.in_force_end_of_day
        )

    def _negotiation(self) -> Iterator[Event]:
        """Decision points in date order; an extension adds a new deadline while this runs."""
        while (point := self.negotiation.next_point()) is not None:
            if point.fire_day >= self.clock.n_days:
                return
            if point.fire_day > self.env.now:
                yield self.env.timeout(point.fire_day - self.env.now)
            self.negotiation.decide(self.env.now)

    def _court_ruling(self, ruling: CourtRulingParams, today: int) -> Iterator[Event]:
        day = self.clock.day(ruling.date)
        if day >= self.clock.n_days or day < today:
            return
        if day > self.env.now:
            yield self.env.timeout(day - self.env.now)
        self.tariffs.rule(self.court_u)

    def _licensing_event(self, event: Mapping[str, Any]) -> None:
        self.licensing.apply_policy(event, self.env.now)

    def _timeline(
        self,
        kind: str,
        timeline: Mapping[str, Any],
        apply: Callable[[Any], None],
        today: int,
    ) -> Iterator[Event]:
        """Fire dated events in date order (ties by name) at the start of their day, from ``today``."""
        dated = sorted(
            ((self.clock.day(ev.date), name, ev) for name, ev in timeline.items()),
            key=lambda item: (item[0], item[1]),
        )
        for day, name, event in dated:
            if day < today:
                continue  # fired before a fork: its effect is in the copied state
            if day >= self.clock.n_days:
                break
            if day > self.env.now:
                yield self.env.timeout(day - self.env.now)
            if (kind, name) not in self.suppressed:
                apply(event)

    def run(self) -> None:
        """Simulate the rest of the horizon."""
        self.env.run(until=self.clock.n_days + 0.5)

    @property
    def today(self) -> int:
        """The day about to be simulated (days before it are closed)."""
        return int(self.env.now)

    def run_until(self, day: int) -> None:
        """Simulate up to the start of ``day``: days before it closed, none of its dated events fired.

        A game takes its turn here, and ``fork`` copies the model here. SimPy's
        ``run(until=day)`` stops at ``day`` ahead of every event due then; the
        day before it has closed at ``day - 0.5``.
        """
        if not self.today <= day <= self.clock.n_days:
            raise ValueError(f"cannot run to day {day} from day {self.today} (horizon {self.clock.n_days})")
        if day == self.today:
            return
        self._pause_day = day
        try:
            self.env.run(until=day)
        finally:
            self._pause_day = None

    def fork(self) -> Replication:
        """An independent copy of this replication at the start of today, to continue separately.

        Everything that will shape the future is copied: queues, licences in
        force, shipments in transit, plant stocks, prices, tariffs, negotiation
        state and the position of every random stream. The SimPy environment is
        not copied; the copy gets a new one at today's time with its processes
        restarted from the copied state. Deep copying is safe because no
        subsystem holds a reference to the environment.
        """
        env = self.env
        self.env = None  # type: ignore[assignment]
        try:
            memo = {id(self.scenario): self.scenario}
            twin: Replication = copy.deepcopy(self, memo)
        finally:
            self.env = env
        twin.env = simpy.Environment(initial_time=env.now)
        twin._start_processes(self.today)
        return twin

    def adopt(self, scenario: Scenario, params: Params, points: Collection[str]) -> None:
        """Continue, from today, as a replication of ``scenario``, which differs only at ``points``.

        ``params`` is that scenario's draw for this replication; the two draws may differ only
        in the decision points ``points``, none of which has fired yet (the caller checks both),
        so the history so far is that scenario's too. Call on a fork (``fork``): the processes
        restarted there read the adopted points.
        """
        self.scenario = scenario
        self.params = params
        self.negotiation.adopt_points(params, points)

    def outcomes(self) -> dict[str, float]:
        clock = self.clock
        deadline = clock.day(self.params.calendar.truce_deadline)
        day_of = {
            "auto_halt_cutoff": clock.day(AUTO_HALT_CUTOFF),
            "may_start": clock.day(MAY_2025[0]),
            "may_end": clock.day(MAY_2025[1]),
        }
        out = self.licensing.outcomes(deadline)
        if self.us_side:
            out |= self.supply.outcomes() | self.industry.outcomes(day_of) | self.market.outcomes(day_of)
            out |= self.tariffs.outcomes(deadline) | self.macro.outcomes() | self.negotiation.outcomes()
        return out

    def series(self) -> dict[str, np.ndarray]:
        out = self.licensing.series()
        if not self.us_side:
            return out
        arrivals = self.supply.arrivals_per_day()
        in_transit = self.supply.in_transit()
        for i, sector in enumerate(SECTORS):
            out[f"arrivals_{sector}"] = arrivals[:, i]
            out[f"in_transit_{sector}"] = in_transit[:, i]
        out |= self.supply.series()
        out |= self.industry.series() | self.market.series() | self.tariffs.series()
        return out | self.macro.series() | self.negotiation.series()


def simulate(
    scenario: Scenario,
    master_seed: int,
    rep: int,
    overrides: Mapping[str, float] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> tuple[Replication, dict[str, Any]]:
    """Draw the parameters of replication ``rep``, simulate it, return the model and its draws.

    ``overrides`` gives some parameters' uniform numbers (designed experiments);
    ``changes`` replaces drawn values outright, by dotted path (tests, benchmarks);
    the draws returned are the values drawn, before the changes.
    """
    streams = Streams(master_seed, rep)
    params, flat = draw_parameters(scenario, streams, overrides)
    if changes:
        params = with_changes(params, changes)
    model = Replication(scenario, params, streams)
    model.run()
    return model, flat


def run_replication(
    scenario: Scenario, master_seed: int, rep: int, overrides: Mapping[str, float] | None = None
) -> ReplicationResult:
    """Draw the parameters of replication ``rep`` and simulate it."""
    model, flat = simulate(scenario, master_seed, rep, overrides)
    return ReplicationResult(rep=rep, parameters=flat, outcomes=model.outcomes(), series=model.series())


def warm_up() -> None:
    """Compile, or load from the disk cache, every kernel of the model, in this process.

    A pool's parent calls this before it starts workers, so that forked workers
    inherit compiled kernels instead of each compiling them again. Importing this
    module imported every subsystem, which registered its kernels.
    """
    run_warm_ups()
