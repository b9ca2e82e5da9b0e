"""A saved negotiation game: the file, its exact replay, and replays with one move changed.

A game file (``*.game.toml``) holds what makes a game: the scenario, master
seed and replication, the game's start and turn length, who played each side,
and every turn's date and moves. It is small, readable TOML, so a class can
also write a team's plan by hand. Nothing random is stored: the replication's
own streams are rebuilt from the seed, so replaying the moves gives the same
outcomes to the last digit.

``changed_record`` + ``replay_game`` replay a game with one side's moves at one
turn replaced and every other move kept: same luck, different choice. The
turns before the changed one are identical by construction (same seed, same
moves). ``replay_with_reactions`` also lets a side played by a built-in
strategy choose again after the change, so the shift includes its answer.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from sim.scenario.loader import LoadedScenario, ScenarioError, load_scenario, resolve_scenario_path
from sim.workshop.game import DEFAULT_EVERY_DAYS, Game, GameResult, RecordedPlayer, Turn, play
from sim.workshop.moves import SIDES, MoveError, Moves, format_moves, parse_moves

FORMAT = "tradesim-game/1"
GAME_SUFFIX = ".game.toml"
_KEYS = ("format", "scenario", "seed", "rep", "start", "every_days", "us_player", "china_player", "turns")
_TURN_KEYS = ("turn", "date", "decision", "us", "china", "notes")


class GameFileError(ValueError):
    """A game file that cannot be read; the message names the file, the key and what is allowed."""


@dataclass
class GameRecord:
    """Everything needed to replay a game exactly."""

    scenario: str  # a scenario name or path, as ``load_scenario`` takes it
    seed: int
    rep: int
    start: dt.date
    every_days: int
    players: dict[str, str]  # side -> "human" or a strategy name
    turns: list[Turn]

    def moves_by_turn(self, side: str) -> dict[int, Moves]:
        """``side``'s moves keyed by turn number."""
        return {t.turn: t.moves(side) for t in self.turns}


def is_game_file(ref: str | Path) -> bool:
    """True for a path that names a saved game rather than a scenario."""
    return str(ref).endswith(GAME_SUFFIX)


def record_of(scenario_ref: str, game: Game, players: dict[str, str]) -> GameRecord:
    """The record of a game that has been played (or is being played)."""
    return GameRecord(
        scenario_ref, game.seed, game.rep, game.start, game.every_days, dict(players), list(game.turns)
    )


def save_game(record: GameRecord, path: Path) -> Path:
    """Write a game file (TOML, any Unicode); the moves are written in the text form players type.

    The scenario is written so that a copy of the folder replays on another machine:
    a shipped scenario by its name, another file by its path relative to the game
    file (see :func:`portable_scenario_ref`). The file is replaced atomically, so a
    game saved after every turn is never left half-written by a Ctrl-C or a crash.
    """
    data: dict[str, Any] = {
        "format": FORMAT,
        "scenario": portable_scenario_ref(record.scenario, path.parent),
        "seed": record.seed,
        "rep": record.rep,
        "start": record.start,
        "every_days": record.every_days,
        "us_player": record.players["us"],
        "china_player": record.players["china"],
        "turns": [
            {
                "turn": t.turn,
                "date": t.date,
                "decision": t.decision or "",
                "us": format_moves(t.us),
                "china": format_moves(t.china),
                **({"notes": list(t.notes)} if t.notes else {}),
            }
            for t in record.turns
        ],
    }
    if not data["turns"]:
        del data["turns"]  # an empty array of tables cannot be written as [[turns]]
    header = (
        "# A tradesim negotiation game. Replay: tradesim play --replay THIS_FILE\n"
        "# Change one move: tradesim play --replay THIS_FILE --change TURN=SIDE:MOVES\n"
        "# Continue an interrupted game: tradesim play --resume THIS_FILE\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, header + tomli_w.dumps(data, multiline_strings=False))
    return path


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a temporary file in the same folder, flushed, synced, renamed.

    A reader (or the next ``--resume``) sees the old file or the new one, never a part.
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # the rename itself survives a power cut once the folder is synced
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def portable_scenario_ref(ref: str, folder: Path) -> str:
    """How a game file in ``folder`` names its scenario: a shipped scenario by name, else a relative path.

    A bare name stays a name; a path to a file that the name alone finds (a shipped
    scenario) becomes that name; any other file becomes its path relative to
    ``folder``, with ``/`` separators, so the folder and its scenario can be copied
    together. Only a file on another drive (Windows) keeps its absolute path.
    """
    path = Path(ref)
    if path.suffix != ".toml" and len(path.parts) == 1:
        return ref
    try:
        resolved = path.resolve()
        if resolve_scenario_path(path.stem) == resolved:
            return path.stem
    except ScenarioError:
        pass
    try:
        return Path(os.path.relpath(resolved, folder.resolve())).as_posix()
    except ValueError:
        return resolved.as_posix()


def load_game(path: str | Path) -> GameRecord:
    """Read and check a game file; raise :class:`GameFileError` naming what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GameFileError(f"{path}: cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GameFileError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise GameFileError(f"{path}: not text; a game file is TOML saved as UTF-8") from None
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise GameFileError(f"{path}: {unknown[0]}: unknown key (allowed: {', '.join(_KEYS)})")
    missing = [k for k in _KEYS if k not in data and k not in ("format", "every_days", "turns")]
    if missing:
        raise GameFileError(f"{path}: {missing[0]}: required key is missing")
    if data.get("format", FORMAT) != FORMAT:
        raise GameFileError(f"{path}: format: must be {FORMAT!r}, got {data['format']!r}")
    _expect(path, "seed", data["seed"], int)
    _expect(path, "rep", data["rep"], int)
    _expect(path, "start", data["start"], dt.date)
    every = data.get("every_days", DEFAULT_EVERY_DAYS)
    _expect(path, "every_days", every, int)
    if every < 1 or data["seed"] < 0 or data["rep"] < 0:
        raise GameFileError(f"{path}: seed and rep must be >= 0 and every_days >= 1")
    turns = []
    for i, entry in enumerate(data.get("turns", [])):
        where = f"turns[{i + 1}]"
        if not isinstance(entry, dict):
            raise GameFileError(f"{path}: {where}: must be a table with keys {', '.join(_TURN_KEYS)}")
        unknown = [k for k in entry if k not in _TURN_KEYS]
        if unknown:
            raise GameFileError(
                f"{path}: {where}.{unknown[0]}: unknown key (allowed: {', '.join(_TURN_KEYS)})"
            )
        for key in ("turn", "date"):
            if key not in entry:
                raise GameFileError(f"{path}: {where}.{key}: required key is missing")
        _expect(path, f"{where}.turn", entry["turn"], int)
        _expect(path, f"{where}.date", entry["date"], dt.date)
        moves = {}
        for side in SIDES:
            try:
                moves[side] = parse_moves(side, str(entry.get(side, "pass")))
            except MoveError as exc:
                raise GameFileError(f"{path}: {where}.{side}: {exc}") from None
        notes = entry.get("notes", [])
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            raise GameFileError(f"{path}: {where}.notes: must be a list of strings")
        decision = entry.get("decision") or None
        turns.append(Turn(entry["turn"], -1, entry["date"], decision, moves["us"], moves["china"], notes))
    dates = [t.date for t in turns]
    if dates != sorted(set(dates)) or [t.turn for t in turns] != list(range(1, len(turns) + 1)):
        raise GameFileError(f"{path}: turns: numbered 1, 2, ... with dates strictly increasing")
    if turns and turns[0].date < data["start"]:
        raise GameFileError(f"{path}: turns[1].date: before the game's start {data['start']}")
    players = {side: str(data[f"{side}_player"]) for side in SIDES}
    scenario = str(data["scenario"])
    beside = path.parent / scenario
    if Path(scenario).suffix == ".toml" and beside.is_file():
        scenario = str(beside.resolve())  # a path relative to the game file, wherever the folder now is
    return GameRecord(scenario, data["seed"], data["rep"], data["start"], every, players, turns)


def save_game_tables(result: GameResult, folder: Path) -> list[Path]:
    """The game's numbers as data: ``outcomes.json`` (model and game outcomes), ``series.csv`` (daily)."""
    folder.mkdir(parents=True, exist_ok=True)
    outcomes = {"model": result.outcomes, "game": result.game_outcomes()}
    clean = {k: {n: (None if math.isnan(v) else v) for n, v in d.items()} for k, d in outcomes.items()}
    (folder / "outcomes.json").write_text(json.dumps(clean, indent=2) + "\n", encoding="utf-8")
    names = list(result.series)
    lines = [",".join(["date", *names])]
    for i, date in enumerate(result.dates):
        lines.append(",".join([date.isoformat(), *(repr(float(result.series[n][i])) for n in names)]))
    (folder / "series.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [folder / "outcomes.json", folder / "series.csv"]


def _expect(path: Path, key: str, value: Any, kind: type) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = {int: "a whole number", dt.date: "a date (YYYY-MM-DD)"}[kind]
        raise GameFileError(f"{path}: {key}: must be {name}, got {value!r}")


def load_record_scenario(
    record: GameRecord, relative_to: Path | None = None, game_file: Path | str = "game file"
) -> LoadedScenario:
    """The scenario a game was played on (a path is tried beside the game file first).

    The game's dates are checked against it (:func:`check_game_dates`); ``game_file`` names
    the file in the error.
    """
    if relative_to is not None and (relative_to / record.scenario).is_file():
        loaded = load_scenario(relative_to / record.scenario)
    else:
        loaded = load_scenario(record.scenario)
    check_game_dates(record, loaded, game_file)
    return loaded


def check_game_dates(record: GameRecord, scenario: LoadedScenario, game_file: Path | str) -> None:
    """:class:`GameFileError` unless the game starts, and every turn falls, inside the scenario.

    A game is played on the scenario's simulated days: a start before the scenario begins, or a
    turn after it ends, has no day to be played on (a file edited by hand, or another scenario's).
    """
    start, end = scenario.spec.calendar.start, scenario.spec.calendar.end
    allowed = f"allowed: {start} to {end}, the simulated period of {scenario.name}"
    if not start <= record.start <= end:
        raise GameFileError(f"{game_file}: start: {record.start} is outside the scenario ({allowed})")
    for i, turn in enumerate(record.turns):
        if turn.date > end:
            raise GameFileError(
                f"{game_file}: turns[{i + 1}].date: {turn.date} is after the scenario ends ({allowed})"
            )


def replay_game(
    record: GameRecord, scenario: LoadedScenario, rep: int | None = None, seed: int | None = None
):
    """Play a saved game's moves again on its own turn dates; returns (game, result).

    ``seed`` and ``rep`` default to the game's own (an exact replay); other
    values play the same moves against other luck (a saved game in ``compare``).
    """
    seed = record.seed if seed is None else seed
    rep = record.rep if rep is None else rep
    clock_start = scenario.spec.calendar.start
    turn_days = [(t.date - clock_start).days for t in record.turns]
    game = Game(scenario.spec, seed, rep, record.start, record.every_days, turn_days=turn_days)
    us = RecordedPlayer(record.players["us"], "us", record.moves_by_turn("us"))
    china = RecordedPlayer(record.players["china"], "china", record.moves_by_turn("china"))
    return game, play(game, us, china)


def changed_record(record: GameRecord, turn: int, side: str, moves: Moves) -> GameRecord:
    """A copy of ``record`` with ``side``'s moves at ``turn`` replaced."""
    if not 1 <= turn <= len(record.turns):
        raise MoveError(
            f"--change: turn {turn} does not exist (this game has turns 1 to {len(record.turns)})"
        )
    turns = []
    for t in record.turns:
        if t.turn == turn:
            t = Turn(
                t.turn,
                t.day,
                t.date,
                t.decision,
                moves if side == "us" else t.us,
                moves if side == "china" else t.china,
            )
        turns.append(t)
    return GameRecord(
        record.scenario, record.seed, record.rep, record.start, record.every_days, record.players, turns
    )


class _Reacting:
    """One side in a replay with reactions: a strategy chooses afresh, a team plays its saved moves.

    The strategy is asked at every turn, even where its answer is not used, so its
    memory and its random stream stay in step with the game as first played.
    """

    def __init__(self, side: str, record: GameRecord, strategy, changes: dict[dt.date, Moves], first: int):
        self.name = record.players[side]
        self.record = record
        self.strategy = strategy
        self.saved = {t.date: t.moves(side) for t in record.turns}
        self.changes = changes
        self.first = first  # the first changed turn: everything before it must replay as saved

    def choose(self, side: str, status, history) -> Moves:
        live = self.strategy.choose(side, status, history) if self.strategy is not None else None
        if status.turn < self.first:
            saved = self.record.turns[status.turn - 1]
            if saved.date != status.date or (live is not None and live != saved.moves(side)):
                raise GameFileError(
                    f"turn {status.turn}: the saved game does not match a fresh play of "
                    f"{self.record.players['us']} vs {self.record.players['china']} with its seed "
                    "(edited by hand?); replay it without --react"
                )
        if status.date in self.changes:
            return dict(self.changes[status.date])
        if live is not None:
            return live
        return dict(self.saved.get(status.date, {}))


def replay_with_reactions(
    record: GameRecord, scenario: LoadedScenario, changes: list[tuple[int, str, Moves]]
):
    """Replay with moves changed, letting built-in strategies answer: returns (game, result).

    Unlike :func:`changed_record`, a side played by a strategy chooses again after
    the change (tit-for-tat answers it, pain-driven feels the new pain); a team's
    moves stay as saved, by date. The turn schedule is the game's own, so a turn
    an extension adds (or no longer adds) is played as the strategy or the model
    decides.
    """
    from sim.workshop.strategies import STRATEGIES, make_strategy

    for turn, _, _ in changes:
        if not 1 <= turn <= len(record.turns):
            raise MoveError(
                f"--change: turn {turn} does not exist (this game has turns 1 to {len(record.turns)})"
            )
    game = Game(scenario.spec, record.seed, record.rep, record.start, record.every_days)
    first = min(turn for turn, _, _ in changes)
    players = {}
    for side in SIDES:
        name = record.players[side]
        strategy = make_strategy(name, side, game.model.params, game.streams) if name in STRATEGIES else None
        mine = {record.turns[turn - 1].date: moves for turn, s, moves in changes if s == side}
        players[side] = _Reacting(side, record, strategy, mine, first)
    return game, play(game, players["us"], players["china"])


#: Outcomes shown side by side after a changed replay, with their units.
KEY_OUTCOMES: dict[str, str] = {
    "gdp_loss_year_end_pct": "% of annual US GDP",
    "halted_plant_days": "plant-days",
    "price_index_at_end": "index, pre-crisis = 100",
    "us_pain_mean": "$bn a month",
    "china_pain_mean": "$bn a month",
    "deadline_deal": "1 = deal at the first deadline",
}


@dataclass
class Difference:
    """One key outcome in the original and the changed game."""

    outcome: str
    unit: str
    original: float
    changed: float

    @property
    def shift(self) -> float:
        """Changed minus original (NaN if either is missing)."""
        return (
            self.changed - self.original
            if not (math.isnan(self.original) or math.isnan(self.changed))
            else math.nan
        )


def differences(original: GameResult, changed: GameResult) -> list[Difference]:
    """The key outcomes of two games side by side."""
    a, b = original.game_outcomes(), changed.game_outcomes()
    return [Difference(name, unit, a[name], b[name]) for name, unit in KEY_OUTCOMES.items()]


def first_divergence(original: GameResult, changed: GameResult) -> dt.date | None:
    """The first day on which any daily series differs between two games (None: identical)."""
    first = len(original.dates)
    for name, series in original.series.items():
        a, b = np.asarray(series, dtype=float), np.asarray(changed.series[name], dtype=float)
        differ = np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))
        if differ.size:
            first = min(first, int(differ[0]))
    return None if first == len(original.dates) else original.dates[first]


__all__ = [
    "GAME_SUFFIX",
    "GameFileError",
    "GameRecord",
    "changed_record",
    "differences",
    "first_divergence",
    "is_game_file",
    "load_game",
    "portable_scenario_ref",
    "record_of",
    "replay_game",
    "replay_with_reactions",
    "save_game",
    "save_game_tables",
    "write_atomically",
]
