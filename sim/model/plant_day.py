"""One day of every US plant, compiled: orders, deliveries, triage, substitution, run or halt.

The kernels of :mod:`sim.model.industry` (which holds the plants and says what a
day is, step by step). They work on its packed arrays, whose rows are named by
the constants below, and sum per sector in plant order from zero, as
``np.bincount`` sums.

How a plant short of magnets degrades (DESIGN.md subsystem 3), in days of its
magnet *need* (its full use less what substitutes replace):

* Triage: a plant whose stock covers fewer than ``T`` days of need stretches
  its stock over ``T`` days: it
  runs the share ``x = cover / T`` of its lines' magnet need, cutting the lines
  worth least per magnet first, but never below its priority lines (``x >= p``).
  ``T`` is at most the plant's reorder point (the scenario schema checks it), so
  only a plant whose order went unfilled triages, and a plant whose orders are
  all filled never slows.
* Output: lines are protected in order of value, so output falls by less than
  magnets do. Priority lines use ``p`` of the magnets and make ``v >= p`` of the
  output; the other lines make the rest in proportion to their magnets:
  output = ``v + (x - p) (1 - v) / (1 - p)`` for ``p <= x <= 1``.
* Substitution: from the day after its first slowdown, substitutes (other
  grades, reduced-Dy designs, ferrite in some uses) replace a share of the
  plant's magnet need that rises linearly to its ceiling over the ramp time, and
  stays: a part once requalified is not switched back within the horizon.
* Halt: the end of that road, when the stock cannot run the priority lines for
  a day (cover < ``p``). A halted plant makes nothing and restarts once its stock
  covers ``restart_cover_days`` of need.

Before any of this, an order that the magnet suppliers cannot fill is made up
from the plant's parts pipeline: magnets already built into parts at its tier-1
and tier-2 suppliers and in transit to it. A plant therefore starts to run short
only once its suppliers' stock and that pipeline are both spent; the pipeline
refills from what the suppliers still hold after the day's orders.

With zero supply a plant's path is therefore known in advance: full output
until cover falls below ``T``, then stock falling by ``1/T`` a day (output
falling with it) down to ``p T`` days of need, then ``T`` days on the priority
lines (more once substitution lowers their need), then a halt.
"""

from __future__ import annotations

import numpy as np

from sim.core.jit import kernel, on_warm_up
from sim.core.sorting import sort_stably

#: Relative slack for "the stock covers a day": k days of stock run k days, whatever the
#: last bit of k subtractions says.
ROUNDING = 1e-9

# Rows of ``Industry._plants``, per plant: state, then fixed figures
STOCK, OPEN, ORDER_TIME, SUPPLIER, SUBSTITUTED, OUTPUT = range(6)
TIEBREAK, REORDER, UP_TO, RESTART_DAYS, USE, WEIGHT = range(6, 12)
TRIAGE_DAYS, SUBSTITUTION_MAX, SUBSTITUTION_RAMP, PRIORITY_MAGNETS, PRIORITY_OUTPUT = range(12, 17)
#: tonnes of magnets inside parts on their way to the plant (state), and the level that chain holds
PIPELINE, PIPELINE_FULL = range(17, 19)
N_PLANT_ROWS = 19
#: ``Industry._plant_ints``, per plant
SECTOR, FIRST_HALT, FIRST_SLOWDOWN = range(3)
N_PLANT_INT_ROWS = 3
#: ``Industry._per_sector``
DISTRIBUTOR, DEMAND = range(2)
#: ``Industry._by_day``, tables by day and sector
USED, LANDED, PLANT_STOCK, DISTRIBUTOR_STOCK, LOST, SLOWED = range(6)
N_BY_DAY_ROWS = 6
#: ``Industry._totals``, by day, all sectors
ORDERED_OPEN, DELIVERED = range(2)


@kernel
def fill_first_come(
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
        sort_stably(members, k, order_time)  # ties by index, as numpy's mergesort
        before = total
        for i in members[:k]:
            wanted = open_orders[i]
            total += wanted
            ahead = total - wanted - before
            delivered[i] = min(max(distributor[s] - ahead, 0.0), wanted)


@kernel
def output_of_lines_run(x: float, priority_magnets: float, priority_output: float) -> float:
    """Share of full output made when the plant runs the share ``x`` (``p..1``) of its lines'
    magnet need, protecting lines in order of value (module docstring)."""
    if x >= 1.0:
        return 1.0
    if x <= priority_magnets:
        return priority_output * x / priority_magnets
    return priority_output + (x - priority_magnets) * (1.0 - priority_output) / (1.0 - priority_magnets)


@kernel
def plants_day(
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
    """One day of every plant (the steps of ``sim.model.industry``), writing the day's rows.

    The packed arrays are ``Industry``'s, updated in place. ``landed`` gets
    ``arrivals`` or, with unconstrained supply, a day of full use plus whatever
    open orders need beyond the distributors' stock. The all-sector totals are
    summed in sector order, as ``ndarray.sum`` sums fewer than 8 numbers.
    """
    stock, open_orders, order_time, supplier = (
        plants[STOCK],
        plants[OPEN],
        plants[ORDER_TIME],
        plants[SUPPLIER],
    )
    sector, first_halt_day, first_slowdown_day = (
        plant_ints[SECTOR],
        plant_ints[FIRST_HALT],
        plant_ints[FIRST_SLOWDOWN],
    )
    distributor, sector_demand = per_sector[DISTRIBUTOR], per_sector[DEMAND]
    n = stock.size
    n_sectors = distributor.size

    # 2. reorder: below the reorder point, order up to the order-up-to level
    open_by_sector = np.zeros(n_sectors)
    for i in range(n):
        if stock[i] + open_orders[i] < plants[REORDER, i]:
            if open_orders[i] <= 0.0:
                order_time[i] = day + plants[TIEBREAK, i]
            open_orders[i] = plants[UP_TO, i] - stock[i]
        open_by_sector[sector[i]] += open_orders[i]

    # 1. what lands today
    landed = by_day[LANDED, day]
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
            fill_first_come(open_orders, order_time, sector, distributor, delivered)
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

    # 3b. the parts pipeline: an order the magnet suppliers could not fill is made up from
    # magnets already built into parts on their way to the plant, and the pipeline is
    # refilled from what the suppliers still hold once the plants' orders are served
    pipeline, pipeline_full = plants[PIPELINE], plants[PIPELINE_FULL]
    for i in range(n):
        unfilled = open_orders[i] - delivered[i]
        if unfilled > 0.0 and pipeline[i] > 0.0:
            take = min(unfilled, pipeline[i])
            pipeline[i] -= take
            delivered[i] += take
            delivered_by_sector[sector[i]] += take
    if tied:  # each plant's own supplier refills its own pipeline
        distributor[:] = 0.0
        for i in range(n):
            refill = min(max(pipeline_full[i] - pipeline[i], 0.0), supplier[i])
            pipeline[i] += refill
            supplier[i] -= refill
            distributor[sector[i]] += supplier[i]
    else:  # a sector's distributors refill every gap by the same share
        gap = np.zeros(n_sectors)
        for i in range(n):
            gap[sector[i]] += max(pipeline_full[i] - pipeline[i], 0.0)
        share = np.zeros(n_sectors)
        for s in range(n_sectors):
            if gap[s] > 0.0:
                share[s] = min(distributor[s] / gap[s], 1.0)
        refilled = np.zeros(n_sectors)
        for i in range(n):
            refill = max(pipeline_full[i] - pipeline[i], 0.0) * share[sector[i]]
            pipeline[i] += refill
            refilled[sector[i]] += refill
        for s in range(n_sectors):
            distributor[s] = max(distributor[s] - refilled[s], 0.0)
    in_parts = np.zeros(n_sectors)
    for i in range(n):
        in_parts[sector[i]] += pipeline[i]

    # 4. substitution, restart, triage, run or halt; and the day's rows
    used, plant_stock, lost = by_day[USED, day], by_day[PLANT_STOCK, day], by_day[LOST, day]
    slowed = by_day[SLOWED, day]
    halted_today = halted[day]
    used[:] = 0.0
    plant_stock[:] = 0.0
    lost[:] = 0.0
    slowed[:] = 0.0
    halted_today[:] = 0
    for i in range(n):
        stock[i] += delivered[i]
        open_orders[i] -= delivered[i]
        started = first_slowdown_day[i]
        substituted = 0.0
        if 0 <= started < day:
            ramp = plants[SUBSTITUTION_RAMP, i]
            ramped = min((day - started) / ramp, 1.0) if ramp > 0.0 else 1.0
            substituted = plants[SUBSTITUTION_MAX, i] * ramped
        plants[SUBSTITUTED, i] = substituted
        need = plants[USE, i] * (1.0 - substituted)  # tonnes for a day of full output
        s = sector[i]
        triage = plants[TRIAGE_DAYS, i]
        if running[i] and stock[i] >= triage * need:  # the common case: a full day (triage >= 1)
            output = 1.0
            stock[i] -= need
            used[s] += need
        else:
            cover = stock[i] / need  # days of full output
            priority = plants[PRIORITY_MAGNETS, i]
            if not running[i] and cover * (1.0 + ROUNDING) >= plants[RESTART_DAYS, i]:
                running[i] = True  # a halted plant with enough stock restarts
            x = 0.0  # share of the lines' magnet need run today
            if running[i]:
                x = 1.0
                if cover < triage:  # its order went unfilled (triage <= reorder point): stretch the stock
                    x = max(cover / triage, priority)
                if cover * (1.0 + ROUNDING) < x:
                    x = cover
                if cover * (1.0 + ROUNDING) < priority:  # not a day of the priority lines left: halt
                    running[i] = False
                    x = 0.0
                    if first_halt_day[i] < 0:
                        first_halt_day[i] = day
            output = output_of_lines_run(x, priority, plants[PRIORITY_OUTPUT, i]) if running[i] else 0.0
            if running[i]:
                use = min(x * need, stock[i])
                stock[i] -= use
                used[s] += use
                if output < 1.0:
                    slowed[s] += 1.0
            else:
                halted_today[s] += 1
            if output < 1.0 and first_slowdown_day[i] < 0:
                first_slowdown_day[i] = day
        plants[OUTPUT, i] = output
        lost[s] += plants[WEIGHT, i] * (1.0 - output)
        plant_stock[s] += stock[i]
    ordered_open, delivered_total = 0.0, 0.0
    for s in range(n_sectors):
        by_day[DISTRIBUTOR_STOCK, day, s] = distributor[s] + in_parts[s]  # all stock upstream of the plants
        ordered_open += open_by_sector[s]
        delivered_total += delivered_by_sector[s]
    totals[ORDERED_OPEN, day] = ordered_open
    totals[DELIVERED, day] = delivered_total


@kernel
def plants_days(
    first_day: int,
    last_day: int,
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
    """``plants_day`` for days ``first_day..last_day``, landings read from the day's rows.

    ``unconstrained`` is passed on as an argument, never written as ``False`` here: a constant
    is typed as a literal, and ``plants_day`` would be compiled a second time for it (~2 s).
    """
    for day in range(first_day, last_day + 1):
        plants_day(
            day,
            arrivals[day],
            arrivals_by_plant[day],
            unconstrained,
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


@on_warm_up("industry", compile_s=2.4)
def _warm_up() -> None:
    """Compile (or load) the kernels: a day of two plants, tied and first come, with the model's types."""
    n_sectors = 4
    for tied, first_come in ((True, False), (False, True)):
        plant_ints = np.array([[0, 1], [-1, -1], [-1, -1]], dtype=np.int64)
        by_plant = np.ones(2) if tied else np.zeros(0)
        args = (
            first_come,
            tied,
            np.ones((N_PLANT_ROWS, 2)),
            plant_ints,
            np.ones(2, dtype=bool),
            np.ones((2, n_sectors)),
            np.zeros((N_BY_DAY_ROWS, 1, n_sectors)),
            np.zeros((1, n_sectors), dtype=np.int64),
            np.zeros((2, 1)),
        )
        plants_day(0, np.ones(n_sectors), by_plant, False, *args)
        plants_days(0, 0, np.ones((1, n_sectors)), by_plant.reshape(1, -1), False, *args)
