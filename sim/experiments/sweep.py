"""Parameter sweeps: a grid or a Latin hypercube over named parameters, in their own units.

At each design point the varied parameters are fixed (the scenario is
re-validated with those values, so a probability of 1.2 is refused like in a
file) and every other uncertain parameter keeps its distribution. Each point
runs the same replications (0 to reps-1 of the master seed): common random
numbers, so differences between points come from the design, not from luck.

The results folder holds ``outcomes.csv`` (one row per design point and
replication: ``point``, the varied parameters, ``rep``, then every scalar
outcome), ``manifest.json`` and plots of outcomes against each varied parameter.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.limits import MAX_DESIGN_POINTS
from sim.experiments.run import executor
from sim.model.replication import run_replication
from sim.results.checkpoint import ResumableTable
from sim.results.safe_io import FolderLock
from sim.results.writer import outcome_cell, write_json_atomic
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.sampling import iter_parameters
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Vary:
    """One varied parameter: its dotted path and range (and grid steps)."""

    path: str
    low: float
    high: float
    steps: int = 5


def parse_vary(text: str, spec: Scenario) -> Vary:
    """``PATH=LOW:HIGH[:STEPS]``, checked against the scenario's parameters."""
    if "=" not in text:
        raise ValueError(f"--vary {text!r}: expected PATH=LOW:HIGH[:STEPS]")
    path, _, rng = text.partition("=")
    known = {p for p, _ in iter_parameters(spec)}
    if path not in known:
        close = sorted(p for p in known if path.split(".")[-1] in p)[:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see `tradesim show SCENARIO`)"
        raise ValueError(f"--vary: {path!r} is not a parameter of this scenario{hint}")
    parts = rng.split(":")
    try:
        low, high = float(parts[0]), float(parts[1])
        steps = int(parts[2]) if len(parts) > 2 else 5
    except (IndexError, ValueError):
        raise ValueError(f"--vary {text!r}: expected PATH=LOW:HIGH[:STEPS] with numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"--vary {text!r}: LOW and HIGH must be finite numbers")
    if high < low or steps < 2:
        raise ValueError(f"--vary {text!r}: needs LOW <= HIGH and at least 2 steps")
    if steps > MAX_DESIGN_POINTS:
        raise ValueError(
            f"--vary {text!r}: {steps} steps; at most {MAX_DESIGN_POINTS:,} design points in all"
        )
    return Vary(path, low, high, steps)


def design_points(varies: list[Vary], lhs: int | None = None, seed: int = 1) -> np.ndarray:
    """The design: a full grid, or ``lhs`` Latin-hypercube points (rows) over the varied ranges."""
    size = lhs if lhs else math.prod(v.steps for v in varies)
    if size > MAX_DESIGN_POINTS:
        raise ValueError(
            f"the design has {size:,} points; at most {MAX_DESIGN_POINTS:,} "
            "(fewer --vary steps, or --lhs N for a Latin hypercube of N points)"
        )
    lows = np.array([v.low for v in varies])
    highs = np.array([v.high for v in varies])
    if lhs:
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(varies), seed=seed).random(lhs)
        return lows + unit * (highs - lows)
    axes = [np.linspace(v.low, v.high, v.steps) for v in varies]
    return np.array(list(itertools.product(*axes)))


def with_values(spec: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with some parameters fixed to given values (validated again)."""
    raw = spec.model_dump(exclude_none=True)
    for path, value in values.items():
        *parents, leaf = path.split(".")
        node = raw
        for part in parents:
            node = node[part]
        node[leaf] = {"value": value, "source": "what-if: parameter sweep"}
    return Scenario.model_validate(raw)


def _run_point(spec: Scenario, seed: int, reps: int) -> list[dict[str, float]]:
    return [run_replication(spec, seed, rep).outcomes for rep in range(reps)]


@dataclass
class SweepReport:
    table: Path
    points_done: int
    points: int
    interrupted: bool


def _points_done(table: ResumableTable, varies: list[Vary], points: np.ndarray, reps: int) -> int:
    """Design points already complete in a sweep table; the rows of any later point are dropped.

    Rows come a whole point at a time, in design order: the kept rows count while each is
    the next (point, replication) of this design, with this design's values. A table whose
    columns are not this sweep's is refused (``ValueError``); a point cut short is run again.
    """
    if not table.header:
        return 0
    fixed = ["point", *[v.path for v in varies], "rep"]
    if table.header[: len(fixed)] != fixed or len(table.header) == len(fixed):
        raise ValueError(f"{table.path}: its columns are not this sweep's ({', '.join(fixed)}, outcomes)")
    good = 0
    for i, row in enumerate(table.kept):
        point, rep = divmod(i, reps)
        values = [float(x) for x in row[1 : len(varies) + 1]]
        if point >= len(points) or row[0] != str(point) or row[len(fixed) - 1] != str(rep):
            break
        if values != points[point].tolist():
            break
        good = i + 1
    done = good // reps
    table.keep_first(done * reps)
    return done


def run_sweep(
    loaded: LoadedScenario,
    varies: list[Vary],
    points: np.ndarray,
    reps: int,
    seed: int,
    folder: Path,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    design: str = "grid",
    dask: str | None = None,
    resume: bool = False,
    outcomes: list[str] | None = None,
) -> SweepReport:
    """Run the design points and write the sweep's results folder.

    Rows are written a whole design point at a time, in design order. Ctrl-C
    keeps every finished point (the manifest says the sweep is incomplete);
    ``resume=True`` runs only the points not yet in the table, so a resumed sweep
    ends with the same table as an uninterrupted one. ``outcomes`` (the ones to plot)
    are kept in the manifest, so a resumed sweep plots what it was started for.
    """
    specs = [
        with_values(loaded.spec, dict(zip([v.path for v in varies], row, strict=True))) for row in points
    ]
    folder.mkdir(parents=True, exist_ok=True)
    from sim.core.clock import Clock

    with FolderLock(folder):  # one writer of the folder at a time: a second sweep or --resume is refused
        clock = Clock(loaded.spec.calendar.start, loaded.spec.calendar.end)
        table = ResumableTable(folder / "outcomes.csv", resume)
        try:
            done = _points_done(table, varies, points, reps)
        except ValueError:
            table.close(failed=True)
            raise
        manifest: dict[str, Any] = {
            "sweep": {
                "scenario": loaded.name,
                "scenario_file": str(loaded.path),
                "varied": [vars(v) for v in varies],
                "points": len(points),
                "design": design,
                "design_points": points.tolist(),
                "outcomes": list(outcomes or []),
            },
            "master_seed": seed,
            "reps_per_point": reps,
            "complete": False,
        }
        names: list[str] | None = table.header[len(varies) + 2 :] if table.header else None
        finished = done
        interrupted = False

        def write(point: int, rows: list[dict[str, float]]) -> None:
            nonlocal names, finished
            names = names or list(rows[0])
            if set(names) != set(rows[0]):  # a resumed table's outcome columns: not this model's
                raise ValueError(
                    f"{table.path}: its outcome columns are not the ones this scenario produces; "
                    "not resumable (run the sweep again with --out elsewhere)"
                )
            table.append(
                ["point", *[v.path for v in varies], "rep", *names],
                (
                    [point, *points[point].tolist(), rep, *(outcome_cell(n, row[n], clock) for n in names)]
                    for rep, row in enumerate(rows)
                ),
            )
            finished = point + 1
            if progress:
                progress(len(rows))

        todo = list(range(done, len(specs)))
        with table:
            try:
                if workers > 1 or dask:
                    with executor(workers, dask) as pool:
                        futures = {i: pool.submit(_run_point, specs[i], seed, reps) for i in todo}
                        for i in todo:  # in design order: the table is the same for any worker count
                            write(i, futures[i].result())
                else:
                    for i in todo:
                        write(i, _run_point(specs[i], seed, reps))
            except KeyboardInterrupt:
                interrupted = True
        manifest.update(
            complete=finished == len(points),
            points_done=finished,
            finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        write_json_atomic(folder / "manifest.json", manifest)
        return SweepReport(table.path, finished, len(points), interrupted)


@dataclass
class SweepRequest:
    """An interrupted sweep's settings, read back from its folder to resume it."""

    scenario: LoadedScenario
    varies: list[Vary]
    points: np.ndarray
    reps: int
    seed: int
    design: str
    outcomes: list[str]  # the outcomes it was started to plot (empty: the default)


def read_sweep_request(folder: Path) -> SweepRequest:
    """The settings of the sweep in ``folder`` (``ValueError`` if it is not one)."""
    from sim.results.folder import ResultsError
    from sim.results.kinds import saved_request

    folder = Path(folder)
    try:
        saved = saved_request(folder, "sweep --resume", "sweep", "sweep")
    except ResultsError as exc:
        raise ValueError(str(exc)) from exc
    sweep = saved["sweep"]
    return SweepRequest(
        scenario=load_scenario(sweep["scenario_file"]),
        varies=[Vary(**v) for v in sweep["varied"]],
        points=np.array(sweep["design_points"], dtype=float),
        reps=int(saved["reps_per_point"]),
        seed=int(saved["master_seed"]),
        design=sweep["design"],
        outcomes=list(sweep.get("outcomes", [])),
    )


def default_outcomes(spec: Scenario) -> list[str]:
    """What a sweep plots when asked for nothing: GDP lost by year-end, or the backlog without a US side."""
    return ["gdp_loss_year_end_pct" if spec.has_us_side else "backlog_at_deadline"]
