"""The calibration table: figures from the sources beside the model's distribution of the same quantity.

Targets are data (``seeds/calibration.toml``), validated like scenarios. Each
names a figure of the registry, the scenario to run, a model quantity and a
check. Quantities are computed from a results folder (the tables that
``tradesim run`` writes, read back by :func:`sim.results.folder.read_results`), so the
table compares the figures with exactly what a user gets, never with numbers
restated by hand. Unverified or contradicted figures are shown beside the
model and never checked.

Every statistic is finite by construction: rates before and after an event are
compared as a difference (a ratio has no value when nothing happened before),
and a date that never comes (no plant ever halts) counts as later than the
horizon, so its quantiles are dates or "never", not undefined. A numeric
quantity that is still NaN or infinite is a bug and raises.

A figure that informed a parameter is not an independent check of it: each row
names the parameters whose ranges were set after seeing its figure (the
target's ``informed`` list) and those that cite the figure as their source.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from sim.results.folder import Results
from sim.results.summary import decimals_for, format_number, wilson_interval
from sim.scenario.sources import Figure, load_registry, registry_path

Check = Literal[
    "figure_in_interval",
    "median_in_range",
    "share_at_least",
    "median_between",
    "median_above",
    "median_below",
    "ceiling",
    "context",
]

#: Dates the licensing quantities are measured at (figures in the registry).
CONTROLS = np.datetime64("2025-04-04")  # china_export_controls_start_date
GENEVA = np.datetime64("2025-05-12")  # geneva_talks_date
LONDON = np.datetime64("2025-06-10")  # london_talks_end_date
JUNE_7 = np.datetime64("2025-06-07")  # licences_issued_globally_by_june_7
MAY_31 = np.datetime64("2025-05-31")  # end of the month of magnet_price_rise_may_2025


class Target(BaseModel):
    """One calibration target."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    figure: str
    scenario: str
    quantity: str
    check: Check
    low: float | None = None
    high: float | None = None
    at_least: float | None = None
    note: str | None = None
    shown_only: bool = False
    #: parameters (dotted paths of the target's scenario) whose ranges were set after seeing this figure
    informed: list[str] = []

    @model_validator(mode="after")
    def _bounds(self) -> Target:
        if self.check == "median_between" and (self.low is None or self.high is None):
            raise ValueError("median_between needs low and high")
        if self.check == "median_above" and self.low is None:
            raise ValueError("median_above needs low")
        if self.check == "median_below" and self.high is None:
            raise ValueError("median_below needs high")
        if self.check == "share_at_least" and self.at_least is None:
            raise ValueError("share_at_least needs at_least")
        return self


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    targets: dict[str, Target]


def targets_path() -> Path:
    """``calibration.toml`` beside the figures registry."""
    return registry_path().with_name("calibration.toml")


def load_targets(path: Path | None = None) -> dict[str, Target]:
    """Read and validate the targets; every figure and quantity they name must exist."""
    path = path or targets_path()
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    try:
        targets = Targets.model_validate(data).targets
    except ValidationError as exc:
        raise ValueError(f"{path} is not a valid calibration file:\n{exc}") from None
    known = load_registry().figures
    for name, target in targets.items():
        if target.figure not in known:
            raise ValueError(f"{path}: targets.{name}.figure: unknown figure id {target.figure!r}")
    return targets


# --- quantities: one value per replication, from a results folder ------------------------------


def _day(results: Results, date: np.datetime64) -> int:
    return int((date - results.dates[0]).astype(int))


def _mean_rate(results: Results, series: str, start: np.datetime64, end: np.datetime64) -> np.ndarray:
    values = results.series(series)
    return values[:, _day(results, start) : _day(results, end)].mean(axis=1)


def _geneva_approval_rate_change(results: Results) -> np.ndarray:
    """Approvals per day between Geneva and London minus approvals per day before Geneva.

    A difference, not a ratio: in most replications nothing is approved
    between the controls and Geneva, where a ratio is infinite (or 0/0).
    """
    before = _mean_rate(results, "approvals", CONTROLS, GENEVA)
    after = _mean_rate(results, "approvals", GENEVA, LONDON)
    return after - before


def _geneva_approvals_minus_filings(results: Results) -> np.ndarray:
    """Approvals per day between Geneva and London minus filings per day in the same weeks.

    Below zero, approvals fall short of demand and the backlog grows ("below
    the agreed level"). A difference, defined when nothing is filed.
    """
    approved = _mean_rate(results, "approvals", GENEVA, LONDON)
    filed = _mean_rate(results, "applications_filed", GENEVA, LONDON)
    return approved - filed


def _price_rise_since_controls_to_may_31(results: Results) -> np.ndarray:
    """Rise of the magnet price index from the day before the controls to 31 May, in percent."""
    price = results.series("price_index")
    before = price[:, _day(results, CONTROLS - np.timedelta64(1, "D"))]
    return 100.0 * (price[:, _day(results, MAY_31)] / before - 1.0)


#: Quantities that are not a scalar outcome of their own.
DERIVED: dict[str, tuple[str, Callable[[Results], np.ndarray]]] = {
    "backlog_on_2025_06_10": (
        "applications",
        lambda r: r.series("backlog")[:, _day(r, LONDON)],
    ),
    "approvals_by_2025_06_07": (
        "licences",
        lambda r: r.series("approvals")[:, : _day(r, JUNE_7) + 1].sum(axis=1),
    ),
    "geneva_approval_rate_change": ("licences/day", _geneva_approval_rate_change),
    "geneva_approvals_minus_filings": ("licences/day", _geneva_approvals_minus_filings),
    "price_rise_2025_04_03_to_05_31_pct": ("%", _price_rise_since_controls_to_may_31),
}


def quantity_values(results: Results, name: str) -> np.ndarray:
    """One value per replication of a named quantity (an outcome, or one of DERIVED)."""
    if name in DERIVED:
        return DERIVED[name][1](results)
    if name in results.outcomes:
        return results.outcomes[name]
    raise KeyError(f"no quantity {name!r} in {results.folder} (outcomes or {', '.join(DERIVED)})")


# --- the table ---------------------------------------------------------------------------------------


@dataclass
class CalibrationRow:
    """One line of the calibration table."""

    target: str
    figure: str
    figure_value: str
    reliability: str
    scenario: str
    quantity: str
    median: str
    low: str
    high: str
    check: str
    status: Literal["inside", "outside", "shown only"]
    reason: str  # why a target is shown only, or what was checked
    informed: tuple[str, ...] = ()  # parameters whose ranges were set after seeing the figure
    cited_by: tuple[str, ...] = ()  # parameters of the scenario that cite the figure as their source


#: A date quantile that falls on a replication where the event never came.
NEVER = np.iinfo(np.int64).max


def _fmt(x: float | np.datetime64) -> str:
    if isinstance(x, np.datetime64):
        return "never" if np.isnat(x) else str(x.astype("datetime64[D]"))
    return format_number(float(x), decimals_for(float(x), "share") if abs(float(x)) < 100 else 0)


def _figure_text(f: Figure) -> str:
    """The figure's value, short: a number, a date, or the range we read a vague phrase as."""
    if isinstance(f.value, dt.date):
        return f.value.isoformat()
    if isinstance(f.value, int | float):
        return f"{f.value:g}"
    if f.low is not None and f.high is not None:
        return f"{f.low:,g}-{f.high:,g}"
    return "qualitative"


def _quantiles(name: str, scenario: str, values: np.ndarray) -> list:
    """Median, 5% and 95% of one value per replication, never undefined.

    Dates that never came (NaT) count as later than any date, so a quantile that
    lands on them reads "never". A NaN or infinite number is refused: every
    quantity here is defined in every replication.
    """
    levels = [0.5, 0.05, 0.95]
    if values.dtype.kind == "M":
        days = values.astype("datetime64[D]")
        ints = np.where(np.isnat(days), NEVER, days.astype("int64"))
        q = np.quantile(ints, levels, method="inverted_cdf")
        return [np.datetime64("NaT") if x == NEVER else np.datetime64(int(x), "D") for x in q]
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"calibration quantity {name!r} of {scenario} is NaN or infinite in "
            f"{int(bad.sum())} of {values.size} replications: every quantity must be defined"
        )
    return list(np.quantile(values, levels, method="inverted_cdf"))


def evaluate(targets: dict[str, Target], results: dict[str, Results]) -> list[CalibrationRow]:
    """Compare every target with its scenario's results."""
    registry = load_registry().figures
    rows = []
    for name, t in targets.items():
        if t.scenario not in results:
            continue
        fig = registry[t.figure]
        values = quantity_values(results[t.scenario], t.quantity)
        median, low, high = _quantiles(t.quantity, t.scenario, values)
        check, inside, detail = _check(t, fig, values, median, low, high)
        cells = [_fmt(x) for x in (median, low, high)]
        if t.check == "share_at_least":
            share, lo, hi = wilson_interval(int((values > 0).sum()), values.size)
            cells = [f"{100 * share:.0f}%", f"{100 * lo:.0f}%", f"{100 * hi:.0f}%"]
        note = "; ".join(x for x in (t.note, detail) if x)
        if fig.reliability in ("unverified", "contradicted"):
            unreliable = f"figure is {fig.reliability}: not a target"
            status, reason = "shown only", "; ".join(x for x in (unreliable, note) if x)
        elif t.shown_only or t.check == "context":
            status, reason = "shown only", note or "shown for comparison"
        else:
            status, reason = ("inside" if inside else "outside"), note
        cited_by = tuple(u.split(":", 1)[1] for u in fig.used_by if u.split(":", 1)[0] == t.scenario)
        rows.append(
            CalibrationRow(
                target=name,
                figure=t.figure,
                figure_value=_figure_text(fig),
                reliability=fig.reliability,
                scenario=t.scenario,
                quantity=t.quantity,
                median=cells[0],
                low=cells[1],
                high=cells[2],
                check=check,
                status=status,
                reason=reason,
                informed=tuple(t.informed),
                cited_by=cited_by,
            )
        )
    return rows


def _check(t: Target, fig: Figure, values, median, low, high) -> tuple[str, bool, str]:
    """What is checked, whether it holds, and any detail worth a note."""
    if t.check == "figure_in_interval":
        if values.dtype.kind == "M":
            target = np.datetime64(fig.value, "D")  # type: ignore[arg-type]
            after_low = not np.isnat(low) and low <= target
            return "figure inside 90% interval", bool(after_low and (np.isnat(high) or target <= high)), ""
        return "figure inside 90% interval", bool(low <= float(fig.value) <= high), ""  # type: ignore[arg-type]
    if t.check == "median_in_range":
        return (
            f"median inside {fig.low:,g}-{fig.high:,g}",
            bool(float(fig.low) <= float(median) <= float(fig.high)),  # type: ignore[arg-type]
            "",
        )
    if t.check == "median_between":
        return f"median inside {t.low:g}-{t.high:g}", bool(t.low <= float(median) <= t.high), ""
    if t.check == "median_above":
        return f"median above {t.low:g}", bool(float(median) > t.low), ""  # type: ignore[operator]
    if t.check == "median_below":
        return f"median below {t.high:g}", bool(float(median) < t.high), ""  # type: ignore[operator]
    if t.check == "ceiling":
        ceiling = float(fig.value)  # type: ignore[arg-type]
        above, lo, hi = wilson_interval(int((values > ceiling).sum()), values.size)
        detail = (
            f"an 'up to' figure is a ceiling: {100 * above:.0f}% of replications above {ceiling:g} "
            f"(90% interval {100 * lo:.0f}-{100 * hi:.0f}%)"
        )
        return f"median at most {ceiling:g} (ceiling)", bool(float(median) <= ceiling), detail
    if t.check == "context":
        return "context only, never checked", True, ""
    share = float((values > 0).mean()) if values.size else 0.0
    return f"share >= {100 * t.at_least:.0f}%", share >= t.at_least, ""  # type: ignore[operator]


def failures(rows: list[CalibrationRow]) -> list[CalibrationRow]:
    """Reliable targets that the model misses."""
    return [r for r in rows if r.status == "outside"]


# --- GDP by channel -----------------------------------------------------------------------------

#: GDP measures shown by channel: outcome prefix -> what it is. Outcome names are
#: ``{prefix}{_channel}_pct`` (the catalogue says which is a level and which cumulative).
GDP_MEASURES = {
    "gdp_level_loss_q3": "LEVEL, Q3 2025: % of the quarter's GDP",
    "gdp_level_loss_year_end": "LEVEL, Q4 2025: % of the quarter's GDP",
    "gdp_loss_q3": "CUMULATIVE to 30 Sep: % of annual GDP",
    "gdp_loss_year_end": "CUMULATIVE to 31 Dec: % of annual GDP",
}
GDP_CHANNELS = ("magnet", "tariff", "total")


@dataclass
class GdpChannelRow:
    """One GDP measure of one scenario: median and 90% interval of each channel and their sum."""

    scenario: str
    measure: str
    meaning: str
    cells: dict[str, tuple[float, float, float]]  # channel -> (median, 5%, 95%)


def gdp_by_channel(results: dict[str, Results]) -> list[GdpChannelRow]:
    """The GDP outcomes of each scenario, by channel, for the table ``tradesim calibrate`` prints."""
    rows = []
    for scenario, r in results.items():
        for stem, meaning in GDP_MEASURES.items():
            cells = {}
            for channel in GDP_CHANNELS:
                name = f"{stem}_pct" if channel == "total" else f"{stem}_{channel}_pct"
                if name not in r.outcomes:
                    break
                median, low, high = _quantiles(name, scenario, r.outcomes[name])
                cells[channel] = (float(median), float(low), float(high))
            if len(cells) == len(GDP_CHANNELS):
                rows.append(GdpChannelRow(scenario, stem, meaning, cells))
    return rows
