"""The magnet price index and the landed cost in the US (DESIGN.md subsystem 4).

The index is 100 at the pre-crisis price. It moves with the gap between what
US plants use at full output and what arrives, averaged over the last few
weeks (an exponential average with memory ``price_memory_days``)::

    supply gap     = max(0, 1 - recent arrivals / full use)
    d log(index)   = price_pressure_per_day * supply gap
                     - price_easing_per_day * log(index / 100)

Easing pulls the index back towards 100, so a long shortage levels off
(buyers substitute, redesign or wait) and prices come down as supply returns,
even while plants are still rebuilding stock. The index never falls below its
pre-crisis level: the model has no glut dynamics. With unlimited supply
arrivals never fall short of full use and the index stays flat (a validation
test checks it).

The landed cost a US buyer pays adds the US tariff on Chinese goods to the
index (an index of 100 with a 55% tariff lands at 155).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.core.jit import kernel, on_warm_up
from sim.scenario.params import Params

#: slots of ``Market._carry``: what one day hands the next
_RECENT, _LOG_PRICE = range(2)


@dataclass
class MarketState:
    """The price that the rest of the model sees."""

    price_index: float = 100.0
    landed_cost_index: float = 100.0
    supply_gap: float = 0.0  # 1 - recent arrivals / full use, floored at 0


class Market:
    """The price index of one replication."""

    def __init__(self, n_days: int, params: Params, state: MarketState, full_use_per_day: float):
        self.state = state
        self.pressure = float(params.market.price_pressure_per_day)
        self.easing = float(params.market.price_easing_per_day)
        self.smoothing = 1.0 / max(1.0, float(params.market.price_memory_days))
        self.full_use = full_use_per_day
        #: recent arrivals (before the crisis supply met use) and the log of index / 100
        self._carry = np.array([full_use_per_day, 0.0])
        self.price = np.full(n_days, 100.0)
        self.landed = np.full(n_days, 100.0)
        self.gap = np.zeros(n_days)

    def run_through(self, first: int, last: int, landed: np.ndarray, us_tariff_pct: float) -> None:
        """Move the index through days ``first..last`` and publish day ``last``.

        ``landed`` is tonnes landed by day and sector; the US tariff holds over the
        days (tariffs change only at the start of a day, at an event, and the
        model runs a stretch of days only up to the next event). One compiled
        loop, the same arithmetic whether the days come one at a time or together.
        """
        _market_days(
            first, last, landed, us_tariff_pct, self.pressure, self.easing, self.smoothing,
            self.full_use, self._carry, self.price, self.landed, self.gap,
        )  # fmt: skip
        s = self.state
        s.price_index, s.landed_cost_index, s.supply_gap = self.price[last], self.landed[last], self.gap[last]

    def series(self) -> dict[str, np.ndarray]:
        return {
            "price_index": self.price.copy(),
            "landed_cost_index": self.landed.copy(),
            "supply_gap": 100.0 * self.gap,
        }

    def outcomes(self, day_of: dict[str, int]) -> dict[str, float]:
        """Peak rise and the rise over May 2025 (end of April to end of May)."""
        start, end = day_of["may_start"], day_of["may_end"]
        n = self.price.size
        if 0 < start <= end < n:
            may = 100.0 * (self.price[end] / self.price[start - 1] - 1.0)
        else:
            may = math.nan
        return {
            "price_rise_peak_pct": float(self.price.max() - 100.0),
            "price_peak_date": float(np.argmax(self.price)) if self.price.max() > 100.0 else math.nan,
            "price_rise_may_2025_pct": float(may),
            "price_index_at_end": float(self.price[-1]),
        }


@kernel
def _market_days(
    first: int,
    last: int,
    landed: np.ndarray,
    us_tariff_pct: float,
    pressure: float,
    easing: float,
    smoothing: float,
    full_use: float,
    carry: np.ndarray,
    price_out: np.ndarray,
    landed_out: np.ndarray,
    gap_out: np.ndarray,
) -> None:
    """The index day by day: the gap against recent arrivals, pressure up, easing back to 100."""
    recent, log_price = carry[_RECENT], carry[_LOG_PRICE]
    for day in range(first, last + 1):
        arrivals = 0.0
        for s in range(landed.shape[1]):
            arrivals += landed[day, s]
        recent += smoothing * (arrivals - recent)
        gap = max(0.0, 1.0 - recent / full_use) if full_use > 0 else 0.0
        log_price = max(0.0, log_price + pressure * gap - easing * log_price)
        price = 100.0 * math.exp(log_price)
        price_out[day] = price
        landed_out[day] = price * (1.0 + us_tariff_pct / 100.0)
        gap_out[day] = gap
    carry[_RECENT], carry[_LOG_PRICE] = recent, log_price


@on_warm_up("market", compile_s=0.2)
def _warm_up() -> None:
    """Compile (or load) the kernel with the model's types: two days of two sectors."""
    out = np.zeros(2)
    carry = np.array([1.0, 0.0])
    _market_days(0, 1, np.ones((2, 2)), 10.0, 0.1, 0.01, 0.1, 1.0, carry, out, out.copy(), out.copy())
