"""The calibration table: figures from the sources beside the model's distribution of the same quantity.

Targets are data (``seeds/calibration.toml``), validated like scenarios. Each
names a figure of the registry, the scenario to run, a model quantity and a
check. Quantities are computed from a results folder (the tables that
``tradesim run`` writes, read back by :func:`sim.results.folder.read_results`), so the
table compares the figures with exactly what a user gets, never with numbers
restated by hand. Unverified or contradicted figures are shown beside the
model and never checked.
"""

from __future__ import annotations

import datetime as dt
import math
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

Check = Literal["figure_in_interval", "median_in_range", "share_at_least", "median_between"]

#: Dates the licensing quantities are measured at (figures in the registry).
CONTROLS = np.datetime64("2025-04-04")  # china_export_controls_start_date
GENEVA = np.datetime64("2025-05-12")  # geneva_talks_date
LONDON = np.datetime64("2025-06-10")  # london_talks_end_date
JUNE_7 = np.datetime64("2025-06-07")  # licences_issued_globally_by_june_7


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

    @model_validator(mode="after")
    def _bounds(self) -> Target:
        if self.check == "median_between" and (self.low is None or self.high is None):
            raise ValueError("median_between needs low and high")
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


def _geneva_speedup(results: Results) -> np.ndarray:
    before = _mean_rate(results, "approvals", CONTROLS, GENEVA)
    after = _mean_rate(results, "approvals", GENEVA, LONDON)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before > 0, after / before, np.where(after > 0, np.inf, 1.0))


def _geneva_release_share(results: Results) -> np.ndarray:
    approved = _mean_rate(results, "approvals", GENEVA, LONDON)
    filed = _mean_rate(results, "applications_filed", GENEVA, LONDON)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(filed > 0, approved / filed, np.nan)


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
    "geneva_speedup": ("x", _geneva_speedup),
    "geneva_release_share": ("share", _geneva_release_share),
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


def _fmt(x: float | np.datetime64) -> str:
    if isinstance(x, np.datetime64):
        return "-" if np.isnat(x) else str(x.astype("datetime64[D]"))
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


def evaluate(targets: dict[str, Target], results: dict[str, Results]) -> list[CalibrationRow]:
    """Compare every target with its scenario's results."""
    registry = load_registry().figures
    rows = []
    for name, t in targets.items():
        if t.scenario not in results:
            continue
        fig = registry[t.figure]
        values = quantity_values(results[t.scenario], t.quantity)
        is_date = values.dtype.kind == "M"
        if is_date:
            ok = values[~np.isnat(values)]
            q = (
                np.quantile(ok.astype("int64"), [0.5, 0.05, 0.95], method="inverted_cdf").astype(
                    "datetime64[D]"
                )
                if ok.size
                else [np.datetime64("NaT")] * 3
            )
        else:
            ok = values[~np.isnan(values)]
            # no interpolation: a ratio may be infinite (nothing approved before Geneva)
            q = np.quantile(ok, [0.5, 0.05, 0.95], method="inverted_cdf") if ok.size else [math.nan] * 3
        median, low, high = q
        check, inside = _check(t, fig, values, median, low, high, is_date)
        cells = [_fmt(x) for x in (median, low, high)]
        if t.check == "share_at_least":
            share, lo, hi = wilson_interval(int((ok > 0).sum()), ok.size)
            cells = [f"{100 * share:.0f}%", f"{100 * lo:.0f}%", f"{100 * hi:.0f}%"]
        if fig.reliability in ("unverified", "contradicted"):
            status, reason = "shown only", f"figure is {fig.reliability}: not a target"
        elif t.shown_only:
            status, reason = "shown only", t.note or "shown for comparison"
        else:
            status, reason = ("inside" if inside else "outside"), t.note or ""
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
            )
        )
    return rows


def _check(t: Target, fig: Figure, values, median, low, high, is_date: bool) -> tuple[str, bool]:
    if t.check == "figure_in_interval":
        target = np.datetime64(fig.value) if is_date else float(fig.value)  # type: ignore[arg-type]
        inside = bool(low <= target <= high) if not (is_date and np.isnat(low)) else False
        return "figure inside 90% interval", inside
    if t.check == "median_in_range":
        return (
            f"median inside {fig.low:,g}-{fig.high:,g}",
            bool(float(fig.low) <= float(median) <= float(fig.high)),  # type: ignore[arg-type]
        )
    if t.check == "median_between":
        span = f"above {t.low:g}" if math.isinf(t.high) else f"inside {t.low:g}-{t.high:g}"
        return f"median {span}", bool(t.low <= float(median) <= t.high)
    ok = values[~np.isnan(values)]
    share = float((ok > 0).mean()) if ok.size else 0.0
    return f"share >= {100 * t.at_least:.0f}%", share >= t.at_least  # type: ignore[operator]


def failures(rows: list[CalibrationRow]) -> list[CalibrationRow]:
    """Reliable targets that the model misses."""
    return [r for r in rows if r.status == "outside"]
