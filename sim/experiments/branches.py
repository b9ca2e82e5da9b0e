"""One history, forked: what happens after a decision point if the sides deal, extend, lapse or escalate.

Separate scenario runs answer "what if they deal?" and "what if it lapses?"
with different histories up to the deadline, so part of every difference is
luck before the deadline. Here each replication is simulated once up to the
start of the decision point's day; the whole model state is copied there
(:meth:`sim.model.replication.Replication.fork`) and each copy continues with one branch's
decisions forced. History before the fork is shared by construction, and after
it every branch keeps the same random streams (common random numbers), so the
paired difference between two branches is what the decision alone did.

A branch is the base scenario with both sides' decisions forced at that point,
so each branch folder is an ordinary results folder (``plot``, ``report`` and
``replay`` work on it) and a branch's replication is bit-identical to running
that forced scenario from the start; the tests check this. A scripted point
(history, such as London) can be forked as well: the branch with the historical
decisions is the scenario as written; any other branch drops the dated events
of that day that carried history and gets the model's own effects instead.

Besides each branch's outcomes, the run stores the model's own probability of
every branch in every replication (from each side's pain at the fork), so the
branches can be recombined into one outcome distribution for any branch
probabilities later without re-running anything (:func:`reweight`).
"""

from __future__ import annotations

import copy
import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from sim.core.clock import Clock
from sim.core.domain import DECISIONS
from sim.core.replication_result import ReplicationResult
from sim.core.streams import Streams
from sim.experiments.compare import compare, outcome_numbers, write_combined_tables
from sim.experiments.run import _chunks, default_workers, executor, key_dates, run_chunks
from sim.model.negotiation import deadline_outcome
from sim.model.replication import Replication
from sim.results.catalogue import OUTCOMES
from sim.results.folder import Results, ResultsWriter, base_manifest, read_results, write_json_atomic
from sim.results.groups import WEIGHTS_FILE, Branches, read_branches  # noqa: F401 - read here too
from sim.results.safe_io import FolderLock, atomic_text
from sim.scenario.loader import LoadedScenario, ScenarioError
from sim.scenario.sampling import draw_flat, draw_parameters
from sim.scenario.schema import Scenario, point_date

#: The decisions that stand for each way a deadline can end. Only the outcome's
#: effects matter to the model, so one pair per outcome is enough (an extension
#: has the same effect whichever side conceded).
DEADLINE_BRANCHES: dict[str, tuple[str, str]] = {
    "deal": ("concede", "concede"),
    "extension": ("concede", "hold"),
    "snap_back": ("hold", "hold"),
    "escalation": ("escalate", "escalate"),
}


def talks_branches() -> dict[str, tuple[str, str]]:
    """At talks, a branch is a pair of decisions: ``us-concede_china-hold`` and so on (nine)."""
    return {f"us-{us}_china-{china}": (us, china) for us in DECISIONS for china in DECISIONS}


@dataclass(frozen=True)
class ForkPoint:
    """Where a scenario forks: a decision point, its kind and the branches it allows."""

    name: str
    kind: str
    label: str
    branches: dict[str, tuple[str, str]]  # branch -> (US decision, China decision)
    #: a scripted point (history): the decisions taken, and the dated events of its day that
    #: carry their effects, as (timeline, event name)
    history: tuple[str, str] | None = None
    carried_by: tuple[tuple[str, str], ...] = ()

    def rewrites_history(self, branch: str) -> bool:
        """True for a branch of a scripted point whose decisions differ from what happened."""
        return self.history is not None and self.branches[branch] != self.history


def fork_point(spec: Scenario, at: str) -> ForkPoint:
    """The decision point named ``at``, or dated ``at`` (YYYY-MM-DD); ValueError lists the choices."""
    points = spec.negotiation.decision_points if spec.negotiation else {}
    # a deadline an extension creates is not reached in every replication: nothing to fork at
    dates = {name: point_date(spec, name) for name in points}
    forkable = {name: p for name, p in points.items() if dates[name] is not None}
    found = forkable.get(at)
    if found is None:
        dated = [
            name
            for name in forkable
            if not dates[name].is_uncertain and dates[name].ppf(0.5).isoformat() == at.strip()
        ]
        found = points[dated[0]] if dated else None
        at = dated[0] if dated else at
    if found is None:
        choices = ", ".join(
            f"{name} ({p.kind}, {dates[name].ppf(0.5).isoformat()}"
            f"{' approx.' if dates[name].is_uncertain else ''})"
            for name, p in forkable.items()
        )
        reached = f"; {at} is reached only after an extension of {points[at].after}" if at in points else ""
        raise ValueError(
            f"--at {at!r}: no decision point of the scenario has that name or date{reached} "
            f"(allowed: {choices or 'none: the scenario has no negotiation'})"
        )
    branches = DEADLINE_BRANCHES if found.kind == "deadline" else talks_branches()
    history, carried = None, ()
    if found.scripted:
        history, carried = _history(spec, found, at)
    label = found.label or f"{at.replace('_', ' ').capitalize()} {found.kind}"  # "London talks"
    return ForkPoint(at, found.kind, label, dict(branches), history, carried)


def _history(spec: Scenario, point, name: str) -> tuple[tuple[str, str], tuple[tuple[str, str], ...]]:
    """What a scripted point decided, and the dated events of its day that carry the effects.

    Scripted talks are history whose effects the licensing and tariff timelines
    hold as events dated that day (London: the fast-track licensing change and
    the 55%/10% tariffs). A branch keeping the historical decisions keeps those
    events; any other branch drops them and gets the model's own effects of its
    decisions instead, as at unscripted talks.
    """
    forced = (point.force_us, point.force_china)
    if point.kind != "talks" or point.date.is_uncertain or any(f is None or f.is_uncertain for f in forced):
        raise ValueError(
            f"--at {name}: a scripted point needs a fixed date and both decisions fixed to be forked"
        )
    day = point.date.ppf(0.5)
    carried = []
    for kind, section in (("licensing", spec.licensing), ("tariffs", spec.tariffs)):
        for event, ev in section.timeline.items() if section is not None else ():
            if not ev.date.is_uncertain and ev.date.ppf(0.5) == day:
                carried.append((kind, event))
    return (str(forced[0].ppf(0.5)), str(forced[1].ppf(0.5))), tuple(carried)


def select_branches(point: ForkPoint, names: list[str] | None) -> ForkPoint:
    """Keep only the named branches (in the order given); ValueError names what is allowed."""
    if not names:
        return point
    unknown = [n for n in names if n not in point.branches]
    if unknown:
        raise ValueError(
            f"--branches: {', '.join(unknown)} not a branch of {point.name} "
            f"(allowed: {', '.join(point.branches)})"
        )
    if len(set(names)) < len(names):
        raise ValueError("--branches: each branch may appear once")
    return ForkPoint(
        point.name,
        point.kind,
        point.label,
        {n: point.branches[n] for n in names},
        point.history,
        point.carried_by,
    )


def branch_scenario(scenario: LoadedScenario, point: ForkPoint, branch: str) -> LoadedScenario:
    """The base scenario with both sides' decisions at the fork forced to the branch's.

    A branch that rewrites a scripted point's history also makes the point
    unscripted and drops the dated events that carried what really happened.
    """
    us, china = point.branches[branch]
    raw = copy.deepcopy(scenario.raw)
    node = raw["negotiation"]["decision_points"][point.name]
    why = f"what-if: branch {branch}, forked at {point.name}"
    node["force_us"] = {"value": us, "source": why}
    node["force_china"] = {"value": china, "source": why}
    if point.rewrites_history(branch):
        node["scripted"] = False
        for kind, event in point.carried_by:
            del raw[kind]["timeline"][event]
    raw["name"] = f"{scenario.name}@{point.name}:{branch}"
    try:
        spec = Scenario.model_validate(raw)
    except Exception as exc:  # pragma: no cover - the base scenario validated already
        raise ScenarioError([f"{scenario.path}: branch {branch}: {exc}"]) from None
    return LoadedScenario(
        spec=spec, path=scenario.path, chain=scenario.chain, raw=raw, origins=scenario.origins
    )


def branch_probabilities(us: dict[str, float], china: dict[str, float], point: ForkPoint) -> dict[str, float]:
    """The model's chance of each branch, from each side's decision probabilities.

    Branches of a deadline collect every pair of decisions ending that way, so
    the four add up to one; at talks each pair is its own branch.
    """
    if point.kind != "deadline":
        return {b: us[u] * china[c] for b, (u, c) in point.branches.items()}
    out = dict.fromkeys(DEADLINE_BRANCHES, 0.0)
    for u in DECISIONS:
        for c in DECISIONS:
            out[deadline_outcome(u, c)] += us[u] * china[c]
    return {b: out[b] for b in point.branches}


@dataclass
class ForkedReplication:
    """One replication run to the fork and continued once per branch."""

    rep: int
    fork_day: int
    probability: dict[str, float]  # branch -> the model's own chance of it in this replication
    results: dict[str, ReplicationResult]  # branch -> what followed


def run_forked(
    spec: Scenario, branch_specs: dict[str, Scenario], point: ForkPoint, master_seed: int, rep: int
) -> ForkedReplication:
    """Simulate replication ``rep`` to the fork, then each branch from a copy of the state there."""
    streams = Streams(master_seed, rep)
    params, _flat = draw_parameters(spec, streams)
    model = Replication(spec, params, streams)
    fire_day = model.negotiation.pending_point(point.name).fire_day
    if fire_day >= model.clock.n_days:
        raise ValueError(
            f"replication {rep}: decision point {point.name} falls after the horizon; nothing to fork"
        )
    model.run_until(fire_day)
    us, china = model.negotiation.decision_probabilities(point.name)
    probability = branch_probabilities(us, china, point)
    results: dict[str, ReplicationResult] = {}
    names = list(point.branches)
    for i, branch in enumerate(names):
        twin = model if i == len(names) - 1 else model.fork()  # the last branch continues the original
        twin.negotiation.force(point.name, *point.branches[branch])
        if point.rewrites_history(branch):
            twin.negotiation.force(point.name, scripted=False)
            twin.suppressed |= set(point.carried_by)
        twin.run()
        flat = draw_flat(branch_specs[branch], Streams(master_seed, rep))  # the forced scenario's draws
        results[branch] = ReplicationResult(rep, flat, twin.outcomes(), twin.series())
    return ForkedReplication(rep, fire_day, probability, results)


def run_forked_chunk(
    spec: Scenario, branch_specs: dict[str, Scenario], point: ForkPoint, master_seed: int, reps: list[int]
) -> list[ForkedReplication]:
    """A list of forked replications: the unit of work sent to a worker."""
    return [run_forked(spec, branch_specs, point, master_seed, rep) for rep in reps]


@dataclass
class BranchReport:
    folder: Path
    branches: list[str]
    reps_completed: int
    reps_requested: int
    master_seed: int
    interrupted: bool


class _BranchWriter:
    """One results folder per branch, plus the model's branch probabilities per replication."""

    def __init__(
        self, folder: Path, scenario: LoadedScenario, point: ForkPoint, seed: int, reps: int, workers
    ):
        self.folder = folder
        clock = Clock(scenario.spec.calendar.start, scenario.spec.calendar.end)
        self.writers: dict[str, ResultsWriter] = {}
        for branch in point.branches:
            loaded = branch_scenario(scenario, point, branch)
            manifest = base_manifest(loaded, seed, reps, workers, key_dates(loaded))
            manifest["branch"] = {"name": branch, "fork_point": point.name, "base_scenario": scenario.name}
            self.writers[branch] = ResultsWriter(folder / branch, clock, manifest)
        self.branches = list(point.branches)
        self._rows: dict[int, list] = {}  # rep -> its probability row (scalars only)
        self.clock = clock
        self.completed: list[int] = []

    def write(self, forked: list[ForkedReplication]) -> None:
        """A finished chunk, in any order: each branch's writer puts its rows in replication order."""
        for branch, writer in self.writers.items():  # one chunk per branch: one series file each
            writer.write([f.results[branch] for f in forked])
        for f in forked:
            date = self.clock.date(f.fork_day).isoformat()
            self._rows[f.rep] = [f.rep, date, *(repr(f.probability[b]) for b in self.branches)]
            self.completed.append(f.rep)

    def close(self, complete: bool) -> None:
        for writer in self.writers.values():
            writer.close(complete)
        with atomic_text(self.folder / WEIGHTS_FILE) as fh:
            out = csv.writer(fh)
            out.writerow(["rep", "fork_date", *self.branches])
            out.writerows(self._rows[rep] for rep in sorted(self._rows))


def run_branches(
    scenario: LoadedScenario,
    at: str,
    reps: int,
    master_seed: int,
    out: Path,
    workers: int | None = None,
    branches: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
    dask: str | None = None,
) -> BranchReport:
    """Fork every replication at decision point ``at`` and write one results folder per branch.

    The top of ``out`` gets the branch folders' tables with a ``branch`` column,
    ``branch_probabilities.csv`` (the model's chance of each branch in each
    replication), ``branch_differences.csv`` (every branch against every other,
    paired by replication) and ``manifest.json``. Ctrl-C keeps every finished
    replication of every branch.
    """
    if reps < 1:
        raise ValueError(f"reps (={reps}) must be >= 1")
    point = select_branches(fork_point(scenario.spec, at), branches)
    workers = default_workers() if workers is None else workers
    branch_specs = {b: branch_scenario(scenario, point, b).spec for b in point.branches}
    with FolderLock(out):  # one branches run writes here at a time (each branch's writer locks its own)
        writer = _BranchWriter(out, scenario, point, master_seed, reps, workers)
        return _fork_and_write(
            scenario, point, branch_specs, writer, reps, master_seed, workers, progress, dask
        )


def _fork_and_write(
    scenario: LoadedScenario,
    point: ForkPoint,
    branch_specs: dict[str, Scenario],
    writer: _BranchWriter,
    reps: int,
    master_seed: int,
    workers: int,
    progress: Callable[[int], None] | None,
    dask: str | None,
) -> BranchReport:
    """Run the forked replications into ``writer``, then write the top-level tables and manifest."""
    out = writer.folder
    interrupted = False
    try:
        if workers == 1 and not dask:
            for rep in range(reps):
                writer.write([run_forked(scenario.spec, branch_specs, point, master_seed, rep)])
                if progress:
                    progress(1)
        else:
            task = partial(run_forked_chunk, scenario.spec, branch_specs, point, master_seed)
            chunks = _chunks(list(range(reps)), workers)
            with executor(workers, dask) as pool:  # Dask keeps results on its workers: no cap needed
                run_chunks(pool, task, chunks, writer.write, progress, len(chunks) if dask else 2 * workers)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        writer.close(complete=not interrupted and len(writer.completed) == reps)
    if writer.completed:
        results = {b: read_results(out / b) for b in point.branches}
        write_combined_tables(out, results, compare(results), column="branch")
        write_differences(out / "branch_differences.csv", results)
        manifest = {
            "branches": list(point.branches),
            "fork_point": {"name": point.name, "kind": point.kind, "label": point.label},
            "decisions": {b: {"us": u, "china": c} for b, (u, c) in point.branches.items()},
            "base_scenario": scenario.name,
            "master_seed": master_seed,
            "reps_requested": reps,
            "reps_completed": len(writer.completed),
            "complete": not interrupted and len(writer.completed) == reps,
            "folders": {b: b for b in point.branches},
        }
        write_json_atomic(out / "manifest.json", manifest)
    return BranchReport(out, list(point.branches), len(writer.completed), reps, master_seed, interrupted)


# --- reading branches back ---------------------------------------------------------------------


def parse_weights(text: str, branches: list[str]) -> dict[str, float]:
    """``deal=0.2,extension=0.5,...`` as branch weights scaled to add up to one; ValueError if bad.

    Branches left out get weight zero. Weights need not add up to one as given.
    """
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in branches:
            raise ValueError(
                f"--weights: {part!r} is not BRANCH=WEIGHT with a branch of this run "
                f"(allowed: {', '.join(branches)})"
            )
        try:
            w = float(value)
        except ValueError:
            raise ValueError(f"--weights: {part!r}: the weight must be a number") from None
        if not math.isfinite(w) or w < 0:
            raise ValueError(f"--weights: {part!r}: a weight must be a finite number >= 0")
        if name in weights:
            raise ValueError(f"--weights: {name} is given twice")
        weights[name] = w
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("--weights: at least one weight must be above zero")
    return {b: weights.get(b, 0.0) / total for b in branches}


@dataclass
class MixtureRow:
    """One outcome of the recombined distribution."""

    outcome: str
    unit: str
    kind: str
    mean: float  # a share for yes/no outcomes; days since the epoch for dates
    median: float
    low: float  # 5%
    high: float  # 95%


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q: list[float]) -> np.ndarray:
    """Quantiles of the distribution putting weight ``w`` on each value of ``x`` (NaNs dropped).

    Linear interpolation between sorted values, each placed at the middle of its
    weight: (S_i - w_i/2 - w_1/2) / (S_n - w_1/2 - w_n/2), S_i being the cumulative
    weight. With equal weights these are numpy's default quantiles, the ones every
    other table of tradesim shows, so a branch given all the weight is shown
    exactly as in its own column.
    """
    keep = ~np.isnan(x) & (w > 0)
    x, w = x[keep], w[keep]
    if not x.size:
        return np.full(len(q), math.nan)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    if x.size == 1:
        return np.full(len(q), x[0])
    cum = np.cumsum(w)
    position = (cum - w / 2 - w[0] / 2) / (cum[-1] - w[0] / 2 - w[-1] / 2)
    return np.interp(np.asarray(q, dtype=float), position, x)


def reweight(branches: Branches, weights: dict[str, float] | None = None) -> list[MixtureRow]:
    """Recombine stored branches into one outcome distribution, without re-running the model.

    ``weights`` gives each branch's probability (the same for every replication);
    without it each replication's branches are weighted by the model's own
    probabilities in that replication, drawn from the pain at the fork. Every
    replication counts equally in the mixture.
    """
    names = list(branches.results)
    first = branches.results[names[0]]
    rows: list[MixtureRow] = []
    n = branches.reps.size
    for outcome in first.outcomes:
        if outcome == "rep":
            continue
        measure = OUTCOMES.get(outcome)
        kind = measure.kind if measure else "count"
        xs, ws = [], []
        for b in names:
            r = branches.results[b]
            by_rep = dict(
                zip(r.outcomes["rep"].astype(int).tolist(), outcome_numbers(r.outcomes[outcome]), strict=True)
            )
            xs.append(np.array([by_rep.get(int(rep), math.nan) for rep in branches.reps]))
            ws.append(np.full(n, weights[b]) if weights is not None else branches.probability[b])
        x, w = np.concatenate(xs), np.concatenate(ws)
        ok = ~np.isnan(x) & (w > 0)
        mean = float(np.average(x[ok], weights=w[ok])) if ok.any() else math.nan
        med, low, high = weighted_quantiles(x, w, [0.5, 0.05, 0.95])
        rows.append(
            MixtureRow(
                outcome, measure.unit if measure else "", kind, mean, float(med), float(low), float(high)
            )
        )
    return rows


def write_differences(path: Path, results: dict[str, Results]) -> None:
    """Every branch against every other, paired by replication: ``branch`` minus ``against``."""
    names = list(results)
    with atomic_text(path) as fh:
        out = csv.writer(fh)
        out.writerow(
            ["outcome", "unit", "kind", "branch", "against", "n", "diff_median", "diff_low", "diff_high"]
        )
        for ref in names:
            ordered = {ref: results[ref], **{b: results[b] for b in names if b != ref}}
            for row in compare(ordered):
                if row.scenario == ref:
                    continue
                out.writerow(
                    [
                        row.outcome,
                        row.unit,
                        row.kind,
                        row.scenario,
                        ref,
                        row.n,
                        *(
                            "" if math.isnan(v) else repr(v)
                            for v in (row.diff_median, row.diff_low, row.diff_high)
                        ),
                    ]
                )
