"""An interrupted run keeps every finished replication, says it is incomplete, and resumes exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim.experiments.run as experiment
from sim.results.folder import read_results


def _interrupt_after(monkeypatch, n: int) -> None:
    """The n+1-th replication simulated raises KeyboardInterrupt (Ctrl-C), once."""
    real = experiment.run_replication
    calls = []

    def interrupted(*args, **kwargs):
        if len(calls) == n:
            calls.append(0)
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(experiment, "run_replication", interrupted)


def test_ctrl_c_keeps_finished_replications(baseline, tmp_path, monkeypatch):
    _interrupt_after(monkeypatch, 3)
    report = experiment.run_experiment(baseline, reps=10, master_seed=1, out=tmp_path, workers=1)
    assert report.interrupted and report.reps_completed == 3
    assert list(pd.read_csv(tmp_path / "outcomes.csv")["rep"]) == [0, 1, 2]
    assert read_results(tmp_path).series("backlog").shape == (3, 274)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["reps_done"] == [0, 1, 2]
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob("series/*.tmp"))


def _same_results(a, b) -> None:
    for table in ("outcomes.csv", "parameters.csv"):
        assert (a / table).read_bytes() == (b / table).read_bytes(), table
    ra, rb = read_results(a), read_results(b)
    assert ra.series_names() == rb.series_names()
    for name in ra.series_names():
        assert np.array_equal(ra.series(name), rb.series(name), equal_nan=True), name


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_resumed_run_ends_with_the_tables_of_an_uninterrupted_one(baseline, tmp_path, monkeypatch, workers):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    experiment.run_experiment(baseline, reps=7, master_seed=5, out=whole, workers=1)
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 4)
        first = experiment.run_experiment(baseline, reps=7, master_seed=5, out=resumed, workers=1)
    assert first.interrupted and first.reps_completed == 4
    report = experiment.resume_experiment(resumed, workers=workers)
    assert not report.interrupted and report.reps_completed == 7
    assert json.loads((resumed / "manifest.json").read_text())["complete"] is True
    _same_results(whole, resumed)


def test_resume_recomputes_only_what_is_missing(baseline, tmp_path, monkeypatch):
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 2)
        experiment.run_experiment(baseline, reps=5, master_seed=8, out=out, workers=1)
    simulated = []
    real = experiment.run_replication
    monkeypatch.setattr(
        experiment, "run_replication", lambda s, seed, rep: simulated.append(rep) or real(s, seed, rep)
    )
    experiment.resume_experiment(out, workers=1)
    assert simulated == [2, 3, 4]


@pytest.mark.slow
def test_an_interrupted_quantiles_run_keeps_paths_until_resumed(baseline, tmp_path, monkeypatch):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    experiment.run_experiment(baseline, reps=5, master_seed=3, out=whole, workers=1, series="quantiles")
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 2)
        experiment.run_experiment(baseline, reps=5, master_seed=3, out=resumed, workers=1, series="quantiles")
    partial = read_results(resumed)
    assert partial.series("price_index").shape == (2, 274)  # paths kept so far, for --resume
    experiment.resume_experiment(resumed, workers=1)
    done = read_results(resumed)
    assert done.series_kept == "quantiles" and not list((resumed / "series").glob("reps-*"))
    for name in ("price_index", "backlog"):
        assert np.array_equal(
            done.series_quantiles(name), read_results(whole).series_quantiles(name), equal_nan=True
        )


def test_run_and_resume_from_the_command_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path / "res"
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 3)
        result = CliRunner().invoke(
            app, ["run", "baseline", "-n", "5", "--seed", "2", "-w", "1", "-o", str(out), "-q", "--no-plots"]
        )
    assert result.exit_code == 130 and f"--resume {out}" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["run", "--resume", str(out), "-w", "1", "-q", "--no-plots"])
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out / "outcomes.csv")["rep"]) == [0, 1, 2, 3, 4]
    bad = CliRunner().invoke(app, ["run", "--resume", str(tmp_path / "nowhere")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output and "nowhere" in bad.output
