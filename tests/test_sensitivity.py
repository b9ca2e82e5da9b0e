"""Sensitivity analysis ranks parameters correctly on a toy with a known answer."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.queueing import mmc_scenario
from sim.experiments.sensitivity import run_sensitivity
from sim.scenario.schema import Scenario


def _toy() -> Scenario:
    """The licence queue alone, 60 days, no renewals or re-applications.

    Applications filed = initial backlog + Poisson filings, so the filing rate
    dominates, the backlog matters less, and the share of trusted firms (which
    only changes review lanes) cannot change the count at all.
    """
    base = mmc_scenario(100.0, 10, 0.1, 60).model_dump()
    lic = base["licensing"]
    lic["arrivals_per_day"] = {"dist": "uniform", "low": 50, "high": 150}
    lic["initial_backlog"] = {"dist": "uniform", "low": 0, "high": 500}
    lic["trusted_firm_share"] = {"dist": "uniform", "low": 0, "high": 1}
    base["calendar"]["truce_deadline"] = dt.date(2025, 1, 1)
    return Scenario.model_validate(_plain(base))


def _plain(node):
    """model_dump keeps Fixed/Uniform as dicts with every field; drop the None ones."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items() if v is not None}
    return node


def test_morris_ranks_the_dominant_parameter_first_and_the_idle_one_last():
    result = run_sensitivity(_toy(), "applications_total", "morris", samples=8, seed=3)
    names = [result.names[i] for i in result.ranked()]
    assert names[0] == "licensing.arrivals_per_day"
    assert names[1] == "licensing.initial_backlog"
    idle = result.names.index("licensing.trusted_firm_share")
    assert result.index[idle] == 0.0  # common random numbers: it changes nothing, exactly


@pytest.mark.slow
def test_sobol_gives_the_idle_parameter_no_share():
    result = run_sensitivity(_toy(), "applications_total", "sobol", samples=32, seed=3)
    idle = result.names.index("licensing.trusted_firm_share")
    top = result.names.index("licensing.arrivals_per_day")
    assert abs(result.index[idle]) < 0.02
    assert result.index[top] > 0.8
    assert np.isfinite(result.conf).all()


TOY_TOML = """
name = "toy"
description = "licence queue alone, for a sensitivity test"
draft = true   # a toy: its parameters cite no sources

[calendar]
start = 2025-01-01
end = 2025-03-01
truce_deadline = 2025-01-01

[licensing]
controls_start = 2025-01-01
initial_backlog = { dist = "uniform", low = 0, high = 500 }
arrivals_per_day = { dist = "uniform", low = 50, high = 150 }
licence_term_days = 182
renewal_probability = 0.0
renewal_lead_days = 0
reapply_probability = 0.0
reapply_delay_days = 0
trusted_firm_share = { dist = "uniform", low = 0, high = 1 }
sector_share = { auto = 1, electronics_industrial = 0, aerospace = 0, defence = 0 }
destination_share = { us = 0, eu = 0, other = 1 }
military_share = { auto = 0, electronics_industrial = 0, aerospace = 0, defence = 0 }

[licensing.review]
review_capacity_per_day = 100
mean_review_days = 0.1
min_review_days = 0
approval_probability = { auto = 0.5, electronics_industrial = 0.5, aerospace = 0.5, defence = 0.5 }
fast_track = false
fast_track_min_review_days = 0
fast_track_approval_probability = 0.5
green_channel = false
green_channel_min_review_days = 0
europe_first = false
military_handling = "hold"
military_approval_probability = 0.0
"""


@pytest.mark.slow
def test_sensitivity_command_writes_a_table_and_a_chart(tmp_path):
    toy = tmp_path / "toy.toml"
    toy.write_text(TOY_TOML)
    result = CliRunner().invoke(
        app,
        [
            "sensitivity",
            str(toy),
            "--outcome",
            "applications_total",
            "--samples",
            "6",
            "-w",
            "1",
            "--out",
            str(tmp_path),
            "--top",
            "3",
        ],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "sensitivity_toy_applications_total_morris.csv").read_text().splitlines()
    assert rows[1].startswith("licensing.arrivals_per_day,")
    assert rows[-1].startswith("licensing.trusted_firm_share,0.0,")
    png = tmp_path / "sensitivity_toy_applications_total_morris.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = CliRunner().invoke(app, ["sensitivity", str(toy), "--outcome", "nope"])
    assert bad.exit_code == 2 and "unknown outcome" in bad.output


def test_sweep_grid_writes_design_columns_and_the_outcome_follows_the_parameter(tmp_path):
    import pandas as pd

    toy = tmp_path / "toy.toml"
    toy.write_text(TOY_TOML)
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            str(toy),
            "--vary",
            "licensing.arrivals_per_day=50:150:3",
            "--reps",
            "2",
            "-w",
            "1",
            "--out",
            str(out),
            "--outcome",
            "applications_total",
        ],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "outcomes.csv")
    assert list(table.columns[:3]) == ["point", "licensing.arrivals_per_day", "rep"]
    assert len(table) == 6 and sorted(table["licensing.arrivals_per_day"].unique()) == [50, 100, 150]
    medians = table.groupby("licensing.arrivals_per_day")["applications_total"].median()
    assert medians.is_monotonic_increasing
    # common random numbers: replication r of every point shares its backlog draw
    assert table.groupby("rep")["rep"].count().eq(3).all()
    assert (out / "plots" / "applications_total_sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_sweep_latin_hypercube_and_clear_errors(tmp_path):
    import pandas as pd

    toy = tmp_path / "toy.toml"
    toy.write_text(TOY_TOML)
    out = tmp_path / "lhs"
    args = [
        "sweep",
        str(toy),
        "--vary",
        "licensing.arrivals_per_day=50:150",
        "--vary",
        "licensing.initial_backlog=0:400",
        "--lhs",
        "5",
        "--reps",
        "1",
        "-w",
        "1",
        "--out",
    ]
    result = CliRunner().invoke(app, [*args, str(out), "--outcome", "applications_total"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "outcomes.csv")
    assert len(table) == 5 and table["licensing.initial_backlog"].between(0, 400).all()
    bad = CliRunner().invoke(
        app, ["sweep", str(toy), "--vary", "licensing.no_such=1:2", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2 and "not a parameter" in bad.output
    bad = CliRunner().invoke(
        app, ["sweep", str(toy), "--vary", "licensing.trusted_firm_share=0:2:3", "--out", str(tmp_path / "y")]
    )
    assert bad.exit_code == 2 and "not a valid scenario" in bad.output and "Traceback" not in bad.output


@pytest.mark.slow
def test_discover_finds_the_parameter_behind_an_outcome(tmp_path, monkeypatch):
    from rich.console import Console

    import sim.cli.ui as ui
    from sim.experiments.run import run_experiment
    from sim.scenario.loader import load_scenario

    monkeypatch.setattr(ui, "out", Console(width=240))  # one box a line, to read it back

    toy = tmp_path / "toy.toml"
    toy.write_text(TOY_TOML)
    out = tmp_path / "toy_run"
    run_experiment(load_scenario(toy), 80, 5, out, workers=1)
    result = CliRunner().invoke(
        app, ["discover", str(out), "--outcome", "applications_total", "--above", "7000"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "(chosen)" in result.output
    chosen = next(line for line in result.output.splitlines() if "(chosen)" in line)
    assert "licensing.arrivals_per_day >" in chosen  # many filings a day: many applications
    assert "parameters that matter (tree): licensing.arrivals_per_day" in result.output
    prim_row = next(line for line in result.output.splitlines() if "PRIM:" in line)
    assert "licensing.arrivals_per_day >=" in prim_row and "holds" in prim_row  # and on held-out runs
    assert "trusted_firm_share" not in result.output  # it cannot change the count
    assert (out / "plots" / "discover_applications_total_7000.png").is_file()
    none = CliRunner().invoke(
        app, ["discover", str(out), "--outcome", "applications_total", "--above", "1e9"]
    )
    assert none.exit_code == 2 and "nothing to separate" in none.output


@pytest.mark.slow
def test_sweep_gives_the_same_table_serial_in_processes_and_on_dask(tmp_path):
    toy = tmp_path / "toy.toml"
    toy.write_text(TOY_TOML)
    tables = []
    for name, extra in (
        ("serial", ["-w", "1"]),
        ("procs", ["-w", "2"]),
        ("dask", ["-w", "2", "--dask", "local"]),
    ):
        out = tmp_path / name
        result = CliRunner().invoke(
            app,
            [
                "sweep",
                str(toy),
                "--vary",
                "licensing.initial_backlog=0:400:3",
                "--reps",
                "2",
                *extra,
                "--out",
                str(out),
                "--outcome",
                "applications_total",
            ],
        )
        assert result.exit_code == 0, result.output
        tables.append((out / "outcomes.csv").read_bytes())
    assert tables[0] == tables[1] == tables[2]


def test_an_interrupted_sweep_resumes_to_the_same_table(tmp_path):
    import json

    from sim.experiments.sweep import Vary, design_points, run_sweep
    from sim.scenario.loader import load_scenario

    toy = tmp_path / "toy.toml"
    toy.write_text(TOY_TOML)
    loaded = load_scenario(toy)
    varies = [Vary("licensing.arrivals_per_day", 50, 150, 4)]
    points = design_points(varies)
    full = run_sweep(loaded, varies, points, 2, 9, tmp_path / "full")
    assert not full.interrupted and full.points_done == 4

    calls = []

    def stop_after_two_points(n):
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    cut = run_sweep(loaded, varies, points, 2, 9, tmp_path / "cut", progress=stop_after_two_points)
    assert cut.interrupted and cut.points_done == 2
    manifest = json.loads((tmp_path / "cut" / "manifest.json").read_text())
    assert manifest["complete"] is False and manifest["points_done"] == 2
    result = CliRunner().invoke(
        app, ["sweep", "--resume", str(tmp_path / "cut"), "-w", "1", "--outcome", "applications_total"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cut" / "outcomes.csv").read_bytes() == (
        tmp_path / "full" / "outcomes.csv"
    ).read_bytes()
    assert json.loads((tmp_path / "cut" / "manifest.json").read_text())["complete"] is True


# --- narrower studies for the classroom: some parameters, or groups of them --------------------


def test_a_study_of_some_parameters_holds_the_others_at_their_median():
    toy = _toy()
    result = run_sensitivity(
        toy,
        "applications_total",
        "morris",
        samples=4,
        seed=3,
        parameters=["licensing.arrivals_per_day"] * 2 + ["licensing.trusted_firm_share"],
    )
    assert result.names == ["licensing.arrivals_per_day", "licensing.trusted_firm_share"]
    assert result.design.shape == (4 * 3, 2)
    assert result.index[result.names.index("licensing.trusted_firm_share")] == 0.0
    # with the same filing rate, the backlog held at its median (250 of 0-500) gives the same count
    same = result.design[:, 0] == result.design[0, 0]
    assert np.ptp(result.values[same]) == 0.0


def test_groups_of_parameters_get_one_index_each():
    groups = {
        "licensing.arrivals_per_day": "filings",
        "licensing.initial_backlog": "filings",
        "licensing.trusted_firm_share": "review lanes",
    }
    result = run_sensitivity(_toy(), "applications_total", "morris", samples=4, seed=3, groups=groups)
    assert sorted(result.names) == ["filings", "review lanes"]
    assert result.names[result.ranked()[0]] == "filings"
    assert result.index[result.names.index("review lanes")] == 0.0


def test_an_unknown_parameter_is_refused_by_name():
    import pytest

    with pytest.raises(ValueError) as caught:
        run_sensitivity(
            _toy(), "applications_total", parameters=["licensing.no_such", "licensing.initial_backlog"]
        )
    assert "not uncertain parameters of mmc: licensing.no_such" in str(caught.value)
    assert "uncertain ones: licensing.arrivals_per_day" in str(caught.value)


def test_an_interrupted_sensitivity_analysis_resumes_to_the_same_indices(tmp_path):
    import pytest

    from sim.experiments.sensitivity import SensitivityInterrupted

    whole = run_sensitivity(_toy(), "applications_total", "morris", samples=4, seed=3, folder=tmp_path / "w")
    calls = []

    def stop_after_five_runs(n):
        calls.append(n)
        if sum(calls) >= 5:
            raise KeyboardInterrupt

    with pytest.raises(SensitivityInterrupted) as stop:
        run_sensitivity(
            _toy(),
            "applications_total",
            "morris",
            4,
            3,
            folder=tmp_path / "cut",
            progress=stop_after_five_runs,
        )
    assert stop.value.done == 5 and stop.value.total == len(whole.design)
    kept = (tmp_path / "cut" / "evaluations.csv").read_text().splitlines()
    assert len(kept) == 1 + 5 and not list((tmp_path / "cut").glob("*.part"))
    simulated = []
    resumed = run_sensitivity(
        _toy(),
        "applications_total",
        "morris",
        4,
        3,
        workers=2,
        folder=tmp_path / "cut",
        resume=True,
        progress=simulated.append,
    )
    assert simulated[0] == 5 and sum(simulated) == len(whole.design)  # the kept runs are not run again
    assert np.array_equal(resumed.values, whole.values)
    assert np.array_equal(resumed.index, whole.index)
    assert (tmp_path / "cut" / "evaluations.csv").read_bytes() == (
        tmp_path / "w" / "evaluations.csv"
    ).read_bytes()


@pytest.mark.slow
def test_sensitivity_resume_from_the_command_line(tmp_path, monkeypatch):
    import sim.experiments.sensitivity as sensitivity

    toy = tmp_path / "toy.toml"
    toy.write_text(TOY_TOML)
    real = sensitivity._evaluate
    calls = []

    def ctrl_c_on_the_fourth_run(*args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args)

    args = ["--outcome", "applications_total", "--samples", "4", "-w", "1"]
    monkeypatch.setattr(sensitivity, "_evaluate", ctrl_c_on_the_fourth_run)
    cut = CliRunner().invoke(app, ["sensitivity", str(toy), *args, "--out", str(tmp_path / "cut")])
    runs = tmp_path / "cut" / "sensitivity_toy_applications_total_morris"
    assert cut.exit_code == 130 and "kept 3 of 16 model runs" in cut.output
    assert f"--resume {runs}" in " ".join(cut.output.split())
    monkeypatch.setattr(sensitivity, "_evaluate", real)
    done = CliRunner().invoke(app, ["sensitivity", "--resume", str(runs), "-w", "1"])
    assert done.exit_code == 0, done.output
    whole = CliRunner().invoke(app, ["sensitivity", str(toy), *args, "--out", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    name = "sensitivity_toy_applications_total_morris.csv"
    assert (tmp_path / "cut" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    bad = CliRunner().invoke(app, ["sensitivity", "--resume", str(tmp_path / "nowhere")])
    assert bad.exit_code == 2 and "no manifest.json" in bad.output and "Traceback" not in bad.output
