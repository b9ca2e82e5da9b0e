"""The model state that the subsystems of one replication share.

One explicit object, passed to every subsystem, instead of globals or
cross-references between modules: a subsystem reads what others published
earlier in the day (or the day before) and publishes its own part. Snapshotting
a replication (for forked branches) means copying this object and the
subsystems' own queues, nothing else.

Each subsystem of DESIGN.md owns one field.
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
