"""The scenario schema: what a scenario file may say, validated on load.

A scenario is data (a TOML file in ``scenarios/``), not code. Its sections
follow the subsystems of DESIGN.md. Every leaf parameter is a value or a
distribution (:mod:`sim.scenario.distributions`) with a ``source``. Dated policy changes
live in ``timeline`` tables keyed by an event name, so that a scenario which
``extends`` another can change one event, or add one, without repeating the rest.

Sections: ``calendar``, ``licensing`` (subsystem 1), ``supply`` (2),
``industry`` (3), ``market`` (4), ``tariffs`` (5: dated levels and a court
ruling; the negotiation moves the levels at its decision points),
``negotiation`` (6) and ``macro`` (7), and ``correlations`` between uncertain
parameters. Sections 2-7, the US side, come together or not at all: without
them a scenario runs the licence review alone. Every section refuses a key it
does not know, naming the keys it allows, rather than ignoring it.

The model reads a replication's drawn values as typed, frozen classes
generated from this schema (:mod:`sim.scenario.params`). After adding or
changing a field here, regenerate them with
``python -m sim.scenario.typed_params --write`` (a test fails until you do).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.core.domain import ALLOCATION_RULES, DECISIONS, MILITARY_HANDLING, SECTORS
from sim.scenario.distributions import (
    DateParam,
    Dist,
    FlagParam,
    NonNegative,
    Positive,
    Probability,
    TextParam,
    number,
)


def is_param_table(value: Any) -> bool:
    """A TOML table that is one parameter (replaced whole on merge), not a section."""
    return isinstance(value, dict) and ("dist" in value or "value" in value)


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
    deadline is a figure from the sources (a parameter with its ``source``),
    and this is the only place its date is set: the deadline decision point,
    the measures taken at the deadline, plot marks and forks all read it here.
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


class RegimeChange(Section):
    """Changes to the review regime; fields left out keep their current value."""

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
    def _military(self) -> RegimeChange:
        if self.military_handling is not None:
            _check_military_handling(self.military_handling)
        return self


class PolicyEvent(RegimeChange):
    """A dated change to the review regime; fields left out keep their current value."""

    date: DateParam
    label: str | None = Field(None, description="shown on plots as a key date")


def _check_military_handling(p: Dist) -> None:
    _check_choice("military_handling", p, MILITARY_HANDLING)


def _check_choice(name: str, p: Dist, allowed: tuple[str, ...]) -> None:
    values = p.values if hasattr(p, "values") else [p.ppf(0.5)]
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {bad[0]!r}")


class LicensingSpec(Section):
    """China's export-licence review (DESIGN.md subsystem 1)."""

    controls_start: DateParam
    controls_label: str | None = "Export controls"
    initial_backlog: NonNegative
    #: new contracts a day; unset: the rate that keeps the contract stock steady (see review.py)
    arrivals_per_day: NonNegative | None = None
    #: contracts caught by the rule stay cleared for export up to this many days (0: none)
    cleared_days_max: NonNegative | None = None
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


# --- subsystem 2: shipments and supply ------------------------------------------------------


class ElementShares(Section):
    """A share (0 to 1) per limiting element."""

    neodymium: Probability
    dysprosium: Probability
    samarium: Probability


class SupplyRamp(Section):
    """Supply outside China growing after a start date (an industrial-policy scenario)."""

    enabled: FlagParam
    start: DateParam
    ramp_days: Positive
    target_outside_china_share: ElementShares


class SupplySpec(Section):
    """Magnets shipped from China under licence, and supply from elsewhere (subsystem 2).

    A US contract ships ``lots_per_licence`` equal lots per licence term, one
    every term / lots days; a licence ships the lots of the days it covers. A
    contract's tonnage is its share of the sector's imports from China, shared
    among the US contracts running when the rule started (see
    ``sim.model.supply``). Every lot crosses the ocean or the air in its own lead
    time, lognormal with mean ``lead_time_mean_days`` and coefficient of
    variation ``lead_time_cv``. Supply outside China is a share of each
    sector's needs set by its limiting element.
    """

    lots_per_licence: number(1, 366)
    lead_time_mean_days: Positive
    lead_time_cv: number(0, 5)
    pre_controls_flow: NonNegative
    outside_china_share: ElementShares
    dysprosium_limited_share: SectorProbabilities
    ramp: SupplyRamp
    unconstrained: FlagParam


# --- subsystem 3: industry and inventories --------------------------------------------------


class SectorPlants(Section):
    """The plants of one US sector: how many, how big, how much stock, how they reorder.

    ``plants`` is a structural setting (a whole number, the same in every
    replication); the rest are parameters. Plant sizes are lognormal around the
    sector average with spread ``plant_size_sigma``; each plant's starting stock
    in days of its own use is lognormal with median ``initial_cover_median_days``
    and spread ``initial_cover_sigma``. Reorder rule (s, S) in days of use: when
    stock plus open orders falls below ``reorder_point_days`` the plant orders
    up to ``order_up_to_days``. A plant triages once its stock covers less than
    ``triage_cover_days`` of its magnet need (at most its reorder point, so only
    a plant whose order went unfilled triages); from its first slowdown, substitutes replace up to
    ``substitution_share`` of its magnet need, ramping up over
    ``substitution_ramp_days``. A halted plant restarts once its stock covers
    ``restart_cover_days``. Magnets already inside parts on their way to a plant
    (at its tier-1 and tier-2 suppliers and in transit) are ``parts_pipeline_days``
    of its use, lognormal across plants with spread ``parts_pipeline_sigma``: what
    the magnet suppliers cannot deliver comes from them.
    """

    plants: int = Field(ge=1, le=100_000)
    demand_tonnes_per_year: Positive
    plant_size_sigma: number(0, 3)
    initial_cover_median_days: Positive
    initial_cover_sigma: number(0, 3)
    reorder_point_days: NonNegative
    order_up_to_days: Positive
    restart_cover_days: number(1, None)
    triage_cover_days: number(1, None)
    substitution_share: number(0.0, 0.95)
    substitution_ramp_days: NonNegative
    parts_pipeline_days: NonNegative
    parts_pipeline_sigma: number(0, 3)

    @model_validator(mode="after")
    def _reorder_below_order_up_to(self) -> SectorPlants:
        top_reorder = _upper(self.reorder_point_days)
        least_target = _lower(self.order_up_to_days)
        if top_reorder > least_target:
            raise ValueError(
                f"reorder_point_days (up to {top_reorder:g}) must not exceed "
                f"order_up_to_days (from {least_target:g}) in any replication"
            )
        top_triage, least_reorder = _upper(self.triage_cover_days), _lower(self.reorder_point_days)
        if top_triage > least_reorder:
            raise ValueError(
                f"triage_cover_days (up to {top_triage:g}) must not exceed reorder_point_days "
                f"(from {least_reorder:g}) in any replication: a plant whose orders are filled never triages"
            )
        return self


class SectorPlantTables(Section):
    """One plant table per US sector."""

    auto: SectorPlants
    electronics_industrial: SectorPlants
    aerospace: SectorPlants
    defence: SectorPlants


class IndustrySpec(Section):
    """US magnet users: sectors as sets of plants with stock and a reorder rule (subsystem 3).

    ``allocation`` is how distributors share out magnets when they cannot fill
    every open order: ``first_come`` (whole orders, oldest first),
    ``proportional`` (every open order gets the same share) or ``tied`` (each
    plant is supplied only by its own contracts: no sector-wide pool).
    A plant that triages protects its priority lines, which use
    ``priority_magnet_share`` of its magnets and make ``priority_output_share``
    of its output (at least as much: they are protected for their value).
    """

    distributor_stock_days: NonNegative
    allocation: TextParam
    priority_magnet_share: number(0.01, 0.99)
    priority_output_share: Probability
    sectors: SectorPlantTables

    @model_validator(mode="after")
    def _allocation(self) -> IndustrySpec:
        _check_choice("allocation", self.allocation, ALLOCATION_RULES)
        return self

    @model_validator(mode="after")
    def _priority_lines_carry_their_share_of_output(self) -> IndustrySpec:
        top_magnets = _upper(self.priority_magnet_share)
        least_output = _lower(self.priority_output_share)
        if top_magnets > least_output:
            raise ValueError(
                f"priority_output_share (from {least_output:g}) must not be below "
                f"priority_magnet_share (up to {top_magnets:g}) in any replication: "
                "the lines a plant protects make at least their share of its output"
            )
        return self


# --- subsystem 4: market -----------------------------------------------------------------------


class MarketSpec(Section):
    """The magnet price index (subsystem 4).

    Each day the log of the index rises by ``price_pressure_per_day`` times the
    supply gap (recent arrivals short of full use, averaged with memory
    ``price_memory_days``), and falls back towards its
    pre-crisis level at ``price_easing_per_day`` (a share of the log gap per
    day). It never falls below its pre-crisis level. See :mod:`sim.model.market`.
    """

    price_pressure_per_day: NonNegative
    price_easing_per_day: number(0, 1)
    price_memory_days: number(1, None)


# --- subsystem 5: tariffs (dated levels; the negotiation moves them at decision points) -------


class TariffEvent(Section):
    """A dated change of tariff levels; a level left out keeps its value."""

    date: DateParam
    label: str | None = Field(None, description="shown on plots as a key date")
    us_on_china_pct: NonNegative | None = None
    china_on_us_pct: NonNegative | None = None


class TariffSpec(Section):
    """US tariff on Chinese goods and China's on US goods, in percent, as step series."""

    us_on_china_pct: NonNegative
    china_on_us_pct: NonNegative
    timeline: dict[str, TariffEvent] = Field(default_factory=dict)
    court_ruling: CourtRuling | None = None


# --- subsystem 7: macro -------------------------------------------------------------------------


class SectorValues(Section):
    """A non-negative number per US sector."""

    auto: NonNegative
    electronics_industrial: NonNegative
    aerospace: NonNegative
    defence: NonNegative


class MacroSpec(Section):
    """GDP loss by channel: magnets and tariffs, in % of US GDP (subsystem 7).

    ``value_added_share_pct`` is each sector's magnet-dependent output as a
    percentage of US GDP; ``output_multiplier`` spreads a loss to suppliers and
    spending. Each tariff acts on a trade flow (% of US GDP before the standoff)
    that answers the price with a constant elasticity; a share of the buyers'
    loss becomes lost US output. Elasticities are at least 2, so that the drag
    never exceeds the trade lost (see :mod:`sim.model.macro`).
    """

    value_added_share_pct: SectorValues
    output_multiplier: number(0, 10)
    us_imports_from_china_pct_of_gdp: number(0, 100)
    us_exports_to_china_pct_of_gdp: number(0, 100)
    us_import_elasticity: number(2, 50)
    us_export_elasticity: number(2, 50)
    us_tariff_output_share: Probability
    china_tariff_output_share: Probability


# --- subsystem 5 (continued): the court case over the emergency tariffs ------------------------


class CourtRuling(Section):
    """A ruling on the emergency tariffs at an uncertain date, which may strike them.

    If it strikes them, the US tariff on China falls to the Section 301 fallback
    ``fallback_us_on_china_pct`` (never raising it) on the ruling's date.
    """

    date: DateParam
    strike_probability: Probability
    fallback_us_on_china_pct: NonNegative


# --- subsystem 6: negotiation --------------------------------------------------------------------


class SidePain(Section):
    """How one side turns pain into decisions, and what US technology controls cost it.

    Pain is income or output at risk in $bn a month (see :mod:`sim.model.negotiation`).
    At a decision point the side concedes with probability
    ``1 / (1 + exp(-(concede_base + concede_per_pain x pain)))``, which never
    falls as pain rises (``concede_per_pain`` >= 0, per $bn a month). If it does
    not concede it escalates with probability ``escalate_share`` and otherwise holds.
    ``tech_controls_cost_bn_per_month`` is what the US controls on chip-design
    software and jet engines cost the side while they are on: sales forgone for
    the US, output at risk for China.
    """

    concede_base: number(-20, 20)
    concede_per_pain: NonNegative
    escalate_share: Probability
    tech_controls_cost_bn_per_month: NonNegative


class USPain(SidePain):
    """US pain adds idle magnet-dependent output, the magnet price on ``magnet_spend_bn_per_year``,
    exports China's tariff stops and its own tariff's cost."""

    magnet_spend_bn_per_year: NonNegative


class ChinaPain(SidePain):
    """China's pain adds its exports the US tariff stops, US technology controls, magnet export
    revenue lost (of ``magnet_exports_bn_per_year``) and its own tariff's cost."""

    magnet_exports_bn_per_year: NonNegative


class TradeFigures(Section):
    """The money scale both sides' pain is measured on: US GDP in dollars.

    Bilateral trade and how it answers a tariff are the macro section's figures
    (``[macro] us_imports_from_china_pct_of_gdp`` and its neighbours), read by the pain too.
    """

    us_gdp_bn_per_year: Positive


class DecisionPoint(Section):
    """A date at which both sides decide: scheduled talks or a truce deadline.

    ``force_us`` / ``force_china`` fix a side's decision (concede, hold or
    escalate): history, or a what-if. ``scripted`` talks are history whose
    effects the licensing and tariff timelines already carry, so only the
    decisions are recorded.

    Talks carry their own ``date``. A deadline never does: the truce deadline
    is one fact, ``[calendar] truce_deadline``, and the first deadline point
    (the one without ``after``) takes its date from there. A deadline with
    ``after = "NAME"`` is the one an extension of deadline NAME creates, dated
    ``negotiation.extension_days`` after it; it is reached only when NAME ends
    in an extension, and a scenario forces or labels it like any other point.
    """

    date: DateParam | None = None
    label: str | None = None
    kind: Literal["talks", "deadline"]
    after: str | None = None
    scripted: bool = False
    force_us: TextParam | None = None
    force_china: TextParam | None = None

    @model_validator(mode="after")
    def _choices(self) -> DecisionPoint:
        for name in ("force_us", "force_china"):
            value = getattr(self, name)
            if value is not None:
                _check_choice(name, value, DECISIONS)
        if self.kind == "deadline" and self.date is not None:
            raise ValueError(
                "date: a deadline's date is set in one place only: calendar.truce_deadline for "
                "the truce deadline, and negotiation.extension_days after it for a deadline that an "
                "extension creates (`after`); remove `date` here and set calendar.truce_deadline instead"
            )
        if self.kind == "talks" and self.date is None:
            raise ValueError("date: talks need a date")
        if self.kind == "talks" and self.after is not None:
            raise ValueError("after: only a deadline follows another deadline's extension")
        return self


class OutcomeEffect(Section):
    """What a deadline outcome changes, the day after the deadline.

    ``licensing`` changes the review regime as a dated licensing event does (fast
    track, statutory wait, capacity, approvals, military handling); a capacity or
    approvals it sets replace what earlier talks made of them.
    """

    us_on_china_pct: NonNegative | None = None
    china_on_us_pct: NonNegative | None = None
    chip_controls: FlagParam | None = None
    licensing: RegimeChange | None = None


class DeadlineOutcomes(Section):
    """The effect of each way a deadline can end."""

    deal: OutcomeEffect
    extension: OutcomeEffect
    snap_back: OutcomeEffect
    escalation: OutcomeEffect


class TalkEffects(Section):
    """What a decision at (unscripted) talks does.

    China's review capacity is multiplied by its concession or escalation
    factor; ``china_concession_licensing`` / ``china_escalation_licensing``
    change the review regime as a dated licensing event does (the fast track
    reopened or closed, the statutory wait).
    """

    us_concession_tariff_cut_points: NonNegative
    us_escalation_tariff_rise_points: NonNegative
    china_concession_capacity_factor: NonNegative
    china_escalation_capacity_factor: NonNegative
    china_concession_licensing: RegimeChange | None = None
    china_escalation_licensing: RegimeChange | None = None


class Linkage(Section):
    """US chip controls slow China's licensing and hold its military magnets."""

    chip_controls_at_start: FlagParam
    chip_capacity_factor: NonNegative
    chip_approval_factor: NonNegative


class NegotiationSpec(Section):
    """Two sides, their pain, decision points and what outcomes do (subsystem 6)."""

    extension_days: Positive
    pain_window_days: number(1, None)
    economy: TradeFigures
    us: USPain
    china: ChinaPain
    linkage: Linkage
    talks: TalkEffects
    outcomes: DeadlineOutcomes
    decision_points: dict[str, DecisionPoint] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _deadlines(self) -> NegotiationSpec:
        deadlines = {n: p for n, p in self.decision_points.items() if p.kind == "deadline"}
        first = [n for n, p in deadlines.items() if p.after is None]
        if len(first) > 1:
            raise ValueError(
                f"decision_points: one truce deadline (dated by calendar.truce_deadline), got "
                f"{', '.join(first)}; a later deadline names the one it extends with `after`"
            )
        followers: dict[str, str] = {}
        for name, p in deadlines.items():
            if p.after is None:
                continue
            if p.after not in deadlines:
                raise ValueError(
                    f"decision_points.{name}.after: {p.after!r} is not a deadline of this scenario "
                    f"(deadlines: {', '.join(deadlines)})"
                )
            if p.after in followers:
                raise ValueError(
                    f"decision_points: {followers[p.after]} and {name} both follow {p.after}'s extension"
                )
            followers[p.after] = name
        for name in deadlines:  # every chain of extensions starts at the truce deadline
            seen = {name}
            while (before := deadlines[name].after) is not None:
                if before in seen:
                    raise ValueError(f"decision_points: deadlines follow each other in a circle ({before})")
                seen.add(before)
                name = before
        return self

    def deadline_after(self, name: str) -> str | None:
        """The declared deadline that an extension of deadline ``name`` creates, if any."""
        for other, p in self.decision_points.items():
            if p.kind == "deadline" and p.after == name:
                return other
        return None


def point_date(spec: Scenario, name: str) -> Dist | None:
    """The date of decision point ``name``: its own for talks, ``[calendar] truce_deadline`` for the
    truce deadline, None for a deadline that only an extension creates (its date depends on the run)."""
    point = spec.negotiation.decision_points[name] if spec.negotiation else None
    if point is None:
        raise KeyError(name)
    if point.kind == "talks":
        return point.date
    return spec.calendar.truce_deadline if point.after is None else None


def _upper(p: Dist) -> float:
    high = p.support()[1]
    return float("inf") if high is None else float(high)


def _lower(p: Dist) -> float:
    low = p.support()[0]
    return float("-inf") if low is None else float(low)


assert set(SectorPlantTables.model_fields) == set(SECTORS)


class Correlation(Section):
    """A rank correlation between two uncertain parameters (Spearman's rho).

    Sampling joins the two parameters' uniform numbers through a Gaussian
    copula, so each keeps its own distribution and the pair gets the requested
    rank correlation, in plain runs, sweeps and designed experiments alike.
    """

    between: tuple[str, str]
    rank: float = Field(gt=-1.0, lt=1.0)
    source: str

    @model_validator(mode="after")
    def _valid(self) -> Correlation:
        if self.between[0] == self.between[1]:
            raise ValueError("a correlation needs two different parameters")
        if not self.source.startswith(("fig:", "assumption:", "what-if:")):
            raise ValueError("source must start with 'fig:', 'assumption:' or 'what-if:'")
        return self


#: Sections of the US side of the model, which come together or not at all.
US_SIDE = ("supply", "industry", "market", "tariffs", "macro", "negotiation")


# --- the whole scenario ------------------------------------------------------------------------


class Scenario(Section):
    """A validated scenario: metadata plus one section per implemented subsystem."""

    name: str
    description: str
    extends: str | None = None
    #: A draft (a quick experiment, a test's toy) may leave parameters without a source; never inherited.
    draft: bool = False
    calendar: CalendarSpec
    licensing: LicensingSpec
    # The US side (subsystems 2-7) comes as a whole or not at all: without it a
    # scenario runs the licence review alone (queueing validation, benchmarks).
    supply: SupplySpec | None = None
    industry: IndustrySpec | None = None
    market: MarketSpec | None = None
    tariffs: TariffSpec | None = None
    macro: MacroSpec | None = None
    negotiation: NegotiationSpec | None = None
    correlations: list[Correlation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _correlations(self) -> Scenario:
        if not self.correlations:
            return self
        from sim.scenario.sampling import correlation_matrix, uncertain_parameters

        uncertain = uncertain_parameters(self)
        for c in self.correlations:
            for path in c.between:
                if path not in uncertain:
                    raise ValueError(
                        f"correlations: {path!r} is not an uncertain parameter of this scenario "
                        "(a correlation needs two parameters that vary between replications)"
                    )
        correlation_matrix(self.correlations)  # raises if the correlations cannot hold together
        return self

    @model_validator(mode="after")
    def _us_side_whole(self) -> Scenario:
        present = [name for name in US_SIDE if getattr(self, name) is not None]
        if present and len(present) < len(US_SIDE):
            missing = ", ".join(name for name in US_SIDE if name not in present)
            raise ValueError(
                f"sections {', '.join(US_SIDE)} go together (or are all left out to run the "
                f"licence review alone); missing: {missing}"
            )
        return self

    @property
    def has_us_side(self) -> bool:
        """True when the scenario models shipments, plants, prices and tariffs."""
        return self.supply is not None
