"""Which uncertain parameter drives an outcome: Morris screening and Sobol indices, with SALib.

Every uncertain parameter of a scenario is sampled in its own quantile space:
a design point is a vector of uniform numbers, one per parameter, pushed
through each parameter's inverse CDF (:mod:`sim.distributions`), so a
parameter varies over its own distribution (between its 1st and 99th
percentiles, to keep unbounded tails finite) whatever its form. SALib draws
the design and computes the indices; tradesim only runs the model.

Every design point uses the same random streams (those of replication 0 of
the master seed): common random numbers, so that index differences come from
the parameters, not from luck. The seed also fixes SALib's design.

A study can be narrowed to some ``parameters`` (the others are held at their
medians), or screen ``groups`` of parameters (e.g. one per subsystem) that move
together: both make a design small enough for a classroom laptop.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sim.experiment import executor
from sim.model import run_replication
from sim.outcomes import OUTCOMES
from sim.sampling import uncertain_parameters
from sim.scenario import Scenario

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


def run_sensitivity(
    spec: Scenario,
    outcome: str,
    method: Method = "morris",
    samples: int = 20,
    seed: int = 1,
    workers: int = 1,
    progress=None,
    dask: str | None = None,
    parameters: Sequence[str] | None = None,
    groups: Mapping[str, str] | None = None,
) -> SensitivityResult:
    """Sample the design, run the model at every point, and analyse with SALib.

    ``parameters``: vary only these (dotted paths); the other uncertain parameters
    stay at their medians. ``groups``: parameter -> group name; each group moves as
    one factor and gets one index (SALib groups), so a screen of a few groups
    costs a few runs per trajectory whatever the number of parameters.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

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
    problem = {"num_vars": len(names), "names": names, "bounds": [list(QUANTILE_RANGE)] * len(names)}
    if groups is not None:
        ungrouped = [n for n in names if n not in groups]
        if ungrouped:
            raise ValueError(f"groups: no group given for {', '.join(ungrouped)}")
        if len({groups[n] for n in names}) < 2:
            raise ValueError("groups: sensitivity analysis needs at least two groups")
        problem["groups"] = [groups[n] for n in names]
    if method == "morris":
        design = morris_sample.sample(problem, samples, num_levels=4, seed=seed)
    else:
        design = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    chunks = np.array_split(design, max(1, min(len(design), workers * 8)))
    values: list[float] = []
    if workers > 1 or dask:
        with executor(workers, dask) as pool:
            futures = [pool.submit(_evaluate, spec, seed, names, c, outcome, held) for c in chunks]
            for f, c in zip(futures, chunks, strict=True):
                values.extend(f.result())
                if progress:
                    progress(len(c))
    else:
        for c in chunks:
            values.extend(_evaluate(spec, seed, names, c, outcome, held))
            if progress:
                progress(len(c))
    y = np.array(values)
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
