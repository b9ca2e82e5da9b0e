"""What one replication of the model costs, single process: speed, growth with volume, memory.

Prints, side by side in one run:

1. Replications per second, CPU and wall, of the licence review alone (the
   baseline with its US side left out) and of the full model (210 US plants in
   four sectors), at the baseline's own volume (about 100,000 applications per
   replication) and at half of it (about 50,000). A replication is everything a
   worker does for it: drawing the parameters, simulating, the scalar outcomes
   and the daily series.
2. The same full-model replications scaled to about 10k, 50k and 200k
   applications, the log-log slope of cost against applications (the growth
   exponent) and what n log n would give over the same range.
3. Memory: the tracemalloc peak of one replication, and what a run keeps after
   1 and after ``--keep`` replications when it keeps only the scalar outcomes.
4. Whether 1,000 replications of at least 50,000 applications and 200 plants
   fit in 20 seconds on 2 cores, from the single-process cost (the 2-worker
   and Dask measurements are in ``bench_experiment.py``).

Volumes are scaled by multiplying, in each replication's own draw, the filing
rate, the initial backlog and every review capacity (initial, dated events,
negotiated outcomes) by one factor: the same queue at the same utilisation,
with more files. The US side sees the same tonnes (a licence's tonnage is
derived from the filing rate), so only the licence review grows.

Timing: every replication is run warm (one untimed replication first) in
``--rounds`` rounds; each replication's figure is its minimum over the rounds
(the machine is shared, so the minimum is the least disturbed), and a row
reports the mean of those minima over its ``--reps`` replications (the mean,
because a batch costs the sum). CPU is ``time.process_time``, wall
``time.perf_counter``.

Run from the repository root:  python benchmarks/bench_model.py [--reps N] [--rounds R] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import simpy

import sim
from sim.core.streams import Streams
from sim.model.replication import Replication
from sim.scenario.loader import load_scenario
from sim.scenario.param_types import with_changes
from sim.scenario.params import Params
from sim.scenario.sampling import draw_parameters
from sim.scenario.schema import US_SIDE, Scenario

MASTER_SEED = 20250404
SIZES = (10_000, 50_000, 200_000)  # applications per replication for the growth exponent


_VOLUME = ("arrivals_per_day", "initial_backlog", "review_capacity_per_day")


def scale_volume(params: Params, factor: float) -> Params:
    """Parameters with filing rate, initial backlog and review capacities found anywhere multiplied."""
    changes: dict[str, Any] = {}

    def visit(node: Any, path: str) -> None:
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            if key in _VOLUME and value is not None:
                changes[f"{path}{key}"] = value * factor
            else:
                visit(value, f"{path}{key}.")

    visit(params, "")
    return with_changes(params, changes)


def replicate(spec: Scenario, rep: int, factor: float) -> tuple[Replication, dict[str, float]]:
    """Everything a worker does for replication ``rep``: draw, simulate, outcomes, series."""
    streams = Streams(MASTER_SEED, rep)
    params, _ = draw_parameters(spec, streams)
    if factor != 1.0:
        params = scale_volume(params, factor)
    model = Replication(spec, params, streams)
    model.run()
    outcomes = model.outcomes()
    model.series()
    return model, outcomes


def time_row(spec: Scenario, reps: int, rounds: int, factor: float) -> dict[str, float]:
    """Mean over ``reps`` replications of each one's minimum CPU and wall seconds over ``rounds``."""
    replicate(spec, 10_000, factor)  # warm-up: imports, first generator, caches
    cpu = [math.inf] * reps
    wall = [math.inf] * reps
    apps = [0] * reps
    for _ in range(rounds):
        for rep in range(reps):
            gc.collect()
            c0, w0 = time.process_time(), time.perf_counter()
            model, _ = replicate(spec, rep, factor)
            cpu[rep] = min(cpu[rep], time.process_time() - c0)
            wall[rep] = min(wall[rep], time.perf_counter() - w0)
            apps[rep] = len(model.licensing.apps)
    plants = int(model.industry.sector.size) if model.us_side else 0
    return {
        "cpu": statistics.fmean(cpu),
        "wall": statistics.fmean(wall),
        "apps": statistics.fmean(apps),
        "plants": plants,
    }


def mean_applications(spec: Scenario, reps: int) -> float:
    """Applications per replication at the scenario's own volume, over the timed replications."""
    return statistics.fmean(len(replicate(spec, rep, 1.0)[0].licensing.apps) for rep in range(reps))


def traced(run: Callable[[], Any]) -> tuple[int, int, Any]:
    """tracemalloc peak and retained bytes of ``run()``, with its result."""
    gc.collect()
    tracemalloc.start()
    result = run()
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, retained, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=8, help="replications per row")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; a replication keeps its minimum")
    parser.add_argument("--keep", type=int, default=20, help="replications in the retained-memory check")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 replications, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.reps, args.rounds, args.keep = 3, 1, 5

    full = load_scenario("baseline").spec
    licensing_only = full.model_copy(update=dict.fromkeys(US_SIDE))
    print(
        f"tradesim {sim.__version__} · Python {platform.python_version()} · numpy {np.__version__} · "
        f"simpy {simpy.__version__} · {platform.machine()}\n"
        f"single process, warm; per row the mean over {args.reps} replications of each one's "
        f"minimum over {args.rounds} rounds\n"
        "a replication = draw parameters + simulate + outcomes() + series()\n"
    )
    c0 = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    print(
        f"speed gauge: a 10-million-step Python loop takes {time.process_time() - c0:.2f} s CPU now "
        "(shared machines vary by 2x within the hour; compare rows of one run, not runs)\n"
    )
    base_apps = mean_applications(full, args.reps)
    half = 50_000 / base_apps

    print("1. Replications per second")
    header = (
        f"{'volume':<24}{'build':<16}{'plants':>7}{'applications':>14}"
        f"{'CPU ms/rep':>12}{'wall ms/rep':>13}{'reps/s CPU':>12}{'reps/s wall':>13}{'µs/app CPU':>12}"
    )
    print(header)
    print("-" * len(header))
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for volume, factor in (("baseline as drawn", 1.0), ("scaled to ~50k apps", half)):
        for build, spec in (("licensing only", licensing_only), ("full model", full)):
            row = time_row(spec, args.reps, args.rounds, factor)
            rows[volume, build] = row
            print(
                f"{volume:<24}{build:<16}{row['plants']:>7}{row['apps']:>14,.0f}"
                f"{1e3 * row['cpu']:>12.1f}{1e3 * row['wall']:>13.1f}{1 / row['cpu']:>12.2f}"
                f"{1 / row['wall']:>13.2f}{1e6 * row['cpu'] / row['apps']:>12.2f}"
            )
        extra = rows[volume, "full model"]["cpu"] - rows[volume, "licensing only"]["cpu"]
        print(f"{'':<24}the US side adds {1e3 * extra:.1f} ms CPU per replication")

    print("\n2. Growth with applications (full model)")
    print(f"{'target':>10}{'applications':>14}{'CPU ms/rep':>12}{'wall ms/rep':>13}{'µs/app CPU':>12}")
    growth = []
    for target in SIZES:
        row = (
            rows["scaled to ~50k apps", "full model"]
            if target == 50_000
            else time_row(full, args.reps, args.rounds, target / base_apps)
        )
        growth.append(row)
        print(
            f"{target:>10,}{row['apps']:>14,.0f}{1e3 * row['cpu']:>12.1f}{1e3 * row['wall']:>13.1f}"
            f"{1e6 * row['cpu'] / row['apps']:>12.2f}"
        )
    n = np.log([r["apps"] for r in growth])
    slope = float(np.polyfit(n, np.log([r["cpu"] for r in growth]), 1)[0])
    nlogn = float(np.polyfit(n, np.log(np.exp(n) * n), 1)[0])
    verdict = "no faster than" if slope <= nlogn else "FASTER than"
    print(
        f"growth exponent (log-log slope of CPU against applications, 3 points): {slope:.2f}; "
        f"n log n over the same range: {nlogn:.2f}; cost grows {verdict} n log n"
    )
    per_app, fixed = np.polyfit([r["apps"] for r in growth], [r["cpu"] for r in growth], 1)
    print(
        f"straight-line fit: {1e3 * fixed:.0f} ms per replication whatever the volume (days, plants, "
        f"parameters) + {1e6 * per_app:.2f} µs per application"
    )

    print("\n3. Memory (tracemalloc)")
    for volume, factor in (("baseline as drawn", 1.0), ("scaled to ~50k apps", half)):
        peak, _, _ = traced(lambda f=factor: replicate(full, 0, f))
        print(f"peak of one full replication, {volume}: {peak / 2**20:.1f} MiB")

    def keep_outcomes(count: int) -> list[dict[str, float]]:
        return [replicate(full, rep, half)[1] for rep in range(count)]

    retained = {}
    for count in (1, args.keep):
        peak, kept, _ = traced(lambda c=count: keep_outcomes(c))
        retained[count] = kept
        print(
            f"{count:>3} replications keeping only their outcomes: peak {peak / 2**20:.1f} MiB, "
            f"retained {kept / 2**10:.0f} KiB"
        )
    per_rep = (retained[args.keep] - retained[1]) / (args.keep - 1)
    print(f"retained memory grows by {per_rep / 2**10:.1f} KiB per replication (the outcome dict)")

    print("\n4. 1,000 replications on 2 cores, from the single-process cost")
    for volume in ("scaled to ~50k apps", "baseline as drawn"):
        row = rows[volume, "full model"]
        print(
            f"{volume} ({row['apps']:,.0f} applications, {row['plants']} plants): "
            f"1,000 x {1e3 * row['cpu']:.0f} ms CPU / 2 cores = {1000 * row['cpu'] / 2:.0f} s "
            f"if 2 workers scale perfectly (target 20 s: {'met' if 500 * row['cpu'] <= 20 else 'not met'})"
        )


if __name__ == "__main__":
    main()
