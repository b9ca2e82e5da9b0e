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

from sim.clock import Clock
from sim.domain import SECTORS
from sim.sampling import ParamTree

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

    def __init__(self, clock: Clock, params: ParamTree, state: MacroState):
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

    def advance_day(
        self, day: int, lost_output_share: np.ndarray, us_tariff: float, china_tariff: float
    ) -> None:
        """Book today's losses from halted plants (share of each sector idle) and tariffs (percent)."""
        self.output_loss[day] = float(self.value_added @ lost_output_share) * self.multiplier / 365.0
        self.tariff_loss[day] = (self.us_drag * us_tariff + self.china_drag * china_tariff) / 365.0
        self.state.gdp_loss_pct += self.output_loss[day] + self.tariff_loss[day]

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
