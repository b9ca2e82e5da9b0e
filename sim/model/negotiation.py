"""The negotiation: two sides, their pain, decisions and what they change (DESIGN.md subsystem 6).

Each side carries a pain index built every day from the model's state:

* US pain = ``weight_halted_output`` x the share of magnet-dependent value
  added standing idle (averaged over ``pain_window_days``)
  + ``weight_price_rise`` x the magnet price rise (0.3 for +30%)
  + ``weight_gdp_loss`` x GDP lost so far (% of annual GDP).
* China's pain = ``weight_lost_exports`` x the share of normal magnet export
  revenue lost (licences in force against the normal number, times price)
  + ``weight_us_tariff`` x the US tariff on Chinese goods (0.55 for 55%).

At each decision point (scheduled talks, a truce deadline) each side
concedes, holds or escalates. The chance of conceding is a logistic function
of pain with a non-negative slope, so more pain never makes a concession less
likely; a side that does not concede escalates with a fixed share of the rest.
A scenario may force either side's decision at any point (history, or a
what-if); otherwise it is drawn from the ``negotiation.decisions`` stream.

A deadline ends one of four ways, and the effect starts the next day:

==================  =====================================================
both concede        deal: licensing back towards pre-April speed, tariffs cut
one concedes        extension: London terms kept, a new deadline
                    ``extension_days`` later
both hold           snap-back: the truce lapses, tariffs return, approvals cut
either escalates    escalation (unless the other concedes: then extension):
                    chip controls, tighter licensing, tariffs back up
==================  =====================================================

Linkage: while US chip-export controls are on, China's review capacity and
approval probabilities are multiplied down (``linkage``), and military-use
magnets stay held (China ties them to the AI-chip curbs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.core.clock import Clock
from sim.core.domain import DEADLINE_OUTCOMES, DECISIONS, SECTORS
from sim.core.jit import kernel, on_warm_up
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
        self.value_added = np.array([float(params.macro.value_added_share_pct[s]) for s in SECTORS])
        self._value_added_total = float(self.value_added.sum())
        # licences a steady, unimpeded review keeps in force: one per running contract
        self.normal_in_force = float(licensing.contract_stock)
        self.smoothing = 1.0 / max(1.0, float(p.pain_window_days))
        #: pain weights, read once: US halted output, price rise, GDP loss; China lost exports, US tariff
        self._weights = np.array(
            [
                float(w)
                for w in (
                    p.us.weight_halted_output,
                    p.us.weight_price_rise,
                    p.us.weight_gdp_loss,
                    p.china.weight_lost_exports,
                    p.china.weight_us_tariff,
                )
            ]
        )
        self.halted_recent = 0.0
        self.base_capacity = 1.0
        self.base_approval = 1.0
        state.chip_controls = bool(p.linkage.chip_controls_at_start)
        self.pending: list[_Pending] = []
        for name, point in p.decision_points.items():
            self._add_point(name, point)
        self.decisions: list[Decision] = []
        n = clock.n_days
        self.us_pain = np.zeros(n)
        self.china_pain = np.zeros(n)
        self.chip = np.zeros(n, dtype=np.int64)
        self.status = np.zeros(n, dtype=np.int64)

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
        gdp_loss_pct: np.ndarray,
        licences_in_force: np.ndarray,
        us_tariff_pct: float,
    ) -> None:
        """Update both sides' pain through days ``first..last`` and publish day ``last``.

        Reads what the other subsystems recorded for those days: each sector's
        idle share, the price index, the GDP lost so far and the licences in
        force, by day. Chip controls, the negotiation's status and the US tariff
        change only at decision points and events, which the model never runs
        past, so they hold over the days.
        """
        s = self.state
        s.us_pain, s.china_pain, self.halted_recent = _pain_days(
            first, last, lost_output_share, price_index, gdp_loss_pct, licences_in_force, us_tariff_pct,
            self.value_added, self._value_added_total, self.normal_in_force, self.smoothing,
            self._weights, self.halted_recent, self.us_pain, self.china_pain,
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
        if china == "concede":
            self.base_capacity *= t.china_concession_capacity_factor
        elif china == "escalate":
            self.base_capacity *= t.china_escalation_capacity_factor
        self._apply_multipliers(now)

    def _apply_outcome(self, outcome: str, pending: _Pending, now: float) -> None:
        effect = self.p.outcomes[outcome]
        self.state.status = 1 + DEADLINE_OUTCOMES.index(outcome)
        self.tariffs.set_levels(us=effect.get("us_on_china_pct"), china=effect.get("china_on_us_pct"))
        if effect.get("capacity_multiplier") is not None:
            self.base_capacity = float(effect["capacity_multiplier"])
        if effect.get("approval_multiplier") is not None:
            self.base_approval = float(effect["approval_multiplier"])
        if effect.get("chip_controls") is not None:
            self.state.chip_controls = bool(effect["chip_controls"])
        change = effect.get("licensing")
        if change:
            self.licensing.apply_policy(change, now)
        self._apply_multipliers(now)
        if outcome == "extension":
            new_deadline = self.clock.date(pending.fire_day - 1 + float(self.p.extension_days))
            point = ParamTree(pending.point)
            point["date"] = new_deadline
            point["force_us"] = None  # a forced decision holds for the deadline it was written for
            point["force_china"] = None
            self._add_point(f"{pending.name}+{int(self.p.extension_days)}d", point)

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


@kernel
def _pain_days(
    first: int,
    last: int,
    lost_output_share: np.ndarray,
    price_index: np.ndarray,
    gdp_loss_pct: np.ndarray,
    licences_in_force: np.ndarray,
    us_tariff_pct: float,
    value_added: np.ndarray,
    value_added_total: float,
    normal_in_force: float,
    smoothing: float,
    weights: np.ndarray,
    halted_recent: float,
    us_pain_out: np.ndarray,
    china_pain_out: np.ndarray,
) -> tuple[float, float, float]:
    """Both sides' pain day by day; returns the last day's (US, China) pain and the idle average."""
    w_halted, w_price, w_gdp, w_exports, w_tariff = weights[0], weights[1], weights[2], weights[3], weights[4]
    us_pain = china_pain = 0.0
    for day in range(first, last + 1):
        idle = 0.0
        if value_added_total > 0:
            for s in range(value_added.size):
                idle += value_added[s] * lost_output_share[day, s]
            idle /= value_added_total
        halted_recent += smoothing * (idle - halted_recent)
        price_rise = price_index[day] / 100.0 - 1.0
        us_pain = w_halted * halted_recent + w_price * price_rise + w_gdp * gdp_loss_pct[day]
        volume = min(1.0, licences_in_force[day] / normal_in_force) if normal_in_force > 0 else 1.0
        lost_revenue = max(0.0, 1.0 - volume * price_index[day] / 100.0)
        china_pain = w_exports * lost_revenue + w_tariff * us_tariff_pct / 100.0
        us_pain_out[day] = us_pain
        china_pain_out[day] = china_pain
    return us_pain, china_pain, halted_recent


@on_warm_up("negotiation")
def _warm_up() -> None:
    """Compile (or load) the kernel with the model's types: two days of two sectors."""
    ones = np.ones(2)
    _pain_days(
        0, 1, np.ones((2, 2)), 100.0 * ones, ones, np.ones(2, dtype=np.int64), 55.0, ones, 2.0, 10.0, 0.1,
        np.ones(5), 0.0, np.zeros(2), np.zeros(2),
    )  # fmt: skip
