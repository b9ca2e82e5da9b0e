"""HTTP plumbing of the workshop app: bounded bodies, form and JSON fields, live-update wake-ups.

Kept apart from the routes (:mod:`.app`) so that what a request may carry is
decided in one place: a body over :data:`MAX_BODY_BYTES` is refused before it is
read (413), a form or JSON body becomes text fields or a 4xx saying why, and no
other content type is accepted.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse

from sim.workshop.classroom.room import RoomError

#: Largest request body accepted (a move or a forecast is well under a kilobyte).
MAX_BODY_BYTES = 4096

HEADERS = {
    "Referrer-Policy": "no-referrer",  # tokens are in addresses: never sent to another site
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'",
    "Cache-Control": "no-store",
}


class Hub:
    """Wakes the live connections of a game when it changes (an asyncio event per game, renewed each time).

    A team's connection waits on its game's event only, so a move in one game does
    not wake the forty pages of the others; the facilitator's waits on ``None``,
    which every change sets.
    """

    def __init__(self) -> None:
        self.events: dict[int | None, asyncio.Event] = {}

    def event(self, game: int | None) -> asyncio.Event:
        return self.events.setdefault(game, asyncio.Event())

    def notify(self, game: int | None = None) -> None:
        woken = list(self.events) if game is None else [game, None]
        for key in woken:
            if key in self.events:
                self.events.pop(key).set()


class BodyLimit:
    """ASGI middleware: refuse a declared body over the limit before reading it (413)."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                response = PlainTextResponse(
                    f"request body over {self.limit} bytes: nothing was changed", status_code=413
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def read_fields(request: Request) -> dict[str, str]:
    """A form or JSON body as text fields, read with a bound on its size (chunked bodies too)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise RoomError(413, f"request body over {MAX_BODY_BYTES} bytes: nothing was changed")
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in ("application/json", "application/x-www-form-urlencoded", ""):
        raise RoomError(415, "send a form (application/x-www-form-urlencoded) or JSON")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RoomError(400, "the request is not UTF-8 text") from None
    if kind == "application/json":
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError:
            raise RoomError(400, "the request is not valid JSON") from None
        if not isinstance(data, dict) or not all(isinstance(v, str | int | float) for v in data.values()):
            raise RoomError(400, "the JSON must be an object of text or number fields")
        return {str(k): str(v) for k, v in data.items()}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        raise RoomError(400, "too many fields") from None
    fields = dict(pairs)
    if len(fields) < len(pairs):
        raise RoomError(400, "a field is given twice")
    return fields


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")
