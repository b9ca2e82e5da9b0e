"""Tariff levels between the US and China (DESIGN.md subsystem 5).

Both tariffs are step series: they hold their level until a dated event moves
them (the April escalation, the Geneva cut, the London figures). For now the
events are a schedule in the scenario file; the negotiation subsystem will add
the moves that depend on how talks go (snap-back, a court ruling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.sampling import ParamTree


@dataclass
class TariffState:
    """Tariffs in force, in percent of the goods' value."""

    us_on_china_pct: float = 0.0
    china_on_us_pct: float = 0.0


class Tariffs:
    """The tariff levels of one replication, recorded at the end of each day."""

    def __init__(self, n_days: int, params: ParamTree, state: TariffState):
        self.state = state
        state.us_on_china_pct = float(params.tariffs.us_on_china_pct)
        state.china_on_us_pct = float(params.tariffs.china_on_us_pct)
        self.us = np.zeros(n_days)
        self.china = np.zeros(n_days)

    def apply(self, event: ParamTree) -> None:
        """A dated change: levels the event names replace the current ones."""
        if event.get("us_on_china_pct") is not None:
            self.state.us_on_china_pct = float(event["us_on_china_pct"])
        if event.get("china_on_us_pct") is not None:
            self.state.china_on_us_pct = float(event["china_on_us_pct"])

    def close_day(self, day: int) -> None:
        self.us[day] = self.state.us_on_china_pct
        self.china[day] = self.state.china_on_us_pct

    def series(self) -> dict[str, np.ndarray]:
        return {"us_tariff_on_china": self.us.copy(), "china_tariff_on_us": self.china.copy()}

    def outcomes(self, deadline_day: int) -> dict[str, float]:
        d = min(max(deadline_day, 0), self.us.size - 1)
        return {
            "us_tariff_at_deadline": float(self.us[d]),
            "us_tariff_mean": float(self.us.mean()),
        }
