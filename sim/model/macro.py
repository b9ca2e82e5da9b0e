"""What the standoff costs the US economy, as a share of annual GDP (DESIGN.md subsystem 7).

Two channels, both counted day by day and summed over time:

* Lost output: a halted plant loses its share of its sector's output. Each
  sector's magnet-dependent output is ``value_added_share_pct`` of US GDP, and
  ``output_multiplier`` carries the loss to suppliers and spending. A day on
  which a whole sector stands idle costs ``share x multiplier / 365`` percent
  of annual GDP.
* Tariff drag: while the US tariff on Chinese goods is ``t`` percent, GDP
  grows more slowly at ``us_tariff_drag_per_point x t`` percent of GDP a year
  (dearer inputs and goods); China's tariff on US goods drags on exports at
  ``china_tariff_drag_per_point`` per point.

The result is the cumulative loss since the start, in percent of one year's
US GDP: the measure the HSBC and Oxford Economics estimates in the sources use
("0.6% of GDP by the third quarter").
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sim.core.clock import Clock
from sim.core.domain import SECTORS
from sim.core.jit import kernel, on_warm_up
from sim.scenario.params import Params

#: Dates at which GDP loss is reported (fig hsbc_us_gdp_loss_by_q3_2025 and
#: fig oxford_economics_us_gdp_loss_year_end_no_deal).
END_OF_Q3 = dt.date(2025, 9, 30)
YEAR_END = dt.date(2025, 12, 31)


@dataclass
class MacroState:
    """What the rest of the model (the negotiation's US pain) sees of the economy."""

    gdp_loss_pct: float = 0.0  # cumulative, % of annual US GDP


class Macro:
    """GDP loss of one replication."""

    def __init__(self, clock: Clock, params: Params, state: MacroState):
        p = params.macro
        self.clock = clock
        self.state = state
        self.value_added = np.array([float(p.value_added_share_pct[s]) for s in SECTORS])
        self.multiplier = float(p.output_multiplier)
        self.us_drag = float(p.us_tariff_drag_per_point)
        self.china_drag = float(p.china_tariff_drag_per_point)
        n = clock.n_days
        self.output_loss = np.zeros(n)  # % of annual GDP lost that day to halted plants
        self.tariff_loss = np.zeros(n)  # % of annual GDP lost that day to tariffs
        self.cumulative = np.zeros(n)  # % of annual GDP lost so far, at the end of each day

    def run_through(
        self, first: int, last: int, lost_output_share: np.ndarray, us_tariff: float, china_tariff: float
    ) -> None:
        """Book the losses of days ``first..last`` and publish day ``last``.

        ``lost_output_share`` is each sector's idle share by day; the tariffs
        (percent) hold over the days, which end before the next event.
        """
        _macro_days(
            first, last, lost_output_share, us_tariff, china_tariff, self.value_added, self.multiplier,
            self.us_drag, self.china_drag, self.state.gdp_loss_pct, self.output_loss, self.tariff_loss,
            self.cumulative,
        )  # fmt: skip
        self.state.gdp_loss_pct = float(self.cumulative[last])

    def series(self) -> dict[str, np.ndarray]:
        output = np.cumsum(self.output_loss)
        tariffs = np.cumsum(self.tariff_loss)
        return {
            "gdp_loss": output + tariffs,
            "gdp_loss_output": output,
            "gdp_loss_tariffs": tariffs,
        }

    def outcomes(self) -> dict[str, float]:
        s = self.series()
        out: dict[str, float] = {}
        for name, date in (("q3", END_OF_Q3), ("year_end", YEAR_END)):
            d = self.clock.day(date)
            inside = 0 <= d < self.clock.n_days
            out[f"gdp_loss_{name}_pct"] = float(s["gdp_loss"][d]) if inside else math.nan
            out[f"gdp_loss_{name}_output_pct"] = float(s["gdp_loss_output"][d]) if inside else math.nan
        return out


@kernel
def _macro_days(
    first: int,
    last: int,
    lost_output_share: np.ndarray,
    us_tariff: float,
    china_tariff: float,
    value_added: np.ndarray,
    multiplier: float,
    us_drag: float,
    china_drag: float,
    so_far: float,
    output_loss: np.ndarray,
    tariff_loss: np.ndarray,
    cumulative: np.ndarray,
) -> None:
    """Each day's loss from idle plants and from tariffs, and the running total."""
    tariff = (us_drag * us_tariff + china_drag * china_tariff) / 365.0
    for day in range(first, last + 1):
        idle = 0.0
        for s in range(value_added.size):
            idle += value_added[s] * lost_output_share[day, s]
        output_loss[day] = idle * multiplier / 365.0
        tariff_loss[day] = tariff
        so_far += output_loss[day] + tariff
        cumulative[day] = so_far


@on_warm_up("macro")
def _warm_up() -> None:
    """Compile (or load) the kernel with the model's types: two days of two sectors."""
    out = np.zeros(2)
    _macro_days(
        0, 1, np.ones((2, 2)), 10.0, 5.0, np.ones(2), 1.5, 0.01, 0.01, 0.0, out, out.copy(), out.copy()
    )
