"""US magnet users: plants, their stock, orders, halts and lost output (DESIGN.md subsystem 3).

Each sector is a set of plants, not one aggregate, because a shortage does not
hit a sector evenly: the plant with the thinnest stock halts first, weeks
before the sector's average runs dry. Plants are rows of numpy arrays (size,
stock, open orders, running or halted) updated together once a day, by one
compiled kernel (``sim.core.jit``): written as numpy a day was dozens of calls on
arrays of a few hundred plants, and their fixed per-call cost was the whole
cost. The kernel sums per sector in plant order, as ``np.bincount`` does, so
it gives the same numbers as the numpy it replaced.

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

from sim.core.clock import Clock
from sim.core.domain import SECTORS
from sim.core.jit import PackedRow, kernel, on_warm_up
from sim.core.streams import Streams
from sim.scenario.params import Params

N_SECTORS = len(SECTORS)
#: Stands in for each plant's arrivals when allocation is not tied.
_NO_PLANTS = np.zeros(0)

# Rows of the packed arrays the day's kernel takes (see ``sim.core.jit.PackedRow``).
#: ``Industry._plants``, per plant: state, then fixed figures
_STOCK, _OPEN, _ORDER_TIME, _SUPPLIER = range(4)
_TIEBREAK, _REORDER, _UP_TO, _RESTART, _DAY_OF_USE, _USE, _WEIGHT = range(4, 11)
#: ``Industry._plant_ints``, per plant
_SECTOR, _FIRST_HALT = range(2)
#: ``Industry._per_sector``
_DISTRIBUTOR, _DEMAND = range(2)
#: ``Industry._by_day``, tables by day and sector
_USED, _LANDED, _PLANT_STOCK, _DISTRIBUTOR_STOCK, _LOST = range(5)
#: ``Industry._totals``, by day, all sectors
_ORDERED_OPEN, _DELIVERED = range(2)


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

    # per plant
    stock = PackedRow("_plants", _STOCK)
    open_orders = PackedRow("_plants", _OPEN)
    #: when the plant's oldest open order was placed
    order_time = PackedRow("_plants", _ORDER_TIME)
    #: breaks ties between orders placed the same day (a fixed place in the queue per plant)
    tiebreak = PackedRow("_plants", _TIEBREAK)
    reorder_point = PackedRow("_plants", _REORDER)
    order_up_to = PackedRow("_plants", _UP_TO)
    restart_level = PackedRow("_plants", _RESTART)
    #: tonnes per running day
    use = PackedRow("_plants", _USE)
    #: each plant's share of its sector's output (its share of the sector's magnet use)
    output_weight = PackedRow("_plants", _WEIGHT)
    sector = PackedRow("_plant_ints", _SECTOR)
    #: the first day each plant halted, -1 while it never has
    first_halt_day = PackedRow("_plant_ints", _FIRST_HALT)
    # per sector
    distributor = PackedRow("_per_sector", _DISTRIBUTOR)
    sector_demand = PackedRow("_per_sector", _DEMAND)
    # by day and sector
    used = PackedRow("_by_day", _USED)
    landed = PackedRow("_by_day", _LANDED)
    plant_stock = PackedRow("_by_day", _PLANT_STOCK)
    distributor_stock = PackedRow("_by_day", _DISTRIBUTOR_STOCK)
    lost_output = PackedRow("_by_day", _LOST)
    # by day, all sectors
    #: tonnes open before deliveries
    ordered_open = PackedRow("_totals", _ORDERED_OPEN)
    #: tonnes delivered to plants
    delivered = PackedRow("_totals", _DELIVERED)

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
        self._plants = np.zeros((11, n_plants))
        self._plant_ints = np.zeros((2, n_plants), dtype=np.int64)
        self._per_sector = np.zeros((2, N_SECTORS))
        self._by_day = np.zeros((5, n, N_SECTORS))
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
        self.restart_level = per_plant("restart_cover_days") * self.use
        self.first_halt_day = -1
        # a day's stock, up to rounding: a plant that started with exactly k days of use
        # must run k days, whatever the last bit of k subtractions says
        self._plants[_DAY_OF_USE] = self.use * (1.0 - 1e-9)
        self.distributor = float(params.industry.distributor_stock_days) * demand
        self.initial_distributor = self.distributor.copy()
        if self.tied:
            self._plants[_SUPPLIER] = float(params.industry.distributor_stock_days) * self.use
        self.halted = np.zeros((n, N_SECTORS), dtype=np.int64)

    @property
    def supplier(self) -> np.ndarray | None:
        """Tied allocation: each plant's own supplier stock (the sector's distributor stock, split
        by use); None otherwise."""
        return self._plants[_SUPPLIER] if self.tied else None

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
        _plants_day(
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
        _plants_days(
            self.done,
            last,
            arrivals,
            arrivals_by_plant,
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
        s.orders_open = float(self._totals[_ORDERED_OPEN, day])
        s.orders_filled = float(self._totals[_DELIVERED, day])
        return self.landed[day]

    def _first_come(self) -> np.ndarray:
        """Deliveries when distributors fill whole orders, oldest first, within each sector."""
        delivered = np.zeros_like(self.open_orders)
        _fill_first_come(self.open_orders, self.order_time, self.sector, self.distributor, delivered)
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


# --- kernels ------------------------------------------------------------------------------


@kernel
def _fill_first_come(
    open_orders: np.ndarray,
    order_time: np.ndarray,
    sector: np.ndarray,
    distributor: np.ndarray,
    delivered: np.ndarray,
) -> None:
    """Fill whole orders oldest first within each sector, from each sector's ``distributor`` stock.

    The queue is every open order by sector, then by order time (ties by plant
    index); an order gets what its sector's stock holds beyond the tonnes wanted
    by older orders, at most all it wants. ``delivered`` (zeros) receives each
    plant's delivery. The tonnes ahead are a running total over the whole queue
    minus the total before the sector, as the numpy this replaced computed them.
    """
    n = open_orders.size
    members = np.empty(n, dtype=np.int64)
    total = 0.0  # tonnes wanted by the queue so far, all sectors
    for s in range(distributor.size):
        k = 0
        for i in range(n):
            if sector[i] == s and open_orders[i] > 0.0:
                members[k] = i
                k += 1
        if k == 0:
            continue
        waiting = members[:k]
        queue = waiting[np.argsort(order_time[waiting], kind="mergesort")]  # stable: ties by index
        before = total
        for i in queue:
            wanted = open_orders[i]
            total += wanted
            ahead = total - wanted - before
            delivered[i] = min(max(distributor[s] - ahead, 0.0), wanted)


@kernel
def _plants_day(
    day: int,
    arrivals: np.ndarray,
    arrivals_by_plant: np.ndarray,
    unconstrained: bool,
    first_come: bool,
    tied: bool,
    plants: np.ndarray,
    plant_ints: np.ndarray,
    running: np.ndarray,
    per_sector: np.ndarray,
    by_day: np.ndarray,
    halted: np.ndarray,
    totals: np.ndarray,
) -> None:
    """One day of every plant (the steps of the module docstring), writing the day's rows.

    The packed arrays are ``Industry``'s (rows named by the module's row
    constants), updated in place. ``landed`` gets ``arrivals`` or, with
    unconstrained supply, a day of full use plus whatever open orders need
    beyond the distributors' stock. Per-sector figures are summed in plant
    order from zero, as ``np.bincount`` sums them, and the all-sector totals in
    sector order, as ``ndarray.sum`` sums fewer than 8 numbers.
    """
    stock, open_orders, order_time, supplier = (
        plants[_STOCK],
        plants[_OPEN],
        plants[_ORDER_TIME],
        plants[_SUPPLIER],
    )
    sector, first_halt_day = plant_ints[_SECTOR], plant_ints[_FIRST_HALT]
    distributor, sector_demand = per_sector[_DISTRIBUTOR], per_sector[_DEMAND]
    n = stock.size
    n_sectors = distributor.size

    # 2. reorder: below the reorder point, order up to the order-up-to level
    open_by_sector = np.zeros(n_sectors)
    for i in range(n):
        if stock[i] + open_orders[i] < plants[_REORDER, i]:
            if open_orders[i] <= 0.0:
                order_time[i] = day + plants[_TIEBREAK, i]
            open_orders[i] = plants[_UP_TO, i] - stock[i]
        open_by_sector[sector[i]] += open_orders[i]

    # 1. what lands today
    landed = by_day[_LANDED, day]
    for s in range(n_sectors):
        if unconstrained:  # a day of full use lands every day, and more if open orders need it
            landed[s] = sector_demand[s] + max(open_by_sector[s] - distributor[s] - sector_demand[s], 0.0)
        else:
            landed[s] = arrivals[s]

    # 3. deliveries
    delivered = np.zeros(n)
    delivered_by_sector = np.zeros(n_sectors)
    if tied:  # each plant's supplier fills that plant's order from what it holds, and nothing else
        for i in range(n):
            supplier[i] += arrivals_by_plant[i]
            delivered[i] = min(open_orders[i], supplier[i])
            supplier[i] -= delivered[i]
        distributor[:] = 0.0
        for i in range(n):
            delivered_by_sector[sector[i]] += delivered[i]
            distributor[sector[i]] += supplier[i]
    else:
        short = False
        for s in range(n_sectors):
            distributor[s] += landed[s]
            short |= distributor[s] < open_by_sector[s]
        if first_come and short:
            _fill_first_come(open_orders, order_time, sector, distributor, delivered)
        else:  # every open order gets the same share, at most all of it
            fill = np.zeros(n_sectors)
            for s in range(n_sectors):
                if open_by_sector[s] > 0:
                    fill[s] = min(distributor[s] / open_by_sector[s], 1.0)
            for i in range(n):
                delivered[i] = open_orders[i] * fill[sector[i]]
        for i in range(n):
            delivered_by_sector[sector[i]] += delivered[i]
        for s in range(n_sectors):
            distributor[s] = max(distributor[s] - delivered_by_sector[s], 0.0)

    # 4. and 5. restart, run or halt, use; and the day's rows
    used, plant_stock, lost = by_day[_USED, day], by_day[_PLANT_STOCK, day], by_day[_LOST, day]
    halted_today = halted[day]
    used[:] = 0.0
    plant_stock[:] = 0.0
    lost[:] = 0.0
    halted_today[:] = 0
    for i in range(n):
        stock[i] += delivered[i]
        open_orders[i] -= delivered[i]
        if stock[i] >= plants[_RESTART, i]:  # a halted plant with enough stock restarts
            running[i] = True
        if running[i] and not stock[i] >= plants[_DAY_OF_USE, i]:
            running[i] = False
            if first_halt_day[i] < 0:
                first_halt_day[i] = day
        s = sector[i]
        if running[i]:
            use = min(plants[_USE, i], stock[i])
            stock[i] -= use
            used[s] += use
        else:
            halted_today[s] += 1
            lost[s] += plants[_WEIGHT, i]
        plant_stock[s] += stock[i]
    ordered_open, delivered_total = 0.0, 0.0
    for s in range(n_sectors):
        by_day[_DISTRIBUTOR_STOCK, day, s] = distributor[s]
        ordered_open += open_by_sector[s]
        delivered_total += delivered_by_sector[s]
    totals[_ORDERED_OPEN, day] = ordered_open
    totals[_DELIVERED, day] = delivered_total


@kernel
def _plants_days(
    first_day: int,
    last_day: int,
    arrivals: np.ndarray,
    arrivals_by_plant: np.ndarray,
    first_come: bool,
    tied: bool,
    plants: np.ndarray,
    plant_ints: np.ndarray,
    running: np.ndarray,
    per_sector: np.ndarray,
    by_day: np.ndarray,
    halted: np.ndarray,
    totals: np.ndarray,
) -> None:
    """``_plants_day`` for days ``first_day..last_day``, landings read from the day's rows."""
    for day in range(first_day, last_day + 1):
        _plants_day(
            day,
            arrivals[day],
            arrivals_by_plant[day],
            False,
            first_come,
            tied,
            plants,
            plant_ints,
            running,
            per_sector,
            by_day,
            halted,
            totals,
        )


@on_warm_up("industry")
def _warm_up() -> None:
    """Compile (or load) the kernels: a day of two plants, tied and first come, with the model's types."""
    for tied, first_come in ((True, False), (False, True)):
        plant_ints = np.array([[0, 1], [-1, -1]], dtype=np.int64)
        _plants_day(
            0,
            np.ones(N_SECTORS),
            np.ones(2) if tied else _NO_PLANTS,
            False,
            first_come,
            tied,
            np.ones((11, 2)),
            plant_ints,
            np.ones(2, dtype=bool),
            np.ones((2, N_SECTORS)),
            np.zeros((5, 1, N_SECTORS)),
            np.zeros((1, N_SECTORS), dtype=np.int64),
            np.zeros((2, 1)),
        )
        _plants_days(
            0,
            0,
            np.ones((1, N_SECTORS)),
            np.ones((1, 2)) if tied else np.zeros((1, 0)),
            first_come,
            tied,
            np.ones((11, 2)),
            plant_ints,
            np.ones(2, dtype=bool),
            np.ones((2, N_SECTORS)),
            np.zeros((5, 1, N_SECTORS)),
            np.zeros((1, N_SECTORS), dtype=np.int64),
            np.zeros((2, 1)),
        )
