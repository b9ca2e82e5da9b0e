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

from sim.domain import SECTORS
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

#: Negotiation and tariff series drawn after a run of a scenario with a US side.
US_SIDE_FANS: dict[str, str] = {
    "us_tariff_on_china": "US tariff on Chinese goods",
    "china_tariff_on_us": "China's tariff on US goods",
    "us_pain": "US pain index (idle output, prices, GDP lost)",
    "china_pain": "China's pain index (lost magnet exports, US tariff)",
}

#: Series drawn per sector (2 x 2 panels) after a run, with their titles.
DEFAULT_SECTOR_PANELS: dict[str, str] = {
    "stock": "Magnet stock at US plants, by sector",
    "plants_halted": "US plants halted for want of magnets, by sector",
}

SECTOR_LABELS: dict[str, str] = {
    "auto": "Auto",
    "electronics_industrial": "Electronics and industrial",
    "aerospace": "Aerospace",
    "defence": "Defence",
}
SECTOR_COLOURS: dict[str, str] = {
    "auto": BLUE,
    "electronics_industrial": GREEN,
    "aerospace": ORANGE,
    "defence": VERMILLION,
}

#: Series drawn by default after a run, with their titles.
DEFAULT_FANS: dict[str, str] = {
    "backlog": "Export-licence applications pending in China",
    "licences_in_force": "Export licences in force",
    "approvals": "Export licences approved per day",
}


def mark_key_dates(ax: plt.Axes, key_dates: list[dict], labels: bool = True, fontsize: int = 12) -> None:
    """Dashed vertical lines at the key dates, labelled along the top of the plot."""
    ymax = ax.get_ylim()[1]
    for i, mark in enumerate(key_dates):
        x = np.datetime64(mark["date"])
        ax.axvline(x, color=GREY, linestyle="--", linewidth=1.2, zorder=1)
        if not labels:
            continue
        label = mark["label"] + (" (approx.)" if mark.get("uncertain") else "")
        ax.text(
            x,
            ymax * (0.985 - 0.065 * (i % 4)),
            f" {label}",
            fontsize=fontsize,
            color="#333333",
            va="top",
            ha="left",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
        )


def _draw_fan(ax: plt.Axes, dates: np.ndarray, values: np.ndarray, colour: str, legend: bool) -> float:
    """Median, 50% and 90% bands of (replications x days) values; returns the top of the 90% band."""
    q05, q25, q50, q75, q95 = np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(
        dates, q05, q95, color=colour, alpha=0.18, label="90% of replications" if legend else None
    )
    ax.fill_between(
        dates, q25, q75, color=colour, alpha=0.38, label="50% of replications" if legend else None
    )
    ax.plot(dates, q50, color=colour, linewidth=2.6, label="median" if legend else None)
    return float(np.nanmax(q95)) if np.isfinite(q95).any() else 0.0


def _date_axis(ax: plt.Axes, label: bool = True) -> None:
    if label:
        ax.set_xlabel("Date (2025)")
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    ax.grid(axis="y", alpha=0.3)


def fan_chart(
    results: Results,
    series: str,
    path: Path,
    title: str | None = None,
    floor: float | None = 0.0,
) -> Path:
    """Median with 50% and 90% bands of a daily series over calendar dates."""
    values = results.series(series)
    measure = SERIES.get(series)
    scenario = results.manifest["scenario"]["name"]
    n = values.shape[0]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(13, 7), layout="constrained")
        top = _draw_fan(ax, results.dates, values, BLUE, legend=True)
        if floor is None:
            low = float(np.nanmin(np.nanquantile(values, 0.05, axis=0)))
            ax.set_ylim(bottom=low - 0.05 * (top - low), top=top + 0.3 * (top - low) + 1e-9)
        else:
            ax.set_ylim(bottom=floor, top=max(floor + 1.0, top * 1.25))
        mark_key_dates(ax, results.manifest.get("key_dates", []))
        ax.set_title(
            f"{title or series.replace('_', ' ').capitalize()}\nscenario: {scenario}, {n} replications"
        )
        ax.set_ylabel(_unit_label(measure.unit if measure else series))
        _date_axis(ax)
        decimals = 0 if top >= 10 else 1 if top >= 1 else 2
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter(f"{{x:,.{decimals}f}}"))
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.72), frameon=False)
        _save(fig, path)
    return path


def sector_fan_panels(results: Results, prefix: str, path: Path, title: str) -> Path:
    """One fan chart per US sector (``{prefix}_{sector}``), in a 2 x 2 grid with shared dates."""
    scenario = results.manifest["scenario"]["name"]
    key_dates = results.manifest.get("key_dates", [])
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(2, 2, figsize=(15, 10), layout="constrained", sharex=True)
        n = 0
        for i, (ax, sector) in enumerate(zip(axes.flat, SECTORS, strict=True)):
            name = f"{prefix}_{sector}"
            values = results.series(name)
            n = values.shape[0]
            top = _draw_fan(ax, results.dates, values, SECTOR_COLOURS[sector], legend=i == 0)
            ax.set_ylim(bottom=0, top=max(1.0, top) * 1.3)
            mark_key_dates(ax, key_dates, labels=i == 0, fontsize=10)
            ax.set_title(SECTOR_LABELS[sector], fontsize=17)
            measure = SERIES.get(name)
            if i % 2 == 0:
                ax.set_ylabel(_unit_label(measure.unit if measure else name))
            _date_axis(ax, label=i >= 2)
            ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
            if i == 0:
                ax.legend(loc="lower left", frameon=True, framealpha=0.9, fontsize=11)
        fig.suptitle(f"{title}\nscenario: {scenario}, {n} replications", fontsize=19)
        _save(fig, path)
    return path


def negotiation_state_shares(results: Results, path: Path) -> Path:
    """Share of replications in each negotiation state, day by day, as stacked areas."""
    from sim.domain import DEADLINE_OUTCOMES

    codes = results.series("negotiation_state")
    names = ["truce (before the deadline)", *(n.replace("_", "-") for n in DEADLINE_OUTCOMES)]
    colours = ["#CCCCCC", GREEN, BLUE, ORANGE, VERMILLION]
    shares = [100.0 * (codes == k).mean(axis=0) for k in range(len(names))]
    scenario = results.manifest["scenario"]["name"]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(13, 7), layout="constrained")
        ax.stackplot(results.dates, shares, labels=names, colors=colours, alpha=0.85)
        ax.set_ylim(0, 100)
        mark_key_dates(ax, results.manifest.get("key_dates", []))
        ax.set_title(
            f"Where the negotiation stands: latest deadline outcome\n"
            f"scenario: {scenario}, {codes.shape[0]} replications"
        )
        ax.set_ylabel("% of replications")
        _date_axis(ax)
        ax.legend(loc="lower left", frameon=True, framealpha=0.9)
        _save(fig, path)
    return path


def _unit_label(unit: str) -> str:
    return unit[:1].upper() + unit[1:]


def _save(fig: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_default_plots(results: Results) -> list[Path]:
    """The figures written after every run."""
    folder = results.folder / "plots"
    paths = [
        fan_chart(results, name, folder / f"{name}_fan.png", title) for name, title in DEFAULT_FANS.items()
    ]
    if "price_index" not in results.series_names():  # the licence review alone
        return paths
    for prefix, title in DEFAULT_SECTOR_PANELS.items():
        paths.append(sector_fan_panels(results, prefix, folder / f"{prefix}_by_sector.png", title))
    paths.append(
        fan_chart(
            results, "price_index", folder / "price_index_fan.png", "Rare-earth magnet price index", None
        )
    )
    paths.append(
        fan_chart(
            results,
            "gdp_loss",
            folder / "gdp_loss_fan.png",
            "US GDP lost to plant halts and tariffs, cumulative",
        )
    )

    for name, title in US_SIDE_FANS.items():
        paths.append(fan_chart(results, name, folder / f"{name}_fan.png", title))
    paths.append(negotiation_state_shares(results, folder / "negotiation_state.png"))
    return paths
