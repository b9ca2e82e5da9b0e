"""``tradesim calibrate``: the model beside the figures reported in the sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import DaskOption, ForceWorkersOption, FormatOption, WorkersOption, app
from sim.core.limits import MAX_REPS

PANEL = "Scenarios and sources"


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim calibrate` · `tradesim calibrate baseline --reps 400 --workers 2`",
)
def calibrate(
    scenarios: Annotated[
        list[str] | None, typer.Argument(help="Only the targets of these scenarios (default: all).")
    ] = None,
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=2, max=MAX_REPS, help="Replications per scenario.")
    ] = 100,
    seed: Annotated[int, typer.Option(min=0, help="Master seed (fixed, so CI runs are stable).")] = 1,
    workers: WorkersOption = None,
    force_workers: ForceWorkersOption = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Keep the results folders here (default: discarded).")
    ] = None,
    dask: DaskOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Compare the model with the figures reported in the sources.

    For each calibration target (`seeds/calibration.toml`) it runs the target's
    scenario, computes the same quantity from the results tables, and prints the
    figure beside the model's median and 90% interval, with whether the figure is
    inside. Unverified and contradicted figures (the 27% May price rise, shown
    under both readings of "in May") are shown, never checked, and never change
    the exit code. Notes name the parameters whose ranges were set after seeing a
    figure (a weak check). A second table gives US GDP loss by channel (magnets,
    tariffs, total), as quarterly levels and as cumulative losses. Exits 1 when a
    reliable target falls outside, so CI can run it.
    """
    from sim.experiments.calibration import failures
    from sim.experiments.calibration_run import calibration_scenarios, run_calibration
    from sim.scenario.loader import ScenarioError

    ui.use_format(fmt)
    try:
        wanted = calibration_scenarios(scenarios)
    except ValueError as exc:
        ui.fail(str(exc))
    if out_dir is not None:
        for name in wanted:
            ui.empty_folder(out_dir / name)
    with ui.named_progress() as bars:
        try:
            found = run_calibration(
                wanted,
                reps,
                seed,
                out_dir,
                ui.workers_or_default(workers, force_workers),
                ui.NamedBars(bars, reps),
                dask,
            )
        except ScenarioError as exc:
            ui.fail(exc)
    _print_calibration(found.targets, reps, seed)
    _print_gdp_channels(found.gdp_channels)
    missed = failures(found.targets)
    if missed:
        ui.warn(f"{len(missed)} reliable target(s) outside:", ", ".join(r.target for r in missed))
        raise typer.Exit(1)


def _print_calibration(rows, reps: int, seed: int) -> None:
    from sim.cli.tables import Column, Grid

    grid = Grid(
        f"Calibration: figures from the sources beside the model ({reps} replications, seed {seed})",
        [
            Column("target\nscenario: model quantity", "target", prose=True),
            Column("figure\nreliability", "figure", prose=True, paired=True),
            Column("median"),
            Column("5%"),
            Column("95%"),
            Column("check", prose=True),
            Column("result", left=True),
        ],
        caption="Figures: `tradesim sources --figure ID`. Quantities are computed from the results tables.",
    )
    notes = []
    for r in rows:
        grid.add(
            f"{r.target}\n{r.scenario}: {r.quantity}",
            f"{r.figure_value}\n{r.reliability}",
            r.median,
            r.low,
            r.high,
            r.check,
            r.status,
            record={
                "target": r.target,
                "scenario": r.scenario,
                "quantity": r.quantity,
                "figure": r.figure_value,
                "reliability": r.reliability,
                "median": r.median,
                "5%": r.low,
                "95%": r.high,
                "check": r.check,
                "result": r.status,
            },
        )
        if r.reason:
            notes.append(f"  {r.target}: {r.reason}")
        if r.informed:
            notes.append(
                f"  {r.target}: ranges set after seeing the figure (a weak check): {', '.join(r.informed)}"
            )
        if r.cited_by:
            notes.append(f"  {r.target}: parameters citing the figure: {', '.join(r.cited_by)}")
    ui.table(grid)
    if notes:
        ui.para("Notes:")
        for note in notes:
            ui.para(note.strip(), indent=2)


def _print_gdp_channels(rows) -> None:
    from sim.cli.tables import Column, Grid, number

    grid = Grid(
        "US GDP loss by channel: median [5%, 95%]",
        [Column("scenario: measure", prose=True), *(Column(c) for c in ("magnet", "tariff", "total"))],
        caption="LEVEL: a quarter's GDP below its no-shock path, as forecasters quote it (HSBC's 0.6% by Q3 "
        "is the magnet channel; Oxford Economics' up to 0.9% by year-end with no deal is a ceiling on the "
        "total). CUMULATIVE: output lost summed over days. The 27% May price figure is context only.",
    )
    for g in rows:
        cells = {
            name: f"{number(m, decimals=2)} [{number(lo, decimals=2)}, {number(hi, decimals=2)}]"
            for name, (m, lo, hi) in g.cells.items()
        }
        grid.add(f"{g.scenario}: {g.meaning}", *cells.values())
    ui.table(grid)
