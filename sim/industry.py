"""US magnet users: plants, their stock, orders, halts and lost output (DESIGN.md subsystem 3).

Each sector is a set of plants, not one aggregate, because a shortage does not
hit a sector evenly: the plant with the thinnest stock halts first, weeks
before the sector's average runs dry. Plants are rows of numpy arrays (size,
stock, open orders, running or halted) updated together once a day.

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
   fills only its orders. With unconstrained supply (a validation switch) a
   day of full use lands every day, and more whenever open orders need it, so
   every order is filled at once (``tied`` then behaves as a pool).
4. A halted plant restarts once its stock covers ``restart_cover_days``.
5. A running plant uses one day's worth of magnets; a plant whose stock is
   below one day's use halts instead and uses nothing. Each halted plant-day
   loses that plant's day of output.

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

from sim.clock import Clock
from sim.domain import SECTORS
from sim.sampling import ParamTree
from sim.streams import Streams

N_SECTORS = len(SECTORS)
_SECTOR_INDEX = np.arange(N_SECTORS)


@dataclass
class IndustryState:
    """What the rest of the model sees of US industry, day by day."""

    plants_halted: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS, dtype=np.int64))
    #: share of each sector's output lost today (halted plants weighted by size)
    lost_output_share: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS))
    #: tonnes ordered and still open before today's deliveries, and tonnes delivered today
    orders_open: float = 0.0
    orders_filled: float = 0.0


class Industry:
    """The plants of every US sector in one replication."""

    def __init__(self, clock: Clock, params: ParamTree, streams: Streams, state: IndustryState):
        self.clock = clock
        self.state = state
        self.n = clock.n_days
        rng = streams.generator("industry.plants")
        tables = params.industry.sectors
        counts = np.array([int(tables[s].plants) for s in SECTORS])
        self.plants_per_sector = counts
        self.sector = np.repeat(np.arange(N_SECTORS), counts).astype(np.int64)
        n_plants = int(counts.sum())
        z = rng.standard_normal((2, n_plants))
        #: breaks ties between orders placed the same day (a fixed place in the queue per plant)
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
        self.use = demand[self.sector] * size / total[self.sector]  # tonnes per running day
        #: each plant's share of its sector's output (its share of the sector's magnet use)
        self.output_weight = size / total[self.sector]
        cover = per_plant("initial_cover_median_days") * np.exp(per_plant("initial_cover_sigma") * z[1])
        self.stock = cover * self.use
        self.initial_plant_stock = self.stock.copy()
        self.initial_stock = np.bincount(self.sector, weights=self.stock, minlength=N_SECTORS)
        self.open_orders = np.zeros(n_plants)
        self.order_time = np.zeros(n_plants)  # when the plant's oldest open order was placed
        self.running = np.ones(n_plants, dtype=bool)
        self.reorder_point = per_plant("reorder_point_days") * self.use
        self.order_up_to = per_plant("order_up_to_days") * self.use
        self.restart_level = per_plant("restart_cover_days") * self.use
        self.first_halt_day = np.full(n_plants, -1, dtype=np.int64)
        # a day's stock, up to rounding: a plant that started with exactly k days of use
        # must run k days, whatever the last bit of k subtractions says
        self._day_of_use = self.use * (1.0 - 1e-9)
        self.distributor = float(params.industry.distributor_stock_days) * demand
        self.initial_distributor = self.distributor.copy()
        #: tied allocation: each plant's own supplier stock (the sector's distributor stock, split by use)
        self.supplier = float(params.industry.distributor_stock_days) * self.use if self.tied else None

        n = self.n
        self.used = np.zeros((n, N_SECTORS))
        self.landed = np.zeros((n, N_SECTORS))
        self.plant_stock = np.zeros((n, N_SECTORS))
        self.distributor_stock = np.zeros((n, N_SECTORS))
        self.halted = np.zeros((n, N_SECTORS), dtype=np.int64)
        self.lost_output = np.zeros((n, N_SECTORS))
        self.ordered_open = np.zeros(n)  # tonnes open before deliveries, all sectors
        self.delivered = np.zeros(n)  # tonnes delivered to plants, all sectors

    def advance_day(
        self,
        day: int,
        arrivals: np.ndarray,
        unconstrained: bool = False,
        arrivals_by_plant: np.ndarray | None = None,
    ) -> np.ndarray:
        """Land, order, deliver, restart and use one day; returns tonnes landed by sector.

        With tied allocation ``arrivals_by_plant`` says what lands at each plant's
        supplier (it sums to ``arrivals`` by sector).
        """
        sector = self.sector
        need = self.stock + self.open_orders < self.reorder_point
        if need.any():
            np.copyto(self.order_time, day + self.tiebreak, where=need & (self.open_orders <= 0.0))
            np.copyto(self.open_orders, self.order_up_to - self.stock, where=need)
        open_by_sector = np.bincount(sector, weights=self.open_orders, minlength=N_SECTORS)
        if unconstrained:
            # a day of full use lands every day, and more if open orders need it
            short = np.maximum(open_by_sector - self.distributor - self.sector_demand, 0.0)
            arrivals = self.sector_demand + short
        if self.supplier is not None:
            # each plant's supplier fills that plant's order from what it holds, and nothing else
            if arrivals_by_plant is None:
                raise ValueError("tied allocation needs each plant's arrivals")
            self.supplier += arrivals_by_plant
            delivered = np.minimum(self.open_orders, self.supplier)
            self.supplier -= delivered
            delivered_by_sector = np.bincount(sector, weights=delivered, minlength=N_SECTORS)
            self.distributor = np.bincount(sector, weights=self.supplier, minlength=N_SECTORS)
        else:
            self.distributor += arrivals
            if self.first_come and (self.distributor < open_by_sector).any():
                delivered = self._first_come()
            else:  # every open order gets the same share, at most all of it
                fill = np.zeros(N_SECTORS)
                np.divide(self.distributor, open_by_sector, out=fill, where=open_by_sector > 0)
                delivered = self.open_orders * np.minimum(fill, 1.0)[sector]
            delivered_by_sector = np.bincount(sector, weights=delivered, minlength=N_SECTORS)
            self.distributor = np.maximum(self.distributor - delivered_by_sector, 0.0)
        self.stock += delivered
        self.open_orders -= delivered

        self.running |= self.stock >= self.restart_level  # halted plants with enough stock restart
        can_run = self.stock >= self._day_of_use
        halt = self.running & ~can_run
        if halt.any():
            self.running &= can_run
            new = halt & (self.first_halt_day < 0)
            self.first_halt_day[new] = day
        use = np.where(self.running, np.minimum(self.use, self.stock), 0.0)
        self.stock -= use

        halted = ~self.running
        self.used[day] = np.bincount(sector, weights=use, minlength=N_SECTORS)
        self.landed[day] = arrivals
        self.plant_stock[day] = np.bincount(sector, weights=self.stock, minlength=N_SECTORS)
        self.distributor_stock[day] = self.distributor
        self.halted[day] = np.bincount(sector, weights=halted, minlength=N_SECTORS).astype(np.int64)
        self.lost_output[day] = np.bincount(sector, weights=self.output_weight * halted, minlength=N_SECTORS)
        self.ordered_open[day] = open_by_sector.sum()
        self.delivered[day] = delivered_by_sector.sum()

        s = self.state
        s.plants_halted = self.halted[day]
        s.lost_output_share = self.lost_output[day]
        s.orders_open = float(self.ordered_open[day])
        s.orders_filled = float(self.delivered[day])
        return arrivals

    def _first_come(self) -> np.ndarray:
        """Deliveries when distributors fill whole orders, oldest first, within each sector."""
        waiting = np.flatnonzero(self.open_orders > 0.0)
        queue = waiting[np.lexsort((self.order_time[waiting], self.sector[waiting]))]
        wanted = self.open_orders[queue]
        sector = self.sector[queue]
        total = np.cumsum(wanted)
        first = np.searchsorted(sector, _SECTOR_INDEX)  # queue is grouped by sector
        before_sector = np.concatenate(([0.0], total))[first]
        ahead = total - wanted - before_sector[sector]  # tonnes wanted by older orders of the sector
        delivered = np.zeros_like(self.open_orders)
        delivered[queue] = np.minimum(np.maximum(self.distributor[sector] - ahead, 0.0), wanted)
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
            out[f"lost_output_{name}"] = 100.0 * self.lost_output[:, i]
        return out

    def outcomes(self, day_of: dict[str, int]) -> dict[str, float]:
        """Halted plant-days, lost output and first stoppage per sector."""
        out: dict[str, float] = {}
        for i, name in enumerate(SECTORS):
            mine = self.sector == i
            halts = self.first_halt_day[mine]
            out[f"halted_plant_days_{name}"] = float(self.halted[:, i].sum())
            out[f"lost_output_days_{name}"] = float(self.lost_output[:, i].sum())
            out[f"first_stoppage_{name}"] = float(halts[halts >= 0].min()) if (halts >= 0).any() else np.nan
            out[f"plants_ever_halted_{name}"] = float((halts >= 0).sum())
        june = day_of["auto_halt_cutoff"]
        auto = self.first_halt_day[self.sector == SECTORS.index("auto")]
        out["auto_halt_before_june"] = float(((auto >= 0) & (auto < june)).any())
        return out
