"""Monte Carlo runs: many replications of one scenario, in parallel, into a results folder.

Replication ``rep`` depends only on the scenario, the master seed and ``rep``
(:mod:`sim.streams`), so the work can be cut into chunks and spread over local
processes in any way: results are bit-identical for any number of workers.
Finished chunks are written in replication order as soon as every earlier
chunk is done. Ctrl-C stops the run cleanly: workers ignore the signal, the
main process cancels what has not started, keeps every finished replication
and marks the manifest incomplete.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.clock import Clock
from sim.loader import LoadedScenario
from sim.model import ReplicationResult, run_replication
from sim.results import ResultsWriter, base_manifest
from sim.scenario import Scenario

ProgressCallback = Callable[[int], None]  # called with the number of replications just finished


@dataclass
class RunReport:
    """What a finished (or interrupted) run produced."""

    folder: Path
    reps_completed: int
    reps_requested: int
    master_seed: int
    interrupted: bool


def new_master_seed() -> int:
    """A fresh master seed from the operating system, for runs given none."""
    return int(np.random.SeedSequence().entropy % (2**63))


def default_workers() -> int:
    """All cores of this machine."""
    return max(1, os.cpu_count() or 1)


def run_chunk(scenario: Scenario, master_seed: int, reps: list[int]) -> list[ReplicationResult]:
    """Simulate a list of replications (the unit of work sent to a worker)."""
    return [run_replication(scenario, master_seed, rep) for rep in reps]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunks(reps: int, workers: int) -> list[list[int]]:
    size = max(1, min(25, reps // (workers * 4) or 1))
    return [list(range(i, min(i + size, reps))) for i in range(0, reps, size)]


def key_dates(scenario: LoadedScenario) -> list[dict[str, str]]:
    """Labelled dates to mark on plots: the controls, timeline events, the deadline."""
    spec = scenario.spec
    marks = [(spec.licensing.controls_label, spec.licensing.controls_start)]
    marks += [(ev.label, ev.date) for ev in spec.licensing.timeline.values() if ev.label]
    marks += [(spec.calendar.truce_deadline_label, spec.calendar.truce_deadline)]
    if spec.negotiation is not None:  # what-if decision points with a label (new talks, a chip rule)
        marks += [
            (p.label, p.date) for p in spec.negotiation.decision_points.values() if p.label and not p.scripted
        ]
    if spec.tariffs is not None and spec.tariffs.court_ruling is not None:
        marks += [("Court ruling", spec.tariffs.court_ruling.date)]
    out: dict[str, dict] = {}
    for label, dist in marks:
        if label and label not in out:
            out[label] = {"label": label, "date": dist.ppf(0.5).isoformat(), "uncertain": dist.is_uncertain}
    return sorted(out.values(), key=lambda m: m["date"])


def run_experiment(
    scenario: LoadedScenario,
    reps: int,
    master_seed: int,
    out: Path,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    dask: str | None = None,
) -> RunReport:
    """Run ``reps`` replications of a scenario and write the results folder ``out``.

    ``dask`` sends the work to a Dask cluster instead of local processes: an
    address (``tcp://host:8786``) of an existing scheduler, or ``"local"`` to
    start a local cluster of ``workers`` processes. Results are bit-identical
    whichever engine runs them: a replication depends only on its seed.
    """
    if reps < 1:
        raise ValueError(f"reps (={reps}) must be >= 1")
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers (={workers}) must be >= 1")
    clock = Clock(scenario.spec.calendar.start, scenario.spec.calendar.end)
    manifest = base_manifest(scenario, master_seed, reps, workers, key_dates(scenario))
    writer = ResultsWriter(out, clock, manifest)
    interrupted = False
    manifest["engine"] = f"dask ({dask})" if dask else f"{workers} local process(es)"
    try:
        if workers == 1 and not dask:
            for rep in range(reps):
                writer.write([run_replication(scenario.spec, master_seed, rep)])
                if progress:
                    progress(1)
        else:
            with executor(workers, dask) as pool:
                _run_parallel(scenario.spec, master_seed, reps, workers, writer, progress, pool)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        writer.close(complete=not interrupted and len(writer.completed) == reps)
    return RunReport(out, len(writer.completed), reps, master_seed, interrupted)


def _run_parallel(
    spec: Scenario,
    master_seed: int,
    reps: int,
    workers: int,
    writer: ResultsWriter,
    progress: ProgressCallback | None,
    pool: Executor,
) -> None:
    """Run chunks of replications on an executor; write them in replication order as they finish."""
    chunks = _chunks(reps, workers)
    done: dict[int, list[ReplicationResult]] = {}
    next_to_write = 0
    try:
        pending: dict[Future, int] = {
            pool.submit(run_chunk, spec, master_seed, chunk): i for i, chunk in enumerate(chunks)
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                done[index] = future.result()
                if progress:
                    progress(len(chunks[index]))
            while next_to_write in done:  # write in replication order
                writer.write(done.pop(next_to_write))
                next_to_write += 1
    except KeyboardInterrupt:
        for index in sorted(done):  # keep what finished beyond a gap, too
            writer.write(done[index])
        for future in pending:
            future.cancel()
        raise


@contextmanager
def executor(workers: int, dask: str | None = None) -> Iterator[Executor]:
    """Where many independent model runs go: local processes, or a Dask cluster.

    Local worker processes ignore Ctrl-C, so the main process can stop cleanly
    and keep what finished. Work not yet started is cancelled on the way out.
    """
    if dask:
        with _dask_executor(dask, workers) as pool:
            yield pool
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask_executor(address: str, workers: int) -> Iterator[Executor]:
    """A concurrent.futures executor backed by a Dask cluster (``local`` starts one here)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a declared dependency
        raise RuntimeError("--dask needs the distributed package: pip install 'dask[distributed]'") from None
    if address == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        )
        client = Client(cluster)
    else:
        cluster, client = None, Client(address)
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
