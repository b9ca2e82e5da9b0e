"""The model state that the subsystems of one replication share.

One explicit object, passed to every subsystem, instead of globals or
cross-references between modules: a subsystem reads what others published at
the end of the previous day and publishes its own part. Snapshotting a
replication (for forked branches) means copying this object and the
subsystems' own queues, nothing else.

Each subsystem of DESIGN.md owns one field. Licensing is implemented; supply,
industry, market, tariffs, negotiation and macro add their field here as they
are built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.clock import Clock
from sim.licensing import LicensingState


@dataclass
class ModelState:
    """Everything the subsystems of one replication can see of each other."""

    clock: Clock
    day: int = 0  # the day being simulated
    licensing: LicensingState = field(default_factory=LicensingState)
