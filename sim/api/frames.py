"""How the API's result objects turn results into tables, labelled arrays and figures.

Shared by :mod:`sim.api.results` and :mod:`sim.api.analyses`: dates come back as
``datetime64`` (never day numbers or strings), units ride along as attributes, and
a chart is kept as a Figure instead of written to a file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.results.catalogue import OUTCOMES, SERIES
from sim.results.folder import Results

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from matplotlib.figure import Figure


def figure(draw: Callable[[], object]) -> Figure:
    """The figure a chart function draws, kept open instead of written to a file."""
    from sim.plots.charts import kept_figures

    with kept_figures() as figures:
        draw()
    return figures[-1]


def is_date(name: str) -> bool:
    """Whether an outcome is a date (the catalogue's kind ``date``)."""
    return name in OUTCOMES and OUTCOMES[name].kind == "date"


def as_dates(values: Any) -> pd.Series:
    """Day numbers since 1970-01-01 (how comparisons compute with dates) back to dates."""
    import pandas as pd

    return pd.to_datetime(pd.Series(values, dtype=float), unit="D")


def model_dates(values: Any, start: Any) -> np.ndarray:
    """The model's day numbers (day 0 is the calendar's start) as ``datetime64[D]``; NaN becomes NaT.

    Inside the model a date outcome is a day number (``Clock.date`` floors it); the results
    tables write it as an ISO date; the API hands it back as a date.
    """
    days = np.asarray(values, dtype=float)
    dates = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    known = ~np.isnan(days)
    dates[known] = np.datetime64(start, "D") + np.floor(days[known]).astype(np.int64)
    return dates


def outcome_frame(outcomes: dict[str, np.ndarray]) -> pd.DataFrame:
    """Outcomes as a table indexed by replication; date outcomes as datetime64 columns."""
    import pandas as pd

    columns = {}
    for name, values in outcomes.items():
        if name == "rep":
            continue
        if is_date(name) and values.dtype.kind != "M":
            columns[name] = as_dates(values).to_numpy()
        elif values.dtype.kind == "M":  # a date that never came in any replication: all NaT, no unit
            columns[name] = values.astype("datetime64[D]")
        else:
            columns[name] = values
    index = pd.Index(np.asarray(outcomes["rep"]).astype(int), name="rep")
    return pd.DataFrame(columns, index=index)


def read_table(path: Path) -> pd.DataFrame:
    """A CSV table of outcomes with its date outcomes parsed as dates."""
    import pandas as pd

    frame = pd.read_csv(path)
    for column in frame.columns:
        if is_date(column):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def rows_frame(rows: Sequence[Any], value_columns: Sequence[str], outcome: str | None = None) -> pd.DataFrame:
    """Dataclass rows (comparison, mixture) as a table; a date outcome's values back to dates.

    ``outcome`` keeps one outcome's rows: its value columns are then ``datetime64`` for a date
    outcome and floats otherwise. With every outcome, a date outcome's rows hold pandas
    Timestamps in columns that are otherwise numbers (object columns).
    """
    import pandas as pd

    if outcome is not None:
        rows = [r for r in rows if r.outcome == outcome]
        if not rows:
            raise ValueError(f"no outcome {outcome!r} in these results")
    frame = pd.DataFrame([asdict(r) for r in rows])
    if frame.empty:
        return frame
    dates = (frame["kind"] == "date").to_numpy()
    for column in value_columns:
        if dates.all():
            frame[column] = as_dates(frame[column].to_numpy(dtype=float)).to_numpy()
        elif dates.any():
            converted = as_dates(frame.loc[dates, column].to_numpy(dtype=float))
            frame[column] = frame[column].astype(object)
            frame.loc[dates, column] = pd.Series(list(converted), index=frame.index[dates], dtype=object)
    return frame


def series_dataset(results: Results, names: Sequence[str] | None) -> xr.Dataset:
    """Daily series of one results folder as (replication, date) arrays with their units."""
    import xarray as xr

    names = list(names) if names is not None else results.series_names()
    reps = results.outcomes["rep"].astype(int)
    data = {}
    for name in names:
        measure = SERIES.get(name)
        attrs = {"units": measure.unit, "description": measure.description} if measure else {}
        data[name] = xr.DataArray(results.series(name), dims=("replication", "date"), attrs=attrs)
    return xr.Dataset(
        data,
        coords={"replication": reps, "date": results.dates.astype("datetime64[ns]")},
        attrs={"scenario": results.manifest["scenario"]["name"], "folder": str(results.folder)},
    )


def stacked_dataset(parts: dict[str, Results], dim: str, names: Sequence[str] | None) -> xr.Dataset:
    """Several results folders' series stacked along a new dimension ``dim`` (scenario, branch)."""
    import xarray as xr

    sets = [series_dataset(r, names) for r in parts.values()]
    return xr.concat(sets, dim=dim, join="inner", combine_attrs="drop").assign_coords({dim: list(parts)})


def plot_results(results: Results, name: str, paths: int = 0, title: str | None = None) -> Figure:
    """One run's chart of ``name``: fan chart of a series, panels of a sector prefix, or histogram."""
    from sim.plots import charts

    if name in SERIES:
        return figure(lambda: charts.fan_chart(results, name, None, title, sample_paths=paths))
    if name in OUTCOMES:
        return figure(lambda: charts.outcome_histogram(results, name, None))
    if any(s.startswith(f"{name}_") for s in SERIES):
        label = title or name.replace("_", " ").capitalize()
        return figure(lambda: charts.sector_fan_panels(results, name, None, label))
    raise ValueError(f"{name!r} is neither a daily series, a sector series prefix nor an outcome")
