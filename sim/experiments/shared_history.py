"""Scenarios that differ only at decision points: one history up to the first of them, then forked.

The four deadline scenarios (a deal, an extension, a lapse, a lapse with new talks) are the
baseline with the truce deadline's decisions forced, and one adds a round of talks after it.
Run separately, each simulates the same spring and summer again: the same parameters, the
same random streams, the same days, hence the same numbers (common random numbers). Here each
replication is simulated once, as the first scenario, to the start of the day on which the
first decision point that differs between the scenarios could fire; the model is copied there
(:meth:`sim.model.replication.Replication.fork`) and each copy continues as one of the other
scenarios, holding that scenario's version of the differing points (:meth:`~sim.model.
replication.Replication.adopt`). Nothing before that day can tell the scenarios apart, so every
scenario's results are byte-identical to a separate run's (the tests compare every file); the
comparison costs the shared history once instead of once per scenario.

Sharing needs proof, so it is used only where it is safe:

- the scenario files (with what they extend) differ only in ``negotiation.decision_points``
  (forced decisions, a new point, a point's date) and in descriptive keys; anything else
  (a capacity, a tariff event, a calendar) may act from day one, and the scenarios run
  separately as before;
- in every replication the two draws agree on every parameter outside the differing points
  (they do: a parameter's draw depends on its own path, :mod:`sim.core.streams`); a
  replication in which they did not would be simulated separately, from its own start;
- the fork falls on the earliest day any differing point could fire in any of the scenarios
  (a deadline reached only through an extension counts from the deadline it extends).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sim.core.clock import Clock
from sim.core.replication_result import ReplicationResult
from sim.core.streams import Streams
from sim.experiments.run import (
    _chunks,
    _close_after_failure,
    executor,
    heap_frozen,
    key_dates,
    reduce_after_remote,
    reduce_on_pool,
    run_chunks,
)
from sim.model.negotiation import first_fire_day
from sim.model.replication import Replication, run_replication
from sim.results.folder import ResultsError
from sim.results.series_store import SeriesKept
from sim.results.writer import FinishedChunk, ResultsWriter, base_manifest, finish_chunk
from sim.scenario.loader import LoadedScenario
from sim.scenario.sampling import draw_parameters
from sim.scenario.schema import Scenario

#: Keys of a scenario file that describe it and change nothing the model does.
DESCRIPTIVE_KEYS = frozenset({"name", "description", "extends"})

_POINTS = ("negotiation", "decision_points")


@dataclass(frozen=True)
class SharedHistory:
    """How a set of scenarios can share their history: the scenario simulated up to the fork
    (the first), and for every other scenario the decision points it holds differently."""

    reference: str
    changed: dict[str, frozenset[str]]  # scenario -> names of the decision points that differ

    @property
    def points(self) -> list[str]:
        """Every decision point that differs between any scenario and the reference, sorted."""
        return sorted(set().union(*self.changed.values()))


def differing_paths(a: Any, b: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Key paths where two parsed scenario files differ (a key in one only, or another value)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                yield (*prefix, str(key))
            else:
                yield from differing_paths(a[key], b[key], (*prefix, str(key)))
    elif type(a) is not type(b) or a != b:
        yield prefix


def plan_shared_history(scenarios: Mapping[str, LoadedScenario]) -> SharedHistory | None:
    """The shared history of ``scenarios`` (the first is the reference), or None if they cannot share.

    They can when every scenario file, read with what it extends, differs from the first only
    in the negotiation's decision points (and in its name and description), and the model has
    a negotiation (the licence review alone has no decision points).
    """
    names = list(scenarios)
    if len(names) < 2:
        return None
    reference = scenarios[names[0]]
    if not reference.spec.has_us_side or reference.spec.negotiation is None:
        return None
    base = {k: v for k, v in reference.raw.items() if k not in DESCRIPTIVE_KEYS}
    changed: dict[str, frozenset[str]] = {}
    for name in names[1:]:
        other = scenarios[name]
        points: set[str] = set()
        for path in differing_paths(base, {k: v for k, v in other.raw.items() if k not in DESCRIPTIVE_KEYS}):
            if len(path) < 3 or path[:2] != _POINTS:
                return None  # something that may act before any decision point
            points.add(path[2])
        changed[name] = frozenset(points)
    return SharedHistory(names[0], changed)


def _outside(flat: Mapping[str, Any], points: frozenset[str]) -> dict[str, Any]:
    """A replication's draws, less those of the decision points ``points``."""
    prefixes = tuple(f"{'.'.join(_POINTS)}.{point}." for point in points)
    return {path: value for path, value in flat.items() if not path.startswith(prefixes)}


def run_shared(
    specs: Mapping[str, Scenario], plan: SharedHistory, master_seed: int, rep: int
) -> dict[str, ReplicationResult]:
    """Replication ``rep`` of every scenario: the reference to the fork, then one copy per scenario."""
    reference = plan.reference
    streams = Streams(master_seed, rep)
    params, flat = draw_parameters(specs[reference], streams)
    model = Replication(specs[reference], params, streams)
    clock = model.clock
    fork_day = clock.n_days
    draws, alone = {}, []
    for name, points in plan.changed.items():
        other_params, other_flat = draw_parameters(specs[name], Streams(master_seed, rep))
        if _outside(other_flat, points) != _outside(flat, points):
            alone.append(name)  # cannot happen (draws follow their paths); if it did: no shared history
            continue
        draws[name] = (other_params, other_flat)
        for point in points:
            for p in (params, other_params):
                if point in p.negotiation.decision_points:
                    fork_day = min(fork_day, first_fire_day(clock, p, point))
    model.run_until(max(0, fork_day))
    results: dict[str, ReplicationResult] = {}
    for name, (other_params, other_flat) in draws.items():
        twin = model.fork()  # the reference continues the original: its processes wait on its points
        twin.adopt(specs[name], other_params, plan.changed[name])
        twin.run()
        results[name] = ReplicationResult(rep, other_flat, twin.outcomes(), twin.series())
    model.run()
    results[reference] = ReplicationResult(rep, flat, model.outcomes(), model.series())
    for name in alone:
        results[name] = run_replication(specs[name], master_seed, rep)
    return {name: results[name] for name in specs}


def run_shared_chunk(
    specs: Mapping[str, Scenario], plan: SharedHistory, master_seed: int, reps: list[int], keep_series: bool
) -> dict[str, FinishedChunk]:
    """A list of replications of every scenario, packed per scenario: the unit of work sent to a worker."""
    finished = [run_shared(specs, plan, master_seed, rep) for rep in reps]
    return {name: finish_chunk([f[name] for f in finished], keep_series) for name in specs}


#: What forked local workers inherit (see ``sim.experiments.run._run_parallel``), by key.
_FORKED: dict[int, tuple[Mapping[str, Scenario], SharedHistory]] = {}


def _run_forked_chunk(
    key: int, master_seed: int, reps: list[int], keep_series: bool
) -> dict[str, FinishedChunk]:
    specs, plan = _FORKED[key]
    return run_shared_chunk(specs, plan, master_seed, reps, keep_series)


def run_shared_comparison(
    scenarios: Mapping[str, LoadedScenario],
    plan: SharedHistory,
    reps: int,
    master_seed: int,
    folders: Mapping[str, Path],
    workers: int,
    progress: Callable[[str, int], None] | None = None,
    dask: str | None = None,
    series: SeriesKept = "all",
) -> bool:
    """Run every scenario into its folder from one history per replication; True if Ctrl-C stopped it.

    Each folder is what ``run_experiment`` would write (its manifest also names the shared
    history); Ctrl-C keeps every finished replication of every scenario, each folder then
    resumable on its own with ``tradesim run --resume``.
    """
    specs = {name: loaded.spec for name, loaded in scenarios.items()}
    writers: dict[str, ResultsWriter] = {}
    try:
        for name, loaded in scenarios.items():
            clock = Clock(loaded.spec.calendar.start, loaded.spec.calendar.end)
            manifest = base_manifest(loaded, master_seed, reps, workers, key_dates(loaded))
            manifest["engine"] = f"dask ({dask})" if dask else f"{workers} local process(es)"
            manifest["shared_history"] = {"reference": plan.reference, "forked_at": plan.points}
            writers[name] = ResultsWriter(folders[name], clock, manifest, series)
    except BaseException:
        for writer in writers.values():
            writer.close(complete=False)
        raise

    def write(chunks: dict[str, FinishedChunk]) -> None:
        for name, chunk in chunks.items():
            writers[name].write_chunk(chunk)
            if progress:
                progress(name, len(chunk.reps))

    keep_series = series != "none"
    chunks = _chunks(list(range(reps)), workers)
    workers = max(1, min(workers, len(chunks)))
    interrupted = False
    try:
        with heap_frozen():
            if workers == 1 and not dask:
                for chunk in chunks:
                    done: list[dict[str, ReplicationResult]] = []
                    try:
                        for rep in chunk:
                            done.append(run_shared(specs, plan, master_seed, rep))
                    finally:
                        write({n: finish_chunk([d[n] for d in done], keep_series) for n in specs})
            else:
                with executor(workers, dask) as pool:
                    if isinstance(pool, ProcessPoolExecutor) and multiprocessing.get_start_method() == "fork":
                        _FORKED[id(plan)] = (specs, plan)
                        task = partial(_run_forked_chunk, id(plan), master_seed, keep_series=keep_series)
                    else:
                        task = partial(run_shared_chunk, specs, plan, master_seed, keep_series=keep_series)
                    in_flight = 2 * max(workers, getattr(pool, "cluster_workers", 0)) * (2 if dask else 1)
                    run_chunks(pool, task, chunks, write, None, in_flight)
                    for writer in writers.values():
                        reduce_on_pool(writer, reps, pool, dask)
                for writer in writers.values():
                    reduce_after_remote(writer, reps, dask, workers)
    except KeyboardInterrupt:
        interrupted = True
    except BrokenProcessPool:
        for writer in writers.values():
            _close_after_failure(writer)
        done_reps = min(len(w.completed) for w in writers.values())
        raise ResultsError(
            f"a worker process died (killed, or out of memory); at least {done_reps} of {reps} replications "
            "of every scenario are kept: finish each folder with `tradesim run --resume FOLDER`"
        ) from None
    except BaseException:
        for writer in writers.values():
            _close_after_failure(writer)
        raise
    finally:
        _FORKED.pop(id(plan), None)
    for writer in writers.values():
        writer.close(complete=not interrupted and len(writer.completed) == reps)
    return interrupted
