"""The reveal slide: the class's forecasts drawn beside the model's simulated distribution.

Left, the simulated distribution of a quantity (histogram) above each
participant's forecast interval on the same axis, so the room sees at once who
was too narrow, too wide or off-centre. Right, each participant's probability
of a yes/no outcome against the simulated frequency. Rows are participants,
best overall first, with their score beside their name.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from sim.plots.charts import _STYLE, BLUE, ORANGE, VERMILLION, _save, _sentence, _unit_label
from sim.results.catalogue import OUTCOMES
from sim.results.summary import wilson_interval
from sim.workshop.forecast import MODEL_FREQUENCY, MODEL_QUANTILES, Scoreboard


def _rows(board: Scoreboard) -> list[str]:
    """Participants, best overall first (drawn top to bottom)."""
    return [name for name, _ in board.ranking()]


def _quantile_panels(board: Scoreboard, quantity: str, ax_hist: plt.Axes, ax_rows: plt.Axes) -> None:
    sample = board.samples[quantity]
    measure = OUTCOMES[quantity]
    ax_hist.hist(sample, bins=min(30, max(10, sample.size // 8)), color=BLUE, alpha=0.75, edgecolor="white")
    ax_hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_hist.set_ylabel("Replications")
    ax_hist.set_title(f"{_sentence(measure.description)}: simulated", loc="left")
    ax_hist.grid(axis="y", alpha=0.3)
    scores = {s.name: s for s in board.for_outcome(quantity)}
    forecasts = {f.name: f for f in board.forecasts.quantiles if f.outcome == quantity}
    names = [MODEL_QUANTILES, *_rows(board)]
    levels = next(iter(forecasts.values())).levels
    model_values = tuple(float(v) for v in np.quantile(sample, levels))
    for row, name in enumerate(names):
        if name == MODEL_QUANTILES:
            values, colour = model_values, VERMILLION
        elif name in forecasts:
            values, colour = forecasts[name].values, BLUE
        else:
            continue
        ax_rows.hlines(row, values[0], values[-1], color=colour, linewidth=4, alpha=0.8)
        ax_rows.scatter(values, [row] * len(values), color="white", edgecolor=colour, s=70, zorder=3)
        if 0.5 in levels:
            mid = values[levels.index(0.5)]
            ax_rows.scatter([mid], [row], color=colour, s=110, zorder=4)
    for i, value in enumerate(model_values):
        label = "the model's " + "/".join(f"{100 * q:g}" for q in levels) + "% quantiles" if i == 0 else None
        ax_hist.axvline(value, color=VERMILLION, linewidth=2, linestyle="--", label=label)
        ax_rows.axvline(value, color=VERMILLION, linewidth=1, linestyle="--", alpha=0.5)
    ax_hist.legend(frameon=False, loc="upper right")
    labels = [_label(name, scores.get(name), "CRPS") for name in names]
    ax_rows.set_yticks(range(len(names)), labels)
    ax_rows.set_ylim(len(names) - 0.5, -0.5)
    pct = "/".join(f"{100 * q:g}" for q in levels)
    ax_rows.set_xlabel(f"{_unit_label(measure.unit)}   (dots: {pct}% quantiles; dashed: the model's)")
    ax_rows.grid(axis="x", alpha=0.3)


def _probability_panel(board: Scoreboard, event: str, ax: plt.Axes, names: list[str]) -> str:
    """Draw the probabilities; return a line saying what the model simulated."""
    sample = board.samples[event]
    hits = int(sample.sum())
    share, low, high = wilson_interval(hits, sample.size)
    ax.axvspan(100 * low, 100 * high, color=VERMILLION, alpha=0.12)
    ax.axvline(100 * share, color=VERMILLION, linewidth=3)
    scores = {s.name: s for s in board.for_outcome(event)}
    scores[names[0]] = scores[MODEL_FREQUENCY]  # the model's row, whatever the quantity panel calls it
    given = {f.name: f.probability for f in board.forecasts.probabilities if f.outcome == event}
    for row, name in enumerate(names):
        if name in given:
            ax.scatter([100 * given[name]], [row], color=ORANGE, s=130, zorder=3, edgecolor="black")
    ax.set_yticks(range(len(names)), [_label(n, scores.get(n), "Brier") for n in names])
    ax.yaxis.tick_right()
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(-3, 103)
    ax.tick_params(axis="y", pad=10)
    ax.set_xlabel("Probability forecast (%)")
    ax.set_title(f"{_sentence(OUTCOMES[event].description)}?", loc="left", fontsize=15)
    ax.grid(axis="x", alpha=0.3)
    interval = f"{100 * low:.0f}-{100 * high:.0f}%"
    return f"simulated: {100 * share:.0f}% of {sample.size} runs\n(shaded: its 90% interval, {interval})"


def _label(name: str, score, rule: str) -> str:
    shown = "model" if name.startswith("(model") else name
    return f"{shown}  ({rule} {score.score:#.3g})" if score else f"{shown}  (no forecast)"


def forecast_figure(
    board: Scoreboard, path: Path, scenario: str, quantity: str | None = None, event: str | None = None
) -> Path:
    """One figure for a quantity question, an event question, or both side by side."""
    if quantity is None and event is None:
        raise ValueError("forecast_figure needs a quantity, an event or both")
    n_rows = len(board.forecasts.names) + 1
    runs = next(iter(board.samples.values())).size
    with plt.rc_context(_STYLE):
        height = 4.0 + 0.45 * n_rows + (3.0 if quantity else 0.0)
        fig = plt.figure(figsize=(16 if quantity and event else 12, max(7.0, height)), layout="constrained")
        if quantity:
            grid = fig.add_gridspec(2, 2 if event else 1, height_ratios=[1.0, max(1.2, 0.22 * n_rows)])
            grid_widths = [2.0, 1.0] if event else [1.0]
            grid.set_width_ratios(grid_widths)
            ax_hist = fig.add_subplot(grid[0, 0])
            ax_rows = fig.add_subplot(grid[1, 0], sharex=ax_hist)
            _quantile_panels(board, quantity, ax_hist, ax_rows)
            if event:
                ax_p = fig.add_subplot(grid[1, 1])
                note = _probability_panel(board, event, ax_p, [MODEL_QUANTILES, *_rows(board)])
                ax_note = fig.add_subplot(grid[0, 1])
                ax_note.axis("off")
                ax_note.text(0.0, 0.3, note, fontsize=16, color=VERMILLION, va="center")
        else:
            ax_p = fig.add_subplot(1, 1, 1)
            note = _probability_panel(board, event, ax_p, [MODEL_FREQUENCY, *_rows(board)])
            ax_p.text(0.02, -0.12, note, transform=ax_p.transAxes, color=VERMILLION, va="top")
        fig.suptitle(
            f"Predict, then reveal: the class's forecasts beside the model\n"
            f"scenario: {scenario}, {runs} replications · best overall at the top · lower scores are better",
            fontsize=18,
        )
        _save(fig, path)
    return path
