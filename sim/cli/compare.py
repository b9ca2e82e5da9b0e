"""``tradesim compare``: several scenarios (or saved games) on common random numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import sim.cli.ui as ui
from sim.cli.ui import DaskOption, ForceOption, QuietOption, SeriesOption, WorkersOption, app
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
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Comparison folder. Default: results/compare-TIMESTAMP."),
    ] = None,
    force: ForceOption = False,
    plots: Annotated[bool, typer.Option(help="Draw the comparison plots.")] = True,
    quiet: QuietOption = False,
    dask: DaskOption = None,
    series: SeriesOption = "auto",
) -> None:
    """Run several scenarios on common random numbers and compare their outcomes.

    Replication i of every scenario shares its random streams and the draws of
    every parameter the scenarios have in common, so each scenario's shift against
    the first is taken replication by replication (a paired difference, shown as
    its median and 90% interval). Writes one results folder per scenario (with its
    daily series, see `--series`), the outcome and parameter tables with a `scenario`
    column, `comparison.csv` and plots.
    """
    from sim.experiments.compare import ComparisonInterrupted, run_comparison
    from sim.results.safe_io import ResultsError
    from sim.results.series_store import resolve_kept
    from sim.scenario.loader import ScenarioError
    from sim.workshop.tournament import comparison_entries

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
    n_workers = ui.workers_or_default(workers)
    ui.say(
        f"comparing {', '.join(entries)}: {reps} replications each, seed {master_seed}, "
        f"{n_workers} worker(s) -> {folder}"
    )
    with ui.named_progress(quiet) as bars:
        try:
            results, rows = run_comparison(
                entries, reps, master_seed, folder, n_workers, ui.NamedBars(bars, reps), dask, kept
            )
        except ComparisonInterrupted as exc:
            ui.fail(str(exc), 130)
        except ResultsError as exc:  # a folder in use, a full disk, a dead worker
            ui.fail(str(exc))
    print_comparison(rows, list(results))
    if plots:
        from sim.plots.charts import draw_comparison_plots

        ui.print_paths("plot", draw_comparison_plots(results, folder))
    ui.say(f"results: {folder} (comparison.csv, one folder per scenario)")


def print_comparison(rows, names: list[str]) -> None:
    """Median (5%-95%) per scenario, with the paired shift against the first below it."""
    from sim.experiments.compare import format_diff, format_value

    table = Table(
        title=f"Outcomes by scenario: median (5%-95%); below, the paired shift against {names[0]}",
        title_justify="left",
        caption="Yes/no outcomes: share of replications; shifts in percentage points.",
        caption_justify="left",
    )
    table.add_column("outcome", style="bold", overflow="fold", min_width=24)
    for name in names:
        table.add_column(name, justify="right", overflow="fold")
    by_outcome: dict[str, list] = {}
    for row in rows:
        by_outcome.setdefault(row.outcome, []).append(row)
    for outcome, cells in by_outcome.items():
        kind = cells[0].kind
        texts = []
        for c in cells:
            text = (
                f"{format_value(c.median, kind)} ({format_value(c.low, kind)}-{format_value(c.high, kind)})"
            )
            if c.scenario != names[0]:
                text += (
                    f"\n[dim]{format_diff(c.diff_median, kind)} "
                    f"({format_diff(c.diff_low, kind)} to {format_diff(c.diff_high, kind)})[/]"
                )
            texts.append(text)
        table.add_row(f"{outcome}\n[dim]{cells[0].unit}[/]", *texts)
    ui.out.print(table)
