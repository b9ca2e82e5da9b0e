"""Workers and clusters: every command caps its processes at the cores, and a dead --dask is one line.

``--workers 1000`` once forked a thousand processes for four replications, and
``--dask tcp://127.0.0.1:1`` gave a traceback after 33 s and left an empty results folder.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import sim.cli.ui as ui
from sim.cli import app

runner = CliRunner()


def _leaf_commands() -> dict[str, list[str]]:
    """Every command of ``tradesim`` (``forecast score`` included) -> its option names."""
    found: dict[str, list[str]] = {}

    def walk(command, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = [opt for p in command.params for opt in p.opts]

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_that_takes_workers_takes_force_workers():
    with_workers = {name for name, opts in _leaf_commands().items() if "--workers" in opts}
    assert {"run", "compare", "sweep", "sensitivity", "variance", "branches", "calibrate"} <= with_workers
    missing = sorted(name for name in with_workers if "--force-workers" not in _leaf_commands()[name])
    assert not missing, f"--workers without --force-workers: {missing}"


class _Asked(Exception):
    """Raised by the stand-in for workers_or_default: the command went no further."""


@pytest.fixture
def forecast_file(tmp_path) -> Path:
    file = tmp_path / "class.csv"
    add = ["forecast", "add", str(file), "--name", "Ana", "--probability", "30", "--quantiles", "0.4,0.9,1.8"]
    assert runner.invoke(app, add).exit_code == 0
    return file


COMMANDS = {
    "run": ["run", "baseline", "--reps", "2"],
    "compare": ["compare", "baseline", "snap_back", "--reps", "2"],
    "branches": ["branches", "baseline", "--at", "truce_deadline", "--reps", "2"],
    "sweep": ["sweep", "baseline", "--vary", "licensing.renewal_probability=0.2:0.8:2"],
    "sensitivity": ["sensitivity", "baseline", "--outcome", "backlog_peak"],
    "variance": ["variance", "baseline"],
    "calibrate": ["calibrate", "baseline", "--reps", "2"],
    "tournament": ["tournament", "baseline"],
    "diff": ["diff", "baseline", "snap_back", "--reps", "2"],
    "forecast score": ["forecast", "score", "{file}"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_passes_force_workers_to_the_one_cap(command, monkeypatch, tmp_path, request):
    asked: list[tuple[int | None, bool]] = []

    def record(workers, force=False):
        asked.append((workers, force))
        raise _Asked

    monkeypatch.setattr(ui, "workers_or_default", record)
    monkeypatch.chdir(tmp_path)  # default output folders land here
    args = [a.replace("{file}", str(request.getfixturevalue("forecast_file"))) for a in COMMANDS[command]]
    for force in (False, True):
        extra = ["--workers", "1000", *(["--force-workers"] if force else [])]
        result = runner.invoke(app, [*args, *extra, "--out", str(tmp_path / f"out-{force}")])
        if command == "diff":  # diff writes no folder
            result = runner.invoke(app, [*args, *extra])
        assert isinstance(result.exception, _Asked), (command, result.output[-500:])
    assert asked == [(1000, False), (1000, True)]


def test_the_cap_itself_keeps_the_cores_unless_forced():
    from sim.core.limits import cores_available

    assert ui.workers_or_default(1000) == cores_available()
    assert ui.workers_or_default(1000, force=True) == 1000
    assert ui.workers_or_default(None) == cores_available()


# --- --dask ------------------------------------------------------------------------------------

DASK_COMMANDS = {
    "run": ["run", "baseline", "--reps", "2"],
    "compare": ["compare", "baseline", "snap_back", "--reps", "2"],
    "variance": ["variance", "baseline"],
    "sweep": ["sweep", "baseline", "--vary", "licensing.renewal_probability=0.2:0.8:2"],
    "branches": ["branches", "baseline", "--at", "truce_deadline", "--reps", "2"],
}


def _closed_port() -> int:
    """A local TCP port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", sorted(DASK_COMMANDS))
def test_an_unreachable_dask_scheduler_is_one_line_at_once_and_leaves_no_folder(command, tmp_path):
    out = tmp_path / "out"
    address = f"tcp://127.0.0.1:{_closed_port()}"
    began = time.monotonic()
    result = runner.invoke(app, [*DASK_COMMANDS[command], "--dask", address, "--out", str(out)])
    took_s = time.monotonic() - began
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"--dask {address}: no Dask scheduler answers there" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not out.exists() and not list(tmp_path.iterdir())
    assert took_s < 3, took_s


def test_a_port_where_no_dask_scheduler_speaks_is_refused_within_the_timeout(tmp_path, monkeypatch):
    """Something accepts the connection but never answers: refused after the (short) timeout."""
    import sim.experiments.cluster as cluster

    monkeypatch.setattr(cluster, "DASK_CONNECT_TIMEOUT_S", 0.5)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        began = time.monotonic()
        result = runner.invoke(app, ["run", "baseline", "--dask", address, "--out", str(tmp_path / "r")])
        took_s = time.monotonic() - began
    finally:
        server.close()
    assert result.exit_code == 2 and "answers there within 0.5 s" in result.output, result.output
    assert not (tmp_path / "r").exists() and took_s < 5


@pytest.mark.parametrize("address", ["tcp://nohost", "tcp://h:99999", "tcp://:8786"])
def test_a_dask_address_that_is_not_one_is_refused_naming_the_form(address, tmp_path):
    result = runner.invoke(app, ["run", "baseline", "--dask", address, "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "not a scheduler address (allowed: tcp://HOST:PORT" in result.output
    assert not (tmp_path / "r").exists()


def test_a_real_scheduler_passes_the_check():
    from distributed import LocalCluster

    from sim.experiments.cluster import check_scheduler

    with LocalCluster(
        n_workers=0, processes=False, dashboard_address=None, protocol="tcp://", host="127.0.0.1"
    ) as cluster:
        check_scheduler(cluster.scheduler_address)  # no error
    check_scheduler("local")
