"""Forking replications at a decision point: ``tradesim branches`` and ``tradesim reweight``."""

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
    OutcomesOption,
    QuietOption,
    ScenarioArgument,
    WorkersOption,
    app,
)
from sim.core.limits import MAX_REPS

PANEL = "Run and compare"

#: Outcomes printed after forking unless --outcome picks others.
BRANCH_OUTCOMES = (
    "gdp_loss_year_end_pct",
    "halted_plant_days_auto",
    "halted_plant_days_defence",
    "price_index_at_end",
    "us_tariff_mean",
    "licences_in_force_at_end",
    "extensions",
)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim branches baseline --at 2025-08-10 --reps 200 --seed 1` · "
    "`tradesim branches snap_back --at october_talks "
    "--branches us-concede_china-concede,us-hold_china-hold` · "
    "`tradesim branches baseline --at truce_deadline "
    "--weights deal=0.2,extension=0.5,snap_back=0.2,escalation=0.1`",
)
def branches(
    scenario: ScenarioArgument,
    at: Annotated[
        str,
        typer.Option(
            help="The decision point to fork at: its date (YYYY-MM-DD) or its name in the scenario."
        ),
    ],
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=1, max=MAX_REPS, help="Replications, each forked.")
    ] = 200,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed. Same seed, same branches. Default: a fresh one.")
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--branches",
            help="Comma-separated branches to run (default: all). A deadline's: deal, extension, snap_back, "
            "escalation; talks': us-DECISION_china-DECISION.",
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            help="Branch probabilities for the combined distribution, e.g. `deal=0.2,extension=0.5`. "
            "Default: the model's own, per replication."
        ),
    ] = None,
    outcomes: OutcomesOption = None,
    workers: WorkersOption = None,
    force_workers: ForceWorkersOption = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Branches folder. Default: results/SCENARIO-branches-TIMESTAMP."),
    ] = None,
    force: ForceOption = False,
    plots: Annotated[bool, typer.Option(help="Draw the forked fan chart.")] = True,
    quiet: QuietOption = False,
    dask: DaskOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Fork every replication at a decision point and continue it once per branch.

    Each replication is simulated once up to the start of the decision point's day;
    the whole model state (queues, licences in force, shipments, stocks, plants,
    prices, tariffs, negotiation, random streams) is copied there and each copy
    continues with both sides' decisions forced to one branch. The history before
    the fork is the same in every branch; after it, branches share their random
    draws, so branch-against-branch differences are paired. Writes one results
    folder per branch, tables with a `branch` column, `branch_differences.csv`,
    `branch_probabilities.csv` (the model's own chance of each branch in each
    replication) and a chart. `tradesim reweight DIR` recombines them later.
    """
    from sim.experiments.branches import (
        fork_point,
        parse_weights,
        read_branches,
        run_branches,
        select_branches,
    )

    ui.use_format(fmt)
    loaded = ui.load(scenario)
    try:
        point = select_branches(fork_point(loaded.spec, at), only.split(",") if only else None)
        chosen = parse_weights(weights, list(point.branches)) if weights else None
    except ValueError as exc:
        ui.fail(f"{loaded.path}: {exc}")
    ui.check_outcomes(outcomes)
    folder = ui.empty_folder(out_dir or ui.default_folder(f"{loaded.name}-branches"), force)
    master_seed = ui.master_seed(seed)
    n_workers = ui.workers_or_default(workers, force_workers)
    ui.say(
        "[bold]{}[/] forked at {} into {}: "
        f"{reps} replications, seed {master_seed}, {n_workers} worker(s) -> "
        "{}",
        loaded.name,
        point.name,
        ", ".join(point.branches),
        folder,
    )
    with ui.progress("forking replications", quiet) as bar:
        task = bar.add_task("run", total=reps)
        try:
            report = run_branches(
                loaded,
                point.name,
                reps,
                master_seed,
                folder,
                n_workers,
                list(point.branches),
                progress=lambda k: bar.advance(task, k),
                dask=dask,
            )
        except ValueError as exc:
            ui.fail(f"{loaded.path}: {exc}")
    if report.reps_completed == 0:
        ui.fail(f"interrupted before any replication finished; {folder} holds empty tables", 130)
    forked = read_branches(folder)
    print_branches(forked, chosen, outcomes or list(BRANCH_OUTCOMES))
    if plots:
        from sim.plots.charts import branch_fans

        ui.print_plots([branch_fans(forked, folder / "plots" / "branches.png")])
    ui.say("results: {} (one folder per branch; branch_differences.csv)", folder)
    if report.interrupted:
        ui.warn("interrupted:", f"kept {report.reps_completed} of {reps} replications")
        raise typer.Exit(130)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim reweight results/baseline-branches-X` · "
    "`tradesim reweight results/baseline-branches-X --weights deal=0.6,extension=0.4`",
)
def reweight(
    folder: Annotated[Path, typer.Argument(help="A folder written by `tradesim branches`.")],
    weights: Annotated[
        str | None,
        typer.Option(
            help="Branch probabilities, e.g. `deal=0.2,extension=0.5,snap_back=0.2,escalation=0.1` "
            "(scaled to add up to one; branches left out get zero). "
            "Default: the model's own, per replication."
        ),
    ] = None,
    outcomes: OutcomesOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Recombine stored branches into one outcome distribution for given branch probabilities.

    Nothing is re-run: each replication's branches are mixed with the weights given
    (or the model's own probabilities, drawn from each side's pain at the fork).
    """
    from sim.experiments.branches import parse_weights, read_branches
    from sim.results.folder import ResultsError

    ui.use_format(fmt)
    try:
        forked = read_branches(folder)
        chosen = parse_weights(weights, list(forked.results)) if weights else None
    except ResultsError as exc:
        ui.fail(str(exc))
    except (ValueError, OSError, KeyError) as exc:
        ui.fail(f"{folder}: {exc}")
    ui.check_outcomes(outcomes)
    print_branches(forked, chosen, outcomes or list(BRANCH_OUTCOMES))


def print_branches(forked, weights: dict[str, float] | None, names: list[str]) -> None:
    """Per-branch medians, paired shifts against the first branch, and the recombined distribution.

    Too wide for the console (four branches and the combined column), each outcome is
    stacked, one line per branch, so the combined figure is never cut.
    """
    from sim.cli.tables import Column, Grid, percent
    from sim.experiments.branches import reweight as mix
    from sim.experiments.compare import compare
    from sim.results.summary import format_diff, format_value

    rows = [r for r in compare(forked.results) if r.outcome in names]
    mixture = {r.outcome: r for r in mix(forked, weights)}
    branches = list(forked.results)
    point = forked.manifest["fork_point"]["name"]
    grid = Grid(
        f"Forked at {point}: median (5% to 95%) per branch, then the paired shift against {branches[0]}",
        [Column("outcome"), *(Column(b) for b in branches), Column("combined")],
        caption="Model's chance: the mean over replications of each branch's probability from the pain "
        "at the fork. Combined: the branches mixed with "
        + ("the weights given." if weights else "the model's own probabilities, replication by replication."),
    )
    chance = [percent(float(forked.probability[b].mean())) for b in branches]
    grid.add("model's chance", *chance, "", end_section=not weights)
    if weights:
        grid.add("weight used", *(percent(weights[b]) for b in branches), "", end_section=True)
    by_outcome: dict[str, list] = {}
    for row in rows:
        by_outcome.setdefault(row.outcome, []).append(row)
    for outcome in names:
        cells = by_outcome.get(outcome)
        if not cells:
            continue
        kind = cells[0].kind
        texts, record = [], {"outcome": outcome, "unit": cells[0].unit}
        for c in cells:
            text = ui.median_and_range(c.median, c.low, c.high, kind)
            record[c.scenario] = text.replace("\n", " ")
            if c.scenario != branches[0]:
                shift = (
                    f"{format_diff(c.diff_median, kind)}\n({format_diff(c.diff_low, kind)} to "
                    f"{format_diff(c.diff_high, kind)})"
                )
                text += "\n" + shift
                record[f"{c.scenario} shift"] = shift.replace("\n", " ")
            texts.append(text)
        m = mixture[outcome]
        combined = (
            format_value(m.mean, kind)
            if kind == "flag"
            else ui.median_and_range(m.median, m.low, m.high, kind)
        )
        record["combined"] = combined.replace("\n", " ")
        grid.add(f"{outcome}\n  {cells[0].unit}", *texts, combined, record=record)
    ui.table(grid)
