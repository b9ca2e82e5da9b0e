"""The debrief: the class's games against the model's distribution, forecasts scored, one move changed.

* The model's distribution is ``reps`` replications of the workshop's scenario and
  seed, played by the model's own negotiators (no team): what the class's games
  are set beside. Computed once, in the background (a worker process under
  ``tradesim workshop``), from the seed alone, so a resumed workshop gets the
  same numbers.
* Forecasts are the participants' answers to the same questions as ``tradesim
  forecast`` (a probability and quantiles), scored with
  :func:`sim.workshop.forecast.score_forecasts` against that distribution.
* "Same luck, one move changed" replays a game from its record with one side's
  moves at one turn replaced (:func:`sim.workshop.records.changed_record`), every
  other move and every random draw as played.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.core.domain import SECTORS
from sim.model.replication import run_replication
from sim.results.catalogue import OUTCOMES
from sim.scenario.schema import Scenario
from sim.workshop.forecast import (
    DEFAULT_EVENT,
    DEFAULT_LEVELS,
    DEFAULT_QUANTITY,
    ClassForecasts,
    ProbabilityForecast,
    QuantileForecast,
    Scoreboard,
    parse_probability,
    score_forecasts,
)
from sim.workshop.moves import MoveError, parse_moves
from sim.workshop.records import (
    Difference,
    changed_record,
    differences,
    first_divergence,
    record_of,
    replay_game,
)
from sim.workshop.scoring import check_quantiles

#: The game outcomes set beside the model's distribution, with units (see GameResult.game_outcomes).
COMPARED: dict[str, str] = {
    "gdp_loss_year_end_pct": "% of annual US GDP",
    "halted_plant_days": "plant-days",
    "price_index_at_end": "index, pre-crisis = 100",
}


def model_distribution(spec: Scenario, seed: int, reps: int) -> dict[str, np.ndarray]:
    """Every outcome over ``reps`` replications, plus ``halted_plant_days`` summed over sectors."""
    return distribution_of(replication_outcomes(spec, seed, range(reps)))


def replication_outcomes(spec: Scenario, seed: int, reps: range) -> list[dict[str, float]]:
    """The outcomes of some replications (the server computes the distribution in such chunks)."""
    return [run_replication(spec, seed, rep).outcomes for rep in reps]


class Replications:
    """Computes replications' outcomes in the server's background worker (see :mod:`.engine`)."""

    def outcomes(self, spec: Scenario, seed: int, reps: range) -> list[dict[str, float]]:
        return replication_outcomes(spec, seed, reps)


def distribution_of(rows: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """Replications' outcomes as one array per outcome, plus ``halted_plant_days`` over sectors."""
    outcomes = {name: np.array([row[name] for row in rows], dtype=float) for name in rows[0]}
    outcomes["halted_plant_days"] = sum(outcomes[f"halted_plant_days_{s}"] for s in SECTORS)
    return outcomes


def questions() -> dict:
    """The forecast round's two questions, worded as ``tradesim forecast add`` words them."""
    event, quantity = OUTCOMES[DEFAULT_EVENT], OUTCOMES[DEFAULT_QUANTITY]
    return {
        "event": DEFAULT_EVENT,
        "event_text": event.description,
        "quantity": DEFAULT_QUANTITY,
        "quantity_text": quantity.description,
        "unit": quantity.unit,
        "levels": DEFAULT_LEVELS,
    }


def parse_forecast(fields: dict[str, str]) -> tuple[str, list[tuple[str, float | None, float]]]:
    """A participant's form as store rows; ValueError says what is wrong (nothing is stored then)."""
    name = " ".join(str(fields.get("name", "")).split())
    if not 1 <= len(name) <= 40 or not name.isprintable():
        raise ValueError("a name has 1 to 40 printable characters")
    p = parse_probability(str(fields.get("probability", ""))[:20])
    values = []
    for i, level in enumerate(DEFAULT_LEVELS):
        text = str(fields.get(f"q{i}", "")).strip()[:30]
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"the {100 * level:g}% quantile must be a number, got {text!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"the {100 * level:g}% quantile must be a finite number")
        values.append(value)
    check_quantiles(DEFAULT_LEVELS, values)
    rows: list[tuple[str, float | None, float]] = [(DEFAULT_EVENT, None, p)]
    rows += [(DEFAULT_QUANTITY, level, v) for level, v in zip(DEFAULT_LEVELS, values, strict=True)]
    return name, rows


def scoreboard(
    rows: list[tuple[str, str, float | None, float]], outcomes: dict[str, np.ndarray]
) -> Scoreboard | None:
    """The stored forecasts scored against the model's distribution (None when nobody forecast)."""
    probabilities, quantiles = [], {}
    for name, outcome, level, value in rows:
        if level is None:
            probabilities.append(ProbabilityForecast(name, outcome, value))
        else:
            quantiles.setdefault((name, outcome), []).append((level, value))
    qs = [
        QuantileForecast(name, outcome, tuple(lv for lv, _ in sorted(e)), tuple(v for _, v in sorted(e)))
        for (name, outcome), e in quantiles.items()
    ]
    if not probabilities and not qs:
        return None
    return score_forecasts(ClassForecasts(Path("workshop"), probabilities, qs), outcomes, where="the model")


def one_move_changed(
    room, number: int, turn: int, side: str, moves_text: str
) -> tuple[list[Difference], str]:
    """Replay a game with one side's moves at one turn replaced: key outcomes, first day that differs."""
    lg = room.games[number]
    record = record_of(room.settings.scenario, lg.game, room.players(number))
    try:
        moves = parse_moves(side, moves_text)
        changed = changed_record(record, turn, side, moves)
    except MoveError as exc:
        raise ValueError(str(exc)) from None
    _, original = replay_game(record, room.scenario)
    _, other = replay_game(changed, room.scenario)
    diverged = first_divergence(original, other)
    return differences(original, other), (
        f"first day that differs: {diverged}" if diverged else "no difference at all"
    )
