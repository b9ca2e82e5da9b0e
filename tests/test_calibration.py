"""Sources, the resolved scenario and the calibration table, from the command line and the library."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import sim.experiments.calibration
from sim.cli import app
from sim.experiments.calibration import DERIVED, Target, evaluate, failures, gdp_by_channel, load_targets
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
    gdp = small_runs["baseline"].outcomes["gdp_level_loss_q3_magnet_pct"]  # HSBC: the magnet channel
    assert rows["gdp_loss_q3"].median == f"{np.quantile(gdp, 0.5, method='inverted_cdf'):,.2f}"
    assert failures(list(rows.values())) == [r for r in rows.values() if r.status == "outside"]


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

    import sim.cli

    monkeypatch.setattr(sim.cli, "out", Console(width=400))  # one line per parameter
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


class _Edited:
    """A results folder with some daily series replaced (the rest read from the real one)."""

    def __init__(self, results, **series: np.ndarray):
        self._results, self._series = results, series
        self.dates, self.outcomes, self.folder = results.dates, results.outcomes, results.folder

    def series(self, name: str) -> np.ndarray:
        return self._series[name] if name in self._series else self._results.series(name)


def _no_approvals_before_geneva(results, everywhere: bool = False):
    approvals = results.series("approvals").astype(float).copy()
    geneva = int((np.datetime64("2025-05-12") - results.dates[0]).astype(int))
    approvals[:, : None if everywhere else geneva] = 0.0
    filed = results.series("applications_filed").astype(float).copy()
    if everywhere:
        filed[:] = 0.0  # nothing filed either: every rate is 0, no ratio is defined
    return _Edited(results, approvals=approvals, applications_filed=filed)


@pytest.mark.parametrize("everywhere", [False, True], ids=["none_before_geneva", "none_at_all"])
def test_no_calibration_statistic_is_infinite_or_nan_when_nothing_is_approved_before_geneva(
    small_runs, everywhere
):
    runs = dict(small_runs, baseline=_no_approvals_before_geneva(small_runs["baseline"], everywhere))
    for name in DERIVED:
        values = sim.experiments.calibration.quantity_values(runs["baseline"], name)
        assert np.isfinite(values).all(), name
    rows = {r.target: r for r in evaluate(load_targets(), runs)}
    for r in rows.values():
        for cell in (r.median, r.low, r.high):
            assert cell.lower() not in ("inf", "-inf", "nan") and "inf" not in cell, (r.target, cell)
    # nothing approved before Geneva and some after: faster, a finite difference
    if not everywhere:
        assert rows["exports_faster_after_geneva"].status == "inside"
        assert float(rows["exports_faster_after_geneva"].median.replace(",", "")) > 0
    else:  # nothing at all: not faster, and said so (median 0 is not above 0)
        assert float(rows["exports_faster_after_geneva"].median) == 0.0
        assert rows["exports_faster_after_geneva"].status == "outside"


def test_a_quantity_that_is_nan_is_refused_not_dropped(small_runs):
    results = small_runs["baseline"]
    broken = _Edited(results, backlog=np.full_like(results.series("backlog"), np.nan, dtype=float))
    with pytest.raises(ValueError, match=r"backlog_on_2025_06_10.*NaN or infinite"):
        evaluate(load_targets(), {"baseline": broken})


def test_a_date_that_never_comes_reads_never_not_undefined(small_runs):
    results = small_runs["baseline"]
    never = np.full(results.outcomes["first_stoppage_auto"].shape, np.datetime64("NaT"), "datetime64[D]")
    edited = _Edited(results)
    edited.outcomes = dict(results.outcomes, first_stoppage_auto=never)
    row = next(r for r in evaluate(load_targets(), {"baseline": edited}) if r.target == "first_auto_halt")
    assert (row.median, row.low, row.high) == ("never", "never", "never")
    assert row.status == "outside"


def test_a_ceiling_is_met_by_the_median_and_reports_the_share_above(small_runs):
    results = small_runs["no_deal"]
    target = Target(
        figure="oxford_economics_us_gdp_loss_year_end_no_deal",
        scenario="no_deal",
        quantity="gdp_level_loss_year_end_pct",
        check="ceiling",
    )
    n = results.outcomes["gdp_level_loss_year_end_pct"].size
    for values, inside, share in (
        (np.where(np.arange(n) < n // 2, 0.5, 1.2), True, 50),  # half above 0.9, median on the lower half
        (np.full(n, 1.0), False, 100),
        (np.full(n, 0.9), True, 0),  # on the ceiling is not above it
    ):
        edited = _Edited(results)
        edited.outcomes = dict(results.outcomes, gdp_level_loss_year_end_pct=values)
        (row,) = evaluate({"oxford": target}, {"no_deal": edited})
        assert (row.status == "inside") == inside, values
        assert f"{share}% of replications above 0.9" in row.reason


def test_price_figure_is_unverified_and_shown_under_both_readings(small_runs):
    assert load_registry().figures["magnet_price_rise_may_2025"].reliability == "unverified"
    rows = [r for r in evaluate(load_targets(), small_runs) if r.figure == "magnet_price_rise_may_2025"]
    assert {r.quantity for r in rows} == {"price_rise_may_2025_pct", "price_rise_2025_04_03_to_05_31_pct"}
    assert all(r.status == "shown only" for r in rows)
    assert all("market.price_pressure_per_day" in r.informed for r in rows)
    # the second reading runs from before the controls, so it includes the first
    price = small_runs["baseline"].series("price_index")
    start = int((np.datetime64("2025-04-03") - small_runs["baseline"].dates[0]).astype(int))
    may_31 = int((np.datetime64("2025-05-31") - small_runs["baseline"].dates[0]).astype(int))
    np.testing.assert_allclose(
        DERIVED["price_rise_2025_04_03_to_05_31_pct"][1](small_runs["baseline"]),
        100 * (price[:, may_31] / price[:, start] - 1),
        rtol=1e-5,
    )


def test_price_figure_never_fails_calibrate(tmp_path, monkeypatch):
    """Checked as strictly as any target (figure inside the 90% interval), it still cannot fail the run."""
    text = (
        "[targets.price_strict]\n"
        'figure = "magnet_price_rise_may_2025"\nscenario = "baseline"\n'
        'quantity = "price_rise_may_2025_pct"\ncheck = "median_between"\nlow = 1000.0\nhigh = 2000.0\n'
        "[targets.price_from_before_controls]\n"
        'figure = "magnet_price_rise_may_2025"\nscenario = "baseline"\n'
        'quantity = "price_rise_2025_04_03_to_05_31_pct"\ncheck = "figure_in_interval"\n'
    )
    (tmp_path / "calibration.toml").write_text(text)
    monkeypatch.setattr(sim.experiments.calibration, "targets_path", lambda: tmp_path / "calibration.toml")
    result = runner.invoke(app, ["calibrate", "--reps", "3", "--workers", "1"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "price_strict" in result.output and "price_from_before_controls" in result.output
    assert "figure is unverified: not a target" in result.output
    assert "outside" not in result.output


def test_ranges_set_after_seeing_a_target_name_real_parameters():
    from sim.scenario.loader import load_scenario as load

    named = 0
    for name, target in load_targets().items():
        params = {path for path, _ in iter_parameters(load(target.scenario).spec)}
        for path in target.informed:
            assert path in params, f"{name}: informed names {path!r}, not a parameter of {target.scenario}"
            named += 1
    assert named >= 3  # price pressure, allocation, initial backlog at least


def test_gdp_by_channel_adds_up_and_uses_the_matching_channel(small_runs):
    rows = gdp_by_channel(small_runs)
    assert {(g.scenario, g.measure) for g in rows} >= {
        ("baseline", "gdp_level_loss_q3"),
        ("no_deal", "gdp_level_loss_year_end"),
    }
    targets = load_targets()
    assert targets["gdp_loss_q3"].quantity == "gdp_level_loss_q3_magnet_pct"  # HSBC: the rare-earth shock
    assert targets["gdp_loss_year_end_no_deal"].check == "ceiling"  # Oxford: "up to"
    for g in rows:
        assert set(g.cells) == {"magnet", "tariff", "total"}
        assert all(np.isfinite(x) for cell in g.cells.values() for x in cell)
