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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.api.frames import (
    figure,
    is_date,
    model_dates,
    outcome_frame,
    plot_results,
    rows_frame,
    series_dataset,
    stacked_dataset,
)
from sim.results.catalogue import SERIES
from sim.results.folder import Results

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from matplotlib.figure import Figure

    from sim.core.replication_result import ReplicationResult
    from sim.experiments.branches import Branches
    from sim.experiments.compare import ComparisonRow


class RunResult:
    """A Monte Carlo run: one results folder (``sim.run``, ``sim.open_results``)."""

    def __init__(self, results: Results):
        self.results = results  #: the folder as :class:`sim.results.folder.Results` reads it

    def __repr__(self) -> str:
        return f"RunResult({self.name!r}, {self.replications} replications, folder={str(self.folder)!r})"

    @property
    def folder(self) -> Path:
        """The results folder on disk."""
        return self.results.folder

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.results.manifest["scenario"]["name"]

    @property
    def manifest(self) -> dict:
        """The folder's manifest: the scenario as resolved, the master seed, the settings."""
        return self.results.manifest

    @property
    def replications(self) -> int:
        """How many replications the folder holds."""
        return len(self.results.outcomes.get("rep", []))

    @property
    def dates(self) -> np.ndarray:
        """The simulated calendar, ``datetime64[D]``."""
        return self.results.dates

    def to_frame(self) -> pd.DataFrame:
        """Scalar outcomes, one row per replication (index ``rep``); dates as ``datetime64``."""
        return outcome_frame(self.results.outcomes)

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
        return series_dataset(self.results, names)

    def plot(self, name: str = "backlog", paths: int = 0, title: str | None = None) -> Figure:
        """A chart of ``name``: a daily series (fan chart, ``paths`` single replications drawn too),
        a sector prefix such as ``plants_halted`` (one panel per sector), or a scalar outcome (histogram).
        ``title`` replaces the series' description in a fan chart's title."""
        return plot_results(self.results, name, paths, title)


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
        """The first scenario: every paired shift is taken against it."""
        return next(iter(self.runs))

    @property
    def results(self) -> dict[str, Results]:
        """Each scenario's folder as :class:`sim.results.folder.Results` reads it."""
        return {name: run.results for name, run in self.runs.items()}

    def to_frame(self) -> pd.DataFrame:
        """Every scenario's outcomes, one row per scenario and replication (index ``scenario``, ``rep``)."""
        import pandas as pd

        return pd.concat({name: run.to_frame() for name, run in self.runs.items()}, names=["scenario", "rep"])

    def summary(self, outcome: str | None = None) -> pd.DataFrame:
        """Per outcome (or ``outcome``) and scenario: median, 90% interval, paired shift against the first.

        Yes/no outcomes: shares (0-1); a date outcome's median and interval are dates, its shifts days.
        """
        return rows_frame(self.rows, ["median", "low", "high"], outcome)

    def to_xarray(self, names: Sequence[str] | None = None) -> xr.Dataset:
        """Daily series with dimensions ``scenario`` x ``replication`` x ``date``."""
        return stacked_dataset(self.results, "scenario", names)

    def plot(self, name: str = "gdp_loss_year_end_pct") -> Figure:
        """Violins of an outcome side by side, or ``"deadline"``: the deadline's outcomes as bars."""
        from sim.plots import charts

        if name == "deadline":
            return figure(lambda: charts.deadline_outcome_bars(self.results, None))
        return figure(lambda: charts.outcome_violins(self.results, name, None))


class BranchesResult:
    """Every replication forked at a decision point (``sim.branches``), one run per branch."""

    def __init__(self, branches: Branches):
        self.branches = branches  #: the folder as :func:`sim.experiments.branches.read_branches` reads it

    def __repr__(self) -> str:
        return f"BranchesResult({list(self.branches.results)}, folder={str(self.folder)!r})"

    @property
    def folder(self) -> Path:
        """The branches folder on disk."""
        return self.branches.folder

    @property
    def names(self) -> list[str]:
        """The branches, in the order they were run."""
        return list(self.branches.results)

    @property
    def runs(self) -> dict[str, RunResult]:
        """Each branch's :class:`RunResult`."""
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

        return rows_frame(compare(self.branches.results), ["median", "low", "high"], outcome)

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
        return rows_frame(rows, ["mean", "median", "low", "high"]).set_index("outcome")

    def to_xarray(self, names: Sequence[str] | None = None) -> xr.Dataset:
        """Daily series with dimensions ``branch`` x ``replication`` x ``date``."""
        return stacked_dataset(self.branches.results, "branch", names)

    def plot(self, series: tuple[str, ...] | None = None) -> Figure:
        """The forked fan chart: every branch's fan from the fork on, the shared history before it."""
        from sim.plots import charts

        return figure(lambda: charts.branch_fans(self.branches, None, series))


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
            name: model_dates([value], start)[0] if is_date(name) else value
            for name, value in self.result.outcomes.items()
        }

    def to_frame(self) -> pd.DataFrame:
        """The outcomes as a one-row table (index ``rep``); dates as ``datetime64``."""
        outcomes = {name: np.array([value]) for name, value in self.outcomes.items()}
        return outcome_frame({"rep": np.array([self.rep]), **outcomes})

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
