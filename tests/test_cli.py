"""The command line on the real scenario files, and on bad ones."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.results.folder import read_results

from .conftest import SCENARIOS

runner = CliRunner()


def test_list_shows_each_scenario_with_its_description():
    result = runner.invoke(app, ["list"], terminal_width=200)
    assert result.exit_code == 0
    assert "baseline" in result.output
    assert "London framework as of mid-June 2025" in result.output
    assert "green_channel" in result.output


def test_validate_accepts_every_real_scenario():
    files = [str(p) for p in sorted(SCENARIOS.glob("*.toml"))]
    result = runner.invoke(app, ["validate", *files], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == len(files)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["list"],
        ["validate"],
        ["run"],
        ["show"],
        ["sources"],
        ["calibrate"],
        ["compare"],
        ["plot"],
        ["replay"],
        ["diff"],
    ],
)
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    if command:
        assert "Example" in result.output


@pytest.mark.slow
def test_python_dash_m_sim_is_the_same_program():
    result = subprocess.run(
        [sys.executable, "-m", "sim", "list"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "baseline" in result.stdout


def test_bad_file_exits_2_with_file_and_key_and_no_traceback(write_scenario):
    path = write_scenario(
        "bad",
        'extends = "baseline"\ndescription = "bad"\n'
        '[licensing]\nrenewal_probability = { value = 1.5, source = "what-if: x" }\n',
    )
    for command in (["validate", str(path)], ["run", str(path), "--reps", "1"]):
        result = subprocess.run(
            [sys.executable, "-m", "sim", *command], capture_output=True, text=True, check=False
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr + result.stdout
        assert str(path) in result.stderr
        assert "licensing.renewal_probability" in result.stderr
        assert "within [0.0, 1.0]" in result.stderr


def test_unknown_scenario_name_exits_2():
    result = runner.invoke(app, ["run", "no_such_scenario", "--reps", "1"])
    assert result.exit_code == 2
    assert "no such scenario" in result.output


@pytest.mark.slow
def test_run_writes_a_results_folder_that_pandas_opens(tmp_path):
    out = tmp_path / "res"
    result = runner.invoke(
        app,
        [
            "run",
            "baseline",
            "--reps",
            "4",
            "--seed",
            "3",
            "--workers",
            "2",
            "--out",
            str(out),
            "-q",
            "--all",
        ],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    assert "median" in result.output
    for outcome in (
        "backlog_at_deadline",
        "halted_plant_days_auto",
        "first_stoppage_defence",
        "auto_halt_before_june",
        "price_rise_peak_pct",
        "price_rise_may_2025_pct",
        "gdp_loss_q3_pct",
        "gdp_loss_year_end_pct",
    ):
        assert outcome in result.output, outcome

    outcomes = pd.read_csv(out / "outcomes.csv")
    assert list(outcomes["rep"]) == [0, 1, 2, 3]
    assert (outcomes["military_approvals"] == 0).all()
    assert pd.to_datetime(outcomes["backlog_peak_date"]).notna().all()
    params = pd.read_csv(out / "parameters.csv")
    assert "licensing.initial_backlog" in params.columns
    assert params["licensing.initial_backlog"].nunique() == 4
    series = read_results(out).series_frame()
    assert len(series) == 4 * 274 and list(series["rep"].unique()) == [0, 1, 2, 3]
    assert series["date"].min() == pd.Timestamp("2025-04-02")
    assert {"backlog", "approvals", "licences_in_force", "china_us_departures"} <= set(series.columns)
    assert "china_us_shipments_jun" in outcomes.columns
    for sector in ("auto", "electronics_industrial", "aerospace", "defence"):
        for prefix in ("stock", "days_of_cover", "plants_running", "plants_halted", "arrivals"):
            assert f"{prefix}_{sector}" in series.columns
    assert (series["price_index"] >= 100).all()
    assert set(outcomes["auto_halt_before_june"]) <= {0, 1}

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["master_seed"] == 3
    assert manifest["complete"] is True
    assert manifest["reps_completed"] == 4
    assert manifest["scenario"]["name"] == "baseline"
    assert manifest["scenario"]["resolved"]["licensing"]["licence_term_days"]["value"] == 182
    assert manifest["tradesim_version"]
    labels = [m["label"] for m in manifest["key_dates"]]
    assert labels[0] == "Export controls" and "London" in labels and "Truce deadline" in labels
    assert "Court ruling" in labels  # at an uncertain date, marked as approximate

    for name in (
        "backlog_fan",
        "stock_by_sector",
        "plants_halted_by_sector",
        "output_share_by_sector",
        "price_index_fan",
        "gdp_loss_fan",
    ):
        png = out / "plots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 20_000


def test_run_refuses_to_overwrite_results(tmp_path):
    (tmp_path / "keep.txt").write_text("precious")
    result = runner.invoke(app, ["run", "baseline", "--reps", "1", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (tmp_path / "keep.txt").read_text() == "precious"
