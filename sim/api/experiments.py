"""The experiments of the Python API: load a scenario, run it, compare, sweep, analyse, fork.

Each function takes a scenario by name, by path or already loaded, runs the
library's experiment into a results folder (a temporary one unless ``folder`` is
given: the command line's folders are the same) and returns a result object of
:mod:`sim.api.results` or :mod:`sim.api.analyses`. ``workers=None`` uses every core,
as ``tradesim`` does; results are bit-identical for any number of workers.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sim.api.analyses import SensitivityAnalysis, SweepResult, VarianceResult
from sim.api.results import BranchesResult, ComparisonResult, Replication, RunResult
from sim.scenario.loader import LoadedScenario, load_scenario

if TYPE_CHECKING:
    from sim.scenario.distributions import Dist

ScenarioRef = str | Path | LoadedScenario
Progress = Callable[[int], None]


def load(scenario: ScenarioRef) -> LoadedScenario:
    """A validated scenario, by name (``"baseline"``), by path (``"my_what_if.toml"``), or as given.

    Raises :class:`sim.scenario.loader.ScenarioError` listing every problem (file, key, what is allowed).
    """
    return scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)


def list_scenarios() -> list[str]:
    """The names of the scenarios in ``scenarios/`` (what ``tradesim list`` shows)."""
    from sim.scenario.loader import list_scenarios as paths

    return [p.stem for p in paths()]


def _folder(folder: str | Path | None, stem: str) -> Path:
    return Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix=f"tradesim-{stem}-"))


def _seed(seed: int | None) -> int:
    from sim.experiments.run import new_master_seed

    return new_master_seed() if seed is None else seed


def run(
    scenario: ScenarioRef,
    reps: int = 200,
    seed: int | None = None,
    *,
    folder: str | Path | None = None,
    workers: int | None = None,
    series: Literal["all", "quantiles", "none", "auto"] = "all",
    dask: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``reps`` replications of a scenario (``tradesim run``): same seed, same results.

    ``seed`` None draws a fresh master seed (see ``result.manifest["master_seed"]``);
    ``series`` which daily series are kept; ``folder`` where the results folder goes.
    Interrupted (Ctrl-C, or the notebook's stop button), it returns the replications that
    finished, its manifest marked incomplete: :func:`resume` completes it.
    """
    from sim.experiments.run import run_experiment
    from sim.results.folder import read_results
    from sim.results.series_store import resolve_kept

    loaded = load(scenario)
    out = _folder(folder, loaded.name)
    report = run_experiment(
        loaded,
        reps,
        _seed(seed),
        out,
        workers,
        progress=progress,
        dask=dask,
        series=resolve_kept(series, reps),
    )
    if report.interrupted and report.reps_completed == 0:
        raise KeyboardInterrupt
    return RunResult(read_results(out))


def resume(
    folder: str | Path,
    *,
    workers: int | None = None,
    dask: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Finish an interrupted run in ``folder`` with its own scenario, seed and settings."""
    from sim.experiments.run import resume_experiment
    from sim.results.folder import read_results

    resume_experiment(Path(folder), workers, progress=progress, dask=dask)
    return RunResult(read_results(Path(folder)))


def open_results(folder: str | Path) -> RunResult | ComparisonResult | BranchesResult | SweepResult:
    """Open a folder written by ``run``, ``compare``, ``branches`` or ``sweep`` (API or command line).

    Other folders (a sensitivity analysis, a variance split, a tournament, a game) are refused
    with the same one line the commands give (:mod:`sim.results.kinds`).
    """
    from sim.results.folder import read_results
    from sim.results.kinds import expect

    found = expect(Path(folder), "sim.open_results", "run", "comparison", "branches", "sweep")
    folder = found.folder
    if found.name == "comparison":
        from sim.experiments.compare import compare

        results = {name: read_results(p) for name, p in found.members().items()}
        return ComparisonResult(folder, {n: RunResult(r) for n, r in results.items()}, compare(results))
    if found.name == "branches":
        from sim.experiments.branches import read_branches

        return BranchesResult(read_branches(folder))
    if found.name == "sweep":
        sweep = found.manifest["sweep"]
        return SweepResult(
            folder, sweep["scenario"], [v["path"] for v in sweep["varied"]], folder / "outcomes.csv"
        )
    return RunResult(read_results(folder))


def compare(
    scenarios: Sequence[ScenarioRef],
    reps: int = 200,
    seed: int | None = None,
    *,
    folder: str | Path | None = None,
    workers: int | None = None,
    series: Literal["all", "quantiles", "none", "auto"] = "all",
    dask: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ComparisonResult:
    """Run several scenarios on common random numbers (``tradesim compare``); the first is the reference.

    A saved game (``*.game.toml``) counts as a scenario: its moves are fixed, the luck varies.
    ``progress(name, n)`` is told each scenario's finished replications.
    """
    from sim.experiments.compare import run_comparison
    from sim.results.series_store import resolve_kept
    from sim.workshop.tournament import comparison_entries

    entries = comparison_entries(list(scenarios))
    out = _folder(folder, "compare")
    results, rows = run_comparison(
        entries, reps, _seed(seed), out, workers, progress, dask, resolve_kept(series, reps)
    )
    return ComparisonResult(out, {n: RunResult(r) for n, r in results.items()}, rows)


def sweep(
    scenario: ScenarioRef,
    vary: Mapping[str, tuple[float, float] | tuple[float, float, int]] | Sequence[str],
    reps: int = 10,
    *,
    lhs: int | None = None,
    seed: int = 1,
    folder: str | Path | None = None,
    workers: int | None = None,
    dask: str | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """A grid (or ``lhs`` Latin-hypercube points) over named parameters (``tradesim sweep``).

    ``vary``: ``{"licensing.arrivals_per_day": (150, 350, 5)}`` (low, high[, grid steps]), in the
    parameter's own units, or the command line's ``["PATH=LOW:HIGH:STEPS", ...]``.
    """
    from sim.experiments.run import default_workers
    from sim.experiments.sweep import design_points, parse_vary, run_sweep

    loaded = load(scenario)
    texts = (
        [f"{path}={':'.join(str(v) for v in values)}" for path, values in vary.items()]
        if isinstance(vary, Mapping)
        else list(vary)
    )
    varies = [parse_vary(text, loaded.spec) for text in texts]
    out = _folder(folder, f"{loaded.name}-sweep")
    points = design_points(varies, lhs, seed)
    design = "latin hypercube" if lhs else "grid"
    workers = workers or default_workers()
    report = run_sweep(loaded, varies, points, reps, seed, out, workers, progress, design, dask)
    return SweepResult(out, loaded.name, [v.path for v in varies], report.table)


def sensitivity(
    scenario: ScenarioRef,
    outcome: str,
    method: Literal["morris", "sobol"] = "morris",
    samples: int = 10,
    seed: int = 1,
    *,
    parameters: Sequence[str] | None = None,
    groups: Mapping[str, str] | None = None,
    folder: str | Path | None = None,
    resume: bool = False,
    workers: int | None = None,
    dask: str | None = None,
    progress: Progress | None = None,
) -> SensitivityAnalysis:
    """Rank the uncertain parameters by their influence on ``outcome`` (Morris or Sobol, with SALib).

    ``parameters``: study only these (the others at their medians); ``groups``: parameter -> group,
    one index per group. ``folder`` keeps every model run as it finishes; ``resume=True`` runs only
    those not yet in it (same arguments), so an interrupted analysis ends as an uninterrupted one.
    """
    from sim.experiments.run import default_workers
    from sim.experiments.sensitivity import check_request, run_sensitivity

    loaded = load(scenario)
    check_request(outcome, method, samples)
    result = run_sensitivity(
        loaded.spec,
        outcome,
        method,
        samples,
        seed,
        workers or default_workers(),
        progress=progress,
        dask=dask,
        folder=Path(folder) if folder is not None else None,
        resume=resume,
        scenario_name=loaded.name,
        parameters=parameters,
        groups=groups,
    )
    return SensitivityAnalysis(result, loaded.name)


def variance(
    scenario: ScenarioRef,
    outcomes: Sequence[str] | None = None,
    param_sets: int = 40,
    seeds: int = 8,
    seed: int | None = None,
    *,
    folder: str | Path | None = None,
    workers: int | None = None,
    dask: str | None = None,
    progress: Progress | None = None,
) -> VarianceResult:
    """Split outcomes' spread into uncertain parameters and chance (``tradesim variance``)."""
    from sim.experiments.variance import run_variance

    loaded = load(scenario)
    nested, splits = run_variance(
        loaded.spec,
        list(outcomes) if outcomes else None,
        _seed(seed),
        param_sets,
        seeds,
        Path(folder) if folder is not None else None,
        workers,
        progress,
        dask,
    )
    return VarianceResult(loaded.name, nested, splits, loaded.spec.calendar.start)


def branches(
    scenario: ScenarioRef,
    at: str,
    reps: int = 200,
    seed: int | None = None,
    *,
    only: Sequence[str] | None = None,
    folder: str | Path | None = None,
    workers: int | None = None,
    dask: str | None = None,
    progress: Progress | None = None,
) -> BranchesResult:
    """Fork every replication at a decision point (a date or its name) into its branches.

    ``only``: the branches to run (a deadline's: deal, extension, snap_back, escalation;
    talks': ``us-DECISION_china-DECISION``). Default: all.
    """
    from sim.experiments.branches import read_branches, run_branches

    loaded = load(scenario)
    out = _folder(folder, f"{loaded.name}-branches")
    report = run_branches(
        loaded, at, reps, _seed(seed), out, workers, list(only) if only else None, progress, dask
    )
    if report.reps_completed == 0:
        raise KeyboardInterrupt
    return BranchesResult(read_branches(out))


def replicate(
    scenario: ScenarioRef, seed: int, rep: int = 0, percentiles: Mapping[str, float] | None = None
) -> Replication:
    """One replication in memory (nothing written): its ``outcomes``, ``parameters`` and daily ``series``.

    ``percentiles`` fixes parameters at percentiles of their distributions (0-1; 0.5 is the
    median) instead of drawing them; the random streams are those of replication ``rep``.
    """
    from sim.model.replication import run_replication

    spec = load(scenario).spec
    result = run_replication(spec, seed, rep, dict(percentiles) if percentiles else None)
    return Replication(result, spec.calendar.start, spec.calendar.end)


def uncertain_parameters(scenario: ScenarioRef) -> dict[str, Dist]:
    """The scenario's uncertain parameters by dotted path, each with ``describe()`` and ``source``."""
    from sim.scenario.sampling import uncertain_parameters as find

    return find(load(scenario).spec)
