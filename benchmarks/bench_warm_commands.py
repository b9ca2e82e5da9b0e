"""Warm commands as a room waits for them: ``tradesim run`` of 100 replications and a four-scenario compare.

Run from the repository root::

    python benchmarks/bench_warm_commands.py              # 3 rounds: about 2-3 minutes on 2 cores
    python benchmarks/bench_warm_commands.py --rounds 5
    python benchmarks/bench_warm_commands.py --only run    # the run alone: about 1 minute
    python benchmarks/bench_warm_commands.py --tree ../other-checkout   # side by side, rounds alternating

Each command runs in a fresh interpreter (``python -m sim``, as the ``tradesim`` script does),
after one untimed run that leaves the compiled kernels cached (warm), with and without its
default plots, so the plots' share is the difference. Printed per command: the minimum and median
wall time over the rounds (the minimum is the least disturbed run on a shared machine), CPU time
of the command and its processes, the load average and the speed gauge (CPU seconds of a fixed
10-million-step Python loop) read before each round. Targets (issue 21, on 2 cores): the run in at
most 2 s, the comparison in at most 4 s. It never asserts. With ``--tree``, another checkout's code
(its own compiled cache) runs each round right after this one's, so both see the same load.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gauge import speed_gauge  # benchmarks/gauge.py: this folder is on the path

ROOT = Path(__file__).resolve().parents[1]

DEADLINE_SCENARIOS = ["deal_by_deadline", "extension_90_days", "snap_back", "no_deal"]
#: label -> (command without --reps, replications)
COMMANDS = {
    "run baseline --reps 100": (["run", "baseline", "--seed", "1"], 100),
    "compare (4 deadline scenarios) --reps 200": (["compare", *DEADLINE_SCENARIOS, "--seed", "1"], 200),
}


def timed(args: list[str], out: Path, tree: Path = ROOT) -> tuple[float, float]:
    """Wall and CPU seconds (the command and every process it waited for) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sim", *args, "--out", str(out), "--force", "--quiet"],
        cwd=tree,
        check=True,
        stdout=subprocess.DEVNULL,
        env=dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(tree)),
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree", type=Path, action="append", default=[], help="another checkout to time too")
    parser.add_argument("--only", choices=["run", "compare"], help="time one of the two commands")
    args = parser.parse_args()
    trees = [ROOT, *(t.resolve() for t in args.tree)]
    print(f"{os.cpu_count()} cores · load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        for label, (command, reps) in COMMANDS.items():
            if args.only and not label.startswith(args.only):
                continue
            for tree in trees:
                timed([*command, "--reps", "2", "--no-plots"], Path(tmp) / "warm-up", tree)  # kernels cached
            for plots in ("--plots", "--no-plots"):
                walls: dict[Path, list[float]] = {t: [] for t in trees}
                cpus: dict[Path, list[float]] = {t: [] for t in trees}
                gauges, loads = [], []
                for _ in range(args.rounds):
                    gauges.append(speed_gauge())
                    loads.append(os.getloadavg()[0])
                    for tree in trees:
                        wall, cpu = timed([*command, "--reps", str(reps), plots], Path(tmp) / "out", tree)
                        walls[tree].append(wall)
                        cpus[tree].append(cpu)
                for tree in trees:
                    name = "" if len(trees) == 1 else f"[{tree.name}] "
                    print(
                        f"{name}{label} {plots:<10} wall min {min(walls[tree]):5.2f} s"
                        f" · median {statistics.median(walls[tree]):5.2f} s"
                        f" · CPU median {statistics.median(cpus[tree]):5.2f} s"
                        f" · gauges {min(gauges):.2f}-{max(gauges):.2f} s"
                        f" · load {min(loads):.1f}-{max(loads):.1f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
