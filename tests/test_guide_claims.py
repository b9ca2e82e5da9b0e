"""What the workshop guide (notebooks/README.md) and the README tell a room, checked on the model.

The guide states its lessons in words, not numbers (numbers move with every model
change, and the notebooks print them). Each claim it makes about what students
should find is checked here on a small run, so that a model change that breaks a
lesson fails a test instead of leaving the guide wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deadline_outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guide") / "cmp"
    scenarios = ["deal_by_deadline", "extension_90_days", "snap_back", "no_deal"]
    return sim.compare(scenarios, reps=24, seed=3, folder=folder, workers=1, series="none").to_frame()


def test_a_lapse_costs_more_than_a_deal_and_paired_differences_are_narrower(deadline_outcomes):
    """Notebook 02: a lapse costs more than a deal, in every paired replication; pairing sharpens."""
    gdp = deadline_outcomes["gdp_loss_year_end_pct"].unstack("scenario")
    for calm in ("deal_by_deadline", "extension_90_days"):
        for lapse in ("snap_back", "no_deal"):
            assert gdp[lapse].median() > gdp[calm].median(), (lapse, calm)
    paired = gdp["snap_back"] - gdp["deal_by_deadline"]
    assert (paired > 0).all()
    independent = np.sqrt(gdp["snap_back"].var() + gdp["deal_by_deadline"].var())
    assert paired.std() < independent


def test_the_backlog_builds_before_london_and_drains_after_it(tmp_path):
    """Notebook 01: the licence backlog builds before London and drains after it."""
    run = sim.run("baseline", reps=8, seed=3, folder=tmp_path / "run", workers=1)
    backlog = run.to_xarray(["backlog"])["backlog"].median("replication")
    dates = backlog["date"].values
    at = {d: float(backlog.sel(date=np.datetime64(d))) for d in ("2025-04-04", "2025-06-09", "2025-08-09")}
    assert at["2025-06-09"] > at["2025-04-04"] * 0.9  # the queue is not cleared before London
    assert at["2025-08-09"] < 0.9 * at["2025-06-09"]  # London's capacity drains it before the deadline
    assert dates[0] == np.datetime64("2025-04-02")
