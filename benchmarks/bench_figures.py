"""CPU seconds of each default figure of a run, drawn one after another in one process.

Run from the repository root::

    python benchmarks/bench_figures.py                          # this checkout, 3 rounds: ~1 min
    python benchmarks/bench_figures.py --tree /path/to/other    # this checkout and another, side by side
    python benchmarks/bench_figures.py --folder RESULTS --rounds 5

The figures are those ``tradesim run`` draws after a run (``default_plot_jobs``), of the results
folder ``--folder`` (default: a fresh ``tradesim run baseline --reps 100 --seed 1``, made once
with this checkout, so every tree draws the same data). Each tree draws in its own fresh
interpreter, with its code first on the path, into its own copy of the folder: one untimed round
first (fonts loaded, caches warm, as in the drawing processes of a run), then ``--rounds`` timed
rounds, the trees taking turns round by round so that each meets the machine as it is. A
figure's CPU seconds (``time.process_time``) is its minimum over the rounds; the total is the sum
of those. The speed gauge (CPU seconds of a fixed 10-million-step Python loop) is read before
each round. It never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gauge import speed_gauge  # benchmarks/gauge.py: this folder is on the path

ROOT = Path(__file__).resolve().parents[1]
#: The run whose figures are drawn when no folder is given.
RUN = [sys.executable, "-m", "sim", "run", "baseline", "--reps", "100", "--seed", "1"]


def child(folder: Path) -> None:
    """Draw the default figures of ``folder`` in this process, one round per line read from stdin.

    Each round prints {figure: CPU seconds} as one JSON line; the first round (fonts loaded,
    caches warm) is drawn before the first line is read and printed as ``{}``.
    """
    from sim.plots.charts import default_plot_jobs
    from sim.results.folder import read_results

    jobs = default_plot_jobs(read_results(folder))
    try:  # as the drawing processes of a run draw (a tree from before it has no such thing)
        from sim.plots.render import reuse_figures_from_now
    except ImportError:
        pass
    else:
        reuse_figures_from_now()
    for job in jobs:
        job.draw()
    print("{}", flush=True)
    for _ in sys.stdin:
        times = {}
        for job in jobs:
            c0 = time.process_time()
            path = job.draw()
            times[Path(path).name if path else "?"] = time.process_time() - c0
        print(json.dumps(times), flush=True)


class Drawer:
    """A fresh interpreter with ``tree``'s code first on the path, drawing a copy of ``folder``."""

    def __init__(self, tree: Path, folder: Path, scratch: Path):
        copy = scratch / f"results-{len(list(scratch.iterdir()))}"
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("plots"))
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--child", str(copy)],
            cwd=tree,
            env=dict(os.environ, PYTHONPATH=str(tree), MPLBACKEND="Agg"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.times: dict[str, list[float]] = {}

    def ready(self) -> None:
        self._answer()

    def round(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        for name, seconds in self._answer().items():
            self.times.setdefault(name, []).append(seconds)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()

    def _answer(self) -> dict[str, float]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the drawing process ended early")
        return json.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, action="append", default=[], help="another checkout to time")
    parser.add_argument("--folder", type=Path, help="a run's results (default: a new 100-rep baseline)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    trees = [ROOT, *(t.resolve() for t in args.tree)]
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as tmp:
        (Path(tmp) / "copies").mkdir()
        folder = args.folder
        if folder is None:
            folder = Path(tmp) / "baseline"
            subprocess.run(
                [*RUN, "--out", str(folder), "--no-plots", "--quiet"],
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
                env=dict(os.environ, PYTHONPATH=str(ROOT)),
            )
        drawers = {tree: Drawer(tree, folder, Path(tmp) / "copies") for tree in trees}
        for drawer in drawers.values():  # one at a time: the untimed rounds do not overlap the timed ones
            drawer.ready()
        gauges = []
        for _ in range(args.rounds):  # the trees take turns, so each meets the machine as it is
            gauges.append(speed_gauge())
            for drawer in drawers.values():
                drawer.round()
        for drawer in drawers.values():
            drawer.close()
        results = {tree: {n: min(v) for n, v in d.times.items()} for tree, d in drawers.items()}
        print(f"gauges {min(gauges):.2f}-{max(gauges):.2f} s · load {os.getloadavg()[0]:.1f}")
    names = list(dict.fromkeys(name for times in results.values() for name in times))
    width = max(len(n) for n in names)
    print(f"\nCPU seconds per figure (minimum of {args.rounds} rounds), drawn one after another")
    print(f"{'figure':<{width}} " + " ".join(f"{f'tree {i + 1}':>8}" for i in range(len(trees))))
    for name in names:
        print(f"{name:<{width}} " + " ".join(f"{results[t].get(name, float('nan')):8.3f}" for t in trees))
    print(f"{'total':<{width}} " + " ".join(f"{sum(results[t].values()):8.3f}" for t in trees))
    for i, tree in enumerate(trees):
        print(f"tree {i + 1}: {tree}")


if __name__ == "__main__":
    main()
