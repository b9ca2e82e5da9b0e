"""Where an outcome's spread comes from: ``variance`` (parameters or chance), ``discover`` (where)."""

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
    QuietOption,
    ScenarioArgument,
    WorkersOption,
    app,
)

PANEL = "Explore uncertainty"


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim variance baseline --outcome gdp_loss_year_end_pct` · "
    "`tradesim variance baseline --outcome first_stoppage_auto --param-sets 60 --seeds 10 --seed 1`",
)
def variance(
    scenario: ScenarioArgument,
    outcomes: Annotated[
        list[str] | None,
        typer.Option("--outcome", help="Outcome to split (repeatable). Default: GDP loss and auto halts."),
    ] = None,
    param_sets: Annotated[int, typer.Option(min=2, help="Parameter draws.")] = 40,
    seeds: Annotated[int, typer.Option(min=2, help="Replications (random seeds) per parameter draw.")] = 8,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed. Same seed, same split. Default: a fresh one.")
    ] = None,
    workers: WorkersOption = None,
    force_workers: ForceWorkersOption = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder. Default: results/SCENARIO-variance-TIMESTAMP.")
    ] = None,
    force: ForceOption = False,
    plots: Annotated[bool, typer.Option(help="Draw one strip chart per outcome.")] = True,
    quiet: QuietOption = False,
    dask: DaskOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Split an outcome's spread into uncertain parameters (ignorance) and chance (luck).

    Runs nested replications: PARAM_SETS draws of the scenario's uncertain parameters,
    each simulated with SEEDS different random seeds. Between-set spread is what the
    parameters do; within-set spread is chance, which no research can narrow. Prints
    each part (variance and standard deviation) with 90% intervals from resampling
    parameter sets, the parameters' share, and which dominates. Writes
    `nested_outcomes.csv`, `variance.csv` and a strip chart per outcome.
    """
    from sim.experiments.variance import outcome_table, run_variance

    ui.use_format(fmt)
    loaded = ui.load(scenario)
    ui.check_outcomes(outcomes)
    folder = ui.empty_folder(out_dir or ui.default_folder(f"{loaded.name}-variance"), force)
    master_seed = ui.master_seed(seed)
    n_workers = ui.workers_or_default(workers, force_workers)
    total = param_sets * seeds
    ui.say(
        "[bold]{}[/]: "
        f"{param_sets} parameter sets x {seeds} seeds = {total} replications, "
        f"seed {master_seed}, {n_workers} worker(s) -> "
        "{}",
        loaded.name,
        folder,
    )
    try:
        with ui.progress("nested replications", quiet) as bar:
            task = bar.add_task("run", total=total)
            nested, splits = run_variance(
                loaded.spec,
                outcomes,
                master_seed,
                param_sets,
                seeds,
                folder,
                n_workers,
                lambda k: bar.advance(task, k),
                dask,
            )
    except KeyboardInterrupt:
        ui.fail("interrupted: a variance split needs every parameter set; nothing was written", 130)
    except ValueError as exc:
        ui.fail(f"{loaded.path}: {exc}")
    _print_splits(splits, loaded.name, param_sets, seeds)
    if plots:
        from sim.plots.charts import variance_strips

        for s in splits:
            path = variance_strips(
                outcome_table(nested, s.outcome), s, folder / "plots" / f"{s.outcome}.png", loaded.name
            )
            ui.say("plot: {}", path)
    ui.say("results: {} (variance.csv, nested_outcomes.csv)", folder)


def _print_splits(splits, scenario: str, param_sets: int, seeds: int) -> None:
    from sim.cli.tables import Column, Grid, percent

    grid = Grid(
        f"Where the spread comes from: {scenario}, {param_sets} parameter sets x {seeds} seeds "
        "(standard deviations, 90% intervals)",
        [
            Column("outcome"),
            Column("mean"),
            Column("total\nsd", "total sd"),
            Column("parameters\nsd", "parameters sd"),
            Column("chance\nsd", "chance sd"),
            Column("parameter\nshare", "parameter share"),
            Column("dominant", left=True),
        ],
        caption="Parameters: Var(E[outcome | parameters]); chance: E[Var(outcome | parameters)]. "
        "Standard deviations shown; the share is of the variance.",
    )
    sd = ui.sd
    for s in splits:
        grid.add(
            f"{s.outcome}\n  {s.unit}",
            ui.plain(s.mean),
            sd(s.total),
            f"{sd(s.parameters)}\n({sd(s.parameters_low)} to {sd(s.parameters_high)})",
            f"{sd(s.chance)}\n({sd(s.chance_low)} to {sd(s.chance_high)})",
            f"{percent(s.parameter_share)}\n({percent(s.parameter_share_low)} to "
            f"{percent(s.parameter_share_high)})",
            s.dominant,
            record={
                "outcome": s.outcome,
                "unit": s.unit,
                "mean": s.mean,
                "total sd": ui.sd(s.total),
                "parameters sd": sd(s.parameters),
                "parameters sd 5%": sd(s.parameters_low),
                "parameters sd 95%": sd(s.parameters_high),
                "chance sd": sd(s.chance),
                "chance sd 5%": sd(s.chance_low),
                "chance sd 95%": sd(s.chance_high),
                "parameter share": s.parameter_share,
                "parameter share 5%": s.parameter_share_low,
                "parameter share 95%": s.parameter_share_high,
                "dominant": s.dominant,
            },
        )
    ui.table(grid)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim discover results/base --outcome gdp_loss_year_end_pct --above 1.0` · "
    "`tradesim discover results/base --outcome deadline --equals snap-back`",
)
def discover(
    folder: Annotated[Path, typer.Argument(help="A folder from `run`, `compare` or `sweep` (also --lhs).")],
    outcome: Annotated[str, typer.Option("--outcome", help="The outcome (or `deadline` with --equals).")],
    above: Annotated[
        str | None, typer.Option(help="Cases: the outcome is above this value (or date).")
    ] = None,
    below: Annotated[
        str | None, typer.Option(help="Cases: the outcome is below this value (or date).")
    ] = None,
    equals: Annotated[
        str | None,
        typer.Option(
            help="Cases: the outcome equals this (deadline: deal, extension, snap-back, escalation)."
        ),
    ] = None,
    depth: Annotated[int, typer.Option(min=1, max=6, help="Depth of the tree (rules per box).")] = 3,
    min_coverage: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="The chosen box covers at least this share of cases.")
    ] = 0.5,
    only: Annotated[
        list[str] | None,
        typer.Option(help="Search only parameters under this prefix (repeat), e.g. negotiation."),
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Find where in parameter space an outcome of interest happens (scenario discovery).

    Reads a run, a comparison (scenarios pooled) or a sweep (grid or Latin hypercube).
    Marks the replications where the outcome happens and searches two thirds of them
    for boxes (ranges of the drawn parameters) where it concentrates: PRIM (peeling and
    pasting; the chart shows its coverage-density trade-off) and a shallow decision tree.
    Each box is judged on the third held out: its density there, with an interval; a box
    whose interval includes the base rate is flagged as no better than chance.
    """
    from sim.experiments.discover import cases_of_interest, read_sample
    from sim.experiments.discover import discover as find_boxes
    from sim.plots.discovery import discovery_tradeoff
    from sim.results.folder import ResultsError

    ui.use_format(fmt)
    try:
        sample = read_sample(folder)
        y, condition = cases_of_interest(sample, outcome, above, below, equals)
        found = find_boxes(sample, y, condition, depth, min_coverage, only)
    except (ResultsError, FileNotFoundError) as exc:
        ui.fail(str(exc))
    _print_discovery(found, condition, min_coverage)
    name = f"discover_{outcome}_{(above or below or equals or '').replace(':', '-')}.png"
    path = discovery_tradeoff(found, folder / "plots" / name, sample.label)
    ui.say("plot: {}", path)


def _print_discovery(found, condition: str, min_coverage: float) -> None:
    """The boxes as one table (PRIM's, then the tree's leaves), each judged on the held-out runs."""
    from sim.cli.tables import Column, Grid, percent

    ui.say(
        "[bold]{}[/]: {} of {} replications ({}, the base rate)",
        condition,
        found.cases,
        found.total,
        percent(found.cases / found.total),
    )
    ui.say(
        "boxes found on {} replications, judged on the {} held out",
        found.total - found.holdout,
        found.holdout,
    )
    grid = Grid(
        f"Boxes: PRIM, then tree leaves (chosen: densest, coverage >= {percent(min_coverage)})",
        [
            Column("box", prose=True),
            Column("coverage"),
            Column("density"),
            Column("held-out density"),
            Column("verdict", left=True),
        ],
        caption="Coverage: share of the cases inside the box; density: share of the box that are cases "
        "(training runs). Held-out: density on the runs kept aside, with its interval and count.",
    )
    rows = [("PRIM", found.prim)] if found.prim is not None else []
    rows += [("tree" + (" (chosen)" if b is found.chosen else ""), b) for b in found.boxes]
    for name, box in rows:
        rule = " and ".join(box.rules) or "(everything)"
        if box.density <= found.base_rate:
            verdict = "below base rate"
        else:
            verdict = "no better than chance" if box.chance else "holds"
        held = (
            "-"
            if box.holdout_size == 0
            else f"{percent(box.holdout_density)}\n({percent(box.holdout_low)} to "
            f"{percent(box.holdout_high)})\nof {box.holdout_size}"
        )
        grid.add(
            f"{name}: {rule}",
            percent(box.coverage),
            percent(box.density),
            held,
            verdict,
            record={
                "box": name,
                "rules": rule,
                "coverage": box.coverage,
                "density": box.density,
                "held-out density": None if box.holdout_size == 0 else box.holdout_density,
                "held-out low": box.holdout_low,
                "held-out high": box.holdout_high,
                "held-out runs": box.holdout_size,
                "verdict": verdict,
            },
        )
    ui.table(grid)
    if found.importances:
        ui.para(  # wrapped between names: several long parameter names pass 80 columns
            "parameters that matter (tree): "
            + ", ".join(f"{name} ({share:.2f})" for name, share in found.importances[:6])
        )
    for note in found.notes:
        ui.warn("warning:", note)
