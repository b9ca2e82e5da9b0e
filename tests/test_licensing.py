"""Behaviour of the licence review: renewals, lanes, fast track, green channel, military files."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from sim.core.domain import LANE_INDEX
from sim.model.licensing.applications import KIND_RENEWAL
from sim.model.replication import Replication, run_replication, simulate
from sim.scenario.loader import load_scenario
from sim.scenario.sampling import ParamTree


def _model(spec, seed=3, rep=0) -> Replication:
    return simulate(spec, seed, rep)[0]


def _renewal_times(apps, lead: float) -> np.ndarray:
    """When each file's renewal is due if it is approved: ``lead`` days before its licence ends, or
    at once if that is past, but never on the day it was taken up (that day's filing is done)."""
    decided, started = apps.column("decided"), apps.column("started")
    due = np.maximum(decided, apps.column("valid_to") - lead)
    return np.maximum(due, np.floor(started) + 1.0)


def test_renewals_are_filed_the_lead_before_the_licence_they_continue_ends(baseline):
    model = _model(baseline.spec)
    apps = model.licensing.apps
    p = model.params.licensing
    renewals = np.flatnonzero(apps.column("kind") == KIND_RENEWAL)
    assert renewals.size > 1000
    # every renewal is filed when some approved licence's renewal was due
    approved = apps.column("approved") == 1
    due = set(_renewal_times(apps, p.renewal_lead_days)[approved].tolist())
    filed = apps.column("filed")[renewals]
    assert all(t in due for t in filed.tolist())
    # and a renewal continues its contract: its licence starts where the one it renews ends
    contract, valid_to, cover = apps.column("contract"), apps.column("valid_to"), apps.column("cover")
    for r in renewals[apps.column("approved")[renewals] == 1][:200]:
        same = np.flatnonzero((contract == contract[r]) & approved & (np.arange(contract.size) < r))
        previous_end = valid_to[same].max()
        start = valid_to[r] - cover[r]
        assert np.isclose(start, max(apps.column("decided")[r], previous_end), rtol=0, atol=1e-9)


def test_military_files_are_held_in_baseline_and_some_approved_when_released(baseline):
    held = _model(baseline.spec)
    lane = held.licensing.apps.column("lane")
    military = lane == LANE_INDEX["military"]
    assert (held.licensing.apps.column("approved")[military] == -1).all()  # never even decided

    # released with the deadline's outcome (an extension here), from the day after the deadline
    extension = {
        "negotiation.decision_points.truce_deadline.force_us": "concede",
        "negotiation.decision_points.truce_deadline.force_china": "hold",
    }
    released = simulate(load_scenario("military_release").spec, 3, 0, changes=extension)[0]
    apps = released.licensing.apps
    military = apps.column("lane") == LANE_INDEX["military"]
    approved_at = apps.column("decided")[military & (apps.column("approved") == 1)]
    assert approved_at.size > 0
    release_day = released.clock.day(released.params.calendar.truce_deadline) + 1
    assert approved_at.min() >= release_day


def test_fast_track_serves_us_civil_files_first(baseline):
    model = _model(baseline.spec)
    apps = model.licensing.apps
    london = model.clock.day(model.params.licensing.timeline.london.date)
    filed = apps.column("filed")
    wait = apps.column("decided") - filed
    after = (filed > london + 20) & ~np.isnan(wait)
    us = after & (apps.column("lane") == LANE_INDEX["us_civil"])
    other = after & (apps.column("lane") == LANE_INDEX["other_civil"])
    assert np.median(wait[us]) < np.median(wait[other])


def test_green_channel_never_lengthens_the_median_wait(baseline):
    """On common random numbers, trusted firms never wait longer, and the median wait does not rise.

    Per replication the median over *all* files can rise a little: putting one
    lane first reorders the queue, and files with a long statutory minimum lose
    their place to files with a short one. Over replications it does not.
    """
    green = load_scenario("green_channel")
    medians = []
    for rep in range(6):  # common random numbers: same seed and replication
        base = _model(baseline.spec, 21, rep)
        with_green = _model(green.spec, 21, rep)
        assert _lane_median_wait(with_green, "green") <= _lane_median_wait(base, "green") + 1e-9
        medians.append((base.outcomes()["wait_days_median"], with_green.outcomes()["wait_days_median"]))
    base_median, green_median = np.median(np.array(medians), axis=0)
    assert green_median <= base_median * 1.01


def _lane_median_wait(model: Replication, lane: str) -> float:
    apps = model.licensing.apps
    mine = (apps.column("lane") == LANE_INDEX[lane]) & ~np.isnan(apps.column("decided"))
    return float(np.median(apps.column("decided")[mine] - apps.column("filed")[mine]))


def test_no_capacity_means_no_decisions(baseline):
    raw = baseline.raw
    lic = dict(raw["licensing"])
    lic["review"] = {**lic["review"], "review_capacity_per_day": 0}
    lic["timeline"] = {}
    negotiation = dict(raw["negotiation"])  # no deadline outcome or talks that sets a capacity either
    negotiation["outcomes"] = {name: {} for name in raw["negotiation"]["outcomes"]}
    negotiation["talks"] = {k: v for k, v in raw["negotiation"]["talks"].items() if "licensing" not in k}
    from sim.scenario.schema import Scenario

    spec = Scenario.model_validate({**raw, "licensing": lic, "negotiation": negotiation})
    out = run_replication(spec, 1, 0).outcomes
    assert out["approvals_total"] == 0 and out["rejections_total"] == 0
    assert out["backlog_at_end"] == out["applications_total"]


def test_a_finished_replication_is_freed_without_the_cycle_collector(baseline):
    # a worker runs replication after replication; if its application table sat in a
    # reference cycle, memory would pile up between runs of the cyclic garbage collector
    gc.collect()
    gc.disable()
    try:
        model = _model(baseline.spec)
        table = weakref.ref(model.licensing.apps)
        review = weakref.ref(model.licensing)
        del model
        assert table() is None
        assert review() is None
    finally:
        gc.enable()


def _review_tables(model: Replication) -> dict[str, np.ndarray]:
    lic = model.licensing
    out = {name: lic.apps.column(name).copy() for name in ("filed", "lane", "kind", "started", "decided")}
    out["decided_per_day"] = lic.decided_per_day.copy()
    out["queued"] = lic.queued_end_of_day.copy()
    return out


def test_review_results_do_not_depend_on_blocks_room_or_how_days_are_grouped(baseline, monkeypatch):
    # The compiled review runs ahead over many days and stops to draw numbers or grow its arrays;
    # none of that may change a single number: same draws, in the same order, for the same files.
    import sim.model.licensing.queue as review_queue
    import sim.model.licensing.review as licensing

    reference = _review_tables(_model(baseline.spec, rep=2))
    monkeypatch.setattr(review_queue, "DRAW_BLOCK", 7)  # refills within every day
    monkeypatch.setattr(licensing, "UNIFORM_BLOCK", 5)
    monkeypatch.setattr(licensing, "ROOM_DAYS", 1)
    small_blocks = _review_tables(_model(baseline.spec, rep=2))
    monkeypatch.setattr(Replication, "_review_limit", lambda self, day: day)  # one day per call
    day_by_day = _review_tables(_model(baseline.spec, rep=2))
    for other in (small_blocks, day_by_day):
        assert other.keys() == reference.keys()
        for name, values in reference.items():
            np.testing.assert_array_equal(other[name], values, err_msg=name)


def test_the_review_refuses_a_policy_change_for_a_day_it_already_ran(baseline):
    model = Replication(baseline.spec, *_drawn(baseline.spec))
    model.licensing.advance_day(0, limit=60)  # ran ahead through day 60
    with pytest.raises(RuntimeError, match="already ran"):
        model.licensing.apply_policy(ParamTree(review_capacity_per_day=1.0), 30.0)


def _drawn(spec):
    from sim.core.streams import Streams
    from sim.scenario.sampling import draw_parameters

    streams = Streams(3, 0)
    params, _ = draw_parameters(spec, streams)
    return params, streams


def test_file_attributes_follow_the_shares_and_each_choice_is_independent_of_the_last():
    """Two uniforms a file, each split (sim.model.licensing.review._attributes): the sector, then the
    destination from where the first fell within its sector's share; military, then trusted firm, from the
    second."""
    from sim.model.licensing.review import _CIVIL_LANE, _attributes, _edges

    n = 400_000
    sectors = np.array([0.5, 0.3, 0.0, 0.2])  # a sector with no files: never drawn
    destinations = np.array([0.25, 0.35, 0.40])
    military = np.array([0.0, 0.1, 0.5, 0.6])
    trusted = 0.3
    sector, destination, lane = (np.empty(n, dtype=np.int8) for _ in range(3))
    _attributes(np.random.default_rng(5), _edges(sectors), _edges(destinations), military, trusted,
                sector, destination, lane)  # fmt: skip
    se = lambda p, m: 5 * np.sqrt(p * (1 - p) / m) + 1e-12  # noqa: E731 - five standard errors
    share = np.bincount(sector, minlength=4) / n
    assert np.all(np.abs(share - sectors) < se(sectors, n))
    assert share[2] == 0
    mil_lane, green = LANE_INDEX["military"], LANE_INDEX["green"]
    for s in (0, 1, 3):  # destination and military shares within each sector: independent of it
        mine = sector == s
        m = int(mine.sum())
        got = np.bincount(destination[mine], minlength=3) / m
        assert np.all(np.abs(got - destinations) < se(destinations, m)), s
        assert abs((lane[mine] == mil_lane).mean() - military[s]) < se(military[s], m), s
        # and the military draw is independent of the destination
        for d in range(3):
            both = mine & (destination == d)
            assert abs((lane[both] == mil_lane).mean() - military[s]) < se(military[s], int(both.sum()))
    civil_us = (destination == 0) & (lane != mil_lane)
    assert abs((lane[civil_us] == green).mean() - trusted) < se(trusted, int(civil_us.sum()))
    civil = lane != mil_lane
    assert np.all(lane[civil & (destination > 0)] == _CIVIL_LANE[destination[civil & (destination > 0)]])


def test_renewal_and_reapplication_shares_do_not_depend_on_the_approval_probability(baseline):
    """One uniform decides approval and then, split where it fell, renewal or re-application
    (sim.model.licensing.review._advance): each follow-up share must hold whatever the approval chance."""
    from sim.model.licensing.applications import KIND_REAPPLICATION

    model = simulate(
        baseline.spec, 5, 1,
        changes={"licensing.renewal_probability": 0.6, "licensing.reapply_probability": 0.4,
                 "licensing.reapply_delay_days": 3.0},
    )[0]  # fmt: skip
    apps, p, n = model.licensing.apps, model.params.licensing, model.clock.n_days
    kind, decided, approved = apps.column("kind"), apps.column("decided"), apps.column("approved")
    renewal_at = _renewal_times(apps, p.renewal_lead_days)
    reapply_at = decided + p.reapply_delay_days
    filed = apps.column("filed")
    follow_times = set(filed[(kind == KIND_RENEWAL) | (kind == KIND_REAPPLICATION)].tolist())
    for outcome, at, share in ((1, renewal_at, 0.6), (0, reapply_at, 0.4)):
        eligible = (approved == outcome) & (at < n)
        followed = np.array([t in follow_times for t in at[eligible]])
        lanes = apps.column("lane")[eligible]
        assert followed.size > 2000
        for lane in np.unique(lanes):  # lanes differ in their approval chance
            mine = followed[lanes == lane]
            if mine.size > 300:
                assert abs(mine.mean() - share) < 5 * np.sqrt(share * (1 - share) / mine.size), (
                    outcome,
                    lane,
                )
