"""``tradesim workshop``: the negotiation game for a class, served to every team's browser.

Registered on the main app by :func:`register`. The web libraries (Starlette,
uvicorn) are imported inside the command, so ``tradesim --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from sim.cli.tables import clean

_err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    for line in message.splitlines():
        # plain text: a message may repeat a name or path from the user, never read as markup
        _err.print(Text.assemble(("error:", "bold red"), " ", clean(line)), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def workshop(
    scenario: Annotated[
        str, typer.Argument(help="A scenario name from `tradesim list`, or a path.")
    ] = "baseline",
    games: Annotated[int, typer.Option(min=1, max=50, help="Games (two teams each: 6 teams, 3 games).")] = 3,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed (the games' luck). Default: a fresh one.")
    ] = None,
    rep: Annotated[int, typer.Option(min=0, help="Replication of the seed the games are played in.")] = 0,
    different_luck: Annotated[
        bool,
        typer.Option(
            "--different-luck",
            help="Game N plays replication REP+N-1. Default: every game has the same luck, so "
            "the games differ only by the teams' moves.",
        ),
    ] = False,
    start: Annotated[str, typer.Option(help="First turn, YYYY-MM-DD.")] = "2025-06-16",
    every: Annotated[
        int, typer.Option(min=1, help="Days between turns (talks and deadlines add turns).")
    ] = 14,
    turn_minutes: Annotated[
        float,
        typer.Option(min=0, help="Minutes per turn before a silent team passes (0: no timer)."),
    ] = 5.0,
    turns: Annotated[
        int, typer.Option(min=0, help="Turns played before the rest of the year runs on (0: all).")
    ] = 0,
    strategy: Annotated[
        str,
        typer.Option(help="Who plays a side no team holds: tit-for-tat, hawk, dove or pain-driven."),
    ] = "pain-driven",
    reps: Annotated[
        int, typer.Option(min=2, help="Replications of the model's distribution on the debrief page.")
    ] = 200,
    db: Annotated[
        Path | None,
        typer.Option(
            help="The workshop file (SQLite) where everything is kept. Default: workshop-TIMESTAMP.sqlite."
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            help="Resume a workshop from its file after the server stopped (other options ignored)."
        ),
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (the room's network)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Run the negotiation game for a class: every team in its own browser, one facilitator.

    Prints the join address (and a QR code) for the teams, and the facilitator's private
    address. Teams pick a game and a side (US or China); a side with no team is played by
    `--strategy`. Each turn closes when both sides have moved or the timer runs out (a
    silent team passes). The facilitator pauses, advances, extends timers, opens a forecast
    round and reveals; the debrief sets the class's games on the model's distribution and
    scores the forecasts. Every move is kept in the workshop file as it happens: after a
    crash, `tradesim workshop --resume FILE` brings every game back.
    """
    from sim.model.replication import warm_up
    from sim.scenario.loader import ScenarioError, load_scenario
    from sim.workshop.classroom.room import Room, Settings

    with _err.status("Preparing the model (compiled once after install, then cached)…"):
        warm_up()
    try:
        if resume is not None:
            room = Room.resume(resume, worker=True)
        else:
            loaded = load_scenario(scenario)
            ref = str(loaded.path) if Path(scenario).suffix == ".toml" else scenario
            if seed is None:
                from sim.experiments.run import new_master_seed

                seed = new_master_seed()
            settings = Settings(
                scenario=ref,
                seed=seed,
                rep=rep,
                games=games,
                same_luck=not different_luck,
                start=start,
                every_days=every,
                turn_seconds=60.0 * turn_minutes,
                max_turns=turns,
                strategy=strategy,
                reps=reps,
            )
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            room = Room.create(db or Path(f"workshop-{stamp}.sqlite"), settings, worker=True)
    except ScenarioError as exc:
        _fail("\n".join(str(p) for p in exc.problems))
    except (ValueError, OSError, sqlite3.Error) as exc:
        _fail(str(exc))
    from sim.workshop.classroom.serve import serve

    s = room.settings
    print(
        f"workshop on {clean(room.scenario.name)}: {s.games} game(s), seed {s.seed}, "
        f"{'no timer' if not s.turn_seconds else f'{s.turn_seconds / 60:g} min a turn'}; "
        f"empty seats played by {s.strategy}; the clock starts when the facilitator starts it",
        flush=True,
    )
    serve(room, host, port, say=lambda line: print(line, flush=True))


def register(app: typer.Typer) -> None:
    """Add ``tradesim workshop`` to the main app."""
    app.command(
        "workshop",
        epilog="Examples: `tradesim workshop` · "
        "`tradesim workshop --games 7 --host 0.0.0.0 --db class.sqlite` · "
        "`tradesim workshop --resume class.sqlite --host 0.0.0.0`",
        rich_help_panel="Workshop",  # beside `play`, `tournament` and `forecast`
    )(workshop)
