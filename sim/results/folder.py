"""The results folder: tidy tables, a manifest, and the plots drawn from them.

Layout of a results folder::

    manifest.json     scenario as resolved, master seed, replications done, version
    outcomes.csv      one row per replication: rep, then one column per scalar outcome
    parameters.csv    one row per replication: rep, then one column per sampled parameter
    series/           daily series: compressed chunk files, or daily quantiles (sim.results.series_store)
    plots/*.png       figures, drawn from the tables above (never by re-simulating)

Tables are plain CSV that ``pandas.read_csv`` opens; daily series are read
with :meth:`Results.series` (or :meth:`Results.series_frame`, a tidy table).
Rows are written in replication order as replications finish, into
``*.csv.part`` files that are renamed into place when the run ends or is
interrupted; each chunk of daily series is written atomically as it arrives;
the manifest is written last, atomically. A folder never holds a half-written
table under its final name, and an interrupted run keeps every replication it
finished (``tradesim run --resume`` completes it).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.results import series_store
from sim.results.catalogue import OUTCOMES
from sim.results.safe_io import ResultsError, load_manifest  # defined with the writing rules, raised here too

# The writing side lives in sim.results.writer; its names are importable from here too.
from sim.results.writer import (  # noqa: F401 - re-exported
    SCALAR_TABLES,
    FinishedChunk,
    ResultsWriter,
    base_manifest,
    finish_chunk,
    outcome_cell,
    write_json_atomic,
)

# --- reading a results folder back -------------------------------------------------------------


@dataclass
class Results:
    """A results folder read back: what plots and reports are drawn from.

    Daily series are read from disk one series at a time when asked for (and
    kept), never all at once: a large run's paths need not fit in memory.
    """

    folder: Path
    manifest: dict[str, Any]
    outcomes: dict[str, np.ndarray]  # name -> one value per replication (dates as datetime64)
    dates: np.ndarray  # datetime64[D], one per simulated day
    _series: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def series_kept(self) -> str:
        """What daily series this folder holds: all, quantiles, none (or csv, an older folder)."""
        if (self.folder / "series.csv").is_file():
            return "csv"
        if series_store.chunk_files(self.folder):
            return "all"  # also an interrupted quantiles run, whose paths are kept until it completes
        return self.manifest.get("series", {}).get("kept", "none")

    def series(self, name: str) -> np.ndarray:
        """A daily series as an array of shape (replications, days), in replication order."""
        if name not in self._series:
            self._check_series(name)
            if self.series_kept == "csv":
                self._series |= _read_series_csv(self.folder / "series.csv")
            elif self.series_kept == "all":
                self._series[name] = series_store.read_paths(self.folder, name)
            else:
                raise ResultsError(
                    f"{self.folder}: this run kept {self._kept_words()}, not single replications "
                    f"of {name!r} (run again with `--series all`)"
                )
        return self._series[name].reshape(-1, len(self.dates))

    def series_quantiles(
        self, name: str, levels: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
    ) -> np.ndarray:
        """Daily quantiles across replications, shape (levels, days): from the paths, or as stored."""
        self._check_series(name)
        if self.series_kept in ("all", "csv"):
            return series_store.daily_quantiles(self._paths_uncached(name), levels)
        stored = series_store.read_quantiles(self.folder, name, levels)
        if stored is None:
            raise ResultsError(
                f"{self.folder}: quantiles {list(levels)} of {name!r} are not stored "
                f"(stored levels: {', '.join(map(str, series_store.QUANTILE_LEVELS))})"
            )
        return stored

    def series_shares(self, name: str, codes: int) -> np.ndarray:
        """Share (0-1) of replications in each code of a categorical series, day by day: (codes, days)."""
        self._check_series(name)
        if self.series_kept in ("all", "csv"):
            return series_store.daily_shares(self._paths_uncached(name), codes)
        shares = series_store.read_shares(self.folder, name)
        if shares is None:
            raise ResultsError(f"{self.folder}: no daily shares of {name!r} stored")
        return shares

    def series_replications(self) -> int:
        """How many replications the daily series describe."""
        if self.series_kept == "quantiles":
            return series_store.quantile_count(self.folder) or 0
        return len(self.outcomes.get("rep", []))

    def series_names(self) -> list[str]:
        """The daily series this results folder holds (as paths or as quantiles)."""
        if self.series_kept == "csv":
            with (self.folder / "series.csv").open(newline="") as fh:
                return next(csv.reader(fh))[2:]
        return series_store.series_names(self.folder)

    def series_frame(self, names: list[str] | None = None, reps: list[int] | None = None):
        """Daily series as a tidy pandas table: ``rep``, ``date``, one column per series.

        ``names`` and ``reps`` choose columns and replications (default: all of both;
        mind the size of a large run).
        """
        import pandas as pd

        names = names or self.series_names()
        all_reps = self.outcomes["rep"].astype(int)
        chosen = all_reps if reps is None else np.array([r for r in all_reps if r in set(reps)], dtype=int)
        keep = np.isin(all_reps, chosen)
        days = len(self.dates)
        frame = {"rep": np.repeat(chosen, days), "date": np.tile(self.dates, len(chosen))}
        for name in names:
            frame[name] = self.series(name)[keep].ravel()
        return pd.DataFrame(frame)

    def _paths_uncached(self, name: str) -> np.ndarray:
        """Every path of one series, read for a summary and let go: drawing the default plots of
        a large run then holds one series at a time, not all of them."""
        if name in self._series or self.series_kept == "csv":
            return self.series(name)
        return series_store.read_paths(self.folder, name, dtype=np.float32)

    def _check_series(self, name: str) -> None:
        names = self.series_names()
        if not names:
            raise ResultsError(f"{self.folder}: this run kept {self._kept_words()}")
        if name not in names:
            raise ResultsError(
                f"{self.folder}: series {name!r} is not in this results folder "
                f"(available: {', '.join(names)})"
            )

    def _kept_words(self) -> str:
        return {
            "quantiles": "only daily quantiles of its series (--series quantiles)",
            "none": "no daily series (--series none)",
        }.get(self.series_kept, "daily series")


def _read_series_csv(path: Path) -> dict[str, np.ndarray]:
    """Every column of a ``series.csv`` (results folders written before the series/ folder)."""
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)[2:]
        columns: list[list[float]] = [[] for _ in header]
        for row in reader:
            for column, cell in zip(columns, row[2:], strict=True):
                column.append(float(cell) if cell else math.nan)
    return {name: np.array(col) for name, col in zip(header, columns, strict=True)}


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
    from pydantic import ValidationError

    from sim.scenario.schema import Scenario

    try:
        return Scenario.model_validate(_restore_dates(manifest["scenario"]["resolved"]))
    except (KeyError, TypeError, ValidationError) as exc:
        raise ResultsError(
            "the scenario in this folder's manifest is missing or not valid "
            f"({str(exc).splitlines()[0][:120]}); the manifest was damaged or edited"
        ) from None


def _column(rows: list[dict[str, str]], name: str, kind: str) -> np.ndarray:
    """One outcome column of the table: dates as ``datetime64``, everything else as floats."""
    if kind == "date":
        return np.array([np.datetime64(r[name]) if r[name] else np.datetime64("NaT") for r in rows])
    return np.array([float(r[name]) if r[name] else math.nan for r in rows])


def read_results(folder: Path) -> Results:
    """Open a results folder written by :class:`ResultsWriter`."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ResultsError(f"{folder}: not a results folder (no manifest.json)")
    manifest = load_manifest(manifest_path)
    table = folder / "outcomes.csv"
    try:
        with table.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise ResultsError(
            f"{folder}: no outcomes.csv (an interrupted run? `tradesim run --resume`)"
        ) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ResultsError(f"{table}: not a readable table ({str(exc)[:120]})") from None
    if not rows or "rep" not in rows[0]:
        raise ResultsError(
            f"{table}: no replications in it (empty or damaged); `tradesim run --resume` redoes them"
        )
    outcomes: dict[str, np.ndarray] = {}
    for name in rows[0]:
        kind = OUTCOMES[name].kind if name in OUTCOMES else "count"
        try:
            outcomes[name] = _column(rows, name, kind)
        except (ValueError, TypeError) as exc:
            raise ResultsError(f"{table}: column {name!r}: {str(exc)[:120]} (the table is damaged)") from None
    try:
        start = np.datetime64(manifest["calendar"]["start"])
        end = np.datetime64(manifest["calendar"]["end"])
    except (KeyError, TypeError, ValueError):
        raise ResultsError(f"{manifest_path}: no readable calendar (start and end); damaged?") from None
    dates = np.arange(start, end + np.timedelta64(1, "D"), dtype="datetime64[D]")
    return Results(folder=folder, manifest=manifest, outcomes=outcomes, dates=dates)
