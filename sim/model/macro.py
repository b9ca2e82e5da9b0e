"""What the standoff costs the US economy, by channel (DESIGN.md subsystem 7).

Each day the model works out how far US output that day falls below the path
it would have taken without the standoff: a LEVEL, in percent of GDP. Two
channels, reported apart and summed:

* Magnet channel: a plant short of magnets loses a share of its sector's
  output (``IndustryState.lost_output_share``: the share of each sector's
  output lost that day). Each sector's magnet-dependent output is
  ``value_added_share_pct`` of US GDP, and ``output_multiplier`` carries the
  loss to suppliers and spending::

      magnet level (% of GDP) = multiplier x sum over sectors of (value added % x lost share)

* Tariff channel: a tariff ``t`` (a fraction) on trade worth ``V0`` percent of
  US GDP before the standoff. The trade answers the price with a constant
  elasticity ``e``, ``V(t) = V0 (1 + t) ** -e``, and what buyers lose is the
  area under that demand curve between the old and the new price,
  ``integral from 0 to t of V(u) du``; a share ``s`` of it becomes lost US
  output::

      drag (% of GDP) = s x V0 x (1 - (1 + t) ** (1 - e)) / (e - 1)

  For a small tariff this is ``s x t x V0``, the old tariff-times-volume rule;
  as the tariff rises the trade collapses and the drag saturates at
  ``s x V0 / (e - 1)``. With ``e >= 2`` it never exceeds ``s`` times the trade
  lost, ``s x (V0 - V(t))``, at any tariff: a prohibitive tariff costs at
  most what the lost trade was worth, not the tariff rate times the old volume.
  The same form covers the US tariff on Chinese goods (US imports, lost by US
  buyers) and China's tariff on US goods (US exports, lost by US producers).

From the daily levels the model reports two kinds of measure, and every GDP
outcome says which it is (``sim.results.catalogue``):

* LEVEL (``gdp_level_loss_*``), as a forecaster means "0.6% off GDP by Q3":
  the mean daily level over a calendar quarter, i.e. that quarter's GDP below
  its no-shock path, in % of the quarter's GDP (Q3 = July to September,
  year-end = Q4, October to December). The HSBC and Oxford Economics figures
  are compared with these.
* CUMULATIVE (``gdp_loss_*``): output lost summed over days since the start,
  to 30 September or 31 December, in % of one year's GDP (a day at a level of
  1% adds 1/365 %): the total bill, in the same unit as a cost in dollars over
  a year's GDP.

``MacroState.gdp_loss_pct`` stays the cumulative total (the negotiation's US
pain reads it); the channels and today's level are published beside it.

Known limits: the tariffs are the scenario's 2025 levels, read as additions to
a no-shock path that already carries the older tariffs; trade answers a tariff
at once, with the elasticity of buyers switching supplier (the short-run
elasticity of total trade is lower); and nothing is made up later (a halted
plant's lost output is not recovered by overtime after it restarts).
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

#: Calendar quarters whose GDP level is reported: HSBC's "by Q3" (fig
#: hsbc_us_gdp_loss_by_q3_2025) and Oxford Economics' "by year-end" (fig
#: oxford_economics_us_gdp_loss_year_end_no_deal), read as the Q4 level.
QUARTERS: dict[str, tuple[dt.date, dt.date]] = {
    "q3": (dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
    "year_end": (dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
}
END_OF_Q3 = QUARTERS["q3"][1]
YEAR_END = QUARTERS["year_end"][1]

#: The channels, in the order of the kernel's rows.
CHANNELS = ("magnet", "tariff")


@dataclass
class MacroState:
    """What the rest of the model (the negotiation's US pain) sees of the economy.

    ``gdp_loss_pct`` and the channel fields are CUMULATIVE (% of annual GDP lost
    since the start); the ``level`` fields are today's output below its no-shock
    path, in % of GDP.
    """

    gdp_loss_pct: float = 0.0  # cumulative, both channels
    gdp_loss_magnet_pct: float = 0.0  # cumulative, magnet channel
    gdp_loss_tariff_pct: float = 0.0  # cumulative, tariff channel
    gdp_level_loss_pct: float = 0.0  # today's level, both channels
    gdp_level_loss_magnet_pct: float = 0.0
    gdp_level_loss_tariff_pct: float = 0.0


def _consumer_loss(tariff_pct: float, trade_pct_of_gdp: float, elasticity: float) -> float:
    """Area under the demand curve ``V0 (1 + u) ** -e`` for ``u`` from 0 to the tariff (% of GDP)."""
    t = tariff_pct / 100.0
    if t <= 0.0 or trade_pct_of_gdp <= 0.0:
        return 0.0
    if abs(elasticity - 1.0) < 1e-9:
        return trade_pct_of_gdp * math.log1p(t)
    return trade_pct_of_gdp * (1.0 - (1.0 + t) ** (1.0 - elasticity)) / (elasticity - 1.0)


def tariff_drag_pct(
    tariff_pct: float, trade_pct_of_gdp: float, elasticity: float, output_share: float
) -> float:
    """GDP level lost to one tariff, % of GDP (module docstring): saturates as the trade collapses."""
    return output_share * _consumer_loss(tariff_pct, trade_pct_of_gdp, elasticity)


def trade_after_tariff_pct(tariff_pct: float, trade_pct_of_gdp: float, elasticity: float) -> float:
    """The trade still flowing under a tariff, % of GDP: ``V0 (1 + t) ** -e``."""
    return trade_pct_of_gdp * (1.0 + max(tariff_pct, 0.0) / 100.0) ** -elasticity


class Macro:
    """GDP loss of one replication, by channel."""

    def __init__(self, clock: Clock, params: Params, state: MacroState):
        p = params.macro
        self.clock = clock
        self.state = state
        self.value_added = np.array([float(p.value_added_share_pct[s]) for s in SECTORS])
        self.multiplier = float(p.output_multiplier)
        # (trade % of GDP, elasticity, output share) of US imports from China and US exports to China
        self.imports = (
            float(p.us_imports_from_china_pct_of_gdp),
            float(p.us_import_elasticity),
            float(p.us_tariff_output_share),
        )
        self.exports = (
            float(p.us_exports_to_china_pct_of_gdp),
            float(p.us_export_elasticity),
            float(p.china_tariff_output_share),
        )
        n = clock.n_days
        self.level = np.zeros((2, n))  # % of GDP below the no-shock path that day, by channel
        self.cumulative_by_channel = np.zeros((2, n))  # % of annual GDP lost so far, end of day
        self.cumulative = np.zeros(n)  # both channels: what the negotiation's US pain reads

    def tariff_drag_pct(self, us_tariff_pct: float, china_tariff_pct: float) -> float:
        """Level of GDP lost to both tariffs, % of GDP."""
        us = tariff_drag_pct(us_tariff_pct, *self.imports)
        return us + tariff_drag_pct(china_tariff_pct, *self.exports)

    def run_through(
        self, first: int, last: int, lost_output_share: np.ndarray, us_tariff: float, china_tariff: float
    ) -> None:
        """Book the losses of days ``first..last`` and publish day ``last``.

        ``lost_output_share`` is each sector's share of output lost, by day (days
        x sectors); the tariffs (percent) hold over the days, which end before the
        next event.
        """
        _macro_days(
            first, last, lost_output_share, self.tariff_drag_pct(us_tariff, china_tariff), self.value_added,
            self.multiplier, self.level, self.cumulative_by_channel, self.cumulative,
        )  # fmt: skip
        s = self.state
        s.gdp_loss_magnet_pct, s.gdp_loss_tariff_pct = (float(x) for x in self.cumulative_by_channel[:, last])
        s.gdp_loss_pct = float(self.cumulative[last])
        s.gdp_level_loss_magnet_pct, s.gdp_level_loss_tariff_pct = (float(x) for x in self.level[:, last])
        s.gdp_level_loss_pct = float(self.level[:, last].sum())

    def series(self) -> dict[str, np.ndarray]:
        """Daily series: level and cumulative loss, total and by channel (catalogue: SERIES)."""
        out = {
            "gdp_loss": self.cumulative.copy(),
            "gdp_level_loss": self.level.sum(axis=0),
        }
        for i, channel in enumerate(CHANNELS):
            out[f"gdp_loss_{channel}"] = self.cumulative_by_channel[i].copy()
            out[f"gdp_level_loss_{channel}"] = self.level[i].copy()
        return out

    def outcomes(self) -> dict[str, float]:
        """Quarterly levels and cumulative losses, total and by channel; NaN outside the horizon.

        ``gdp_loss_{q3,year_end}[_channel]_pct`` are CUMULATIVE (to 30 September and
        31 December); ``gdp_level_loss_{q3,year_end}[_channel]_pct`` are the LEVELS of
        Q3 and Q4, the measure forecasters quote.
        """
        out: dict[str, float] = {}
        n = self.clock.n_days
        for name, (first_date, last_date) in QUARTERS.items():
            first, last = self.clock.day(first_date), self.clock.day(last_date)
            inside = first >= 0 and last < n
            level = self.level[:, first : last + 1].mean(axis=1) if inside else np.full(2, math.nan)
            so_far = self.cumulative_by_channel[:, last] if inside else np.full(2, math.nan)
            out[f"gdp_loss_{name}_pct"] = float(self.cumulative[last]) if inside else math.nan
            out[f"gdp_level_loss_{name}_pct"] = float(level.sum())
            for i, channel in enumerate(CHANNELS):
                out[f"gdp_loss_{name}_{channel}_pct"] = float(so_far[i])
                out[f"gdp_level_loss_{name}_{channel}_pct"] = float(level[i])
        return out


@kernel
def _macro_days(
    first: int,
    last: int,
    lost_output_share: np.ndarray,
    tariff_level: float,
    value_added: np.ndarray,
    multiplier: float,
    level: np.ndarray,
    cumulative_by_channel: np.ndarray,
    cumulative: np.ndarray,
) -> None:
    """Each day's level of loss by channel and the running totals (cumulative: level / 365 a day)."""
    magnet_so_far = cumulative_by_channel[0, first - 1] if first > 0 else 0.0
    tariff_so_far = cumulative_by_channel[1, first - 1] if first > 0 else 0.0
    for day in range(first, last + 1):
        lost = 0.0
        for s in range(value_added.size):
            lost += value_added[s] * lost_output_share[day, s]
        level[0, day] = lost * multiplier
        level[1, day] = tariff_level
        magnet_so_far += level[0, day] / 365.0
        tariff_so_far += tariff_level / 365.0
        cumulative_by_channel[0, day] = magnet_so_far
        cumulative_by_channel[1, day] = tariff_so_far
        cumulative[day] = magnet_so_far + tariff_so_far


@on_warm_up("macro", compile_s=0.3)
def _warm_up() -> None:
    """Compile (or load) the kernel with the model's types: two days of two sectors."""
    _macro_days(0, 1, np.ones((2, 2)), 0.1, np.ones(2), 1.5, np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(2))
