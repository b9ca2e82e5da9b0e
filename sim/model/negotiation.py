"""The negotiation: two sides, their pain, decisions and what they change (DESIGN.md subsystem 6).

Pain is money: each side's income or output at risk, in billions of dollars a
month, at the rate of the day. Each side's pain counts what the other side
withholds from it and what its own measures cost it:

* US pain = magnet-dependent value added standing idle (each sector's idle
  share x its share of GDP, averaged over ``pain_window_days``, x US GDP)
  + the magnet price rise on US magnet purchases
  + US exports to China that China's tariff stops                (withheld by China)
  + the US tariff's own cost to US buyers (half the tariff on the imports it
  stops: the Harberger triangle)
  + sales forgone while US technology controls are on            (its own)
* China's pain = its exports to the US that the US tariff stops  (withheld by the US)
  + Chinese output at risk while US technology controls (chip-design software,
  jet engines) are on                                            (withheld by the US)
  + magnet export revenue lost to its own licensing (licences in force against
  the normal number, times the price)                            (its own)
  + its tariff's own cost (as for the US).

Trade that a tariff of ``t`` percent stops is ``value x (1 - (1 + t/100)^-e)``
with trade elasticity ``e``: it saturates as the tariff climbs, never exceeding
the trade there was. So threats bite the other side: a slower licence review
idles US plants, a tariff or a chip control costs China its sales, and the
gains from the other side's concession come back through the same channels.

At each decision point (scheduled talks, a truce deadline) each side
concedes, holds or escalates. At talks a US concession cuts its tariff and an
escalation raises it and puts chip controls on; China's concession or
escalation scales its review capacity and may reopen or close the US fast
track (``talks.china_*_licensing``), the lever that binds on US supply.
The chance of conceding is a logistic function of pain with a non-negative
slope, so more pain never makes a concession less likely; a side that does
not concede escalates with a fixed share of the rest.
A scenario may force either side's decision at any point (history, or a
what-if); otherwise it is drawn from the ``negotiation.decisions`` stream.

A deadline ends one of four ways; the effect starts the next day and sets
the licensing regime (``outcomes.NAME.licensing``, the same fields as a dated
licensing event) as well as tariffs and chip controls:

==================  =====================================================
both concede        deal: the review opens up, tariffs cut
one concedes        extension: London terms kept, a new deadline
                    ``extension_days`` later
both hold           snap-back: the truce lapses, tariffs return, the fast
                    track closes, the statutory wait and refusals return
either escalates    escalation (unless the other concedes: then extension):
                    chip controls, licensing near its April level, tariffs back up
==================  =====================================================

A concession never makes a side harsher: a deal's or an extension's tariff is at
most the level in force, and the licensing it brings (as a China concession at
talks) is never slower, never waits longer and never refuses more than the
regime in force (:func:`no_harsher`).

The truce deadline's date is one fact, ``[calendar] truce_deadline``: the
first deadline point takes it from there. The deadline an extension creates is
the scenario's point declared ``after`` it, if any (so a scenario can force
or label it), dated ``extension_days`` later; otherwise an unforced copy.

Linkage: while US chip-export controls are on, China's review capacity and
approval probabilities are multiplied down (``linkage``), and military-use
magnets stay held (China ties them to the AI-chip curbs).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from sim.core.clock import Clock
from sim.core.domain import DEADLINE_OUTCOMES, DECISIONS, SECTORS
from sim.core.jit import inline, kernel, on_warm_up
from sim.core.streams import Streams
from sim.scenario.params import DecisionPointParams, Params, SidePainParams
from sim.scenario.sampling import ParamTree

#: Daily ``negotiation_state`` codes: 0 while the truce runs, then 1 + the
#: index in DEADLINE_OUTCOMES of the latest deadline's outcome.
TRUCE = 0


@dataclass
class NegotiationState:
    """What the rest of the model sees of the negotiation."""

    us_pain: float = 0.0
    china_pain: float = 0.0
    chip_controls: bool = False
    status: int = TRUCE


@dataclass(order=True)
class _Pending:
    fire_day: int
    name: str
    point: DecisionPointParams | ParamTree = field(compare=False)


@dataclass
class Decision:
    """One decision point as it happened in a replication."""

    day: int
    name: str
    kind: str
    us: str
    china: str
    outcome: str | None  # deadlines only


#: Deadline outcomes in which a side concedes: their terms are never harsher than those in force.
CONCESSION_OUTCOMES = ("deal", "extension")


def no_harsher(
    change: ParamTree, regime, capacity_scale: float = 1.0, approval_scale: float = 1.0
) -> ParamTree:
    """A concession's licensing change, made no harsher than the regime in force.

    A drawn concession level can be harsher than what earlier talks or moves left in
    force (a deal's capacity below a concession's; a deal's wait above the fast
    track's); a concession then keeps what is in force: capacity never lower, waits
    never longer, approvals never lower, an open lane never closed, held military
    files never the way a concession goes. ``capacity_scale`` and ``approval_scale``
    are the negotiated multipliers the change supersedes (a deadline outcome resets them).
    """
    out = ParamTree(change)
    if out.get("review_capacity_per_day") is not None:
        out["review_capacity_per_day"] = max(
            out["review_capacity_per_day"], regime.review_capacity_per_day * capacity_scale
        )
    for name in ("min_review_days", "fast_track_min_review_days", "green_channel_min_review_days"):
        if out.get(name) is not None:
            out[name] = min(out[name], getattr(regime, name))
    for name in ("fast_track_approval_probability", "military_approval_probability"):
        if out.get(name) is not None:
            out[name] = max(out[name], getattr(regime, name) * approval_scale)
    if out.get("approval_probability"):
        out["approval_probability"] = {
            sector: None if p is None else max(p, regime.approval_probability[sector] * approval_scale)
            for sector, p in out["approval_probability"].items()
        }
    for name in ("fast_track", "green_channel"):  # an open lane stays open
        if out.get(name) is not None:
            out[name] = bool(out[name]) or bool(getattr(regime, name))
    if out.get("europe_first") is not None:  # Europe served first is the harsher regime for the US
        out["europe_first"] = bool(out["europe_first"]) and bool(regime.europe_first)
    if out.get("military_handling") is not None and regime.military_handling == "review":
        out["military_handling"] = "review"
    return out


def concede_probability(pain: float, base: float, per_pain: float) -> float:
    """Chance a side concedes at a decision point; never falls as pain rises."""
    z = base + per_pain * pain
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def deadline_outcome(us: str, china: str) -> str:
    """How a deadline ends, given both sides' decisions."""
    if us == "concede" and china == "concede":
        return "deal"
    if "escalate" in (us, china):
        return "extension" if "concede" in (us, china) else "escalation"
    if "concede" in (us, china):
        return "extension"
    return "snap_back"


def scheduled_points(params: Params) -> dict[str, DecisionPointParams | ParamTree]:
    """The decision points pending at the start, by name: every one with a date of its own.

    A deadline falls on the scenario's truce deadline (the one deadline fact); a deadline
    declared ``after`` another is reached only through an extension of that one.
    """
    out: dict[str, DecisionPointParams | ParamTree] = {}
    for name, point in params.negotiation.decision_points.items():
        if point.kind == "deadline":
            if point.get("after"):
                continue
            point = ParamTree(point)
            point["date"] = params.calendar.truce_deadline
        out[name] = point
    return out


def first_fire_day(clock: Clock, params: Params, name: str) -> int:
    """The earliest day decision point ``name`` can change anything: its own day, or, for a
    deadline reached only by extension, the day the deadline it follows fires."""
    point = params.negotiation.decision_points[name]
    if point.kind == "deadline" and point.get("after"):
        return first_fire_day(clock, params, point.after)
    if point.kind == "deadline":
        return clock.day(params.calendar.truce_deadline) + 1  # its outcome starts the next day
    return clock.day(point.date)


class Negotiation:
    """The negotiation of one replication: pain every day, decisions at decision points."""

    def __init__(
        self,
        clock: Clock,
        params: Params,
        streams: Streams,
        state: NegotiationState,
        licensing,  # sim.model.licensing.review.LicensingReview
        tariffs,  # sim.model.tariffs.Tariffs
    ):
        p = params.negotiation
        self.p = p
        self.clock = clock
        self.state = state
        self.licensing = licensing
        self.tariffs = tariffs
        self.rng = streams.generator("negotiation.decisions")
        #: magnet-dependent value added of each sector, % of US GDP
        self.value_added_pct = np.array([float(params.macro.value_added_share_pct[s]) for s in SECTORS])
        # licences a steady, unimpeded review keeps in force: one per running contract
        self.normal_in_force = float(licensing.contract_stock)
        self.smoothing = 1.0 / max(1.0, float(p.pain_window_days))
        self._economy = economy_array(params)
        self.halted_recent = 0.0
        self.base_capacity = 1.0
        self.base_approval = 1.0
        state.chip_controls = bool(p.linkage.chip_controls_at_start)
        self.pending: list[_Pending] = []
        for name, point in scheduled_points(params).items():
            self._add_point(name, point)
        self.decisions: list[Decision] = []
        n = clock.n_days
        self.us_pain = np.zeros(n)
        self.china_pain = np.zeros(n)
        self.chip = np.zeros(n, dtype=np.int64)
        self.status = np.zeros(n, dtype=np.int64)

    def adopt_points(self, params: Params, names: Collection[str]) -> None:
        """Take the decision points ``names`` (and the negotiation's settings) from another draw.

        Comparing scenarios that differ only at decision points, a fork of one scenario's
        replication continues as another's (``sim.experiments.shared_history``): before any
        of those points fires the histories are the same, and from the fork on this negotiation
        must hold the other scenario's version of each point (forced decisions, a new round of
        talks) or none. Points already decided are history and stay as they are.
        """
        self.p = params.negotiation
        self.pending = [pending for pending in self.pending if pending.name not in names]
        scheduled = scheduled_points(params)
        for name in names:
            if name in scheduled:
                self._add_point(name, scheduled[name])

    def _add_point(self, name: str, point: DecisionPointParams | ParamTree) -> None:
        day = self.clock.day(point.date)
        fire = day + 1 if point.kind == "deadline" else day  # a deadline's outcome starts the next day
        self.pending.append(_Pending(fire, name, point))
        self.pending.sort()

    def start(self, now: float) -> None:
        """Apply the linkage in force at the start (chip controls already on, or not)."""
        self._apply_multipliers(now)

    # --- every day ------------------------------------------------------------------------

    def run_through(
        self,
        first: int,
        last: int,
        lost_output_share: np.ndarray,
        price_index: np.ndarray,
        licences_in_force: np.ndarray,
    ) -> None:
        """Update both sides' pain through days ``first..last`` and publish day ``last``.

        Reads what the other subsystems recorded for those days: each sector's
        idle share, the price index and the licences in force, by day. Tariffs,
        chip controls and the negotiation's status change only at decision points
        and events, which the model never runs past, so they hold over the days.
        """
        s = self.state
        tariffs = self.tariffs.state
        s.us_pain, s.china_pain, self.halted_recent = _pain_days(
            first, last, lost_output_share, price_index, licences_in_force, tariffs.us_on_china_pct,
            tariffs.china_on_us_pct, float(s.chip_controls), self.value_added_pct, self.normal_in_force,
            self.smoothing, self._economy, self.halted_recent, self.us_pain, self.china_pain,
        )  # fmt: skip
        self.chip[first : last + 1] = s.chip_controls
        self.status[first : last + 1] = s.status

    # --- decision points ------------------------------------------------------------------

    def next_point(self) -> _Pending | None:
        return self.pending[0] if self.pending else None

    def pending_point(self, name: str) -> _Pending:
        """A decision point that has not fired yet, by name."""
        for pending in self.pending:
            if pending.name == name:
                return pending
        waiting = ", ".join(p.name for p in self.pending) or "none"
        raise KeyError(f"decision point {name!r} is not pending (pending: {waiting})")

    def force(
        self, name: str, us: str | None = None, china: str | None = None, scripted: bool | None = None
    ) -> None:
        """Fix one or both sides' decision at a pending point (a forked branch, a game move).

        The point still takes its two uniform draws when it fires, so every
        later draw of the negotiation stream is the same whatever is forced.
        """
        point = ParamTree(self.pending_point(name).point)
        if us is not None:
            point["force_us"] = us
        if china is not None:
            point["force_china"] = china
        if scripted is not None:
            point["scripted"] = scripted
        self.pending_point(name).point = point

    def decision_probabilities(self, name: str) -> tuple[dict[str, float], dict[str, float]]:
        """Each side's chance of conceding, holding or escalating at a pending point, from today's pain.

        Exact when called at the start of the point's day (``Replication.run_until``):
        the pain it reads is the pain the decision will be drawn from. A forced
        decision has probability one.
        """
        point = self.pending_point(name).point
        sides = (
            (self.p.us, self.state.us_pain, point.get("force_us")),
            (self.p.china, self.state.china_pain, point.get("force_china")),
        )
        out = []
        for side, pain, forced in sides:
            if forced:
                out.append({d: float(d == forced) for d in DECISIONS})
                continue
            concede = concede_probability(pain, side.concede_base, side.concede_per_pain)
            escalate = (1.0 - concede) * side.escalate_share
            out.append({"concede": concede, "hold": 1.0 - concede - escalate, "escalate": escalate})
        return out[0], out[1]

    def decide(self, now: float) -> Decision:
        """Take the next decision point: draw or force both decisions and apply their effect."""
        pending = self.pending.pop(0)
        point = pending.point
        u = self.rng.random(2)  # always two draws per point, forced or not: streams stay aligned
        us = point.get("force_us") or self._draw(self.p.us, self.state.us_pain, u[0])
        china = point.get("force_china") or self._draw(self.p.china, self.state.china_pain, u[1])
        outcome = None
        if point.kind == "deadline":
            outcome = deadline_outcome(us, china)
            self._apply_outcome(outcome, pending, now)
        elif not point.get("scripted"):
            self._apply_talks(us, china, now)
        decision = Decision(int(now), pending.name, point.kind, us, china, outcome)
        self.decisions.append(decision)
        return decision

    @staticmethod
    def _draw(side: SidePainParams, pain: float, u: float) -> str:
        concede = concede_probability(pain, side.concede_base, side.concede_per_pain)
        if u < concede:
            return "concede"
        escalate = (1.0 - concede) * side.escalate_share
        return "escalate" if u < concede + escalate else "hold"

    def _apply_talks(self, us: str, china: str, now: float) -> None:
        t = self.p.talks
        state = self.tariffs.state
        if us == "concede":
            self.tariffs.set_levels(us=max(0.0, state.us_on_china_pct - t.us_concession_tariff_cut_points))
        elif us == "escalate":
            self.state.chip_controls = True
            self.tariffs.set_levels(us=state.us_on_china_pct + t.us_escalation_tariff_rise_points)
        move = {"concede": "concession", "escalate": "escalation"}.get(china)
        if move is not None:
            factor, change = t[f"china_{move}_capacity_factor"], t.get(f"china_{move}_licensing")
            if move == "concession":  # never slower, never more refusals than in force
                factor = max(1.0, factor)
                change = change and no_harsher(change, self.licensing.regime)
            self.base_capacity *= factor
            if change:
                self.licensing.apply_policy(change, now)
        self._apply_multipliers(now)

    def _apply_outcome(self, outcome: str, pending: _Pending, now: float) -> None:
        """Tariffs, chip controls and the licensing regime that the outcome sets, from ``now``."""
        effect = self.p.outcomes[outcome]
        self.state.status = 1 + DEADLINE_OUTCOMES.index(outcome)
        us, china = effect.get("us_on_china_pct"), effect.get("china_on_us_pct")
        chips, change = effect.get("chip_controls"), effect.get("licensing")
        if outcome in CONCESSION_OUTCOMES:  # a concession never makes a side harsher
            tariffs = self.tariffs.state
            us = None if us is None else min(us, tariffs.us_on_china_pct)
            china = None if china is None else min(china, tariffs.china_on_us_pct)
            chips = None if chips is None else bool(chips) and self.state.chip_controls
            regime = self.licensing.regime
            change = change and no_harsher(change, regime, self.base_capacity, self.base_approval)
        self.tariffs.set_levels(us=us, china=china)
        if chips is not None:
            self.state.chip_controls = bool(chips)
        if change:
            # the outcome sets the regime outright: what earlier talks did to it is superseded
            if change.get("review_capacity_per_day") is not None:
                self.base_capacity = 1.0
            approvals = change.get("approval_probability"), change.get("fast_track_approval_probability")
            if approvals[0] or approvals[1] is not None:
                self.base_approval = 1.0
            self.licensing.apply_policy(change, now)
        self._apply_multipliers(now)
        if outcome == "extension":
            self._add_extended_deadline(pending)

    def _add_extended_deadline(self, pending: _Pending) -> None:
        """The deadline an extension creates, ``extension_days`` after the one just extended.

        The scenario's deadline declared ``after`` this one, if any, with its own
        forced decisions and label; otherwise a copy of this one with nothing forced
        (a forced decision holds for the deadline it was written for).
        """
        days = float(self.p.extension_days)
        follower = next(
            (
                name
                for name, point in self.p.decision_points.items()
                if point.kind == "deadline" and point.get("after") == pending.name
            ),
            None,
        )
        if follower is not None:
            name, point = follower, ParamTree(self.p.decision_points[follower])
        else:
            name, point = f"{pending.name}+{int(days)}d", ParamTree(pending.point)
            point["force_us"] = None
            point["force_china"] = None
            point["after"] = pending.name
        point["date"] = self.clock.date(pending.fire_day - 1 + days)
        self._add_point(name, point)

    def set_chip_controls(self, on: bool, now: float) -> None:
        """Tighten or ease US chip-export controls from ``now`` (a game move); the linkage follows."""
        self.state.chip_controls = on
        self._apply_multipliers(now)

    def _apply_multipliers(self, now: float) -> None:
        """Review capacity and approvals: the negotiated level, times the chip-control linkage."""
        link = self.p.linkage
        chip = self.state.chip_controls
        lic = self.licensing.state
        lic.capacity_multiplier = self.base_capacity * (link.chip_capacity_factor if chip else 1.0)
        lic.approval_multiplier = self.base_approval * (link.chip_approval_factor if chip else 1.0)
        if chip and self.licensing.regime.military_handling == "review":
            self.licensing.regime.military_handling = "hold"  # military magnets tied to the chip curbs
        self.licensing.refresh_capacity(now)

    # --- results --------------------------------------------------------------------------

    def series(self) -> dict[str, np.ndarray]:
        return {
            "us_pain": self.us_pain.copy(),
            "china_pain": self.china_pain.copy(),
            "chip_controls": self.chip.copy(),
            "negotiation_state": self.status.copy(),
        }

    def outcomes(self) -> dict[str, float]:
        """The first deadline's outcome (one flag each) and how many deadlines were reached."""
        deadlines = [d for d in self.decisions if d.kind == "deadline"]
        first = deadlines[0].outcome if deadlines else None
        out = {
            f"deadline_{name}": (float(first == name) if first else math.nan) for name in DEADLINE_OUTCOMES
        }
        out["deadline_date"] = float(deadlines[0].day - 1) if deadlines else math.nan
        out["extensions"] = float(sum(d.outcome == "extension" for d in deadlines))
        out["us_pain_at_deadline"] = float(self.us_pain[deadlines[0].day - 1]) if deadlines else math.nan
        out["china_pain_at_deadline"] = (
            float(self.china_pain[deadlines[0].day - 1]) if deadlines else math.nan
        )
        return out


#: Slots of the economy array (``economy_array``) that the pain kernel reads.
(
    US_GDP,
    CHINA_EXPORTS_TO_US,
    US_EXPORTS_TO_CHINA,
    IMPORT_ELASTICITY,
    US_MAGNET_SPEND,
    US_TECH_COST,
    CHINA_TECH_COST,
    CHINA_MAGNET_EXPORTS,
    EXPORT_ELASTICITY,
) = range(9)


def economy_array(params: Params) -> np.ndarray:
    """The money figures both sides' pain is measured with, in the kernel's slot order.

    The bilateral trade and how it answers a tariff are the macro section's figures (one
    place for each fact: the tariff drag on US GDP reads them too), turned into dollars
    with US GDP.
    """
    p, m = params.negotiation, params.macro
    gdp = float(p.economy.us_gdp_bn_per_year)
    return np.array(
        [
            gdp,
            float(m.us_imports_from_china_pct_of_gdp) / 100.0 * gdp,
            float(m.us_exports_to_china_pct_of_gdp) / 100.0 * gdp,
            float(m.us_import_elasticity),
            float(p.us.magnet_spend_bn_per_year),
            float(p.us.tech_controls_cost_bn_per_month),
            float(p.china.tech_controls_cost_bn_per_month),
            float(p.china.magnet_exports_bn_per_year),
            float(m.us_export_elasticity),
        ]
    )


@inline
def trade_stopped(value_bn_per_year, tariff_pct, elasticity):  # pragma: no cover - compiled
    """$bn a month of trade that a tariff stops: ``value x (1 - (1 + t)^-e) / 12``, never above ``value``."""
    return value_bn_per_year * (1.0 - (1.0 + max(0.0, tariff_pct) / 100.0) ** -elasticity) / 12.0


@inline
def side_pains(
    idle_value_added_pct, price_index, in_force_share, us_tariff_pct, china_tariff_pct, chip, economy
):  # pragma: no cover - compiled
    """Both sides' pain in $bn a month, from the day's state (see the module docstring).

    ``idle_value_added_pct`` is magnet-dependent value added standing idle in % of
    US GDP; ``in_force_share`` is licences in force against the normal number;
    ``chip`` is 1.0 while US technology controls are on.
    """
    us_lost_output = idle_value_added_pct / 100.0 * economy[US_GDP] / 12.0
    us_prices = max(0.0, price_index / 100.0 - 1.0) * economy[US_MAGNET_SPEND] / 12.0
    us_exports_stopped = trade_stopped(
        economy[US_EXPORTS_TO_CHINA], china_tariff_pct, economy[EXPORT_ELASTICITY]
    )
    china_exports_stopped = trade_stopped(
        economy[CHINA_EXPORTS_TO_US], us_tariff_pct, economy[IMPORT_ELASTICITY]
    )
    us_own_tariff = 0.5 * us_tariff_pct / 100.0 * china_exports_stopped  # the imports it stops
    us = us_lost_output + us_prices + us_exports_stopped + us_own_tariff + chip * economy[US_TECH_COST]
    magnet_revenue_lost = max(0.0, 1.0 - min(1.0, in_force_share) * price_index / 100.0)
    china_magnets = magnet_revenue_lost * economy[CHINA_MAGNET_EXPORTS] / 12.0
    china_own_tariff = 0.5 * china_tariff_pct / 100.0 * us_exports_stopped
    china = china_exports_stopped + chip * economy[CHINA_TECH_COST] + china_magnets + china_own_tariff
    return us, china


@kernel
def pain_of(
    idle_value_added_pct: float,
    price_index: float,
    in_force_share: float,
    us_tariff_pct: float,
    china_tariff_pct: float,
    chip: float,
    economy: np.ndarray,
) -> tuple[float, float]:
    """Both sides' pain in $bn a month for one day's state: the kernel's arithmetic, callable alone."""
    return side_pains(
        idle_value_added_pct, price_index, in_force_share, us_tariff_pct, china_tariff_pct, chip, economy
    )


@kernel
def _pain_days(
    first: int,
    last: int,
    lost_output_share: np.ndarray,
    price_index: np.ndarray,
    licences_in_force: np.ndarray,
    us_tariff_pct: float,
    china_tariff_pct: float,
    chip: float,
    value_added_pct: np.ndarray,
    normal_in_force: float,
    smoothing: float,
    economy: np.ndarray,
    halted_recent: float,
    us_pain_out: np.ndarray,
    china_pain_out: np.ndarray,
) -> tuple[float, float, float]:
    """Both sides' pain day by day; returns the last day's (US, China) pain and the idle average."""
    us_pain = china_pain = 0.0
    for day in range(first, last + 1):
        idle = 0.0  # magnet-dependent value added standing idle today, % of GDP
        for s in range(value_added_pct.size):
            idle += value_added_pct[s] * lost_output_share[day, s]
        halted_recent += smoothing * (idle - halted_recent)
        in_force = licences_in_force[day] / normal_in_force if normal_in_force > 0 else 1.0
        us_pain, china_pain = side_pains(
            halted_recent, price_index[day], in_force, us_tariff_pct, china_tariff_pct, chip, economy
        )
        us_pain_out[day] = us_pain
        china_pain_out[day] = china_pain
    return us_pain, china_pain, halted_recent


@on_warm_up("negotiation", compile_s=0.4)
def _warm_up() -> None:
    """Compile (or load) the kernels with the model's types: two days of two sectors."""
    ones = np.ones(2)
    economy = np.ones(8)
    _pain_days(
        0, 1, np.ones((2, 2)), 100.0 * ones, np.ones(2, dtype=np.int64), 55.0, 10.0, 0.0, ones, 10.0, 0.1,
        economy, 0.0, np.zeros(2), np.zeros(2),
    )  # fmt: skip
    pain_of(1.0, 100.0, 1.0, 55.0, 10.0, 0.0, economy)
