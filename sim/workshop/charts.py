"""Charts of the negotiation game: one game's history, and a tournament's table.

Drawn from a finished game's series and turns, or a tournament's saved
per-game table: plotting never simulates. Same conventions as :mod:`sim.plots.charts`
(large type, units on the axes, Okabe-Ito colours), with every turn marked so a
room can tie a move to what followed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sim.core.domain import SECTORS
from sim.plots.charts import _STYLE, BLUE, GREY, SECTOR_COLOURS, SECTOR_LABELS, VERMILLION, _date_axis, _save
from sim.plots.style import headroom_for_legend, value_axis
from sim.workshop.game import GameResult

#: Panels of the history chart: (title, y-axis label, series drawn).
_PANELS: list[tuple[str, str, list[str]]] = [
    ("China's licence backlog", "Applications pending", ["backlog"]),
    ("US plants halted for want of magnets", "Plants halted", [f"plants_halted_{s}" for s in SECTORS]),
    ("Magnet price index", "Index (pre-crisis = 100)", ["price_index"]),
    ("US GDP lost since April", "% of annual US GDP", ["gdp_loss"]),
    ("Tariffs", "Tariff (%)", ["us_tariff_on_china", "china_tariff_on_us"]),
    ("Pain of each side", "$bn a month at risk", ["us_pain", "china_pain"]),
]
_LABELS = {
    "us_tariff_on_china": "US on Chinese goods",
    "china_tariff_on_us": "China on US goods",
    "us_pain": "US",
    "china_pain": "China",
} | {f"plants_halted_{s}": SECTOR_LABELS[s] for s in SECTORS}
_COLOURS = {
    "backlog": BLUE,
    "price_index": BLUE,
    "gdp_loss": BLUE,
    "us_tariff_on_china": BLUE,
    "china_tariff_on_us": VERMILLION,
    "us_pain": BLUE,
    "china_pain": VERMILLION,
} | {f"plants_halted_{s}": SECTOR_COLOURS[s] for s in SECTORS}


def game_history_chart(
    result: GameResult,
    path: Path,
    title: str,
    changed: GameResult | None = None,
    key_dates: list[dict] | None = None,
) -> Path:
    """Six panels of the game's daily history, turns marked; ``changed`` is overlaid dashed.

    ``key_dates`` (from :func:`sim.experiments.run.key_dates`) before the game's start
    are marked too, so the history the teams inherit (Geneva, London) is visible.
    """
    history = [
        m for m in key_dates or [] if np.datetime64(m["date"]) < np.datetime64(result.dates[result.start_day])
    ]
    dates = np.array(result.dates, dtype="datetime64[D]")
    start = dates[result.start_day]
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(3, 2, figsize=(17, 14), sharex=True)
        for ax, (panel, ylabel, names) in zip(axes.flat, _PANELS, strict=True):
            for name in names:
                colour = _COLOURS[name]
                ax.plot(dates, result.series[name], color=colour, linewidth=2.4, label=_LABELS.get(name))
                if changed is not None:
                    ax.plot(dates, changed.series[name], color=colour, linewidth=2.4, linestyle=(0, (4, 2)))
            ax.axvspan(dates[0], start, color=GREY, alpha=0.12, linewidth=0)
            for mark in history:
                ax.axvline(np.datetime64(mark["date"]), color=GREY, linewidth=1.0, linestyle="--", zorder=1)
            for turn in result.turns:
                x = np.datetime64(turn.date)
                ax.axvline(x, color=GREY, linewidth=2.0 if turn.decision else 0.8, linestyle=":", zorder=1)
            ax.set_title(panel, loc="left")
            ax.set_ylabel(ylabel)
            ax.set_ylim(bottom=0)
            _date_axis(ax, label=ax in axes[-1])
            value_axis(ax, integer=names[0].startswith("plants_halted"))
            if len(names) > 1:  # in two columns above the data, which is pushed down to make room
                ax.legend(loc="upper left", ncol=2, frameon=False, fontsize=12)
        ax0 = axes.flat[0]
        low, high = ax0.get_ylim()
        ax0.set_ylim(low, max(high, ax0.dataLim.y1 / 0.8))  # the decision labels sit above the line
        strip = ax0.get_xaxis_transform()  # x: a date; y: a share of the axes' height
        ax0.text(
            dates[2],
            0.03,
            " before the game",
            color="#333333",
            fontsize=12,
            va="bottom",
            transform=strip,
        )
        groups: list[list[dict]] = []  # marks a few days apart share one label
        for mark in history:
            gap = np.datetime64(mark["date"]) - np.datetime64(groups[-1][0]["date"]) if groups else None
            if gap is not None and gap <= np.timedelta64(7, "D"):
                groups[-1].append(mark)
            else:
                groups.append([mark])
        for group in groups:
            mark = {"date": group[0]["date"], "label": " / ".join(m["label"] for m in group)}
            ax0.text(
                np.datetime64(mark["date"]),
                0.45,
                f"{mark['label']} ",
                rotation=90,
                fontsize=11,
                ha="right",
                va="center",
                color="#333333",
                transform=strip,
            )
        late = dates[0] + (dates[-1] - dates[0]) * 3 // 4  # a label after this reads leftwards
        decisions = [turn for turn in result.turns if turn.decision]
        for k, turn in enumerate(decisions):  # alternate rows: two deadlines close together never collide
            if turn.decision:
                x = np.datetime64(turn.date)
                ax0.text(
                    x,
                    0.97 - 0.08 * (k % 2),
                    f" {turn.decision.split(' (')[0]} " if x < late else f"{turn.decision.split(' (')[0]} ",
                    fontsize=12,
                    va="top",
                    ha="left" if x < late else "right",
                    transform=strip,
                )
        note = "dotted lines: turns (thick: talks or a deadline)"
        if changed is not None:
            note += "; solid: the game as played, dashed: with the changed move"
        fig.suptitle(f"{title}\n{note}", fontsize=19)
        fig.tight_layout()
        for ax in axes.flat:  # measured at the panels' final size: the data stays below the legend
            if ax.get_legend() is not None:
                headroom_for_legend(ax, ax.get_legend())
        _save(fig, path)
    return path


def tournament_chart(
    means: dict[str, np.ndarray], us_names: list[str], china_names: list[str], path: Path, title: str
) -> Path:
    """Two heat maps of mean outcome per pairing: US GDP loss and China's pain (lower is better)."""
    panels = [
        ("gdp_loss_year_end_pct", "US GDP lost by year-end", "% of annual US GDP"),
        ("china_pain_mean", "China's mean pain over the game", "$bn a month at risk"),
    ]
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(18, 8))
        for ax, (name, label, unit) in zip(axes, panels, strict=True):
            table = means[name]
            image = ax.imshow(table, cmap="viridis_r", aspect="auto")
            for i in range(table.shape[0]):
                for j in range(table.shape[1]):
                    shade = (table[i, j] - table.min()) / (np.ptp(table) or 1.0)
                    ax.text(
                        j,
                        i,
                        f"{table[i, j]:.2f}",
                        ha="center",
                        va="center",
                        fontsize=15,
                        color="white" if shade > 0.5 else "black",
                    )
            ax.set_xticks(range(len(china_names)), china_names)
            ax.set_yticks(range(len(us_names)), us_names)
            ax.set_xlabel("China's strategy")
            ax.set_ylabel("US strategy")
            ax.set_title(f"{label} ({unit})", loc="left", fontsize=16)
            fig.colorbar(image, ax=ax, shrink=0.8).set_label(unit)
        fig.suptitle(
            f"{title}\nmean over replications on common random numbers; lower is better for that side"
        )
        fig.tight_layout()
        _save(fig, path)
    return path
