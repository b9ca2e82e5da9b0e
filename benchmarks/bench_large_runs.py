"""Very large runs: wall time, the tail after the last replication, and the parent's peak memory.

Run from the repository root::

    python benchmarks/bench_large_runs.py                           # stored model, 1k and 10k: ~1 min
    python benchmarks/bench_large_runs.py --reps 1000 10000 100000  # 100k: a few minutes
    python benchmarks/bench_large_runs.py --model --reps 1000       # the real model (30 ms a replication)
    python benchmarks/bench_large_runs.py --engines local dask-local dask-scheduler --workers 1 2

Each row is a fresh interpreter running ``run_experiment`` on the baseline (daily series kept as
``--series auto`` decides: every path up to 1,000 replications, only daily quantiles beyond), on
local worker processes, a local Dask cluster (``--dask local``) or a ``dask scheduler`` with
``dask worker`` processes on 127.0.0.1. It prints wall time; the *tail*, from the moment every
replication is in to the end of the run (today's serial quantile reduction lived there); CPU of
the parent and its own children; the parent's peak resident set (``VmHWM``); and a fingerprint
(SHA-256) of the outcome and parameter tables and of the daily series (quantile file or chunk
files), which must be the same for every engine and number of workers at one size.

Without ``--model`` the replications come from ``benchmarks/stored_model.py`` (one real
replication, its series scaled per replication number): the run machinery (chunks, packing,
the writer, the reduction) at 100,000 replications in minutes instead of the model's
~25 minutes on 2 cores. Each row is bounded by ``--max-seconds``; it never asserts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gauge import speed_gauge  # benchmarks/gauge.py: this folder is on the path

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "benchmarks" / "stored_model.py"


def _fingerprint(folder: Path) -> str:
    """SHA-256 (12 hex digits) of the tables and the daily series, whatever the chunk layout.

    Chunk files are cut by the number of workers, so paths are hashed series by series in
    replication order (one series in memory at a time), the quantile file as its bytes.
    """
    from sim.results import series_store

    digest = hashlib.sha256()
    for path in [
        folder / "outcomes.csv",
        folder / "parameters.csv",
        *sorted((folder / "series").glob("q*.npz")),
    ]:
        digest.update(path.name.encode())
        with path.open("rb") as fh:  # streamed: the tables of 100,000 replications are ~200 MB
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    if series_store.chunk_files(folder):
        for name in series_store.series_names(folder):
            digest.update(name.encode() + series_store.read_paths(folder, name, dtype=np.float32).tobytes())
    return digest.hexdigest()[:12]


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(reps: int, workers: int, engine: str, stored: bool, tree: Path) -> None:
    """One run in this fresh process (of the checkout ``tree``); prints its figures as JSON."""
    sys.path.insert(0, str(tree))
    if stored:  # replaces the model in this process and the workers it forks
        import importlib.util

        spec = importlib.util.spec_from_file_location("stored_model", STORED)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    from sim.experiments.run import run_experiment
    from sim.results.series_store import resolve_kept
    from sim.scenario.loader import load_scenario

    loaded = load_scenario("baseline")
    done, all_in = [0], [0.0]

    def progress(k: int) -> None:
        done[0] += k
        if done[0] == reps:
            all_in[0] = time.perf_counter()

    dask = None if engine == "local" else ("local" if engine == "dask-local" else engine)
    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        t0 = time.perf_counter()
        run_experiment(loaded, reps, 11, Path(tmp), workers, progress, dask, resolve_kept("auto", reps))
        end = time.perf_counter()
        rss_mb = _peak_rss_mb()  # before the fingerprint reads anything
        fingerprint = _fingerprint(Path(tmp))
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "wall": end - t0,
                "tail": end - all_in[0] if all_in[0] else float("nan"),
                "cpu_parent": own.ru_utime + own.ru_stime,
                "cpu_children": kids.ru_utime + kids.ru_stime,
                "rss_mb": rss_mb,
                "fingerprint": fingerprint,
            }
        )
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scheduler:
    """A ``dask scheduler`` and ``dask worker`` processes on loopback, for one row."""

    def __init__(self, workers: int, stored: bool, tree: Path):
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        dask = [sys.executable, "-m", "dask"]
        env = dict(os.environ, PYTHONPATH=str(tree))
        # run from the tree: ``python -m`` puts the working directory first on the path, before
        # PYTHONPATH, so workers started in another checkout ran its code (and were refused)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": tree}
        self.processes = [
            subprocess.Popen(
                [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet
            )
        ]
        preload = ["--preload", str(STORED)] if stored else []
        self.processes.append(
            subprocess.Popen(
                [*dask, "worker", self.address, "--nworkers", str(workers), "--nthreads", "1", *preload],
                **quiet,
            )
        )
        from distributed import Client

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with Client(self.address, timeout="2s") as client:
                    if len(client.scheduler_info()["workers"]) == workers:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the Dask workers did not join the scheduler within a minute")

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            process.wait(30)


def row(reps: int, workers: int, engine: str, stored: bool, max_seconds: float, tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    if stored:  # a local Dask cluster's workers import the stand-in too
        env["DASK_DISTRIBUTED__WORKER__PRELOAD"] = json.dumps([str(STORED)])
    scheduler = Scheduler(workers, stored, tree) if engine == "dask-scheduler" else None
    try:
        command = [
            sys.executable,
            __file__,
            "--child",
            str(reps),
            "--workers",
            str(workers),
            "--tree",
            str(tree),
        ]
        command += ["--engine", scheduler.address if scheduler else engine] + (["--stored"] if stored else [])
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=max_seconds, env=env, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {"timed_out": max_seconds}
    finally:
        if scheduler:
            scheduler.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--engines", nargs="+", default=["local"], help="local, dask-local, dask-scheduler")
    parser.add_argument("--model", action="store_true", help="the real model, not the stored replication")
    parser.add_argument("--max-seconds", type=float, default=900, help="bound on each row")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to time (default: this one)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="local", help=argparse.SUPPRESS)
    parser.add_argument("--stored", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workers[0], args.engine, args.stored, args.tree)
        return
    what = "the real model" if args.model else "a stored replication (benchmarks/stored_model.py)"
    print(f"Very large runs of the baseline, {what}, code in {args.tree}; series as --series auto decides")
    print(
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} · speed gauge {speed_gauge():.2f} s"
    )
    print(
        f"{'engine':<15}{'workers':>8}{'reps':>9}{'wall s':>9}{'ms/rep':>8}{'tail s':>8}"
        f"{'CPU parent':>11}{'CPU kids':>9}{'peak RSS MB':>12}  fingerprint"
    )
    for reps in args.reps:
        for engine in args.engines:
            for workers in args.workers:
                r = row(reps, workers, engine, not args.model, args.max_seconds, args.tree)
                if "timed_out" in r:
                    print(f"{engine:<15}{workers:>8}{reps:>9}  stopped after {r['timed_out']:.0f} s")
                    continue
                print(
                    f"{engine:<15}{workers:>8}{reps:>9}{r['wall']:>9.1f}{1e3 * r['wall'] / reps:>8.2f}"
                    f"{r['tail']:>8.2f}{r['cpu_parent']:>11.1f}{r['cpu_children']:>9.1f}{r['rss_mb']:>12.0f}"
                    f"  {r['fingerprint']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
