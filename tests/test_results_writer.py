"""The results writer streams: daily series go to disk as each chunk arrives, never held in memory."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pytest

from sim.core.clock import Clock
from sim.experiments.run import run_experiment
from sim.results import series_store
from sim.results.folder import ResultsError, read_results
from sim.results.writer import FinishedChunk, ResultsWriter

START, END = dt.date(2025, 1, 1), dt.date(2025, 1, 10)
DAYS = 10


def _chunk(reps: list[int]) -> FinishedChunk:
    """A chunk of made-up replications: series value = 100 * rep + day."""
    series = [
        {"backlog": 100.0 * r + np.arange(DAYS), "negotiation_state": np.full(DAYS, r % 2)} for r in reps
    ]
    return FinishedChunk(
        reps=reps,
        outcomes=[{"backlog_peak": float(r)} for r in reps],
        parameters=[{"licensing.arrivals_per_day": 10.0 + r} for r in reps],
        series=series_store.pack_chunk(reps, series),
    )


def _writer(folder, kept="all") -> ResultsWriter:
    manifest = {"scenario": {"name": "made-up"}, "calendar": {"start": START, "end": END}}
    return ResultsWriter(folder, Clock(START, END), manifest, kept)


def test_each_chunk_of_series_is_on_disk_when_written_and_only_scalar_rows_wait(tmp_path):
    writer = _writer(tmp_path)
    waiting_after = []
    for reps in ([4, 5], [0, 1], [2, 3]):  # chunks finish out of order
        writer.write_chunk(_chunk(reps))
        assert series_store.chunk_path(tmp_path, reps).is_file()  # written at once, whatever came before
        assert not any(isinstance(v, bytes | FinishedChunk) for v in vars(writer).values())
        waiting_after.append(sorted(writer._waiting))
    assert waiting_after == [[4, 5], [4, 5], []]  # rows wait only for earlier replications
    writer.close(complete=True)
    assert list(pd.read_csv(tmp_path / "outcomes.csv")["rep"]) == [0, 1, 2, 3, 4, 5]
    results = read_results(tmp_path)
    assert np.array_equal(results.series("backlog")[:, 0], 100.0 * np.arange(6))
    assert results.series_frame(["backlog"], reps=[3])["backlog"].tolist() == list(300.0 + np.arange(DAYS))


def test_an_interrupted_writer_keeps_rows_beyond_a_gap(tmp_path):
    writer = _writer(tmp_path)
    writer.write_chunk(_chunk([2, 3]))
    writer.close(complete=False)  # chunk [0, 1] never finished
    results = read_results(tmp_path)
    assert list(results.outcomes["rep"]) == [2, 3] and results.series("backlog").shape == (2, DAYS)
    assert results.manifest["reps_done"] == [2, 3] and results.manifest["complete"] is False


def test_quantiles_replace_paths_when_the_run_completes(tmp_path):
    writer = _writer(tmp_path, "quantiles")
    for reps in ([0, 1], [2, 3]):
        writer.write_chunk(_chunk(reps))
    writer.close(complete=True)
    assert [p.name for p in (tmp_path / "series").iterdir()] == ["quantiles.npz"]
    results = read_results(tmp_path)
    assert results.series_kept == "quantiles" and results.series_replications() == 4
    median = results.series_quantiles("backlog", (0.5,))[0]
    assert np.allclose(median, 150.0 + np.arange(DAYS))
    assert np.allclose(results.series_shares("negotiation_state", 5)[:2, 0], [0.5, 0.5])
    with pytest.raises(ResultsError, match="--series all"):
        results.series("backlog")
    with pytest.raises(ResultsError, match="not stored"):
        results.series_quantiles("backlog", (0.33,))


@pytest.mark.slow
def test_series_kept_choices_and_their_plots(baseline, tmp_path):
    from sim.plots.charts import draw_default_plots

    assert series_store.resolve_kept("auto", 1000) == "all"
    assert series_store.resolve_kept("auto", 1001) == "quantiles"
    with pytest.raises(ValueError, match="auto, all, quantiles, none"):
        series_store.resolve_kept("some", 10)
    run_experiment(baseline, 3, 7, tmp_path / "q", workers=1, series="quantiles")
    run_experiment(baseline, 3, 7, tmp_path / "none", workers=1, series="none")
    quantiles, nothing = read_results(tmp_path / "q"), read_results(tmp_path / "none")
    assert len(draw_default_plots(quantiles)) > 5  # fan charts need only the daily quantiles
    assert draw_default_plots(nothing) == [] and not (tmp_path / "none" / "series").exists()
    assert list(nothing.outcomes["rep"]) == [0, 1, 2]
    with pytest.raises(ResultsError, match="no daily series"):
        nothing.series_quantiles("backlog")
    from typer.testing import CliRunner

    from sim.cli import app

    paths = CliRunner().invoke(app, ["plot", str(tmp_path / "q"), "--series", "backlog", "--paths", "2"])
    assert paths.exit_code == 2 and "--series all" in paths.output and "Traceback" not in paths.output


class _ManualPool:
    """An executor whose tasks finish when the test says: chunk [2, 3] at once, [0, 1] later."""

    def __init__(self):
        self.futures = {}

    def submit(self, fn, reps):
        future = Future()
        future.set_running_or_notify_cancel()  # running: it cannot be cancelled any more
        if reps[0] == 2:
            future.set_result(_chunk(reps))
        self.futures[reps[0]] = future
        return future


def test_ctrl_c_keeps_the_chunks_still_running_in_workers(tmp_path):
    from sim.experiments.run import _run_parallel

    pool = _ManualPool()
    writer = _writer(tmp_path)

    def ctrl_c_after_the_first_chunk(n):
        threading.Timer(0.1, lambda: pool.futures[0].set_result(_chunk([0, 1]))).start()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run_parallel(None, 1, [[0, 1], [2, 3]], writer, True, ctrl_c_after_the_first_chunk, pool)
    writer.close(complete=False)
    results = read_results(tmp_path)
    assert list(results.outcomes["rep"]) == [0, 1, 2, 3] and results.series("backlog").shape == (4, DAYS)


def test_no_more_chunks_are_out_than_the_window_so_finished_ones_cannot_pile_up(tmp_path):
    from sim.experiments.run import _run_parallel

    written, out_at_submit = [], []

    class InstantPool:  # workers infinitely faster than the writing
        def submit(self, fn, reps):
            out_at_submit.append(len(out_at_submit) + 1 - len(written))
            future = Future()
            future.set_result(_chunk(reps))
            return future

    chunks = [[i, i + 1] for i in range(0, 40, 2)]
    _run_parallel(None, 1, chunks, _writer(tmp_path), True, lambda n: written.append(n), InstantPool(), 4)
    assert len(written) == 20 and max(out_at_submit) <= 4


def test_daily_quantiles_equal_numpys_nanquantile():
    # the one-sort implementation must give numpy's numbers exactly, with gaps, ties and empty days
    import warnings

    from sim.results.series_store import QUANTILE_LEVELS, daily_quantiles

    rng = np.random.default_rng(0)
    for trial in range(30):
        values = rng.normal(size=(int(rng.integers(1, 60)), int(rng.integers(1, 80)))).astype(np.float32)
        if trial % 2:
            values[rng.random(values.shape) < 0.3] = np.nan
        if trial % 3 == 0:
            values[:, 0] = np.nan
        if trial % 4 == 0:
            values = np.round(values)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.nanquantile(values.astype(np.float64), QUANTILE_LEVELS, axis=0)
        got = daily_quantiles(values, QUANTILE_LEVELS, block_days=16)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("reps", "workers"), [(1000, 2), (20, 2), (1, 4), (7, 3), (5000, 16)])
def test_chunks_cover_every_replication_once_and_shrink_towards_the_end(reps, workers):
    from sim.experiments.run import _chunks

    chunks = _chunks(list(range(reps)), workers)
    assert [rep for chunk in chunks for rep in chunk] == list(range(reps))
    sizes = [len(chunk) for chunk in chunks]
    assert max(sizes) <= 25
    assert sizes == sorted(sizes, reverse=True)
    if reps >= 1000:  # the last chunk is small: a worker waits at most a few replications for the other
        assert sizes[0] == 25 and sizes[-1] <= 2
