"""Figures drawn from a saved results folder (plotting never simulates).

Every figure is for a room: large type, a title that says what and for which
scenario, units on the axes, the key dates of the standoff marked, and a
colour-blind-safe palette (Okabe-Ito).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # files only, never a window; a notebook keeps its inline backend
    matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from sim.core.domain import SECTORS
from sim.plots.parallel import FigureJob, draw_figures
from sim.plots.render import subplots, write_figure
from sim.plots.style import (
    BLUE,
    GREY,
    ORANGE,
    PURPLE,
    SECTOR_COLOURS,
    SECTOR_LABELS,
    TRUCE_COLOUR,
    TRUCE_LABEL,
    VERMILLION,
    MonthTicks,
    fit_titles,
    in_words,
    outcome_colour,
    outcome_label,
    scenario_colour,
    value_axis,
)
from sim.plots.style import RC as _STYLE
from sim.plots.style import cycle as _cycle
from sim.results.catalogue import OUTCOMES, SERIES
from sim.results.folder import Results, ResultsError

__all__ = ["BLUE", "GREY", "ORANGE", "PURPLE", "SECTOR_COLOURS", "SECTOR_LABELS", "VERMILLION"]

#: Units that count whole things: their axes tick on whole numbers.
COUNT_UNITS = frozenset({"plants", "applications", "licences", "extensions", "reviewers", "replications"})

#: Negotiation and tariff series drawn after a run of a scenario with a US side.
US_SIDE_FANS: dict[str, str] = {
    "us_tariff_on_china": "US tariff on Chinese goods",
    "china_tariff_on_us": "China's tariff on US goods",
    "us_pain": "US pain, $bn a month at risk (idle output, magnet prices, exports, own tariff)",
    "china_pain": "China's pain, $bn a month at risk (exports, US tech controls, magnets)",
}

#: Series drawn per sector (2 x 2 panels) after a run, with their titles.
DEFAULT_SECTOR_PANELS: dict[str, str] = {
    "stock": "Magnet stock at US plants, by sector",
    "plants_halted": "US plants halted for want of magnets, by sector",
    "output_share": "Output of US plants, % of full capacity, by sector (slowed and halted plants)",
}

#: Series drawn by default after a run, with their titles.
DEFAULT_FANS: dict[str, str] = {
    "backlog": "Export-licence applications pending in China",
    "licences_in_force": "Export licences in force",
    "approvals": "Export licences approved per day",
}


#: Key-date labels are stacked in this many rows along the top of a chart, this far apart (axes share).
KEY_DATE_ROWS, KEY_DATE_ROW_STEP = 4, 0.065


def mark_key_dates(
    ax: plt.Axes, key_dates: list[dict], labels: bool = True, fontsize: int = 12, headroom: bool = True
) -> None:
    """Dashed vertical lines at the key dates, labelled along the top of the plot.

    The labels sit in a band at the top of the axes (placed in axes units, whatever the
    y-range); with ``headroom`` the y-axis is raised so the data stays below that band and
    no label hides a line (a stacked-share chart, filled to its top, passes False).
    """
    rows = min(KEY_DATE_ROWS, len(key_dates))
    if labels and headroom and rows:
        band_bottom = 0.985 - KEY_DATE_ROW_STEP * (rows - 1) - 0.06  # below the lowest label
        low, high = ax.get_ylim()
        data_top = ax.dataLim.y1
        if np.isfinite(data_top) and data_top > low:
            ax.set_ylim(low, max(high, low + (data_top - low) / band_bottom))
    for i, mark in enumerate(key_dates):
        x = np.datetime64(mark["date"])
        ax.axvline(x, color=GREY, linestyle="--", linewidth=1.2, zorder=1)
        if not labels:
            continue
        label = mark["label"] + (" (approx.)" if mark.get("uncertain") else "")
        ax.text(
            x,
            0.985 - KEY_DATE_ROW_STEP * (i % KEY_DATE_ROWS),
            f" {label}",
            transform=ax.get_xaxis_transform(),  # x: a date; y: a share of the axes' height
            fontsize=fontsize,
            color="#333333",
            va="top",
            ha="left",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
        )


#: Daily quantiles a fan chart draws: the 90% band, the 50% band, the median.
FAN_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


def _draw_fan(ax: plt.Axes, dates: np.ndarray, quantiles: np.ndarray, colour: str, legend: bool) -> float:
    """Median, 50% and 90% bands (daily quantiles at FAN_LEVELS); returns the top of the 90% band."""
    q05, q25, q50, q75, q95 = quantiles
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
    ax.xaxis.set_major_locator(MonthTicks())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    ax.grid(axis="y", alpha=0.3)


def fan_chart(
    results: Results,
    series: str,
    path: Path | None,
    title: str | None = None,
    floor: float | None = 0.0,
    sample_paths: int = 0,
) -> Path | None:
    """Median with 50% and 90% bands of a daily series over calendar dates.

    ``sample_paths`` > 0 also draws that many single replications (the first
    ones) as thin lines: a "spaghetti" view of what individual paths look like.
    """
    quantiles = results.series_quantiles(series, FAN_LEVELS)
    values = results.series(series) if sample_paths else None  # single paths need `--series all`
    measure = SERIES.get(series)
    scenario = results.manifest["scenario"]["name"]
    n = results.series_replications()
    with plt.rc_context(_STYLE):
        fig, ax = subplots((13, 7), reuse=_reuse(path))
        top = _draw_fan(ax, results.dates, quantiles, BLUE, legend=True)
        for k in range(min(sample_paths, n) if values is not None else 0):
            reps = results.outcomes.get("rep")
            label = f"replication {int(reps[k])}" if reps is not None else None
            ax.plot(
                results.dates, values[k], color=_cycle(k + 2)[k + 1], linewidth=1.3, alpha=0.9, label=label
            )
            top = max(top, float(np.nanmax(values[k])))
        if floor is None:
            low = float(np.nanmin(quantiles[0]))
            ax.set_ylim(bottom=low - 0.05 * (top - low), top=top + 0.3 * (top - low) + 1e-9)
        else:
            ax.set_ylim(bottom=floor, top=max(floor + 1.0, top * 1.25))
        mark_key_dates(ax, results.manifest.get("key_dates", []))
        ax.set_title(
            f"{title or _sentence(measure.description if measure else series.replace('_', ' '))}\n"
            f"scenario: {scenario}, {n} replications"
        )
        ax.set_ylabel(_unit_label(measure.unit if measure else series))
        _date_axis(ax)
        value_axis(ax, integer=(measure.unit if measure else "") in COUNT_UNITS)
        _legend_below(fig, ax)
        _save(fig, path)
    return path


#: days of the trailing mean that the shipments fan smooths departures over (lots leave in lumps)
SHIPMENTS_SMOOTHING_DAYS = 7


def shipments_fan(results: Results, path: Path | None) -> Path | None:
    """China-to-US departures as a % of each replication's normal flow, 7-day trailing mean.

    Needs single replications (``--series all`` or ``csv``) to divide each by its own
    normal flow; a run that kept only daily quantiles gets them in tonnes a day, with
    the median normal flow as a line.
    """
    scenario = results.manifest["scenario"]["name"]
    normal = np.asarray(results.outcomes.get("china_us_normal_flow", []), dtype=float)
    share = results.series_kept in ("all", "csv")
    if share:
        paths = results.series("china_us_departures")
        share = paths.shape[0] == normal.size and bool((normal > 0).all())
    with plt.rc_context(_STYLE):
        fig, ax = subplots((13, 7), reuse=_reuse(path))
        if share:
            w = SHIPMENTS_SMOOTHING_DAYS
            csum = np.cumsum(paths, axis=1)
            mean = csum.copy()
            mean[:, w:] = csum[:, w:] - csum[:, :-w]
            mean /= np.minimum(np.arange(1, paths.shape[1] + 1), w)
            quantiles = np.quantile(100.0 * mean / normal[:, None], FAN_LEVELS, axis=0)
            level, unit = 100.0, f"% of the normal flow ({w}-day mean of departures)"
            what = f"as a % of normal, {w}-day mean"
        else:
            quantiles = results.series_quantiles("china_us_departures", FAN_LEVELS)
            level = float(np.median(normal)) if normal.size else float("nan")
            unit, what = "tonnes/day", "tonnes a day"
        top = _draw_fan(ax, results.dates, quantiles, BLUE, legend=True)
        if np.isfinite(level):
            ax.axhline(level, color="#333333", linewidth=1.5, linestyle=":", label="normal flow", zorder=2)
            top = max(top, level)
        ax.set_ylim(bottom=0, top=top * 1.3)
        mark_key_dates(ax, results.manifest.get("key_dates", []))
        ax.set_title(
            f"Magnet shipments leaving China for the US (departures), {what}\n"
            f"scenario: {scenario}, {results.series_replications()} replications"
        )
        ax.set_ylabel(unit)
        _date_axis(ax)
        value_axis(ax)
        _legend_below(fig, ax)
        _save(fig, path)
    return path


def sector_fan_panels(results: Results, prefix: str, path: Path | None, title: str) -> Path | None:
    """One fan chart per US sector (``{prefix}_{sector}``), in a 2 x 2 grid with shared dates."""
    scenario = results.manifest["scenario"]["name"]
    key_dates = results.manifest.get("key_dates", [])
    with plt.rc_context(_STYLE):
        fig, axes = subplots((15, 10), 2, 2, reuse=_reuse(path), sharex=True)
        n = 0
        for i, (ax, sector) in enumerate(zip(axes.flat, SECTORS, strict=True)):
            name = f"{prefix}_{sector}"
            n = results.series_replications()
            top = _draw_fan(
                ax, results.dates, results.series_quantiles(name, FAN_LEVELS), SECTOR_COLOURS[sector], i == 0
            )
            ax.set_ylim(bottom=0, top=max(1.0, top) * 1.3)
            mark_key_dates(ax, key_dates, labels=i == 0, fontsize=10)
            ax.set_title(SECTOR_LABELS[sector], fontsize=17)
            measure = SERIES.get(name)
            if i % 2 == 0:
                ax.set_ylabel(_unit_label(measure.unit if measure else name))
            _date_axis(ax, label=i >= 2)
            value_axis(ax, integer=(measure.unit if measure else "") in COUNT_UNITS)
        _legend_below(fig, axes.flat[0])
        fig.suptitle(f"{title}\nscenario: {scenario}, {n} replications", fontsize=19)
        _save(fig, path)
    return path


def negotiation_state_shares(results: Results, path: Path | None) -> Path | None:
    """Share of replications in each negotiation state, day by day, as stacked areas."""
    from sim.core.domain import DEADLINE_OUTCOMES

    names = [TRUCE_LABEL, *(outcome_label(n) for n in DEADLINE_OUTCOMES)]
    colours = [TRUCE_COLOUR, *(outcome_colour(n) for n in DEADLINE_OUTCOMES)]
    shares = list(100.0 * results.series_shares("negotiation_state", len(names)))
    scenario = results.manifest["scenario"]["name"]
    with plt.rc_context(_STYLE):
        fig, ax = subplots((13, 7), reuse=_reuse(path))
        ax.stackplot(results.dates, shares, labels=names, colors=colours, alpha=0.85)
        ax.set_ylim(0, 100)
        mark_key_dates(ax, results.manifest.get("key_dates", []), headroom=False)  # filled to the top
        ax.set_title(
            f"Where the negotiation stands: latest deadline outcome\n"
            f"scenario: {scenario}, {results.series_replications()} replications"
        )
        ax.set_ylabel("% of replications")
        _date_axis(ax)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside: every area is data
        _save(fig, path)
    return path


def _outcome_numbers(results: Results, name: str) -> tuple[np.ndarray, bool]:
    """An outcome's values as floats (dates as matplotlib date numbers) and whether it is a date."""
    if name not in results.outcomes:
        available = ", ".join(n for n in results.outcomes if n != "rep")
        raise ResultsError(f"{results.folder}: no outcome {name!r} (available: {available})")
    values = results.outcomes[name]
    if values.dtype.kind == "M":
        ok = values[~np.isnat(values)]
        return mdates.date2num(ok.astype("datetime64[D]").astype("O")), True
    return values[~np.isnan(values)].astype(float), False


def outcome_histogram(results: Results, name: str, path: Path | None) -> Path | None:
    """Histogram of one scalar outcome across replications, median marked."""
    values, is_date = _outcome_numbers(results, name)
    measure = OUTCOMES.get(name)
    scenario = results.manifest["scenario"]["name"]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(12, 7), layout="constrained")
        if values.size:
            ax.hist(values, bins=min(40, max(8, values.size // 8)), color=BLUE, alpha=0.8, edgecolor="white")
            median = float(np.median(values))
            ax.axvline(median, color=VERMILLION, linewidth=2.5, label="median")
            ax.legend(frameon=False)
        if is_date:
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.set_title(
            f"{_sentence(measure.description if measure else name)}\n"
            f"scenario: {scenario}, {values.size} replications"
        )
        ax.set_xlabel(_unit_label(measure.unit) if measure and not is_date else "Date (2025)")
        ax.set_ylabel("Replications")
        value_axis(ax, integer=True)
        if not is_date:  # thousands separated, decimals from the tick step, as on every value axis
            value_axis(ax, integer=bool(measure and measure.unit in COUNT_UNITS), axis="x")
        ax.grid(axis="y", alpha=0.3)
        _save(fig, path)
    return path


def outcome_violins(
    results: dict[str, Results], name: str, path: Path | None, per: str = "scenario"
) -> Path | None:
    """One outcome, scenarios side by side: violins with the median and 90% interval marked.

    ``per="branch"``: the branches of a fork, each in its deadline outcome's colour (as in the fans).
    """
    measure = OUTCOMES.get(name)
    data, labels = [], []
    is_date = False
    for scenario, r in results.items():
        values, is_date = _outcome_numbers(r, name)
        data.append(values if values.size else np.array([np.nan]))
        labels.append(_wrap_name(scenario))
    colours = [
        outcome_colour(s) if per == "branch" and outcome_colour(s) != GREY else scenario_colour(s)
        for s in results
    ]
    if per == "branch":
        labels = [outcome_label(s) for s in results]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(max(13, 2.6 * len(data)), 7.5), layout="constrained")
        positions = np.arange(1, len(data) + 1)
        spread = [d for d in data if np.ptp(d[~np.isnan(d)]) > 0] if data else []
        if spread:
            parts = ax.violinplot(data, positions=positions, showextrema=False, widths=0.8)
            for body, colour in zip(parts["bodies"], colours, strict=True):
                body.set_facecolor(colour)
                body.set_alpha(0.45)
        for x, values, colour in zip(positions, data, colours, strict=True):
            q05, q50, q95 = np.nanquantile(values, [0.05, 0.5, 0.95])
            ax.vlines(x, q05, q95, color=colour, linewidth=4)
            ax.scatter([x], [q50], color="white", edgecolor=colour, s=110, zorder=3, linewidths=2.5)
        ax.set_xticks(positions, labels)
        if is_date:
            ax.yaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        else:
            value_axis(ax, integer=bool(measure and measure.unit in COUNT_UNITS))
        ax.set_ylabel(
            _unit_label(measure.unit) if measure and not is_date else ("Date (2025)" if is_date else name)
        )
        n = min(d.size for d in data)
        ax.set_title(
            f"{_sentence(measure.description if measure else name)}\n"
            f"median (dot) and 90% interval (bar), {n} replications per {per}"
        )
        ax.grid(axis="y", alpha=0.3)
        _save(fig, path)
    return path


def _deadline_words(results: dict[str, Results]) -> str:
    """Words such as "10 August 2025 truce deadline", from the runs' key dates (or just "truce deadline")."""
    dates = set()
    for r in results.values():
        marks = [m for m in r.manifest.get("key_dates", []) if m.get("truce_deadline")]
        dates.add(marks[0]["date"] if marks and not marks[0].get("uncertain") else None)
    if len(dates) != 1 or None in dates:
        return "truce deadline"
    day = dt.date.fromisoformat(dates.pop())
    return f"{day.day} {day:%B %Y} truce deadline"


def deadline_outcome_bars(results: dict[str, Results], path: Path | None) -> Path | None:
    """Stacked bars: share of replications ending the truce deadline each way, per scenario."""
    from sim.core.domain import DEADLINE_OUTCOMES

    colours = [outcome_colour(o) for o in DEADLINE_OUTCOMES]
    names = list(results)
    shares = np.zeros((len(DEADLINE_OUTCOMES), len(names)))
    for j, name in enumerate(names):
        for i, outcome in enumerate(DEADLINE_OUTCOMES):
            values = results[name].outcomes.get(f"deadline_{outcome}")
            if values is not None and values.size:
                shares[i, j] = 100.0 * np.nanmean(values)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(max(13, 2.4 * len(names)), 7.5), layout="constrained")
        bottom = np.zeros(len(names))
        x = np.arange(len(names))
        for i, outcome in enumerate(DEADLINE_OUTCOMES):
            ax.bar(x, shares[i], bottom=bottom, color=colours[i], label=outcome_label(outcome), width=0.65)
            for j in range(len(names)):
                if shares[i, j] >= 6:
                    ax.text(
                        x[j],
                        bottom[j] + shares[i, j] / 2,
                        f"{shares[i, j]:.0f}%",
                        ha="center",
                        va="center",
                        color="white",
                        fontsize=13,
                        fontweight="bold",
                    )
            bottom += shares[i]
        ax.set_xticks(x, [_wrap_name(n) for n in names])
        ax.set_ylim(0, 100)
        ax.set_ylabel("% of replications")
        n = min(len(r.outcomes["rep"]) for r in results.values())
        ax.set_title(f"How the {_deadline_words(results)} ends, by scenario\n{n} replications each")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        _save(fig, path)
    return path


def tornado(result, path: Path | None, scenario: str, top: int = 15) -> Path | None:
    """Horizontal bars of sensitivity indices, most influential at the top, with 95% intervals."""
    order = result.ranked()[:top]
    names = [result.names[i] for i in order][::-1]
    index = result.index[order][::-1]
    conf = result.conf[order][::-1]
    measure = OUTCOMES.get(result.outcome)
    label = (
        "mu* (mean absolute elementary effect)" if result.method == "morris" else "total-order Sobol index"
    )
    unit = f", {measure.unit}" if measure and result.method == "morris" else ""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(14, max(6, 0.55 * len(names) + 2)), layout="constrained")
        ax.barh(np.arange(len(names)), index, xerr=conf, color=BLUE, alpha=0.85, capsize=4, ecolor=GREY)
        ax.set_yticks(np.arange(len(names)), names, fontsize=12)
        ax.set_xlabel(label + unit)
        ax.set_xlim(left=0)
        ax.grid(axis="x", alpha=0.3)
        fig.suptitle(
            f"What drives: {in_words(measure.description) if measure else result.outcome}?\n"
            f"scenario: {scenario} · {result.method}, {len(result.values)} model runs · lines: 95% intervals",
            fontsize=18,
        )
        _save(fig, path)
    return path


def sweep_panels(
    table: Path, varied: list[str], outcome: str, path: Path | None, scenario: str
) -> Path | None:
    """An outcome against each varied parameter: every replication as a dot, the median as a line."""
    import csv

    with table.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or outcome not in rows[0]:
        raise ResultsError(f"{table}: no outcome {outcome!r}")
    measure = OUTCOMES.get(outcome)
    is_date = measure is not None and measure.kind == "date"

    def value(cell: str) -> float:
        if not cell:
            return np.nan
        if is_date:
            return float(mdates.date2num(np.datetime64(cell).astype("O")))
        return float(cell)

    y = np.array([value(r[outcome]) for r in rows])
    n_panels = len(varied)
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(
            1, n_panels, figsize=(7 * n_panels + 1, 7), layout="constrained", squeeze=False
        )
        for ax, name in zip(axes[0], varied, strict=True):
            x = np.array([float(r[name]) for r in rows])
            ax.scatter(x, y, s=14, color=GREY, alpha=0.45, label="one replication")
            levels = np.unique(x)
            if levels.size > 12:  # a Latin hypercube: medians within ten bins of the parameter
                edges = np.quantile(x, np.linspace(0, 1, 11))
                idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, 9)
                centres = np.array([x[idx == b].mean() for b in range(10)])
                medians = np.array([np.nanmedian(y[idx == b]) for b in range(10)])
            else:
                centres = levels
                medians = np.array([np.nanmedian(y[x == v]) for v in levels])
            ax.plot(centres, medians, color=BLUE, linewidth=3, marker="o", label="median")
            ax.set_xlabel(name, fontsize=13)
            if is_date:
                ax.yaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
            else:
                value_axis(ax, integer=bool(measure and measure.unit in COUNT_UNITS))
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("Date (2025)" if is_date else _unit_label(measure.unit) if measure else outcome)
        _legend_below(fig, axes[0][0])
        fig.suptitle(
            f"{_sentence(measure.description) if measure else outcome}, against the varied parameters\n"
            f"sweep of scenario {scenario}, {len(rows)} runs",
            fontsize=18,
        )
        _save(fig, path)
    return path


def _sentence(text: str) -> str:
    """First letter upper case, the rest as written (keeps "US" and "GDP").

    The catalogue's "CUMULATIVE: " and "LEVEL: " tags are for readers of code; a title says it
    in words (the axis label ends ", cumulative").
    """
    text = in_words(text)
    return text[:1].upper() + text[1:]


def _legend_below(fig: plt.Figure, ax: plt.Axes) -> None:
    """The legend of ``ax`` in one row below the figure: outside the data, never over a band."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)


def _wrap_name(name: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(name.replace("_", " "), 14))


def _unit_label(unit: str) -> str:
    return unit[:1].upper() + unit[1:]


#: Figures kept open by :func:`kept_figures` instead of being written and closed.
_kept: list[plt.Figure] | None = None


@contextmanager
def kept_figures() -> Iterator[list[plt.Figure]]:
    """Within this block, charts hand their figures back (in the list yielded) instead of closing them.

    A chart given ``path=None`` then writes no file: how the Python API's ``.plot()`` returns a
    matplotlib Figure from the same drawing code as ``tradesim plot``.
    """
    global _kept
    outer, _kept = _kept, []
    try:
        yield _kept
    finally:
        _kept = outer


def _reuse(path: Path | None) -> bool:
    """Whether a chart may draw on a figure drawn before (:func:`sim.plots.render.subplots`): it is
    written to a file and closed, never handed back."""
    return path is not None and _kept is None


def _processes(workers: int) -> int:
    """Processes to draw on: one inside :func:`kept_figures`, whose figures must come back here."""
    return 1 if _kept is not None else workers


def _save(fig: plt.Figure, path: Path | None) -> None:
    """Write the figure (PNG or SVG, by the file's suffix), or keep it open (see :func:`kept_figures`)."""
    fit_titles(fig)  # a long title wraps rather than running off the figure
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_figure(fig, path)
    if _kept is not None:
        _kept.append(fig)  # closed below all the same: it leaves pyplot, the Figure itself still draws
    plt.close(fig)


def draw_default_plots(results: Results, fmt: str = "png", workers: int = 1) -> list[Path]:
    """The figures written after every run (``fmt``: png or svg), on up to ``workers`` processes."""
    return draw_figures(default_plot_jobs(results, fmt), _processes(workers))  # type: ignore[return-value]


def default_plot_jobs(results: Results, fmt: str = "png") -> list[FigureJob]:
    """The figures written after every run, each as a job to draw (:mod:`sim.plots.parallel`)."""
    folder = results.folder / "plots"
    if not results.series_names():  # a run with `--series none`: outcomes only, nothing over time
        return []
    jobs = [
        FigureJob(partial(fan_chart, results, name, folder / f"{name}_fan.{fmt}", title))
        for name, title in DEFAULT_FANS.items()
    ]
    if "price_index" not in results.series_names():  # the licence review alone
        return jobs
    if "china_us_departures" in results.series_names():
        jobs.append(FigureJob(partial(shipments_fan, results, folder / f"china_us_shipments_fan.{fmt}"), 1.5))
    for prefix, title in DEFAULT_SECTOR_PANELS.items():
        path = folder / f"{prefix}_by_sector.{fmt}"
        jobs.append(FigureJob(partial(sector_fan_panels, results, prefix, path, title), 3.0))  # four panels
    jobs.append(
        FigureJob(
            partial(
                fan_chart,
                results,
                "price_index",
                folder / f"price_index_fan.{fmt}",
                "Rare-earth magnet price index",
                None,
            )
        )
    )
    jobs.append(
        FigureJob(
            partial(
                fan_chart,
                results,
                "gdp_loss",
                folder / f"gdp_loss_fan.{fmt}",
                "US GDP lost to plant halts and tariffs, cumulative",
            )
        )
    )
    for name, title in US_SIDE_FANS.items():
        jobs.append(FigureJob(partial(fan_chart, results, name, folder / f"{name}_fan.{fmt}", title)))
    jobs.append(FigureJob(partial(negotiation_state_shares, results, folder / f"negotiation_state.{fmt}")))
    return jobs


#: Outcomes drawn side by side after a comparison.
COMPARISON_OUTCOMES = (
    "gdp_loss_year_end_pct",
    "gdp_loss_q3_pct",
    "halted_plant_days_auto",
    "price_rise_peak_pct",
    "backlog_at_deadline",
)


def draw_comparison_plots(
    results: dict[str, Results], folder: Path, fmt: str = "png", workers: int = 1
) -> list[Path]:
    """The figures written after a comparison: deadline outcome shares, key outcomes side by side."""
    folder = folder / "plots"
    jobs = []
    first = next(iter(results.values()))
    if "deadline_deal" in first.outcomes:
        jobs.append(FigureJob(partial(deadline_outcome_bars, results, folder / f"deadline_outcomes.{fmt}")))
    for name in COMPARISON_OUTCOMES:
        if not all(name in r.outcomes for r in results.values()):
            continue
        if _identical_in_every_scenario(results, name):
            continue  # the same in every scenario, replication by replication: nothing to compare
        jobs.append(FigureJob(partial(outcome_violins, results, name, folder / f"{name}_by_scenario.{fmt}")))
    return draw_figures(jobs, _processes(workers))  # type: ignore[return-value]


def _identical_in_every_scenario(results: dict[str, Results], name: str) -> bool:
    """True when an outcome is the same in every scenario, replication by replication."""
    first, *others = (np.asarray(r.outcomes[name]) for r in results.values())
    return all(c.shape == first.shape and np.array_equal(c, first, equal_nan=True) for c in others)


#: Series drawn after forking, with their panel titles.
BRANCH_SERIES: dict[str, str] = {
    "gdp_loss": "US GDP lost, cumulative",
    "price_index": "Magnet price index",
    "plants_halted_auto": "Auto plants halted",
    "us_tariff_on_china": "US tariff on Chinese goods",
}


def branch_fans(branches, path: Path | None, series: tuple[str, ...] | None = None) -> Path | None:
    """One shared history, then one fan per branch from the fork on (median and middle 50%).

    The history before the fork is the same in every branch, so it is drawn once,
    in grey, from the first branch; each branch's colour starts at the fork.
    """
    first = next(iter(branches.results.values()))
    available = first.series_names()
    names = [s for s in (series or tuple(BRANCH_SERIES)) if s in available]
    if not names:
        names = [s for s in ("backlog", "licences_in_force") if s in available]
    dates = first.dates
    fork = np.datetime64(str(np.sort(branches.fork_dates)[len(branches.fork_dates) // 2]), "D")
    before = dates <= fork
    others = iter(_cycle(len(branches.results) + 4)[4:])
    colours = {b: outcome_colour(b) if outcome_colour(b) != GREY else next(others) for b in branches.results}
    point = branches.manifest["fork_point"]
    with plt.rc_context(_STYLE):
        cols = 2 if len(names) > 1 else 1
        rows = (len(names) + cols - 1) // cols
        fig, axes = plt.subplots(
            rows, cols, figsize=(16, 5.2 * rows + 1), layout="constrained", squeeze=False
        )
        for ax, name in zip(axes.flat, names, strict=False):
            history = first.series(name)
            q25, q50, q75 = np.nanquantile(history, [0.25, 0.5, 0.75], axis=0)
            ax.fill_between(dates[before], q25[before], q75[before], color=GREY, alpha=0.3)
            ax.plot(dates[before], q50[before], color="#333333", linewidth=2.6, label="shared history")
            for branch, r in branches.results.items():
                values = r.series(name)
                q25, q50, q75 = np.nanquantile(values, [0.25, 0.5, 0.75], axis=0)
                after = ~before | (dates == fork)
                ax.fill_between(dates[after], q25[after], q75[after], color=colours[branch], alpha=0.2)
                label = outcome_label(branch)
                # escalation often retraces snap-back (same tariffs): dashed, the line beneath shows through
                style = "--" if branch == "escalation" else "-"
                colour = colours[branch]
                ax.plot(dates[after], q50[after], color=colour, linewidth=2.4, linestyle=style, label=label)
            ax.axvline(fork, color="#333333", linestyle="--", linewidth=1.4)
            measure = SERIES.get(name)
            ax.set_title(BRANCH_SERIES.get(name) or _sentence(measure.description if measure else name))
            ax.set_ylabel(_unit_label(measure.unit if measure else name))
            _date_axis(ax)
            value_axis(ax, integer=(measure.unit if measure else "") in COUNT_UNITS)
        for ax in list(axes.flat)[len(names) :]:
            ax.axis("off")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
        n = branches.reps.size
        fig.suptitle(
            f"One history, forked at {point['label']}: branches split on {fork}\n"
            f"scenario: {branches.manifest['base_scenario']}, {n} replications, "
            "each continued once per branch; median and middle 50%"
        )
        _save(fig, path)
    return path


def variance_strips(y: np.ndarray, split, path: Path | None, scenario: str) -> Path | None:
    """Each parameter set's replications as a column of dots, sets ordered by their mean.

    The spread between columns is what the parameters do; the spread within a
    column is chance. The title gives the split and which dominates.
    """
    y = np.asarray(y, dtype=float)
    y = y[~np.isnan(y).any(axis=1)]
    order = np.argsort(y.mean(axis=1), kind="stable")
    measure = OUTCOMES.get(split.outcome)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(13, 7), layout="constrained")
        x = np.arange(1, y.shape[0] + 1)
        for rank, i in enumerate(order):
            ax.scatter(np.full(y.shape[1], x[rank]), y[i], s=45, color=BLUE, alpha=0.6, linewidths=0)
        ax.plot(
            x,
            y[order].mean(axis=1),
            color=VERMILLION,
            linestyle="none",
            marker="_",
            markersize=28,
            markeredgewidth=3,
            label="mean of the parameter set",
        )
        share = 100 * split.parameter_share
        ax.set_title(
            f"{_sentence(measure.description if measure else split.outcome)}\n"
            f"{share:.0f}% of the variance from uncertain parameters "
            f"(90% interval {100 * split.parameter_share_low:.0f}-{100 * split.parameter_share_high:.0f}%), "
            f"the rest chance\nscenario: {scenario}; "
            f"{split.param_sets} parameter sets x {split.seeds} seeds; "
            + (
                "neither part dominates clearly at this sample size"
                if split.dominant == "neither"
                else f"{split.dominant} dominate"
            ),
            fontsize=15,
        )
        ax.set_xlabel("Parameter set, ordered by its mean (each dot: one seed)")
        ax.set_ylabel(_unit_label(measure.unit if measure else split.outcome))
        ax.grid(axis="y", alpha=0.3)
        value_axis(ax)
        value_axis(ax, integer=True, axis="x")  # parameter sets are counted: 1, 2, 3
        _legend_below(fig, ax)
        _save(fig, path)
    return path
