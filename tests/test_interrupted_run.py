"""An interrupted run keeps every finished replication and says it is incomplete."""

from __future__ import annotations

import json

import pandas as pd

import sim.experiment as experiment


def test_ctrl_c_keeps_finished_replications(baseline, tmp_path, monkeypatch):
    real = experiment.run_replication
    calls = []

    def interrupted_after_three(*args, **kwargs):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(experiment, "run_replication", interrupted_after_three)
    report = experiment.run_experiment(baseline, reps=10, master_seed=1, out=tmp_path, workers=1)
    assert report.interrupted and report.reps_completed == 3
    assert list(pd.read_csv(tmp_path / "outcomes.csv")["rep"]) == [0, 1, 2]
    assert len(pd.read_csv(tmp_path / "series.csv")) == 3 * 274
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["reps_done"] == [0, 1, 2]
    assert not list(tmp_path.glob("*.part"))
