"""What a user waits for before and around the replications: start-up, the compile, a first run.

Each figure is a fresh process, timed from outside (wall clock, and CPU of the process and its
children), beside the speed gauge (a fixed pure-Python loop: this machine's speed right now)::

    python benchmarks/bench_startup.py            # about 2-3 minutes on 2 cores
    python benchmarks/bench_startup.py --quick    # no cold README run or game: under a minute
    python benchmarks/bench_startup.py --kernels  # each warm-up's compile time alone (compile_s)

A *cold* figure gets a fresh, empty ``NUMBA_CACHE_DIR`` (a fresh install, or a new user
account); a *warm* one reuses the cache the cold one filled. Rows:

- ``tradesim --help`` and ``tradesim list``: median of ``--repeat`` runs;
- the kernels alone (``sim.model.replication.warm_up`` in a fresh interpreter): cold in one
  process (``TRADESIM_COMPILE_PROCESSES=1``), cold shared by one process per CPU (by default
  only idle CPUs count), and warm;
- the README's first command (``tradesim run baseline --reps 200 --seed 1``, plots included),
  cold and warm;
- the first game (``tradesim play --us hawk --china dove --seed 1``), cold and warm.

Timed runs are never tests: a shared machine's speed varies by 2x within the hour, so read the
figures as ratios beside the gauge.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def speed_gauge() -> str:
    """CPU seconds of a fixed 10-million-step Python loop (as ``bench_experiment.py``), and its wall
    seconds: more wall than CPU means other processes share the cores now."""
    c0, w0 = time.process_time(), time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"{time.process_time() - c0:.2f} s CPU ({time.perf_counter() - w0:.2f} s wall)"


def load() -> str:
    """The 1-minute load average: processes wanting a core (more than the cores: timings stretch)."""
    try:
        return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except (AttributeError, OSError):
        return "load average unknown"


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[float, float]:
    """Wall and CPU seconds (the process and everything it waited for) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def environment(cache: Path, **extra: str) -> dict[str, str]:
    """This environment with the kernels cached in ``cache`` and no display for plots."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), MPLBACKEND="Agg", **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return env


def row(label: str, wall: float, cpu: float, note: str = "") -> None:
    print(f"  {label:48s} {wall:7.2f} {cpu:7.2f}  {note}")


def tradesim(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", *args]


def kernels_alone() -> None:
    """Each warm-up's compile CPU seconds in one process, cold, in registry order."""
    code = (
        "import time\n"
        "import sim.model.replication\n"
        "from sim.core import jit\n"
        "for w in jit._WARM_UPS.values():\n"
        "    c = time.process_time(); w.func()\n"
        "    used = time.process_time() - c\n"
        "    print(f'  {w.name:14s} {w.group:10s} {used:6.2f}   (compile_s {w.compile_s})')\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = environment(Path(cache), TRADESIM_COMPILE_PROCESSES="1")
        print("  warm-up        group      CPU s, cold (each after those above, in one process)")
        subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the cold README run and the games")
    parser.add_argument("--kernels", action="store_true", help="only each warm-up's compile time")
    parser.add_argument("--repeat", type=int, default=5, help="runs of --help and list (median)")
    args = parser.parse_args()

    print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    if args.kernels:
        kernels_alone()
        return
    print(f"speed gauge: a 10-million-step Python loop takes {speed_gauge()} now; {load()}\n")
    print(f"  {'':48s} {'wall s':>7s} {'CPU s':>7s}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        warm_cache = tmp / "warm-cache"
        env = environment(warm_cache)
        subprocess.run(  # fill the warm cache first
            [sys.executable, "-c", "import sim.model.replication as r; r.warm_up()"],
            env=env,
            cwd=ROOT,
            check=True,
            stderr=subprocess.DEVNULL,
        )
        for label, command in (("tradesim --help", tradesim("--help")), ("tradesim list", tradesim("list"))):
            runs = [timed(command, env) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            row(label, wall, cpu, f"median of {args.repeat}")

        warm_up = [sys.executable, "-c", "import sim.model.replication as r; r.warm_up()"]
        row(
            "kernels, cold, one process",
            *timed(warm_up, environment(tmp / "c1", TRADESIM_COMPILE_PROCESSES="1")),
        )
        cpus = str(os.cpu_count() or 1)
        shared = environment(tmp / "c2", TRADESIM_COMPILE_PROCESSES=cpus)
        row("kernels, cold, shared by all cores", *timed(warm_up, shared))
        row("kernels, warm", *timed(warm_up, env))

        readme = ("run", "baseline", "--reps", "200", "--seed", "1", "--out")
        if not args.quick:
            row(
                "README's first command, cold",
                *timed(tradesim(*readme, str(tmp / "r1")), environment(tmp / "c3")),
            )
        row("README's first command, warm", *timed(tradesim(*readme, str(tmp / "r2")), env))

        if not args.quick:
            game = ("play", "--us", "hawk", "--china", "dove", "--seed", "1", "--out")
            row(
                "first game (hawk v dove), cold",
                *timed(tradesim(*game, str(tmp / "g1")), environment(tmp / "c4")),
            )
            row("a game, warm", *timed(tradesim(*game, str(tmp / "g2")), env))
    print(f"\nspeed gauge after: {speed_gauge()}; {load()}")


if __name__ == "__main__":
    main()
