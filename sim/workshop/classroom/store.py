"""The workshop's SQLite file: every seat, move, timer, turn and forecast, written as it happens.

Why SQLite and append-only tables: a class must lose nothing if the laptop
running the server is closed or the process is killed. Each change is one
committed transaction in a write-ahead log (WAL), and nothing is updated in
place except the room's settings, so the file is also a log of the session (a
seat the facilitator frees is the one row removed: it moves to ``freed_seats``,
so its token stays refused). ``synchronous=NORMAL``: in WAL mode a committed
transaction survives the server process being killed (what the workshop must
survive); only a power cut or an operating-system crash can lose the last few,
and ``FULL`` (an fsync per move) cost 5-10 ms a move on a busy laptop, most of
the server's time under a class's load (benchmarks/README.md).
:mod:`sim.workshop.classroom.room` rebuilds every game from it by replaying the
closed turns (the model is deterministic given its seed and the moves) and
restoring the open turn's submissions and timers.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seats (
    game INTEGER NOT NULL, side TEXT NOT NULL, token TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    joined_at REAL NOT NULL, PRIMARY KEY (game, side));
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, game INTEGER NOT NULL, turn INTEGER NOT NULL, side TEXT NOT NULL,
    moves TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    game INTEGER NOT NULL, turn INTEGER NOT NULL, us TEXT NOT NULL, china TEXT NOT NULL,
    us_source TEXT NOT NULL, china_source TEXT NOT NULL, closed_by TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (game, turn));
CREATE TABLE IF NOT EXISTS timers (
    id INTEGER PRIMARY KEY, game INTEGER NOT NULL, turn INTEGER NOT NULL,
    deadline REAL, remaining_s REAL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS forecasts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, outcome TEXT NOT NULL, quantile REAL,
    value REAL NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS forecasters (name TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, at REAL NOT NULL, what TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS freed_seats (
    token TEXT PRIMARY KEY, game INTEGER NOT NULL, side TEXT NOT NULL, name TEXT NOT NULL,
    freed_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class StoredTurn:
    """A closed turn as written: the moves' text form, who made them, and what closed the turn."""

    game: int
    turn: int
    us: str
    china: str
    us_source: str  # "team", "strategy" or "timeout"
    china_source: str
    closed_by: str  # "both moved", "timer", "facilitator", "end of game"


class Store:
    """One workshop file. Every write is its own committed transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)
        # the room runs on the server's event loop only, but uvicorn may close it from another thread
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _write(self, sql: str, args: tuple) -> None:
        with self.db:  # BEGIN ... COMMIT
            self.db.execute(sql, args)

    # --- settings ------------------------------------------------------------------------------

    def save_settings(self, settings: dict[str, Any]) -> None:
        with self.db:
            for key, value in settings.items():
                self.db.execute(
                    "INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, json.dumps(value, default=str))
                )

    def settings(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM settings")}

    # --- seats, moves, turns, timers -------------------------------------------------------------

    def add_seat(self, game: int, side: str, token: str, name: str) -> None:
        self._write("INSERT INTO seats VALUES (?, ?, ?, ?, ?)", (game, side, token, name, time.time()))

    def seats(self) -> list[tuple[int, str, str, str]]:
        """(game, side, token, name) in the order teams joined."""
        return list(self.db.execute("SELECT game, side, token, name FROM seats ORDER BY joined_at, rowid"))

    def free_seat(self, token: str) -> None:
        """Remove a seat (its token is revoked) and keep it in ``freed_seats``, in one transaction."""
        with self.db:
            self.db.execute(
                "INSERT INTO freed_seats SELECT token, game, side, name, ? FROM seats WHERE token = ?",
                (time.time(), token),
            )
            self.db.execute("DELETE FROM seats WHERE token = ?", (token,))

    def freed_seats(self) -> list[tuple[int, str, str, str]]:
        """(game, side, token, name) of every seat the facilitator freed, in order: refused for good."""
        return list(
            self.db.execute("SELECT game, side, token, name FROM freed_seats ORDER BY freed_at, rowid")
        )

    def add_submission(self, game: int, turn: int, side: str, moves: str) -> None:
        self._write(
            "INSERT INTO submissions (game, turn, side, moves, at) VALUES (?, ?, ?, ?, ?)",
            (game, turn, side, moves, time.time()),
        )

    def submissions(self, game: int, turn: int) -> dict[str, str]:
        """The last submission of each side at one turn (a team may change its mind before it closes)."""
        rows = self.db.execute(
            "SELECT side, moves FROM submissions WHERE game = ? AND turn = ? ORDER BY id", (game, turn)
        )
        return dict(rows)

    def close_turn(self, t: StoredTurn) -> None:
        self._write(
            "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (t.game, t.turn, t.us, t.china, t.us_source, t.china_source, t.closed_by, time.time()),
        )

    def turns(self, game: int) -> list[StoredTurn]:
        rows = self.db.execute(
            "SELECT game, turn, us, china, us_source, china_source, closed_by FROM turns "
            "WHERE game = ? ORDER BY turn",
            (game,),
        )
        return [StoredTurn(*row) for row in rows]

    def set_timer(self, game: int, turn: int, deadline: float | None, remaining_s: float | None) -> None:
        """A turn's timer: a wall-clock ``deadline`` while it runs, the ``remaining_s`` while paused."""
        self._write(
            "INSERT INTO timers (game, turn, deadline, remaining_s, at) VALUES (?, ?, ?, ?, ?)",
            (game, turn, deadline, remaining_s, time.time()),
        )

    def timer(self, game: int, turn: int) -> tuple[float | None, float | None] | None:
        row = self.db.execute(
            "SELECT deadline, remaining_s FROM timers WHERE game = ? AND turn = ? ORDER BY id DESC LIMIT 1",
            (game, turn),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    # --- forecasts and the log ---------------------------------------------------------------------

    def forecaster_key(self, name: str) -> str | None:
        """The key of the device that first forecast under ``name`` (only it may change the forecast)."""
        row = self.db.execute("SELECT key FROM forecasters WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def add_forecast(self, name: str, key: str, rows: list[tuple[str, float | None, float]]) -> None:
        """One participant's forecast: (outcome, quantile level or None for a probability, value) rows."""
        now = time.time()
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO forecasters VALUES (?, ?)", (name, key))
            self.db.execute("DELETE FROM forecasts WHERE name = ?", (name,))
            self.db.executemany(
                "INSERT INTO forecasts (name, outcome, quantile, value, at) VALUES (?, ?, ?, ?, ?)",
                [(name, outcome, level, value, now) for outcome, level, value in rows],
            )

    def forecasts(self) -> list[tuple[str, str, float | None, float]]:
        return list(self.db.execute("SELECT name, outcome, quantile, value FROM forecasts ORDER BY id"))

    def log(self, what: str) -> None:
        self._write("INSERT INTO log (at, what) VALUES (?, ?)", (time.time(), what))

    def entries(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT what FROM log ORDER BY id")]
