"""The workshop's web app (Starlette): pages for teams, the facilitator, forecasts and the debrief.

Thin by design, as the CLI: each route reads and bounds its input, calls one
method of the :class:`~sim.workshop.classroom.room.Room` (which checks it with the
game library's own rules) and renders a page from ``templates/``. A refused
request gets a 4xx with a sentence saying why, and changes nothing.

Who may do what is decided by the token in the address: ``/team/TOKEN`` is one
side of one game, ``/facilitator/TOKEN`` the facilitator (printed at start).
Live updates are server-sent events: each page holds ``/events/TOKEN`` open, gets
a small JSON snapshot whenever its game changes, and reloads itself when a new
turn opens. A browser's EventSource reconnects by itself after the server
restarts, so a resumed workshop needs nothing from the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
from pathlib import Path

import segno
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sim.core.domain import SECTORS
from sim.workshop.classroom import debrief
from sim.workshop.classroom.engine import Worker
from sim.workshop.classroom.room import Room, RoomError
from sim.workshop.classroom.svg import distribution_chart, line_chart
from sim.workshop.classroom.transport import HEADERS, BodyLimit, Hub, read_fields, wants_json
from sim.workshop.moves import MAX_TARIFF_PCT, MEANING, SIDE_NAMES, VOCABULARY, format_moves
from sim.workshop.records import KEY_OUTCOMES
from sim.workshop.view import SECTOR_SHORT

#: Seconds between keep-alive comments on a live connection, and between timer checks.
KEEPALIVE_S = 15.0
TICK_S = 0.25
#: Replications of the debrief's distribution computed per task of the background pool.
DISTRIBUTION_CHUNK_REPS = 5

_HERE = Path(__file__).parent
log = logging.getLogger("tradesim.workshop")
_env = Environment(
    loader=PackageLoader("sim.workshop.classroom", "templates"), autoescape=select_autoescape()
)
_env.filters["num"] = lambda v, d=2: (
    "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.{d}f}"
)
_env.filters["moves"] = format_moves
_env.filters["sig"] = lambda v: (
    "-" if v is None or math.isnan(v) else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}" if v else "0"
)


def build_app(room: Room, join_url: str, background: Worker | None = None) -> Starlette:
    """The web app of one room; ``join_url`` is the address teams type (or scan).

    ``background`` computes the debrief's model distribution: a worker process
    (:class:`~sim.workshop.classroom.debrief.Replications`) under ``tradesim workshop``,
    so the distribution's replications (~10 s of CPU at the default ``--reps``) do
    not hold the interpreter's lock against the pages; None runs them in a thread (tests).
    """
    hub = Hub()
    room.listeners.append(hub.notify)
    qr = segno.make(join_url, error="m")  # drawn once: the join address does not change
    qr_inline = qr.svg_inline(omitsize=True, dark="#000", light="#fff")
    qr_file = qr.svg_inline(scale=8)
    shared: dict = {"distribution": None, "distribution_error": None}

    def page(name: str, code: int = 200, **context) -> HTMLResponse:
        html = _env.get_template(name).render(room=room, join_url=join_url, **context)
        return HTMLResponse(html, status_code=code, headers=HEADERS)

    def refused(request: Request, exc: RoomError) -> Response:
        if wants_json(request):
            return JSONResponse({"error": exc.message}, status_code=exc.status, headers=HEADERS)
        return page("error.html", code=exc.status, message=exc.message)

    def guarded(handler):
        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RoomError as exc:
                return refused(request, exc)

        return route

    # --- the start page and joining -----------------------------------------------------------------

    async def home(request: Request) -> Response:
        return page("join.html", states=[room.state(n) for n in room.games])

    async def join(request: Request) -> Response:
        fields = await read_fields(request)
        seat_text = fields.get("seat", "auto")
        game, side = None, None
        if seat_text != "auto":
            number, _, side = seat_text.partition(":")
            game = int(number) if number.isdigit() and len(number) < 4 else -1
        seat = room.join(fields.get("name", ""), game, side)
        url = f"/team/{seat.token}"
        if wants_json(request):
            return JSONResponse({"token": seat.token, "game": seat.game, "side": seat.side, "url": url})
        return RedirectResponse(url, status_code=303)

    # --- a team's page ------------------------------------------------------------------------------

    boards: dict[int, tuple[tuple[int, bool], Markup]] = {}  # game -> (its turn key, rendered board)

    def _charts(statuses) -> list[str]:
        labels = [f"T{s.turn}" for s in statuses]
        return [
            line_chart("US GDP lost, % of a year", labels, {"GDP lost": [s.gdp_loss_pct for s in statuses]}),
            line_chart("Magnet price index", labels, {"price": [s.price_index for s in statuses]}),
            line_chart(
                "US plants halted",
                labels,
                {"halted": [float(sum(s.plants_halted.values())) for s in statuses]},
            ),
            line_chart("China's licence backlog", labels, {"backlog": [float(s.backlog) for s in statuses]}),
            line_chart(
                "Pain",
                labels,
                {"US": [s.us_pain for s in statuses], "China": [s.china_pain for s in statuses]},
            ),
            line_chart(
                "Tariffs, %",
                labels,
                {
                    "US on China": [s.us_tariff_pct for s in statuses],
                    "China on US": [s.china_tariff_pct for s in statuses],
                },
            ),
        ]

    def _board(lg) -> Markup:
        """A game's board (where things stand, its charts, the turns played), rendered once per turn.

        The board changes only when a turn closes, and both teams of a game see the
        same one, so when a class's turns close together each game's board is drawn
        once, not once per page load (the page around it is small).
        """
        key = (len(lg.game.turns), lg.finished)
        cached = boards.get(lg.number)
        if cached is None or cached[0] != key:
            html = _env.get_template("board.html").render(
                lg=lg,
                status=lg.status,
                charts=_charts(lg.game.statuses),
                turns=list(zip(lg.game.turns, lg.sources, strict=True)),
                sectors=SECTORS,
                sector_short=SECTOR_SHORT,
            )
            cached = boards[lg.number] = (key, Markup(html))
        return cached[1]

    async def team(request: Request) -> Response:
        seat = room.seat(request.path_params["token"])
        lg = room.games[seat.game]
        outcomes = lg.result.game_outcomes() if lg.result else None
        return page(
            "team.html",
            seat=seat,
            lg=lg,
            status=lg.status,
            state=room.state(seat.game),
            board=_board(lg),
            vocabulary=VOCABULARY[seat.side],
            meaning=MEANING,
            side_names=SIDE_NAMES,
            max_tariff=MAX_TARIFF_PCT,
            mine=lg.pending.get(seat.side),
            outcomes=outcomes,
            key_outcomes=KEY_OUTCOMES,
        )

    async def move(request: Request) -> Response:
        seat = room.seat(request.path_params["token"])
        fields = await read_fields(request)
        moves = room.submit(seat.token, fields)
        await room.play_waiting()  # a closed turn plays in the worker while other requests go on
        if wants_json(request):
            return JSONResponse({"moves": format_moves(moves), "state": room.state(seat.game)})
        return RedirectResponse(f"/team/{seat.token}", status_code=303)

    async def team_state(request: Request) -> Response:
        seat = room.seat(request.path_params["token"])
        return JSONResponse(room.state(seat.game), headers=HEADERS)

    # --- live updates -------------------------------------------------------------------------------

    async def events(request: Request) -> Response:
        token = request.path_params["token"]
        if token in room.seats:
            numbers = [room.seats[token].game]
            key_game = numbers[0]
        else:
            room.check_facilitator(token)
            numbers, key_game = list(room.games), None

        def snapshot() -> tuple[str, str]:
            states = [room.state(n) for n in numbers]
            key = json.dumps([{k: v for k, v in s.items() if k != "remaining_s"} for s in states])
            return key, json.dumps(
                states[0] if len(states) == 1 else {"games": states, "version": room.version}
            )

        async def stream():
            yield "retry: 1000\n\n"
            last = None
            while True:
                event = hub.event(key_game)
                if key_game is not None and token not in room.seats:  # the facilitator freed the seat
                    yield 'data: {"freed": true}\n\n'
                    return
                key, data = snapshot()
                if key != last:
                    yield f"data: {data}\n\n"
                    last = key
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), KEEPALIVE_S)
                    continue
                yield ": keep-alive\n\n"

        headers = HEADERS | {"X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    # --- the facilitator ------------------------------------------------------------------------------

    async def facilitator(request: Request) -> Response:
        room.check_facilitator(request.path_params["token"])
        seats = sorted(room.seats.values(), key=lambda s: (s.game, s.side))
        return page(
            "facilitator.html",
            token=room.facilitator_token,
            states=[room.state(n) for n in room.games],
            qr=qr_inline,
            seats=seats,
            forecasts=len({row[0] for row in room.store.forecasts()}),
            log=room.store.entries()[-8:],
        )

    async def facilitate(request: Request) -> Response:
        token = request.path_params["token"]
        room.check_facilitator(token)
        fields = await read_fields(request)
        action = request.path_params["action"]
        game = fields.get("game", "all")
        if action == "pause":
            room.pause()
        elif action == "resume":
            room.resume_clock()
        elif action == "advance":
            room.advance(game)
        elif action == "extend":
            try:
                seconds = float(fields.get("seconds", "60"))
            except ValueError:
                raise RoomError(400, "seconds must be a number") from None
            room.extend(game, seconds if math.isfinite(seconds) else 0.0)
        elif action == "reveal":
            room.reveal()
        elif action == "free":
            room.free_seat(game, fields.get("side", ""))
        elif action in ("forecast-open", "forecast-close"):
            room.set_forecast_round(action == "forecast-open")
        else:
            raise RoomError(404, f"no such action {action[:30]!r}")
        await room.play_waiting()
        if wants_json(request):
            return JSONResponse({"ok": True, "games": [room.state(n) for n in room.games]})
        return RedirectResponse(f"/facilitator/{token}", status_code=303)

    def _export(number: int) -> Response:
        name = f"workshop-game{number}.game.toml"
        return PlainTextResponse(
            room.export(number),
            media_type="application/toml",
            headers=HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def facilitator_export(request: Request) -> Response:
        room.check_facilitator(request.path_params["token"])
        number = request.path_params["game"]
        if number not in room.games:
            raise RoomError(404, f"no game {number}")
        return _export(number)

    async def facilitator_outcomes(request: Request) -> Response:
        """A finished game's outcomes as JSON, to the last digit (what a replay must reproduce)."""
        room.check_facilitator(request.path_params["token"])
        number = request.path_params["game"]
        if number not in room.games or not room.games[number].finished:
            raise RoomError(409, f"game {number} is not over")
        result = room.games[number].result

        def clean(d: dict) -> dict:
            return {k: (None if math.isnan(v) else float(v)) for k, v in d.items()}

        body = {"model": clean(result.outcomes), "game": clean(result.game_outcomes())}
        return JSONResponse(body, headers=HEADERS)

    async def team_export(request: Request) -> Response:
        return _export(room.seat(request.path_params["token"]).game)

    async def qr_svg(request: Request) -> Response:
        return Response(qr_file, media_type="image/svg+xml", headers=HEADERS)

    # --- forecasts and debrief -------------------------------------------------------------------------

    async def forecast_page(request: Request) -> Response:
        return page("forecast.html", q=debrief.questions(), saved=request.query_params.get("saved"))

    async def forecast_submit(request: Request) -> Response:
        if not room.forecast_open:
            raise RoomError(409, "the forecast round is not open: the facilitator opens it")
        fields = await read_fields(request)
        try:
            name, rows = debrief.parse_forecast(fields)
        except ValueError as exc:
            raise RoomError(400, str(exc)) from None
        # a name is held by the device that used it first (a cookie), so nobody replaces another's forecast
        key = request.cookies.get("forecaster", "")[:64] or secrets.token_urlsafe(16)
        held = room.store.forecaster_key(name)
        if held is not None and not secrets.compare_digest(held.encode(), key.encode()):
            raise RoomError(409, f"{name} has already forecast from another device: choose another name")
        room.store.add_forecast(name, key, rows)
        room.changed()
        if wants_json(request):
            response = JSONResponse({"saved": name})
        else:
            response = RedirectResponse("/forecast?saved=1", status_code=303)
        response.set_cookie("forecaster", key, httponly=True, samesite="strict", max_age=86400)
        return response

    async def debrief_page(request: Request) -> Response:
        token = request.query_params.get("token", "")
        if not room.revealed:
            room.check_facilitator(token)
        outcomes = shared["distribution"]
        games = {n: lg for n, lg in room.games.items() if lg.finished}
        charts, board, whatif = [], None, None
        if outcomes is not None:
            for name, unit in debrief.COMPARED.items():
                points = [(f"G{n}", lg.result.game_outcomes()[name]) for n, lg in games.items()]
                charts.append(
                    distribution_chart(
                        f"{name}: the model's {len(outcomes[name])} runs and the class",
                        unit,
                        outcomes[name],
                        points,
                    )
                )
            board = debrief.scoreboard(room.store.forecasts(), outcomes)
        q = request.query_params
        if "game" in q:
            try:
                number, turn = int(q["game"]), int(q.get("turn", ""))
            except ValueError:
                raise RoomError(400, "game and turn must be whole numbers") from None
            side = q.get("side", "")
            if number not in games or side not in VOCABULARY:
                raise RoomError(400, "choose a finished game and a side (us or china)")
            try:
                # two whole-year replays: off the event loop, so every other page keeps answering
                rows, diverged = await asyncio.to_thread(
                    debrief.one_move_changed, room, number, turn, side, q.get("moves", "pass")[:200]
                )
            except ValueError as exc:
                raise RoomError(400, str(exc)) from None
            whatif = {
                "game": number,
                "turn": turn,
                "side": side,
                "moves": q.get("moves", "pass"),
                "rows": rows,
                "diverged": diverged,
            }
        return page(
            "debrief.html",
            token=token,
            games=games,
            key_outcomes=KEY_OUTCOMES,
            charts=charts,
            board=board,
            whatif=whatif,
            ready=outcomes is not None,
            error=shared["distribution_error"],
        )

    # --- the server's own tasks --------------------------------------------------------------------------

    async def ticker() -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                room.tick()
                await room.play_waiting()
            except Exception:  # a failing turn must not stop every other game's timer
                log.exception("closing a turn on its timer failed")

    async def compute_distribution() -> None:
        s, spec = room.settings, room.scenario.spec
        try:
            rows: list[dict[str, float]] = []
            for first in range(0, s.reps, DISTRIBUTION_CHUNK_REPS):  # a stopping server waits one chunk
                reps = range(first, min(s.reps, first + DISTRIBUTION_CHUNK_REPS))
                if background is not None:
                    rows += await background.acall("outcomes", spec, s.seed, reps)
                else:
                    rows += await asyncio.to_thread(debrief.replication_outcomes, spec, s.seed, reps)
            shared["distribution"] = debrief.distribution_of(rows)
        except Exception as exc:  # shown on the debrief page rather than lost in a task
            shared["distribution_error"] = f"{type(exc).__name__}: {exc}"
        hub.notify()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        tasks = [asyncio.create_task(ticker()), asyncio.create_task(compute_distribution())]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()

    routes = [
        Route("/", home),
        Route("/join", guarded(join), methods=["POST"]),
        Route("/team/{token}", guarded(team)),
        Route("/team/{token}/move", guarded(move), methods=["POST"]),
        Route("/team/{token}/state", guarded(team_state)),
        Route("/team/{token}/export", guarded(team_export)),
        Route("/events/{token}", guarded(events)),
        Route("/facilitator/{token}", guarded(facilitator)),
        Route("/facilitator/{token}/export/{game:int}", guarded(facilitator_export)),
        Route("/facilitator/{token}/outcomes/{game:int}", guarded(facilitator_outcomes)),
        Route("/facilitator/{token}/{action}", guarded(facilitate), methods=["POST"]),
        Route("/forecast", guarded(forecast_page)),
        Route("/forecast", guarded(forecast_submit), methods=["POST"]),
        Route("/debrief", guarded(debrief_page)),
        Route("/qr.svg", qr_svg),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.room = room
    app.state.shared = shared
    return BodyLimit(app)
