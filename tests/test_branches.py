"""Forked branches: one history up to a decision point, then each branch from a copy of the state."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.branches import (
    branch_scenario,
    fork_point,
    parse_weights,
    read_branches,
    reweight,
    run_branches,
    run_forked,
    select_branches,
    weighted_quantiles,
)
from sim.model.replication import simulate
from sim.scenario.loader import load_scenario

SEED = 11


def _same(a: dict, b: dict) -> list[str]:
    """Names whose values differ (NaN equals NaN)."""
    return [k for k in a if not np.array_equal(np.asarray(a[k]), np.asarray(b[k]), equal_nan=True)]


@pytest.mark.parametrize("rep", [0, 1])
def test_branches_share_history_and_each_equals_its_forced_scenario_run_from_the_start(baseline, rep):
    point = fork_point(baseline.spec, "2025-08-10")
    specs = {b: branch_scenario(baseline, point, b).spec for b in point.branches}
    forked = run_forked(baseline.spec, specs, point, SEED, rep)
    day = forked.fork_day
    plain, _ = simulate(baseline.spec, SEED, rep)
    plain_series = plain.series()
    for branch, result in forked.results.items():
        # history before the fork: identical to the unforked run in every series
        before = {k: v[:day] for k, v in result.series.items()}
        assert not _same(before, {k: v[:day] for k, v in plain_series.items()}), branch
        # after it: bit-identical to running the forced scenario from day 0 (the copy lost nothing)
        rerun, _ = simulate(specs[branch], SEED, rep)
        assert not _same(result.series, rerun.series()), branch
        assert not _same(result.outcomes, rerun.outcomes()), branch
    # the branches differ after the fork (a fork that changes nothing would pass the checks above)
    assert _same(forked.results["deal"].outcomes, forked.results["snap_back"].outcomes)
    # the unforked run is one of its branches: the one its drawn decisions led to
    drawn = next(d.outcome for d in plain.negotiation.decisions if d.kind == "deadline")
    assert not _same(plain.outcomes(), forked.results[drawn].outcomes)
    assert sum(forked.probability.values()) == pytest.approx(1.0)
    assert all(0.0 <= p <= 1.0 for p in forked.probability.values())


def test_forking_at_unscripted_talks_by_name_with_an_uncertain_date():
    snap = load_scenario("snap_back")
    point = select_branches(
        fork_point(snap.spec, "october_talks"), ["us-concede_china-concede", "us-escalate_china-hold"]
    )
    specs = {b: branch_scenario(snap, point, b).spec for b in point.branches}
    forked = run_forked(snap.spec, specs, point, SEED, 2)
    for branch, result in forked.results.items():
        rerun, _ = simulate(specs[branch], SEED, 2)
        assert not _same(result.outcomes, rerun.outcomes()), branch
    # the two branches part after the fork
    assert _same(
        forked.results["us-concede_china-concede"].series, forked.results["us-escalate_china-hold"].series
    )
    us_concede = forked.probability["us-concede_china-concede"]
    assert 0.0 < us_concede < 1.0


def test_forking_at_scripted_london_rewrites_history_only_in_other_branches(baseline):
    """London is history: the branch that keeps its decisions is the baseline itself; another
    branch drops the dated events that carried London's terms and gets the model's own effects."""
    point = select_branches(
        fork_point(baseline.spec, "2025-06-10"), ["us-concede_china-concede", "us-escalate_china-escalate"]
    )
    assert point.name == "london" and point.history == ("concede", "concede")
    assert set(point.carried_by) == {("licensing", "london"), ("tariffs", "london_terms")}
    specs = {b: branch_scenario(baseline, point, b).spec for b in point.branches}
    forked = run_forked(baseline.spec, specs, point, SEED, 0)
    plain, _ = simulate(baseline.spec, SEED, 0)
    history = forked.results["us-concede_china-concede"]
    assert not _same(history.outcomes, plain.outcomes())
    escalated = forked.results["us-escalate_china-escalate"]
    rerun, _ = simulate(specs["us-escalate_china-escalate"], SEED, 0)
    assert not _same(escalated.series, rerun.series())
    day = forked.fork_day
    # escalation at talks turns chip controls on; London's terms (a 55% US tariff) never arrive
    assert escalated.series["chip_controls"][day] == 1 and history.series["chip_controls"][day] == 0
    assert history.series["us_tariff_on_china"][day] == 55.0
    assert escalated.series["us_tariff_on_china"][day] != 55.0
    assert forked.probability["us-concede_china-concede"] == 1.0  # history is what happened


def test_fork_points_are_checked(baseline):
    with pytest.raises(ValueError, match="truce_deadline"):
        fork_point(baseline.spec, "2025-08-11")  # no point that day: the message lists the points
    with pytest.raises(ValueError, match="allowed: deal, extension, snap_back, escalation"):
        select_branches(fork_point(baseline.spec, "truce_deadline"), ["deal", "collapse"])


@pytest.fixture(scope="module")
def forked_folders(tmp_path_factory):
    base = load_scenario("baseline")
    folders = {}
    for workers in (1, 2):
        folder = tmp_path_factory.mktemp(f"branches{workers}")
        report = run_branches(base, "2025-08-10", 3, SEED, folder, workers=workers)
        assert report.reps_completed == 3 and not report.interrupted
        folders[workers] = folder
    return folders


def test_same_seed_same_branches_on_any_worker_count(forked_folders):
    one, two = forked_folders[1], forked_folders[2]
    for name in ("outcomes.csv", "branch_probabilities.csv", "branch_differences.csv", "deal/outcomes.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    header = (one / "outcomes.csv").read_text().splitlines()[0]
    assert header.startswith("branch,rep,")


def test_reweighting_recombines_stored_branches(forked_folders):
    forked = read_branches(forked_folders[1])
    assert set(forked.results) == {"deal", "extension", "snap_back", "escalation"}
    total = sum(forked.probability[b] for b in forked.results)
    np.testing.assert_allclose(total, 1.0)
    # all weight on one branch: the mixture is that branch's own distribution
    deal_only = {r.outcome: r for r in reweight(forked, parse_weights("deal=1", list(forked.results)))}
    gdp = forked.results["deal"].outcomes["gdp_loss_year_end_pct"]
    assert deal_only["gdp_loss_year_end_pct"].mean == pytest.approx(gdp.mean())
    assert deal_only["gdp_loss_year_end_pct"].median == pytest.approx(np.quantile(gdp, 0.5))
    assert deal_only["gdp_loss_year_end_pct"].high == pytest.approx(np.quantile(gdp, 0.95))
    # the model's own weights: a deadline flag's mixture mean is the mean chance of that branch
    own = {r.outcome: r for r in reweight(forked)}
    assert own["deadline_snap_back"].mean == pytest.approx(forked.probability["snap_back"].mean())
    assert own["gdp_loss_year_end_pct"].low <= own["gdp_loss_year_end_pct"].median


def test_weighted_quantiles_match_the_empirical_ones_with_equal_weights():
    x = np.random.default_rng(1).normal(size=101)
    for q in (0.05, 0.5, 0.95):
        got = weighted_quantiles(x, np.ones_like(x), [q])[0]
        assert got == pytest.approx(np.quantile(x, q))
    # a value with no weight does not count; more weight pulls the median towards a value
    assert weighted_quantiles(np.array([1.0, 2, 3, 100]), np.array([1.0, 1, 1, 0]), [0.5])[0] == 2.0
    heavy = weighted_quantiles(np.array([1.0, 2, 3, 4]), np.array([1.0, 1, 1, 5]), [0.5])[0]
    assert 2.5 < heavy <= 4.0


def test_weights_are_validated():
    names = ["deal", "extension"]
    assert parse_weights("deal=1,extension=3", names) == {"deal": 0.25, "extension": 0.75}
    for bad, message in [
        ("deal=0.5,lapse=0.5", "allowed: deal, extension"),
        ("deal=-1", ">= 0"),
        ("deal=x", "number"),
        ("deal=0", "above zero"),
        ("deal=1,deal=2", "twice"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_weights(bad, names)


@pytest.mark.slow
def test_cli_branches_and_reweight(forked_folders, tmp_path):
    runner = CliRunner()
    folder = tmp_path / "fork"
    result = runner.invoke(
        app,
        [
            "branches",
            "baseline",
            "--at",
            "2025-08-10",
            "--reps",
            "2",
            "--seed",
            "3",
            "--workers",
            "1",
            "--branches",
            "deal,snap_back",
            "--out",
            str(folder),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "model's chance" in result.output and "snap_back" in result.output
    assert (folder / "deal" / "manifest.json").is_file() and (folder / "plots" / "branches.png").is_file()
    assert not (folder / "extension").exists()

    bad_at = runner.invoke(app, ["branches", "baseline", "--at", "2025-08-09", "--reps", "2"])
    assert bad_at.exit_code == 2 and "truce_deadline" in bad_at.output and "Traceback" not in bad_at.output

    bad_weights = runner.invoke(app, ["reweight", str(forked_folders[1]), "--weights", "lapse=1"])
    assert (
        bad_weights.exit_code == 2 and "allowed: deal, extension, snap_back, escalation" in bad_weights.output
    )

    ok = runner.invoke(app, ["reweight", str(forked_folders[1]), "--weights", "deal=0.2,snap_back=0.8"])
    assert ok.exit_code == 0, ok.output
    assert "weight used" in ok.output and "80%" in ok.output
