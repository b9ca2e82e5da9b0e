"""Luck or ignorance: how much of an outcome's spread comes from uncertain parameters, how much from chance.

A Monte Carlo run draws new parameter values and new random events in every
replication, so its spread mixes two things: what we do not know (the
parameters: how fast China approves, how much stock plants hold) and what
nobody could know (which applications are refused, when a ship lands). More
research narrows the first; nothing narrows the second.

Nested replications separate them: ``param_sets`` draws of the parameters,
each simulated with ``seeds`` independent sets of random streams. For an
outcome Y this is a one-way random-effects design, and the law of total
variance splits Var(Y) = Var(E[Y | parameters]) + E[Var(Y | parameters)].
With K parameter sets of M seeds, group means m_i and within-group variances
s_i^2 (the ANOVA estimators):

    chance     = mean of s_i^2                               (E[Var(Y | parameters)])
    parameters = max(0, var(m_i) - chance / M)               (Var(E[Y | parameters]))

The 90% intervals come from resampling parameter sets with replacement (a
cluster bootstrap), so they carry the uncertainty of both components.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sim.core.streams import Streams
from sim.experiments.run import default_workers, executor
from sim.model.replication import simulate
from sim.results.catalogue import OUTCOMES
from sim.results.safe_io import FolderLock, atomic_text
from sim.scenario.distributions import Fixed
from sim.scenario.sampling import iter_parameters
from sim.scenario.schema import Scenario


def parameter_set(spec: Scenario, master_seed: int, index: int) -> dict[str, float]:
    """The uniform numbers of every uncertain parameter in parameter set ``index``.

    They are replication ``index``'s own parameter draws, so parameter set i of a
    nested run has the parameters of replication i of an ordinary run.
    """
    paths = [path for path, dist in iter_parameters(spec) if not isinstance(dist, Fixed)]
    uniforms = Streams(master_seed, index).parameter_uniforms(paths).tolist()
    return dict(zip(paths, uniforms, strict=True))


def chance_rep(index: int, seed: int, seeds: int) -> int:
    """The replication whose random streams seed number ``seed`` of parameter set ``index`` uses."""
    return index * seeds + seed


def run_parameter_set(
    spec: Scenario, master_seed: int, index: int, seeds: int
) -> tuple[int, list[dict[str, float]]]:
    """Every seed of one parameter set: the unit of work sent to a worker."""
    uniforms = parameter_set(spec, master_seed, index)
    rows = []
    for seed in range(seeds):
        model, _ = simulate(spec, master_seed, chance_rep(index, seed, seeds), overrides=uniforms)
        rows.append(model.outcomes())
    return index, rows


def nested_outcomes(
    spec: Scenario,
    master_seed: int,
    param_sets: int,
    seeds: int,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    dask: str | None = None,
) -> list[list[dict[str, float]]]:
    """Outcomes of ``seeds`` replications for each of ``param_sets`` parameter draws, in order."""
    if param_sets < 2 or seeds < 2:
        raise ValueError("a variance split needs at least 2 parameter sets and 2 seeds per set")
    workers = default_workers() if workers is None else workers
    done: dict[int, list[dict[str, float]]] = {}
    if workers == 1 and not dask:
        for i in range(param_sets):
            done[i] = run_parameter_set(spec, master_seed, i, seeds)[1]
            if progress:
                progress(seeds)
    else:
        with executor(workers, dask) as pool:
            pending = {pool.submit(run_parameter_set, spec, master_seed, i, seeds) for i in range(param_sets)}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    index, rows = future.result()
                    done[index] = rows
                    if progress:
                        progress(seeds)
    return [done[i] for i in range(param_sets)]


@dataclass
class VarianceSplit:
    """The spread of one outcome, split into parameter and chance parts (variances in unit squared)."""

    outcome: str
    unit: str
    param_sets: int
    seeds: int
    mean: float
    total: float
    parameters: float
    parameters_low: float
    parameters_high: float
    chance: float
    chance_low: float
    chance_high: float
    parameter_share: float  # parameters / (parameters + chance)
    parameter_share_low: float
    parameter_share_high: float
    dominant: str  # "parameters", "chance" or "neither" (the share's interval straddles one half)


def _components(y: np.ndarray) -> tuple[float, float]:
    """(parameters, chance) variance components of a (sets x seeds) table, ANOVA estimators."""
    m = y.shape[1]
    chance = float(y.var(axis=1, ddof=1).mean())
    parameters = max(0.0, float(y.mean(axis=1).var(ddof=1)) - chance / m)
    return parameters, chance


def split_variance(
    y: np.ndarray, outcome: str = "", boot: int = 2000, rng: np.random.Generator | None = None
) -> VarianceSplit:
    """Split the variance of a (parameter sets x seeds) table of one outcome; NaN sets are dropped."""
    y = np.asarray(y, dtype=float)
    y = y[~np.isnan(y).any(axis=1)]
    k, m = y.shape if y.ndim == 2 else (0, 0)
    measure = OUTCOMES.get(outcome)
    unit = measure.unit if measure else ""
    if k < 2 or m < 2:
        nan = math.nan
        return VarianceSplit(
            outcome, unit, k, m, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, "neither"
        )
    parameters, chance = _components(y)
    rng = rng or np.random.default_rng(0)
    draws = np.empty((boot, 2))
    for b in range(boot):
        draws[b] = _components(y[rng.integers(0, k, k)])
    total_b = draws.sum(axis=1)
    share_b = np.divide(draws[:, 0], total_b, out=np.zeros(boot), where=total_b > 0)
    share = parameters / (parameters + chance) if parameters + chance > 0 else 0.0
    lo, hi = 0.05, 0.95
    share_low, share_high = (float(v) for v in np.quantile(share_b, [lo, hi]))
    dominant = "parameters" if share_low > 0.5 else "chance" if share_high < 0.5 else "neither"
    return VarianceSplit(
        outcome=outcome,
        unit=unit,
        param_sets=k,
        seeds=m,
        mean=float(y.mean()),
        total=parameters + chance,
        parameters=parameters,
        parameters_low=float(np.quantile(draws[:, 0], lo)),
        parameters_high=float(np.quantile(draws[:, 0], hi)),
        chance=chance,
        chance_low=float(np.quantile(draws[:, 1], lo)),
        chance_high=float(np.quantile(draws[:, 1], hi)),
        parameter_share=share,
        parameter_share_low=share_low,
        parameter_share_high=share_high,
        dominant=dominant,
    )


def outcome_table(nested: list[list[dict[str, float]]], outcome: str) -> np.ndarray:
    """One outcome as a (parameter sets x seeds) array."""
    return np.array([[row[outcome] for row in rows] for rows in nested], dtype=float)


def write_tables(folder: Path, nested: list[list[dict[str, float]]], splits: list[VarianceSplit]) -> None:
    """``nested_outcomes.csv`` (one row per replication) and ``variance.csv``, each whole or not at all."""
    names = list(nested[0][0])
    seeds = len(nested[0])
    with atomic_text(folder / "nested_outcomes.csv") as fh:
        out = csv.writer(fh)
        out.writerow(["param_set", "seed", "rep", *names])
        for i, rows in enumerate(nested):
            for j, row in enumerate(rows):
                out.writerow(
                    [i, j, chance_rep(i, j, seeds), *("" if math.isnan(row[n]) else row[n] for n in names)]
                )
    with atomic_text(folder / "variance.csv") as fh:
        out = csv.DictWriter(fh, fieldnames=list(asdict(splits[0])))
        out.writeheader()
        for s in splits:
            out.writerow(asdict(s))


#: Outcomes split when none is named.
DEFAULT_OUTCOMES = ("gdp_loss_year_end_pct", "halted_plant_days_auto", "backlog_peak")


def run_variance(
    spec: Scenario,
    outcomes: list[str] | None,
    master_seed: int,
    param_sets: int,
    seeds: int,
    folder: Path | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    dask: str | None = None,
) -> tuple[list[list[dict[str, float]]], list[VarianceSplit]]:
    """Run the nested replications, split each outcome's variance and (given a folder) write the tables.

    Returns the nested outcomes (parameter sets x seeds) and one split per outcome. Raises
    ``ValueError`` when the scenario does not produce an outcome asked for.
    """
    names = outcomes or [n for n in DEFAULT_OUTCOMES if n in OUTCOMES]
    with FolderLock(folder) if folder is not None else nullcontext():  # one writer of the folder at a time
        nested = nested_outcomes(spec, master_seed, param_sets, seeds, workers, progress, dask)
        missing = [n for n in names if n not in nested[0][0]]
        if missing:
            raise ValueError(f"this scenario does not produce {', '.join(missing)}")
        rng = np.random.default_rng(master_seed)
        splits = [split_variance(outcome_table(nested, n), n, rng=rng) for n in names]
        if folder is not None:
            write_tables(folder, nested, splits)
    return nested, splits
