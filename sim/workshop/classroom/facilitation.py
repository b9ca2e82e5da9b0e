"""What the facilitator does to a room: the clock, advancing, timers, seats, forecasts, the reveal.

A part of :class:`~sim.workshop.classroom.room.Room` kept in its own module (the
room inherits it): each action checks what it is given, writes what it changed to
the workshop file, and tells the live connections. Only the facilitator's token
reaches these (the web app checks it with :meth:`FacilitatorActions.check_facilitator`).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sim.workshop.classroom.settings import MAX_EXTEND_S, RoomError
from sim.workshop.moves import SIDES

if TYPE_CHECKING:
    from sim.workshop.classroom.room import LiveGame, Seat


class FacilitatorActions:
    """The facilitator's actions on a :class:`~sim.workshop.classroom.room.Room`.

    They use the room's games, seats, clock, store and turn cycle (``_close``,
    ``_finish``, ``_ready``, ``changed``), which the room defines.
    """

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
            if not lg.finished and lg.closing is None and self._ready(lg):
                self._close(lg, "both moved")
        self.changed()

    def advance(self, game: str | int | None = None) -> None:
        """Close the open turn now (a silent team passes)."""
        for lg in self._targets(game):
            if lg.closing is None:
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
        if not self.paused and lg.closing is None and self._ready(lg):  # the other team had moved
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
