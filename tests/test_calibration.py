"""Sources, the resolved scenario and the calibration table, from the command line and the library."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.calibration import DERIVED, evaluate, failures, load_targets
from sim.experiments.run import run_experiment
from sim.results.folder import read_results
from sim.scenario.loader import load_scenario
from sim.scenario.sampling import iter_parameters
from sim.scenario.sources import load_registry

from .conftest import SCENARIOS

runner = CliRunner()


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    """Four replications of each scenario that calibration targets use."""
    base = tmp_path_factory.mktemp("calib")
    out = {}
    for name in sorted({t.scenario for t in load_targets().values()}):
        run_experiment(load_scenario(name), 4, 11, base / name, workers=1)
        out[name] = read_results(base / name)
    return out


def test_targets_name_real_figures_and_computable_quantities(small_runs):
    registry = load_registry().figures
    for name, target in load_targets().items():
        assert target.figure in registry, name
        results = small_runs[target.scenario]
        assert target.quantity in DERIVED or target.quantity in results.outcomes, name


def test_calibration_rows_come_from_the_results_tables(small_runs):
    rows = {r.target: r for r in evaluate(load_targets(), small_runs)}
    assert set(rows) == set(load_targets())
    # the unverified "five licences by June 7" is shown beside the model, never checked
    assert rows["licences_issued_by_june_7"].status == "shown only"
    assert "unverified" in rows["licences_issued_by_june_7"].reason
    # the GDP row's median is the median of the outcome column the run wrote
    import numpy as np

    gdp = small_runs["baseline"].outcomes["gdp_loss_q3_pct"]
    assert rows["gdp_loss_q3"].median == f"{np.quantile(gdp, 0.5, method='inverted_cdf'):,.2f}"
    assert all(r.status in ("inside", "outside") for r in failures(list(rows.values())) or rows.values())
    assert all(r.status == "outside" for r in failures(list(rows.values())))


def test_every_parameter_of_every_scenario_names_a_source():
    known = set(load_registry().figures)
    for path in sorted(SCENARIOS.glob("*.toml")):
        spec = load_scenario(path).spec
        for param, dist in iter_parameters(spec):
            assert dist.source, f"{path.name}: {param} has no source"
            assert dist.source.startswith(("fig:", "assumption:", "what-if:")), f"{path.name}: {param}"
            if dist.source.startswith("fig:"):
                assert dist.source.removeprefix("fig:").split()[0] in known, f"{path.name}: {param}"


def test_sources_lists_the_registry_and_shows_one_figure():
    result = runner.invoke(app, ["sources"], terminal_width=200)
    assert result.exit_code == 0
    assert "magnet_price_rise_may_2025" in result.output and "unverified" in result.output
    result = runner.invoke(app, ["sources", "--figure", "geneva_truce_deadline"], terminal_width=200)
    assert result.exit_code == 0
    assert "baseline:calendar.truce_deadline" in result.output
    result = runner.invoke(app, ["sources", "--figure", "no_such_figure"], terminal_width=200)
    assert result.exit_code == 2


def test_show_prints_every_parameter_with_its_source(monkeypatch):
    from rich.console import Console

    import sim.cli.ui

    monkeypatch.setattr(sim.cli.ui, "out", Console(width=400))  # one line per parameter
    result = runner.invoke(app, ["show", "no_deal"])
    assert result.exit_code == 0, result.output
    assert "negotiation.decision_points.truce_deadline.force_us" in result.output
    assert "what-if: no deal" in result.output
    assert "fig:export_licence_term_months" in result.output
    assert "no_deal" in result.output and "baseline" in result.output  # the file that set each


def test_calibrate_prints_the_table_and_exits_by_the_reliable_targets(tmp_path):
    result = runner.invoke(
        app,
        ["calibrate", "baseline", "--reps", "3", "--workers", "1", "--out", str(tmp_path)],
        terminal_width=200,
    )
    assert result.exit_code in (0, 1), result.output
    for name, target in load_targets().items():
        if target.scenario == "baseline":
            assert name in result.output
    assert "shown only" in result.output
    assert ("reliable target(s) outside" in result.output) == (result.exit_code == 1)
    assert (tmp_path / "baseline" / "outcomes.csv").is_file()


def test_calibrate_refuses_a_scenario_without_targets():
    result = runner.invoke(app, ["calibrate", "green_channel", "--reps", "2"], terminal_width=200)
    assert result.exit_code == 2
    assert "no calibration targets for green_channel" in result.output
