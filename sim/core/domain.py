"""The fixed vocabulary of the model: US sectors, destinations and review lanes.

Defined once here and imported everywhere (scenario schema, model, results,
plots), so a sector is never retyped as a string literal elsewhere.
"""

from __future__ import annotations

#: End-use categories of an export application, which are also the US sectors
#: whose plants consume the magnets (DESIGN.md subsystems 1 and 3).
SECTORS: tuple[str, ...] = ("auto", "electronics_industrial", "aerospace", "defence")

#: Where licensed material is shipped. Only US-bound licences feed US plants.
DESTINATIONS: tuple[str, ...] = ("us", "eu", "other")

#: Review lanes. An application's lane follows from its attributes when it is
#: filed; which lanes are served first is a matter of policy (fast track, green
#: channel, preference for Europe), set by the licensing timeline.
#:  - green: civil US applications from trusted firms (eligible for a green channel)
#:  - us_civil: other civil US applications (eligible for the London fast track)
#:  - eu_civil, other_civil: civil applications to Europe and elsewhere
#:  - military: military-use material (samarium for SmCo magnets), outside the fast track
LANES: tuple[str, ...] = ("green", "us_civil", "eu_civil", "other_civil", "military")
LANE_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANES)}

#: How China treats military-use applications.
MILITARY_HANDLING: tuple[str, ...] = ("hold", "reject", "review")

#: The elements whose supply limits a US magnet user outside China (DESIGN.md
#: subsystem 2): neodymium for NdFeB magnets, dysprosium (with terbium) for the
#: high-temperature NdFeB grades, samarium for SmCo magnets.
ELEMENTS: tuple[str, ...] = ("neodymium", "dysprosium", "samarium")

#: How US distributors share out magnets when they cannot fill every open order.
#:  - first_come: orders are filled whole in the order they were placed
#:  - proportional: every open order gets the same share of what there is
#:  - tied: no pool; each plant's supplier holds stock for that plant alone and gets only
#:    the contracts licensed for it, so a plant whose contracts are stuck starves even
#:    while its neighbours are supplied
ALLOCATION_RULES: tuple[str, ...] = ("first_come", "proportional", "tied")

#: What a side can do at a decision point of the negotiation.
DECISIONS: tuple[str, ...] = ("concede", "hold", "escalate")
#: How a truce deadline can end (DESIGN.md subsystem 6).
DEADLINE_OUTCOMES: tuple[str, ...] = ("deal", "extension", "snap_back", "escalation")
