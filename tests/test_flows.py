"""Flows that add up (issue 17): contracts, licences and lots, checked against answers known in advance.

A licence covers one contract's schedule for its term and a renewal continues it
(``sim.model.licensing.applications``); lots spread a contract's tonnage over its
term (``sim.model.supply``). So with a review that approves every file on its
filing day the flow from China to US users is the normal flow, month by month,
however a contract's term is cut into lots; and a contract ships its tonnage rate
times the time it is licensed, never a renewal's worth more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from sim.core.domain import DESTINATIONS, SECTORS
from sim.model.licensing.applications import KIND_BACKLOG, KIND_NEW, KIND_RENEWAL
from sim.model.replication import Replication, simulate
from sim.results.catalogue import OUTCOMES, SERIES
from sim.scenario.sampling import ParamTree

US = DESTINATIONS.index("us")
MONTHS = range(4, 13)


def frictionless(statutory_days: float = 0.0, **more: Any) -> dict[str, Any]:
    """Every file approved on its filing day (``statutory_days`` later if set), unlimited capacity.

    The review's dated events and the negotiation's decision points are dropped, so
    nothing changes the regime; military files are reviewed and approved too.
    """
    changes = {
        "licensing.timeline": ParamTree(),
        "negotiation.decision_points": ParamTree(),
        "licensing.review.review_capacity_per_day": 1e9,
        "licensing.review.mean_review_days": 1e-6,  # a billion a day * 1e-6 = 1,000 reviewers
        "licensing.review.min_review_days": statutory_days,
        "licensing.review.fast_track_min_review_days": statutory_days,
        "licensing.review.green_channel_min_review_days": statutory_days,
        "licensing.review.fast_track_approval_probability": 1.0,
        "licensing.review.military_handling": "review",
        "licensing.review.military_approval_probability": 1.0,
        "licensing.review.approval_probability": ParamTree({s: 1.0 for s in SECTORS}),
    }
    return changes | more


def _run(baseline, seed: int, changes: dict[str, Any]) -> Replication:
    return simulate(baseline.spec, seed, 0, changes=changes)[0]


def _month_share(model: Replication, daily: np.ndarray) -> np.ndarray:
    """Tonnes of each month April..December over the normal flow of the same days."""
    clock, normal = model.clock, float(model.supply.normal_china_flow.sum())
    month = np.array([clock.date(d).month for d in range(clock.n_days)])
    return np.array([daily[month == m].sum() / (normal * (month == m).sum()) for m in MONTHS])


@pytest.mark.parametrize("lots", [1, 2, 6])
def test_a_frictionless_review_ships_the_normal_flow_every_month(baseline, lots):
    # Known answer: the contracts running at the rule carried the normal flow; they are cleared
    # or licensed at once, renewals continue them without a gap, and new contracts replace the
    # ones that end, so departures are the normal flow in every month (April to December) and
    # so are arrivals once the first lots have crossed (from June). Many contracts, so that the
    # lumps of one lot per six months average out; the tolerance is the 5%.
    model = _run(
        baseline, 11, frictionless(**{"supply.lots_per_licence": lots, "licensing.initial_backlog": 2e5})
    )
    sup = model.supply
    departures = _month_share(model, sup.shipped[: model.clock.n_days].sum(axis=1))
    arrivals = _month_share(model, sup.arriving[: model.clock.n_days].sum(axis=1))
    assert np.abs(departures - 1.0).max() < 0.05, departures.round(3)
    assert np.abs(arrivals[2:] - 1.0).max() < 0.05, arrivals.round(3)
    # it is the contracts that carry it: renewals were filed and approved, new contracts came
    kinds = model.licensing.apps.column("kind")
    assert (kinds == KIND_RENEWAL).sum() > 10_000 and (kinds == KIND_NEW).sum() > 10_000


def test_a_renewal_continues_its_contract_and_adds_no_tonnage(baseline):
    # Known answer: a contract ships its tonnage rate times the time it is licensed. Licences of
    # one contract never overlap (a renewal approved early starts when the licence it continues
    # ends), a full-term licence ships exactly one term of the contract's tonnage, and everything
    # that left China is accounted for by the licences approved (no pipeline: pre_controls_flow 0).
    # The baseline's review (refusals, waits, the fast track) makes renewals both early and late.
    model = _run(baseline, 4, {"supply.pre_controls_flow": 0.0, "supply.lots_per_licence": 3})
    apps, sup, n = model.licensing.apps, model.supply, model.clock.n_days
    approved = (apps.column("approved") == 1) & (apps.column("destination") == US)
    approved &= apps.column("decided") < n  # licences decided within the horizon ship
    contract, kind = apps.column("contract")[approved], apps.column("kind")[approved]
    cover, end = apps.column("cover")[approved], apps.column("valid_to")[approved]
    sector = apps.column("sector")[approved].astype(int)
    start = end - cover
    assert (kind == KIND_RENEWAL).sum() > 500

    order = np.lexsort((start, contract))
    same = contract[order][1:] == contract[order][:-1]
    gaps = start[order][1:] - end[order][:-1]
    assert (gaps[same] >= -1e-9).all()  # no two licences of a contract cover the same days
    assert (np.abs(gaps[same]) < 1e-9).mean() > 0.5  # and most renewals follow without a gap

    lots = sup.lots_per_licence
    interval = sup.term_days / lots
    lots_shipped = np.minimum(np.floor(cover / interval + 1e-9), lots)
    tonnes = lots_shipped * sup.tonnes_per_licence[sector] / lots
    # every tonne that left China left under one of these licences
    np.testing.assert_allclose(sup.shipped.sum(axis=0), np.bincount(sector, tonnes, len(SECTORS)), rtol=1e-9)
    # per contract: tonnes = rate x time licensed (exact for full terms; a contract caught by the
    # rule first covers what was left of its term, within one lot of its rate x that time)
    rate = sup.tonnes_per_contract_day[sector]
    per_contract = np.bincount(contract, tonnes)
    expected = np.bincount(contract, rate * cover)
    first_kind = apps.column("kind")[np.unique(contract)]
    new = np.unique(contract)[first_kind == KIND_NEW]
    np.testing.assert_allclose(per_contract[new], expected[new], rtol=1e-9)
    caught = np.unique(contract)[first_kind == KIND_BACKLOG]
    one_lot = np.bincount(contract, sup.tonnes_per_licence[sector] / lots)
    assert (np.abs(per_contract[caught] - expected[caught]) <= one_lot[caught] + 1e-9).all()


def test_the_rule_squeezes_departures_gradually(baseline):
    # Expected shape, stated before measuring: with a statutory wait of 45 working days (63
    # days) and nothing else in the way, departures on day t of the rule are the contracts still
    # cleared for export, 1 - t / H of the normal flow (H: the longest clearance), so they fall in a
    # straight line over H days, nothing leaves from day H until the first decisions on day 63,
    # then the contracts' schedules resume, shifted by the wait, less the contracts whose renewal
    # (filed 14-45 days ahead, decided 63 days after) leaves them a gap. April is far above the
    # ~4% of a rule that stops everything overnight.
    model = _run(
        baseline, 2, frictionless(63.0, **{"licensing.initial_backlog": 1e5, "supply.lots_per_licence": 6})
    )
    sup, controls = model.supply, model.supply.controls_day
    normal = float(sup.normal_china_flow.sum())
    share = sup.shipped[: model.clock.n_days].sum(axis=1) / normal
    h = float(model.params.licensing.cleared_days_max)
    assert 14 <= h <= 42
    weeks = int(h // 7)
    for w in range(weeks):
        days = np.arange(controls + 7 * w, controls + 7 * w + 7)
        expected = np.mean(1.0 - (days - controls + 0.5) / h)
        assert abs(share[days].mean() - expected) < 0.05, (w, share[days].mean(), expected)
    assert _month_share(model, share * normal)[0] > 0.25
    assert share[controls + int(np.ceil(h)) : controls + 63].max() < 0.01
    assert 0.7 < share[controls + 64 : controls + 90].mean() < 1.05


def test_monthly_shipments_outcomes_are_the_daily_departures_over_the_normal_flow(baseline):
    model = _run(baseline, 3, {})
    out, series = model.outcomes(), model.series()
    normal = out["china_us_normal_flow"]
    assert normal == pytest.approx(float(model.supply.normal_china_flow.sum()))
    clock = model.clock
    may = [d for d in range(clock.n_days) if clock.date(d).month == 5]
    assert out["china_us_shipments_may"] == pytest.approx(
        series["china_us_departures"][may].sum() / (31 * normal)
    )
    for name in ("china_us_departures", "china_us_arrivals"):
        assert name in SERIES and series[name].shape == (clock.n_days,)
    names = [
        f"china_us_shipments_{m}" for m in ("apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    ]
    assert all(name in out and name in OUTCOMES for name in names)
    # departures and arrivals of the same lots: what left China is what landed or is at sea
    shipped = np.cumsum(series["china_us_departures"])
    landed = np.cumsum(series["china_us_arrivals"])
    at_sea = model.supply.in_transit().sum(axis=1)
    np.testing.assert_allclose(model.supply.initial_in_transit.sum() + shipped, landed + at_sea, rtol=1e-9)


def test_a_run_records_the_normal_flow_in_its_manifest(baseline, tmp_path):
    import json

    from sim.experiments.run import run_experiment

    spec = baseline.spec
    short = spec.model_copy(
        update={"calendar": spec.calendar.model_copy(update={"end": dt.date(2025, 5, 31)})}
    )
    run_experiment(
        baseline.__class__(**{**baseline.__dict__, "spec": short}), 3, 1, tmp_path / "r", workers=1
    )
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    flow = manifest["normal_flow"]["china_us_tonnes_per_day"]
    assert 0 < flow["p05"] <= flow["median"] <= flow["p95"]
