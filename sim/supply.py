"""Shipments from China and supply from elsewhere (DESIGN.md subsystem 2).

Before the export controls start, Chinese magnets flow to US users as they
always did. From then on only approved licences ship: each US-bound licence is
one contract, whose tonnage leaves China in equal lots spread over the licence
term, and every lot arrives after its own shipping lead time. A licence is
tied to its end-use sector, so a refused defence file starves defence plants,
not auto plants.

How big is one contract? The model does not guess a tonnage per licence: it
derives it so that the normal flow of contracts (the licensing model's filing
rate times the sector's and the US's shares) carries the sector's normal
imports from China. If every file were approved on the day it was filed, US
plants would receive what they used to receive.

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.clock import Clock
from sim.domain import DESTINATIONS, ELEMENTS, SECTORS
from sim.sampling import ParamTree
from sim.streams import Streams

N_SECTORS = len(SECTORS)
_SECTOR_INDEX = np.arange(N_SECTORS)
US = DESTINATIONS.index("us")
#: Lots per sector per day for the unlicensed flow before the controls: only
#: how smoothly normal shipments arrive, not how much.
NORMAL_LOTS_PER_DAY = 8


@dataclass
class SupplyState:
    """What the rest of the model sees of supply, day by day."""

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

    def __init__(self, clock: Clock, params: ParamTree, streams: Streams, state: SupplyState):
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
        base_outside = self.outside_share(0)
        #: what China normally ships to each US sector, tonnes per day
        self.normal_china_flow = self.demand_per_day * (1.0 - base_outside)
        #: one licence = one contract: the sector's normal imports over its normal contract rate
        contracts = contracts_per_day(params.licensing)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.tonnes_per_licence = np.where(contracts > 0, self.normal_china_flow / contracts, 0.0)

        size = n + 1  # index n collects whatever ships or lands after the horizon
        self.shipped = np.zeros((size, N_SECTORS))  # from China, by shipping day
        self.arriving = np.zeros((size, N_SECTORS))  # from China, by arrival day
        self.outside = np.zeros((size, N_SECTORS))  # from elsewhere: ships and lands the same day
        self.initial_in_transit = np.zeros(N_SECTORS)
        self._lot_offsets = np.floor(
            np.arange(self.lots_per_licence) * self.term_days / self.lots_per_licence
        ).astype(np.int64)
        #: tied allocation: which plant each licensed contract supplies (see ``tie_to_plants``)
        self.tied = params.industry.allocation == "tied" and not self.unconstrained
        self.buyers = streams.generator("supply.buyers") if self.tied else None
        self.plant_sector: np.ndarray | None = None
        self.plant_share: np.ndarray | None = None  # a plant's share of its sector's use
        self.arriving_tied: np.ndarray | None = None  # licensed lots by arrival day and plant
        self._sector_plants: list[np.ndarray] = []
        self._sector_cdf: list[np.ndarray] = []
        #: the lot offsets repeated licence after licence, grown on demand and sliced each day
        self._offsets_of_licences = self._lot_offsets.copy()
        self._tonnes_per_lot = self.tonnes_per_licence / self.lots_per_licence
        if not self.unconstrained:
            self._ship_pipeline()

    # --- shares and schedules -----------------------------------------------------------

    def outside_share(self, day: int) -> np.ndarray:
        """Share of each sector's needs met outside China on ``day`` (with any ramp-up)."""
        if not (self.ramp_enabled and day >= self.ramp_start):
            if self._base_outside is None:
                self._base_outside = sector_outside_china_share(
                    self.base_element_share, self.samarium_share, self.dysprosium_share
                )
            return self._base_outside
        share = self.base_element_share
        progress = min(1.0, (day - self.ramp_start + 1) / self.ramp_days)
        share = share + progress * (self.target_element_share - share)
        return sector_outside_china_share(share, self.samarium_share, self.dysprosium_share)

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
        self.plant_sector = plant_sector.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            self.plant_share = np.where(total[plant_sector] > 0, plant_use / total[plant_sector], 0.0)
        self.arriving_tied = np.zeros((self.n + 1, plant_sector.size))
        # per sector: its plants and the cumulative shares a contract's buyer is drawn from
        # (a sector whose plants use nothing draws any of them; one with no plants draws none)
        self._sector_plants = [np.flatnonzero(plant_sector == i) for i in range(N_SECTORS)]
        self._sector_cdf = []
        for plants in self._sector_plants:
            w = self.plant_share[plants] if self.plant_share[plants].sum() > 0 else np.ones(plants.size)
            self._sector_cdf.append(np.cumsum(w) / w.sum() if plants.size else w)

    def _ship_pipeline(self) -> None:
        """Normal shipments of the weeks before day 0 that are still at sea on day 0."""
        back = int(math.ceil(self.lead_mean * (1.0 + 5.0 * self.lead_cv))) + 1
        days = np.arange(-back, 0)
        self._ship_normal(days)

    def _ship_normal(self, days: np.ndarray) -> None:
        """Unlicensed shipments (before the controls) on the given days, in small lots."""
        tonnes = self.normal_china_flow * self.pre_controls_flow / NORMAL_LOTS_PER_DAY
        if not tonnes.any():
            return
        lots = NORMAL_LOTS_PER_DAY * N_SECTORS
        ship_day = np.repeat(days, lots)
        sector = np.tile(np.repeat(np.arange(N_SECTORS), NORMAL_LOTS_PER_DAY), days.size)
        self._ship(ship_day, sector, tonnes[sector], (int(days[0]), int(days[-1])))

    def _ship_licensed(self, day: int, licences: np.ndarray) -> None:
        """Book the lots of the US licences approved today (``licences`` per sector)."""
        total = int(licences.sum())
        if total == 0:
            return
        lots = self.lots_per_licence
        sector = np.repeat(_SECTOR_INDEX, licences * lots)  # each licence's lots one after another
        if self._offsets_of_licences.size < total * lots:
            self._offsets_of_licences = np.tile(self._lot_offsets, 2 * total)
        ship_day = day + self._offsets_of_licences[: total * lots]
        tonnes = self._tonnes_per_lot[sector]
        arrive = self._ship(ship_day, sector, tonnes, (day, day + int(self._lot_offsets[-1])))
        if self.arriving_tied is not None:
            plant = np.repeat(self._buyers(licences), lots)
            _add(self.arriving_tied, np.minimum(arrive, self.n), plant, tonnes)

    def _buyers(self, licences: np.ndarray) -> np.ndarray:
        """The plant each of today's licences supplies, by the plants' shares of their sector's use."""
        assert self.buyers is not None
        out = []
        for i in np.flatnonzero(licences):
            plants, cdf = self._sector_plants[i], self._sector_cdf[i]
            if plants.size == 0:
                raise ValueError(f"licences for sector {SECTORS[i]}, which has no plants to supply")
            u = self.buyers.random(int(licences[i]))
            out.append(plants[np.minimum(np.searchsorted(cdf, u, side="right"), plants.size - 1)])
        return np.concatenate(out)

    def _ship(
        self, ship_day: np.ndarray, sector: np.ndarray, tonnes: np.ndarray, ship_days: tuple[int, int]
    ) -> np.ndarray:
        """Schedule lots: each leaves on its day and lands after its own lead time; returns arrival days.

        ``ship_days`` is the first and last shipping day, known to the callers.
        """
        lead = self.rng.lognormal(self.lead_mu, self.lead_sigma, ship_day.size)
        arrive = ship_day + lead.astype(np.int64)
        n = self.n
        first, last = ship_days
        if first < 0:  # some shipped before day 0: in transit at the start, or already landed
            before = ship_day < 0
            at_sea = before & (arrive >= 0)
            self.initial_in_transit += np.bincount(
                sector[at_sea], weights=tonnes[at_sea], minlength=N_SECTORS
            )
            _add(self.arriving, np.minimum(arrive[at_sea], n), sector[at_sea], tonnes[at_sea])
            keep = ~before
            ship_day, sector, tonnes, arrive = ship_day[keep], sector[keep], tonnes[keep], arrive[keep]
            first = 0
        _add(self.shipped, np.minimum(ship_day, n), sector, tonnes, (first, min(last, n)))
        _add(self.arriving, np.minimum(arrive, n), sector, tonnes)
        return arrive

    # --- one day --------------------------------------------------------------------------

    def advance_day(self, day: int, approved_today: np.ndarray) -> None:
        """Ship today's lots and publish what lands today.

        ``approved_today`` is the licensing model's approvals of the day by
        sector and destination; only US-bound licences feed US plants.
        """
        outside = self.outside_share(day)
        self.state.outside_china_share = outside
        if self.unconstrained:
            self.state.arrivals_today = np.zeros(N_SECTORS)
            return
        if day < self.controls_day:
            self._ship_normal(np.array([day]))
        else:
            self._ship_licensed(day, approved_today[:, US])
        self.outside[day] = outside * self.demand_per_day
        self.state.arrivals_today = self.arriving[day] + self.outside[day]
        if self.arriving_tied is not None:
            self.state.arrivals_by_plant = self._arrivals_by_plant(day)

    def _arrivals_by_plant(self, day: int) -> np.ndarray:
        """Today's landings at each plant's supplier: its own licensed lots and its share of the rest."""
        assert self.arriving_tied is not None and self.plant_sector is not None
        assert self.plant_share is not None
        tied = self.arriving_tied[day]
        licensed = np.bincount(self.plant_sector, weights=tied, minlength=N_SECTORS)
        # unlicensed flow: pre-controls lots still landing and supply from outside China
        pooled = np.maximum(self.arriving[day] - licensed, 0.0) + self.outside[day]
        return tied + self.plant_share * pooled[self.plant_sector]

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


def contracts_per_day(licensing: ParamTree) -> np.ndarray:
    """Normal US-bound export contracts per day for each sector (the licensing filing rate)."""
    sector = np.array([float(licensing.sector_share[s]) for s in SECTORS])
    destination = np.array([float(licensing.destination_share[d]) for d in DESTINATIONS])
    if sector.sum() <= 0 or destination.sum() <= 0:
        return np.zeros(N_SECTORS)
    return float(licensing.arrivals_per_day) * sector / sector.sum() * destination[US] / destination.sum()


def _add(
    table: np.ndarray,
    day: np.ndarray,
    column: np.ndarray,
    tonnes: np.ndarray,
    days: tuple[int, int] | None = None,
) -> None:
    """``table[day, column] += tonnes`` for every lot (a column is a sector or a plant), touching
    only the days involved.

    ``days`` bounds the days (first, last) when the caller knows them, saving a pass over ``day``.
    """
    if day.size == 0:
        return
    first, last = days if days is not None else (int(day.min()), int(day.max()))
    width = last - first + 1
    cols = table.shape[1]
    key = (day - first) * cols + column
    table[first : first + width] += np.bincount(key, weights=tonnes, minlength=width * cols).reshape(
        width, cols
    )
