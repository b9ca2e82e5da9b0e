"""A class's games, seats, turns and timers: the glue between the web pages and the game library.

A room holds N games of one scenario (each a :class:`sim.workshop.game.Game`, run by
the room's engine, :mod:`.engine`: in this process, or in a worker process under the
server), two seats per game (the US and China), and one facilitator. What happens in
a turn, and what is a legal move, is the library's: moves are read with
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
memory and its random stream stay in step when the room is rebuilt. With a
worker, a closed turn waits in :attr:`Room.to_play` until the server awaits
:meth:`Room.play_waiting`; meanwhile the game is ``closing`` and takes no move.

Nothing lost: every seat, submission, timer change and closed turn goes to the
:class:`~sim.workshop.classroom.store.Store` as it happens. :meth:`Room.resume`
rebuilds every game by replaying its closed turns (same seed, same moves, same
model state), then restores the open turn's submissions and timer. A resumed
room starts paused, each running timer keeping what it had left (at least
:data:`RESUME_GRACE_S`), so the facilitator restarts the clock once the browsers
are back. What the facilitator does is in :mod:`.facilitation`.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from sim.scenario.loader import LoadedScenario, load_scenario
from sim.workshop.classroom.engine import Games, GameView, Opened, Played, WorkerGames
from sim.workshop.classroom.facilitation import FacilitatorActions
from sim.workshop.classroom.settings import (
    MAX_NAME_CHARS,
    RESUME_GRACE_S,
    RoomError,
    Settings,
    canonical,
    parse_form,
)
from sim.workshop.classroom.store import Store, StoredTurn
from sim.workshop.game import GameResult, TurnStatus
from sim.workshop.moves import SIDES, Moves, format_moves, parse_moves
from sim.workshop.records import record_of, save_game


@dataclass(frozen=True)
class Seat:
    game: int
    side: str
    token: str
    name: str


class LiveGame:
    """One game of the room: what it shows (turns, statuses), the open turn, its timer."""

    def __init__(self, number: int, game: GameView):
        self.number = number
        self.game = game
        self.status: TurnStatus | None = None
        self.pending: dict[str, Moves] = {}
        self.sources: list[dict[str, str]] = []  # per closed turn: side -> "team", "strategy" or "pass"
        self.deadline: float | None = None  # wall clock, while the timer runs
        self.remaining_s: float | None = None  # while the room is paused
        self.result: GameResult | None = None
        self.closing: str | None = None  # while its turn is being played in the engine: what closed it
        self.finishing = False  # played to the horizon, turn after turn (reveal, or the turn limit)

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def turn(self) -> int:
        return self.status.turn if self.status else len(self.game.turns)


class Room(FacilitatorActions):
    """Every game of one workshop, with its store; use :meth:`create` or :meth:`resume`."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        scenario: LoadedScenario,
        token: str,
        clock=time.time,
        worker: bool = False,
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
        engine = WorkerGames if worker else Games
        self.engine = engine(
            settings.scenario, settings.seed, settings.start, settings.every_days, settings.strategy
        )
        #: turns to play in the engine, while a worker plays them: (game, closed by, moves sent, seated sides)
        self.to_play: list[tuple[int, str, dict[str, Moves], set[str]]] = []
        self._playing: asyncio.Lock | None = None

    # --- starting and resuming ---------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, settings: Settings, clock=time.time, worker: bool = False) -> Room:
        """A new workshop file; refuses to overwrite one (use :meth:`resume`).

        ``worker``: the games run in a worker process (the server), and a turn that
        closes waits in :attr:`to_play` until the server plays it (:meth:`play_waiting`).
        """
        settings.check()
        path = Path(path)
        if path.exists() and path.stat().st_size > 0:
            raise FileExistsError(f"{path}: exists (resume it with --resume, or name another file)")
        scenario = load_scenario(settings.scenario)
        store = Store(path)
        token = secrets.token_urlsafe(16)
        store.save_settings(asdict(settings) | {"facilitator_token": token, "paused": True})
        room = cls(store, settings, scenario, token, clock, worker)
        for number in range(1, settings.games + 1):
            room.games[number] = room._new_game(number)
            room._open(room.games[number])
        store.log("created")
        return room

    @classmethod
    def resume(cls, path: Path, clock=time.time, worker: bool = False) -> Room:
        """Rebuild every game from a workshop file: closed turns replayed, the open turn restored."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such workshop file")
        store = Store(path)
        saved = store.settings()
        token = saved.pop("facilitator_token")
        flags = {k: saved.pop(k, False) for k in ("paused", "revealed", "forecast_open")}
        settings = Settings(**saved)
        room = cls(store, settings, load_scenario(settings.scenario), token, clock, worker)
        room.revealed, room.forecast_open = bool(flags["revealed"]), bool(flags["forecast_open"])
        for number, side, seat_token, name in store.seats():
            room._seat(Seat(number, side, seat_token, name))
        for number, side, seat_token, name in store.freed_seats():
            room.freed.add(seat_token)
            room.former.setdefault((number, side), []).append(name)
        for number in range(1, settings.games + 1):
            room._new_game(number)
            stored = store.turns(number)
            try:
                view = room.engine.replay(number, [(t.turn, t.us, t.china) for t in stored])
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
            lg = room.games[number] = LiveGame(number, view)
            lg.sources = [{"us": t.us_source, "china": t.china_source} for t in stored]
            room._open(lg, restoring=True)
        store.save_settings({"paused": True})
        store.log("server resumed")
        return room

    def _new_game(self, number: int) -> LiveGame:
        s = self.settings
        rep = s.rep if s.same_luck else s.rep + number - 1
        return LiveGame(number, self.engine.new(number, rep))

    def _seat(self, seat: Seat) -> None:
        self.seats[seat.token] = seat
        self.seat_at[(seat.game, seat.side)] = seat

    # --- the turn cycle ----------------------------------------------------------------------------

    def _open(self, lg: LiveGame, restoring: bool = False) -> None:
        """Run the game to its next turn (or finish it) and start the turn's timer."""
        self._opened(lg, self.engine.open(lg.number), restoring)

    def _opened(self, lg: LiveGame, opened: Opened, restoring: bool = False) -> None:
        """Show the game's next turn (or its end) and start the turn's timer."""
        limit = self.settings.max_turns
        status = opened.status
        lg.status, lg.pending, lg.deadline, lg.remaining_s = status, {}, None, None
        if status is None:
            lg.result = opened.result
            return
        lg.game.statuses.append(status)
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

    def _close(self, lg: LiveGame, closed_by: str) -> None:
        """Close the open turn: teams' moves, strategies for empty seats, a pass for a silent team.

        The turn is played in the engine: at once in this process, or, with a worker,
        when the server calls :meth:`play_waiting` (until then the game is ``closing``:
        its timer stopped, its moves no longer changeable).
        """
        assert lg.status is not None and lg.closing is None
        seated = {side for side in SIDES if (lg.number, side) in self.seat_at}
        lg.closing, lg.deadline, lg.remaining_s = closed_by, None, None
        if self.engine.remote:
            self.to_play.append((lg.number, closed_by, dict(lg.pending), seated))
        else:
            self._played(lg, self.engine.play(lg.number, dict(lg.pending), seated))

    async def play_waiting(self) -> None:
        """Play the closed turns waiting for the worker, one at a time, without blocking the server.

        One caller plays them all (the turns a reveal chains on too); another waits
        for it, so each request's answer shows every turn it closed as played.
        """
        if self._playing is None:
            self._playing = asyncio.Lock()
        async with self._playing:
            while self.to_play:
                number, _, pending, seated = self.to_play.pop(0)
                played = await self.engine.acall("play", number, pending, seated)
                self._played(self.games[number], played)
                self.changed(number)

    def _played(self, lg: LiveGame, played: Played) -> None:
        """Keep a turn the engine played (in the file first), then open the next one."""
        turn, sources = played.turn, played.sources
        self.store.close_turn(
            StoredTurn(
                lg.number,
                turn.turn,
                format_moves(turn.us),
                format_moves(turn.china),
                sources["us"],
                sources["china"],
                lg.closing or "",
            )
        )
        lg.game.turns.append(turn)
        lg.sources.append(sources)
        lg.closing = None
        self._opened(lg, played.opened)
        if lg.finishing and not lg.finished and lg.closing is None:
            self._close(lg, "end of game")

    def _finish(self, lg: LiveGame) -> None:
        """Play a game to the horizon: submitted moves count, silent teams pass, strategies play."""
        lg.finishing = True
        if not lg.finished and lg.closing is None:
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
        if lg.closing:
            raise RoomError(409, f"turn {lg.turn} has closed: reload the page")
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
