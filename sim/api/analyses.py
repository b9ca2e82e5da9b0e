"""The result objects of the analyses: a sweep, a sensitivity analysis, a variance split.

Same shape as :mod:`sim.api.results`: ``.to_frame()``, ``.summary()``, ``.plot()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from sim.api.frames import figure, is_date, model_dates, read_table

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.experiments.sensitivity import SensitivityResult
    from sim.experiments.variance import VarianceSplit


class SweepResult:
    """A grid or Latin-hypercube sweep (``sim.sweep``): outcomes at each design point."""

    def __init__(self, folder: Path, scenario: str, varied: list[str], table: Path):
        self.folder, self.scenario, self.varied, self.table = Path(folder), scenario, varied, Path(table)

    def __repr__(self) -> str:
        return f"SweepResult({self.scenario!r}, varied={self.varied}, folder={str(self.folder)!r})"

    def to_frame(self) -> pd.DataFrame:
        """One row per design point and replication: ``point``, the varied parameters, ``rep``, outcomes."""
        return read_table(self.table)

    def summary(self) -> pd.DataFrame:
        """The same table as :meth:`to_frame`: the indices are the summary."""
        """Median of every numeric outcome at each design point (index: the varied parameters)."""
        frame = self.to_frame().drop(columns=["rep"])
        numeric = frame.select_dtypes("number")
        return numeric.groupby(["point", *self.varied]).median()

    def plot(self, outcome: str = "gdp_loss_year_end_pct") -> Figure:
        """The outcome against each varied parameter, one panel per parameter."""
        from sim.plots import charts

        return figure(lambda: charts.sweep_panels(self.table, self.varied, outcome, None, self.scenario))


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

        return figure(lambda: charts.tornado(self.result, None, label or self.scenario, top))


class VarianceResult:
    """An outcome's spread split into parameters and chance (``sim.variance``)."""

    def __init__(
        self, scenario: str, nested: list[list[dict[str, float]]], splits: list[VarianceSplit], start: dt.date
    ):
        self.scenario, self.nested, self.splits = scenario, nested, splits
        self.start = start  #: the calendar's first day: the model's day numbers count from it

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
            if is_date(column):
                frame[column] = model_dates(frame[column].to_numpy(), self.start)
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
        return figure(lambda: charts.variance_strips(table, split, None, self.scenario))
