"""The negotiation game at the keyboard: ``tradesim play`` (and its replays) and ``tradesim tournament``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import ForceOption, FormatOption, ScenarioArgument, app

PANEL = "Workshop"


def _load_game(path: Path):
    """A saved game and its scenario, or exit 2 naming the file, the key and what is allowed."""
    from sim.scenario.loader import ScenarioError
    from sim.workshop.records import GameFileError, load_game, load_record_scenario

    try:
        record = load_game(path)
        return record, load_record_scenario(record, path.parent, path)
    except GameFileError as exc:
        ui.fail(str(exc))
    except ScenarioError as exc:
        ui.fail(exc)


class TerminalTeam:
    """A team at the keyboard: prompts for its moves and asks again after a bad one."""

    def __init__(self, side: str):
        self.name = "human"
        self.side = side

    def choose(self, side, status, history):
        from sim.workshop.moves import SIDE_NAMES, MoveError, parse_moves

        while True:
            hint = " (a stance counts this turn)" if status.is_decision else ""
            text = typer.prompt(f"{SIDE_NAMES[side]} move{hint}", default="pass", show_default=True)
            if text.strip().lower() in ("help", "?"):
                from sim.workshop.view import vocabulary_lines

                for line in vocabulary_lines(side):
                    ui.say(line)
                continue
            try:
                return parse_moves(side, text)
            except MoveError as exc:
                ui.warn("not a move:", str(exc), "bold red")  # it repeats what was typed: plain text


def _show_outcomes(result, title: str) -> None:
    """The game's key outcomes, one rule for numbers (:func:`sim.cli.tables.number`)."""
    from sim.cli.tables import Column, Grid, number
    from sim.workshop.records import KEY_OUTCOMES

    grid = Grid(title, [Column("outcome"), Column("value"), Column("unit", left=True)])
    values = result.game_outcomes()
    for name, unit in KEY_OUTCOMES.items():
        grid.add(
            name, number(values[name]), unit, record={"outcome": name, "value": values[name], "unit": unit}
        )
    ui.table(grid)


def _show_turns(turns) -> None:
    """Each turn's moves and notes: plain text (a move repeats what a team typed)."""
    from sim.workshop.game import describe_turn

    for turn in turns:
        ui.para(describe_turn(turn), hang=4)  # wrapped between moves, never past the terminal
        for note in turn.notes:
            ui.say("  [yellow]note:[/] {}", note)


@app.command(
    name="play",
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim play` (two teams at one keyboard) · `tradesim play --china hawk --seed 7` · "
    "`tradesim play --us tit-for-tat --china pain-driven` · "
    "`tradesim play --replay results/game/game.game.toml` · "
    "`tradesim play --resume results/game/game.game.toml` (after Ctrl-C) · "
    "`tradesim play --replay results/game/game.game.toml --change 3=us:tariff=100` · "
    "`tradesim play --replay my.game.toml --change '5=china:pace=fast stance=concede'`",
)
def play_command(
    scenario: ScenarioArgument = "baseline",
    us: Annotated[
        str,
        typer.Option(
            "--us",
            help="Who plays the US: human (types moves; `help` lists them), tit-for-tat, hawk, dove "
            "or pain-driven.",
        ),
    ] = "human",
    china: Annotated[
        str, typer.Option("--china", help="Who plays China: human, tit-for-tat, hawk, dove or pain-driven.")
    ] = "human",
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed (the game's luck). Default: a fresh one.")
    ] = None,
    rep: Annotated[int, typer.Option(min=0, help="Replication of the seed to play in.")] = 0,
    start: Annotated[str, typer.Option(help="First turn, YYYY-MM-DD.")] = "2025-06-16",
    every: Annotated[
        int, typer.Option(min=1, help="Days between turns (talks and deadlines add turns).")
    ] = 14,
    replay_file: Annotated[
        Path | None, typer.Option("--replay", help="Replay a saved game (`*.game.toml`) exactly.")
    ] = None,
    resume_file: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="Continue an interrupted game (`*.game.toml`, saved after every turn) from its last "
            "completed turn: same players and luck, so it ends as if never interrupted. Without --out "
            "it goes on in the same file and folder.",
        ),
    ] = None,
    change: Annotated[
        list[str] | None,
        typer.Option(
            help="With --replay: TURN=SIDE:MOVES replaces one side's moves at one turn and shows what that "
            "change alone did (same random draws; every other move as saved, strategies are not re-run). "
            "SIDE is us or china; MOVES as typed in the game, e.g. 3=us:tariff=100 or "
            "'5=china:pace=fast stance=concede' or 4=us:pass. Repeatable."
        ),
    ] = None,
    react: Annotated[
        bool,
        typer.Option(
            help="With --change: a side played by a built-in strategy chooses again after the change "
            "(tit-for-tat answers it); a team's moves stay as saved, by date."
        ),
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the game file and chart. Default: results/game-TIMESTAMP."
        ),
    ] = None,
    force: ForceOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Play the negotiation as a turn-based game: the US team against the China team.

    Turns come every two simulated weeks from mid-June, plus the talks and the truce
    deadline. At each turn both teams see the backlog, plant stocks and halts, the
    magnet price, GDP lost and both pains, and type their moves (`tariff=80 chips=tighten`,
    `pace=slow stance=escalate`, or `pass`); either side can be a built-in strategy. At a
    deadline the two stances decide the outcome (deal, extension, snap-back, escalation).
    The game is saved (`game.game.toml`) after every turn, so Ctrl-C loses at most the turn
    being typed (`--resume FILE` continues it), and at the end with a chart of its history;
    `--replay` plays it again exactly, `--change` replays it with one move changed, and `tradesim compare
    baseline FILE.game.toml` runs its moves over many replications.

    Moves of the US: `tariff=N` (% on Chinese goods), `chips=tighten|ease`,
    `stance=concede|hold|escalate`. Moves of China: `tariff=N` (% on US goods),
    `pace=slow|normal|fast`, `green_channel=on|off`, `military=hold|review`, `stance=...`.
    A stance counts at talks and deadlines; left out there, it is drawn from the side's pain.
    """
    ui.start_compiling()  # first: a cold cache compiles on the other cores while this one loads
    from sim.workshop.game import Game
    from sim.workshop.moves import SIDES
    from sim.workshop.strategies import STRATEGIES, make_strategy

    ui.use_format(fmt)
    stamp = ui.stamp()
    if change and replay_file is None:
        ui.fail("--change needs --replay FILE (the game to change)")
    if react and not change:
        ui.fail("--react needs --change TURN=SIDE:MOVES (the move the strategies react to)")
    if replay_file is not None and resume_file is not None:
        ui.fail("--replay and --resume: choose one (replay a game as saved, or continue it)")
    if replay_file is not None:
        _replay(replay_file, change or [], out_dir, force, stamp, react)
        return
    if resume_file is not None:
        if seed is not None or us != "human" or china != "human" or scenario != "baseline":
            ui.fail("--resume takes the scenario, seed and players from the game file: leave them out")
        _resume(resume_file, out_dir, force)
        return
    players = {"us": us, "china": china}
    for side, name in players.items():
        if name != "human" and name not in STRATEGIES:
            ui.fail(f"--{side} {name}: must be human or one of {', '.join(STRATEGIES)}")
    loaded = ui.load(scenario)
    try:
        first_turn = dt.date.fromisoformat(start)
    except ValueError:
        ui.fail(f"--start {start}: not a date (write YYYY-MM-DD, e.g. 2025-06-16)")
    folder = ui.empty_folder(out_dir or Path("results") / f"game-{stamp}", force)
    master_seed = ui.master_seed(seed)
    ui.prepare_model()  # on a cold cache the kernels compile on the idle cores, not one by one as first used
    try:
        game = Game(loaded.spec, master_seed, rep, first_turn, every)
    except ValueError as exc:
        ui.fail(f"{loaded.name}: {exc}")
    teams = {
        side: TerminalTeam(side)
        if players[side] == "human"
        else make_strategy(players[side], side, game.model.params, game.streams)
        for side in SIDES
    }
    # a scenario file is saved by its path (the game file stores it by name or relative to itself)
    scenario_ref = str(loaded.path) if Path(scenario).suffix == ".toml" else scenario
    _play_at_keyboard(game, teams, loaded, scenario_ref, players, folder, folder / "game.game.toml")


def _play_at_keyboard(
    game,
    teams,
    loaded,
    scenario_ref: str,
    players: dict[str, str],
    folder: Path,
    game_file: Path,
    resumed_turns: int = 0,
) -> None:
    """Play ``game`` to its end, saving the game file after every turn; Ctrl-C says how to resume."""
    from sim.workshop.game import describe_turn, play
    from sim.workshop.moves import SIDES
    from sim.workshop.records import GameFileError
    from sim.workshop.sessions import save_played_game, save_progress
    from sim.workshop.view import status_lines, vocabulary_lines

    folder.mkdir(parents=True, exist_ok=True)
    if not resumed_turns:  # the seed is kept before the first move (a resumed file already holds it)
        save_progress(game, scenario_ref, players, game_file)
    ui.say(
        "[bold]The negotiation game[/] on {} (seed {}, replication {}): US: {}, China: {}",
        loaded.name,
        game.seed,
        game.rep,
        players["us"],
        players["china"],
    )
    ui.say("saved after every turn: {}", game_file)
    for side in SIDES:
        if isinstance(getattr(teams[side], "live", teams[side]), TerminalTeam):  # a team at the keyboard
            for line in vocabulary_lines(side):
                ui.say(line)

    def on_turn(status, turn) -> None:
        if status.turn <= resumed_turns:  # a saved turn, replayed: one line, no prompt
            if turn is not None:
                ui.say("[dim]{} (saved)[/]", describe_turn(turn))
            return
        if turn is None:
            ui.out.rule()
            for line in status_lines(status, game.statuses):
                ui.say(line)
            return
        save_progress(game, scenario_ref, players, game_file)
        ui.say("[bold]{}[/]", describe_turn(turn))
        for note in turn.notes:
            ui.say("  [yellow]note:[/] {}", note)

    try:
        result = play(game, teams["us"], teams["china"], on_turn)
    except (typer.Abort, KeyboardInterrupt):
        done = len(game.turns)
        if done >= resumed_turns:  # again, in case the stop came while the last turn was being saved
            save_progress(game, scenario_ref, players, game_file)
        done = max(done, resumed_turns)
        ui.fail(
            f"stopped at turn {len(game.statuses)} (Ctrl-C or end of input), before the game ended; "
            f"{'the 1 turn played is' if done == 1 else f'the {done} turns played are'} saved in "
            f"{game_file}; "
            f"continue with: tradesim play --resume {game_file}",
            1,
        )
    except GameFileError as exc:
        ui.fail(str(exc))
    saved = save_played_game(game, result, loaded, scenario_ref, players, folder, game_file)
    for d in game.model.negotiation.decisions:
        if d.day >= game.start_day:
            what = f" -> {d.outcome.replace('_', '-')}" if d.outcome else ""
            ui.say("{} {}: US {}, China {}{}", game.model.clock.date(d.day), d.name, d.us, d.china, what)
    _show_outcomes(result, f"End of the game ({game.model.clock.end})")
    ui.say("game saved: {} (replay: tradesim play --replay {})", saved.game_file, saved.game_file)
    ui.say("tables: {}, {}", folder / "outcomes.json", folder / "series.csv")
    ui.say("chart: {}", saved.chart)


def _resume(path: Path, out_dir: Path | None, force: bool) -> None:
    """``play --resume FILE``: the saved turns again, then the teams play on from the next one."""
    from sim.workshop.moves import SIDES
    from sim.workshop.sessions import resume_game

    record, loaded = _load_game(path)
    teams = {side: TerminalTeam(side) for side in SIDES}
    ui.prepare_model()
    try:
        game, players = resume_game(record, loaded, teams)
    except ValueError as exc:
        ui.fail(f"{path}: {exc}")
    if out_dir is None:
        folder, game_file = path.parent, path  # go on in the same file
    else:
        folder = ui.empty_folder(out_dir, force)
        game_file = folder / "game.game.toml"
    ui.say("resuming {} after turn {} (the saved turns are replayed first)", path, len(record.turns))
    _play_at_keyboard(
        game, players, loaded, record.scenario, record.players, folder, game_file, len(record.turns)
    )


def _replay(
    path: Path, changes: list[str], out_dir: Path | None, force: bool, stamp: str, react: bool
) -> None:
    """``play --replay FILE``: the saved game again, or (``--change``) beside a changed one."""
    from sim.workshop.moves import MoveError
    from sim.workshop.records import replay_game
    from sim.workshop.sessions import replay_changed, save_changed, save_replay

    record, loaded = _load_game(path)
    ui.prepare_model()
    if not changes:
        _, result = replay_game(record, loaded)
        folder = ui.empty_folder(out_dir or Path("results") / f"replay-{stamp}", force)
        _show_turns(result.turns)
        _show_outcomes(result, f"Replay of {path} (seed {record.seed}, replication {record.rep})")
        ui.say("chart: {}", save_replay(record, loaded, result, folder))
        return
    folder = ui.empty_folder(out_dir or Path("results") / f"replay-{stamp}", force)
    try:
        change = replay_changed(record, loaded, changes, react)
    except MoveError as exc:  # GameFileError is a ValueError too
        ui.fail(str(exc))
    except ValueError as exc:
        ui.fail(str(exc))
    for turn in change.changed.turns:
        for note in turn.notes:
            ui.say("[yellow]note[/] (changed game, turn {}): {}", turn.turn, note)
    _show_differences(change, changes, record, react)
    diverged = change.first_divergence
    if diverged:
        ui.say("first day that differs: {}", diverged)
    else:
        ui.say("the change made no difference at all")
    saved, chart = save_changed(change, loaded, folder)
    ui.say("changed game: {}\nchart: {}", saved, chart)


def _show_differences(change, changes: list[str], record, react: bool) -> None:
    """The key outcomes as played and as changed, side by side (the changes as typed: plain text)."""
    from sim.cli.tables import Column, Grid, number

    grid = Grid(
        f"Same luck, different choice: {', '.join(changes)}{' (strategies react)' if react else ''} "
        f"(seed {record.seed}, replication {record.rep})",
        [
            Column("outcome"),
            Column("as played"),
            Column("changed"),
            Column("shift"),
            Column("unit", left=True),
        ],
    )
    for d in change.differences:
        # one precision per row, so the shift reads against the two values it separates
        decimals = max(len(number(v).partition(".")[2]) for v in (d.original, d.changed))
        grid.add(
            d.outcome,
            number(d.original, decimals=decimals),
            number(d.changed, decimals=decimals),
            number(d.shift, signed=True, decimals=decimals),
            d.unit,
            record={
                "outcome": d.outcome,
                "as played": d.original,
                "changed": d.changed,
                "shift": d.shift,
                "unit": d.unit,
            },
        )
    ui.table(grid)
