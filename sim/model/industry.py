"""US magnet users: plants, their stock, orders, triage, halts and lost output (DESIGN.md subsystem 3).

Each sector is a set of plants, not one aggregate, because a shortage does not
hit a sector evenly: the plant with the thinnest stock runs short first, weeks
before the sector's average runs dry. Plants are rows of numpy arrays (size,
stock, open orders, output, substitution) updated together once a day, by one
compiled kernel (:mod:`sim.model.plant_day`, ``sim.core.jit``): written as numpy
a day was dozens of calls on arrays of a few hundred plants, and their fixed
per-call cost was the whole cost.

A day, in order:

1. What lands today goes into the sector's distributor stock.
2. Reorder rule (s, S): a plant whose stock plus open orders is below
   ``reorder_point_days`` of its use orders up to ``order_up_to_days``.
3. Distributors fill open orders from their stock. When they cannot fill them
   all, the scenario's ``allocation`` rule decides: ``first_come`` fills whole
   orders oldest first (a plant at the back of the queue gets nothing), while
   ``proportional`` gives every open order the same share. With ``tied``
   there is no pool: each plant has its own supplier, holding
   ``distributor_stock_days`` of that plant's use, which receives only the
   contracts licensed for that plant (and its share of unlicensed flow) and
   fills only its orders. A supplier's stock is a real buffer: tonnes held
   apart from the plant's, drawn down by the plant's orders when nothing lands,
   refilled by what lands. Behind the supplier, each plant has a parts pipeline:
   magnets already built into motors, sensors and modules at tier-1 and tier-2
   suppliers and in transit to the plant (``parts_pipeline_days`` of the plant's
   use, lognormal across plants with ``parts_pipeline_sigma``). What the
   suppliers cannot deliver is made up from it; it is refilled from what the
   suppliers hold once the plants' orders are served. It is counted in the
   reported distributor stock (all stock upstream of the plants). With
   unconstrained supply (a validation switch) a day of full use lands every
   day, and more whenever open orders need it, so every order is filled at once
   (``tied`` then behaves as a pool).
4. Substitution, triage, run or halt (``sim.model.plant_day`` gives the rule):
   a plant whose order went unfilled and whose stock covers fewer than
   ``triage_cover_days`` runs below capacity, cutting its least valuable lines
   first, down to its priority lines; from its first slowdown substitutes
   replace a rising share of its magnet need; it halts only when its stock
   cannot run the priority lines for a day, and restarts once its stock covers
   ``restart_cover_days``.

Lost output is counted as it falls: a plant running at a share ``y`` of its
capacity loses ``1 - y`` of its output that day, a halted plant all of it, each
weighted by the plant's share of its sector (its share of the sector's magnet
use). ``IndustryState.lost_output_share`` is that sum per sector;
``plants_halted`` counts plants fully stopped, not those slowed.

Why ``tied`` exists: with a sector-wide pool, a plant running low is refilled
from the pool as long as the pool holds anything, so no plant halts before the
whole sector's distributor stock is gone, and the first halt date is the
sector's average exhaustion date plus a reorder point (in the baseline the two
correlate at 0.97 across replications). The sources report single plants and
firms in trouble (Ford's Chicago plant stopped in late May; Ford and Boeing
paralysed: figs ford_chicago_plant_halt_date, ford_boeing_operational_paralysis),
not a sector running dry at once, which is what plants bound to their own
suppliers' licences produce.

Tonnes are conserved, for each sector every day::

    initial stock + tonnes landed so far = used so far + plant stock + distributor stock
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core.clock import Clock
from sim.core.domain import SECTORS
from sim.core.jit import PackedRow
from sim.core.streams import Streams
from sim.model import plant_day as rows
from sim.model.plant_day import fill_first_come, plants_day, plants_days
from sim.scenario.params import Params

N_SECTORS = len(SECTORS)
#: Stands in for each plant's arrivals when allocation is not tied.
_NO_PLANTS = np.zeros(0)


@dataclass
class IndustryState:
    """What the rest of the model sees of US industry, day by day."""

    #: plants fully stopped today, by sector (slowed plants are not counted)
    plants_halted: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS, dtype=np.int64))
    #: share of each sector's output lost today (each plant's lost share of its capacity,
    #: slowed or halted, weighted by its size)
    lost_output_share: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS))
    #: tonnes ordered and still open before today's deliveries, and tonnes delivered today
    orders_open: float = 0.0
    orders_filled: float = 0.0


class Industry:
    """The plants of every US sector in one replication."""

    # per plant
    stock = PackedRow("_plants", rows.STOCK)
    open_orders = PackedRow("_plants", rows.OPEN)
    #: when the plant's oldest open order was placed
    order_time = PackedRow("_plants", rows.ORDER_TIME)
    #: share of the plant's magnet need that substitutes replaced today
    substituted = PackedRow("_plants", rows.SUBSTITUTED)
    #: share of the plant's full output made today (0 when halted)
    output_share = PackedRow("_plants", rows.OUTPUT)
    #: breaks ties between orders placed the same day (a fixed place in the queue per plant)
    tiebreak = PackedRow("_plants", rows.TIEBREAK)
    reorder_point = PackedRow("_plants", rows.REORDER)
    order_up_to = PackedRow("_plants", rows.UP_TO)
    #: days of magnet need a halted plant waits for before it restarts
    restart_cover_days = PackedRow("_plants", rows.RESTART_DAYS)
    #: tonnes per day of full output before any substitution
    use = PackedRow("_plants", rows.USE)
    #: each plant's share of its sector's output (its share of the sector's magnet use)
    output_weight = PackedRow("_plants", rows.WEIGHT)
    #: days of magnet need below which a plant whose order went unfilled triages
    triage_cover_days = PackedRow("_plants", rows.TRIAGE_DAYS)
    #: the share of magnet need substitutes replace once fully ramped up, and the ramp's days
    substitution_max = PackedRow("_plants", rows.SUBSTITUTION_MAX)
    substitution_ramp_days = PackedRow("_plants", rows.SUBSTITUTION_RAMP)
    #: the priority lines' share of the plant's magnets, and of its output
    priority_magnet_share = PackedRow("_plants", rows.PRIORITY_MAGNETS)
    priority_output_share = PackedRow("_plants", rows.PRIORITY_OUTPUT)
    sector = PackedRow("_plant_ints", rows.SECTOR)
    #: the first day each plant halted, -1 while it never has
    first_halt_day = PackedRow("_plant_ints", rows.FIRST_HALT)
    #: the first day each plant ran below capacity (or halted), -1 while it never has
    first_slowdown_day = PackedRow("_plant_ints", rows.FIRST_SLOWDOWN)
    # per sector
    distributor = PackedRow("_per_sector", rows.DISTRIBUTOR)
    sector_demand = PackedRow("_per_sector", rows.DEMAND)
    # by day and sector
    used = PackedRow("_by_day", rows.USED)
    landed = PackedRow("_by_day", rows.LANDED)
    plant_stock = PackedRow("_by_day", rows.PLANT_STOCK)
    distributor_stock = PackedRow("_by_day", rows.DISTRIBUTOR_STOCK)
    lost_output = PackedRow("_by_day", rows.LOST)
    #: plants running below capacity (not halted)
    slowed = PackedRow("_by_day", rows.SLOWED)
    # by day, all sectors
    #: tonnes open before deliveries
    ordered_open = PackedRow("_totals", rows.ORDERED_OPEN)
    #: tonnes delivered to plants
    delivered = PackedRow("_totals", rows.DELIVERED)

    def __init__(self, clock: Clock, params: Params, streams: Streams, state: IndustryState):
        self.clock = clock
        self.state = state
        self.n = n = clock.n_days
        rng = streams.generator("industry.plants")
        tables = params.industry.sectors
        counts = np.array([int(tables[s].plants) for s in SECTORS])
        self.plants_per_sector = counts
        n_plants = int(counts.sum())
        # same-shaped arrays packed, so that the day's kernel takes few arguments (sim.core.jit)
        self._plants = np.zeros((rows.N_PLANT_ROWS, n_plants))
        self._plant_ints = np.zeros((rows.N_PLANT_INT_ROWS, n_plants), dtype=np.int64)
        self._per_sector = np.zeros((2, N_SECTORS))
        self._by_day = np.zeros((rows.N_BY_DAY_ROWS, n, N_SECTORS))
        self._totals = np.zeros((2, n))
        #: the first day the plants have not run yet (they may run ahead of the rest of the model)
        self.done = 0
        self.sector = np.repeat(np.arange(N_SECTORS), counts)
        z = rng.standard_normal((2, n_plants))
        self.tiebreak = rng.random(n_plants)
        self.first_come = params.industry.allocation == "first_come"
        self.tied = params.industry.allocation == "tied" and not bool(params.supply.unconstrained)

        def per_plant(name: str) -> np.ndarray:
            return np.array([float(tables[s][name]) for s in SECTORS])[self.sector]

        # plant sizes: lognormal around the sector average, scaled so the sector uses its demand
        size = np.exp(per_plant("plant_size_sigma") * z[0])
        total = np.bincount(self.sector, weights=size, minlength=N_SECTORS)
        demand = np.array([tables[s].demand_tonnes_per_year / 365.0 for s in SECTORS])
        self.sector_demand = demand
        self.use = demand[self.sector] * size / total[self.sector]
        self.output_weight = size / total[self.sector]
        cover = per_plant("initial_cover_median_days") * np.exp(per_plant("initial_cover_sigma") * z[1])
        self.stock = cover * self.use
        self.initial_plant_stock = self.stock.copy()
        self.initial_stock = np.bincount(self.sector, weights=self.stock, minlength=N_SECTORS)
        self.running = np.ones(n_plants, dtype=bool)
        self.reorder_point = per_plant("reorder_point_days") * self.use
        self.order_up_to = per_plant("order_up_to_days") * self.use
        self.restart_cover_days = per_plant("restart_cover_days")
        self.triage_cover_days = per_plant("triage_cover_days")
        self.substitution_max = per_plant("substitution_share")
        self.substitution_ramp_days = per_plant("substitution_ramp_days")
        self.priority_magnet_share = float(params.industry.priority_magnet_share)
        self.priority_output_share = float(params.industry.priority_output_share)
        self.output_share = 1.0
        self.first_halt_day = -1
        self.first_slowdown_day = -1
        self.distributor = float(params.industry.distributor_stock_days) * demand
        # magnets inside parts on their way to each plant: lognormal days of its use around the
        # sector's median (its own stream, so that adding it shifted no other draw)
        z_pipeline = streams.generator("industry.pipeline").standard_normal(n_plants)
        spread = per_plant("parts_pipeline_sigma") * z_pipeline
        self._plants[rows.PIPELINE_FULL] = per_plant("parts_pipeline_days") * np.exp(spread) * self.use
        self._plants[rows.PIPELINE] = self._plants[rows.PIPELINE_FULL]
        #: magnets upstream of the plants on day 0: at distributors and inside parts on their way
        self.initial_distributor = self.distributor + np.bincount(
            self.sector, weights=self._plants[rows.PIPELINE], minlength=N_SECTORS
        )
        if self.tied:
            self._plants[rows.SUPPLIER] = float(params.industry.distributor_stock_days) * self.use
        self.halted = np.zeros((n, N_SECTORS), dtype=np.int64)

    @property
    def supplier(self) -> np.ndarray | None:
        """Tied allocation: each plant's own supplier stock (the sector's distributor stock, split
        by use); None otherwise."""
        return self._plants[rows.SUPPLIER] if self.tied else None

    def advance_day(
        self,
        day: int,
        arrivals: np.ndarray,
        unconstrained: bool = False,
        arrivals_by_plant: np.ndarray | None = None,
    ) -> np.ndarray:
        """Land, order, deliver, restart and use one day; returns tonnes landed by sector.

        With tied allocation ``arrivals_by_plant`` says what lands at each plant's
        supplier (it sums to ``arrivals`` by sector). The returned array is the
        day's row of ``landed``: ``arrivals``, or with unconstrained supply what
        had to land to fill every order.
        """
        if self.tied and arrivals_by_plant is None:
            raise ValueError("tied allocation needs each plant's arrivals")
        plants_day(
            day,
            arrivals,
            arrivals_by_plant if self.tied else _NO_PLANTS,
            unconstrained,
            self.first_come,
            self.tied,
            self._plants,
            self._plant_ints,
            self.running,
            self._per_sector,
            self._by_day,
            self.halted,
            self._totals,
        )
        self.done = day + 1
        return self.publish(day)

    def run_through(self, last: int, arrivals: np.ndarray, arrivals_by_plant: np.ndarray) -> None:
        """Run the plants from ``done`` through day ``last``, in one compiled call.

        ``arrivals`` and ``arrivals_by_plant`` are supply's landings by day (and
        plant). Nothing downstream (prices, tariffs, the negotiation) feeds back
        into the plants, so once supply's landings are known the plants can run
        ahead of the rest of the model, with the same results as day by day.
        """
        if last < self.done:
            return
        if self.tied and arrivals_by_plant.shape[1] != self.sector.size:
            raise ValueError("tied allocation needs each plant's arrivals")
        plants_days(
            self.done,
            last,
            arrivals,
            arrivals_by_plant,
            False,  # unconstrained supply runs day by day (advance_day): landings depend on orders
            self.first_come,
            self.tied,
            self._plants,
            self._plant_ints,
            self.running,
            self._per_sector,
            self._by_day,
            self.halted,
            self._totals,
        )
        self.done = last + 1

    def publish(self, day: int) -> np.ndarray:
        """Publish day ``day`` (already run) in ``state``; returns its row of ``landed``."""
        s = self.state
        s.plants_halted = self.halted[day]
        s.lost_output_share = self.lost_output[day]
        s.orders_open = float(self._totals[rows.ORDERED_OPEN, day])
        s.orders_filled = float(self._totals[rows.DELIVERED, day])
        return self.landed[day]

    def _first_come(self) -> np.ndarray:
        """Deliveries when distributors fill whole orders, oldest first, within each sector."""
        delivered = np.zeros_like(self.open_orders)
        fill_first_come(self.open_orders, self.order_time, self.sector, self.distributor, delivered)
        return delivered

    # --- results --------------------------------------------------------------------------

    def series(self) -> dict[str, np.ndarray]:
        """Daily series per sector."""
        out: dict[str, np.ndarray] = {}
        cover = self.plant_stock / self.sector_demand
        for i, name in enumerate(SECTORS):
            out[f"stock_{name}"] = self.plant_stock[:, i].copy()
            out[f"distributor_stock_{name}"] = self.distributor_stock[:, i].copy()
            out[f"days_of_cover_{name}"] = cover[:, i].copy()
            out[f"plants_running_{name}"] = self.plants_per_sector[i] - self.halted[:, i]
            out[f"plants_halted_{name}"] = self.halted[:, i].copy()
            out[f"plants_slowed_{name}"] = self.slowed[:, i].copy()
            out[f"lost_output_{name}"] = 100.0 * self.lost_output[:, i]
            out[f"output_share_{name}"] = 100.0 * (1.0 - self.lost_output[:, i])
        return out

    def outcomes(self, day_of: dict[str, int]) -> dict[str, float]:
        """Halted plant-days, lost output, first slowdown and first stoppage per sector."""
        out: dict[str, float] = {}
        for i, name in enumerate(SECTORS):
            mine = self.sector == i
            halts, slowdowns = self.first_halt_day[mine], self.first_slowdown_day[mine]
            lost_days = float(self.lost_output[:, i].sum())
            out[f"halted_plant_days_{name}"] = float(self.halted[:, i].sum())
            out[f"lost_output_days_{name}"] = lost_days
            out[f"output_lost_pct_of_year_{name}"] = 100.0 * lost_days / 365.0
            out[f"first_slowdown_{name}"] = _first(slowdowns)
            out[f"first_stoppage_{name}"] = _first(halts)
            out[f"plants_ever_slowed_{name}"] = float((slowdowns >= 0).sum())
            out[f"plants_ever_halted_{name}"] = float((halts >= 0).sum())
        june = day_of["auto_halt_cutoff"]
        auto = self.first_halt_day[self.sector == SECTORS.index("auto")]
        out["auto_halt_before_june"] = float(((auto >= 0) & (auto < june)).any())
        return out


def _first(days: np.ndarray) -> float:
    """The earliest of some plants' first days (-1: never), NaN when none ever came."""
    seen = days[days >= 0]
    return float(seen.min()) if seen.size else np.nan
