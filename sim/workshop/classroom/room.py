"""A class's games, seats, turns and timers: the glue between the web pages and the game library.

A room holds N games of one scenario (each a :class:`sim.workshop.game.Game`),
two seats per game (the US and China), and one facilitator. What happens in a
turn, and what is a legal move, is the library's: moves are read with
:func:`sim.workshop.moves.parse_moves` and applied by ``Game.move``; a side no team
holds is played by a built-in strategy (:func:`sim.workshop.strategies.make_strategy`).
The room only decides *when* a turn closes:

* when every seated side of the game has submitted (a side without a team is
  played by the strategy at that moment, so a game with one team never waits
  for a robot), and the room is not paused;
* when the turn's timer runs out: a seated team that has not moved passes;
* when the facilitator advances the game, or reveals (every game is then played
  to the horizon: teams pass, strategies keep playing).

Each strategy is asked at every turn, even where a team's move is used, so its
memory and its random stream stay in step when the room is rebuilt.

Nothing lost: every seat, submission, timer change and closed turn goes to the
:class:`~sim.workshop.classroom.store.Store` as it happens. :meth:`Room.resume`
rebuilds every game by replaying its closed turns (same seed, same moves, same
model state), then restores the open turn's submissions and timer. A resumed
room starts paused, each running timer keeping what it had left (at least
:data:`RESUME_GRACE_S`), so the facilitator restarts the clock once the browsers
are back.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from sim.scenario.loader import LoadedScenario, load_scenario
from sim.workshop.classroom.settings import (
    MAX_EXTEND_S,
    MAX_NAME_CHARS,
    RESUME_GRACE_S,
    RoomError,
    Settings,
    canonical,
    parse_form,
)
from sim.workshop.classroom.store import Store, StoredTurn
from sim.workshop.game import Game, GameResult, TurnStatus
from sim.workshop.moves import SIDES, Moves, format_moves, parse_moves
from sim.workshop.records import record_of, save_game
from sim.workshop.strategies import make_strategy


@dataclass(frozen=True)
class Seat:
    game: int
    side: str
    token: str
    name: str


class LiveGame:
    """One game of the room: the library's Game, its two strategies, and the open turn."""

    def __init__(self, number: int, game: Game, strategies: dict):
        self.number = number
        self.game = game
        self.strategies = strategies
        self.status: TurnStatus | None = None
        self.pending: dict[str, Moves] = {}
        self.sources: list[dict[str, str]] = []  # per closed turn: side -> "team", "strategy" or "pass"
        self.deadline: float | None = None  # wall clock, while the timer runs
        self.remaining_s: float | None = None  # while the room is paused
        self.result: GameResult | None = None

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def turn(self) -> int:
        return self.status.turn if self.status else len(self.game.turns)


class Room:
    """Every game of one workshop, with its store; use :meth:`create` or :meth:`resume`."""

    def __init__(
        self, store: Store, settings: Settings, scenario: LoadedScenario, token: str, clock=time.time
    ):
        self.store = store
        self.settings = settings
        self.scenario = scenario
        self.facilitator_token = token
        self.clock = clock
        self.paused = True
        self.revealed = False
        self.forecast_open = False
        self.seats: dict[str, Seat] = {}
        self.seat_at: dict[tuple[int, str], Seat] = {}
        self.freed: set[str] = set()  # tokens of seats the facilitator freed: refused for good
        self.former: dict[tuple[int, str], list[str]] = {}  # (game, side) -> teams that left it
        self.games: dict[int, LiveGame] = {}
        self.version = 0
        self.listeners: list[Callable[[int | None], None]] = []  # told which game changed (None: all)

    # --- starting and resuming ---------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, settings: Settings, clock=time.time) -> Room:
        """A new workshop file; refuses to overwrite one (use :meth:`resume`)."""
        settings.check()
        path = Path(path)
        if path.exists() and path.stat().st_size > 0:
            raise FileExistsError(f"{path}: exists (resume it with --resume, or name another file)")
        scenario = load_scenario(settings.scenario)
        store = Store(path)
        token = secrets.token_urlsafe(16)
        store.save_settings(asdict(settings) | {"facilitator_token": token, "paused": True})
        room = cls(store, settings, scenario, token, clock)
        for number in range(1, settings.games + 1):
            room.games[number] = room._new_game(number)
            room._open(room.games[number])
        store.log("created")
        return room

    @classmethod
    def resume(cls, path: Path, clock=time.time) -> Room:
        """Rebuild every game from a workshop file: closed turns replayed, the open turn restored."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such workshop file")
        store = Store(path)
        saved = store.settings()
        token = saved.pop("facilitator_token")
        flags = {k: saved.pop(k, False) for k in ("paused", "revealed", "forecast_open")}
        settings = Settings(**saved)
        room = cls(store, settings, load_scenario(settings.scenario), token, clock)
        room.revealed, room.forecast_open = bool(flags["revealed"]), bool(flags["forecast_open"])
        for number, side, seat_token, name in store.seats():
            room._seat(Seat(number, side, seat_token, name))
        for number, side, seat_token, name in store.freed_seats():
            room.freed.add(seat_token)
            room.former.setdefault((number, side), []).append(name)
        for number in range(1, settings.games + 1):
            lg = room.games[number] = room._new_game(number)
            for stored in store.turns(number):
                status = lg.game.advance()
                if status is None or status.turn != stored.turn:
                    raise ValueError(f"{path}: game {number} turn {stored.turn} does not follow the game")
                room._ask_strategies(lg, status)
                lg.game.move(parse_moves("us", stored.us), parse_moves("china", stored.china))
                lg.sources.append({"us": stored.us_source, "china": stored.china_source})
            room._open(lg, restoring=True)
        store.save_settings({"paused": True})
        store.log("server resumed")
        return room

    def _new_game(self, number: int) -> LiveGame:
        s = self.settings
        rep = s.rep if s.same_luck else s.rep + number - 1
        game = Game(self.scenario.spec, s.seed, rep, dt.date.fromisoformat(s.start), s.every_days)
        params = game.model.params
        strategies = {side: make_strategy(s.strategy, side, params, game.streams) for side in SIDES}
        return LiveGame(number, game, strategies)

    def _seat(self, seat: Seat) -> None:
        self.seats[seat.token] = seat
        self.seat_at[(seat.game, seat.side)] = seat

    # --- the turn cycle ----------------------------------------------------------------------------

    def _open(self, lg: LiveGame, restoring: bool = False) -> None:
        """Run the game to its next turn (or finish it) and start the turn's timer."""
        limit = self.settings.max_turns
        status = lg.game.advance()
        lg.status, lg.pending, lg.deadline, lg.remaining_s = status, {}, None, None
        if status is None:
            lg.result = lg.game.result()
            return
        if restoring:
            lg.pending = {
                side: parse_moves(side, text)
                for side, text in self.store.submissions(lg.number, status.turn).items()
            }
            timer = self.store.timer(lg.number, status.turn)
            if timer is None and self.settings.turn_seconds > 0:  # killed before the timer was written
                timer = (None, self.settings.turn_seconds)
            if timer is not None:
                deadline, remaining = timer
                if deadline is not None:
                    remaining = max(RESUME_GRACE_S, deadline - self.clock())
                lg.remaining_s = remaining  # a resumed room is paused
                self.store.set_timer(lg.number, status.turn, None, remaining)
        elif self.settings.turn_seconds > 0:
            self._set_timer(lg, self.settings.turn_seconds)
        if limit and status.turn > limit:
            self._finish(lg)

    def _set_timer(self, lg: LiveGame, seconds: float) -> None:
        if self.paused:
            lg.deadline, lg.remaining_s = None, seconds
        else:
            lg.deadline, lg.remaining_s = self.clock() + seconds, None
        self.store.set_timer(lg.number, lg.turn, lg.deadline, lg.remaining_s)

    def _ask_strategies(self, lg: LiveGame, status: TurnStatus) -> dict[str, Moves]:
        history = tuple(lg.game.turns)
        return {side: lg.strategies[side].choose(side, status, history) for side in SIDES}

    def _close(self, lg: LiveGame, closed_by: str) -> None:
        """Close the open turn: teams' moves, strategies for empty seats, a pass for a silent team."""
        status = lg.status
        assert status is not None
        answers = self._ask_strategies(lg, status)
        moves: dict[str, Moves] = {}
        sources: dict[str, str] = {}
        for side in SIDES:
            if side in lg.pending:
                moves[side], sources[side] = lg.pending[side], "team"
            elif (lg.number, side) in self.seat_at:
                moves[side], sources[side] = {}, "pass"
            else:
                moves[side], sources[side] = canonical(side, answers[side]), "strategy"
        self.store.close_turn(
            StoredTurn(
                lg.number,
                status.turn,
                format_moves(moves["us"]),
                format_moves(moves["china"]),
                sources["us"],
                sources["china"],
                closed_by,
            )
        )
        lg.game.move(moves["us"], moves["china"])
        lg.sources.append(sources)
        self._open(lg)

    def _finish(self, lg: LiveGame) -> None:
        """Play a game to the horizon: submitted moves count, silent teams pass, strategies play."""
        while not lg.finished:
            self._close(lg, "end of game")

    def _ready(self, lg: LiveGame) -> bool:
        seated = [side for side in SIDES if (lg.number, side) in self.seat_at]
        return bool(seated) and all(side in lg.pending for side in seated)

    def changed(self, game: int | None = None) -> None:
        """Tell the live connections that one game (or, with None, the whole room) changed."""
        self.version += 1
        for listener in self.listeners:
            listener(game)

    def tick(self) -> None:
        """Close every turn whose timer has run out (called a few times a second by the server)."""
        if self.paused:
            return
        now = self.clock()
        expired = [lg for lg in self.games.values() if lg.deadline is not None and now >= lg.deadline]
        for lg in expired:
            self._close(lg, "timer")
            self.changed(lg.number)

    # --- what teams do -------------------------------------------------------------------------------

    def join(self, name: str, game: int | None = None, side: str | None = None) -> Seat:
        """Take a seat: a given game and side, or the first free one (game 1 US, game 1 China, ...)."""
        name = " ".join(str(name).split())
        if not 1 <= len(name) <= MAX_NAME_CHARS or not name.isprintable():
            raise RoomError(400, f"a team name has 1 to {MAX_NAME_CHARS} printable characters")
        if game is None and side is None:
            free = [
                (n, s)
                for n, lg in self.games.items()
                for s in SIDES
                if (n, s) not in self.seat_at and not lg.finished
            ]
            if not free:
                raise RoomError(409, "every seat is taken: ask the facilitator")
            game, side = free[0]
        if game not in self.games:
            raise RoomError(400, f"game must be a number from 1 to {len(self.games)}")
        if side not in SIDES:
            raise RoomError(400, f"side must be one of {', '.join(SIDES)}")
        if (game, side) in self.seat_at:
            raise RoomError(409, f"game {game} {side}: that seat is taken")
        if self.games[game].finished:
            raise RoomError(409, f"game {game} is over")
        seat = Seat(game, side, secrets.token_urlsafe(12), name)
        self.store.add_seat(game, side, seat.token, name)
        self._seat(seat)
        self.changed(game)
        return seat

    def seat(self, token: str) -> Seat:
        seat = self.seats.get(token)
        if seat is None and token in self.freed:
            raise RoomError(403, "the facilitator freed this seat: join again from the start page")
        if seat is None:
            raise RoomError(404, "unknown team link: join again from the start page")
        return seat

    def submit(self, token: str, fields: Mapping[str, str]) -> Moves:
        """A team's moves for the open turn of its own game (``fields``: the form, checked here)."""
        seat = self.seat(token)
        lg = self.games[seat.game]
        if lg.finished:
            raise RoomError(409, f"game {seat.game} is over")
        turn = fields.get("turn")
        if turn is not None and str(turn) != str(lg.turn):
            raise RoomError(409, f"turn {turn} has closed; this is turn {lg.turn}: reload the page")
        moves = canonical(seat.side, parse_form(seat.side, fields))
        self.store.add_submission(seat.game, lg.turn, seat.side, format_moves(moves))
        lg.pending[seat.side] = moves
        if not self.paused and self._ready(lg):
            self._close(lg, "both moved")
        self.changed(seat.game)
        return moves

    # --- what the facilitator does -----------------------------------------------------------------

    def check_facilitator(self, token: str) -> None:
        if not secrets.compare_digest(str(token).encode(), self.facilitator_token.encode()):
            raise RoomError(403, "only the facilitator can do this")

    def _targets(self, game: str | int | None) -> list[LiveGame]:
        if game in (None, "", "all"):
            return [lg for lg in self.games.values() if not lg.finished]
        try:
            number = int(game)
        except (TypeError, ValueError):
            number = 0
        if number not in self.games:
            raise RoomError(400, f"game must be 'all' or a number from 1 to {len(self.games)}")
        if self.games[number].finished:
            raise RoomError(409, f"game {number} is over")
        return [self.games[number]]

    def pause(self) -> None:
        if self.paused:
            return
        now = self.clock()
        for lg in self.games.values():
            if lg.deadline is not None:
                lg.remaining_s, lg.deadline = max(0.0, lg.deadline - now), None
                self.store.set_timer(lg.number, lg.turn, None, lg.remaining_s)
        self.paused = True
        self.store.save_settings({"paused": True})
        self.store.log("clock paused")
        self.changed()

    def resume_clock(self) -> None:
        if not self.paused:
            return
        self.paused = False
        now = self.clock()
        for lg in self.games.values():
            if lg.remaining_s is not None:
                lg.deadline, lg.remaining_s = now + lg.remaining_s, None
                self.store.set_timer(lg.number, lg.turn, lg.deadline, None)
        self.store.save_settings({"paused": False})
        self.store.log("clock started")
        for lg in self.games.values():
            if not lg.finished and self._ready(lg):
                self._close(lg, "both moved")
        self.changed()

    def advance(self, game: str | int | None = None) -> None:
        """Close the open turn now (a silent team passes)."""
        for lg in self._targets(game):
            self._close(lg, "facilitator")
        self.store.log(f"advance {game or 'all'}")
        self.changed()

    def free_seat(self, game: str | int, side: str) -> Seat:
        """Take a seat from its team: the token is revoked, a new team may join the seat, and until
        one does the built-in strategy plays it. A move the team already sent this turn stands.
        """
        (lg,) = self._targets(game if game not in (None, "", "all") else -1)
        if side not in SIDES:
            raise RoomError(400, f"side must be one of {', '.join(SIDES)}")
        seat = self.seat_at.get((lg.number, side))
        if seat is None:
            raise RoomError(409, f"game {lg.number} {side}: no team holds that seat")
        self.store.free_seat(seat.token)
        del self.seats[seat.token], self.seat_at[(lg.number, side)]
        self.freed.add(seat.token)
        self.former.setdefault((lg.number, side), []).append(seat.name)
        self.store.log(f"freed game {lg.number} {side} ({seat.name})")
        if not self.paused and self._ready(lg):  # the team that is left had moved already
            self._close(lg, "both moved")
        self.changed(lg.number)
        return seat

    def extend(self, game: str | int | None, seconds: float) -> None:
        if not 0 < seconds <= MAX_EXTEND_S:
            raise RoomError(400, f"seconds must be from 1 to {MAX_EXTEND_S:g}")
        targets = self._targets(game)
        for lg in targets:
            if lg.deadline is not None:
                lg.deadline += seconds
            else:
                lg.remaining_s = (lg.remaining_s or 0.0) + seconds
                if not self.paused:
                    lg.deadline, lg.remaining_s = self.clock() + lg.remaining_s, None
            self.store.set_timer(lg.number, lg.turn, lg.deadline, lg.remaining_s)
        self.store.log(f"extend {game or 'all'} {seconds:g}")
        self.changed()

    def reveal(self) -> None:
        """Play every game to the horizon and open the debrief to everyone."""
        for lg in self.games.values():
            self._finish(lg)
        self.revealed = True
        self.forecast_open = False
        self.store.save_settings({"revealed": True, "forecast_open": False})
        self.store.log("reveal")
        self.changed()

    def set_forecast_round(self, open_: bool) -> None:
        if open_ and self.revealed:
            raise RoomError(409, "the outcomes are revealed: forecasts are closed")
        self.forecast_open = open_
        self.store.save_settings({"forecast_open": open_})
        self.store.log("forecasts open" if open_ else "forecasts closed")
        self.changed()

    # --- views -------------------------------------------------------------------------------------

    def remaining_s(self, lg: LiveGame) -> float | None:
        if lg.deadline is not None:
            return max(0.0, lg.deadline - self.clock())
        return lg.remaining_s

    def players(self, number: int) -> dict[str, str]:
        """Who plays each side, as a game file names them: "human" or the strategy.

        A side is "human" if a team holds it or ever played a turn of it (a freed
        seat), so a replay with a move changed keeps the teams' moves as played
        rather than letting the strategy re-decide them.
        """
        played = self.games[number].sources
        return {
            side: "human"
            if (number, side) in self.seat_at or any(src[side] != "strategy" for src in played)
            else self.settings.strategy
            for side in SIDES
        }

    def played_by(self, number: int) -> dict[str, str]:
        """Who played each side, for the debrief: the teams that held the seat, and the strategy's turns."""
        names = {}
        for side in SIDES:
            held = [*self.former.get((number, side), [])]
            if (number, side) in self.seat_at:
                held.append(self.seat_at[(number, side)].name)
            robot = sum(src[side] == "strategy" for src in self.games[number].sources)
            names[side] = " then ".join(held) or self.settings.strategy
            if held and robot:
                names[side] += f" ({self.settings.strategy}: {robot} turn{'s' if robot > 1 else ''})"
        return names

    def state(self, number: int) -> dict:
        """A game at a glance (what the pages and the live updates show)."""
        lg = self.games[number]
        seats = {side: self.seat_at.get((number, side)) for side in SIDES}
        return {
            "game": number,
            "turn": lg.turn,
            "date": lg.status.date.isoformat() if lg.status else None,
            "decision": lg.status.decision if lg.status else None,
            "finished": lg.finished,
            "paused": self.paused,
            "revealed": self.revealed,
            "forecast_open": self.forecast_open,
            "remaining_s": None if lg.finished else self.remaining_s(lg),
            "teams": {side: (seat.name if seat else None) for side, seat in seats.items()},
            "moved": {side: side in lg.pending for side in SIDES},
            "waiting_for": [side for side in SIDES if seats[side] and side not in lg.pending],
        }

    def export(self, number: int) -> str:
        """The game as a ``*.game.toml`` (the text ``tradesim play --replay`` reads)."""
        lg = self.games[number]
        record = record_of(self.settings.scenario, lg.game, self.players(number))
        with tempfile.TemporaryDirectory() as folder:
            path = save_game(record, Path(folder) / f"game{number}.game.toml")
            return path.read_text(encoding="utf-8")
