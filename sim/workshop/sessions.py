"""A game session's files: saving a game as it is played, resuming it, replaying it, changing a move.

What ``tradesim play``, ``play --resume FILE`` and ``play --replay FILE [--change ...]``
do around the turns at the keyboard, callable from a notebook: the game file (saved
after every turn, so an interrupted game is never lost), its tables, its history
chart, and the side-by-side of a changed move.

A resumed game is the same game: a fresh replication on the saved seed replays the
saved turns on the live turn schedule (asking each built-in strategy again, so its
memory and random stream stay in step), then hands over to the live players. Nothing
random is stored, so the finished game is identical to one played without the break.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.experiments.run import key_dates
from sim.scenario.loader import LoadedScenario
from sim.workshop.charts import game_history_chart
from sim.workshop.game import Game, GameResult, Player, RecordedPlayer, Turn, TurnStatus
from sim.workshop.moves import SIDES, MoveError, Moves, format_moves, parse_change
from sim.workshop.records import (
    Difference,
    GameFileError,
    GameRecord,
    changed_record,
    differences,
    first_divergence,
    record_of,
    replay_game,
    replay_with_reactions,
    save_game,
    save_game_tables,
)


@dataclass
class SavedGame:
    """The files of a played game: the game file (replayable), its tables and its chart."""

    game_file: Path
    tables: list[Path]
    chart: Path


def save_played_game(
    game: Game,
    result: GameResult,
    loaded: LoadedScenario,
    scenario_ref: str,
    players: dict[str, str],
    folder: Path,
    game_file: Path | None = None,
) -> SavedGame:
    """Save a finished game: ``game_file`` (default ``folder/game.game.toml``), tables and ``game.png``."""
    record = record_of(scenario_ref, game, players)
    saved = save_game(record, game_file or folder / "game.game.toml")
    tables = save_game_tables(result, folder)
    chart = game_history_chart(
        result,
        folder / "game.png",
        f"Negotiation game on {loaded.name}: US {players['us']} vs China {players['china']}",
        key_dates=key_dates(loaded),
    )
    return SavedGame(saved, tables, chart)


def save_progress(game: Game, scenario_ref: str, players: dict[str, str], path: Path) -> Path:
    """The game file of a game in progress: every turn completed so far (written atomically)."""
    return save_game(record_of(scenario_ref, game, players), path)


class ResumedPlayer:
    """One side of a resumed game: the saved turns' moves first, then the live player.

    A built-in strategy is asked at every saved turn too, so that its memory and its
    random stream are where they were when the game stopped; its answer must be the
    saved one (else the file does not belong to this seed, scenario and strategy).
    """

    def __init__(self, side: str, record: GameRecord, live: Player, is_strategy: bool):
        self.name = live.name
        self.side = side
        self.record = record
        self.live = live
        self.is_strategy = is_strategy

    def choose(self, side: str, status: TurnStatus, history: Sequence[Turn]) -> Moves:
        if status.turn > len(self.record.turns):
            return self.live.choose(side, status, history)
        saved = self.record.turns[status.turn - 1]
        if saved.date != status.date:
            raise GameFileError(
                f"turn {status.turn}: saved on {saved.date}, but the game reaches it on {status.date} "
                "(a different scenario or an edited file?); replay it with --replay instead"
            )
        moves = saved.moves(side)
        if self.is_strategy:
            answer = format_moves(self.live.choose(side, status, history))
            if answer != format_moves(moves):
                raise GameFileError(
                    f"turn {status.turn}: {self.name} would now play {answer!r}, not the saved "
                    f"{format_moves(moves)!r} (a different scenario or an edited file?)"
                )
        return dict(moves)


def resume_game(
    record: GameRecord, loaded: LoadedScenario, teams: dict[str, Player] | None = None
) -> tuple[Game, dict[str, ResumedPlayer]]:
    """A saved game set to continue after its last completed turn: (game, players by side).

    ``teams`` plays each side that no built-in strategy plays once the saved turns
    are replayed (a terminal team, a notebook's player); a side without one passes.
    Play it with :func:`sim.workshop.game.play`; ``status.turn <= len(record.turns)``
    tells a front end which turns are being replayed.
    """
    from sim.workshop.strategies import STRATEGIES, make_strategy

    game = Game(loaded.spec, record.seed, record.rep, record.start, record.every_days)
    players = {}
    for side in SIDES:
        name = record.players[side]
        if name in STRATEGIES:
            live, is_strategy = make_strategy(name, side, game.model.params, game.streams), True
        else:
            live, is_strategy = (teams or {}).get(side) or RecordedPlayer(name, side, {}), False
        players[side] = ResumedPlayer(side, record, live, is_strategy)
    return game, players


def save_replay(record: GameRecord, loaded: LoadedScenario, result: GameResult, folder: Path) -> Path:
    """The tables and history chart of an exact replay, into ``folder``; returns the chart."""
    save_game_tables(result, folder)
    title = f"{record.players['us']} (US) vs {record.players['china']} (China) on {loaded.name}"
    return game_history_chart(result, folder / "game.png", f"Replay: {title}", key_dates=key_dates(loaded))


@dataclass
class ChangedGame:
    """A saved game replayed with some moves changed, beside the game as played (same luck)."""

    record: GameRecord  # the changed game, replayable
    played: GameResult
    changed: GameResult
    differences: list[Difference]
    first_divergence: dt.date | None


def replay_changed(
    record: GameRecord, loaded: LoadedScenario, changes: list[str], react: bool = False
) -> ChangedGame:
    """Replay ``record`` as played and with each ``TURN=SIDE:MOVES`` change; ``react`` lets strategies answer.

    Raises :class:`sim.workshop.moves.MoveError` (or ``GameFileError``) naming a bad change.
    """
    _, played = replay_game(record, loaded)
    parsed = [parse_change(text) for text in changes]
    targets = [(turn, side) for turn, side, _ in parsed]
    if len(set(targets)) < len(targets):
        raise MoveError("--change names one side's turn twice; put all its moves in one --change")
    changed = record
    if react:
        reacted, other = replay_with_reactions(record, loaded, parsed)
        changed = record_of(record.scenario, reacted, record.players)
    else:
        for turn, side, moves in parsed:
            changed = changed_record(changed, turn, side, moves)
        _, other = replay_game(changed, loaded)
    return ChangedGame(changed, played, other, differences(played, other), first_divergence(played, other))


def save_changed(change: ChangedGame, loaded: LoadedScenario, folder: Path) -> tuple[Path, Path]:
    """``changed.game.toml``, the changed game's tables and ``changed.png``; returns (game file, chart)."""
    record = change.record
    title = f"{record.players['us']} (US) vs {record.players['china']} (China) on {loaded.name}"
    saved = save_game(record, folder / "changed.game.toml")
    save_game_tables(change.changed, folder / "changed")
    chart = game_history_chart(
        change.played,
        folder / "changed.png",
        f"What the change did: {title}",
        changed=change.changed,
        key_dates=key_dates(loaded),
    )
    return saved, chart
