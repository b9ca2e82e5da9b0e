"""Shipments from China and supply from elsewhere (DESIGN.md subsystem 2).

Before the export controls start, Chinese magnets flow to US users as they
always did. From then on a US contract ships only what a licence covers, or
what was cleared for export before the rule. Every lot arrives after its own
shipping lead time. A contract is tied to its end-use sector, so a refused
defence file starves defence plants, not auto plants.

Contracts (see :mod:`sim.model.licensing.applications`): each contract ships
``lots_per_licence`` equal lots per licence term, one every ``term / lots``
days, so a contract's tonnage rate and cadence are fixed. A licence covers
``cover`` days of a contract's schedule from its start (the later of its
decision and the end of the contract's previous licence or clearance) and
ships the lots of those days: a full term is ``lots_per_licence`` lots, a
renewal continues the schedule where the licence before it ended and adds no
tonnage, and a late licence shifts the schedule instead of bunching it.

How big is one contract? The model does not guess: the contracts running when
the rule starts (the licensing model's initial backlog, US-bound, by sector)
carried the sector's normal imports from China, so each carries its share.
Each is part-way through its term and cleared for export for a while (see
``LicensingReview._draw_backlog``): its lots up to then leave unlicensed, as
the pre-rule pipeline does, and its licence covers the rest of its term. New
contracts replace the ones that end, so with every file approved on the day it
is filed the flow stays the normal flow (``tests/test_flows.py``).

Supply outside China is a share of each sector's needs, set by the element
that limits it (DESIGN.md subsystem 2, figures in ``seeds/``): SmCo magnets
need samarium (China ~100% of world supply), high-temperature NdFeB magnets
need dysprosium (US ~98% from China), the rest neodymium (US ~78% from China).
An industrial-policy scenario lets these shares ramp up over time.

Bookkeeping (what the conservation test checks, every day and sector)::

    initial in transit + shipped so far = arrived so far + in transit today

with outside-China supply counted as shipped and arrived on the same day.

Tied supply (``industry.allocation = "tied"``): each licensed contract is
bought for one plant, drawn with probability proportional to the plant's
magnet use, and only that plant's supplier receives its lots. Shipments that
need no licence (the pre-controls pipeline, supply from outside China) are a
steady flow that every plant shares by its use. A sector's arrivals are the
same either way; only who gets them differs.

Mechanics: a day's shipping and landing is one compiled kernel call (see
``sim.core.jit``), because written as numpy it was dozens of calls on arrays of a
few hundred lots, and their fixed per-call cost was the whole cost. Lead times
and buyers still come from their own named streams (``supply.lead_times``,
``supply.buyers``), one number per lot and per contract in the order they are
booked, but are drawn in blocks of ``DRAW_BLOCK`` numbers that the kernel
consumes from a position; a block that runs short is refilled from Python,
keeping its unused numbers first. So the numbers used are the streams' numbers
in order, whatever the block size, and how many are drawn depends only on what
was booked so far: a replication is reproducible, and a fork (which copies the
blocks and positions with the rest of the state) continues exactly as the
original would. A day's lots are summed per table cell before being added to
the table, the rounding of the ``np.bincount`` the tables were first built
with, so the kernels give the numbers the numpy code gave.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from sim.core.clock import Clock
from sim.core.domain import DESTINATIONS, ELEMENTS, SECTORS
from sim.core.jit import PackedRow, inline, kernel, on_warm_up
from sim.core.streams import Streams
from sim.scenario.params import LicensingParams, Params

N_SECTORS = len(SECTORS)
US = DESTINATIONS.index("us")
#: Lots per sector per day for the unlicensed flow before the controls: only
#: how smoothly normal shipments arrive, not how much.
NORMAL_LOTS_PER_DAY = 8
#: Months whose China-to-US shipments are outcomes (2025), by number: April to December.
SHIPMENT_MONTHS = {
    4: "apr",
    5: "may",
    6: "jun",
    7: "jul",
    8: "aug",
    9: "sep",
    10: "oct",
    11: "nov",
    12: "dec",
}
#: Lead times or buyer uniforms drawn at a time: weeks of a baseline's lots, so that
#: refilling from Python is rare, and little for a fork to copy.
DRAW_BLOCK = 4096

# Rows of the packed arrays the kernels take (see ``sim.core.jit.PackedRow``).
#: ``Supply._per_sector``: demand, tonnes of a contract's lot, of a pre-rule pipeline lot, in transit on day 0
_DEMAND, _LICENSED_LOT, _NORMAL_LOT, _IN_TRANSIT = range(4)
#: ``Supply._by_day``: tables by day and sector
_SHIPPED, _ARRIVING, _OUTSIDE = range(3)
#: ``Supply._draw_pos``: the next unused number of each block
_LEAD, _BUYER = range(2)
#: Stand-ins for the tied-allocation arrays when allocation is not tied (same types, no plants).
_NO_PLANTS_BY_DAY = np.zeros((0, 0))
_NO_INTS = np.zeros(0, dtype=np.int64)
_NO_FLOATS = np.zeros(0)


@dataclass
class SupplyState:
    """What the rest of the model sees of supply, day by day.

    ``arrivals_today`` and ``arrivals_by_plant`` are the day's rows of supply's
    own tables (views): copy them to keep them.
    """

    #: tonnes reaching US distributors today, by sector (from China and elsewhere)
    arrivals_today: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS))
    #: share of each sector's needs met outside China today
    outside_china_share: np.ndarray = field(default_factory=lambda: np.zeros(N_SECTORS))
    #: with tied allocation, tonnes reaching each plant's own supplier today (None otherwise)
    arrivals_by_plant: np.ndarray | None = None


def sector_outside_china_share(
    element_share: np.ndarray, samarium_share: np.ndarray, dysprosium_share: np.ndarray
) -> np.ndarray:
    """Share of each sector's magnet needs that non-Chinese supply can meet.

    ``element_share`` is the non-Chinese share by element (neodymium,
    dysprosium, samarium). A sector's SmCo magnets (``samarium_share``) depend
    on samarium; of its NdFeB magnets, the high-temperature grades
    (``dysprosium_share``) depend on dysprosium and the rest on neodymium.
    """
    nd, dy, sm = element_share
    ndfeb = dysprosium_share * dy + (1.0 - dysprosium_share) * nd
    return samarium_share * sm + (1.0 - samarium_share) * ndfeb


class Supply:
    """Shipments of one replication: a schedule of lots by shipping and arrival day."""

    #: tonnes needed per day by sector
    demand_per_day = PackedRow("_per_sector", _DEMAND)
    #: tonnes at sea on day 0 (shipped before it), by sector
    initial_in_transit = PackedRow("_per_sector", _IN_TRANSIT)
    #: from China, by shipping day and sector (row n: after the horizon)
    shipped = PackedRow("_by_day", _SHIPPED)
    #: from China, by arrival day and sector (row n: after the horizon)
    arriving = PackedRow("_by_day", _ARRIVING)
    #: from elsewhere, by day and sector: ships and lands the same day
    outside = PackedRow("_by_day", _OUTSIDE)

    def __init__(
        self,
        clock: Clock,
        params: Params,
        streams: Streams,
        state: SupplyState,
        backlog: tuple[np.ndarray, ...] | None = None,
    ):
        """``backlog``: the contracts running when the rule starts (``LicensingReview.backlog_contracts``)."""
        p = params.supply
        self.clock = clock
        self.state = state
        self.rng = streams.generator("supply.lead_times")
        n = clock.n_days
        self.n = n
        self.unconstrained = bool(p.unconstrained)
        self.controls_day = clock.day(params.licensing.controls_start)
        self.term_days = float(params.licensing.licence_term_days)
        self.lots_per_licence = max(1, int(round(p.lots_per_licence)))
        self.pre_controls_flow = float(p.pre_controls_flow)

        # lead time: lognormal with the given mean and coefficient of variation
        cv = float(p.lead_time_cv)
        self.lead_sigma = math.sqrt(math.log1p(cv * cv))
        self.lead_mu = math.log(float(p.lead_time_mean_days)) - 0.5 * self.lead_sigma**2
        self.lead_mean = float(p.lead_time_mean_days)
        self.lead_cv = cv

        self._per_sector = np.zeros((4, N_SECTORS))
        industry = params.industry.sectors
        self.demand_per_day = np.array([industry[s].demand_tonnes_per_year / 365.0 for s in SECTORS])
        self.samarium_share = np.array([float(params.licensing.military_share[s]) for s in SECTORS])
        self.dysprosium_share = np.array([float(p.dysprosium_limited_share[s]) for s in SECTORS])
        self.base_element_share = np.array([float(p.outside_china_share[e]) for e in ELEMENTS])
        ramp = p.ramp
        self.ramp_enabled = bool(ramp.enabled)
        self.ramp_start = clock.day(ramp.start)
        self.ramp_days = float(ramp.ramp_days)
        self.target_element_share = np.array([float(ramp.target_outside_china_share[e]) for e in ELEMENTS])

        self._base_outside: np.ndarray | None = None
        self._ramped_outside: np.ndarray | None = None  # once a ramp is complete
        base_outside = self.outside_share(0)
        #: share of each sector's needs met outside China, day by day
        self._outside_share = self._outside_share_by_day()
        #: what China normally ships to each US sector, tonnes per day
        self.normal_china_flow = self.demand_per_day * (1.0 - base_outside)
        #: the US contracts running when the rule starts, by sector: they carry the normal flow
        self._backlog = _us_contracts(backlog, clock.day(params.licensing.controls_start))
        self.contracts_at_start = np.bincount(self._backlog[0], minlength=N_SECTORS).astype(float)
        if not self.contracts_at_start.any():  # no backlog: the steady stock its new contracts make
            self.contracts_at_start = _steady_contracts(params.licensing)
        with np.errstate(divide="ignore", invalid="ignore"):
            #: tonnes a day one contract ships on average (its lots spread over its term)
            self.tonnes_per_contract_day = np.where(
                self.contracts_at_start > 0, self.normal_china_flow / self.contracts_at_start, 0.0
            )
        #: tonnes a full licence term carries: the contract's rate times the term
        self.tonnes_per_licence = self.tonnes_per_contract_day * self.term_days
        #: days between a contract's lots
        self.lot_interval_days = self.term_days / self.lots_per_licence
        self._per_sector[_LICENSED_LOT] = self.tonnes_per_licence / self.lots_per_licence
        self._per_sector[_NORMAL_LOT] = self.normal_china_flow * self.pre_controls_flow / NORMAL_LOTS_PER_DAY
        #: whether there are unlicensed lots to ship (none, and no lead times drawn, when they weigh 0)
        self._normal_lots = bool(self._per_sector[_NORMAL_LOT].any())
        #: tied allocation: the buyer of each contract (by its first file's row), -1 until drawn
        self._contract_buyer = np.full(0, -1, dtype=np.int64)

        self._by_day = np.zeros((3, n + 1, N_SECTORS))  # index n: shipped or landing after the horizon
        #: block-drawn lead times (days, lognormal) and buyer uniforms, and the next unused of each
        self._leads = np.zeros(0)
        self._buyer_u = np.zeros(0)
        self._draw_pos = np.zeros(2, dtype=np.int64)
        #: what lands each day, by sector and (tied allocation) by plant, published in ``state``
        self._arrivals = np.zeros((n, N_SECTORS))
        self._arrivals_by_plant = np.zeros((n, 0))
        #: the first day not yet shipped and landed: supply may run ahead of the plants
        self.done = 0

        #: tied allocation: which plant each licensed contract supplies (see ``tie_to_plants``)
        self.tied = params.industry.allocation == "tied" and not self.unconstrained
        self.buyers = streams.generator("supply.buyers") if self.tied else None
        self.plant_sector: np.ndarray | None = None
        self.plant_share: np.ndarray | None = None  # a plant's share of its sector's use
        self.arriving_tied: np.ndarray | None = None  # licensed lots by arrival day and plant
        # sector i's plants are _sector_plants[_sector_start[i]:_sector_start[i + 1]], and
        # _sector_cdf holds the cumulative shares a contract's buyer is drawn from
        self._sector_start = np.zeros(N_SECTORS + 1, dtype=np.int64)
        self._sector_plants = _NO_INTS
        self._sector_cdf = _NO_FLOATS
        if not self.unconstrained:
            self._ship_pipeline()
            self._ship_cleared()

    # --- shares and schedules -----------------------------------------------------------

    def outside_share(self, day: int) -> np.ndarray:
        """Share of each sector's needs met outside China on ``day`` (with any ramp-up)."""
        if not (self.ramp_enabled and day >= self.ramp_start):
            if self._base_outside is None:
                self._base_outside = sector_outside_china_share(
                    self.base_element_share, self.samarium_share, self.dysprosium_share
                )
            return self._base_outside
        if self._ramped_outside is not None:
            return self._ramped_outside
        share = self.base_element_share
        progress = min(1.0, (day - self.ramp_start + 1) / self.ramp_days)
        share = share + progress * (self.target_element_share - share)
        outside = sector_outside_china_share(share, self.samarium_share, self.dysprosium_share)
        if progress >= 1.0:  # the ramp is complete: the share stays
            self._ramped_outside = outside
        return outside

    def _outside_share_by_day(self) -> np.ndarray:
        """``outside_share(day)`` for every day of the horizon, (days, sectors), in one go.

        The same arithmetic as day by day, element for element: the base share
        before the ramp, then the ramp's progress capped at complete.
        """
        n = self.n
        out = np.empty((n, N_SECTORS))
        out[:] = self.outside_share(0) if not (self.ramp_enabled and self.ramp_start <= 0) else 0.0
        if not self.ramp_enabled or self.ramp_start >= n:
            return out
        first = max(self.ramp_start, 0)
        days = np.arange(first, n)
        progress = np.minimum(1.0, (days - self.ramp_start + 1) / self.ramp_days)[:, None]
        base, target = self.base_element_share, self.target_element_share
        share = (base + progress * (target - base)).T[:, :, None]  # (elements, days, 1)
        out[first:] = sector_outside_china_share(share, self.samarium_share, self.dysprosium_share)
        return out

    def tie_to_plants(self, plant_sector: np.ndarray, plant_use: np.ndarray) -> None:
        """Know the plants that licensed contracts are bought for (tied allocation only).

        Called before the first day with each plant's sector and daily use: a
        plant's share of its sector's use is its chance of being the buyer of a
        contract and its share of unlicensed flow. (A test may call it again with
        other weights, before the run, to cut a plant off.)
        """
        if not self.tied:
            return
        total = np.bincount(plant_sector, weights=plant_use, minlength=N_SECTORS)
        self.plant_sector = plant_sector.astype(np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.plant_share = np.where(total[plant_sector] > 0, plant_use / total[plant_sector], 0.0)
        self.arriving_tied = np.zeros((self.n + 1, plant_sector.size))
        self._arrivals_by_plant = np.zeros((self.n, plant_sector.size))
        # per sector: its plants and the cumulative shares a contract's buyer is drawn from
        # (a sector whose plants use nothing draws any of them; one with no plants draws none)
        plants_of = [np.flatnonzero(plant_sector == i) for i in range(N_SECTORS)]
        cdfs = []
        for plants in plants_of:
            w = self.plant_share[plants] if self.plant_share[plants].sum() > 0 else np.ones(plants.size)
            cdfs.append(np.cumsum(w) / w.sum() if plants.size else np.zeros(0))
        self._sector_start = np.cumsum([0] + [plants.size for plants in plants_of], dtype=np.int64)
        self._sector_plants = np.concatenate(plants_of).astype(np.int64)
        self._sector_cdf = np.concatenate(cdfs)

    def _ship_pipeline(self) -> None:
        """Normal shipments of the weeks before day 0 that are still at sea on day 0."""
        if not self._normal_lots:
            return
        back = int(math.ceil(self.lead_mean * (1.0 + 5.0 * self.lead_cv))) + 1
        while short := _ship_normal(-back, -1, self._per_sector, self._leads, self._draw_pos, self._by_day):
            self._draw_more(short, 0)

    def _ship_cleared(self) -> None:
        """Lots of the contracts caught by the rule that were cleared for export before it.

        A contract's lots fall on its schedule, one lot interval apart, the last of its
        current term one interval before the term ends; those before its clearance runs
        out leave unlicensed (scaled by ``pre_controls_flow``, like the pipeline before
        the rule).
        """
        sector, cleared_until, term_end = self._backlog
        if not sector.size or self.pre_controls_flow <= 0:
            return
        j = np.arange(1, int(np.ceil(term_end.max() / self.lot_interval_days)) + 2)
        times = term_end[:, None] - j[None, :] * self.lot_interval_days  # days after the rule
        keep = (times >= 0.0) & (times < cleared_until[:, None])
        contract, _ = np.nonzero(keep)
        ship_day = self.controls_day + np.floor(times[keep]).astype(np.int64)
        lot_sector = sector[contract].astype(np.int64)
        tonnes = self._per_sector[_LICENSED_LOT, lot_sector] * self.pre_controls_flow
        while short := _ship_lots(ship_day, lot_sector, tonnes, self._leads, self._draw_pos, self._by_day):
            self._draw_more(short, 0)

    def _draw_more(self, leads: int, buyers: int) -> None:
        """Refill the blocks that are ``leads`` lead times and ``buyers`` uniforms short.

        A block's unused numbers stay first, so lots and contracts use the
        streams' numbers in the order the streams give them.
        """
        pos = self._draw_pos
        if leads > 0:
            more = self.rng.lognormal(self.lead_mu, self.lead_sigma, max(DRAW_BLOCK, leads))
            self._leads = np.concatenate((self._leads[pos[_LEAD] :], more))
            pos[_LEAD] = 0
        if buyers > 0:
            assert self.buyers is not None
            more = self.buyers.random(max(DRAW_BLOCK, buyers))
            self._buyer_u = np.concatenate((self._buyer_u[pos[_BUYER] :], more))
            pos[_BUYER] = 0

    # --- one day --------------------------------------------------------------------------

    def advance_day(self, day: int, licences: tuple, limit: int | None = None) -> None:
        """Ship the day's lots and publish what lands on ``day``.

        ``licences`` is the licence review's US licences by decision day
        (``LicensingReview.us_licences``): only they feed US plants, each booking
        the lots of the days it covers on the day it is decided. Before the
        controls, the day's unlicensed lots ship instead. Nothing the
        plants do changes what ships, so supply runs ahead, in one compiled call,
        through ``limit``: the last day whose approvals are final. Results are the
        same however the days are grouped (lead times and buyers are used in order).
        """
        state = self.state
        state.outside_china_share = self._outside_share[day]
        if self.unconstrained:
            state.arrivals_today = np.zeros(N_SECTORS)
            return
        if day >= self.done:
            self._run_through(day if limit is None else max(day, min(limit, self.n - 1)), licences)
        state.arrivals_today = self._arrivals[day]
        if self.arriving_tied is not None:
            state.arrivals_by_plant = self._arrivals_by_plant[day]

    def _run_through(self, last: int, licences: tuple) -> None:
        """Ship and land every day from ``done`` through ``last``, drawing more numbers when short."""
        tied = self.arriving_tied is not None
        if tied and self._contract_buyer.size < licences[1].size:  # a buyer slot per table row
            grown = np.full(licences[1].size, -1, dtype=np.int64)
            grown[: self._contract_buyer.size] = self._contract_buyer
            self._contract_buyer = grown
        while self.done <= last:
            self.done, leads, buyers = _supply_days(
                self.done,
                last,
                self.controls_day,
                self._normal_lots,
                tied,
                licences,
                self.lots_per_licence,
                self.lot_interval_days,
                self._contract_buyer,
                self._per_sector,
                self._outside_share,
                self._leads,
                self._buyer_u,
                self._draw_pos,
                self._sector_start,
                self._sector_plants,
                self._sector_cdf,
                self._by_day,
                self.arriving_tied if tied else _NO_PLANTS_BY_DAY,
                self.plant_sector if tied else _NO_INTS,
                self.plant_share if tied else _NO_FLOATS,
                self._arrivals,
                self._arrivals_by_plant,
            )
            if buyers < 0:
                self._no_plants_to_supply(_licences_of_day(licences, self.done))
            if leads or buyers:
                self._draw_more(leads, buyers)

    @property
    def landings(self) -> tuple[np.ndarray, np.ndarray]:
        """What lands each day (the days run so far): by sector, and by plant (no columns if untied)."""
        return self._arrivals, self._arrivals_by_plant

    def _no_plants_to_supply(self, licences: np.ndarray) -> None:
        """Raise for licences of a sector that has no plant to buy them (tied allocation)."""
        plants = np.diff(self._sector_start)
        bad = [SECTORS[i] for i in range(N_SECTORS) if licences[i] > 0 and plants[i] == 0]
        raise ValueError(f"licences for sector {', '.join(bad)}, which has no plants to supply")

    def record_unconstrained(self, day: int, tonnes: np.ndarray) -> None:
        """With unconstrained supply, what plants ordered today shipped and landed today."""
        self.outside[day] = tonnes

    # --- results --------------------------------------------------------------------------

    def in_transit(self) -> np.ndarray:
        """Tonnes at sea or in the air at the end of each day, by sector (days x sectors)."""
        n = self.n
        return self.initial_in_transit + np.cumsum(self.shipped[:n] - self.arriving[:n], axis=0)

    def shipped_per_day(self) -> np.ndarray:
        """Tonnes leaving suppliers each day, from China and elsewhere (days x sectors)."""
        return self.shipped[: self.n] + self.outside[: self.n]

    def arrivals_per_day(self) -> np.ndarray:
        """Tonnes reaching US distributors each day (days x sectors)."""
        return self.arriving[: self.n] + self.outside[: self.n]

    def series(self) -> dict[str, np.ndarray]:
        """China-to-US shipments, tonnes a day over all sectors: departures from China and
        arrivals in the US (lots from China only; supply from elsewhere is not counted)."""
        n = self.n
        return {
            "china_us_departures": self.shipped[:n].sum(axis=1),
            "china_us_arrivals": self.arriving[:n].sum(axis=1),
        }

    def outcomes(self) -> dict[str, float]:
        """China-to-US departures in each month April..December 2025 over the normal flow of its days.

        The normal flow is what China shipped to US users before the controls
        (``normal_china_flow``, all sectors); a month counts the days of it inside the
        horizon (April from the first simulated day), NaN if none.
        """
        normal = float(self.normal_china_flow.sum())
        departures = self.shipped[: self.n].sum(axis=1)
        month = np.array([(self.clock.start + dt.timedelta(days=d)).month for d in range(self.n)])
        year = np.array([(self.clock.start + dt.timedelta(days=d)).year for d in range(self.n)])
        out = {"china_us_normal_flow": normal}
        for number, name in SHIPMENT_MONTHS.items():
            days = (month == number) & (year == 2025)
            out[f"china_us_shipments_{name}"] = (
                float(departures[days].sum() / (normal * days.sum()))
                if days.any() and normal > 0
                else math.nan
            )
        return out


def _us_contracts(backlog: tuple[np.ndarray, ...] | None, controls_day: int) -> tuple[np.ndarray, ...]:
    """Sector, clearance end and term end (days after the rule) of the US contracts running at it."""
    if backlog is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    sector, destination, _, cleared_until, term_end = backlog
    us = destination == US
    return sector[us].astype(np.int64), cleared_until[us] - controls_day, term_end[us] - controls_day


def _steady_contracts(licensing: LicensingParams) -> np.ndarray:
    """US contracts by sector that a set rate of new ones keeps running (none if it is unset):
    each lasts a term per renewal, ``term / (1 - renewal_probability)`` on average."""
    rate = licensing.get("arrivals_per_day")
    sector = np.array([float(licensing.sector_share[s]) for s in SECTORS])
    destination = np.array([float(licensing.destination_share[d]) for d in DESTINATIONS])
    if rate is None or sector.sum() <= 0 or destination.sum() <= 0:
        return np.zeros(N_SECTORS)
    lasts = float(licensing.licence_term_days) / max(1.0 - float(licensing.renewal_probability), 1e-9)
    return float(rate) * lasts * sector / sector.sum() * destination[US] / destination.sum()


def _licences_of_day(licences: tuple, day: int) -> np.ndarray:
    """US licences decided on ``day``, counted by sector (walks the day's list)."""
    first, sector_of, _, _, _, next_of = licences
    count = np.zeros(N_SECTORS, dtype=np.int64)
    row = first[day]
    while row >= 0:
        count[sector_of[row]] += 1
        row = next_of[row]
    return count


# --- kernels ------------------------------------------------------------------------------
#
# Tables have a row per day and a last row (index n) for whatever ships or lands after the
# horizon. A lot's lead time is the whole days of its lognormal draw.


@kernel
def _add_lots(
    table: np.ndarray, rows: np.ndarray, cols: np.ndarray, tonnes: np.ndarray, chosen: np.ndarray
) -> None:
    """``table[rows[j], cols[j]] += tonnes[j]`` for each chosen lot ``j``.

    Each cell's lots are first summed from zero, in lot order, and the sum is
    then added to the cell: the rounding of ``np.bincount`` then ``+=``, with
    which the tables were built before the kernels, so results did not move when
    the kernels came. The sums are kept in a small hash table of the cells the
    lots touch (open addressing, at most half full).
    """
    width = table.shape[1]
    size = 16
    while size < 2 * rows.size:
        size *= 2
    cells = np.full(size, -1, dtype=np.int64)  # -1: free slot
    sums = np.zeros(size)
    slot_of = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        if chosen[j]:
            cell = rows[j] * width + cols[j]
            slot = cell & (size - 1)
            while cells[slot] != cell and cells[slot] != -1:
                slot = (slot + 1) & (size - 1)
            cells[slot] = cell
            sums[slot] += tonnes[j]
            slot_of[j] = slot
    for j in range(rows.size):
        if chosen[j] and cells[slot_of[j]] != -2:
            table[rows[j], cols[j]] += sums[slot_of[j]]
            cells[slot_of[j]] = -2  # added


@kernel
def _ship_normal(
    first: int,
    last: int,
    per_sector: np.ndarray,
    leads: np.ndarray,
    pos: np.ndarray,
    by_day: np.ndarray,
) -> int:
    """Book the unlicensed lots shipped on days ``first`` to ``last``, ``NORMAL_LOTS_PER_DAY`` per sector.

    A lot shipped before day 0 counts as in transit on day 0 if it lands on day
    0 or later, and is forgotten if it landed before. Returns how many lead
    times the block is short of (booking nothing), or 0.
    """
    n = by_day.shape[1] - 1
    n_sectors = per_sector.shape[1]
    count = (last - first + 1) * n_sectors * NORMAL_LOTS_PER_DAY
    at = pos[_LEAD]
    if at + count > leads.size:
        return at + count - leads.size
    ship_row = np.empty(count, dtype=np.int64)
    arrive_row = np.empty(count, dtype=np.int64)
    sector = np.empty(count, dtype=np.int64)
    tonnes = np.empty(count)
    at_sea = np.empty(count, dtype=np.bool_)  # shipped before day 0, landing on day 0 or later
    kept = np.empty(count, dtype=np.bool_)  # shipped on day 0 or later
    j = 0
    for ship_day in range(first, last + 1):
        for s in range(n_sectors):
            for _ in range(NORMAL_LOTS_PER_DAY):
                arrive = ship_day + np.int64(leads[at + j])
                ship_row[j], arrive_row[j] = min(ship_day, n), min(arrive, n)
                sector[j], tonnes[j] = s, per_sector[_NORMAL_LOT, s]
                at_sea[j] = ship_day < 0 and arrive >= 0
                kept[j] = ship_day >= 0
                j += 1
    pos[_LEAD] = at + count
    in_transit = per_sector[_IN_TRANSIT : _IN_TRANSIT + 1]
    _add_lots(in_transit, np.zeros(count, dtype=np.int64), sector, tonnes, at_sea)
    _add_lots(by_day[_ARRIVING], arrive_row, sector, tonnes, at_sea)
    _add_lots(by_day[_SHIPPED], ship_row, sector, tonnes, kept)
    _add_lots(by_day[_ARRIVING], arrive_row, sector, tonnes, kept)
    return 0


@kernel
def _ship_lots(
    ship_day: np.ndarray,
    sector: np.ndarray,
    tonnes: np.ndarray,
    leads: np.ndarray,
    pos: np.ndarray,
    by_day: np.ndarray,
) -> int:
    """Book lots shipped on ``ship_day`` (day 0 or later), each taking the next lead time.

    Returns how many lead times the block is short of (booking nothing), or 0.
    """
    n = by_day.shape[1] - 1
    count = ship_day.size
    at = pos[_LEAD]
    if at + count > leads.size:
        return at + count - leads.size
    ship_row = np.empty(count, dtype=np.int64)
    arrive_row = np.empty(count, dtype=np.int64)
    for j in range(count):
        ship_row[j] = min(ship_day[j], n)
        arrive_row[j] = min(ship_day[j] + np.int64(leads[at + j]), n)
    pos[_LEAD] = at + count
    every = np.ones(count, dtype=np.bool_)
    _add_lots(by_day[_SHIPPED], ship_row, sector, tonnes, every)
    _add_lots(by_day[_ARRIVING], arrive_row, sector, tonnes, every)
    return 0


@inline
def _lots_covered(cover, lots, interval):  # pragma: no cover - compiled
    """How many of a contract's lots a licence covering ``cover`` days ships.

    The lots fall one ``interval`` apart, the last one interval before the cover
    ends: at offsets ``cover - j * interval`` (j = 1, 2, ...) that are not before
    its start. A full term (``lots * interval``) ships all ``lots``.
    """
    k = 0
    for j in range(1, lots + 1):
        if cover - j * interval < -1e-9 * interval:
            break
        k += 1
    return k


@kernel
def _ship_licensed(
    day: int,
    licences: tuple,
    lots: int,
    interval: float,
    tied: bool,
    contract_buyer: np.ndarray,
    per_sector: np.ndarray,
    leads: np.ndarray,
    buyer_u: np.ndarray,
    pos: np.ndarray,
    sector_start: np.ndarray,
    sector_plants: np.ndarray,
    sector_cdf: np.ndarray,
    by_day: np.ndarray,
    arriving_tied: np.ndarray,
) -> tuple[int, int]:
    """Book the lots of the US licences decided today (``licences``' list of day ``day``).

    Each licence books the lots of the days it covers, from its start
    (``valid_to - cover``), in the order decisions were issued, each lot taking
    the next lead time. With tied allocation a contract's lots all go to one
    plant: the first time one of its licences ships, it takes the next uniform,
    and its buyer is the first plant of its sector whose cumulative share exceeds
    it. Returns how many lead times and uniforms the blocks are short of, booking
    nothing unless both are 0 (uniforms -1: a sector with licences has no plants).
    """
    first, sector_of, valid_to_of, cover_of, contract_of, next_of = licences
    n = by_day.shape[1] - 1
    count = 0
    new_buyers = 0
    row = first[day]
    while row >= 0:
        s = sector_of[row]
        if tied:
            if sector_start[s + 1] == sector_start[s]:
                return 0, -1
            if contract_buyer[contract_of[row]] < 0:
                new_buyers += 1
        count += _lots_covered(cover_of[row], lots, interval)
        row = next_of[row]
    at, buyer_at = pos[_LEAD], pos[_BUYER]
    short_leads = max(at + count - leads.size, 0)
    short_buyers = max(buyer_at + new_buyers - buyer_u.size, 0) if tied else 0
    if short_leads > 0 or short_buyers > 0:
        return short_leads, short_buyers
    ship_row = np.empty(count, dtype=np.int64)
    arrive_row = np.empty(count, dtype=np.int64)
    sector = np.empty(count, dtype=np.int64)
    plant = np.zeros(count, dtype=np.int64)
    tonnes = np.empty(count)
    j = 0
    row = first[day]
    while row >= 0:
        s = np.int64(sector_of[row])
        cover = cover_of[row]
        start = valid_to_of[row] - cover
        buyer = -1
        if tied:
            contract = contract_of[row]
            buyer = contract_buyer[contract]
            if buyer < 0:
                lo, hi = sector_start[s], sector_start[s + 1]
                # np.searchsorted(sector_cdf[lo:hi], u, side="right") written out: the first entry
                # above u (numpy's binary search compiles for about 0.4 s of every cold start)
                u, k, top = buyer_u[buyer_at], 0, hi - lo
                while k < top:
                    mid = (k + top) // 2
                    if sector_cdf[lo + mid] <= u:
                        k = mid + 1
                    else:
                        top = mid
                buyer = sector_plants[lo + min(k, hi - lo - 1)]
                buyer_at += 1
                contract_buyer[contract] = buyer
        for lot in range(1, _lots_covered(cover, lots, interval) + 1):
            ship_day = np.int64(math.floor(start + max(cover - lot * interval, 0.0)))
            ship_row[j] = min(ship_day, n)
            arrive_row[j] = min(ship_day + np.int64(leads[at]), n)
            sector[j], plant[j], tonnes[j] = s, buyer, per_sector[_LICENSED_LOT, s]
            at += 1
            j += 1
        row = next_of[row]
    pos[_LEAD], pos[_BUYER] = at, buyer_at
    every = np.ones(count, dtype=np.bool_)
    _add_lots(by_day[_SHIPPED], ship_row, sector, tonnes, every)
    _add_lots(by_day[_ARRIVING], arrive_row, sector, tonnes, every)
    if tied:
        _add_lots(arriving_tied, arrive_row, plant, tonnes, every)
    return 0, 0


@kernel
def _land(
    day: int,
    by_day: np.ndarray,
    per_sector: np.ndarray,
    outside_share: np.ndarray,
    tied: bool,
    arriving_tied: np.ndarray,
    plant_sector: np.ndarray,
    plant_share: np.ndarray,
    arrivals_today: np.ndarray,
    arrivals_by_plant: np.ndarray,
) -> None:
    """Supply from elsewhere ships and lands today; write today's landings by sector (and by plant).

    With tied allocation a plant's supplier gets its own licensed lots and its
    share (``plant_share``) of the sector's unlicensed landings: pre-controls
    lots still arriving and supply from outside China.
    """
    arriving, outside = by_day[_ARRIVING], by_day[_OUTSIDE]
    n_sectors = outside_share.size
    for s in range(n_sectors):
        outside[day, s] = outside_share[s] * per_sector[_DEMAND, s]
        arrivals_today[s] = arriving[day, s] + outside[day, s]
    if not tied:
        return
    licensed = np.zeros(n_sectors)
    for i in range(plant_sector.size):  # summed in plant order, as np.bincount does
        licensed[plant_sector[i]] += arriving_tied[day, i]
    pooled = np.empty(n_sectors)  # unlicensed landings
    for s in range(n_sectors):
        pooled[s] = max(arriving[day, s] - licensed[s], 0.0) + outside[day, s]
    for i in range(plant_sector.size):
        arrivals_by_plant[i] = arriving_tied[day, i] + plant_share[i] * pooled[plant_sector[i]]


@kernel
def _supply_days(
    first_day: int,
    last_day: int,
    controls_day: int,
    normal_lots: bool,
    tied: bool,
    licences: tuple,
    lots: int,
    interval: float,
    contract_buyer: np.ndarray,
    per_sector: np.ndarray,
    outside_share: np.ndarray,
    leads: np.ndarray,
    buyer_u: np.ndarray,
    pos: np.ndarray,
    sector_start: np.ndarray,
    sector_plants: np.ndarray,
    sector_cdf: np.ndarray,
    by_day: np.ndarray,
    arriving_tied: np.ndarray,
    plant_sector: np.ndarray,
    plant_share: np.ndarray,
    arrivals: np.ndarray,
    arrivals_by_plant: np.ndarray,
) -> tuple[int, int, int]:
    """Days ``first_day..last_day`` of supply: each books its lots, then lands its arrivals.

    Returns (the first day not done, lead times short, buyer uniforms short).
    When a day is short of numbers it is left undone (uniforms -1: a sector with
    licences has no plants); the caller refills and calls again from that day.
    """
    for day in range(first_day, last_day + 1):
        if day < controls_day:
            if normal_lots:
                short = _ship_normal(day, day, per_sector, leads, pos, by_day)
                if short > 0:
                    return day, short, 0
        else:
            short_leads, short_buyers = _ship_licensed(
                day,
                licences,
                lots,
                interval,
                tied,
                contract_buyer,
                per_sector,
                leads,
                buyer_u,
                pos,
                sector_start,
                sector_plants,
                sector_cdf,
                by_day,
                arriving_tied,
            )
            if short_leads != 0 or short_buyers != 0:
                return day, short_leads, short_buyers
        _land(
            day,
            by_day,
            per_sector,
            outside_share[day],
            tied,
            arriving_tied,
            plant_sector,
            plant_share,
            arrivals[day],
            arrivals_by_plant[day],
        )
    return last_day + 1, 0, 0


@on_warm_up("supply", compile_s=2.7)
def _warm_up() -> None:
    """Compile (or load) the kernels: a pipeline, cleared lots and a tied licensed day, two days
    and two plants, with the argument types the model passes (untied allocation passes the same
    types, no plants)."""
    per_sector, by_day = np.ones((4, N_SECTORS)), np.zeros((3, 3, N_SECTORS))
    leads, buyer_u, pos = np.ones(64), np.full(64, 0.5), np.zeros(2, dtype=np.int64)
    _ship_normal(-1, -1, per_sector, leads, pos, by_day)
    ints = np.zeros(1, dtype=np.int64)
    _ship_lots(ints, ints, np.ones(1), leads, pos, by_day)
    # two licences decided on day 0, in sectors 0 and 1, which have a plant each (the table's
    # columns have the types of sim.model.licensing.applications)
    licences = (
        np.array([0, -1, -1], dtype=np.int64),
        np.array([0, 1], dtype=np.int8),
        np.array([2.0, 2.0]),
        np.array([2.0, 2.0]),
        np.array([0, 1], dtype=np.int64),
        np.array([1, -1], dtype=np.int64),
    )
    plants = np.array([0, 1], dtype=np.int64)
    _supply_days(
        0,
        0,
        0,
        True,
        True,
        licences,
        2,
        1.0,
        np.full(2, -1, dtype=np.int64),
        per_sector,
        np.ones((2, N_SECTORS)),
        leads,
        buyer_u,
        pos,
        np.array([0, 1, 2, 2, 2], dtype=np.int64),
        plants,
        np.ones(2),
        by_day,
        np.zeros((3, 2)),
        plants,
        np.ones(2),
        np.zeros((2, N_SECTORS)),
        np.zeros((2, 2)),
    )
