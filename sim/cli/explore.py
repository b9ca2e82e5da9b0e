"""Exploring a scenario's parameters: ``sensitivity`` (which matter) and ``sweep`` (a grid over some)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import (
    DaskOption,
    ForceOption,
    ForceWorkersOption,
    FormatOption,
    OptionalScenarioArgument,
    WorkersOption,
    app,
)
from sim.core.limits import MAX_REPS

PANEL = "Explore uncertainty"


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim sensitivity baseline --outcome gdp_loss_year_end_pct` · "
    "`tradesim sensitivity baseline --method sobol --samples 64 --outcome halted_plant_days_auto -w 2` · "
    "`tradesim sensitivity --resume results/sensitivity_baseline_gdp_loss_year_end_pct_morris`",
)
def sensitivity(
    scenario: OptionalScenarioArgument = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="The scalar outcome to explain.")] = None,
    method: Annotated[
        str, typer.Option(help="morris (screening, cheap) or sobol (variance shares).")
    ] = "morris",
    samples: Annotated[
        int,
        typer.Option(
            "--samples", "-n", min=2, help="Trajectories (Morris) or base samples (Sobol, a power of 2)."
        ),
    ] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the design and of the model's streams.")] = 1,
    workers: WorkersOption = None,
    force_workers: ForceWorkersOption = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the table and chart. Default: results/.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="Parameters to show.")] = 15,
    dask: DaskOption = None,
    fmt: FormatOption = "table",
    resume: Annotated[
        Path | None,
        typer.Option(help="Finish an interrupted analysis: its runs folder (OUT/sensitivity_...)."),
    ] = None,
) -> None:
    """Rank a scenario's uncertain parameters by their influence on one outcome (SALib).

    Each parameter varies over its own distribution (1st to 99th percentile). Every model
    run uses the same random streams, so the ranking reflects the parameters, not luck.
    Writes `sensitivity_SCENARIO_OUTCOME_METHOD.csv` (indices), a tornado chart, and a
    folder of the same name holding every model run as it finishes: Ctrl-C keeps them,
    `--resume FOLDER` runs only the rest.
    """
    from sim.experiments.sensitivity import (
        SensitivityInterrupted,
        SensitivityRequest,
        check_request,
        read_request,
        run_sensitivity,
        runs_needed,
        write_indices,
    )
    from sim.plots.charts import tornado
    from sim.scenario.sampling import uncertain_parameters

    ui.use_format(fmt)
    try:
        if resume is not None:
            request = read_request(resume)
        else:
            if scenario is None or outcome is None:
                ui.fail("sensitivity needs a SCENARIO and --outcome (or --resume FOLDER)")
            loaded = ui.load(scenario)
            request = SensitivityRequest(
                loaded.spec,
                loaded.name,
                outcome,
                method,
                samples,
                seed,
                out_dir or Path("results"),  # type: ignore[arg-type]
            )
        check_request(request.outcome, request.method, request.samples)
    except ValueError as exc:
        ui.fail(str(exc))
    k = len(uncertain_parameters(request.spec))
    total = runs_needed(k, request.samples, request.method)
    n_workers = ui.workers_or_default(workers, force_workers)
    ui.say(
        "{}: "
        f"{request.method} on {k} uncertain parameters, {total} model runs, {n_workers} worker(s) -> "
        "{}",
        request.scenario,
        request.runs,
    )
    with ui.progress("simulating") as bar:
        task = bar.add_task("run", total=total)
        try:
            result = run_sensitivity(
                request.spec,
                request.outcome,
                request.method,
                request.samples,
                request.seed,
                n_workers,
                progress=lambda n: bar.advance(task, n),
                dask=dask,
                folder=request.runs,
                resume=resume is not None,
                scenario_name=request.scenario,
            )
        except SensitivityInterrupted as stop:
            ui.warn(  # a path to copy: plain text, never broken across lines
                "interrupted:",
                f"kept {stop.done} of {stop.total} model runs; "
                f"finish with `tradesim sensitivity --resume {request.runs}`",
            )
            raise typer.Exit(130) from None
        except ValueError as exc:
            ui.fail(str(exc))
    folder, stem = request.folder, request.stem
    write_indices(result, folder / f"{stem}.csv")
    from sim.cli.tables import Column, Grid, number

    morris = request.method == "morris"
    names = ("mu*", "± 95%", "sigma") if morris else ("total ST", "± 95%", "first-order S1")
    grid = Grid(
        f"What drives {request.outcome} in {request.scenario} ({request.method})",
        [Column("parameter"), *(Column(n) for n in names)],
    )
    for i in result.ranked()[:top]:
        grid.add(
            result.names[i],
            number(result.index[i]),
            number(result.conf[i]),
            number(result.other[i]),
            record={
                "parameter": result.names[i],
                names[0]: float(result.index[i]),
                names[1]: float(result.conf[i]),
                names[2]: float(result.other[i]),
            },
        )
    ui.table(grid)
    if result.filled:
        ui.warn(
            "note:",
            f"{result.filled} run(s) had no value of {request.outcome}; set to the largest value seen",
        )
    chart = tornado(result, folder / f"{stem}.png", request.scenario, top)
    ui.say("table: {}\nplot: {}", folder / (stem + ".csv"), chart)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim sweep baseline --vary licensing.initial_backlog=20000:50000:5 --reps 20` · "
    "`tradesim sweep baseline --vary market.price_pressure_per_day=0.004:0.016 "
    "--vary industry.distributor_stock_days=0:30 --lhs 40 --reps 10 --outcome price_rise_may_2025_pct`",
)
def sweep(
    scenario: OptionalScenarioArgument = None,
    vary: Annotated[
        list[str] | None,
        typer.Option("--vary", help="PATH=LOW:HIGH[:STEPS], in the parameter's own units; repeat."),
    ] = None,
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=1, max=MAX_REPS, help="Replications per design point.")
    ] = 10,
    lhs: Annotated[
        int | None, typer.Option(min=2, help="A Latin hypercube of this many points instead of a full grid.")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Master seed (and the hypercube's seed).")] = 1,
    workers: WorkersOption = None,
    force_workers: ForceWorkersOption = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Sweep folder. Default: results/sweep-TIMESTAMP.")
    ] = None,
    outcome: Annotated[
        list[str] | None,
        typer.Option("--outcome", help="Outcomes to plot (repeat). Default: GDP loss by year-end."),
    ] = None,
    force: ForceOption = False,
    dask: DaskOption = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Finish an interrupted sweep in this folder (its own settings are used)."),
    ] = None,
) -> None:
    """Run a grid or Latin-hypercube sweep over named parameters.

    Each design point fixes the varied parameters and runs the same replications
    (common random numbers). Writes `outcomes.csv` with the design columns beside
    every outcome, a manifest, and a plot of each chosen outcome against each
    varied parameter.
    """
    from pydantic import ValidationError

    from sim.experiments.sweep import (
        default_outcomes,
        design_points,
        parse_vary,
        read_sweep_request,
        run_sweep,
    )
    from sim.plots.charts import sweep_panels
    from sim.results.catalogue import OUTCOMES
    from sim.scenario.loader import ScenarioError

    try:
        if resume is not None:
            request = read_sweep_request(resume)
            loaded, varies, points, folder = request.scenario, request.varies, request.points, resume
            reps, seed, design = request.reps, request.seed, request.design
            outcome = outcome or request.outcomes or None
        else:
            if scenario is None or not vary:
                ui.fail("sweep needs a SCENARIO and at least one --vary (or --resume DIR)")
            loaded = ui.load(scenario)
            varies = [parse_vary(v, loaded.spec) for v in vary]
            design = "latin hypercube" if lhs else "grid"
    except ScenarioError as exc:
        ui.fail(exc)
    except ValueError as exc:
        ui.fail(str(exc))
    outcomes = outcome or default_outcomes(loaded.spec)
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        ui.fail(f"unknown outcome(s) {', '.join(unknown)}; one of: {', '.join(OUTCOMES)}")
    if resume is None:
        try:
            points = design_points(varies, lhs, seed)
        except ValueError as exc:
            ui.fail(str(exc))
        folder = ui.empty_folder(out_dir or ui.default_folder("sweep"), force)
    n_workers = ui.workers_or_default(workers, force_workers)
    total = len(points) * reps
    ui.say(
        "{}: "
        f"{len(points)} design points x {reps} replications = {total} runs, {n_workers} worker(s) -> "
        "{}",
        loaded.name,
        folder,
    )
    with ui.progress("simulating") as bar:
        task = bar.add_task("run", total=total)
        try:
            report = run_sweep(
                loaded,
                varies,
                points,
                reps,
                seed,
                folder,
                n_workers,
                progress=lambda k: bar.advance(task, k),
                design=design,
                dask=dask,
                resume=resume is not None,
                outcomes=outcomes,
            )
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            ui.fail(f"a design point is not a valid scenario: {problems}")
        except ValueError as exc:
            ui.fail(str(exc))
    if report.interrupted:
        ui.warn(
            "interrupted:",
            f"kept {report.points_done} of {report.points} design points; "
            f"finish with `tradesim sweep --resume {folder}`",
        )
        raise typer.Exit(130)
    drawn = [
        sweep_panels(
            report.table, [v.path for v in varies], name, folder / "plots" / f"{name}_sweep.png", loaded.name
        )
        for name in outcomes
    ]
    ui.print_plots(drawn)
    ui.say("results: {}", report.table)
