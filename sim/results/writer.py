"""Writing a results folder as a run goes: rows in replication order, daily series a chunk at a time.

The layout is described in :mod:`sim.results.folder`, which reads it back. Everything
here is about streaming: a worker packs its finished replications into a
:class:`FinishedChunk`; :class:`ResultsWriter` puts each chunk on disk as soon
as it arrives, so the main process never holds the daily series of a run.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.clock import Clock
from sim.core.replication_result import ReplicationResult
from sim.core.version import __version__, source_hash
from sim.results import series_store
from sim.results.catalogue import OUTCOMES, SERIES
from sim.results.checkpoint import written_cell
from sim.results.safe_io import FolderLock, fsync_file, write_bytes_atomic, writing
from sim.results.series_store import SERIES_KEPT, SeriesKept

#: Tables written as CSV, one row per replication (daily series: :mod:`sim.results.series_store`).
SCALAR_TABLES = ("outcomes", "parameters")


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to the manifest")


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON next to its final name, fsync, then rename: readers never see half a file."""
    write_bytes_atomic(path, (json.dumps(data, indent=2, default=_json_default) + "\n").encode("utf-8"))


def _cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass
class FinishedChunk:
    """Replications a worker finished together: their scalar rows and their packed daily series.

    Small by design: the daily series travel as one compressed ``.npz`` blob
    (made in the worker), so the main process only writes bytes to disk.
    """

    reps: list[int]
    outcomes: list[dict[str, float]]
    parameters: list[dict[str, float]]
    series: bytes | None  # series_store.pack_chunk(...), None when no daily series are kept


def finish_chunk(results: list[ReplicationResult], keep_series: bool = True) -> FinishedChunk:
    """Pack replications (in replication order) for the trip back to the main process."""
    reps = [r.rep for r in results]
    series = series_store.pack_chunk(reps, [r.series for r in results]) if keep_series and results else None
    return FinishedChunk(reps, [r.outcomes for r in results], [r.parameters for r in results], series)


def outcome_cell(name: str, value: float, clock: Clock) -> Any:
    """How an outcome is written: dates as ISO dates, the rest as numbers."""
    if OUTCOMES.get(name) is not None and OUTCOMES[name].kind == "date":
        return "" if math.isnan(value) else clock.date(value).isoformat()
    return _cell(value)


class ResultsWriter:
    """Streams finished chunks of replications into a results folder.

    Each chunk's daily series go to their own file at once (in any order); its
    outcome and parameter rows are appended in replication order, so rows that
    arrive early wait here (scalars only). Memory in the main process is thus
    the scalar-outcome table at most, plus the one chunk being written.
    ``resume=True`` keeps the replications a folder already holds (see
    :meth:`finished_reps`) and rewrites their rows in order with the new ones.

    Safe against crashes and concurrent use (:mod:`sim.results.safe_io`): the writer holds the
    folder's lock from construction to :meth:`close` (a second writer gets ``FolderBusy``); the
    manifest is written first, marked incomplete, so a run killed in any way can be resumed;
    rows go to ``TABLE.csv.part`` (flushed after each chunk, read back by a resume) and every
    other file is written whole under a temporary name, fsynced and renamed. A fresh run
    removes tables and series a previous run left, so nothing old is mixed in.
    """

    def __init__(
        self,
        folder: Path,
        clock: Clock,
        manifest: dict[str, Any],
        series_kept: SeriesKept = "all",
        resume: bool = False,
    ):
        if series_kept not in series_store.SERIES_KEPT:
            raise ValueError(f"series_kept (={series_kept!r}) must be one of {', '.join(SERIES_KEPT)}")
        self.folder = folder = Path(folder)
        self.clock = clock
        self.manifest = manifest
        self.series_kept = series_kept
        self._waiting: dict[int, tuple[list, list]] = {}  # rep -> (outcome row, parameter row)
        self._headers: tuple[list[str], list[str]] | None = None
        self._next_rep = 0
        self.completed: list[int] = []
        self._files: dict[str, Any] = {}
        self._lock = FolderLock(folder).acquire()
        try:
            self._remove_temporaries()
            if resume:
                self._keep_finished()
            else:
                self._remove_previous()
                self._write_manifest(complete=False)
            with writing(folder / "outcomes.csv.part"):
                for name in SCALAR_TABLES:
                    self._files[name] = (folder / f"{name}.csv.part").open("w", newline="")
            self._writers = {name: csv.writer(fh) for name, fh in self._files.items()}
            if self._headers:
                self._write_headers()
            self._flush_in_order()
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        """Close what is open and drop the lock, writing nothing more (after a failure)."""
        for fh in self._files.values():
            with suppress(OSError):  # a full disk: the rows on disk stay as they are, a resume reads them
                fh.close()
        self._lock.release()

    def _remove_temporaries(self) -> None:
        """Half-written ``.tmp`` files of a killed writer (this one holds the lock: none is live)."""
        with writing(self.folder):
            for sub in (self.folder, self.folder / series_store.SUBFOLDER):
                for path in sub.glob("*.tmp") if sub.is_dir() else ():
                    path.unlink()

    def _remove_previous(self) -> None:
        """A fresh run starts from no rows and no series: whatever a previous run left goes."""
        with writing(self.folder):
            for name in SCALAR_TABLES:
                for suffix in (".csv", ".csv.part"):
                    (self.folder / f"{name}{suffix}").unlink(missing_ok=True)
            for path in series_store.chunk_files(self.folder):
                path.unlink()
            (self.folder / series_store.SUBFOLDER / series_store.QUANTILES_FILE).unlink(missing_ok=True)

    def _write_manifest(self, complete: bool) -> None:
        self.manifest.update(
            complete=complete,
            reps_completed=len(self.completed),
            reps_done=sorted(self.completed),
            series={
                "kept": self.series_kept,
                "folder": series_store.SUBFOLDER,
                "quantile_levels": list(series_store.QUANTILE_LEVELS),
            },
        )
        write_json_atomic(self.folder / "manifest.json", self.manifest)

    def finished_reps(self) -> set[int]:
        """Replications already on disk (complete rows, and series when series are kept)."""
        return set(self.completed) | set(self._waiting)

    def _keep_finished(self) -> None:
        """Read back the rows of a folder being resumed; drop anything half there.

        Rows are in ``TABLE.csv`` (a run stopped cleanly) or ``TABLE.csv.part`` (a run killed
        while writing), or both (a resume killed in its turn): every whole row of either counts.
        A damaged row, or a series chunk that does not read back whole, is dropped: its
        replications are simulated again, so the resumed folder is an uninterrupted run's.
        """
        tables = {}
        for name in SCALAR_TABLES:
            header, rows = _read_rows(self.folder / f"{name}.csv", self.folder / f"{name}.csv.part")
            if header is None:
                return
            tables[name] = (header, rows)
        (outcome_header, outcome_rows), (param_header, by_rep) = tables["outcomes"], tables["parameters"]
        done = set(outcome_rows) & set(by_rep)
        if (
            self.series_kept != "none"
            and not (self.folder / series_store.SUBFOLDER / series_store.QUANTILES_FILE).exists()
        ):
            for path in series_store.chunk_files(self.folder):  # damaged: its replications are run again
                if not series_store.chunk_is_whole(path):
                    path.unlink()
            done &= series_store.stored_reps(self.folder)
            for path in series_store.chunk_files(self.folder):  # a chunk with rows missing is redone
                held = set(series_store.chunk_reps(path).tolist())
                if not held <= done:
                    path.unlink()
                    done -= held  # whole: its reps that had rows lost their series with it
        self._headers = (outcome_header[1:], param_header[1:])
        for rep in sorted(done):
            self._waiting[rep] = (outcome_rows[rep], by_rep[rep])

    def _write_headers(self) -> None:
        assert self._headers is not None
        self._writers["outcomes"].writerow(["rep", *self._headers[0]])
        self._writers["parameters"].writerow(["rep", *self._headers[1]])

    def write_chunk(self, chunk: FinishedChunk) -> None:
        """Store a finished chunk: its series file now, its rows as soon as every earlier rep is in."""
        if not chunk.reps:
            return
        if chunk.series is not None and self.series_kept != "none":
            write_bytes_atomic(series_store.chunk_path(self.folder, chunk.reps), chunk.series)
        if self._headers is None:
            self._headers = (list(chunk.outcomes[0]), list(chunk.parameters[0]))
            self._write_headers()
        outcome_names, param_names = self._headers
        dates = [(i, n) for i, n in enumerate(outcome_names) if n in OUTCOMES and OUTCOMES[n].kind == "date"]
        for rep, outcomes, parameters in zip(chunk.reps, chunk.outcomes, chunk.parameters, strict=True):
            # what ``outcome_cell`` and ``_cell`` write, without a call per cell (a thousand replications
            # have a quarter of a million cells): NaN (the one value unequal to itself) as an empty
            # cell, dates as ISO dates (``str`` of a date, as the csv module writes it)
            outcome_row = [outcomes[n] for n in outcome_names]
            for i, n in dates:
                outcome_row[i] = outcome_cell(n, outcomes[n], self.clock)
            self._waiting[rep] = (
                [rep, *("" if v != v else v for v in outcome_row)],
                [rep, *("" if v != v else v for v in (parameters[n] for n in param_names))],
            )
        self._flush_in_order()

    def write(self, results: Iterable[ReplicationResult]) -> None:
        """Store finished replications (one chunk)."""
        self.write_chunk(finish_chunk(list(results), self.series_kept != "none"))

    def _flush_in_order(self, everything: bool = False) -> None:
        """Append waiting rows in replication order (``everything``: gaps allowed, at the end)."""
        order = sorted(self._waiting) if everything else []
        while not everything and self._next_rep in self._waiting:
            order.append(self._next_rep)
            self._next_rep += 1
        with writing(self.folder / "outcomes.csv.part"):
            for rep in order:
                outcome_row, param_row = self._waiting.pop(rep)
                self._writers["outcomes"].writerow(outcome_row)
                self._writers["parameters"].writerow(param_row)
                self.completed.append(rep)
            for fh in self._files.values():
                fh.flush()

    def reduce_to_quantiles(self, map_series: series_store.SeriesMap = map) -> None:
        """Reduce the chunk files to daily quantiles (``--series quantiles``, every replication in).

        ``map_series`` spreads the series over processes (a pool's ``map``): a run calls this on its
        workers as soon as the last chunk is written, so the reduction is not a serial tail.
        """
        with writing(self.folder / series_store.SUBFOLDER / series_store.QUANTILES_FILE):
            series_store.reduce_to_quantiles(self.folder, map_series)

    def close(self, complete: bool) -> None:
        """Move the tables into place, reduce series to quantiles if asked, write the manifest last.

        The lock is released however this ends; a failed write raises ``WriteFailed`` and leaves
        the manifest marked incomplete, so ``--resume`` can finish the run.
        """
        try:
            self._flush_in_order(everything=True)
            for name, fh in self._files.items():
                path = self.folder / f"{name}.csv"
                with writing(path):
                    fsync_file(fh)
                    fh.close()
                    os.replace(self.folder / f"{name}.csv.part", path)
            if complete and self.series_kept == "quantiles":
                self.reduce_to_quantiles()  # nothing left to do if the run reduced them on its workers
            self.manifest["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            normal = _normal_flow(self.folder / "outcomes.csv")
            if normal is not None:
                self.manifest["normal_flow"] = normal
            self._write_manifest(complete)
        finally:
            self._abandon()


def stored_reps(folder: Path) -> set[int]:
    """Replications with a whole row in both scalar tables (finished or ``.part``): a resume's start."""
    done: set[int] | None = None
    for name in SCALAR_TABLES:
        _, rows = _read_rows(folder / f"{name}.csv", folder / f"{name}.csv.part")
        done = set(rows) if done is None else done & set(rows)
    return done or set()


def _read_rows(*paths: Path) -> tuple[list[str] | None, dict[int, list[str]]]:
    """The header and the whole rows (by replication) of a table's files, merged.

    A file cut short by a crash ends without a line break: its last, partial line is dropped,
    and so is any row with the wrong number of cells, a replication number that is not one, or
    a cell that is not what the writer writes (in the outcomes table: a number, an ISO date or
    nothing; in any table: no byte that is not UTF-8): a damaged row is simulated again, so the
    resumed table is the one an uninterrupted run writes. A file whose header is damaged, or
    differs from the first file's (another run's), is ignored.
    """
    cell_ok = written_cell if paths and paths[0].name.startswith("outcomes.") else _text_cell
    header: list[str] | None = None
    rows: dict[int, list[str]] = {}
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]
        lines = list(csv.reader(text.splitlines(keepends=True)))
        if not lines:
            continue
        if not lines[0] or not all(map(_text_cell, lines[0])) or "" in lines[0]:
            continue
        if header is None:
            header = lines[0]
        elif lines[0] != header:
            continue
        for row in lines[1:]:
            if len(row) == len(header) and row[0].isdigit() and all(map(cell_ok, row[1:])):
                rows.setdefault(int(row[0]), row)
    return header, rows


def _text_cell(cell: str) -> bool:
    """A cell with no undecodable byte (read as U+FFFD) and no control character."""
    return "\ufffd" not in cell and cell.isprintable()


#: the outcome that holds each replication's normal China-to-US flow
NORMAL_FLOW_OUTCOME = "china_us_normal_flow"


def _normal_flow(outcomes_csv: Path) -> dict[str, Any] | None:
    """The normal China-to-US flow over the replications (tonnes/day): the base of the monthly
    shipments shares, drawn per replication (each one's value is in the outcomes table)."""
    with outcomes_csv.open(newline="") as fh:  # one column, row by row: the table is never held as text
        rows = csv.reader(fh)
        header = next(rows, [])
        if NORMAL_FLOW_OUTCOME not in header:
            return None
        col = header.index(NORMAL_FLOW_OUTCOME)
        values = np.array([float(r[col]) for r in rows if r[col] != ""])
    if not values.size:
        return None
    low, median, high = np.quantile(values, [0.05, 0.5, 0.95])
    return {
        "china_us_tonnes_per_day": {"median": float(median), "p05": float(low), "p95": float(high)},
        "meaning": "magnet tonnes a day China shipped to US users before the controls, all sectors "
        "(departures); the base of the china_us_shipments_* outcomes; per replication: "
        f"{NORMAL_FLOW_OUTCOME}",
    }


def base_manifest(
    scenario: Any, master_seed: int, reps: int, workers: int, key_dates: list[dict[str, str]]
) -> dict[str, Any]:
    """The manifest of a run before it starts: enough to re-run any replication."""
    return {
        "tradesim_version": __version__,
        "source_sha256": source_hash(),  # the exact code: every sim/**/*.py
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
