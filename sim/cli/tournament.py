"""``tradesim tournament``: every US strategy against every China strategy, ranked (Axelrod-style)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import ForceOption, ForceWorkersOption, FormatOption, QuietOption, ScenarioArgument, app
from sim.core.limits import MAX_REPS

PANEL = "Workshop"


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim tournament` · "
    "`tradesim tournament baseline --reps 20 --seed 1 --workers 2` · "
    "`tradesim tournament chip_escalation --strategy hawk --strategy dove --reps 10`",
)
def tournament(
    scenario: ScenarioArgument = "baseline",
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=2, max=MAX_REPS, help="Replications per pairing.")
    ] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Master seed. Same seed, same tables.")] = 1,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Local processes.")] = 1,
    force_workers: ForceWorkersOption = False,
    strategy: Annotated[
        list[str] | None, typer.Option(help="Only these strategies (repeat). Default: all four.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Tournament folder. Default: results/tournament-TIMESTAMP."),
    ] = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Play every US strategy against every China strategy and rank them (an Axelrod-style tournament).

    Each pairing plays the same replications (common random numbers). The US is ranked
    on GDP lost by year-end and its mean pain, China on its mean pain (lower is better),
    each averaged over all its games with a 90% interval. Writes `games.csv` (one row
    per game), `ranking.csv`, `manifest.json` and `tournament.png`.
    """
    from sim.cli.tables import Column, Grid, number
    from sim.workshop.strategies import STRATEGIES
    from sim.workshop.tournament import run_tournament, tournament_figure

    ui.use_format(fmt)
    names = tuple(strategy) if strategy else STRATEGIES
    bad = [s for s in names if s not in STRATEGIES]
    if bad:
        ui.fail(f"--strategy {bad[0]}: must be one of {', '.join(STRATEGIES)}")
    loaded = ui.load(scenario)
    folder = ui.empty_folder(out_dir or ui.default_folder("tournament"), force)
    games = len(names) ** 2 * reps
    ui.say(f"tournament on {{}}: {len(names)} strategies a side, {games} games, seed {seed}", loaded.name)
    with ui.progress("playing games", quiet) as bar:
        task = bar.add_task("play", total=games)
        report = run_tournament(
            loaded,
            reps,
            seed,
            folder,
            ui.workers_or_default(workers, force_workers),
            names,
            progress=lambda k: bar.advance(task, k),
        )
    for side, label in (("us", "US"), ("china", "China")):
        grid = Grid(
            f"Ranking of the {label} strategies (lower is better; mean and 90% interval)",
            [
                Column("measure", prose=True),
                Column("rank"),
                Column("strategy", left=True),
                *(Column(c) for c in ("games", "mean", "90% interval")),
            ],
        )
        for row in (r for r in report.ranking if r["side"] == side):
            grid.add(
                f"{row['measure']} ({row['unit']})",
                str(row["rank"]),
                row["strategy"],
                str(row["games"]),
                number(row["mean"]),
                f"{number(row['low'])} to {number(row['high'])}",
                record={k: row[k] for k in row},
            )
        ui.table(grid)
    chart = tournament_figure(
        report.games,
        folder / "tournament.png",
        f"Tournament of strategies on {loaded.name} ({reps} replications per pairing, seed {seed})",
        list(names),
    )
    ui.say("tables: {}, {}\nchart: {}", folder / "games.csv", folder / "ranking.csv", chart)
