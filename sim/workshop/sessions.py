"""A game session's files: saving a played game, replaying a saved one, and replaying it with a move changed.

What ``tradesim play`` and ``tradesim play --replay FILE [--change ...]`` do after
(or instead of) the turns at the keyboard, callable from a notebook: the game file,
its tables, its history chart, and the side-by-side of a changed move.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sim.experiments.run import key_dates
from sim.scenario.loader import LoadedScenario
from sim.workshop.charts import game_history_chart
from sim.workshop.game import Game, GameResult
from sim.workshop.moves import MoveError, parse_change
from sim.workshop.records import (
    Difference,
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
) -> SavedGame:
    """Save a finished game into ``folder``: ``game.game.toml``, its tables and ``game.png``."""
    record = record_of(scenario_ref, game, players)
    saved = save_game(record, folder / "game.game.toml")
    tables = save_game_tables(result, folder)
    chart = game_history_chart(
        result,
        folder / "game.png",
        f"Negotiation game on {loaded.name}: US {players['us']} vs China {players['china']}",
        key_dates=key_dates(loaded),
    )
    return SavedGame(saved, tables, chart)


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
