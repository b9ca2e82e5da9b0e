"""Luck versus ignorance: the variance split, checked where both parts are known analytically."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.core.clock import Clock
from sim.experiments.variance import nested_outcomes, outcome_table, parameter_set, split_variance
from sim.scenario.loader import load_scenario
from tests.test_sensitivity import TOY_TOML

#: The licence queue alone, every application new: the number filed over T days is
#: Poisson(lambda T) given the arrival rate lambda ~ U(95, 105). So
#: Var(E[N | lambda]) = T^2 Var(lambda) = T^2 * 10^2 / 12 and E[Var(N | lambda)] = T E[lambda] = 100 T.
QUEUE_TOML = (
    TOY_TOML.replace('initial_backlog = { dist = "uniform", low = 0, high = 500 }', "initial_backlog = 0")
    .replace(
        'arrivals_per_day = { dist = "uniform", low = 50, high = 150 }',
        'arrivals_per_day = { dist = "uniform", low = 95, high = 105 }',
    )
    .replace('trusted_firm_share = { dist = "uniform", low = 0, high = 1 }', "trusted_firm_share = 0.5")
)


@pytest.fixture
def queue(tmp_path):
    path = tmp_path / "queue.toml"
    path.write_text(QUEUE_TOML)
    return load_scenario(path)


def test_estimator_recovers_known_components_of_synthetic_data():
    rng = np.random.default_rng(4)
    k, m = 400, 10
    y = rng.normal(0.0, 2.0, size=(k, 1)) + rng.normal(0.0, 1.0, size=(k, m))  # 4 from parameters, 1 chance
    split = split_variance(y, boot=500)
    assert split.parameters == pytest.approx(4.0, rel=0.15)
    assert split.chance == pytest.approx(1.0, rel=0.05)
    assert split.parameters_low < 4.0 < split.parameters_high
    assert split.chance_low < 1.0 < split.chance_high
    assert split.dominant == "parameters"
    pure_chance = split_variance(rng.normal(size=(200, 5)), boot=500)
    assert pure_chance.parameter_share_low == 0.0 and pure_chance.dominant == "chance"


@pytest.mark.slow
def test_split_of_the_licence_queue_matches_the_analytic_components(queue):
    t = Clock(queue.spec.calendar.start, queue.spec.calendar.end).n_days
    nested = nested_outcomes(queue.spec, 5, param_sets=40, seeds=6, workers=1)
    split = split_variance(outcome_table(nested, "applications_total"), "applications_total")
    parameters, chance = t * t * 100 / 12, 100.0 * t
    assert split.parameters_low < parameters < split.parameters_high
    assert split.chance_low < chance < split.chance_high
    assert split.parameter_share_low < parameters / (parameters + chance) < split.parameter_share_high
    assert split.dominant == "parameters"


def test_a_parameter_that_does_nothing_gets_no_share(tmp_path):
    path = tmp_path / "idle.toml"
    path.write_text(
        TOY_TOML.replace(
            'arrivals_per_day = { dist = "uniform", low = 50, high = 150 }', "arrivals_per_day = 100"
        ).replace('initial_backlog = { dist = "uniform", low = 0, high = 500 }', "initial_backlog = 0")
    )
    spec = load_scenario(path).spec
    assert list(parameter_set(spec, 1, 0)) == ["licensing.trusted_firm_share"]
    nested = nested_outcomes(spec, 1, param_sets=20, seeds=5, workers=1)
    split = split_variance(outcome_table(nested, "applications_total"), "applications_total")
    assert split.parameter_share_low == 0.0 and split.dominant == "chance"


def test_nested_runs_are_the_same_on_any_worker_count(queue):
    one = nested_outcomes(queue.spec, 9, param_sets=4, seeds=3, workers=1)
    two = nested_outcomes(queue.spec, 9, param_sets=4, seeds=3, workers=2)
    for name in one[0][0]:
        assert np.array_equal(outcome_table(one, name), outcome_table(two, name), equal_nan=True), name
    # seeds of one parameter set share its parameters, not their luck
    y = outcome_table(one, "applications_total")
    assert len(set(y[0])) > 1


@pytest.mark.slow
def test_cli_variance(queue, tmp_path):
    runner = CliRunner()
    folder = tmp_path / "split"
    result = runner.invoke(
        app,
        [
            "variance",
            str(queue.path),
            "--outcome",
            "applications_total",
            "--param-sets",
            "6",
            "--seeds",
            "3",
            "--seed",
            "2",
            "--workers",
            "1",
            "--out",
            str(folder),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "parameter share" in result.output
    assert (folder / "variance.csv").is_file() and (folder / "plots" / "applications_total.png").is_file()
    rows = (folder / "nested_outcomes.csv").read_text().splitlines()
    assert rows[0].startswith("param_set,seed,rep,") and len(rows) == 1 + 6 * 3
    bad = runner.invoke(app, ["variance", str(queue.path), "--outcome", "gdp_los"])
    assert bad.exit_code == 2 and "unknown gdp_los" in bad.output and "Traceback" not in bad.output
    too_few = runner.invoke(app, ["variance", str(queue.path), "--seeds", "1"])
    assert too_few.exit_code == 2
