"""Large runs and their figures: chunk files read directly, daily quantiles reduced on the workers,
figures drawn on several processes, a real Dask scheduler (its run's quantiles reduced on fresh processes
here). Each gives the bytes of the plain way."""

from __future__ import annotations

import _thread
import datetime as dt
import json
import math
import os
import runpy
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest

from sim.core.clock import Clock
from sim.experiments.reduction import FreshProcesses
from sim.experiments.run import run_experiment
from sim.results import series_store
from sim.results.folder import ResultsError, read_results
from sim.results.writer import FinishedChunk, ResultsWriter

ROOT = Path(__file__).resolve().parents[1]
START, END = dt.date(2025, 1, 1), dt.date(2025, 1, 30)
DAYS = 30


def _made_up_folder(folder: Path, reps: int = 60, chunk: int = 7) -> Path:
    """A quantiles run's folder before its reduction: chunks of made-up series with gaps, ties and codes."""
    rng = np.random.default_rng(3)
    manifest = {"scenario": {"name": "made-up"}, "calendar": {"start": START, "end": END}}
    writer = ResultsWriter(folder, Clock(START, END), manifest, "quantiles")
    for first in range(0, reps, chunk):
        ids = list(range(first, min(reps, first + chunk)))
        series = []
        for _ in ids:
            gappy = rng.gamma(2.0, 50.0, DAYS)
            gappy[rng.random(DAYS) < 0.2] = np.nan
            gappy[:2] = np.nan  # days with no value at all
            series.append(
                {
                    "backlog": gappy,
                    "stock_auto": np.round(rng.normal(0.0, 3.0, DAYS)),  # ties, and zeros
                    "negotiation_state": rng.integers(0, 5, DAYS).astype(float),
                }
            )
        writer.write_chunk(
            FinishedChunk(
                ids,
                [{"backlog_peak": float(r)} for r in ids],
                [{"p": 1.0} for _ in ids],
                series_store.pack_chunk(ids, series),
            )
        )
    return folder


def test_a_chunk_array_read_directly_equals_numpys_load(tmp_path):
    folder = _made_up_folder(tmp_path / "f")
    for path in series_store.chunk_files(folder):
        with np.load(path) as data:
            for name in data.files:
                want, got = data[name], series_store.read_member(path, name.removesuffix(".npy"))
                assert got.dtype == want.dtype and got.shape == want.shape
                assert np.array_equal(got, want, equal_nan=want.dtype.kind == "f"), name


def test_a_rewritten_chunk_is_read_again_not_from_the_cache(tmp_path):
    path = series_store.chunk_path(tmp_path, [0, 1])
    series_store.write_bytes_atomic(path, series_store.pack_chunk([0, 1], [{"x": np.zeros(3)}] * 2))
    assert series_store.read_paths(tmp_path, "x").sum() == 0 and series_store.chunk_reps(path).tolist() == [
        0,
        1,
    ]
    series_store.write_bytes_atomic(path, series_store.pack_chunk([0, 1], [{"x": np.ones(3)}] * 2))
    assert series_store.read_paths(tmp_path, "x").sum() == 6


@pytest.mark.parametrize("where", [0.05, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99])
def test_a_chunk_with_a_flipped_byte_is_refused_by_name_or_read_exactly(tmp_path, where):
    # never other numbers: a flip in an array's bytes fails its CRC-32, and one in a field the
    # reader does not use (a date, a comment length) leaves the arrays as they were
    path = series_store.chunk_path(tmp_path, [0])
    x = np.random.default_rng(1).random(5000).astype(np.float32)  # incompressible: most of the file
    series_store.write_bytes_atomic(path, series_store.pack_chunk([0], [{"x": x}]))
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0xFF
    path.write_bytes(bytes(data))
    try:
        got = series_store.read_paths(tmp_path, "x")
    except ResultsError as exc:
        assert path.name in str(exc)
    else:
        assert np.array_equal(got, x[None, :])
    if 0.1 <= where <= 0.9:  # inside the array: always refused
        with pytest.raises(ResultsError, match=path.name):
            series_store.read_paths(tmp_path, "x")


def test_a_resume_redoes_every_replication_of_a_chunk_it_removes(tmp_path):
    # a run killed while flushing rows can leave rows for some replications of a chunk and not the
    # others: the chunk is removed and redone, and so must be the replications that had rows
    manifest = {"scenario": {"name": "made-up"}, "calendar": {"start": START, "end": END}}
    writer = ResultsWriter(tmp_path, Clock(START, END), manifest, "all")
    for reps in ([0, 1], [2, 3, 4]):
        series = [{"backlog": np.full(DAYS, float(r))} for r in reps]
        writer.write_chunk(
            FinishedChunk(
                reps,
                [{"x": 1.0}] * len(reps),
                [{"p": 1.0}] * len(reps),
                series_store.pack_chunk(reps, series),
            )
        )
    writer.close(complete=False)
    for table in ("outcomes.csv", "parameters.csv"):  # rows of 0, 1 and 2 only, as a kill mid-flush leaves
        path = tmp_path / table
        path.write_text("".join(path.read_text().splitlines(keepends=True)[:4]))
    resumed = ResultsWriter(tmp_path, Clock(START, END), manifest, "all", resume=True)
    assert resumed.finished_reps() == {0, 1}
    assert resumed.finished_reps() <= series_store.stored_reps(tmp_path)
    resumed.close(complete=False)


def test_quantiles_reduced_on_a_process_pool_are_the_bytes_reduced_in_one_process(tmp_path):
    here, pooled = _made_up_folder(tmp_path / "here"), tmp_path / "pooled"
    shutil.copytree(here, pooled)
    paths = series_store.read_paths(here, "backlog")
    series_store.reduce_to_quantiles(here)
    with ProcessPoolExecutor(2) as pool:
        series_store.reduce_to_quantiles(pooled, pool.map)
    quantiles = pooled / "series" / series_store.QUANTILES_FILE
    assert quantiles.read_bytes() == (here / "series" / series_store.QUANTILES_FILE).read_bytes()
    assert [p.name for p in (pooled / "series").iterdir()] == [series_store.QUANTILES_FILE]
    with np.load(quantiles) as data:
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):  # the two days with no value
            want = np.nanquantile(paths, series_store.QUANTILE_LEVELS, axis=0)
        np.testing.assert_array_equal(data["backlog"], want)
        assert int(data["n"]) == 60 and data["negotiation_state.shares"].sum(axis=0) == pytest.approx(1.0)


def test_quantiles_reduced_on_fresh_processes_are_the_bytes_reduced_in_one_process(tmp_path):
    here, fresh = _made_up_folder(tmp_path / "here"), tmp_path / "fresh"
    shutil.copytree(here, fresh)
    series_store.reduce_to_quantiles(here)
    processes = FreshProcesses(2)
    series_store.reduce_to_quantiles(fresh, processes.map)
    quantiles = fresh / "series" / series_store.QUANTILES_FILE
    assert quantiles.read_bytes() == (here / "series" / series_store.QUANTILES_FILE).read_bytes()
    assert len(processes.pids) == 2 and os.getpid() not in processes.pids
    for pid in processes.pids:  # finished and waited for: none is left behind
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_fresh_processes_answer_in_order_and_raise_an_items_error_here():
    assert FreshProcesses(3).map(abs, [-3, 1, -2, 5, -8]) == [3, 1, 2, 5, 8]
    assert FreshProcesses(2).map(print, ["printed to stderr, not into the answers"]) == [None]
    with pytest.raises(ValueError, match="math domain error"):
        FreshProcesses(2).map(math.sqrt, [4.0, -1.0, 9.0])


def test_a_fresh_process_that_dies_breaks_the_map_as_a_pools_worker_does():
    with pytest.raises(BrokenProcessPool, match="died"):
        FreshProcesses(2).map(os._exit, [3, 4])


def test_ctrl_c_during_a_map_on_fresh_processes_stops_them_at_once():
    processes = FreshProcesses(2)
    timer = threading.Timer(1.0, _thread.interrupt_main)  # Ctrl-C, once both are sleeping
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        processes.map(time.sleep, [60, 60, 60])
    assert time.monotonic() - started < 30
    for pid in processes.pids:  # killed and waited for, not left sleeping
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_run_reduces_its_quantiles_on_its_workers_to_the_bytes_of_a_serial_run(
    baseline, tmp_path, monkeypatch
):
    pools = []
    reduce = ResultsWriter.reduce_to_quantiles

    def spy(self, map_series=map):
        pools.append(map_series is not map)
        reduce(self, map_series)

    monkeypatch.setattr(ResultsWriter, "reduce_to_quantiles", spy)
    for workers in (1, 2):
        run_experiment(baseline, 5, 31, tmp_path / f"w{workers}", workers, series="quantiles")
    assert pools == [False, True, False]  # serial: in close; 2 workers: on the pool (close finds it done)
    one, two = (tmp_path / f"w{w}" / "series" / series_store.QUANTILES_FILE for w in (1, 2))
    assert one.read_bytes() == two.read_bytes()


def test_figures_drawn_on_two_processes_are_the_files_drawn_one_after_another(baseline, tmp_path):
    from sim.plots.charts import default_plot_jobs
    from sim.plots.parallel import draw_figures

    run_experiment(baseline, 3, 5, tmp_path / "run", workers=1)
    drawn = {}
    for processes in (1, 2):
        results = read_results(tmp_path / "run")
        jobs = [job for job in default_plot_jobs(results) if job.weight == 1.0][:3]  # three plain fans
        paths = draw_figures(jobs, processes)
        drawn[processes] = {p.name: p.read_bytes() for p in paths}
        shutil.rmtree(tmp_path / "run" / "plots")
    assert len(drawn[1]) == 3 and drawn[1] == drawn[2]


def test_drawing_processes_started_before_a_run_draw_the_files_of_the_default_plots(
    baseline, tmp_path, monkeypatch
):
    from sim.plots import charts
    from sim.plots.drawers import DrawingProcesses

    every_job = charts.default_plot_jobs
    monkeypatch.setattr(charts, "default_plot_jobs", lambda *a: every_job(*a)[2:6])  # 4 of 14: time
    with DrawingProcesses(2) as drawers:  # forked before the run, as `tradesim run` does
        run_experiment(baseline, 3, 6, tmp_path / "run", workers=1)
        early = {p.name: p.read_bytes() for p in drawers.default_figures(tmp_path / "run")}
        assert drawers._root is not None and drawers._root.is_alive()  # drawn there, not here
    shutil.rmtree(tmp_path / "run" / "plots")
    here = {p.name: p.read_bytes() for p in charts.draw_default_plots(read_results(tmp_path / "run"))}
    assert len(here) == 4 and early == here


def test_drawing_processes_raise_the_error_drawing_here_raises(tmp_path):
    from sim.plots.drawers import DrawingProcesses

    (tmp_path / "manifest.json").write_text("{")  # a damaged folder
    errors = []
    for processes in (1, 2):
        with DrawingProcesses(processes) as drawers, pytest.raises(Exception) as raised:
            drawers.default_figures(tmp_path)
        errors.append((type(raised.value), str(raised.value)))
    assert errors[0] == errors[1] and errors[0][0] is ResultsError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """A ``dask scheduler`` and two ``dask worker`` processes on loopback, running this checkout."""
    pytest.importorskip("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": _this_checkout()}
    scheduler = subprocess.Popen(
        [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet
    )
    worker = subprocess.Popen(
        [*dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"], **quiet
    )
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:  # both workers have joined the scheduler
            try:
                with Client(address, timeout="2s") as client:
                    if len(client.scheduler_info()["workers"]) == 2:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the Dask workers did not join the scheduler"
            time.sleep(0.5)
        yield address
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(30)
        scheduler.wait(30)


def _this_checkout() -> dict[str, str]:
    """The environment of a child process that imports this checkout's ``sim``."""
    return dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of a results folder by its path inside it, but the manifest (times, engine, workers)
    and the lock file (the process id that wrote it)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in ("manifest.json", ".tradesim.lock")
    }


@pytest.mark.slow
def test_a_remote_dask_run_reduces_on_fresh_processes_to_the_bytes_of_a_local_run(
    baseline, tmp_path, monkeypatch, dask_scheduler
):
    pools = []
    map_on = FreshProcesses.map

    def spy(self, function, items):
        results = map_on(self, function, items)
        pools.append((self.processes, len(set(self.pids) - {os.getpid()})))
        return results

    monkeypatch.setattr(FreshProcesses, "map", spy)
    for name, engine, workers in (
        ("local1", None, 1),
        ("local2", None, 2),
        ("dask1", dask_scheduler, 1),  # one worker: reduced in this process, in close, as before
        ("dask2", dask_scheduler, 2),  # on two fresh processes
    ):
        run_experiment(baseline, 6, 77, tmp_path / name, workers, dask=engine, series="quantiles")
    assert pools == [(2, 2)]  # the remote run of two workers reduced on two processes of its own
    reference = _files(tmp_path / "local1")
    assert "series/quantiles.npz" in reference and "outcomes.csv" in reference
    for name in ("local2", "dask1", "dask2"):
        assert _files(tmp_path / name) == reference, name
    manifest = json.loads((tmp_path / "dask2" / "manifest.json").read_text())
    assert manifest["complete"] and manifest["series"]["kept"] == "quantiles"


@pytest.mark.slow
def test_the_command_python_m_sim_and_scripts_reduce_a_remote_run_to_the_bytes_of_a_local_run(
    baseline, tmp_path, dask_scheduler
):
    """Every way in finishes with a local run's bytes, a script with no ``__main__`` guard included:
    the reducing processes run none of their caller's code (a spawned pool ran that script again)."""
    tradesim = Path(sys.executable).parent / "tradesim"
    if not tradesim.exists():
        pytest.skip("the tradesim console script is not installed beside this Python")
    run_experiment(baseline, 6, 5, tmp_path / "local", 2, series="quantiles")
    args = ["run", "baseline", "--reps", "6", "--seed", "5", "--workers", "2", "--force-workers"]
    args += ["--series", "quantiles", "--no-plots", "--dask", dask_scheduler, "--out"]
    call = "sim.run('baseline', 6, 5, folder=r'{}', workers=2, series='quantiles', dask='{}')"
    unguarded = tmp_path / "unguarded.py"
    unguarded.write_text("import sim\n\n" + call.format(tmp_path / "file", dask_scheduler) + "\n")
    for name, command in (
        ("console", [str(tradesim), *args, str(tmp_path / "console")]),
        ("module", [sys.executable, "-m", "sim", *args, str(tmp_path / "module")]),
        ("script", [sys.executable, "-c", "import sim; " + call.format(tmp_path / "script", dask_scheduler)]),
        ("file", [sys.executable, str(unguarded)]),
    ):
        done = subprocess.run(command, capture_output=True, text=True, env=_this_checkout(), timeout=300)
        assert done.returncode == 0, (name, done.stderr[-2000:])
        assert _files(tmp_path / name) == _files(tmp_path / "local"), name


def test_python_m_sim_imported_under_another_name_does_not_run_the_command(monkeypatch):
    """A ``multiprocessing`` child spawned by a caller's pool runs its parent's main file as ``__mp_main__``
    (``python sim/__main__.py``): that must not start the command again."""
    import sim.cli

    def refuse() -> None:
        raise AssertionError("the command ran again")

    monkeypatch.setattr(sim.cli, "main", refuse)
    runpy.run_path(str(ROOT / "sim" / "__main__.py"), run_name="__mp_main__")
    with pytest.raises(AssertionError, match="ran again"):
        runpy.run_path(str(ROOT / "sim" / "__main__.py"), run_name="__main__")
