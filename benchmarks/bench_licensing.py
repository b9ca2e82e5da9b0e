"""How fast is tradesim's licence review, and is it still right?

Part 1 runs one textbook queue three ways and compares cost and answer. The
queue is M/M/c: Poisson filings, exponential review (mean 0.1 day, so each
reviewer clears 10 files a day), ``c`` reviewers, first come first served,
utilisation 0.9, about 50,000 applications per replication, time in days.

* tradesim's licensing model, configured as that queue through the real
  scenario schema and the real model (``sim.experiments.queueing``). Files are rows of a
  table and each day is served in vectorised steps, so the model's cost has a
  per-application part and a per-simulated-day part. It is measured at two
  volumes with the same utilisation: 90 filings a day with 10 reviewers over
  556 days, and 900 a day with 100 reviewers over 56 days.
* the textbook SimPy build, one process per application requesting a
  ``simpy.Resource``: what a model of this queue usually looks like, and the
  baseline the speed-ups are measured against.
* ciw, a dedicated queueing-network simulator, as an independent reference.

Each row reports seconds per replication (median of several timed runs after
one warm-up run), replications per second, microseconds per application, and
the mean wait for a reviewer after a warm-up (files filed in the first 5% of
the horizon are dropped), averaged over the runs, beside the Erlang C value
that all three must reproduce.

Part 2 times the full baseline scenario (``scenarios/baseline.toml``): one
replication at a time, its memory (tracemalloc peak and the resident set of a
fresh process), and a whole experiment with one and with two worker processes.

Run from the repository root:  python benchmarks/bench_licensing.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing
import os
import platform
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import ciw
import numpy as np
import simpy

import sim
from sim.experiments.queueing import erlang_c_wait, mmc_scenario, simulate_queue_waits
from sim.experiments.run import run_experiment
from sim.model.replication import run_replication
from sim.scenario.loader import load_scenario

MASTER_SEED = 20250404
MEAN_REVIEW_DAYS = 0.1  # each reviewer clears 10 files a day
VOLUMES = ((90.0, 10), (900.0, 100))  # (filings per day, reviewers): utilisation 0.9 both
WARMUP_FRACTION = 0.05  # files filed in this first share of the horizon are not counted
MINUTES_PER_DAY = 24 * 60

Waits = tuple[np.ndarray, np.ndarray]  # (filing time, wait for a reviewer), both in days
Runner = Callable[["QueueSetup", int], Waits]  # (setup, replication number) -> waits


# --- the M/M/c queue --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSetup:
    """One M/M/c queue: arrival rate, reviewers, and how many applications to simulate."""

    arrivals_per_day: float
    reviewers: int
    applications: int

    @property
    def service_rate(self) -> float:
        return 1.0 / MEAN_REVIEW_DAYS

    @property
    def utilisation(self) -> float:
        return self.arrivals_per_day / (self.reviewers * self.service_rate)

    @property
    def horizon_days(self) -> float:
        """Expected time for ``applications`` filings to arrive."""
        return self.applications / self.arrivals_per_day

    @property
    def erlang_c_wait(self) -> float:
        return erlang_c_wait(self.arrivals_per_day, self.service_rate, self.reviewers)

    @property
    def volume(self) -> str:
        return f"{self.arrivals_per_day:g} filings/day, c={self.reviewers}"


def tradesim_licensing(setup: QueueSetup, rep: int) -> Waits:
    """tradesim's licensing model set up as M/M/c, through the real scenario and model."""
    days = math.ceil(setup.horizon_days)
    scenario = mmc_scenario(setup.arrivals_per_day, setup.reviewers, MEAN_REVIEW_DAYS, days)
    return simulate_queue_waits(scenario, MASTER_SEED, rep)


def simpy_process_per_application(setup: QueueSetup, rep: int) -> Waits:
    """The textbook SimPy build: a Resource of c reviewers, one process per application."""
    rng = np.random.default_rng(np.random.SeedSequence(MASTER_SEED, spawn_key=(rep,)))
    n = setup.applications
    gaps = rng.exponential(1.0 / setup.arrivals_per_day, n).tolist()
    reviews = rng.exponential(MEAN_REVIEW_DAYS, n).tolist()
    filed = np.empty(n)
    waits = np.empty(n)

    env = simpy.Environment()
    reviewers = simpy.Resource(env, capacity=setup.reviewers)

    def application(i: int) -> Iterator[simpy.Event]:
        filed_at = env.now
        with reviewers.request() as request:
            yield request
            filed[i] = filed_at
            waits[i] = env.now - filed_at
            yield env.timeout(reviews[i])

    def source() -> Iterator[simpy.Event]:
        for i in range(n):
            yield env.timeout(gaps[i])
            env.process(application(i))

    env.process(source())
    env.run()
    return filed, waits


def ciw_mmc(setup: QueueSetup, rep: int) -> Waits:
    """ciw's M/M/c network, run until ``applications`` customers have finished."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=setup.arrivals_per_day)],
        service_distributions=[ciw.dists.Exponential(rate=setup.service_rate)],
        number_of_servers=[setup.reviewers],
    )
    ciw.seed(MASTER_SEED + rep)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(setup.applications, method="Finish")
    records = simulation.get_all_records()
    filed = np.fromiter((r.arrival_date for r in records), dtype=np.float64, count=len(records))
    waits = np.fromiter((r.waiting_time for r in records), dtype=np.float64, count=len(records))
    return filed, waits


def mean_wait_after_warmup(filed: np.ndarray, waits: np.ndarray, horizon_days: float) -> float:
    """Mean wait of the files filed after the first WARMUP_FRACTION of the horizon."""
    return float(waits[filed >= WARMUP_FRACTION * horizon_days].mean())


# --- timing -------------------------------------------------------------------------------------


@dataclass
class QueueMeasurement:
    """Timed runs of one build of the queue, one replication per run."""

    label: str
    setup: QueueSetup
    seconds: list[float] = field(default_factory=list)  # timed runs only
    applications: list[int] = field(default_factory=list)  # every run, warm-up included
    mean_waits: list[float] = field(default_factory=list)  # every run, warm-up included

    @property
    def seconds_per_rep(self) -> float:
        return statistics.median(self.seconds)

    @property
    def micros_per_application(self) -> float:
        return 1e6 * self.seconds_per_rep / statistics.mean(self.applications)

    @property
    def mean_wait(self) -> float:
        return statistics.mean(self.mean_waits)

    @property
    def wait_standard_error(self) -> float:
        """Between-run standard error of the mean wait (nan with one run)."""
        if len(self.mean_waits) < 2:
            return math.nan
        return statistics.stdev(self.mean_waits) / math.sqrt(len(self.mean_waits))


def measure_queue(label: str, runner: Runner, setup: QueueSetup, timed: int) -> QueueMeasurement:
    """One untimed warm-up run (replication 0), then ``timed`` timed runs (replications 1..)."""
    result = QueueMeasurement(label, setup)
    for rep in range(timed + 1):
        gc.collect()
        start = time.perf_counter()
        filed, waits = runner(setup, rep)
        elapsed = time.perf_counter() - start
        if rep > 0:
            result.seconds.append(elapsed)
        result.applications.append(int(filed.size))
        result.mean_waits.append(mean_wait_after_warmup(filed, waits, setup.horizon_days))
    return result


def measure_all_queue_builds(applications: int, timed: int) -> list[QueueMeasurement]:
    """Part 1: every build at every volume, in table order."""
    builds: list[tuple[str, Runner]] = [
        ("tradesim licensing model", tradesim_licensing),
        ("SimPy, one process per application", simpy_process_per_application),
        (f"ciw {ciw.__version__}", ciw_mmc),
    ]
    out = []
    for arrivals_per_day, reviewers in VOLUMES:
        setup = QueueSetup(arrivals_per_day, reviewers, applications)
        for name, runner in builds:
            out.append(measure_queue(f"{name}, {setup.volume}", runner, setup, timed))
    return out


# --- the full baseline scenario -----------------------------------------------------------------


@dataclass
class BaselineTiming:
    seconds: list[float]
    applications: list[float]

    @property
    def seconds_per_rep(self) -> float:
        return statistics.median(self.seconds)

    @property
    def micros_per_application(self) -> float:
        return 1e6 * sum(self.seconds) / sum(self.applications)


def time_baseline_replications(timed: int) -> BaselineTiming:
    """Single-process replications of the baseline scenario, after one warm-up replication."""
    spec = load_scenario("baseline").spec
    run_replication(spec, MASTER_SEED, 0)
    seconds, applications = [], []
    for rep in range(1, timed + 1):
        gc.collect()
        start = time.perf_counter()
        result = run_replication(spec, MASTER_SEED, rep)
        seconds.append(time.perf_counter() - start)
        applications.append(result.outcomes["applications_total"])
    return BaselineTiming(seconds, applications)


def tracemalloc_peak_one_replication() -> float:
    """Peak traced allocation (MiB) while one baseline replication runs (numpy included)."""
    spec = load_scenario("baseline").spec
    gc.collect()
    tracemalloc.start()
    try:
        run_replication(spec, MASTER_SEED, 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def max_rss_mib() -> float:
    """Peak resident set of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if platform.system() == "Darwin" else rss / 2**10


def _peak_rss_since_exec_mib() -> float:
    """Peak resident set of this process's own memory map, in MiB.

    On Linux ``ru_maxrss`` survives fork and exec, so a freshly spawned child reports its
    parent's peak; the map's high-water mark (VmHWM) starts afresh at exec.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10  # kB
    return max_rss_mib()


def _fresh_process_peak_rss(run_one: bool) -> float:
    if run_one:
        run_replication(load_scenario("baseline").spec, MASTER_SEED, 0)
    return _peak_rss_since_exec_mib()


def fresh_process_peak_rss(run_one: bool) -> float:
    """Peak RSS (MiB) of a new interpreter that imports tradesim (and runs one replication)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_fresh_process_peak_rss, run_one).result()


def time_experiment(reps: int, workers: int) -> float:
    """Wall time of ``run_experiment`` on the baseline, results written to a temporary folder."""
    loaded = load_scenario("baseline")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = run_experiment(loaded, reps=reps, master_seed=1, out=Path(tmp), workers=workers)
        elapsed = time.perf_counter() - start
    if report.reps_completed != reps:
        raise RuntimeError(f"run_experiment finished {report.reps_completed} of {reps} reps")
    return elapsed


# --- printing -----------------------------------------------------------------------------------


def render_table(header: list[str], rows: list[list[str]]) -> str:
    """Plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def machine_description() -> str:
    return "\n".join(
        [
            f"machine : {platform.platform()}, {os.cpu_count()} CPUs ({platform.machine()})",
            f"python  : {platform.python_version()} ({platform.python_implementation()})",
            f"versions: tradesim {sim.__version__}, numpy {np.__version__}, "
            f"simpy {simpy.__version__}, ciw {ciw.__version__}",
        ]
    )


def tradesim_cost_split(measurements: list[QueueMeasurement]) -> str:
    """Fit seconds = a * applications + b * simulated days through the two tradesim rows."""
    rows = [m for m in measurements if m.label.startswith("tradesim")]
    design = np.array([[statistics.mean(m.applications), math.ceil(m.setup.horizon_days)] for m in rows])
    per_app, per_day = np.linalg.solve(design, [m.seconds_per_rep for m in rows])
    return (
        f"tradesim cost, fitted to its two rows: {per_app * 1e6:.2f} µs per application "
        f"+ {per_day * 1e3:.3f} ms per simulated day"
    )


def queue_table(measurements: list[QueueMeasurement]) -> str:
    header = [
        "build",
        "apps/rep",
        "s/rep",
        "reps/s",
        "µs/app",
        "speed-up",
        "wait (min)",
        "± s.e.",
        "Erlang C",
        "diff",
    ]
    simpy_seconds = {m.setup: m.seconds_per_rep for m in measurements if m.label.startswith("SimPy")}
    rows = []
    for m in measurements:
        erlang = m.setup.erlang_c_wait
        rows.append(
            [
                m.label,
                f"{statistics.mean(m.applications):,.0f}",
                f"{m.seconds_per_rep:.3f}",
                f"{1 / m.seconds_per_rep:.2f}",
                f"{m.micros_per_application:.2f}",
                f"{simpy_seconds[m.setup] / m.seconds_per_rep:.1f}x",
                f"{m.mean_wait * MINUTES_PER_DAY:.2f}",
                f"{m.wait_standard_error * MINUTES_PER_DAY:.2f}",
                f"{erlang * MINUTES_PER_DAY:.2f}",
                f"{(m.mean_wait / erlang - 1) * 100:+.1f}%",
            ]
        )
    return render_table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 timed run each, 10,000 applications, 8-replication experiments",
    )
    parser.add_argument(
        "--reps-timing",
        type=int,
        metavar="N",
        help="timed runs per measurement, after one warm-up (default 5; 1 with --quick)",
    )
    args = parser.parse_args()
    if args.reps_timing is not None and args.reps_timing < 1:
        parser.error("--reps-timing must be >= 1")
    timed = args.reps_timing or (1 if args.quick else 5)
    applications = 10_000 if args.quick else 50_000
    experiment_reps = 8 if args.quick else 40

    started = time.perf_counter()
    print(machine_description())
    print(f"timing  : median of {timed} timed run(s) after 1 warm-up run, single process")
    print()

    setup = QueueSetup(*VOLUMES[0], applications)
    print(
        f"Part 1. M/M/c licence-review queue, {applications:,} applications per replication, "
        f"utilisation {setup.utilisation:.2f}, mean review {MEAN_REVIEW_DAYS} day"
    )
    print(
        f"wait = mean wait for a reviewer (minutes) of files filed after the first "
        f"{WARMUP_FRACTION:.0%} of the horizon, averaged over all {timed + 1} runs;"
    )
    print("speed-up = SimPy per-application seconds / row seconds, at the same volume")
    print()
    measurements = measure_all_queue_builds(applications, timed)
    print(queue_table(measurements))
    print()
    print(tradesim_cost_split(measurements))
    print()

    baseline = time_baseline_replications(timed)
    peak_traced = tracemalloc_peak_one_replication()
    rss_imports = fresh_process_peak_rss(run_one=False)
    rss_one = fresh_process_peak_rss(run_one=True)
    print("Part 2. Full baseline scenario (scenarios/baseline.toml)")
    print()
    print(
        render_table(
            ["measure", "value"],
            [
                ["replications/s, single process", f"{1 / baseline.seconds_per_rep:.2f}"],
                ["seconds per replication (median)", f"{baseline.seconds_per_rep:.3f}"],
                [
                    "applications per replication (mean)",
                    f"{statistics.mean(baseline.applications):,.0f}",
                ],
                ["µs per application", f"{baseline.micros_per_application:.2f}"],
                ["tracemalloc peak, one replication (MiB)", f"{peak_traced:.1f}"],
                ["peak RSS, fresh process, imports only (MiB)", f"{rss_imports:.1f}"],
                ["peak RSS, fresh process, + one replication (MiB)", f"{rss_one:.1f}"],
                ["ru_maxrss, this benchmark process so far (MiB)", f"{max_rss_mib():.1f}"],
            ],
        )
    )
    print()

    rows = []
    serial = None
    for workers in (1, 2):
        seconds = time_experiment(experiment_reps, workers)
        serial = serial or seconds
        rows.append(
            [
                f"run_experiment, workers={workers}",
                f"{experiment_reps}",
                f"{seconds:.2f}",
                f"{experiment_reps / seconds:.2f}",
                f"{serial / seconds:.2f}x",
            ]
        )
    print(f"run_experiment on the baseline, {experiment_reps} replications, results written to disk")
    print()
    print(render_table(["run", "reps", "wall s", "reps/s", "speed-up"], rows))
    print()
    print(f"total benchmark time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
