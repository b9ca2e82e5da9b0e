"""How much do shipments, plants and prices add to a replication?

Runs the same replications two ways, side by side, in one process:

* licensing only: the baseline scenario with its US side (supply, industry,
  market, tariffs) left out, so only China's licence review is simulated;
* full model: the baseline as shipped, with 210 US plants in four sectors.

Each at two sizes: the baseline as drawn (about 100,000 applications per
replication) and the baseline with filing rates halved (about 50,000
applications, the size the issue asks about). Replications are warm (one
untimed run first) and use the same seeds in both builds, so the difference
between the rows is the cost of the US side alone. Then the tracemalloc peak
of one full replication.

Run from the repository root:  python benchmarks/bench_model.py [--reps N]
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import simpy

import sim
from sim.loader import load_scenario
from sim.model import Replication
from sim.sampling import draw_parameters
from sim.scenario import US_SIDE, Scenario
from sim.streams import Streams

MASTER_SEED = 20250404


def make_replication(spec: Scenario, rep: int, filing_scale: float) -> Callable[[], Replication]:
    """A function that builds and runs replication ``rep`` with scaled filing rates."""

    def run() -> Replication:
        streams = Streams(MASTER_SEED, rep)
        params, _ = draw_parameters(spec, streams)
        params.licensing["arrivals_per_day"] = params.licensing.arrivals_per_day * filing_scale
        params.licensing["initial_backlog"] = params.licensing.initial_backlog * filing_scale
        model = Replication(spec, params, streams)
        model.run()
        return model

    return run


def time_build(spec: Scenario, reps: int, filing_scale: float) -> tuple[list[float], list[int], int]:
    """Seconds per replication, applications per replication, plants per replication."""
    make_replication(spec, 10_000, filing_scale)()  # warm-up: imports, first generator
    seconds, applications, plants = [], [], 0
    for rep in range(reps):
        run = make_replication(spec, rep, filing_scale)
        gc.collect()
        t0 = time.perf_counter()
        model = run()
        seconds.append(time.perf_counter() - t0)
        applications.append(len(model.licensing.apps))
        plants = int(model.industry.sector.size) if model.us_side else 0
    return seconds, applications, plants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=12, help="timed replications per row")
    args = parser.parse_args()

    full = load_scenario("baseline").spec
    licensing_only = full.model_copy(update=dict.fromkeys(US_SIDE))
    print(
        f"tradesim {sim.__version__} · Python {platform.python_version()} · numpy {np.__version__} · "
        f"simpy {simpy.__version__} · {platform.machine()}\n"
        f"{args.reps} warm replications per row, same seeds in every row; "
        f"median and range of seconds per replication\n"
    )
    header = (
        f"{'size':<26}{'build':<18}{'plants':>7}{'applications':>14}"
        f"{'s/rep (median)':>16}{'range':>16}{'reps/s':>9}{'µs/app':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, scale in (("baseline (~100k apps)", 1.0), ("half filings (~50k apps)", 0.5)):
        medians = {}
        for build, spec in (("licensing only", licensing_only), ("full model", full)):
            seconds, apps, plants = time_build(spec, args.reps, scale)
            med = statistics.median(seconds)
            medians[build] = med
            n_apps = statistics.median(apps)
            print(
                f"{label:<26}{build:<18}{plants:>7}{n_apps:>14,.0f}{med:>16.3f}"
                f"{f'{min(seconds):.3f}-{max(seconds):.3f}':>16}{1 / med:>9.2f}{1e6 * med / n_apps:>9.2f}"
            )
        extra = medians["full model"] - medians["licensing only"]
        days = full.calendar.end.toordinal() - full.calendar.start.toordinal() + 1
        print(
            f"{'':<26}US side adds {extra:.3f} s per replication "
            f"({1e3 * extra / days:.2f} ms per simulated day, {days} days)\n"
        )

    run = make_replication(full, 0, 1.0)
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"memory: tracemalloc peak of one full baseline replication {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
