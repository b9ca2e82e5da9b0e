"""``tradesim compare``: several scenarios (or saved games) on common random numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import (
    AllOption,
    DaskOption,
    ForceOption,
    ForceWorkersOption,
    FormatOption,
    QuietOption,
    SeriesOption,
    WorkersOption,
    app,
)
from sim.core.limits import MAX_REPS


@app.command(
    name="compare",
    rich_help_panel="Run and compare",
    epilog="Examples: `tradesim compare baseline deal_by_deadline snap_back --reps 200 --seed 1` · "
    "`tradesim compare baseline green_channel -n 50 --out results/green`",
)
def compare_command(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Two or more scenarios; the first is the reference. A saved game (`*.game.toml` from "
            "`tradesim play`) counts as a scenario: its moves are fixed, the luck varies by replication."
        ),
    ],
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=2, max=MAX_REPS, help="Replications per scenario.")
    ] = 200,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed, shared by every scenario. Default: a fresh one.")
    ] = None,
    workers: WorkersOption = None,
    force_workers: ForceWorkersOption = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Comparison folder. Default: results/compare-TIMESTAMP."),
    ] = None,
    force: ForceOption = False,
    plots: Annotated[bool, typer.Option(help="Draw the comparison plots.")] = True,
    quiet: QuietOption = False,
    dask: DaskOption = None,
    series: SeriesOption = "auto",
    every: AllOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Run several scenarios on common random numbers and compare their outcomes.

    Replication i of every scenario shares its random streams and the draws of
    every parameter the scenarios have in common, so each scenario's shift against
    the first is taken replication by replication (a paired difference, shown as
    its median and 90% interval). Writes one results folder per scenario (with its
    daily series, see `--series`), the outcome and parameter tables with a `scenario`
    column, `comparison.csv` and plots. Scenarios that differ only at decision points
    (the deadline scenarios) are simulated once up to the first of them and copied
    there for each scenario: the same results as separate runs, in less time.
    """
    ui.start_compiling(dask)  # first: a cold cache compiles on the other cores while this one loads
    from sim.experiments.compare import ComparisonInterrupted, run_comparison
    from sim.experiments.shared_history import plan_shared_history
    from sim.results.safe_io import ResultsError
    from sim.results.series_store import resolve_kept
    from sim.scenario.loader import LoadedScenario, ScenarioError
    from sim.workshop.tournament import comparison_entries

    ui.use_format(fmt)
    if len(scenarios) < 2:
        ui.fail("compare needs at least two scenarios")
    try:
        kept = resolve_kept(series, reps)
        entries = comparison_entries(scenarios)
    except ScenarioError as exc:
        ui.fail(exc)
    except ValueError as exc:  # also a bad saved game (GameFileError)
        ui.fail(str(exc))
    folder = ui.empty_folder(out_dir or ui.default_folder("compare"), force)
    master_seed = ui.master_seed(seed)
    n_workers = ui.workers_or_default(workers, force_workers)
    ui.say(
        f"comparing {{}}: {reps} replications each, seed {master_seed}, {n_workers} worker(s) -> {{}}",
        ", ".join(entries),
        folder,
    )
    scenario_files = all(isinstance(e, LoadedScenario) for e in entries.values())  # no saved games
    shared = plan_shared_history(entries) if scenario_files else None
    if shared is not None:
        ui.para(
            f"the scenarios differ only at decision points ({', '.join(shared.points) or 'none'}): "
            "each replication is simulated once up to the first of them, then copied there for "
            "each scenario (the same results as separate runs)"
        )
    from sim.plots.drawers import DrawingProcesses

    with DrawingProcesses(n_workers if plots else 1) as drawers:  # they import matplotlib meanwhile
        with ui.named_progress(quiet) as bars:
            try:
                results, rows = run_comparison(
                    entries, reps, master_seed, folder, n_workers, ui.NamedBars(bars, reps), dask, kept
                )
            except ComparisonInterrupted as exc:
                ui.fail(str(exc), 130)
            except ResultsError as exc:  # a folder in use, a full disk, a dead worker
                ui.fail(str(exc))
        print_comparison(rows, list(results), every)
        if plots:
            ui.print_plots(drawers.default_figures(folder))
    ui.say("results: {} (comparison.csv, one folder per scenario)", folder)


def print_comparison(rows, names: list[str], every: bool = False) -> None:
    """Median (5%-95%) per scenario, with the paired shift against the first below it.

    The key outcomes in words by default (``every``: all, by code name). Too wide for the
    console (many scenarios), each outcome is stacked: one line per scenario.
    """
    from sim.cli.tables import Column, Grid, unit_after
    from sim.results.summary import format_diff, format_value

    grid = Grid(
        f"Outcomes by scenario: median (5% to 95%), then the paired shift against {names[0]}",
        [Column("outcome", prose=not every), *(Column(n) for n in names)],
        caption="Yes/no outcomes: share of replications; their shifts in percentage points (pts).",
    )
    by_outcome: dict[str, list] = {}
    for row in rows:
        by_outcome.setdefault(row.outcome, []).append(row)
    wanted = list(by_outcome) if every else [k for k in ui.KEY_OUTCOMES if k in by_outcome]
    for outcome in wanted:
        cells = by_outcome[outcome]
        kind = cells[0].kind
        texts, record = [], {"outcome": outcome, "unit": cells[0].unit}
        for c in cells:
            low, high = format_value(c.low, kind), format_value(c.high, kind)
            value = f"{format_value(c.median, kind)} ({low} to {high})"
            record[c.scenario] = value
            text = value
            if c.scenario != names[0]:
                shift = (
                    f"{format_diff(c.diff_median, kind)} "
                    f"({format_diff(c.diff_low, kind)} to {format_diff(c.diff_high, kind)})"
                )
                text += "\n" + shift
                record[f"{c.scenario} shift"] = shift
            texts.append(text)
        if every:
            unit = unit_after(format_value(cells[0].median, kind), cells[0].unit)
            label = f"{outcome}\n  {unit}" if unit else outcome
        else:
            label = ui.KEY_OUTCOMES[outcome]
        grid.add(label, *texts, record=record)
    ui.table(grid)
