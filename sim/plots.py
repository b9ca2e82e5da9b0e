"""Figures drawn from a saved results folder (plotting never simulates).

Every figure is for a room: large type, a title that says what and for which
scenario, units on the axes, the key dates of the standoff marked, and a
colour-blind-safe palette (Okabe-Ito).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from sim.outcomes import SERIES
from sim.results import Results

#: Okabe-Ito colours, safe for the common forms of colour blindness.
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#555555",
)

_STYLE = {
    "font.size": 15,
    "axes.titlesize": 19,
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

#: Series drawn by default after a run, with their titles.
DEFAULT_FANS: dict[str, str] = {
    "backlog": "Export-licence applications pending in China",
    "licences_in_force": "Export licences in force",
    "approvals": "Export licences approved per day",
}


def mark_key_dates(ax: plt.Axes, key_dates: list[dict]) -> None:
    """Dashed vertical lines at the key dates, labelled along the top of the plot."""
    ymax = ax.get_ylim()[1]
    for i, mark in enumerate(key_dates):
        x = np.datetime64(mark["date"])
        ax.axvline(x, color=GREY, linestyle="--", linewidth=1.2, zorder=1)
        label = mark["label"] + (" (approx.)" if mark.get("uncertain") else "")
        ax.text(
            x,
            ymax * (0.985 - 0.065 * (i % 4)),
            f" {label}",
            fontsize=12,
            color="#333333",
            va="top",
            ha="left",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
        )


def fan_chart(results: Results, series: str, path: Path, title: str | None = None) -> Path:
    """Median with 50% and 90% bands of a daily series over calendar dates."""
    values = results.series(series)
    dates = results.dates
    q05, q25, q50, q75, q95 = np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    measure = SERIES.get(series)
    scenario = results.manifest["scenario"]["name"]
    n = values.shape[0]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(13, 7), layout="constrained")
        ax.fill_between(dates, q05, q95, color=BLUE, alpha=0.18, label="90% of replications")
        ax.fill_between(dates, q25, q75, color=BLUE, alpha=0.38, label="50% of replications")
        ax.plot(dates, q50, color=BLUE, linewidth=2.6, label="median")
        ax.set_ylim(bottom=0, top=max(1.0, float(np.nanmax(q95))) * 1.25)
        mark_key_dates(ax, results.manifest.get("key_dates", []))
        ax.set_title(
            f"{title or series.replace('_', ' ').capitalize()}\nscenario: {scenario}, {n} replications"
        )
        ax.set_ylabel((measure.unit if measure else series).capitalize())
        ax.set_xlabel("Date (2025)")
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.72), frameon=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return path


def draw_default_plots(results: Results) -> list[Path]:
    """The figures written after every run."""
    folder = results.folder / "plots"
    return [
        fan_chart(results, name, folder / f"{name}_fan.png", title) for name, title in DEFAULT_FANS.items()
    ]
