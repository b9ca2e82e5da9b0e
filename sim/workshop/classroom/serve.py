"""Serve a room with uvicorn: the join address and its QR code in the terminal, then the app.

The server binds to 127.0.0.1 unless told otherwise (``--host 0.0.0.0`` opens it
to the room's network). The join address printed is the one teams can reach: the
machine's address on the local network when bound to every interface.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import segno
import uvicorn

from sim.workshop.classroom.app import build_app
from sim.workshop.classroom.debrief import Replications
from sim.workshop.classroom.engine import Worker
from sim.workshop.classroom.room import Room


def local_address() -> str:
    """This machine's address on the local network (no packet is sent: a UDP socket is only pointed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def join_url(host: str, port: int) -> str:
    shown = local_address() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def terminal_qr(url: str) -> str:
    """The join address as a QR code drawn with characters (scan it from the projector)."""
    import io

    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()


def serve(room: Room, host: str, port: int, say: Callable[[str], None] = print) -> None:
    """Run until interrupted (Ctrl-C): every change is already in the workshop file.

    Two worker processes do the heavy work off the event loop: the games' turns
    (the room's engine) and the debrief's model distribution.
    """
    url = join_url(host, port)
    background = Worker(Replications)
    app = build_app(room, url, background)
    say(terminal_qr(url))
    say(f"teams join at: {url}")
    say(f"facilitator:   {url}facilitator/{room.facilitator_token}   (keep this address to yourself)")
    say(f"workshop file: {room.store.path} (after a crash: tradesim workshop --resume {room.store.path})")
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2, lifespan="on"
    )
    try:
        uvicorn.Server(config).run()
    finally:
        background.close()
        room.engine.close()
        room.store.close()
