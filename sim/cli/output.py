"""Outputs drawn from a saved results folder, never re-simulated: ``plot``, ``report``, ``replay``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import FormatOption, app

PANEL = "Figures, reports and stories"


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim plot results/baseline-20251123` · "
    "`tradesim plot results/base --series stock_auto` · "
    "`tradesim plot results/base --outcome gdp_loss_q3_pct` · `tradesim plot results/base --list`",
)
def plot(
    folder: Annotated[Path, typer.Argument(help="A folder from `run`, `compare`, `branches` or `sweep`.")],
    series: Annotated[
        str | None, typer.Option("--series", "-s", help="Draw one daily series as a fan chart.")
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="Draw one scalar outcome (histogram; side by side for a comparison)."),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", help="png or svg (the figures); with --list: table (default), csv or json."),
    ] = "png",
    paths: Annotated[
        int,
        typer.Option(
            "--paths", min=0, max=12, help="With --series: also draw this many single replications."
        ),
    ] = 0,
    list_only: Annotated[bool, typer.Option("--list", help="List what can be drawn.")] = False,
) -> None:
    """Redraw figures from a saved results folder, without re-running the model.

    With no option it redraws every default figure into FOLDER/plots. `--series`
    draws a fan chart (median, 50% and 90% bands over calendar dates, key dates
    marked); `--outcome` a histogram, or violins side by side for a comparison.
    """
    from sim.plots.redraw import drawable, redraw
    from sim.results.folder import ResultsError

    if list_only:
        ui.use_format("table" if fmt == "png" else fmt)  # png: the default, not asked for
    elif fmt not in ("png", "svg"):
        ui.fail(f"--format must be png or svg, got {fmt!r}")
    try:
        if list_only:
            _print_drawable(drawable(folder))
            return
        drawn = redraw(folder, series, outcome, fmt, paths, workers=ui.workers_or_default(None))
    except ResultsError as exc:
        ui.fail(str(exc))
    ui.print_paths("plot", drawn)


def _print_drawable(found) -> None:
    """What ``plot --list`` shows: each series and outcome by name, with its unit and meaning."""
    from sim.cli.tables import Column, Grid
    from sim.results.catalogue import OUTCOMES, SERIES

    for title, names, catalogue in (
        ("Daily series (--series NAME: a fan chart)", found.series, SERIES),
        (
            "Scalar outcomes (--outcome NAME: "
            + ("violins side by side)" if found.comparison else "a histogram)"),
            found.outcomes,
            OUTCOMES,
        ),
    ):
        if not names:
            continue  # a sweep keeps no daily series
        grid = Grid(title, [Column("name\n  unit", "name"), Column("what it is", prose=True)])
        for name in names:
            measure = catalogue.get(name)
            unit, what = (measure.unit, measure.description) if measure else ("", "")
            grid.add(
                f"{name}\n  {unit}" if unit else name,
                what,
                record={"name": name, "unit": unit, "what it is": what},
            )
        ui.table(grid)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim report results/baseline-20251123` · "
    "`tradesim report results/base --out workshop.html`",
)
def report(
    folder: Annotated[Path, typer.Argument(help="A folder from `run`, `compare` or `branches`.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write it. Default: FOLDER/report.html.")
    ] = None,
) -> None:
    """Write one self-contained HTML report of a results folder, to email or project.

    Figures are embedded and nothing is fetched from the network. A run: the scenario
    description, the outcome table, the figures and every parameter with its source. A
    comparison: the scenarios side by side (the comparison table, how the deadline ends,
    key outcomes, each scenario's key fans). A branches folder: the fork, the model's own
    odds of each branch, the per-branch table and the forked fans.
    """
    from sim.plots.group_report import write_folder_report
    from sim.results.folder import ResultsError

    if out_file is not None:
        check_new_or_regular_file(out_file)
    try:
        path = write_folder_report(folder, out_file)
    except (ResultsError, FileNotFoundError) as exc:
        ui.fail(str(exc))
    except OSError as exc:  # a full disk, a read-only folder
        ui.fail(f"{exc.filename or out_file}: cannot write: {exc.strerror or exc}")
    ui.say("report: {} ({} MB)", path, f"{path.stat().st_size / 1e6:.1f}")


def check_new_or_regular_file(path: Path) -> None:
    """Exit 2 unless ``path`` is a regular file (replaced) or a new name in an existing folder.

    A FIFO, a device node or a folder given as ``--out`` is never replaced by a file.
    """
    if path.exists() or path.is_symlink():
        if not path.is_file():
            ui.fail(f"--out {path}: exists and is not a regular file (give a new file name, or a file)")
    elif not path.parent.is_dir():
        ui.fail(f"--out {path}: its folder {path.parent} does not exist")


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim replay results/baseline-20251123 --rep 17` · "
    "`tradesim replay results/cmp --scenario snap_back --rep 3`",
)
def replay(
    folder: Annotated[Path, typer.Argument(help="A folder from `run`, `compare` or `branches`.")],
    rep: Annotated[int, typer.Option("--rep", "-r", min=0, help="The replication to re-run.")],
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario", "-s", help="In a comparison or branches folder: which scenario or branch."
        ),
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Re-run exactly one replication from a saved results folder and print its story.

    The manifest holds the scenario as resolved and the master seed, so the
    replication is rebuilt with the same parameters and random streams; its
    outcomes are checked against the saved row. Then its event log: policy
    events, decisions, tariff changes, halts and restarts, with dates.
    """
    from sim.experiments.replay import event_log
    from sim.experiments.replay import replay as replay_one
    from sim.results.folder import ResultsError

    ui.use_format(fmt)
    try:
        replayed = replay_one(folder, rep, scenario)
    except (ResultsError, FileNotFoundError) as exc:
        ui.fail(str(exc))
    model = replayed.model
    ui.say(f"[bold]{{}}[/], replication {rep} (master seed {replayed.master_seed})", model.scenario.name)
    if replayed.mismatches:
        ui.warn(
            "warning:",
            f"{len(replayed.mismatches)} outcome(s) differ from the saved row "
            f"(results written by another version?): {', '.join(replayed.mismatches[:6])}",
        )
    else:
        ui.say("re-run matches the saved outcomes exactly")
    from sim.cli.tables import Column, Grid

    grid = Grid(
        "What happened", [Column("date"), Column("subsystem", left=True), Column("event", prose=True)]
    )
    for event in event_log(model):
        grid.add(event.date.isoformat(), event.subsystem, event.text)
    ui.table(grid)
