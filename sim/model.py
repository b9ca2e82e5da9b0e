"""One replication of the model: a SimPy environment driving the subsystems.

Time runs in days. A clock process closes each day at midnight with urgent
priority: every subsystem advances through the day in a fixed order (licensing
decisions, then, as they are built, shipments, plant consumption, prices,
GDP). Dated policy events are SimPy processes that fire at the start of their
day, after the previous day has closed and before the new one is simulated, so
policy never changes in the middle of a day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from simpy.events import URGENT, Event

from sim.clock import Clock
from sim.licensing import LicensingReview
from sim.sampling import ParamTree, draw_parameters
from sim.scenario import Scenario
from sim.state import ModelState
from sim.streams import Streams


@dataclass
class ReplicationResult:
    """Everything one replication produced."""

    rep: int
    parameters: dict[str, Any]  # dotted path -> drawn value
    outcomes: dict[str, float]  # name -> value (dates as day numbers)
    series: dict[str, np.ndarray]  # name -> one value per simulated day


class _Midnight(Event):
    """Fires ``delay`` days from now ahead of any other event due at that instant.

    SimPy has no public urgent timeout; this mirrors how ``simpy.events.Timeout``
    schedules itself, with URGENT instead of NORMAL priority.
    """

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT, delay)


class Replication:
    """The SimPy environment and subsystems of one replication."""

    def __init__(self, scenario: Scenario, params: ParamTree, streams: Streams):
        self.scenario = scenario
        self.params = params
        self.clock = Clock(scenario.calendar.start, scenario.calendar.end)
        self.state = ModelState(clock=self.clock)
        self.env = simpy.Environment()
        self.licensing = LicensingReview(self.clock, params.licensing, streams, self.state.licensing)
        self.env.process(self._days())
        self.env.process(self._licensing_timeline(params.licensing.timeline))

    def _days(self) -> Iterator[Event]:
        for day in range(self.clock.n_days):
            yield _Midnight(self.env, 1.0)  # at `day + 1`: close `day`
            self.state.day = day
            self.licensing.advance_day(day)

    def _licensing_timeline(self, timeline: Mapping[str, ParamTree]) -> Iterator[Event]:
        dated = sorted(
            ((self.clock.day(ev.date), name, ev) for name, ev in timeline.items()),
            key=lambda item: (item[0], item[1]),
        )
        for day, _name, event in dated:
            if day >= self.clock.n_days:
                break
            if day > self.env.now:
                yield self.env.timeout(day - self.env.now)
            self.licensing.apply_policy(event, self.env.now)

    def run(self) -> None:
        """Simulate the whole horizon."""
        self.env.run(until=self.clock.n_days + 0.5)

    def outcomes(self) -> dict[str, float]:
        deadline = self.clock.day(self.params.calendar.truce_deadline)
        return self.licensing.outcomes(deadline)

    def series(self) -> dict[str, np.ndarray]:
        return self.licensing.series()


def run_replication(
    scenario: Scenario, master_seed: int, rep: int, overrides: Mapping[str, float] | None = None
) -> ReplicationResult:
    """Draw the parameters of replication ``rep`` and simulate it."""
    streams = Streams(master_seed, rep)
    params, flat = draw_parameters(scenario, streams, overrides)
    model = Replication(scenario, params, streams)
    model.run()
    return ReplicationResult(rep=rep, parameters=flat, outcomes=model.outcomes(), series=model.series())
