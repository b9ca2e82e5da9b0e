"""``tradesim run``: a Monte Carlo run of one scenario, or the rest of an interrupted one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import (
    AllOption,
    DaskOption,
    ForceWorkersOption,
    FormatOption,
    OptionalScenarioArgument,
    QuietOption,
    SeriesOption,
    WorkersOption,
    app,
)
from sim.core.limits import MAX_REPS


@app.command(
    rich_help_panel="Run and compare",
    epilog="Examples: `tradesim run baseline` · "
    "`tradesim run baseline --reps 1000 --seed 7 --workers 2 --out results/base7` · "
    "`tradesim run my_what_if.toml --reps 50` · "
    "`tradesim run baseline --reps 20000 --series quantiles` · `tradesim run --resume results/base7`",
)
def run(
    scenario: OptionalScenarioArgument = None,
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=1, max=MAX_REPS, help="Replications to run.")
    ] = 200,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Master seed. Same seed, same results. Default: a fresh one."),
    ] = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder. Default: results/SCENARIO-TIMESTAMP."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Write into an existing, non-empty results folder.")] = False,
    plots: Annotated[bool, typer.Option(help="Draw the default plots after the run.")] = True,
    quiet: QuietOption = False,
    dask: DaskOption = None,
    series: SeriesOption = "auto",
    resume: Annotated[
        Path | None,
        typer.Option(help="Finish an interrupted run in this folder (its own scenario, seed and settings)."),
    ] = None,
    force_workers: ForceWorkersOption = False,
    every: AllOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Run a Monte Carlo experiment of a scenario and summarise its outcomes.

    Prints the median and 90% interval of the key outcomes in words (`--all`: every
    outcome) and writes a results folder:
    tidy CSV tables (outcomes, sampled parameters), daily series (`series/`, see
    `--series`), a manifest and plots. Results are written as replications finish;
    Ctrl-C stops cleanly and keeps every finished replication; `--resume DIR` finishes
    the run without recomputing them.
    """
    ui.start_compiling(dask)  # first: a cold cache compiles on the other cores while this one loads
    from sim.experiments.run import resume_experiment, resume_status, run_experiment
    from sim.results.folder import ResultsError, read_results
    from sim.results.series_store import resolve_kept

    ui.use_format(fmt)
    n_workers = ui.workers_or_default(workers, force_workers)
    if resume is not None:
        folder = resume
        try:
            status = resume_status(folder)
        except ResultsError as exc:
            ui.fail(f"cannot resume: {exc}")
        done, reps = status.reps_done, status.reps_requested
        ui.say(
            "[bold]{}[/]: resuming {}: "
            f"{done} of {reps} replications on disk, seed {status.master_seed}, {n_workers} worker(s)",
            status.scenario,
            folder,
        )
    else:
        if scenario is None:
            ui.fail("run needs a SCENARIO (or --resume DIR)")
        try:
            kept = resolve_kept(series, reps)
        except ValueError as exc:
            ui.fail(str(exc))
        loaded = ui.load(scenario)
        folder = ui.empty_folder(out_dir or ui.default_folder(loaded.name), force)
        master_seed = ui.master_seed(seed)
        done = 0
        ui.say(
            "[bold]{}[/]: {}\n"
            f"{reps} replications, seed {master_seed}, {n_workers} worker(s), daily series: {kept} -> "
            "{}",
            loaded.name,
            loaded.spec.description,
            folder,
        )
    from sim.plots.drawers import DrawingProcesses

    # one process per core draws the plots; started now, they import matplotlib while this one loads
    # the compiled kernels, and this process never imports it
    with DrawingProcesses(n_workers if plots else 1) as drawers:
        with ui.progress("simulating replications", quiet) as bar:
            task = bar.add_task("run", total=reps, completed=done)
            advance = lambda k: bar.advance(task, k)  # noqa: E731 - a one-line callback
            try:
                if resume is not None:
                    report = resume_experiment(folder, n_workers, progress=advance, dask=dask)
                else:
                    report = run_experiment(
                        loaded, reps, master_seed, folder, n_workers, progress=advance, dask=dask, series=kept
                    )
            except ResultsError as exc:
                ui.fail(str(exc))
        if report.reps_completed == 0:
            ui.fail(f"interrupted before any replication finished; {folder} holds empty tables", 130)
        try:
            results = read_results(folder)
        except ResultsError as exc:  # a resumed folder whose kept rows were damaged: one line, no traceback
            ui.fail(str(exc))
        ui.print_summary(results, every)
        if plots:
            ui.print_plots(drawers.default_figures(folder))
    ui.say("results: {}", folder)
    if report.interrupted:
        ui.warn(
            "interrupted:",
            f"kept {report.reps_completed} of {reps} replications "
            f"(manifest marked incomplete); finish with `tradesim run --resume {folder}`",
        )
        raise typer.Exit(130)
