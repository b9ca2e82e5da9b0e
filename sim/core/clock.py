"""The simulation clock: one time unit is one calendar day.

Day 0 is the scenario's start date (default 2025-04-02). Scenario files only
ever contain calendar dates; this module is the one place that turns them into
day numbers and back, so that the model does no date arithmetic of its own.
(Outside the model, a distribution over dates draws by ordinal,
:mod:`sim.scenario.distributions`, and the results folder labels daily series
with ``datetime64`` dates.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clock:
    """Maps calendar dates onto simulation days for one scenario."""

    start: dt.date
    end: dt.date

    @property
    def n_days(self) -> int:
        """Number of simulated days, both ends included."""
        return (self.end - self.start).days + 1

    def day(self, date: dt.date) -> int:
        """Day number of a calendar date (may lie outside the horizon)."""
        return (date - self.start).days

    def date(self, day: float) -> dt.date:
        """Calendar date on which (fractional) day ``day`` falls."""
        return self.start + dt.timedelta(days=int(np.floor(day)))

    def dates(self) -> list[dt.date]:
        """Every simulated date, in order."""
        return [self.start + dt.timedelta(days=d) for d in range(self.n_days)]

    def iso_dates(self) -> list[str]:
        """Every simulated date as an ISO string (the form written to results tables)."""
        return [d.isoformat() for d in self.dates()]
