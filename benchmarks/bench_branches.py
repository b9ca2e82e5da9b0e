"""What forking saves: a 4-branch fork against 4 independent runs of the same replications.

Run: ``python benchmarks/bench_branches.py [--reps 10] [--at 2025-08-10]``

Both sides produce the same numbers (the tests prove a branch is bit-identical to
its forced scenario run from day 0); the fork simulates the shared history once
and copies the state at the fork instead of re-simulating it per branch. Prints
wall and CPU seconds per replication (the minimum of three repeats), the cost of
one state copy, and the saving. Single process, no results written.
"""

from __future__ import annotations

import argparse
import time

from sim.core.streams import Streams
from sim.experiments.branches import branch_scenario, fork_point, run_forked
from sim.model.replication import Replication, simulate
from sim.scenario.loader import load_scenario
from sim.scenario.sampling import draw_parameters


def _timed(fn, repeats: int = 3) -> tuple[float, float]:
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--at", default="2025-08-10")
    parser.add_argument("--scenario", default="baseline")
    args = parser.parse_args()
    loaded = load_scenario(args.scenario)
    point = fork_point(loaded.spec, args.at)
    specs = {b: branch_scenario(loaded, point, b).spec for b in point.branches}
    reps = range(args.reps)

    def forked() -> None:
        for rep in reps:
            run_forked(loaded.spec, specs, point, 1, rep)

    def independent() -> None:
        for rep in reps:
            for spec in specs.values():
                model, _ = simulate(spec, 1, rep)
                model.outcomes(), model.series()

    def copies() -> None:
        streams = Streams(1, 0)
        params, _ = draw_parameters(loaded.spec, streams)
        model = Replication(loaded.spec, params, streams)
        model.run_until(model.negotiation.pending_point(point.name).fire_day)
        for _ in range(20):
            model.fork()

    def history_only() -> None:
        for rep in reps:
            streams = Streams(1, rep)
            params, _ = draw_parameters(loaded.spec, streams)
            model = Replication(loaded.spec, params, streams)
            model.run_until(model.negotiation.pending_point(point.name).fire_day)

    def whole_runs() -> None:
        for rep in reps:
            model, _ = simulate(loaded.spec, 1, rep)
            model.outcomes(), model.series()

    fork_wall, fork_cpu = _timed(forked)
    history_cpu = _timed(history_only)[1]
    whole_cpu = _timed(whole_runs)[1]
    ind_wall, ind_cpu = _timed(independent)
    copy_wall, copy_cpu = _timed(copies)
    n, b = args.reps, len(specs)
    streams = Streams(1, 0)
    params, _ = draw_parameters(loaded.spec, streams)
    day = Replication(loaded.spec, params, streams).negotiation.pending_point(point.name).fire_day
    horizon = Replication(loaded.spec, params, streams).clock.n_days
    print(f"{args.scenario}, fork at {point.name} (day {day} of {horizon}), {b} branches, {n} replications")
    print(f"{'':34}{'wall s/rep':>12}{'CPU s/rep':>12}")
    print(f"{'fork: history once, then branches':34}{fork_wall / n:12.3f}{fork_cpu / n:12.3f}")
    print(f"{'independent: each branch from day 0':34}{ind_wall / n:12.3f}{ind_cpu / n:12.3f}")
    print(f"{'one copy of the state (fork())':34}{copy_wall / 20:12.4f}{copy_cpu / 20:12.4f}")
    share = history_cpu / whole_cpu
    print(
        f"the history to the fork is {share:.0%} of a whole run's CPU ({day} of {horizon} days: "
        f"the busy months of the licence backlog come first)"
    )
    print(
        f"forking takes {fork_cpu / ind_cpu:.0%} of the CPU time of independent runs "
        f"(saves {1 - fork_cpu / ind_cpu:.0%}); simulating the history once instead of {b} times "
        f"saves at most {(b - 1) / b * share:.0%}"
    )


if __name__ == "__main__":
    main()
