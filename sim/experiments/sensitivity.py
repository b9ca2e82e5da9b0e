"""Which uncertain parameter drives an outcome: Morris screening and Sobol indices, with SALib.

Every uncertain parameter of a scenario is sampled in its own quantile space:
a design point is a vector of uniform numbers, one per parameter, pushed
through each parameter's inverse CDF (:mod:`sim.scenario.distributions`), so a
parameter varies over its own distribution (between its 1st and 99th
percentiles, to keep unbounded tails finite) whatever its form. SALib draws
the design and computes the indices; tradesim only runs the model.

Every design point uses the same random streams (those of replication 0 of
the master seed): common random numbers, so that index differences come from
the parameters, not from luck. The seed also fixes SALib's design, which is
what lets an interrupted analysis resume: its finished model runs are kept in
a table (:mod:`sim.results.checkpoint`) and the design is drawn again the same.

A study can be narrowed to some ``parameters`` (the others are held at their
medians), or screen ``groups`` of parameters (e.g. one per subsystem) that move
together: both make a design small enough for a classroom laptop.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from sim.core.paths import safe_name
from sim.experiments.run import executor
from sim.model.replication import run_replication
from sim.results.catalogue import OUTCOMES
from sim.results.checkpoint import ResumableTable
from sim.results.folder import write_json_atomic
from sim.results.safe_io import FolderLock, atomic_text
from sim.scenario.sampling import uncertain_parameters
from sim.scenario.schema import Scenario

Method = Literal["morris", "sobol"]
QUANTILE_RANGE = (0.01, 0.99)


@dataclass
class SensitivityResult:
    """Indices of every uncertain parameter for one outcome, most influential first."""

    method: Method
    outcome: str
    names: list[str]
    index: np.ndarray  # mu* (Morris) or total-order index ST (Sobol)
    conf: np.ndarray  # its 95% confidence half-width
    other: np.ndarray  # sigma (Morris) or first-order index S1 (Sobol)
    design: np.ndarray  # design points (uniform numbers), one row per model run
    values: np.ndarray  # the outcome at each design point
    filled: int  # design points with no value (e.g. no halt at all), set to the largest value seen

    def ranked(self) -> list[int]:
        return list(np.argsort(-np.nan_to_num(self.index, nan=-np.inf)))


def _evaluate(
    spec: Scenario,
    seed: int,
    names: list[str],
    rows: np.ndarray,
    outcome: str,
    held: Mapping[str, float] | None = None,
) -> list[float]:
    out = []
    for row in rows:
        overrides = dict(held or {}) | dict(zip(names, row.tolist(), strict=True))
        result = run_replication(spec, seed, 0, overrides)
        out.append(float(result.outcomes[outcome]))
    return out


class SensitivityInterrupted(Exception):
    """Ctrl-C during an analysis that keeps its model runs: what is on disk, and how to finish."""

    def __init__(self, folder: Path, done: int, total: int):
        super().__init__(f"kept {done} of {total} model runs in {folder}")
        self.folder, self.done, self.total = folder, done, total


def sample_design(
    names: list[str], method: Method, samples: int, seed: int, groups: list[str] | None = None
) -> tuple[dict, np.ndarray]:
    """SALib's problem and design (uniform numbers, one row per model run); the seed fixes both.

    ``groups`` names each parameter's group (SALib groups: one factor, one index per group).
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": len(names), "names": names, "bounds": [list(QUANTILE_RANGE)] * len(names)}
    if groups is not None:
        problem["groups"] = groups
    if method == "morris":
        return problem, morris_sample.sample(problem, samples, num_levels=4, seed=seed)
    return problem, sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)


def _kept_values(table: ResumableTable, names: list[str], design: np.ndarray, outcome: str) -> list[float]:
    """Model runs already in an evaluations table, checked against the design they must continue."""
    if table.kept and table.header[-1] != outcome:
        raise ValueError(f"{table.path}: runs of {table.header[-1]!r}, not {outcome!r}; not resumable")
    if table.kept and table.header[1:-1] != names:
        raise ValueError(f"{table.path}: runs over other parameters than this scenario's; not resumable")
    values = []
    for i, row in enumerate(table.kept):
        if i >= len(design) or int(row[0]) != i or [float(x) for x in row[1:-1]] != design[i].tolist():
            raise ValueError(f"{table.path}: row {i + 1} is not this analysis's design point; not resumable")
        values.append(float(row[-1]) if row[-1] else math.nan)
    return values


def evaluate_design(
    spec: Scenario,
    outcome: str,
    names: list[str],
    design: np.ndarray,
    seed: int,
    workers: int = 1,
    progress=None,
    dask: str | None = None,
    table: ResumableTable | None = None,
    held: Mapping[str, float] | None = None,
) -> np.ndarray:
    """The outcome at every design point, in design order.

    With a ``table``, each finished run is appended to it (after the runs it
    already holds, which are not run again); Ctrl-C then raises
    :class:`SensitivityInterrupted` with every finished run kept.
    """
    values = _kept_values(table, names, design, outcome) if table is not None else []
    if progress and values:
        progress(len(values))
    start = len(values)
    header = ["run", *names, outcome]

    def keep(first: int, new: list[float]) -> None:
        values.extend(new)
        if table is not None:
            rows = design[first : first + len(new)].tolist()
            table.append(
                header,
                ([first + k, *row, _cell(v)] for k, (row, v) in enumerate(zip(rows, new, strict=True))),
            )
        if progress:
            progress(len(new))

    try:
        if workers > 1 or dask:
            bounds = np.array_split(np.arange(start, len(design)), max(1, min(len(design), workers * 8)))
            chunks = [(int(c[0]), design[c[0] : c[-1] + 1]) for c in bounds if c.size]
            with executor(workers, dask) as pool:
                futures = [
                    pool.submit(_evaluate, spec, seed, names, rows, outcome, held) for _, rows in chunks
                ]
                for future, (first, _) in zip(futures, chunks, strict=True):  # design order
                    keep(first, future.result())
        else:
            for i in range(start, len(design)):
                keep(i, _evaluate(spec, seed, names, design[i : i + 1], outcome, held))
    except KeyboardInterrupt:
        if table is None:
            raise
        raise SensitivityInterrupted(table.path.parent, len(values), len(design)) from None
    return np.array(values)


def _cell(value: float) -> str:
    return "" if math.isnan(value) else repr(value)


def run_sensitivity(
    spec: Scenario,
    outcome: str,
    method: Method = "morris",
    samples: int = 20,
    seed: int = 1,
    workers: int = 1,
    progress=None,
    dask: str | None = None,
    folder: Path | None = None,
    resume: bool = False,
    scenario_name: str = "",
    parameters: Sequence[str] | None = None,
    groups: Mapping[str, str] | None = None,
) -> SensitivityResult:
    """Sample the design, run the model at every point, and analyse with SALib.

    ``folder`` keeps every model run in ``folder/evaluations.csv`` (design point,
    its uniform coordinates, the outcome) beside a manifest, as runs finish:
    Ctrl-C then raises :class:`SensitivityInterrupted` and keeps them, and
    ``resume=True`` runs only the rest, ending with the indices of an
    uninterrupted analysis.

    ``parameters``: vary only these (dotted paths); the other uncertain parameters
    stay at their medians. ``groups``: parameter -> group name; each group moves as
    one factor and gets one index (SALib groups), so a screen of a few groups
    costs a few runs per trajectory whatever the number of parameters.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    every = sorted(uncertain_parameters(spec))
    names = every
    if parameters is not None:
        unknown = [p for p in parameters if p not in every]
        if unknown:
            raise ValueError(
                f"not uncertain parameters of {spec.name}: {', '.join(unknown)} "
                f"(see `tradesim show {spec.name}`; uncertain ones: {', '.join(every)})"
            )
        names = sorted(set(parameters))
    held = {p: 0.5 for p in every if p not in names}  # the median of any distribution
    if len(names) < 2:
        raise ValueError("sensitivity analysis needs at least two uncertain parameters")
    group_of = None
    if groups is not None:
        ungrouped = [n for n in names if n not in groups]
        if ungrouped:
            raise ValueError(f"groups: no group given for {', '.join(ungrouped)}")
        if len({groups[n] for n in names}) < 2:
            raise ValueError("groups: sensitivity analysis needs at least two groups")
        group_of = [groups[n] for n in names]
    problem, design = sample_design(names, method, samples, seed, group_of)
    # one writer of the folder at a time: a second analysis or --resume there is refused
    with FolderLock(folder) if folder is not None else nullcontext():
        table = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            manifest = {
                "sensitivity": {
                    "outcome": outcome,
                    "method": method,
                    "samples": samples,
                    "runs": len(design),
                },
                "seed": seed,
                "parameters": names if parameters is not None else None,
                "groups": dict(groups) if groups is not None else None,
                "scenario": {
                    "name": scenario_name,
                    "resolved": spec.model_dump(mode="json", exclude_none=True),
                },
                "complete": False,
            }
            # a resumed analysis's manifest says this already: a refused resume changes nothing
            if not (resume and (folder / "manifest.json").is_file()):
                write_json_atomic(folder / "manifest.json", manifest)
            table = ResumableTable(folder / "evaluations.csv", resume)
        failed = True
        try:
            y = evaluate_design(spec, outcome, names, design, seed, workers, progress, dask, table, held)
            failed = False
        finally:
            if table is not None:
                table.close(failed=failed)  # refused before a new run: the table is left as it was
        if folder is not None:
            write_json_atomic(folder / "manifest.json", manifest | {"complete": True})
    missing = np.isnan(y)
    if missing.all():
        raise ValueError(f"{outcome} has no value at any design point")
    y[missing] = np.nanmax(y)
    if method == "morris":
        res = morris_analyze.analyze(problem, design, y, num_levels=4, seed=seed)
        index, conf, other = res["mu_star"], res["mu_star_conf"], res["sigma"]
    else:
        res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        index, conf, other = res["ST"], res["ST_conf"], res["S1"]
    return SensitivityResult(
        method=method,
        outcome=outcome,
        names=list(res["names"]) if groups is not None else names,
        index=np.asarray(index, dtype=float),
        conf=np.asarray(conf, dtype=float),
        other=np.asarray(other, dtype=float),
        design=design,
        values=y,
        filled=int(missing.sum()),
    )


def runs_needed(n_params: int, samples: int, method: Method) -> int:
    """How many model runs a design costs."""
    return samples * (n_params + 1) if method == "morris" else samples * (n_params + 2)


def fmt(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:,.3g}"


@dataclass
class SensitivityRequest:
    """What an analysis is to do: read from the command line, or from an interrupted analysis's folder."""

    spec: Scenario
    scenario: str
    outcome: str
    method: Method
    samples: int
    seed: int
    folder: Path  # where the table and chart go; the runs go to ``folder / stem``

    @property
    def stem(self) -> str:
        """``sensitivity_SCENARIO_OUTCOME_METHOD``: the name of the table, the chart and the runs folder."""
        return safe_name(f"sensitivity_{self.scenario}_{self.outcome}_{self.method}")

    @property
    def runs(self) -> Path:
        return self.folder / self.stem


def check_request(outcome: str, method: str, samples: int) -> None:
    """Refuse a request SALib or the catalogue cannot serve, naming the option (``ValueError``)."""
    if method not in ("morris", "sobol"):
        raise ValueError(f"--method must be morris or sobol, got {method!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; one of: {', '.join(OUTCOMES)}")
    if method == "sobol" and samples & (samples - 1):
        raise ValueError(f"--samples must be a power of 2 for sobol (got {samples})")


def read_request(runs: Path) -> SensitivityRequest:
    """The request of an interrupted analysis, from its runs folder's manifest (``ValueError`` if none)."""
    from sim.results.folder import ResultsError, scenario_from_manifest
    from sim.results.kinds import saved_request

    runs = Path(runs)
    inner = sorted(p.parent for p in runs.glob("sensitivity_*/manifest.json"))
    if not (runs / "manifest.json").is_file() and len(inner) == 1:
        runs = inner[0]  # the folder given to --out: its one analysis's runs
    try:
        saved = saved_request(runs, "sensitivity --resume", "sensitivity", "sensitivity")
    except ResultsError as exc:
        raise ValueError(str(exc)) from exc
    return SensitivityRequest(
        spec=scenario_from_manifest(saved),
        scenario=saved["scenario"]["name"] or runs.name,
        outcome=saved["sensitivity"]["outcome"],
        method=saved["sensitivity"]["method"],
        samples=int(saved["sensitivity"]["samples"]),
        seed=int(saved["seed"]),
        folder=runs.parent,
    )


def index_columns(method: Method) -> tuple[str, str, str]:
    """Names of (index, its confidence half-width, the other statistic) for a method."""
    return ("mu_star", "mu_star_conf", "sigma") if method == "morris" else ("ST", "ST_conf", "S1")


def write_indices(result: SensitivityResult, path: Path) -> Path:
    """The indices, most influential parameter first, as a CSV table (written atomically)."""
    with atomic_text(path) as fh:
        writer = csv.writer(fh)
        writer.writerow(["parameter", *index_columns(result.method)])
        for i in result.ranked():
            writer.writerow([result.names[i], result.index[i], result.conf[i], result.other[i]])
    return path
