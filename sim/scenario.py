"""The scenario schema: what a scenario file may say, validated on load.

A scenario is data (a TOML file in ``scenarios/``), not code. Its sections
follow the subsystems of DESIGN.md. Every leaf parameter is a value or a
distribution (:mod:`sim.distributions`) with a ``source``. Dated policy changes
live in ``timeline`` tables keyed by an event name, so that a scenario which
``extends`` another can change one event, or add one, without repeating the rest.

Sections implemented so far: ``calendar`` and ``licensing`` (subsystem 1). The
other subsystems add their own section model here and a field on
:class:`Scenario`; until they do, a file that uses them is refused with the
list of sections that exist, rather than silently ignored.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.distributions import (
    DateParam,
    Dist,
    FlagParam,
    NonNegative,
    Positive,
    Probability,
    TextParam,
)
from sim.domain import MILITARY_HANDLING


class Section(BaseModel):
    """Base of every scenario table: unknown keys are errors, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- per-sector and per-destination tables ----------------------------------------------


class SectorShares(Section):
    """A non-negative weight per US sector; normalised to shares in each replication."""

    auto: NonNegative
    electronics_industrial: NonNegative
    aerospace: NonNegative
    defence: NonNegative


class SectorProbabilities(Section):
    """A probability per US sector."""

    auto: Probability
    electronics_industrial: Probability
    aerospace: Probability
    defence: Probability


class SectorProbabilityChanges(Section):
    """Per-sector probabilities a timeline event changes; sectors left out keep their value."""

    auto: Probability | None = None
    electronics_industrial: Probability | None = None
    aerospace: Probability | None = None
    defence: Probability | None = None


class DestinationShares(Section):
    """A non-negative weight per destination; normalised to shares in each replication."""

    us: NonNegative
    eu: NonNegative
    other: NonNegative


# --- calendar ------------------------------------------------------------------------------


class CalendarSpec(Section):
    """Simulated period and the truce deadline. Dates are calendar dates.

    ``start`` and ``end`` are run settings, not model parameters; the truce
    deadline is a figure from the sources (a parameter with its ``source``).
    """

    start: dt.date = dt.date(2025, 4, 2)
    end: dt.date = dt.date(2025, 12, 31)
    truce_deadline: DateParam
    truce_deadline_label: str = "Truce deadline"

    @model_validator(mode="after")
    def _ordered(self) -> CalendarSpec:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


# --- subsystem 1: licensing -------------------------------------------------------------------


class ReviewRegime(Section):
    """How China's export-control review behaves while a policy holds.

    Capacity is in decisions per day; each file occupies one reviewer for an
    exponential time of mean ``mean_review_days``, so the number of reviewers is
    ``round(capacity x mean_review_days)``. A decision is never issued before
    ``min_review_days`` (the statutory period) after filing; the fast track and
    green channel have their own, shorter minimum.
    """

    review_capacity_per_day: NonNegative
    mean_review_days: Positive
    min_review_days: NonNegative
    approval_probability: SectorProbabilities
    fast_track: FlagParam
    fast_track_min_review_days: NonNegative
    fast_track_approval_probability: Probability
    green_channel: FlagParam
    green_channel_min_review_days: NonNegative
    europe_first: FlagParam
    military_handling: TextParam
    military_approval_probability: Probability

    @model_validator(mode="after")
    def _military(self) -> ReviewRegime:
        _check_military_handling(self.military_handling)
        return self


class PolicyEvent(Section):
    """A dated change to the review regime; fields left out keep their current value."""

    date: DateParam
    label: str | None = Field(None, description="shown on plots as a key date")
    review_capacity_per_day: NonNegative | None = None
    mean_review_days: Positive | None = None
    min_review_days: NonNegative | None = None
    approval_probability: SectorProbabilityChanges | None = None
    fast_track: FlagParam | None = None
    fast_track_min_review_days: NonNegative | None = None
    fast_track_approval_probability: Probability | None = None
    green_channel: FlagParam | None = None
    green_channel_min_review_days: NonNegative | None = None
    europe_first: FlagParam | None = None
    military_handling: TextParam | None = None
    military_approval_probability: Probability | None = None

    @model_validator(mode="after")
    def _military(self) -> PolicyEvent:
        if self.military_handling is not None:
            _check_military_handling(self.military_handling)
        return self


def _check_military_handling(p: Dist) -> None:
    values = p.values if hasattr(p, "values") else [p.ppf(0.5)]
    bad = [v for v in values if v not in MILITARY_HANDLING]
    if bad:
        raise ValueError(f"military_handling must be one of {', '.join(MILITARY_HANDLING)}, got {bad[0]!r}")


class LicensingSpec(Section):
    """China's export-licence review (DESIGN.md subsystem 1)."""

    controls_start: DateParam
    controls_label: str | None = "Export controls"
    initial_backlog: NonNegative
    arrivals_per_day: NonNegative
    licence_term_days: Positive
    renewal_probability: Probability
    renewal_lead_days: NonNegative
    reapply_probability: Probability
    reapply_delay_days: NonNegative
    trusted_firm_share: Probability
    sector_share: SectorShares
    destination_share: DestinationShares
    military_share: SectorProbabilities
    review: ReviewRegime
    timeline: dict[str, PolicyEvent] = Field(default_factory=dict)


# --- the whole scenario ------------------------------------------------------------------------


class Scenario(Section):
    """A validated scenario: metadata plus one section per implemented subsystem."""

    name: str
    description: str
    extends: str | None = None
    calendar: CalendarSpec
    licensing: LicensingSpec
