"""The result objects of the Python API: one shape for every experiment, as SALib's analyses have.

Every experiment returns an object with

* ``.to_frame()``: a pandas table, one row per replication (or per parameter, or
  per outcome), dates as ``datetime64`` columns, never day numbers or strings;
* ``.plot(...)``: a matplotlib ``Figure``, drawn by the same code as ``tradesim plot``;
* ``.summary()``: the table the command line prints, as a pandas table;
* and, where it holds daily series, ``.to_xarray()``: an ``xarray.Dataset`` with
  dimensions ``replication`` x ``date`` (and ``scenario`` or ``branch``), each
  variable carrying its ``units`` and ``description`` from :mod:`sim.results.catalogue`.

The objects read their folder lazily, so opening a large run costs little until asked.
pandas, xarray and matplotlib are imported inside the methods: ``import sim`` stays cheap.
"""

from __future__ import annotations

import datetime as dt
import math
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

    from sim.core.replication_result import ReplicationResult
    from sim.experiments.branches import Branches
    from sim.experiments.compare import ComparisonRow
    from sim.experiments.sensitivity import SensitivityResult
    from sim.experiments.variance import VarianceSplit


def _figure(draw: Callable[[], object]) -> Figure:
    """The figure a chart function draws, kept open instead of written to a file."""
    from sim.plots.charts import kept_figures

    with kept_figures() as figures:
        draw()
    return figures[-1]


def _is_date(name: str) -> bool:
    return name in OUTCOMES and OUTCOMES[name].kind == "date"


def _as_dates(values: Any) -> pd.Series:
    """Day numbers since 1970-01-01 (how comparisons compute with dates) back to dates."""
    import pandas as pd

    return pd.to_datetime(pd.Series(values, dtype=float), unit="D")


def _outcome_frame(outcomes: dict[str, np.ndarray]) -> pd.DataFrame:
    """Outcomes as a table indexed by replication; date outcomes as datetime64 columns."""
    import pandas as pd

    columns = {}
    for name, values in outcomes.items():
        if name == "rep":
            continue
        if _is_date(name) and values.dtype.kind != "M":
            columns[name] = _as_dates(values).to_numpy()
        else:
            columns[name] = values
    index = pd.Index(np.asarray(outcomes["rep"]).astype(int), name="rep")
    return pd.DataFrame(columns, index=index)


def _read_table(path: Path) -> pd.DataFrame:
    """A CSV table of outcomes with its date outcomes parsed as dates."""
    import pandas as pd

    frame = pd.read_csv(path)
    for column in frame.columns:
        if _is_date(column):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _rows_frame(
    rows: Sequence[Any], value_columns: Sequence[str], outcome: str | None = None
) -> pd.DataFrame:
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
            frame[column] = _as_dates(frame[column].to_numpy(dtype=float)).to_numpy()
        elif dates.any():
            converted = _as_dates(frame.loc[dates, column].to_numpy(dtype=float))
            frame[column] = frame[column].astype(object)
            frame.loc[dates, column] = pd.Series(list(converted), index=frame.index[dates], dtype=object)
    return frame


def _series_dataset(results: Results, names: Sequence[str] | None) -> xr.Dataset:
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


def _stacked_dataset(parts: dict[str, Results], dim: str, names: Sequence[str] | None) -> xr.Dataset:
    import xarray as xr

    sets = [_series_dataset(r, names) for r in parts.values()]
    return xr.concat(sets, dim=dim, join="inner", combine_attrs="drop").assign_coords({dim: list(parts)})


def _plot_results(results: Results, name: str, paths: int = 0, title: str | None = None) -> Figure:
    """One run's chart of ``name``: fan chart of a series, panels of a sector prefix, or histogram."""
    from sim.plots import charts

    if name in SERIES:
        return _figure(lambda: charts.fan_chart(results, name, None, title, sample_paths=paths))
    if name in OUTCOMES:
        return _figure(lambda: charts.outcome_histogram(results, name, None))
    if any(s.startswith(f"{name}_") for s in SERIES):
        label = title or name.replace("_", " ").capitalize()
        return _figure(lambda: charts.sector_fan_panels(results, name, None, label))
    raise ValueError(f"{name!r} is neither a daily series, a sector series prefix nor an outcome")


class RunResult:
    """A Monte Carlo run: one results folder (``sim.run``, ``sim.open_results``)."""

    def __init__(self, results: Results):
        self.results = results  #: the folder as :class:`sim.results.folder.Results` reads it

    def __repr__(self) -> str:
        return f"RunResult({self.name!r}, {self.replications} replications, folder={str(self.folder)!r})"

    @property
    def folder(self) -> Path:
        return self.results.folder

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.results.manifest["scenario"]["name"]

    @property
    def manifest(self) -> dict:
        return self.results.manifest

    @property
    def replications(self) -> int:
        return len(self.results.outcomes.get("rep", []))

    @property
    def dates(self) -> np.ndarray:
        """The simulated calendar, ``datetime64[D]``."""
        return self.results.dates

    def to_frame(self) -> pd.DataFrame:
        """Scalar outcomes, one row per replication (index ``rep``); dates as ``datetime64``."""
        return _outcome_frame(self.results.outcomes)

    def parameters(self) -> pd.DataFrame:
        """The parameters each replication drew, one row per replication (index ``rep``)."""
        import pandas as pd

        return pd.read_csv(self.folder / "parameters.csv", index_col="rep")

    def summary(self) -> pd.DataFrame:
        """Median and 90% interval of every outcome, formatted as ``tradesim run`` prints them."""
        import pandas as pd

        from sim.results.summary import summarise

        return pd.DataFrame([vars(row) for row in summarise(self.results)]).set_index("name")

    def series(self, names: Sequence[str] | None = None, reps: Sequence[int] | None = None) -> pd.DataFrame:
        """Daily series as a tidy table: ``rep``, ``date``, one column per series."""
        return self.results.series_frame(list(names) if names else None, list(reps) if reps else None)

    def to_xarray(self, names: Sequence[str] | None = None) -> xr.Dataset:
        """Daily series (default: all) with dimensions ``replication`` x ``date``, units as attributes."""
        return _series_dataset(self.results, names)

    def plot(self, name: str = "backlog", paths: int = 0, title: str | None = None) -> Figure:
        """A chart of ``name``: a daily series (fan chart, ``paths`` single replications drawn too),
        a sector prefix such as ``plants_halted`` (one panel per sector), or a scalar outcome (histogram).
        ``title`` replaces the series' description in a fan chart's title."""
        return _plot_results(self.results, name, paths, title)


class ComparisonResult:
    """Several scenarios run on common random numbers (``sim.compare``); the first is the reference."""

    def __init__(self, folder: Path, runs: dict[str, RunResult], rows: list[ComparisonRow]):
        self.folder = Path(folder)
        self.runs = runs  #: each scenario's :class:`RunResult`, by name
        self.rows = rows  #: the comparison rows of :func:`sim.experiments.compare.compare`

    def __repr__(self) -> str:
        return f"ComparisonResult({list(self.runs)}, folder={str(self.folder)!r})"

    @property
    def reference(self) -> str:
        return next(iter(self.runs))

    @property
    def results(self) -> dict[str, Results]:
        return {name: run.results for name, run in self.runs.items()}

    def to_frame(self) -> pd.DataFrame:
        """Every scenario's outcomes, one row per scenario and replication (index ``scenario``, ``rep``)."""
        import pandas as pd

        return pd.concat({name: run.to_frame() for name, run in self.runs.items()}, names=["scenario", "rep"])

    def summary(self, outcome: str | None = None) -> pd.DataFrame:
        """Per outcome (or ``outcome``) and scenario: median, 90% interval, paired shift against the first.

        Yes/no outcomes: shares (0-1); a date outcome's median and interval are dates, its shifts days.
        """
        return _rows_frame(self.rows, ["median", "low", "high"], outcome)

    def to_xarray(self, names: Sequence[str] | None = None) -> xr.Dataset:
        """Daily series with dimensions ``scenario`` x ``replication`` x ``date``."""
        return _stacked_dataset(self.results, "scenario", names)

    def plot(self, name: str = "gdp_loss_year_end_pct") -> Figure:
        """Violins of an outcome side by side, or ``"deadline"``: the deadline's outcomes as bars."""
        from sim.plots import charts

        if name == "deadline":
            return _figure(lambda: charts.deadline_outcome_bars(self.results, None))
        return _figure(lambda: charts.outcome_violins(self.results, name, None))


class SweepResult:
    """A grid or Latin-hypercube sweep (``sim.sweep``): outcomes at each design point."""

    def __init__(self, folder: Path, scenario: str, varied: list[str], table: Path):
        self.folder, self.scenario, self.varied, self.table = Path(folder), scenario, varied, Path(table)

    def __repr__(self) -> str:
        return f"SweepResult({self.scenario!r}, varied={self.varied}, folder={str(self.folder)!r})"

    def to_frame(self) -> pd.DataFrame:
        """One row per design point and replication: ``point``, the varied parameters, ``rep``, outcomes."""
        return _read_table(self.table)

    def summary(self) -> pd.DataFrame:
        """Median of every numeric outcome at each design point (index: the varied parameters)."""
        frame = self.to_frame().drop(columns=["rep"])
        numeric = frame.select_dtypes("number")
        return numeric.groupby(["point", *self.varied]).median()

    def plot(self, outcome: str = "gdp_loss_year_end_pct") -> Figure:
        """The outcome against each varied parameter, one panel per parameter."""
        from sim.plots import charts

        return _figure(lambda: charts.sweep_panels(self.table, self.varied, outcome, None, self.scenario))


class SensitivityAnalysis:
    """Morris or Sobol indices of one outcome (``sim.sensitivity``), most influential first.

    ``names``, ``index``, ``conf``, ``other``, ``method``, ``outcome`` and ``ranked()`` are those of
    :class:`sim.experiments.sensitivity.SensitivityResult`.
    """

    def __init__(self, result: SensitivityResult, scenario: str = ""):
        self.result, self.scenario = result, scenario

    def __getattr__(self, name: str):  # the analysis's own fields (names, index, ranked, ...)
        if name == "result":
            raise AttributeError(name)
        return getattr(self.result, name)

    def __repr__(self) -> str:
        r = self.result
        return f"SensitivityAnalysis({r.method}, {r.outcome!r}, {len(r.names)} factors)"

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter (or group), most influential first: index, 95% half-width, other one."""
        import pandas as pd

        from sim.experiments.sensitivity import index_columns

        r = self.result
        order = r.ranked()
        index, conf, other = index_columns(r.method)
        return pd.DataFrame(
            {index: r.index[order], conf: r.conf[order], other: r.other[order]},
            index=pd.Index([r.names[i] for i in order], name="parameter"),
        )

    def summary(self) -> pd.DataFrame:
        return self.to_frame()

    def plot(self, top: int = 15, label: str | None = None) -> Figure:
        """A tornado chart of the ``top`` most influential parameters (``label``: names the scenario)."""
        from sim.plots import charts

        return _figure(lambda: charts.tornado(self.result, None, label or self.scenario, top))


class VarianceResult:
    """An outcome's spread split into parameters and chance (``sim.variance``)."""

    def __init__(self, scenario: str, nested: list[list[dict[str, float]]], splits: list[VarianceSplit]):
        self.scenario, self.nested, self.splits = scenario, nested, splits

    def to_frame(self) -> pd.DataFrame:
        """Every nested replication: ``param_set``, ``seed`` and the outcomes (dates as dates)."""
        import pandas as pd

        rows = [
            {"param_set": i, "seed": j, **row}
            for i, rows in enumerate(self.nested)
            for j, row in enumerate(rows)
        ]
        frame = pd.DataFrame(rows).set_index(["param_set", "seed"])
        for column in frame.columns:
            if _is_date(column):
                frame[column] = _as_dates(frame[column].to_numpy())
        return frame

    def summary(self) -> pd.DataFrame:
        """One row per outcome: the variance parts, their 90% intervals and the parameters' share."""
        import pandas as pd

        return pd.DataFrame([asdict(s) for s in self.splits]).set_index("outcome")

    def plot(self, outcome: str | None = None) -> Figure:
        """The strip chart of one outcome (default: the first split)."""
        from sim.experiments.variance import outcome_table
        from sim.plots import charts

        split = next(s for s in self.splits if outcome in (None, s.outcome))
        table = outcome_table(self.nested, split.outcome)
        return _figure(lambda: charts.variance_strips(table, split, None, self.scenario))


class BranchesResult:
    """Every replication forked at a decision point (``sim.branches``), one run per branch."""

    def __init__(self, branches: Branches):
        self.branches = branches  #: the folder as :func:`sim.experiments.branches.read_branches` reads it

    def __repr__(self) -> str:
        return f"BranchesResult({list(self.branches.results)}, folder={str(self.folder)!r})"

    @property
    def folder(self) -> Path:
        return self.branches.folder

    @property
    def names(self) -> list[str]:
        return list(self.branches.results)

    @property
    def runs(self) -> dict[str, RunResult]:
        return {b: RunResult(r) for b, r in self.branches.results.items()}

    def to_frame(self) -> pd.DataFrame:
        """Every branch's outcomes, one row per branch and replication (index ``branch``, ``rep``)."""
        import pandas as pd

        return pd.concat({b: r.to_frame() for b, r in self.runs.items()}, names=["branch", "rep"])

    def probabilities(self) -> pd.DataFrame:
        """The model's own chance of each branch in each replication, with the fork's date."""
        import pandas as pd

        frame = pd.DataFrame(self.branches.probability, index=pd.Index(self.branches.reps, name="rep"))
        frame.insert(0, "fork_date", self.branches.fork_dates)
        return frame

    def summary(self, outcome: str | None = None) -> pd.DataFrame:
        """Per outcome (or ``outcome``) and branch: median, 90% interval, paired shift against the first."""
        from sim.experiments.compare import compare

        return _rows_frame(compare(self.branches.results), ["median", "low", "high"], outcome)

    def reweight(self, weights: dict[str, float] | str | None = None) -> pd.DataFrame:
        """The branches recombined into one distribution per outcome, without re-running the model.

        ``weights``: each branch's probability (a dict, or ``"deal=0.6,extension=0.4"``); default:
        the model's own, replication by replication.
        """
        from sim.experiments.branches import parse_weights, reweight

        if isinstance(weights, str):
            weights = parse_weights(weights, self.names)
        elif weights is not None:
            weights = parse_weights(",".join(f"{k}={v}" for k, v in weights.items()), self.names)
        rows = reweight(self.branches, weights)
        return _rows_frame(rows, ["mean", "median", "low", "high"]).set_index("outcome")

    def to_xarray(self, names: Sequence[str] | None = None) -> xr.Dataset:
        """Daily series with dimensions ``branch`` x ``replication`` x ``date``."""
        return _stacked_dataset(self.branches.results, "branch", names)

    def plot(self, series: tuple[str, ...] | None = None) -> Figure:
        """The forked fan chart: every branch's fan from the fork on, the shared history before it."""
        from sim.plots import charts

        return _figure(lambda: charts.branch_fans(self.branches, None, series))


class Replication:
    """One replication simulated in memory (``sim.replicate``): nothing is written to disk."""

    def __init__(self, result: ReplicationResult, start: dt.date, end: dt.date):
        self.result = result
        self.rep = result.rep
        self.parameters = result.parameters  #: dotted path -> drawn value
        self.series = result.series  #: name -> one value per simulated day
        self.dates = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")

    def __repr__(self) -> str:
        return f"Replication(rep={self.rep})"

    @property
    def outcomes(self) -> dict[str, Any]:
        """Scalar outcomes by name; a date outcome as a ``numpy.datetime64`` day (NaT if never)."""
        start = self.dates[0]
        return {
            name: (np.datetime64("NaT") if math.isnan(v) else start + np.timedelta64(int(np.floor(v)), "D"))
            if _is_date(name)
            else v
            for name, v in self.result.outcomes.items()
        }

    def to_frame(self) -> pd.DataFrame:
        """The outcomes as a one-row table (index ``rep``); dates as ``datetime64``."""
        outcomes = {name: np.array([value]) for name, value in self.outcomes.items()}
        return _outcome_frame({"rep": np.array([self.rep]), **outcomes})

    def to_xarray(self, names: Sequence[str] | None = None) -> xr.Dataset:
        """Daily series with dimensions ``replication`` (one) x ``date``, units as attributes."""
        import xarray as xr

        data = {}
        for name in names or list(self.series):
            measure = SERIES.get(name)
            attrs = {"units": measure.unit, "description": measure.description} if measure else {}
            data[name] = xr.DataArray(self.series[name][None, :], dims=("replication", "date"), attrs=attrs)
        return xr.Dataset(
            data, coords={"replication": [self.rep], "date": self.dates.astype("datetime64[ns]")}
        )
