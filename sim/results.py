"""The results folder: tidy tables, a manifest, and the plots drawn from them.

Layout of a results folder::

    manifest.json     scenario as resolved, master seed, replications done, version
    outcomes.csv      one row per replication: rep, then one column per scalar outcome
    parameters.csv    one row per replication: rep, then one column per sampled parameter
    series.csv        one row per replication and day: rep, date, then one column per series
    plots/*.png       figures, drawn from the tables above (never by re-simulating)

Tables are plain CSV that ``pandas.read_csv`` opens. Rows are written in
replication order as replications finish, into ``*.csv.part`` files that are
renamed into place when the run ends or is interrupted, and the manifest is
written last, atomically: a folder never holds a half-written table under its
final name, and an interrupted run keeps every replication it finished.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim import __version__
from sim.clock import Clock
from sim.model import ReplicationResult
from sim.outcomes import OUTCOMES, SERIES

TABLES = ("outcomes", "parameters", "series")


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to the manifest")


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON next to its final name, then rename: readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_json_default) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _series_column(values: np.ndarray) -> list:
    """One daily series as table cells: whole numbers stay whole, the rest keep 4 decimals."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return np.round(values, 4).tolist()
    return values.tolist()


def outcome_cell(name: str, value: float, clock: Clock) -> Any:
    """How an outcome is written: dates as ISO dates, the rest as numbers."""
    if OUTCOMES.get(name) is not None and OUTCOMES[name].kind == "date":
        return "" if math.isnan(value) else clock.date(value).isoformat()
    return _cell(value)


class ResultsWriter:
    """Streams replication results into a results folder, in replication order."""

    def __init__(self, folder: Path, clock: Clock, manifest: dict[str, Any]):
        self.folder = folder
        self.clock = clock
        self.manifest = manifest
        self.dates = clock.iso_dates()
        folder.mkdir(parents=True, exist_ok=True)
        self._files = {name: (folder / f"{name}.csv.part").open("w", newline="") for name in TABLES}
        self._writers = {name: csv.writer(fh) for name, fh in self._files.items()}
        self._headers_written = False
        self.completed: list[int] = []

    def write(self, results: Iterable[ReplicationResult]) -> None:
        """Append the rows of finished replications (already in replication order)."""
        for r in results:
            if not self._headers_written:
                self._outcome_names = list(r.outcomes)
                self._param_names = list(r.parameters)
                self._series_names = list(r.series)
                self._writers["outcomes"].writerow(["rep", *self._outcome_names])
                self._writers["parameters"].writerow(["rep", *self._param_names])
                self._writers["series"].writerow(["rep", "date", *self._series_names])
                self._headers_written = True
            self._writers["outcomes"].writerow(
                [r.rep, *(outcome_cell(n, r.outcomes[n], self.clock) for n in self._outcome_names)]
            )
            self._writers["parameters"].writerow(
                [r.rep, *(_cell(r.parameters[n]) for n in self._param_names)]
            )
            columns = [_series_column(r.series[n]) for n in self._series_names]
            self._writers["series"].writerows(
                [r.rep, date, *row] for date, *row in zip(self.dates, *columns, strict=True)
            )
            self.completed.append(r.rep)
        for fh in self._files.values():
            fh.flush()

    def close(self, complete: bool) -> None:
        """Move the tables into place and write the manifest last."""
        for name, fh in self._files.items():
            fh.close()
            os.replace(self.folder / f"{name}.csv.part", self.folder / f"{name}.csv")
        self.manifest.update(
            complete=complete,
            reps_completed=len(self.completed),
            reps_done=sorted(self.completed),
            finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        write_json_atomic(self.folder / "manifest.json", self.manifest)


def base_manifest(
    scenario: Any, master_seed: int, reps: int, workers: int, key_dates: list[dict[str, str]]
) -> dict[str, Any]:
    """The manifest of a run before it starts: enough to re-run any replication."""
    return {
        "tradesim_version": __version__,
        "scenario": {
            "name": scenario.name,
            "description": scenario.spec.description,
            "file": str(scenario.path),
            "extends_chain": [str(p) for p in scenario.chain],
            "resolved": scenario.raw,
        },
        "master_seed": master_seed,
        "reps_requested": reps,
        "workers": workers,
        "calendar": {"start": scenario.spec.calendar.start, "end": scenario.spec.calendar.end},
        "key_dates": key_dates,
        "units": {
            "outcomes": {name: m.unit for name, m in OUTCOMES.items()},
            "series": {name: m.unit for name, m in SERIES.items()},
        },
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "complete": False,
    }


# --- reading a results folder back -------------------------------------------------------------


class ResultsError(Exception):
    """A results folder is missing something a reader needs."""


@dataclass
class Results:
    """A results folder read back: what plots and reports are drawn from."""

    folder: Path
    manifest: dict[str, Any]
    outcomes: dict[str, np.ndarray]  # name -> one value per replication (dates as datetime64)
    dates: np.ndarray  # datetime64[D], one per simulated day
    _series: dict[str, np.ndarray] | None = field(default=None, repr=False)

    def series(self, name: str) -> np.ndarray:
        """A daily series as an array of shape (replications, days)."""
        table = self._series_table()
        if name not in table:
            raise ResultsError(
                f"{self.folder}: series {name!r} is not in this results folder "
                f"(available: {', '.join(table)})"
            )
        return table[name].reshape(-1, len(self.dates))

    def series_names(self) -> list[str]:
        """The daily series this results folder holds."""
        return list(self._series_table())

    def _series_table(self) -> dict[str, np.ndarray]:
        """Every column of series.csv, read once and kept."""
        if self._series is None:
            path = self.folder / "series.csv"
            if not path.is_file():
                raise ResultsError(f"{self.folder}: no series.csv in this results folder")
            with path.open(newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader)[2:]
                columns: list[list[float]] = [[] for _ in header]
                for row in reader:
                    for column, cell in zip(columns, row[2:], strict=True):
                        column.append(float(cell) if cell else math.nan)
            self._series = {name: np.array(col) for name, col in zip(header, columns, strict=True)}
        return self._series


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _restore_dates(node: Any) -> Any:
    """JSON keeps dates as ISO strings; scenario dates must be dates again."""
    if isinstance(node, dict):
        return {k: _restore_dates(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_restore_dates(v) for v in node]
    if isinstance(node, str) and _ISO_DATE.match(node):
        return dt.date.fromisoformat(node)
    return node


def scenario_from_manifest(manifest: dict[str, Any]):
    """The validated scenario a results folder was run with (replay, reports)."""
    from sim.scenario import Scenario

    return Scenario.model_validate(_restore_dates(manifest["scenario"]["resolved"]))


def read_results(folder: Path) -> Results:
    """Open a results folder written by :class:`ResultsWriter`."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ResultsError(f"{folder}: not a results folder (no manifest.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    outcomes: dict[str, np.ndarray] = {}
    with (folder / "outcomes.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for name in rows[0] if rows else []:
        kind = OUTCOMES[name].kind if name in OUTCOMES else "count"
        if kind == "date":
            outcomes[name] = np.array(
                [np.datetime64(r[name]) if r[name] else np.datetime64("NaT") for r in rows]
            )
        else:
            outcomes[name] = np.array([float(r[name]) if r[name] else math.nan for r in rows])
    start = np.datetime64(manifest["calendar"]["start"])
    end = np.datetime64(manifest["calendar"]["end"])
    dates = np.arange(start, end + np.timedelta64(1, "D"), dtype="datetime64[D]")
    return Results(folder=folder, manifest=manifest, outcomes=outcomes, dates=dates)
