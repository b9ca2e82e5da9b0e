"""What the facilitator sets for a workshop, what the room refuses, and a team's form read as moves.

The form is read with the game library's own vocabulary
(:func:`sim.workshop.moves.parse_moves`): the web layer adds no rule, it only
refuses fields that are not one of the side's instruments and bounds the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sim.workshop.game import DEFAULT_EVERY_DAYS, DEFAULT_START
from sim.workshop.moves import VOCABULARY, MoveError, Moves, format_moves, parse_moves
from sim.workshop.strategies import STRATEGIES

#: After a resume, a running timer keeps at least this long, so teams can reconnect (assumption).
RESUME_GRACE_S = 30.0
#: Bounds of what the facilitator may type (assumptions: a class period is under two hours).
MAX_GAMES = 50
MAX_EXTEND_S = 3600.0
MAX_NAME_CHARS = 40


class RoomError(Exception):
    """A request the room refuses, with the HTTP status that says why; the room is unchanged."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Settings:
    """What the facilitator chose when starting the workshop (stored in the file, reused on resume)."""

    scenario: str = "baseline"  # a name from `tradesim list`, or a path
    seed: int = 1
    rep: int = 0
    games: int = 3
    same_luck: bool = True  # every game in replication `rep` (the teams differ, not the luck)
    start: str = DEFAULT_START.isoformat()
    every_days: int = DEFAULT_EVERY_DAYS
    turn_seconds: float = 300.0  # 0: no timer, turns close when both sides moved or the facilitator advances
    max_turns: int = 0  # 0: play to the scenario's horizon
    strategy: str = "pain-driven"  # who plays a side no team holds
    reps: int = 200  # replications of the model's distribution on the debrief page

    def check(self) -> None:
        if not 1 <= self.games <= MAX_GAMES:
            raise ValueError(f"games (={self.games}) must be from 1 to {MAX_GAMES}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy {self.strategy!r} must be one of {', '.join(STRATEGIES)}")
        if self.turn_seconds < 0 or self.max_turns < 0 or self.seed < 0 or self.rep < 0 or self.reps < 2:
            raise ValueError("turn time, turns, seed and rep must be >= 0, and reps >= 2")
        dt.date.fromisoformat(self.start)


def parse_form(side: str, fields: Mapping[str, str]) -> Moves:
    """A team's form as moves: one field per instrument ("" = no change), or ``moves`` as typed text.

    Every field is checked: an instrument of the other side, an unknown field or a
    value out of the vocabulary is a :class:`RoomError` (400) naming it.
    """
    allowed = VOCABULARY[side]
    unknown = [key for key in fields if key not in allowed and key not in ("turn", "moves")]
    if unknown:
        raise RoomError(
            400, f"{str(unknown[0])[:40]!r} is not a move of {side} (allowed: {', '.join(allowed)})"
        )
    words = [
        f"{key}={str(value).strip()}"
        for key, value in fields.items()
        if key in allowed and str(value).strip()
    ]
    text = " ".join(words) if words else str(fields.get("moves", "pass"))
    if words and str(fields.get("moves", "")).strip():
        raise RoomError(400, "give the moves either as fields or as text, not both")
    if len(text) > 400:
        raise RoomError(400, "moves text too long")
    try:
        return parse_moves(side, text)
    except MoveError as exc:
        raise RoomError(400, str(exc)) from None


def canonical(side: str, moves: Moves) -> Moves:
    """The moves exactly as a game file writes them back, so a replay applies the same numbers."""
    return parse_moves(side, format_moves(moves))
