"""Comparing scenarios on common random numbers.

Replication *i* of every scenario run with the same master seed shares its
random streams and the drawn value of every parameter the scenarios have in
common (:mod:`sim.core.streams`), so the difference between two scenarios can be
taken replication by replication. A paired difference has far less noise than
the difference of two independent medians: it shows what the scenario change
does, not luck.

A comparison folder holds one results folder per scenario (each one a normal
results folder that ``tradesim plot`` can redraw, with its daily series) and,
at the top, the outcome and parameter tables with a ``scenario`` column, plus
``comparison.csv``: one row per
outcome and scenario with its median, 90% interval and the paired difference
against the first scenario.
"""

from __future__ import annotations

import csv
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sim.core.paths import safe_name
from sim.experiments.run import default_workers, run_experiment
from sim.experiments.shared_history import plan_shared_history, run_shared_comparison
from sim.results.catalogue import OUTCOMES
from sim.results.folder import Results, read_results, write_json_atomic
from sim.results.safe_io import FolderLock, atomic_text
from sim.results.series_store import SeriesKept
from sim.results.summary import wilson_interval
from sim.scenario.loader import LoadedScenario
from sim.scenario.sampling import iter_parameters

#: Runs something other than a scenario file into a results folder (a saved game, see
#: ``sim.workshop.tournament``): called with the folder, reps, master seed, workers and a progress callback.
FolderRunner = Callable[[Path, int, int, int, Callable[[int], None] | None], object]


@dataclass
class ComparisonRow:
    """One outcome of one scenario, and its paired shift against the reference scenario."""

    outcome: str
    unit: str
    kind: str
    scenario: str
    n: int
    median: float  # share (0-1) for yes/no outcomes; days since the epoch for dates
    low: float
    high: float
    diff_median: float  # paired difference against the reference; nan for the reference itself
    diff_low: float
    diff_high: float


def outcome_numbers(values: np.ndarray) -> np.ndarray:
    """Outcome values as floats: dates become day numbers, missing values NaN."""
    if values.dtype.kind == "M":
        days = values.astype("datetime64[D]").astype("int64").astype(float)
        days[np.isnat(values)] = math.nan
        return days
    return values.astype(float)


def _quantiles(x: np.ndarray) -> tuple[float, float, float]:
    x = x[~np.isnan(x)]
    if not x.size:
        return math.nan, math.nan, math.nan
    q = np.quantile(x, [0.5, 0.05, 0.95])
    return float(q[0]), float(q[1]), float(q[2])


def compare(results: dict[str, Results]) -> list[ComparisonRow]:
    """Median, 90% interval and paired difference against the first scenario, per outcome.

    Replications are paired by their ``rep`` number. For yes/no outcomes the
    "median" is the share of replications (with a Wilson interval) and the
    difference is the paired difference in share (with a normal interval).
    """
    names = list(results)
    reference = results[names[0]]
    ref_reps = reference.outcomes["rep"].astype(int)
    rows: list[ComparisonRow] = []
    for outcome in reference.outcomes:
        if outcome == "rep" or any(outcome not in r.outcomes for r in results.values()):
            continue
        measure = OUTCOMES.get(outcome)
        kind = measure.kind if measure else "count"
        ref = outcome_numbers(reference.outcomes[outcome])
        for name in names:
            r = results[name]
            x = outcome_numbers(r.outcomes[outcome])
            reps = r.outcomes["rep"].astype(int)
            common, i_ref, i_x = np.intersect1d(ref_reps, reps, return_indices=True)
            paired = x[i_x] - ref[i_ref]
            if kind == "flag":
                ok = x[~np.isnan(x)]
                share, low, high = wilson_interval(int((ok > 0).sum()), ok.size)
                d = paired[~np.isnan(paired)]
                if name == names[0] or not d.size:
                    dm = dl = dh = math.nan
                else:
                    dm = float(d.mean())
                    half = (
                        1.6448536269514722 * float(d.std(ddof=1)) / math.sqrt(d.size) if d.size > 1 else 0.0
                    )
                    dl, dh = dm - half, dm + half
                med = share
            else:
                med, low, high = _quantiles(x)
                if name == names[0]:
                    dm = dl = dh = math.nan
                else:
                    dm, dl, dh = _quantiles(paired)
            rows.append(
                ComparisonRow(
                    outcome=outcome,
                    unit=measure.unit if measure else "",
                    kind=kind,
                    scenario=name,
                    n=int(common.size),
                    median=med,
                    low=low,
                    high=high,
                    diff_median=dm,
                    diff_low=dl,
                    diff_high=dh,
                )
            )
    return rows


def write_combined_tables(
    folder: Path, results: dict[str, Results], rows: list[ComparisonRow], column: str = "scenario"
) -> None:
    """Top-level tidy tables with a ``scenario`` (or ``column``) column, and ``comparison.csv``.

    Each file is written whole or not at all (:func:`sim.results.safe_io.atomic_text`); the caller
    holds the folder's lock. Daily series stay in each scenario's folder (``Results.series_frame``
    gives them as a table).
    """
    for table in ("outcomes", "parameters"):
        with atomic_text(folder / f"{table}.csv") as out:
            writer = csv.writer(out)
            header_written = False
            for name, r in results.items():
                with (r.folder / f"{table}.csv").open(newline="") as fh:
                    reader = csv.reader(fh)
                    header = next(reader)
                    if not header_written:
                        writer.writerow([column, *header])
                        first_header = header
                        header_written = True
                    if header != first_header:  # scenarios with different parameters: align by name
                        index = {h: i for i, h in enumerate(header)}
                        for row in reader:
                            writer.writerow(
                                [name, *(row[index[h]] if h in index else "" for h in first_header)]
                            )
                        continue
                    for row in reader:
                        writer.writerow([name, *row])
    with atomic_text(folder / "comparison.csv") as out:
        writer = csv.DictWriter(out, fieldnames=list(asdict(rows[0])) if rows else ["outcome"])
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(row).items()}
            )
    first = next(iter(results.values()))
    manifest = {
        "comparison": list(results),
        "reference": next(iter(results)),
        "master_seed": first.manifest.get("master_seed"),
        "folders": {name: str(r.folder) for name, r in results.items()},
        "tradesim_version": first.manifest.get("tradesim_version"),
    }
    write_json_atomic(folder / "manifest.json", manifest)


class ComparisonInterrupted(Exception):
    """Ctrl-C during a comparison: the scenarios finished so far are in ``folder``."""

    def __init__(self, scenario: str, folder: Path, kept: str = "finished scenarios are in"):
        super().__init__(f"interrupted during {scenario}; {kept} {folder}")
        self.scenario, self.folder = scenario, folder


def scenario_folders(folder: Path, names: list[str]) -> dict[str, Path]:
    """Each scenario's folder inside ``folder``: its name made a harmless folder name, unique.

    Names are text from scenario files; ``"/some/dir"`` or ``"../x"`` must stay inside ``folder``
    (the comparison's manifest records each scenario's folder, so readers never guess it).
    """
    out: dict[str, Path] = {}
    for name in names:
        stem = candidate = safe_name(name)
        k = 2
        while folder / candidate in out.values():
            candidate, k = f"{stem}-{k}", k + 1
        out[name] = folder / candidate
    return out


def run_comparison(
    scenarios: Mapping[str, LoadedScenario | FolderRunner],
    reps: int,
    master_seed: int,
    folder: Path,
    workers: int | None = None,
    progress: Callable[[str, int], None] | None = None,
    dask: str | None = None,
    series: SeriesKept = "all",
) -> tuple[dict[str, Results], list[ComparisonRow]]:
    """Run every scenario on the same seed into ``folder/NAME``, compare, and write the combined tables.

    ``scenarios`` maps a name to a loaded scenario, or to a :data:`FolderRunner` (a saved game).
    ``progress(name, n)`` is told each scenario's finished replications. Returns every scenario's
    results (the first is the reference) and the comparison rows of :func:`compare`.
    """
    folder = Path(folder)
    subfolders = scenario_folders(folder, list(scenarios))
    loaded = {name: entry for name, entry in scenarios.items() if isinstance(entry, LoadedScenario)}
    plan = plan_shared_history(loaded) if len(loaded) == len(scenarios) else None
    with FolderLock(folder):  # one comparison writes here at a time (each scenario's run locks its own)
        if plan is not None:  # they differ only at decision points: one history, forked at the first
            workers = default_workers() if workers is None else workers
            stopped = run_shared_comparison(
                loaded, plan, reps, master_seed, subfolders, workers, progress, dask, series
            )
            if stopped:
                raise ComparisonInterrupted("every scenario", folder, "the finished replications are in")
        else:
            for name, entry in scenarios.items():
                tick = (lambda k, n=name: progress(n, k)) if progress else None
                if isinstance(entry, LoadedScenario):
                    report = run_experiment(
                        entry, reps, master_seed, subfolders[name], workers, tick, dask, series
                    )
                    if report.interrupted:
                        raise ComparisonInterrupted(name, folder)
                else:
                    entry(subfolders[name], reps, master_seed, workers or 1, tick)
        results = {name: read_results(subfolders[name]) for name in scenarios}
        rows = compare(results)
        write_combined_tables(folder, results, rows)
    return results, rows


@dataclass
class ParameterChange:
    """One parameter that differs between two scenarios: its description and source in each (or None)."""

    path: str
    before: str | None
    before_source: str | None
    after: str | None
    after_source: str | None


def parameter_changes(a: LoadedScenario, b: LoadedScenario) -> list[ParameterChange]:
    """Every parameter whose value, distribution or source differs from ``a`` to ``b``, by path."""
    pa = dict(iter_parameters(a.spec))
    pb = dict(iter_parameters(b.spec))
    changed = []
    for path in sorted(set(pa) | set(pb)):
        da, db = pa.get(path), pb.get(path)
        if da is not None and db is not None and da.describe() == db.describe() and da.source == db.source:
            continue
        changed.append(
            ParameterChange(
                path,
                da.describe() if da else None,
                da.source if da else None,
                db.describe() if db else None,
                db.source if db else None,
            )
        )
    return changed


def paired_shifts(
    a: LoadedScenario, b: LoadedScenario, reps: int, master_seed: int, workers: int | None = None
) -> list[ComparisonRow]:
    """Run both scenarios on common random numbers (outcomes only, in a temporary folder): B's rows."""
    with tempfile.TemporaryDirectory(prefix="tradesim-diff-") as tmp:
        results = {}
        for loaded in (a, b):
            sub = Path(tmp) / ("a" if loaded is a else "b")
            run_experiment(loaded, reps, master_seed, sub, workers, series="none")
            results[loaded.name] = read_results(sub)
        return [r for r in compare(results) if r.scenario == b.name]
