"""Monte Carlo runs: many replications of one scenario, in parallel, into a results folder.

Replication ``rep`` depends only on the scenario, the master seed and ``rep``
(:mod:`sim.core.streams`), so the work can be cut into chunks and spread over local
processes in any way: results are bit-identical for any number of workers.
Each finished chunk is written at once (its daily series to their own file,
its rows in replication order; :class:`sim.results.folder.ResultsWriter`), so the
main process holds no more than the scalar-outcome table and one chunk.
Ctrl-C stops the run cleanly: workers ignore the signal, the main process
cancels what has not started, keeps every finished replication and marks the
manifest incomplete; :func:`resume_experiment` finishes it.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.clock import Clock
from sim.core.limits import MAX_REPS, cores_available
from sim.core.replication_result import ReplicationResult
from sim.core.version import source_hash
from sim.experiments.cluster import DASK_CONNECT_TIMEOUT_S
from sim.experiments.reduction import FreshProcesses, exit_with_parent
from sim.model.replication import run_replication, warm_up
from sim.results.folder import ResultsError, scenario_from_manifest
from sim.results.safe_io import load_manifest
from sim.results.series_store import SeriesKept
from sim.results.writer import FinishedChunk, ResultsWriter, base_manifest, finish_chunk, stored_reps
from sim.scenario.loader import LoadedScenario
from sim.scenario.schema import Scenario, point_date

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
    """All cores this process may use."""
    return cores_available()


#: Scenarios that forked local workers inherit (see ``_run_parallel``), by key.
_FORKED_SCENARIOS: dict[int, Scenario] = {}


def run_forked_chunk(key: int, master_seed: int, reps: list[int], keep_series: bool = True) -> FinishedChunk:
    """:func:`run_chunk` for a scenario this forked worker inherited from its parent."""
    return run_chunk(_FORKED_SCENARIOS[key], master_seed, reps, keep_series)


def run_chunk(
    scenario: Scenario, master_seed: int, reps: list[int], keep_series: bool = True
) -> FinishedChunk:
    """Simulate a list of replications and pack them (the unit of work sent to a worker)."""
    return finish_chunk([run_replication(scenario, master_seed, rep) for rep in reps], keep_series)


def _start_worker(parent_pid: int | None = None) -> None:
    """A local worker ignores Ctrl-C (the main process stops the run), dies with its parent,
    keeps freed memory, and leaves what it inherited out of garbage collection (``gc.freeze``,
    see ``heap_frozen``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent_pid)
    keep_freed_memory()
    gc.freeze()


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Leave every object alive now out of Python's garbage collection while the block runs.

    The compiled kernels bring ~150,000 long-lived Python objects (numba's type
    registries, the validated scenario, imported modules). Every full collection,
    triggered by the dicts and lists each replication makes, walked all of them:
    ~90 ms a time, 8% of a replication's cost (``perf``, benchmarks/README.md).
    Frozen, they are skipped; the replications' own garbage is collected as
    before. Thawed on the way out, so a notebook's objects are collected as usual.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def keep_freed_memory() -> None:
    """Ask glibc's allocator to keep freed memory for reuse rather than return it to the system.

    Each replication allocates and frees a few megabytes of arrays. By default
    glibc hands large blocks back to the operating system, and the next
    replication faults them in again page by page: on 2 workers that was 1.1-1.4 s
    of system time per 400 replications, 0.4 s with this (``benchmarks/README.md``).
    A worker then holds on to its peak memory, tens of megabytes, until it exits.
    Only local worker processes do this; elsewhere (another C library) it does nothing.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 256 * 2**20)  # blocks below this come from the heap...
        libc.mallopt(_M_TRIM_THRESHOLD, 512 * 2**20)  # ...which is not trimmed below this
    except (OSError, AttributeError):  # not Linux with glibc
        pass


#: mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def _chunks(reps: list[int], workers: int) -> list[list[int]]:
    """Replications cut into chunks: a few per worker for balance, at most 25 (the memory held per chunk).

    Chunks shrink towards the end (none bigger than half a worker's share
    of what is left), so the workers finish together: with equal chunks the last
    one ran alone for half a chunk's time on average, a core idle meanwhile.
    """
    size = max(1, min(25, len(reps) // (workers * 4) or 1))
    chunks, start = [], 0
    while start < len(reps):
        left = len(reps) - start
        take = min(size, max(2, -(-left // (2 * workers))))
        chunks.append(reps[start : start + take])
        start += take
    return chunks


def key_dates(scenario: LoadedScenario) -> list[dict[str, str]]:
    """Labelled dates to mark on plots: the controls, timeline events, the deadline."""
    spec = scenario.spec
    marks = [(spec.licensing.controls_label, spec.licensing.controls_start)]
    marks += [(ev.label, ev.date) for ev in spec.licensing.timeline.values() if ev.label]
    marks += [(spec.calendar.truce_deadline_label, spec.calendar.truce_deadline)]
    if spec.negotiation is not None:  # what-if decision points with a label (new talks, a chip rule)
        for name, p in spec.negotiation.decision_points.items():
            date = point_date(spec, name)  # None: a deadline only an extension reaches
            if p.label and not p.scripted and date is not None:
                marks.append((p.label, date))
    if spec.tariffs is not None and spec.tariffs.court_ruling is not None:
        marks += [("Court ruling", spec.tariffs.court_ruling.date)]
    out: dict[str, dict] = {}
    for label, dist in marks:
        if label and label not in out:
            out[label] = {"label": label, "date": dist.ppf(0.5).isoformat(), "uncertain": dist.is_uncertain}
            if dist is spec.calendar.truce_deadline:
                out[label]["truce_deadline"] = True  # the one deadline fact, for titles that name it
    return sorted(out.values(), key=lambda m: m["date"])


def run_experiment(
    scenario: LoadedScenario,
    reps: int,
    master_seed: int,
    out: Path,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    dask: str | None = None,
    series: SeriesKept = "all",
) -> RunReport:
    """Run ``reps`` replications of a scenario and write the results folder ``out``.

    ``dask`` sends the work to a Dask cluster instead of local processes: an
    address (``tcp://host:8786``) of an existing scheduler, or ``"local"`` to
    start a local cluster of ``workers`` processes. Results are bit-identical
    whichever engine runs them: a replication depends only on its seed.
    ``series`` says which daily series are kept (:mod:`sim.results.series_store`):
    ``all`` paths, only their daily ``quantiles``, or ``none``.
    """
    if not 1 <= reps <= MAX_REPS:
        raise ValueError(f"reps (={reps}) must be between 1 and {MAX_REPS:,}")
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers (={workers}) must be >= 1")
    clock = Clock(scenario.spec.calendar.start, scenario.spec.calendar.end)
    manifest = base_manifest(scenario, master_seed, reps, workers, key_dates(scenario))
    manifest["engine"] = f"dask ({dask})" if dask else f"{workers} local process(es)"
    writer = ResultsWriter(out, clock, manifest, series)
    return _run(scenario.spec, master_seed, list(range(reps)), reps, writer, workers, progress, dask)


def resume_experiment(
    out: Path,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    dask: str | None = None,
) -> RunReport:
    """Finish an interrupted run in ``out``: only the replications not on disk are simulated.

    The scenario, master seed, replication count and series kept come from the
    folder's manifest, so the tables end as those of an uninterrupted run.
    """
    out = Path(out)
    manifest = _run_manifest(out)
    began_with = manifest.get("source_sha256")
    if began_with is not None and began_with != source_hash():
        raise ResultsError(
            f"{out}: begun by other tradesim code (source {str(began_with)[:12]}) than this "
            f"(source {source_hash()[:12]}); resuming would mix results of two models: "
            "run it again with --out elsewhere, or resume with the code that began it"
        )
    try:
        spec = scenario_from_manifest(manifest)
    except Exception as exc:  # a tampered or damaged manifest: pydantic's error, cut to one line
        raise ResultsError(f"{out}/manifest.json: its scenario does not validate: {str(exc)[:300]}") from None
    workers = default_workers() if workers is None else workers
    series = manifest.get("series", {}).get("kept", "all")
    clock = Clock(spec.calendar.start, spec.calendar.end)
    manifest.setdefault("resumed", []).append(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    writer = ResultsWriter(out, clock, manifest, series, resume=True)
    reps = int(manifest["reps_requested"])
    done = writer.finished_reps()
    todo = [rep for rep in range(reps) if rep not in done]
    return _run(spec, int(manifest["master_seed"]), todo, reps, writer, workers, progress, dask)


@dataclass
class ResumeStatus:
    """What an interrupted run's folder holds, read before resuming it."""

    folder: Path
    scenario: str
    reps_done: int
    reps_requested: int
    master_seed: int


def resume_status(out: Path) -> ResumeStatus:
    """How far the run in ``out`` got, or :class:`ResultsError` if it is not a run to resume.

    Counts the whole rows on disk, in the finished tables or in the ``.part`` files a killed
    run leaves (its manifest, written first, says what the run was).
    """
    from sim.results.kinds import expect

    expect(Path(out), "run --resume", "run")  # a comparison, branches, ...: say which, and what reads it
    manifest = _run_manifest(Path(out))
    return ResumeStatus(
        folder=Path(out),
        scenario=str(manifest["scenario"].get("name", "?")),
        reps_done=len(stored_reps(Path(out))),
        reps_requested=int(manifest["reps_requested"]),
        master_seed=int(manifest["master_seed"]),
    )


def _run_manifest(out: Path) -> dict[str, Any]:
    """The manifest of a run's folder, or :class:`ResultsError` saying why it cannot be resumed."""
    path = out / "manifest.json"
    if not path.is_file():
        raise ResultsError(f"{out}: not a results folder of `tradesim run` (no manifest.json)")
    manifest = load_manifest(path)
    if isinstance(manifest, dict) and ("comparison" in manifest or "branches" in manifest):
        raise ResultsError(f"{out}: a comparison or branches folder; resume runs one `tradesim run` folder")
    if (
        not isinstance(manifest, dict)
        or not isinstance(manifest.get("scenario"), dict)
        or not isinstance(manifest.get("reps_requested"), int)
        or not isinstance(manifest.get("master_seed"), int)
    ):
        raise ResultsError(f"{out}: not a results folder of `tradesim run` (its manifest has no scenario)")
    if (out / "series.csv").exists():
        raise ResultsError(f"{out}: written by an older tradesim (series.csv); it cannot be resumed")
    return manifest


def _run(
    spec: Scenario,
    master_seed: int,
    todo: list[int],
    reps: int,
    writer: ResultsWriter,
    workers: int,
    progress: ProgressCallback | None,
    dask: str | None,
) -> RunReport:
    """Simulate the replications ``todo`` into ``writer``; Ctrl-C keeps whatever finished."""
    keep_series = writer.series_kept != "none"
    chunks = _chunks(todo, workers)
    workers = max(1, min(workers, len(chunks)))  # never more processes than pieces of work
    interrupted = False
    try:
        with heap_frozen():  # here or in forked workers, replications run with the heap frozen
            if workers == 1 and not dask:
                _run_serial(spec, master_seed, chunks, writer, keep_series, progress)
            elif chunks:
                with executor(workers, dask) as pool:
                    # a few chunks per worker keep every worker busy; more only wait in memory (Dask's
                    # scheduler and client held every chunk's task at once: +200 MB at 10,000 reps)
                    in_flight = 2 * max(workers, getattr(pool, "cluster_workers", 0)) * (2 if dask else 1)
                    _run_parallel(spec, master_seed, chunks, writer, keep_series, progress, pool, in_flight)
                    reduce_on_pool(writer, reps, pool, dask)
                reduce_after_remote(writer, reps, dask, workers)
    except KeyboardInterrupt:
        interrupted = True
    except BrokenProcessPool:
        _close_after_failure(writer)
        raise ResultsError(
            f"a worker process died (killed, or out of memory); {len(writer.completed)} of {reps} "
            f"replications are kept in {writer.folder}: finish with `tradesim run --resume {writer.folder}`"
        ) from None
    except BaseException:
        _close_after_failure(writer)  # a failed write (WriteFailed) or a bug: keep what is on disk
        raise
    writer.close(complete=not interrupted and len(writer.completed) == reps)
    return RunReport(writer.folder, len(writer.completed), reps, master_seed, interrupted)


def _reduce_now(writer: ResultsWriter, reps: int) -> bool:
    """Every replication of a ``--series quantiles`` run is in: its chunks can be reduced."""
    return writer.series_kept == "quantiles" and len(writer.completed) == reps


def reduce_on_pool(writer: ResultsWriter, reps: int, pool: Executor, dask: str | None) -> None:
    """Reduce a finished ``--series quantiles`` run on its own workers, one series per worker at a
    time, not a serial tail in this process: local processes, or a local Dask cluster."""
    if _reduce_now(writer, reps) and dask in (None, "local"):
        writer.reduce_to_quantiles(watched_map(pool) if isinstance(pool, ProcessPoolExecutor) else pool.map)


def watched_map(pool: ProcessPoolExecutor) -> Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]:
    """``pool.map``, with the watch on dead workers of ``run_chunks`` (``raise_if_a_worker_died``)."""

    def map_(function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        futures = [pool.submit(function, item) for item in items]
        for future in futures:
            while True:
                try:
                    result = future.result(timeout=_WATCH_S)
                except TimeoutError:
                    raise_if_a_worker_died(pool)
                    continue
                yield result
                break

    return map_


def reduce_after_remote(writer: ResultsWriter, reps: int, dask: str | None, workers: int) -> None:
    """Reduce a finished run of a remote Dask cluster, whose workers may not see this disk, on this
    machine's cores: fresh processes (``sim.experiments.reduction``), once the cluster is let go. One
    worker reduces here, in ``writer.close``, as a local run of one worker does."""
    if _reduce_now(writer, reps) and dask not in (None, "local") and workers > 1:
        writer.reduce_to_quantiles(FreshProcesses(workers).map)


def _close_after_failure(writer: ResultsWriter) -> None:
    """Put what finished in place (manifest incomplete) if the disk allows; never hide the first error."""
    with suppress(OSError, ResultsError):  # the rows stay in the .part files, which a resume reads
        writer.close(complete=False)


def _run_serial(
    spec: Scenario,
    master_seed: int,
    chunks: list[list[int]],
    writer: ResultsWriter,
    keep_series: bool,
    progress: ProgressCallback | None,
) -> None:
    """One replication at a time in this process, written a chunk at a time (Ctrl-C keeps each one)."""
    for chunk in chunks:
        finished: list[ReplicationResult] = []
        try:
            for rep in chunk:
                finished.append(run_replication(spec, master_seed, rep))
                if progress:
                    progress(1)
        finally:
            writer.write_chunk(finish_chunk(finished, keep_series))


def _run_parallel(
    spec: Scenario,
    master_seed: int,
    chunks: list[list[int]],
    writer: ResultsWriter,
    keep_series: bool,
    progress: ProgressCallback | None,
    pool: Executor,
    in_flight: int = 4,
) -> None:
    """Run chunks of replications on an executor; the writer puts their rows in order.

    Local workers are forked after this sets :data:`_FORKED_SCENARIOS`, so each inherits the
    scenario and a task carries only its key and replication numbers (a few hundred bytes).
    Sent with every task, the ~35 KB scenario filled the call queue's pipe, and a worker
    killed mid-run then left the pool's feeder thread blocked on that full pipe forever
    (CPython 3.11's ProcessPoolExecutor): the run hung instead of stopping with its message.
    A Dask cluster (or a platform that spawns workers) gets the scenario with each task.
    """
    if isinstance(pool, ProcessPoolExecutor) and multiprocessing.get_start_method() == "fork":
        key = id(spec)
        _FORKED_SCENARIOS[key] = spec
        task = partial(run_forked_chunk, key, master_seed, keep_series=keep_series)
    else:
        task = partial(run_chunk, spec, master_seed, keep_series=keep_series)
    run_chunks(pool, task, chunks, writer.write_chunk, progress, in_flight)


def run_chunks(
    pool: Executor,
    task: Callable[[list[int]], Any],
    chunks: list[list[int]],
    write: Callable[[Any], None],
    progress: ProgressCallback | None = None,
    in_flight: int = 4,
) -> None:
    """Run ``task(chunk)`` for every chunk on an executor and ``write`` each result as it finishes.

    Results come in any order: ``write`` must put them in place. At most
    ``in_flight`` chunks are submitted and not yet written: a finished chunk
    waits in this process until it is written, so if the workers ever outpaced
    the writing, finished chunks could pile up here. Keeping a few more than
    there are workers keeps every worker busy and bounds that. Ctrl-C keeps the
    chunks already running (the pool waits for them anyway) and cancels the rest.
    """
    queue = iter(chunks)
    pending: dict[Future, list[int]] = {}

    def submit_next() -> None:
        chunk = next(queue, None)
        if chunk is not None:
            pending[pool.submit(task, chunk)] = chunk

    for _ in range(in_flight):
        submit_next()
    try:
        while pending:
            finished, _ = wait(pending, timeout=_WATCH_S, return_when=FIRST_COMPLETED)
            if not finished:
                raise_if_a_worker_died(pool)
            for future in finished:
                chunk = pending.pop(future)
                write(future.result())
                if progress:
                    progress(len(chunk))
                submit_next()
    except KeyboardInterrupt:
        # a second Ctrl-C gives up on the running chunks
        running = [future for future in pending if not future.cancel()]
        for future in running:
            with suppress(CancelledError):  # Dask may cancel a running task after all
                write(future.result())
        raise


#: how often a run waiting for its workers checks that none has died (seconds)
_WATCH_S = 0.5


def raise_if_a_worker_died(pool: Executor) -> None:
    """Raise ``BrokenProcessPool`` if a local worker has died, after unsticking the pool.

    CPython's pool notices a dead worker by itself, except when the worker died while sending a
    result: the pool's thread then waits forever for the rest of that message (and the other
    worker for the pipe's lock the dead one held), so a run with a killed worker hung instead of
    stopping with its message (``tests/test_faults.py``, about one kill in ten under load). Killing
    the other workers and closing this process's end of the result pipe turns that wait into a
    broken pipe: the pool breaks, every future with it, and shutting it down no longer hangs.
    Dask clusters, and platforms without these internals, are left to their own checks.
    """
    processes = getattr(pool, "_processes", None)
    if not isinstance(pool, ProcessPoolExecutor) or not processes:
        return
    try:
        workers = list(processes.values())
    except RuntimeError:  # the pool's thread changed the table meanwhile: look again next time
        return
    if all(worker.exitcode is None for worker in workers):
        return
    for worker in workers:
        with suppress(OSError, ValueError, AttributeError):
            worker.kill()
    with suppress(OSError, AttributeError):
        pool._result_queue._writer.close()  # type: ignore[attr-defined]
    raise BrokenProcessPool("a worker process died")


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
    warm_up()  # compiled here once: forked workers inherit the kernels instead of each loading them
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(os.getpid(),))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def check_worker_sources(client: Any) -> None:
    """Refuse Dask workers that run other code than this process (before any replication runs).

    Each worker hashes its own ``sim`` source (``sim.core.version.source_hash``); a worker
    with other code would give other results under a manifest naming this code. A worker
    that cannot import tradesim at all is refused too, in one line.
    """
    here = source_hash()
    try:
        theirs: dict[str, str] = client.run(source_hash)
    except Exception as exc:  # the worker's own error (ModuleNotFoundError: sim), in one line
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ResultsError(f"Dask workers cannot run tradesim: {type(exc).__name__}: {first}") from None
    other = {worker: h for worker, h in theirs.items() if h != here}
    if other:
        worker, h = next(iter(other.items()))
        raise ResultsError(
            f"Dask worker {worker} runs other tradesim code (source {h[:12]}) than this process "
            f"(source {here[:12]}); {len(other)} of {len(theirs)} worker(s) differ: "
            "install the same code on every worker"
        )


@contextmanager
def _dask_executor(address: str, workers: int) -> Iterator[Executor]:
    """A concurrent.futures executor backed by a Dask cluster (``local`` starts one here)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a declared dependency
        raise RuntimeError("--dask needs the distributed package: pip install 'dask[distributed]'") from None
    if address == "local":
        warm_up()  # a cold cache is compiled here once, on every core; the workers then load it
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            # Workers' own log lines (e.g. a heartbeat missing the scheduler as it shuts down) are noise
            # here; a task's error reaches the main process through its future and is raised there.
            silence_logs=logging.CRITICAL,
        )
        client = Client(cluster)
    else:
        try:
            cluster, client = None, Client(address, timeout=f"{DASK_CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise ResultsError(f"--dask {address}: no Dask scheduler answers there ({exc})") from None
    try:
        check_worker_sources(client)
        client.run(warm_up)  # each worker compiles the kernels, or loads them from its disk cache
        if cluster is not None:  # workers of our own: their inherited objects need no collecting
            client.run(gc.freeze)
        pool = client.get_executor()
        pool.cluster_workers = len(client.scheduler_info()["workers"])  # type: ignore[attr-defined]
        yield pool
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
