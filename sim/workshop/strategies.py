"""Built-in strategies for the negotiation game: who plays a side when no team does.

Every strategy picks a *posture* each turn (cooperate, stand firm, or
retaliate) and turns it into the side's moves (:data:`POSTURE_MOVES`):

* ``hawk`` retaliates every turn; ``dove`` cooperates every turn;
* ``tit-for-tat`` cooperates first, then answers the other side's last
  posture with the same posture (Axelrod's winner, here between governments);
* ``pain-driven`` behaves as the model's own negotiators: it cooperates with
  the probability :func:`sim.model.negotiation.concede_probability` gives at the
  side's current pain, otherwise retaliates with the side's ``escalate_share``
  and stands firm the rest of the time. It draws from its own random stream
  (``game.us_strategy`` / ``game.china_strategy``), so a strategy's luck does
  not depend on who it plays, and the model's draws are never shifted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.core.streams import Streams
from sim.model.negotiation import concede_probability
from sim.scenario.params import Params, SidePainParams
from sim.workshop.game import Turn, TurnStatus
from sim.workshop.moves import Moves

COOPERATE, FIRM, RETALIATE = "cooperate", "firm", "retaliate"
POSTURES = (COOPERATE, FIRM, RETALIATE)
#: Tariff steps of a posture, in percentage points per turn, and the bounds they stop at.
TARIFF_STEP_POINTS = 25.0
TARIFF_FLOOR_PCT = 10.0  # the 10% both sides kept after Geneva
TARIFF_PEAK_PCT = {"us": 145.0, "china": 125.0}  # the April 2025 peaks


def posture_moves(side: str, posture: str, status: TurnStatus) -> Moves:
    """The moves that carry a posture for ``side`` in this turn's situation."""
    own_tariff = status.us_tariff_pct if side == "us" else status.china_tariff_pct
    stance = {COOPERATE: "concede", FIRM: "hold", RETALIATE: "escalate"}[posture]
    moves: Moves = {}
    if posture == COOPERATE:
        moves["tariff"] = float(
            round(min(own_tariff, max(TARIFF_FLOOR_PCT, own_tariff - TARIFF_STEP_POINTS)))
        )
        if side == "us":
            moves["chips"] = "ease"
        else:
            moves |= {"pace": "fast", "fast_track": "open", "green_channel": "on"}
    elif posture == RETALIATE:
        moves["tariff"] = float(
            round(min(max(own_tariff, TARIFF_PEAK_PCT[side]), own_tariff + TARIFF_STEP_POINTS))
        )
        if side == "us":
            moves["chips"] = "tighten"
        else:
            moves |= {"pace": "slow", "fast_track": "closed", "green_channel": "off", "military": "hold"}
    if status.is_decision:
        moves["stance"] = stance
    return moves


def posture_of(side: str, moves: Moves, tariff_before: float | None = None) -> str:
    """Read a posture back from moves (what tit-for-tat sees of the other side)."""
    score = 0
    stance = moves.get("stance")
    score += {"concede": 1, "escalate": -1}.get(str(stance), 0)
    score += {"ease": 1, "tighten": -1, "fast": 1, "slow": -1}.get(
        str(moves.get("chips", moves.get("pace"))), 0
    )
    score += {"on": 1, "off": -1}.get(str(moves.get("green_channel")), 0)
    score += {"open": 1, "closed": -1}.get(str(moves.get("fast_track")), 0)
    if "tariff" in moves and tariff_before is not None:
        score += int(np.sign(tariff_before - float(moves["tariff"])))
    return COOPERATE if score > 0 else RETALIATE if score < 0 else FIRM


class Hawk:
    """Retaliates every turn: tariffs up, chips tightened or licensing slowed, escalate at talks."""

    name = "hawk"

    def choose(self, side: str, status: TurnStatus, history: Sequence[Turn]) -> Moves:
        return posture_moves(side, RETALIATE, status)


class Dove:
    """Cooperates every turn: tariffs down, chips eased or licensing sped up, concede at talks."""

    name = "dove"

    def choose(self, side: str, status: TurnStatus, history: Sequence[Turn]) -> Moves:
        return posture_moves(side, COOPERATE, status)


class TitForTat:
    """Cooperates first, then does what the other side did last turn."""

    name = "tit-for-tat"

    def __init__(self) -> None:
        self.tariff_seen: list[float] = []  # the other side's tariff at each turn, to read its moves

    def choose(self, side: str, status: TurnStatus, history: Sequence[Turn]) -> Moves:
        other = "china" if side == "us" else "us"
        other_tariff = status.china_tariff_pct if side == "us" else status.us_tariff_pct
        self.tariff_seen.append(other_tariff)
        if not history:
            return posture_moves(side, COOPERATE, status)
        before = self.tariff_seen[-2] if len(self.tariff_seen) > 1 else None
        return posture_moves(side, posture_of(other, history[-1].moves(other), before), status)


class PainDriven:
    """Behaves as the model's negotiators: the more its side hurts, the likelier it cooperates."""

    name = "pain-driven"

    def __init__(self, side_params: SidePainParams, rng: np.random.Generator):
        self.p = side_params
        self.rng = rng

    def choose(self, side: str, status: TurnStatus, history: Sequence[Turn]) -> Moves:
        pain = status.us_pain if side == "us" else status.china_pain
        cooperate = concede_probability(pain, self.p.concede_base, self.p.concede_per_pain)
        u = float(self.rng.random())  # one draw per turn, whatever the situation
        if u < cooperate:
            posture = COOPERATE
        elif u < cooperate + (1.0 - cooperate) * self.p.escalate_share:
            posture = RETALIATE
        else:
            posture = FIRM
        return posture_moves(side, posture, status)


STRATEGIES: tuple[str, ...] = ("tit-for-tat", "hawk", "dove", "pain-driven")


def make_strategy(name: str, side: str, params: Params, streams: Streams):
    """A fresh player of strategy ``name`` for ``side`` in one game (its own random stream)."""
    if name == "hawk":
        return Hawk()
    if name == "dove":
        return Dove()
    if name == "tit-for-tat":
        return TitForTat()
    if name == "pain-driven":
        return PainDriven(params.negotiation[side], streams.generator(f"game.{side}_strategy"))
    raise ValueError(f"unknown strategy {name!r} (allowed: {', '.join(STRATEGIES)})")
