"""The negotiation as a turn-based game: two teams steer one replication of the model.

A game is one replication (scenario, master seed, replication number) that
pauses at each turn: every ``every_days`` days from the game's start, and at
every unscripted decision point of the negotiation (talks, the truce deadline,
a deadline that an extension adds). At a turn both teams see the same status
and choose their moves (:mod:`sim.workshop.moves`) without seeing each other's; the
moves are applied through the subsystems' own methods, then the model runs on.

Why the moves go through the model and not around it: a stance at a deadline
becomes the forced decision of that decision point, so the deadline outcome
table of :mod:`sim.model.negotiation` decides what happens, exactly as in a what-if
scenario; a US chip move switches the negotiation's chip controls, so the
linkage slows China's licensing as it does in every run; China's licensing
moves are regime changes (``apply_policy``), as the dated events of a scenario.

The random draws are the replication's own, so a saved game (its scenario,
seed, replication, turn dates and moves) replays exactly, and a replay with one
move changed shows what that move alone did: same luck, different choice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from sim.core.domain import SECTORS
from sim.core.streams import Streams
from sim.model.replication import Replication
from sim.scenario.sampling import ParamTree, draw_parameters
from sim.scenario.schema import Scenario
from sim.workshop.moves import SIDE_NAMES, SIDES, Moves, format_moves

#: The game starts after London by default: the London framework is where the
#: baseline stands in mid-June, and the teams play out the truce from there.
DEFAULT_START = dt.date(2025, 6, 16)
DEFAULT_EVERY_DAYS = 14

#: Review capacity that each licence pace sets, as a multiple of the capacity in
#: force when the game starts (assumption: "slow" is about the cut after the
#: Huawei chip rule, a quarter; "fast" adds half again, as more reviewers).
PACE_FACTOR: dict[str, float] = {"slow": 0.25, "normal": 1.0, "fast": 1.5}
#: Share of military-use files approved when China reviews them (assumption: the
#: middle of the military_release scenario's 10-40%).
MILITARY_REVIEW_APPROVAL = 0.25


@dataclass
class TurnStatus:
    """What both teams see at the start of a turn (the state at the end of the day before)."""

    turn: int  # 1, 2, ...
    day: int
    date: dt.date
    decision: str | None  # the decision point taken this turn ("Truce deadline (deadline)"), if any
    backlog: int
    days_of_cover: dict[str, float]
    plants_halted: dict[str, int]
    plants: dict[str, int]
    price_index: float
    gdp_loss_pct: float
    us_pain: float
    china_pain: float
    us_tariff_pct: float
    china_tariff_pct: float
    chip_controls: bool
    review_capacity_per_day: float
    green_channel: bool
    military_handling: str
    fast_track: bool = True
    news: list[str] = field(default_factory=list)  # what happened since the last turn

    @property
    def is_decision(self) -> bool:
        """True at talks or a deadline, where a stance counts."""
        return self.decision is not None


@dataclass
class Turn:
    """One played turn: when, and what each side did."""

    turn: int
    day: int
    date: dt.date
    decision: str | None
    us: Moves
    china: Moves
    notes: list[str] = field(default_factory=list)  # moves that had no effect, and why

    def moves(self, side: str) -> Moves:
        """The moves ``side`` ("us" or "china") made this turn."""
        return self.us if side == "us" else self.china


class Player(Protocol):
    """A team: a person at the keyboard, a built-in strategy, or a saved game's moves."""

    name: str

    def choose(self, side: str, status: TurnStatus, history: Sequence[Turn]) -> Moves:
        """The moves for this turn, given what both teams see and the turns played so far."""
        ...


@dataclass
class GameResult:
    """A finished game: its turns, the statuses seen, the model's outcomes and daily series."""

    turns: list[Turn]
    statuses: list[TurnStatus]
    outcomes: dict[str, float]
    series: dict[str, np.ndarray]
    dates: list[dt.date]
    start_day: int
    parameters: dict[str, object]

    def game_outcomes(self) -> dict[str, float]:
        """The figures the teams are scored on, from the game's start to the horizon."""
        s = self.start_day
        return {
            "gdp_loss_year_end_pct": float(self.outcomes["gdp_loss_year_end_pct"]),
            "us_pain_mean": float(np.mean(self.series["us_pain"][s:])),
            "china_pain_mean": float(np.mean(self.series["china_pain"][s:])),
            "halted_plant_days": float(sum(self.outcomes[f"halted_plant_days_{x}"] for x in SECTORS)),
            "price_index_at_end": float(self.outcomes["price_index_at_end"]),
            "deadline_deal": float(self.outcomes["deadline_deal"]),
        }


class Game:
    """One replication of a scenario, run turn by turn: ``advance`` to a turn, then ``move``."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        rep: int = 0,
        start: dt.date = DEFAULT_START,
        every_days: int = DEFAULT_EVERY_DAYS,
        turn_days: Sequence[int] | None = None,
    ):
        if not scenario.has_us_side:
            raise ValueError(f"scenario {scenario.name!r} has no US side and no negotiation to play")
        if every_days < 1:
            raise ValueError(f"every_days (={every_days}) must be >= 1")
        self.scenario = scenario
        self.seed = seed
        self.rep = rep
        self.streams = Streams(seed, rep)
        params, self.parameters = draw_parameters(scenario, self.streams)
        self.model = Replication(scenario, params, self.streams)
        clock = self.model.clock
        self.start = start
        self.start_day = clock.day(start)
        if not 0 < self.start_day < clock.n_days:
            raise ValueError(
                f"game start {start} must lie inside the scenario ({clock.start} to {clock.end})"
            )
        self.every_days = every_days
        self.fixed_turn_days = list(turn_days) if turn_days is not None else None
        self.turns: list[Turn] = []
        self.statuses: list[TurnStatus] = []
        self._reference_capacity: float | None = None
        self._decisions_seen = 0
        self._struck_seen = False
        self._at_turn = False
        self.finished = False

    # --- the turn schedule -----------------------------------------------------------------

    def _next_turn_day(self) -> int | None:
        """The next turn: the next fortnight or unscripted decision point (a saved game's own days)."""
        n = self.model.clock.n_days
        after = self.model.today if self.turns else self.start_day - 1
        if self.fixed_turn_days is not None:
            later = [d for d in self.fixed_turn_days if d > after]
            return later[0] if later and later[0] < n else None
        offset = max(0, after + 1 - self.start_day)
        fortnight = self.start_day + -(-offset // self.every_days) * self.every_days
        candidates = [fortnight] + [
            p.fire_day
            for p in self.model.negotiation.pending
            if p.fire_day > after and not p.point.get("scripted")
        ]
        day = min(candidates)
        return day if day < n else None

    def _points_today(self) -> list:
        today = self.model.today
        return [
            p for p in self.model.negotiation.pending if p.fire_day == today and not p.point.get("scripted")
        ]

    # --- playing ---------------------------------------------------------------------------

    def advance(self) -> TurnStatus | None:
        """Run to the next turn and return what the teams see; None once the horizon is reached."""
        if self._at_turn:
            raise RuntimeError("the teams have not moved yet: call move() before advance()")
        day = self._next_turn_day()
        if day is None:
            self.model.run()
            self.finished = True
            return None
        self.model.run_until(day)
        if self._reference_capacity is None:
            self._reference_capacity = float(self.model.licensing.regime.review_capacity_per_day)
        status = self._status()
        self.statuses.append(status)
        self._at_turn = True
        return status

    def move(self, us: Moves, china: Moves) -> Turn:
        """Apply both sides' moves at the current turn (the US first, then China)."""
        if not self._at_turn:
            raise RuntimeError("no turn is open: call advance() first")
        status = self.statuses[-1]
        notes: list[str] = []
        for side, moves in (("us", us), ("china", china)):
            for key, value in moves.items():
                note = self._apply(side, key, value)
                if note:
                    notes.append(note)
        turn = Turn(status.turn, status.day, status.date, status.decision, dict(us), dict(china), notes)
        self.turns.append(turn)
        self._at_turn = False
        return turn

    def _apply(self, side: str, key: str, value: str | float) -> str | None:
        """Apply one move; return a note if it could have no effect."""
        m = self.model
        now = float(m.today)
        negotiation, licensing = m.negotiation, m.licensing
        if key == "stance":
            # a hand-written plan may date its stance on the deadline itself, the day before it fires
            today = self.model.today
            points = [
                p
                for p in self.model.negotiation.pending
                if not p.point.get("scripted")
                and (p.fire_day == today or (p.fire_day == today + 1 and p.point.kind == "deadline"))
            ]
            if not points:
                return f"{SIDE_NAMES[side]} stance={value}: no talks or deadline this turn, so no effect"
            for pending in points:
                negotiation.force(pending.name, **{side: str(value)})
            return None
        if key == "tariff":
            m.tariffs.set_levels(**{("us" if side == "us" else "china"): float(value)})
            if side == "us" and m.tariffs.state.us_on_china_pct < float(value):
                capped = m.tariffs.state.us_on_china_pct
                return f"US tariff={value:g}: capped at {capped:.0f}% by the court ruling"
            return None
        if key == "chips":
            negotiation.set_chip_controls(value == "tighten", now)
            return None
        if key == "pace":
            capacity = (self._reference_capacity or 0.0) * PACE_FACTOR[str(value)]
            licensing.apply_policy(ParamTree(review_capacity_per_day=capacity), now)
            return None
        if key == "fast_track":
            licensing.apply_policy(ParamTree(fast_track=value == "open"), now)
            return None
        if key == "green_channel":
            licensing.apply_policy(ParamTree(green_channel=value == "on"), now)
            return None
        if key == "military":
            change = ParamTree(military_handling=str(value))
            if value == "review":
                change["military_approval_probability"] = MILITARY_REVIEW_APPROVAL
            licensing.apply_policy(change, now)
            if value == "review" and negotiation.state.chip_controls:
                return (
                    "China military=review: applied, but US chip controls put it back on hold at next talks"
                )
            return None
        raise ValueError(f"unknown move {key!r}")  # parse_moves lets none through

    def result(self) -> GameResult:
        """The finished game's turns, outcomes and daily series."""
        if not self.finished:
            raise RuntimeError("the game is not over: advance() until it returns None")
        m = self.model
        return GameResult(
            turns=list(self.turns),
            statuses=list(self.statuses),
            outcomes=m.outcomes(),
            series=m.series(),
            dates=m.clock.dates(),
            start_day=self.start_day,
            parameters=dict(self.parameters),
        )

    # --- what the teams see ------------------------------------------------------------------

    def _status(self) -> TurnStatus:
        m = self.model
        s = m.state
        last = max(0, m.today - 1)
        industry = m.industry.series()
        points = self._points_today()
        decision = None
        if points:
            p = points[0]
            label = p.point.get("label") or p.name.replace("_", " ")
            if p.point.kind == "deadline":  # decided on the deadline, in force from the day after: today
                decision = f"{label} (deadline of {p.point.date:%d %b}, outcome from today)"
            else:
                decision = f"{label} (talks)"
        return TurnStatus(
            turn=len(self.statuses) + 1,
            day=m.today,
            date=m.clock.date(m.today),
            decision=decision,
            backlog=int(s.licensing.backlog),
            days_of_cover={x: float(industry[f"days_of_cover_{x}"][last]) for x in SECTORS},
            plants_halted={x: int(industry[f"plants_halted_{x}"][last]) for x in SECTORS},
            plants={x: int(n) for x, n in zip(SECTORS, m.industry.plants_per_sector, strict=True)},
            price_index=float(s.market.price_index),
            gdp_loss_pct=float(s.macro.gdp_loss_pct),
            us_pain=float(s.negotiation.us_pain),
            china_pain=float(s.negotiation.china_pain),
            us_tariff_pct=float(s.tariffs.us_on_china_pct),
            china_tariff_pct=float(s.tariffs.china_on_us_pct),
            chip_controls=bool(s.negotiation.chip_controls),
            review_capacity_per_day=float(
                m.licensing.regime.review_capacity_per_day * s.licensing.capacity_multiplier
            ),
            green_channel=bool(m.licensing.regime.green_channel),
            military_handling=str(m.licensing.regime.military_handling),
            fast_track=bool(m.licensing.regime.fast_track),
            news=self._news(),
        )

    def _news(self) -> list[str]:
        """Decisions taken and court rulings since the last turn, in words."""
        m = self.model
        news = []
        for d in m.negotiation.decisions[self._decisions_seen :]:
            if d.day < self.start_day:
                continue
            what = f"{m.clock.date(d.day)}: {d.name.replace('_', ' ')}: US {d.us}, China {d.china}"
            news.append(what + (f" -> {d.outcome.replace('_', '-')}" if d.outcome else ""))
        self._decisions_seen = len(m.negotiation.decisions)
        if m.tariffs.state.struck_down and not self._struck_seen:
            self._struck_seen = True
            news.append(
                f"the court struck the emergency tariffs: US tariff capped at {m.tariffs.cap_us:.0f}%"
            )
        return news


def play(
    game: Game,
    us: Player,
    china: Player,
    on_turn: Callable[[TurnStatus, Turn | None], None] | None = None,
) -> GameResult:
    """Play a game to the end: at each turn ask both players, then move.

    ``on_turn`` is called with each status before the players choose (turn None)
    and again with the turn played, so a front end can show both.
    """
    while (status := game.advance()) is not None:
        if on_turn:
            on_turn(status, None)
        history = tuple(game.turns)
        turn = game.move(us.choose("us", status, history), china.choose("china", status, history))
        if on_turn:
            on_turn(status, turn)
    return game.result()


class RecordedPlayer:
    """Plays the moves of a saved game, turn by turn (a turn with no entry passes)."""

    def __init__(self, name: str, side: str, moves_by_turn: dict[int, Moves]):
        self.name = name
        self.side = side
        self.moves_by_turn = moves_by_turn

    def choose(self, side: str, status: TurnStatus, history: Sequence[Turn]) -> Moves:
        return dict(self.moves_by_turn.get(status.turn, {}))


def describe_turn(turn: Turn) -> str:
    """``turn 3 (2025-07-14): US tariff=80 | China pass``."""
    return (
        f"turn {turn.turn} ({turn.date}): {SIDE_NAMES['us']} {format_moves(turn.us)} | "
        f"{SIDE_NAMES['china']} {format_moves(turn.china)}"
    )


__all__ = [
    "DEFAULT_EVERY_DAYS",
    "DEFAULT_START",
    "SIDES",
    "Game",
    "GameResult",
    "Player",
    "RecordedPlayer",
    "Turn",
    "TurnStatus",
    "describe_turn",
    "play",
]
