"""Tariff levels between the US and China (DESIGN.md subsystem 5).

Both tariffs are step series: they hold their level until something moves
them. Dated events in the scenario file carry what is known (the April
escalation, the Geneva cut, the London figures); the negotiation moves them
at decision points (a deal, a snap-back, an escalation). A court ruling on the
emergency tariffs comes at an uncertain date and may strike them: from then
on the US tariff on China cannot exceed the Section 301 fallback, whatever
else happens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.params import Params, TariffEventParams


@dataclass
class TariffState:
    """Tariffs in force, in percent of the goods' value."""

    us_on_china_pct: float = 0.0
    china_on_us_pct: float = 0.0
    struck_down: bool = False  # a court struck the emergency tariffs


class Tariffs:
    """The tariff levels of one replication, recorded at the end of each day."""

    def __init__(self, n_days: int, params: Params, state: TariffState):
        self.state = state
        state.us_on_china_pct = float(params.tariffs.us_on_china_pct)
        state.china_on_us_pct = float(params.tariffs.china_on_us_pct)
        self.cap_us = math.inf
        self.court = params.tariffs.get("court_ruling")
        self.us = np.zeros(n_days)
        self.china = np.zeros(n_days)

    def apply(self, event: TariffEventParams) -> None:
        """A dated change: levels the event names replace the current ones."""
        self.set_levels(us=event.get("us_on_china_pct"), china=event.get("china_on_us_pct"))

    def set_levels(self, us: float | None = None, china: float | None = None) -> None:
        """Change either level (None keeps it); the US level never exceeds a court's cap."""
        if us is not None:
            self.state.us_on_china_pct = min(float(us), self.cap_us)
        if china is not None:
            self.state.china_on_us_pct = float(china)

    def rule(self, u: float) -> bool:
        """The court rules; with probability ``strike_probability`` it strikes the emergency tariffs."""
        if self.court is None or u >= self.court.strike_probability:
            return False
        self.cap_us = float(self.court.fallback_us_on_china_pct)
        self.state.struck_down = True
        self.set_levels(us=self.state.us_on_china_pct)
        return True

    def record_through(self, first: int, last: int) -> None:
        """Record the levels in force over days ``first..last`` (they change only between days)."""
        self.us[first : last + 1] = self.state.us_on_china_pct
        self.china[first : last + 1] = self.state.china_on_us_pct

    def series(self) -> dict[str, np.ndarray]:
        return {"us_tariff_on_china": self.us.copy(), "china_tariff_on_us": self.china.copy()}

    def outcomes(self, deadline_day: int) -> dict[str, float]:
        d = min(max(deadline_day, 0), self.us.size - 1)
        return {
            "us_tariff_at_deadline": float(self.us[d]),
            "us_tariff_mean": float(self.us.mean()),
        }
