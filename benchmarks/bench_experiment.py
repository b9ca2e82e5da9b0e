"""End-to-end cost of a Monte Carlo run: replications per second, workers, Dask, memory of the parent.

Run from the repository root: ``python benchmarks/bench_experiment.py`` (about
4-5 minutes on 2 cores; ``--quick`` about 1-2 minutes). It prints plain-text
tables, never asserts: the figures go in ``benchmarks/README.md``.

1. The workload: applications and plants per baseline replication.
2. ``run_experiment`` on the baseline, results written to disk: wall and CPU
   time with 1 and 2 local workers, the speed-up, and the time 1,000
   replications would take at that rate (extrapolated from ``--reps``, said so).
3. Per-task overhead of the executor: tiny tasks through local processes and
   through a local Dask cluster (and the cluster's start-up time).
4. Peak memory of the main process against the number of replications, each
   size in a fresh process: Python's own allocations (tracemalloc peak, numpy
   arrays included) and the resident set (ru_maxrss). The model in the workers
   is replaced by a stored real baseline replication (same outcomes, parameters
   and daily series, only ``rep`` changed), so 1,600 replications take seconds
   and the figure is that of the run machinery: the writer, the chunks, the
   scalar-outcome table.
5. The speed target itself, measured rather than extrapolated: ``tradesim run``
   of 1,000 replications (200 with ``--quick``) on 2 workers, for the baseline
   scaled to about 50,000 applications (``benchmarks/baseline_50k.toml``) and for
   the baseline itself (about 97,000), wall and CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402 - after the path set-up, so the checkout's package is used
from gauge import speed_gauge  # noqa: E402 - benchmarks/gauge.py: this folder is on the path

import sim  # noqa: E402
import sim.experiments.run as experiment  # noqa: E402
from sim.core.domain import SECTORS  # noqa: E402
from sim.model.replication import ReplicationResult, run_replication  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402


def workload(reps: int = 5) -> tuple[float, int, float, float]:
    """Median applications per replication, plants, warm seconds per replication (median wall, min CPU)."""
    spec = load_scenario("baseline").spec
    run_replication(spec, 1, 10_000)  # warm-up: imports, first generator
    seconds, cpu, apps = [], [], []
    for rep in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_replication(spec, 1, rep)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        apps.append(result.outcomes["applications_total"])
    plants = sum(getattr(spec.industry.sectors, sector).plants for sector in SECTORS)
    return statistics.median(apps), plants, statistics.median(seconds), min(cpu)


def timed_run(reps: int, workers: int, series: str) -> tuple[float, float, int]:
    """Wall and CPU seconds (this process and its workers) of one run_experiment, cold pool included,
    and the bytes of daily series it wrote."""
    loaded = load_scenario("baseline")
    with tempfile.TemporaryDirectory() as tmp:
        wall0, cpu0 = time.perf_counter(), _cpu_with_children()
        report = experiment.run_experiment(loaded, reps, 1, Path(tmp), workers, series=series)
        wall, cpu = time.perf_counter() - wall0, _cpu_with_children() - cpu0
        disk = sum(p.stat().st_size for p in (Path(tmp) / "series").iterdir())
    if report.reps_completed != reps:
        raise RuntimeError(f"finished {report.reps_completed} of {reps}")
    return wall, cpu, disk


def target_run(scenario: str, reps: int, workers: int) -> tuple[float, float, float, float]:
    """The speed target as a user meets it: ``tradesim run SCENARIO --reps N --workers K`` in a fresh
    interpreter (start-up, loading the compiled kernels, writing every result; no plots).

    Returns wall seconds, CPU seconds of the command and its workers, and the mean applications
    and plants per replication, read back from the results.
    """
    import pandas as pd  # a test extra, like the rest of the benchmarks' readers

    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "sim", "run", scenario, "--reps", str(reps), "--workers",
                   str(workers), "--seed", "1", "--no-plots", "--quiet", "--out", tmp, "--force"]  # fmt: skip
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall0 = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - wall0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        applications = float(pd.read_csv(Path(tmp) / "outcomes.csv")["applications_total"].mean())
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    spec = load_scenario(scenario).spec
    plants = sum(getattr(spec.industry.sectors, sector).plants for sector in SECTORS)
    return wall, cpu, applications, float(plants)


def _cpu_with_children() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def tiny_task(x: int) -> int:
    """The smallest unit of work: what is left is the executor's own cost."""
    return x + 1


def task_overhead(tasks: int, dask: str | None) -> tuple[float, float]:
    """(start-up seconds, ms per tiny task) on 2 workers, submitted all at once."""
    t0 = time.perf_counter()
    with experiment.executor(2, dask) as pool:
        list(pool.map(tiny_task, range(20)))  # workers up and warm
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        futures = [pool.submit(tiny_task, i) for i in range(tasks)]
        assert [f.result() for f in futures] == [i + 1 for i in range(tasks)]
        per_task = (time.perf_counter() - t1) / tasks
    return started, 1000 * per_task


# --- memory of the main process, one fresh process per size ----------------------------------------

_STORED: ReplicationResult | None = None


def _stored_replication(spec, master_seed: int, rep: int) -> ReplicationResult:
    """A real baseline replication computed once per process, handed out under any rep number."""
    global _STORED
    if _STORED is None:
        _STORED = run_replication(spec, master_seed, 0)
    return replace(_STORED, rep=rep)


def memory_child(reps: int, series: str) -> None:
    """Run ``reps`` stored replications on 2 workers and print the parent's peak memory as JSON."""
    experiment.run_replication = _stored_replication  # the forked workers inherit it
    loaded = load_scenario("baseline")
    with tempfile.TemporaryDirectory() as tmp:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        experiment.run_experiment(loaded, reps, 1, Path(tmp), 2, series=series)
        wall = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        columns = sum(
            len((Path(tmp) / f"{table}.csv").read_text().splitlines()[0].split(","))
            for table in ("outcomes", "parameters")
        )
    maxrss_mb = _peak_rss_mb()
    print(
        json.dumps(
            {
                "peak_mb": peak / 1e6,
                "maxrss_mb": maxrss_mb,
                "table_mb": reps * columns * 8 / 1e6,
                "wall": wall,
            }
        )
    )


def _peak_rss_mb() -> float:
    """Peak resident set of this process: VmHWM (ru_maxrss carries over from the parent through fork+exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: an upper bound


def memory(reps: int, series: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(reps), "--series", series],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=60, help="replications per timed run (default 60)")
    parser.add_argument("--quick", action="store_true", help="smaller runs: 20 reps, memory 100/400")
    parser.add_argument("--target-reps", type=int, default=1000, help="replications of the target run")
    parser.add_argument("--target-workers", type=int, default=2, help="workers of the target run")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--series", default="all", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.series)
        return
    reps = 20 if args.quick else args.reps
    sizes = (100, 400) if args.quick else (100, 400, 1600)
    if args.quick:
        args.target_reps = min(args.target_reps, 200)
    print(
        f"tradesim {sim.__version__} · Python {platform.python_version()} · numpy {np.__version__} · "
        f"{platform.machine()} · {os.cpu_count()} cores\n"
    )

    apps, plants, s_per_rep, cpu_per_rep = workload()
    print("1. Workload: one baseline replication, single process, warm")
    print(f"   applications {apps:,.0f} · plants {plants}")
    print(f"   {s_per_rep:.3f} s wall (median of 5) = {1 / s_per_rep:.1f} replications/s")
    print(f"   {cpu_per_rep:.3f} s CPU (min of 5) = {1 / cpu_per_rep:.1f} replications/s on a free core")
    print(f"   1,000 reps on 2 free cores at that CPU rate ≈ {1000 * cpu_per_rep / 2:.0f} s (target 20 s)")
    print(f"   load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"   speed gauge: a 10-million-step Python loop takes {speed_gauge():.2f} s CPU now\n")

    print(f"2. run_experiment, baseline, {reps} replications, all daily series written (wall, CPU)")
    rows = {}
    for workers in (1, 2):
        walls, cpus, disks = zip(*(timed_run(reps, workers, "all") for _ in range(2)), strict=True)
        rows[workers] = (min(walls), min(cpus))
        wall, cpu = rows[workers]
        print(
            f"   {workers} worker(s): {wall:6.1f} s wall (min of 2) · {cpu:6.1f} s CPU · "
            f"{reps / wall:5.1f} reps/s · 1,000 reps ≈ {1000 * wall / reps:5.0f} s (extrapolated)"
        )
    print(f"   speed-up of 2 workers over 1: {rows[1][0] / rows[2][0]:.2f}x (target: 1,000 reps in 20 s)")
    print(f"   daily series on disk: {disks[0] / reps / 1e3:.0f} kB per replication (series=all)\n")

    tasks = 200 if args.quick else 1000
    print(f"3. Executor overhead, 2 workers, {tasks} tiny tasks submitted at once")
    for label, dask in (("local processes", None), ("local Dask cluster", "local")):
        started, per_task = task_overhead(tasks, dask)
        print(f"   {label:<20} start-up {started:5.2f} s · {per_task:6.3f} ms per task")
    print("   (a run sends chunks of up to 25 replications: one task per chunk)\n")

    print("4. Peak memory of the main process (fresh process per row; model replaced by a stored")
    print("   real replication, 2 workers). tracemalloc: Python allocations during the run;")
    print("   RSS: whole process, interpreter and libraries included; table: outcomes + parameters")
    print("   as float64, the floor any run must hold to summarise")
    for series in ("all", "quantiles"):
        for n in sizes:
            m = memory(n, series)
            print(
                f"   series={series:<9} {n:>5} reps: tracemalloc peak {m['peak_mb']:6.1f} MB · "
                f"RSS {m['maxrss_mb']:6.0f} MB · table {m['table_mb']:5.1f} MB"
            )

    print()
    print(f"5. The target: {args.target_reps:,} replications on {args.target_workers} local workers,")
    print("   as a user runs them (`tradesim run SCENARIO --reps N --workers K --no-plots`: a fresh")
    print("   interpreter, loading the compiled kernels, every result written). Target: 1,000 in under")
    print("   20 s on 2 cores")
    workloads = (("baseline scaled to ~50k apps", "benchmarks/baseline_50k.toml"), ("baseline", "baseline"))
    for label, scenario in workloads:
        gauge = speed_gauge()
        wall, cpu, applications, plants = target_run(scenario, args.target_reps, args.target_workers)
        per_1000 = 1000 * wall / args.target_reps
        verdict = "met" if per_1000 < 20 else "NOT met"
        print(
            f"   {label:<29} {applications:>8,.0f} apps · {plants:.0f} plants: {wall:6.1f} s wall · "
            f"{cpu:6.1f} s CPU · {1e3 * cpu / args.target_reps:5.1f} ms CPU/rep · target {verdict} "
            f"(speed gauge before: {gauge:.2f} s)"
        )


if __name__ == "__main__":
    main()
