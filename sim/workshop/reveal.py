"""The reveal of "predict, then reveal": a class file's questions, and its scoring against a results folder.

:mod:`sim.workshop.forecast` reads, checks and scores forecasts;
this module is what ``tradesim forecast add`` and ``tradesim forecast score``
(and a notebook) do with them: work out which questions a new forecast answers,
and score a whole class against one run, writing the scores and the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.results.folder import ResultsError, read_results
from sim.workshop.forecast import (
    DEFAULT_EVENT,
    DEFAULT_LEVELS,
    DEFAULT_QUANTITY,
    ClassForecasts,
    Scoreboard,
    check_event,
    check_quantity,
    parse_levels,
    read_forecasts,
    score_forecasts,
    write_scores,
)
from sim.workshop.forecast_charts import forecast_figure


@dataclass
class Questions:
    """What a participant is asked: one yes/no event, one quantity and its quantile levels (0-1)."""

    event: str
    quantity: str
    levels: tuple[float, ...]


def questions_for(
    file: Path, event: str | None = None, quantity: str | None = None, levels: str | None = None
) -> Questions:
    """The questions of a class file: those given, else the file's first ones, else the defaults.

    Raises :class:`sim.workshop.forecast.ForecastError` for a bad file, ``ValueError`` for a bad name.
    """
    asked_events: list[str] = []
    asked_quantities: list[str] = []
    asked_levels = None
    if Path(file).is_file():
        asked_events, asked_quantities, asked_levels = read_forecasts(file).questions()
    return Questions(
        event=check_event(event or (asked_events[0] if asked_events else DEFAULT_EVENT)),
        quantity=check_quantity(quantity or (asked_quantities[0] if asked_quantities else DEFAULT_QUANTITY)),
        levels=parse_levels(levels) if levels else (asked_levels or DEFAULT_LEVELS),
    )


@dataclass
class Reveal:
    """A class scored against one run: the scoreboard, the scores file and the figures drawn."""

    board: Scoreboard
    scenario: str
    scores: Path
    figures: list[Path]


def reveal(forecasts: ClassForecasts, folder: Path) -> Reveal:
    """Score every forecast against the run in ``folder``; write ``forecast_scores.csv`` and the figures.

    One figure per quantity and event asked (paired side by side while both remain). Raises
    :class:`sim.results.folder.ResultsError` for a comparison folder or a missing one.
    """
    folder = Path(folder)
    results = read_results(folder)
    if "comparison" in results.manifest:
        raise ResultsError(f"{folder}: a comparison folder; score against one of its scenario folders")
    board = score_forecasts(forecasts, results.outcomes, where=str(folder))
    name = results.manifest["scenario"]["name"]
    scores = write_scores(board, folder / "forecast_scores.csv")
    events, quantities, _ = forecasts.questions()
    pairs = list(zip(quantities, events, strict=False))
    plots = folder / "plots"
    drawn = [forecast_figure(board, plots / f"forecasts_{q}_{e}.png", name, q, e) for q, e in pairs]
    for extra in quantities[len(pairs) :]:
        drawn.append(forecast_figure(board, plots / f"forecasts_{extra}.png", name, quantity=extra))
    for extra in events[len(pairs) :]:
        drawn.append(forecast_figure(board, plots / f"forecasts_{extra}.png", name, event=extra))
    return Reveal(board, name, scores, drawn)
