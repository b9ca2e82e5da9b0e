"""A class of browsers against `tradesim workshop` on loopback: how long from a move to the next turn.

Run: ``python benchmarks/bench_workshop.py [--browsers 40] [--games 20] [--turns 5] [--think-seconds 3]``

Starts the server (a subprocess on 127.0.0.1, a temporary workshop file, no
timer), then 40 simulated browsers (asyncio + httpx, one process): each joins a
side of a game, holds its live connection (server-sent events) open, and every
turn waits a seeded "thinking" time (uniform from 0 to ``--think-seconds``; 0.3
makes every team of the class click within the same third of a second), submits a move, and when its live
connection says a new turn opened, loads its team page again, as the real page
does. The figure reported is, for every browser and turn, the time from the
*closing* submission of its game's turn (the second side's POST being sent) to
that browser holding the next turn's page: "submitting a move and seeing the
next turn". Bounded: at most ``--max-requests`` requests and ``--max-seconds``
seconds, after which the run stops and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


class Http:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: what a simulated browser needs, no more.

    The simulated class runs on the server's machine, so its CPU is taken from the
    server it measures: httpx spent about 2 ms of CPU a request (1.0-1.4 s a run, more
    than the server), this client a fraction of that (``--client httpx`` still runs the
    old one, to compare).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _send(self, method: str, path: str, body: bytes, accept: str) -> None:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: {accept}\r\n"
        if body:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()

    async def _head(self) -> tuple[int, dict[str, str]]:
        assert self.reader is not None
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:] if line)
        return int(lines[0].split()[1]), {k.lower(): v for k, v in fields.items()}

    async def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        """One request on the kept-alive connection (reopened once if the server closed it)."""
        body = urlencode(form).encode() if form else b""
        for attempt in (1, 2):
            try:
                await self._send(method, path, body, "application/json")
                status, headers = await self._head()
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        assert self.reader is not None
        data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    async def events(self, path: str):
        """The ``data:`` payloads of a server-sent-events stream (chunked), as they come."""
        await self._send("GET", path, b"", "text/event-stream")
        status, headers = await self._head()
        assert status == 200 and headers.get("transfer-encoding") == "chunked", (status, headers)
        assert self.reader is not None
        text = ""
        while True:
            size = int((await self.reader.readline()).strip(), 16)
            if size == 0:
                return
            text += (await self.reader.readexactly(size + 2))[:-2].decode()
            *lines, text = text.split("\n")
            for line in lines:
                if line.startswith("data: "):
                    yield line[6:]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Budget:
    def __init__(self, max_requests: int) -> None:
        self.left = max_requests
        self.used = 0

    def take(self) -> None:
        if self.left <= 0:
            raise RuntimeError("request budget spent")
        self.left -= 1
        self.used += 1


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def children(pid: int) -> list[int]:
    """The server's worker processes (the games, the debrief's distribution), Linux only."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path, port: int, games: int, pin: bool, reps: int) -> tuple[subprocess.Popen, str]:
    log = (folder / "server.log").open("w")
    command = [sys.executable, "-m", "sim", "workshop", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--games", str(games), "--seed", "1", "--turn-minutes", "0", "--strategy", "hawk"]
    command += ["--reps", str(reps), "--db", str(folder / "load.sqlite")]
    env = os.environ | {"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    if pin:  # the server on the first core, the simulated browsers on the others
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(proc.pid, {cores[0]})
        os.sched_setaffinity(0, set(cores[1:]))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit((folder / "server.log").read_text())
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            break
        except OSError:
            time.sleep(0.3)
    token = (folder / "server.log").read_text().split("facilitator:", 1)[1].split()[0].rsplit("/", 1)[1]
    return proc, token


class HttpxConnection:
    """The same two calls as :class:`Http`, through a shared httpx client (``--client httpx``)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        r = await self.client.request(method, path, data=form, headers={"accept": "application/json"})
        return r.status_code, r.content

    async def events(self, path: str):
        async with self.client.stream("GET", path) as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    yield line[6:]

    def close(self) -> None:
        pass


async def browser(
    connect,
    number: int,
    turns: int,
    think_s: float,
    budget: Budget,
    closing: dict,
    latencies: list[float],
    started: asyncio.Event,
) -> None:
    """One team's browser: join, hold the live connection, move each turn, reload on a new turn."""
    rng = random.Random(number)
    http, live = connect(), connect()  # a browser's page requests and its live connection
    budget.take()
    status, body = await http.request("POST", "/join", {"name": f"team {number}"})
    assert status == 200, body
    joined = json.loads(body)
    token, game = joined["token"], joined["game"]
    budget.take()
    await http.request("GET", f"/team/{token}")
    seen = asyncio.Queue()

    async def listen() -> None:
        budget.take()
        async for data in live.events(f"/events/{token}"):
            await seen.put((time.perf_counter(), json.loads(data)))

    listener = asyncio.create_task(listen())
    await started.wait()
    turn = 1
    try:
        while turn <= turns:
            await asyncio.sleep(rng.uniform(0.0, think_s))  # thinking
            moves = f"tariff={rng.randint(10, 150)}" if rng.random() < 0.7 else "pass"
            sent = time.perf_counter()
            key = (game, turn)
            closing[key] = max(closing.get(key, 0.0), sent)
            budget.take()
            status, body = await http.request(
                "POST", f"/team/{token}/move", {"turn": str(turn), "moves": moves}
            )
            assert status == 200, body
            while True:  # the live connection says when the next turn opens
                _, state = await seen.get()
                if state["turn"] > turn or state["finished"]:
                    break
            budget.take()
            status, body = await http.request("GET", f"/team/{token}")
            assert status == 200, body
            latencies.append(time.perf_counter() - closing[key])
            turn += 1
    finally:
        listener.cancel()
        http.close()
        live.close()


async def facilitator(connect, token: str, budget: Budget, reloads: list[int]) -> None:
    """The facilitator's page on the projector: as live.js does, it reloads (at most once a second)
    when any game changes, and each reload opens a new live connection."""
    http = connect()
    try:
        while True:
            budget.take()
            await http.request("GET", f"/facilitator/{token}")
            reloads[0] += 1
            live, first = connect(), None
            budget.take()
            async for data in live.events(f"/events/{token}"):
                games = json.loads(data)["games"]
                key = json.dumps([{k: v for k, v in g.items() if k != "remaining_s"} for g in games])
                if first is None:
                    first = key
                elif key != first:
                    break
            live.close()
            await asyncio.sleep(1.0)
    finally:
        http.close()


async def run(
    url: str,
    token: str,
    browsers: int,
    turns: int,
    think_s: float,
    budget: Budget,
    client: str,
    with_facilitator: bool,
) -> tuple[list[float], float]:
    limits = httpx.Limits(max_connections=4 * browsers, max_keepalive_connections=2 * browsers)
    timeout = httpx.Timeout(30.0, read=None)
    address = urlsplit(url)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as shared:
        if client == "httpx":
            connect = lambda: HttpxConnection(shared)  # noqa: E731
        else:
            connect = lambda: Http(address.hostname, address.port)  # noqa: E731
        closing: dict = {}
        latencies: list[float] = []
        started = asyncio.Event()
        tasks = [
            asyncio.create_task(browser(connect, i, turns, think_s, budget, closing, latencies, started))
            for i in range(browsers)
        ]
        reloads = [0]
        watcher = (
            asyncio.create_task(facilitator(connect, token, budget, reloads)) if with_facilitator else None
        )
        await asyncio.sleep(1.0)  # everybody joined and listening
        budget.take()
        await shared.post(f"/facilitator/{token}/resume")
        t0 = time.perf_counter()
        started.set()
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
        if watcher is not None:
            watcher.cancel()
            print(f"the facilitator's page reloaded {reloads[0]} times")
        return latencies, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browsers", type=int, default=40)
    parser.add_argument("--games", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--think-seconds", type=float, default=3.0)
    parser.add_argument(
        "--reps",
        type=int,
        default=2,
        help="The server's --reps (default 2): the debrief's model distribution, computed in a worker "
        "process from the start (the workshop's default 200 takes ~9 s of a core; a run overlaps it).",
    )
    parser.add_argument("--max-requests", type=int, default=5000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument(
        "--pin",
        action="store_true",
        help="Linux: the server on one core, the simulated browsers on the others (as browsers on "
        "the students' devices would leave the server's laptop to it).",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="How the simulated browsers talk HTTP: a minimal client on asyncio streams (default), "
        "or httpx (costs the machine more CPU than the server it measures).",
    )
    parser.add_argument(
        "--no-facilitator",
        action="store_true",
        help="Leave out the facilitator's page (by default it is open, and reloads as live.js makes it).",
    )
    parser.add_argument("--url", help="Use a running server (started with --turn-minutes 0) instead.")
    parser.add_argument("--token", help="With --url: its facilitator token.")
    args = parser.parse_args()
    if args.browsers > 2 * args.games:
        raise SystemExit("--browsers must be at most two per game")
    if args.url:
        budget = Budget(args.max_requests)
        latencies, wall = asyncio.run(
            asyncio.wait_for(
                run(
                    args.url,
                    args.token,
                    args.browsers,
                    args.turns,
                    args.think_seconds,
                    budget,
                    args.client,
                    not args.no_facilitator,
                ),
                args.max_seconds,
            )
        )
        report(args, budget, latencies, wall)
        return
    with tempfile.TemporaryDirectory() as folder:
        proc, token = start_server(Path(folder), _free_port(), args.games, args.pin, args.reps)
        url = f"http://127.0.0.1:{proc.args[proc.args.index('--port') + 1]}"
        budget = Budget(args.max_requests)
        workers = children(proc.pid)
        # a class plays minutes after the server starts: wait until its start-up work (the worker
        # processes' imports, the debrief's distribution) is done, at most a minute
        for _ in range(120):
            before = sum(cpu_seconds(p) for p in [proc.pid, *workers])
            time.sleep(0.5)
            workers = children(proc.pid)
            if sum(cpu_seconds(p) for p in [proc.pid, *workers]) - before < 0.05:
                break
        server_before, client_before = cpu_seconds(proc.pid), time.process_time()
        workers_before = {w: cpu_seconds(w) for w in workers}
        try:
            latencies, wall = asyncio.run(
                asyncio.wait_for(
                    run(
                        url,
                        token,
                        args.browsers,
                        args.turns,
                        args.think_seconds,
                        budget,
                        args.client,
                        not args.no_facilitator,
                    ),
                    args.max_seconds,
                )
            )
            cpu = (
                cpu_seconds(proc.pid) - server_before,
                sum(cpu_seconds(w) - before for w, before in workers_before.items()),
                time.process_time() - client_before,
            )
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    report(args, budget, latencies, wall)
    print(
        f"CPU used during the run: server {cpu[0]:.1f} s (its event loop), its worker processes "
        f"{cpu[1]:.1f} s, simulated browsers {cpu[2]:.1f} s"
    )


def report(args, budget: Budget, latencies: list[float], wall: float) -> None:
    ms = np.array(latencies) * 1000.0
    print(
        f"{args.browsers} browsers, {args.games} games, {args.turns} turns, "
        f"thinking 0-{args.think_seconds:g} s, {args.client} client, "
        f"{'server pinned to one core, ' if args.pin else ''}"
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
        f"{budget.used} requests in {wall:.1f} s"
    )
    print(
        f"submit-to-next-turn over {ms.size} (browser, turn) pairs: median {np.median(ms):.0f} ms, "
        f"90th percentile {np.percentile(ms, 90):.0f} ms, 99th percentile {np.percentile(ms, 99):.0f} ms, "
        f"max {ms.max():.0f} ms"
    )


if __name__ == "__main__":
    main()
