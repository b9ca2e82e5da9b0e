"""Predict, then reveal: scoring rules against hand-computed values, the class file, and the command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.workshop.forecast import ForecastError, append_forecast, read_forecasts, score_forecasts
from sim.workshop.scoring import brier_score, crps_floor, crps_quantiles

runner = CliRunner()
LEVELS = (0.05, 0.5, 0.95)


# --- scoring rules -----------------------------------------------------------------------------


def test_brier_score_matches_the_hand_computed_mean_of_squared_errors():
    # (0.3-1)^2 = 0.49, (0.3-0)^2 = 0.09: (0.49 + 0.09 + 0.09 + 0.49) / 4
    assert brier_score(0.3, np.array([1, 0, 0, 1])) == pytest.approx(0.29)
    # the frequency itself scores f(1-f)
    assert brier_score(0.5, np.array([1, 0, 0, 1])) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        (0.5, 1 / 12),  # integral of x^2 on [0, .5] plus (1-x)^2 on [.5, 1]
        (0.2, (0.2**3 + 0.8**3) / 3),
        (2.0, 1 / 3 + 1.0),  # F^2 on [0, 1] is 1/3; F = 1 from 1 to 2 adds 1
        (-1.0, 1.0 + 1 / 3),  # (1 - F)^2 = 1 from -1 to 0, then 1/3 on [0, 1]
    ],
)
def test_crps_of_quantiles_of_a_uniform_distribution_matches_the_closed_form(observed, expected):
    # 5/50/95% quantiles at 0.05/0.5/0.95 and uniform tails make exactly the uniform CDF on [0, 1]
    assert crps_quantiles(LEVELS, (0.05, 0.5, 0.95), np.array([observed])) == pytest.approx(expected)


def test_crps_of_a_forecast_with_all_quantiles_equal_is_the_absolute_error():
    sample = np.array([0.2, 1.0, 3.5])
    assert crps_quantiles(LEVELS, (1.0, 1.0, 1.0), sample) == pytest.approx(np.mean(np.abs(sample - 1.0)))


def test_crps_floor_is_half_the_mean_absolute_difference_of_two_runs():
    # pairs (0,0) (0,1) (1,0) (1,1): mean |difference| 0.5, half of it 0.25
    assert crps_floor(np.array([0.0, 1.0])) == pytest.approx(0.25)
    sample = np.random.default_rng(0).normal(size=3000)
    assert crps_floor(sample) == pytest.approx(1 / np.sqrt(np.pi), rel=0.02)  # N(0,1): 1/sqrt(pi)


def test_a_forecast_equal_to_the_simulated_distribution_beats_biased_ones():
    rng = np.random.default_rng(5)
    quantity = rng.lognormal(0.0, 0.5, 400)
    event = (rng.uniform(size=400) < 0.3).astype(float)
    true = tuple(np.quantile(quantity, LEVELS))
    right = crps_quantiles(LEVELS, true, quantity)
    assert right < crps_quantiles(LEVELS, tuple(v + 0.4 for v in true), quantity)  # off-centre
    assert right < crps_quantiles(LEVELS, (true[1] - 0.05, true[1], true[1] + 0.05), quantity)  # too sure
    assert right < crps_quantiles(LEVELS, (0.0, true[1], 3 * true[2]), quantity)  # too vague
    assert crps_floor(quantity) <= right
    frequency = event.mean()
    assert brier_score(frequency, event) < brier_score(frequency + 0.2, event)
    assert brier_score(frequency, event) < brier_score(frequency - 0.2, event)


def test_the_scoreboard_ranks_the_calibrated_participant_first(tmp_path):
    rng = np.random.default_rng(2)
    quantity = rng.normal(1.0, 0.3, 300)
    event = (rng.uniform(size=300) < 0.4).astype(float)
    file = tmp_path / "class.csv"
    true = tuple(np.quantile(quantity, LEVELS))
    append_forecast(
        file, "calibrated", {"deadline_snap_back": 0.4}, {"gdp_loss_year_end_pct": (LEVELS, true)}
    )
    append_forecast(
        file, "gloomy", {"deadline_snap_back": 0.9}, {"gdp_loss_year_end_pct": (LEVELS, (1, 2, 3))}
    )
    board = score_forecasts(
        read_forecasts(file), {"deadline_snap_back": event, "gdp_loss_year_end_pct": quantity}
    )
    assert [name for name, _ in board.ranking()] == ["calibrated", "gloomy"]
    assert board.ranking()[0][1] == 1.0


# --- the class file ----------------------------------------------------------------------------

HEADER = "name,outcome,quantile,value,submitted\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Ana,deadline_snapback,,0.3,\n", "line 2: column 'outcome': 'deadline_snapback' is not a yes/no"),
        ("Ana,deadline_snap_back,,30,\n", "a probability must be from 0 to 1, got 30 (write 30% as 0.3)"),
        ("Ana,deadline_snap_back,,high,\n", "line 2: column 'value' must be a number, got 'high'"),
        ("Ana,gdp_loss_year_end_pct,5,0.4,\n", "line 2: column 'quantile' must be a level between 0 and 1"),
        (
            "Ana,gdp_loss_year_end_pct,0.05,1.2,\nAna,gdp_loss_year_end_pct,0.5,0.9,\n",
            "lines 2, 3: Ana's forecast of gdp_loss_year_end_pct: the 50% quantile (0.9) is below",
        ),
        ("Ana,first_stoppage_auto,0.5,2025-06-01,\n", "must be a number"),
        ("Ana,first_stoppage_auto,0.5,3,\n", "'first_stoppage_auto' is not a numeric outcome (a date"),
        (",deadline_snap_back,,0.3,\n", "line 2: column 'name' is empty"),
    ],
)
def test_a_bad_forecasts_file_is_refused_naming_line_column_and_what_is_allowed(tmp_path, body, message):
    file = tmp_path / "class.csv"
    file.write_text(HEADER + body)
    with pytest.raises(ForecastError) as caught:
        read_forecasts(file)
    assert any(message in p for p in caught.value.problems), caught.value.problems
    assert all(str(file) in p for p in caught.value.problems)


def test_replacing_a_forecast_keeps_everyone_else(tmp_path):
    file = tmp_path / "class.csv"
    append_forecast(file, "Ana", {"deadline_snap_back": 0.3}, {"gdp_loss_year_end_pct": (LEVELS, (0, 1, 2))})
    append_forecast(file, "Ben", {"deadline_snap_back": 0.6}, {"gdp_loss_year_end_pct": (LEVELS, (1, 2, 3))})
    with pytest.raises(ForecastError, match="Ana has already forecast"):
        append_forecast(file, "Ana", {"deadline_snap_back": 0.1}, {})
    append_forecast(
        file,
        "Ana",
        {"deadline_snap_back": 0.1},
        {"gdp_loss_year_end_pct": (LEVELS, (0, 0.5, 1))},
        replace=True,
    )
    forecasts = read_forecasts(file)
    assert sorted(forecasts.names) == ["Ana", "Ben"]
    assert {f.name: f.probability for f in forecasts.probabilities} == {"Ana": 0.1, "Ben": 0.6}
    assert {f.name: f.values for f in forecasts.quantiles}["Ana"] == (0, 0.5, 1)


def test_a_spreadsheet_export_with_a_byte_order_mark_is_read(tmp_path):
    file = tmp_path / "class.csv"
    file.write_bytes(("\ufeff" + HEADER + "Ana,deadline_snap_back,,0.3,\n").encode("utf-8"))
    assert read_forecasts(file).probabilities[0].probability == 0.3
    file.write_bytes((HEADER + "Zoë,deadline_snap_back,,0.3,\n").encode("latin-1"))
    with pytest.raises(ForecastError, match="not UTF-8 text"):
        read_forecasts(file)


def test_a_file_without_the_columns_names_the_columns_expected(tmp_path):
    file = tmp_path / "class.csv"
    file.write_text("participant,p\nAna,0.3\n")
    with pytest.raises(ForecastError) as caught:
        read_forecasts(file)
    assert "missing column(s) name, outcome, quantile, value" in str(caught.value)


# --- the command, on a real (tiny) run ---------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forecast") / "run"
    result = runner.invoke(
        app,
        [
            "run",
            "baseline",
            "--reps",
            "6",
            "--seed",
            "3",
            "-w",
            "1",
            "--no-plots",
            "-q",
            "--out",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.output
    return folder


def test_forecast_add_then_score_ranks_the_class_and_draws_the_reveal(tiny_run, tmp_path):
    file = tmp_path / "class.csv"
    add = ["forecast", "add", str(file)]
    first = runner.invoke(app, [*add, "--name", "Ana", "--probability", "30%", "--quantiles", "0.4,0.9,1.8"])
    assert first.exit_code == 0, first.output
    # typed at the prompts, with a mistake corrected on the way
    second = runner.invoke(app, [*add, "--name", "Ben"], input="55\n2,1,3\n1.5,2.5,4\n")
    assert second.exit_code == 0, second.output
    assert "below the 5% quantile" in second.output
    again = runner.invoke(app, [*add, "--name", "Ben", "--probability", "10", "--quantiles", "1,2,3"])
    assert again.exit_code == 2
    assert "Ben has already forecast (use --replace" in again.output

    result = runner.invoke(app, ["forecast", "score", str(file), str(tiny_run)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "6 replications of baseline" in result.output
    scores = pd.read_csv(tiny_run / "forecast_scores.csv")
    people = scores[scores.reference == 0]
    assert set(people.name) == {"Ana", "Ben"}
    assert set(scores.rule) == {"brier", "crps"}
    # the table's scores are the scoring rules applied to the run's own outcomes
    outcomes = pd.read_csv(tiny_run / "outcomes.csv")
    ana = people.set_index(["name", "outcome"]).score
    assert ana["Ana", "deadline_snap_back"] == pytest.approx(
        brier_score(0.3, outcomes.deadline_snap_back.to_numpy()), rel=1e-5
    )
    assert ana["Ana", "gdp_loss_year_end_pct"] == pytest.approx(
        crps_quantiles(LEVELS, (0.4, 0.9, 1.8), outcomes.gdp_loss_year_end_pct.to_numpy()), rel=1e-5
    )
    assert (tiny_run / "plots" / "forecasts_gdp_loss_year_end_pct_deadline_snap_back.png").stat().st_size > 0


def test_forecast_score_runs_the_scenario_when_no_results_folder_is_given(tmp_path):
    file = tmp_path / "class.csv"
    append_forecast(file, "Ana", {"deadline_deal": 0.2}, {"halted_plant_days_auto": ((0.1, 0.9), (10, 500))})
    out = tmp_path / "run"
    args = ["forecast", "score", str(file), "--reps", "3", "--seed", "1", "-w", "1", "--out", str(out)]
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert (out / "outcomes.csv").is_file()
    assert "halted_plant_days_auto" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "{file}", "--name", "Cy", "--quantity", "gdp_loss"], "'gdp_loss' is not a numeric outcome"),
        (["add", "{file}", "--name", "Cy", "--probability", "140"], "must be a percentage from 0 to 100"),
        (["add", "{file}", "--name", "Cy", "--levels", "50,5"], "at least two increasing percentages"),
        (["score", "{bad}", "{run}"], "line 2: column 'value': a probability must be from 0 to 1"),
        (["score", "{missing}", "{run}"], "no such forecasts file"),
        (["score", "{file}", "{nowhere}"], "not a results folder"),
    ],
)
def test_forecast_refuses_bad_input_with_a_clear_error(tiny_run, tmp_path, args, message):
    file = tmp_path / "class.csv"
    append_forecast(
        file, "Ana", {"deadline_snap_back": 0.3}, {"gdp_loss_year_end_pct": (LEVELS, (0.4, 1, 2))}
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Ana,deadline_snap_back,,30,\n")
    names = {"file": file, "bad": bad, "missing": tmp_path / "none.csv", "run": tiny_run, "nowhere": tmp_path}
    result = runner.invoke(app, ["forecast", *(a.format(**names) for a in args)], terminal_width=300)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["forecast"], ["forecast", "add"], ["forecast", "score"]])
def test_forecast_commands_have_help_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "tradesim forecast" in result.output
    if len(command) > 1:
        assert "Example" in result.output
