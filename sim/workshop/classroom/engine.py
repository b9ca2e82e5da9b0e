"""Where a class's games run: the model's turns, in this process or in a worker process.

Why a worker: a turn runs the model two simulated weeks on (2-5 ms of CPU), and
when a whole class clicks within the same second, twenty games close their turns
at once. Run on the server's event loop, those turns hold every page and live
update behind them; run in a worker process, they use the laptop's other core
while the event loop keeps answering (benchmarks/README.md). The worker is
started fresh (``spawn``), holds every game of the room (the library's
:class:`~sim.workshop.game.Game` and its two strategies), and answers one call
at a time over a pipe; :class:`Games` is the same object, in this process, for
tests and scripts.

The room (:mod:`.room`) keeps what it shows of each game (:class:`GameView`: the
turns played and statuses seen, and what a game file records) and decides *when*
a turn closes; the rule for *what* each side plays at a close is :func:`decide`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import signal
from dataclasses import dataclass, field

from sim.scenario.loader import load_scenario
from sim.workshop.classroom.settings import canonical
from sim.workshop.game import Game, GameResult, Turn, TurnStatus
from sim.workshop.moves import SIDES, Moves, parse_moves
from sim.workshop.strategies import make_strategy


@dataclass(frozen=True)
class Opened:
    """A game run on to its next turn: what the teams see, or the finished game's result."""

    status: TurnStatus | None
    result: GameResult | None = None


@dataclass(frozen=True)
class Played:
    """A closed turn: the turn as the game recorded it, who made each side's moves, and what follows."""

    turn: Turn
    sources: dict[str, str]  # side -> "team", "pass" or "strategy"
    opened: Opened


@dataclass
class GameView:
    """What the room keeps of a game that runs in the engine (the fields a game file records)."""

    seed: int
    rep: int
    start: dt.date
    every_days: int
    turns: list[Turn] = field(default_factory=list)
    statuses: list[TurnStatus] = field(default_factory=list)


def decide(
    pending: dict[str, Moves], seated: set[str], answers: dict[str, Moves]
) -> tuple[dict[str, Moves], dict[str, str]]:
    """Each side's moves at a close: the team's if it moved, a pass if a team holds the seat,
    else the strategy's."""
    moves: dict[str, Moves] = {}
    sources: dict[str, str] = {}
    for side in SIDES:
        if side in pending:
            moves[side], sources[side] = pending[side], "team"
        elif side in seated:
            moves[side], sources[side] = {}, "pass"
        else:
            moves[side], sources[side] = canonical(side, answers[side]), "strategy"
    return moves, sources


class Games:
    """Every game of one room with its strategies, in this process."""

    remote = False

    def __init__(self, scenario: str, seed: int, start: str, every_days: int, strategy: str):
        self.spec = load_scenario(scenario).spec
        self.seed, self.start, self.every_days, self.strategy = (
            seed,
            dt.date.fromisoformat(start),
            every_days,
            strategy,
        )
        self.games: dict[int, Game] = {}
        self.strategies: dict[int, dict] = {}

    def new(self, number: int, rep: int) -> GameView:
        game = Game(self.spec, self.seed, rep, self.start, self.every_days)
        params = game.model.params
        self.games[number] = game
        self.strategies[number] = {
            side: make_strategy(self.strategy, side, params, game.streams) for side in SIDES
        }
        return GameView(self.seed, rep, self.start, self.every_days)

    def open(self, number: int) -> Opened:
        game = self.games[number]
        status = game.advance()
        return Opened(status) if status is not None else Opened(None, game.result())

    def _answers(self, number: int) -> dict[str, Moves]:
        """Every strategy is asked every turn, even where a team moves, so its memory and stream keep step."""
        game = self.games[number]
        history = tuple(game.turns)
        return {
            side: s.choose(side, game.statuses[-1], history) for side, s in self.strategies[number].items()
        }

    def play(self, number: int, pending: dict[str, Moves], seated: set[str]) -> Played:
        """Close the open turn (see :func:`decide`) and run on to the next one."""
        moves, sources = decide(pending, seated, self._answers(number))
        turn = self.games[number].move(moves["us"], moves["china"])
        return Played(turn, sources, self.open(number))

    def replay(self, number: int, played: list[tuple[int, str, str]]) -> GameView:
        """Play a game's stored turns again ((turn, US moves, China moves) as text): same seed, same state."""
        game = self.games[number]
        for turn, us, china in played:
            status = game.advance()
            if status is None or status.turn != turn:
                raise ValueError(f"game {number} turn {turn} does not follow the game")
            self._answers(number)
            game.move(parse_moves("us", us), parse_moves("china", china))
        view = GameView(self.seed, game.rep, self.start, self.every_days)
        view.turns, view.statuses = list(game.turns), list(game.statuses)
        return view

    def close(self) -> None:
        pass


def _serve(connection, make, args: tuple) -> None:
    """A worker process: build the object, then answer calls until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops the worker
    target = make(*args)
    while True:
        try:
            method, call_args = connection.recv()
        except (EOFError, OSError):  # the server stopped, or was killed: the pipe closed
            os._exit(0)  # nothing to flush here (the workshop file is the server's): exit at once
        try:
            answer = (True, getattr(target, method)(*call_args))
        except Exception as exc:  # sent back, raised in the server
            answer = (False, exc)
        try:
            connection.send(answer)
        except OSError:  # the server stopped while this call ran
            os._exit(0)


class Worker:
    """An object built in a worker process (started fresh, ``spawn``) that answers calls over a pipe.

    ``call`` waits for the answer; ``acall`` awaits it, the pipe read in a thread, so
    the server's event loop goes on meanwhile. One call at a time. The worker ends
    when the pipe closes: :meth:`close`, or the server's process ending in any way.
    """

    def __init__(self, make, *args) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        name = f"tradesim-{make.__name__.lower()}"
        self.process = context.Process(target=_serve, args=(theirs, make, args), daemon=True, name=name)
        self.process.start()
        theirs.close()
        self.lock: asyncio.Lock | None = None

    def call(self, method: str, *args):
        self.connection.send((method, args))
        ok, value = self.connection.recv()
        if not ok:
            raise value
        return value

    async def acall(self, method: str, *args):
        if self.lock is None:
            self.lock = asyncio.Lock()
        async with self.lock:
            return await asyncio.to_thread(self.call, method, *args)

    def close(self) -> None:
        self.connection.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()


class WorkerGames(Worker):
    """:class:`Games` in a worker process (``tradesim workshop``)."""

    remote = True

    def __init__(self, scenario: str, seed: int, start: str, every_days: int, strategy: str):
        super().__init__(Games, scenario, seed, start, every_days, strategy)

    def new(self, number: int, rep: int) -> GameView:
        return self.call("new", number, rep)

    def open(self, number: int) -> Opened:
        return self.call("open", number)

    def play(self, number: int, pending: dict[str, Moves], seated: set[str]) -> Played:
        return self.call("play", number, pending, seated)

    def replay(self, number: int, played: list[tuple[int, str, str]]) -> GameView:
        return self.call("replay", number, played)
