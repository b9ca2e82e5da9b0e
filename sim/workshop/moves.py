"""What each team may do in a turn of the negotiation game, written as short text.

A turn's move for one side is a few ``key=value`` words, or ``pass``. Each side
has its own instruments, the levers the model itself has:

* the US: its tariff on Chinese goods, the chip-export controls (which China's
  licensing is linked to), and its stance at talks and deadlines;
* China: its tariff on US goods, the pace of its licence review, London's fast
  track for civil US files, the green channel for trusted US firms,
  military-use (samarium) files, and its stance.

The vocabulary is checked once, here, so that a bad move typed at the prompt,
written in a saved game or given to ``--change`` gets the same message naming
the word and what is allowed.
"""

from __future__ import annotations

import math

from sim.core.domain import DECISIONS

SIDES: tuple[str, ...] = ("us", "china")
SIDE_NAMES: dict[str, str] = {"us": "US", "china": "China"}

#: Highest tariff a team may set, in percent: above the April 2025 peak of 145%.
MAX_TARIFF_PCT = 300.0

#: Allowed words per side and instrument; ``tariff`` takes a number instead.
VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {
    "us": {
        "tariff": (),
        "chips": ("tighten", "ease"),
        "stance": DECISIONS,
    },
    "china": {
        "tariff": (),
        "pace": ("slow", "normal", "fast"),
        "fast_track": ("open", "closed"),
        "green_channel": ("on", "off"),
        "military": ("hold", "review"),
        "stance": DECISIONS,
    },
}

#: What each instrument means, for the prompt and ``--help``.
MEANING: dict[str, str] = {
    "tariff": f"tariff on the other side's goods, percent (0 to {MAX_TARIFF_PCT:g})",
    "chips": "US chip-export controls (China's licensing slows while they are on)",
    "pace": "speed of China's licence review: a quarter, the same, or 1.5 times the mid-June capacity",
    "fast_track": "London's fast track for civil US files: open (served first, short wait) or closed "
    "(the statutory wait, no priority)",
    "green_channel": "fast lane for trusted US firms' civil files",
    "military": "military-use (samarium) files: held, or reviewed with some approvals",
    "stance": "at talks or a deadline: concede, hold or escalate (left out: drawn from the side's pain)",
}

Moves = dict[str, str | float]


class MoveError(ValueError):
    """A move that is not in the side's vocabulary; the message says what is allowed."""


def allowed_text(side: str) -> str:
    """One line listing a side's instruments and their values."""
    parts = []
    for key, values in VOCABULARY[side].items():
        parts.append(f"{key}=N" if key == "tariff" else f"{key}={'|'.join(values)}")
    return " ".join(parts) + " (or pass)"


def parse_moves(side: str, text: str) -> Moves:
    """Turn ``"tariff=80 chips=tighten"`` (or ``pass``) into a checked dict for ``side``."""
    if side not in VOCABULARY:
        raise MoveError(f"unknown side {side!r} (allowed: {', '.join(SIDES)})")
    words = text.replace(",", " ").split()
    if not words or words == ["pass"]:
        return {}
    vocabulary = VOCABULARY[side]
    moves: Moves = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip().lower()
        value = value.strip().lower()
        if word == "pass":
            raise MoveError("'pass' stands alone: leave the other words out")
        if not sep or not value:
            raise MoveError(f"{word!r} is not key=value; {SIDE_NAMES[side]} moves: {allowed_text(side)}")
        if key not in vocabulary:
            raise MoveError(
                f"{key!r} is not a {SIDE_NAMES[side]} instrument; {SIDE_NAMES[side]} moves: "
                f"{allowed_text(side)}"
            )
        if key in moves:
            raise MoveError(f"{key!r} is given twice in one turn")
        moves[key] = _checked_value(side, key, value)
    return moves


def _checked_value(side: str, key: str, value: str) -> str | float:
    if key == "tariff":
        try:
            number = float(value.removesuffix("%"))
        except ValueError:
            number = math.nan
        if not 0.0 <= number <= MAX_TARIFF_PCT:
            raise MoveError(f"tariff={value}: must be a number of percent from 0 to {MAX_TARIFF_PCT:g}")
        return number
    allowed = VOCABULARY[side][key]
    if value not in allowed:
        raise MoveError(f"{key}={value}: {key} must be one of {', '.join(allowed)}")
    return value


def format_moves(moves: Moves) -> str:
    """The text form of a side's moves (what ``parse_moves`` reads back); ``pass`` for none."""
    if not moves:
        return "pass"
    return " ".join(f"{k}={_format_value(v)}" for k, v in moves.items())


def _format_value(value: str | float) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_change(text: str) -> tuple[int, str, Moves]:
    """Read ``--change TURN=SIDE:MOVES``, e.g. ``3=us:tariff=100`` or ``5=china:pace=fast stance=hold``."""
    turn_text, sep, rest = text.partition("=")
    side, colon, moves_text = rest.partition(":")
    example = "e.g. 3=us:tariff=100 or 5=china:pass"
    if not sep or not colon:
        raise MoveError(f"--change {text!r}: write TURN=SIDE:MOVES ({example})")
    try:
        turn = int(turn_text)
    except ValueError:
        raise MoveError(f"--change {text!r}: TURN must be a turn number ({example})") from None
    side = side.strip().lower()
    if side not in SIDES:
        raise MoveError(f"--change {text!r}: SIDE must be one of {', '.join(SIDES)} ({example})")
    return turn, side, parse_moves(side, moves_text)
