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

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path, port: int, games: int, pin: bool) -> tuple[subprocess.Popen, str]:
    log = (folder / "server.log").open("w")
    command = [sys.executable, "-m", "sim", "workshop", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--games", str(games), "--seed", "1", "--turn-minutes", "0", "--strategy", "hawk"]
    command += ["--reps", "2", "--db", str(folder / "load.sqlite")]
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


async def browser(
    client: httpx.AsyncClient,
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
    budget.take()
    joined = (
        await client.post("/join", data={"name": f"team {number}"}, headers={"accept": "application/json"})
    ).json()
    token, game = joined["token"], joined["game"]
    budget.take()
    await client.get(f"/team/{token}")
    seen = asyncio.Queue()

    async def listen() -> None:
        budget.take()
        async with client.stream("GET", f"/events/{token}") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    await seen.put((time.perf_counter(), json.loads(line[6:])))

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
            r = await client.post(
                f"/team/{token}/move",
                data={"turn": str(turn), "moves": moves},
                headers={"accept": "application/json"},
            )
            r.raise_for_status()
            while True:  # the live connection says when the next turn opens
                _, state = await seen.get()
                if state["turn"] > turn or state["finished"]:
                    break
            budget.take()
            page = await client.get(f"/team/{token}")
            page.raise_for_status()
            latencies.append(time.perf_counter() - closing[key])
            turn += 1
    finally:
        listener.cancel()


async def run(
    url: str, token: str, browsers: int, turns: int, think_s: float, budget: Budget
) -> tuple[list[float], float]:
    limits = httpx.Limits(max_connections=4 * browsers, max_keepalive_connections=2 * browsers)
    timeout = httpx.Timeout(30.0, read=None)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        closing: dict = {}
        latencies: list[float] = []
        started = asyncio.Event()
        tasks = [
            asyncio.create_task(browser(client, i, turns, think_s, budget, closing, latencies, started))
            for i in range(browsers)
        ]
        await asyncio.sleep(1.0)  # everybody joined and listening
        budget.take()
        await client.post(f"/facilitator/{token}/resume")
        t0 = time.perf_counter()
        started.set()
        await asyncio.gather(*tasks)
        return latencies, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browsers", type=int, default=40)
    parser.add_argument("--games", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--think-seconds", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=5000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument(
        "--pin",
        action="store_true",
        help="Linux: the server on one core, the simulated browsers on the others (as browsers on "
        "the students' devices would leave the server's laptop to it).",
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
                run(args.url, args.token, args.browsers, args.turns, args.think_seconds, budget),
                args.max_seconds,
            )
        )
        report(args, budget, latencies, wall)
        return
    with tempfile.TemporaryDirectory() as folder:
        proc, token = start_server(Path(folder), _free_port(), args.games, args.pin)
        url = f"http://127.0.0.1:{proc.args[proc.args.index('--port') + 1]}"
        budget = Budget(args.max_requests)
        server_before, client_before = cpu_seconds(proc.pid), time.process_time()
        try:
            latencies, wall = asyncio.run(
                asyncio.wait_for(
                    run(url, token, args.browsers, args.turns, args.think_seconds, budget), args.max_seconds
                )
            )
            cpu = (cpu_seconds(proc.pid) - server_before, time.process_time() - client_before)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    report(args, budget, latencies, wall)
    print(f"CPU used during the run: server {cpu[0]:.1f} s, simulated browsers {cpu[1]:.1f} s")


def report(args, budget: Budget, latencies: list[float], wall: float) -> None:
    ms = np.array(latencies) * 1000.0
    print(
        f"{args.browsers} browsers, {args.games} games, {args.turns} turns, "
        f"thinking 0-{args.think_seconds:g} s, {'server pinned to one core, ' if args.pin else ''}"
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
