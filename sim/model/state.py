"""What the subsystems of one replication publish for each other, day by day.

Each subsystem of DESIGN.md owns one field: a small dataclass of what it
publishes for the last day closed (the backlog and reviewers, today's
arrivals, the tariff levels in force, the price, each side's pain). A
subsystem is handed its own field only, and writes nothing else here.

How the subsystems really reach each other:

* Daily tables. :class:`sim.model.replication.Replication` closes days in a
  fixed order and passes one subsystem's arrays to the next as arguments
  (licensing's decisions per day to supply; supply's landings to industry;
  industry's idle output, the price index, the GDP lost and the licences in
  force to market, macro and the negotiation), plus the tariff levels read
  from ``tariffs`` here. None of these tables lives in this object.
* Once, before the first day: supply is told each plant's sector and use
  (``Supply.tie_to_plants``, tied allocation) and the market the sectors'
  total use at full output.
* The negotiation holds two cross-references: the licence review and the
  tariffs. At a decision point it changes the review's regime (a deadline
  outcome's policy change; chip controls put military files on hold), sets
  the multipliers of ``LicensingState`` and makes the review re-read them,
  and sets tariff levels (``Tariffs.set_levels``).
* The negotiation game (:mod:`sim.workshop.game`) moves levers through the
  same methods (``apply_policy``, ``set_levels``, ``force``,
  ``set_chip_controls``) and reads this object, the subsystems' series and the
  review's regime for the teams' status.

A fork (``Replication.fork``, for branches) deep-copies the whole replication
but its SimPy environment: the subsystems, this object and the random
streams; the negotiation's cross-references are copied with it and point
into the copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.core.clock import Clock
from sim.model.industry import IndustryState
from sim.model.licensing.review import LicensingState
from sim.model.macro import MacroState
from sim.model.market import MarketState
from sim.model.negotiation import NegotiationState
from sim.model.supply import SupplyState
from sim.model.tariffs import TariffState


@dataclass
class ModelState:
    """Everything the subsystems of one replication can see of each other."""

    clock: Clock
    day: int = 0  # the day being simulated
    licensing: LicensingState = field(default_factory=LicensingState)
    supply: SupplyState = field(default_factory=SupplyState)
    industry: IndustryState = field(default_factory=IndustryState)
    market: MarketState = field(default_factory=MarketState)
    tariffs: TariffState = field(default_factory=TariffState)
    macro: MacroState = field(default_factory=MacroState)
    negotiation: NegotiationState = field(default_factory=NegotiationState)
