"""What sharing the history to the first decision point saves a comparison, and where its cost goes.

Run from the repository root::

    python benchmarks/bench_shared_history.py              # the four deadline scenarios, 20 replications
    python benchmarks/bench_shared_history.py --reps 40 baseline chip_escalation

One process, warm, set up as a local worker is (freed memory kept, the heap frozen). For the
scenarios given (the first is the reference) it prints the CPU milliseconds of one replication of
every scenario run separately (``run_replication`` each) and shared
(``sim.experiments.shared_history.run_shared``), alternating the two over the same replications,
then the shared run's parts: drawing and building the model, the history to the fork, each copy
(``Replication.fork``), the rest of each scenario after the fork, and outcomes with series.
The parts show the most sharing can save: the history before the fork, once per scenario but one.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

from gauge import speed_gauge  # benchmarks/gauge.py: this folder is on the path

from sim.core.replication_result import ReplicationResult
from sim.core.streams import Streams
from sim.experiments.run import keep_freed_memory
from sim.experiments.shared_history import plan_shared_history, run_shared
from sim.model.negotiation import first_fire_day
from sim.model.replication import Replication, run_replication, warm_up
from sim.scenario.loader import load_scenario
from sim.scenario.sampling import draw_parameters

DEADLINE_SCENARIOS = ["deal_by_deadline", "extension_90_days", "snap_back", "no_deal"]


def parts(specs, plan, seed: int, rep: int) -> dict[str, float]:
    """``run_shared``'s steps one by one, timed (CPU ms); the same arithmetic, none of its checks."""
    out: dict[str, float] = {}
    clock_ms = time.process_time

    def lap(name: str, t0: float) -> float:
        now = clock_ms()
        out[name] = out.get(name, 0.0) + (now - t0) * 1000
        return now

    t = clock_ms()
    streams = Streams(seed, rep)
    params, flat = draw_parameters(specs[plan.reference], streams)
    model = Replication(specs[plan.reference], params, streams)
    draws = {n: draw_parameters(specs[n], Streams(seed, rep)) for n in plan.changed}
    fork_day = model.clock.n_days
    for name, points in plan.changed.items():
        for point in points:
            for p in (params, draws[name][0]):
                if point in p.negotiation.decision_points:
                    fork_day = min(fork_day, first_fire_day(model.clock, p, point))
    t = lap("draw and build", t)
    model.run_until(max(0, fork_day))
    t = lap("history to the fork", t)
    twins = {}
    for name in plan.changed:
        twins[name] = model.fork()
        twins[name].adopt(specs[name], draws[name][0], plan.changed[name])
    t = lap("copies at the fork", t)
    for twin in (*twins.values(), model):
        twin.run()
    t = lap("after the fork", t)
    for twin in (*twins.values(), model):
        ReplicationResult(rep, flat, twin.outcomes(), twin.series())
    lap("outcomes and series", t)
    out["fork day"] = fork_day
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", default=DEADLINE_SCENARIOS)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    loaded = {name: load_scenario(name) for name in args.scenarios}
    plan = plan_shared_history(loaded)
    if plan is None:
        raise SystemExit("these scenarios differ in more than their decision points: nothing is shared")
    specs = {name: s.spec for name, s in loaded.items()}
    keep_freed_memory()
    warm_up()
    gc.freeze()  # as a run's worker does (sim.experiments.run.heap_frozen)
    run_shared(specs, plan, args.seed, 10**6)  # untimed: first use of every path
    gauge = speed_gauge()
    print(f"{os.cpu_count()} cores · load average {os.getloadavg()[0]:.1f} · speed gauge {gauge:.2f} s")
    print(f"scenarios: {', '.join(specs)} (reference {plan.reference}; forked at {', '.join(plan.points)})")
    separate, shared = [], []
    for rep in range(args.reps):
        t = time.process_time()
        for spec in specs.values():
            run_replication(spec, args.seed, rep)
        separate.append((time.process_time() - t) * 1000)
        t = time.process_time()
        run_shared(specs, plan, args.seed, rep)
        shared.append((time.process_time() - t) * 1000)
    s, h = statistics.mean(separate), statistics.mean(shared)
    print(f"CPU ms per replication of all {len(specs)} scenarios ({args.reps} replications, mean):")
    print(f"  separate runs   {s:7.1f}")
    print(f"  shared history  {h:7.1f}   ({100 * (1 - h / s):.0f}% less)")
    totals: dict[str, list[float]] = {}
    for rep in range(args.reps):
        for name, ms in parts(specs, plan, args.seed, rep).items():
            totals.setdefault(name, []).append(ms)
    days = totals.pop("fork day")
    print(f"the shared run's parts, CPU ms (fork on day {min(days):.0f}-{max(days):.0f} of the horizon):")
    for name, values in totals.items():
        print(f"  {name:<22}{statistics.mean(values):7.1f}")


if __name__ == "__main__":
    main()
