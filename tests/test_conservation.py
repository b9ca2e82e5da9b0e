"""Every application is approved, refused or pending, every day of every replication."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.core.domain import LANE_INDEX
from sim.model.replication import Replication, simulate
from sim.scenario.schema import Scenario


def _scenario(baseline, **changes) -> Scenario:
    raw = baseline.raw
    lic = dict(raw["licensing"])
    review = dict(lic["review"])
    for key, value in changes.items():
        if key in review:
            review[key] = value
        else:
            lic[key] = value
    lic["review"] = review
    calendar = {**raw["calendar"], "end": raw["calendar"]["end"].replace(month=9, day=30)}
    return Scenario.model_validate({**raw, "calendar": calendar, "licensing": lic})


def _run(scenario: Scenario, seed: int) -> Replication:
    return simulate(scenario, seed, 0)[0]


def _check_conservation(model: Replication) -> None:
    s = model.series()
    filed = np.cumsum(s["applications_filed"])
    decided = np.cumsum(s["approvals"] + s["rejections"])
    assert (s["backlog"] == filed - decided).all()
    for name in ("backlog", "queued_for_review", "licences_in_force", "approvals", "rejections"):
        assert (s[name] >= 0).all(), name
    assert (s["queued_for_review"] <= s["backlog"]).all()
    # licences in force never exceed licences ever approved
    assert (s["licences_in_force"] <= np.cumsum(s["approvals"])).all()
    # per application: every one filed is decided or still pending, never both
    apps = model.licensing.apps
    decided_at = apps.column("decided")
    approved = apps.column("approved")
    assert ((approved == -1) == np.isnan(decided_at)).all()
    in_horizon = decided_at < model.clock.n_days
    assert int(in_horizon.sum()) == int(decided[-1])
    assert len(apps) == int(filed[-1])
    # nothing is decided before it is filed, nor before its review ends
    ok = ~np.isnan(decided_at)
    assert (decided_at[ok] >= apps.column("finished")[ok]).all()
    assert (apps.column("started")[ok] >= apps.column("filed")[ok]).all()


def test_baseline_conserves_applications(baseline):
    model = _run(baseline.spec, seed=11)
    _check_conservation(model)
    lane = model.licensing.apps.column("lane")
    military = lane == LANE_INDEX["military"]
    assert military.any()
    assert not (model.licensing.apps.column("approved")[military] == 1).any()


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    backlog=st.integers(0, 20_000),
    arrivals=st.floats(0, 400),
    capacity=st.floats(0, 600),
    mean_review=st.floats(0.05, 8),
    min_review=st.floats(0, 60),
    renew=st.floats(0, 1),
    reapply=st.floats(0, 1),
    approve=st.floats(0, 1),
)
def test_conservation_holds_for_random_parameters(
    baseline, seed, backlog, arrivals, capacity, mean_review, min_review, renew, reapply, approve
):
    scenario = _scenario(
        baseline,
        initial_backlog=backlog,
        arrivals_per_day=arrivals,
        renewal_probability=renew,
        reapply_probability=reapply,
        review_capacity_per_day=capacity,
        mean_review_days=mean_review,
        min_review_days=min_review,
        approval_probability={k: approve for k in ("auto", "electronics_industrial", "aerospace", "defence")},
    )
    _check_conservation(_run(scenario, seed))
