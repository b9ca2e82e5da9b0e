"""Plants that degrade before they stop: triage, substitution, halts and lost output, by known answers.

With no supply at all a plant's path is fixed before it runs (``sim.model.plant_day``):
full output until its stock covers fewer than ``T`` days, then its stock falls by a
share ``1/T`` a day down to ``p T`` days of need (output following ``x = cover / T``),
then it runs its priority lines at ``p`` of its need until less than a day of them is
left, and halts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.core.domain import SECTORS
from sim.core.streams import Streams
from sim.model.replication import Replication, simulate
from sim.scenario.loader import load_scenario
from sim.scenario.sampling import ParamTree, draw_parameters

BASELINE = load_scenario("baseline")


def _every_sector(name: str, value: Any) -> dict[str, Any]:
    return {f"industry.sectors.{s}.{name}": value for s in SECTORS}


def _zero_supply() -> dict[str, Any]:
    """No US licences, nothing at sea on day 0, no supplier stock, nothing from elsewhere."""
    return {
        "licensing.destination_share.us": 0.0,
        "supply.pre_controls_flow": 0.0,
        "supply.outside_china_share": ParamTree(neodymium=0.0, dysprosium=0.0, samarium=0.0),
        "industry.distributor_stock_days": 0.0,
        **_every_sector("parts_pipeline_days", 0.0),
    }


def _run(seed: int, end: dt.date = dt.date(2025, 12, 31), **changes: Any) -> Replication:
    spec = BASELINE.spec
    spec = spec.model_copy(update={"calendar": spec.calendar.model_copy(update={"end": end})})
    return simulate(spec, seed, 0, changes=changes)[0]


def _zero_supply_plants(
    seed: int, triage: float, priority: float, value: float, **changes: Any
) -> Replication:
    return _run(
        seed,
        **_zero_supply(),
        **_every_sector("triage_cover_days", triage),
        **_every_sector("reorder_point_days", triage),  # triage at most the reorder point
        **_every_sector("order_up_to_days", triage + 20.0),
        **{"industry.priority_magnet_share": priority, "industry.priority_output_share": value},
        **changes,
    )


def _predicted_halt_day(stock: np.ndarray, use: np.ndarray, triage: float, priority: float,
                        substituted: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Halt day of each plant with no supply, worked out from the rule, not by running it; and
    whether it halts on its first short day (less than a day of priority lines left by then).

    Substitution ``substituted`` is in place in full from the day after the first slowdown
    (a ramp of zero days), so the need is ``use`` up to that day and ``use (1 - s)`` after.
    """
    # full output while the stock covers T days: days 0..t1-1
    t1 = np.maximum(np.floor(stock / use - triage) + 1.0, 0.0)
    s = stock - t1 * use  # stock at the start of the first day below T
    halt = np.full(stock.shape, -1.0)
    gone = s < priority * use  # not one day of the priority lines: halts on its first short day
    halt[gone] = t1[gone]
    # day t1 itself is at the old need: uses max(s / T, p use)
    s = s - np.maximum(s / triage, priority * use)
    need = use * (1.0 - substituted)
    # with its need cut by substitutes, the stock may cover T days again: full output meanwhile
    k1 = np.maximum(np.floor(s / need - triage) + 1.0, 0.0)
    s = s - k1 * need
    # then the stock falls by 1/T a day while it covers p T days of need ...
    above = s >= priority * triage * need
    k2 = np.where(
        above,
        np.ceil(np.log(priority * triage * need / np.where(above, s, 1.0)) / np.log(1.0 - 1.0 / triage)),
        0.0,
    )
    s = s * (1.0 - 1.0 / triage) ** k2
    # ... then a day of priority lines at a time, while it holds one
    k3 = np.floor(s / (priority * need))
    halt[~gone] = (t1 + 1.0 + k1 + k2 + k3)[~gone]
    return halt, gone


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    cover=st.floats(5.0, 80.0),
    triage=st.floats(1.5, 20.0),
    priority=st.floats(0.2, 0.8),
    extra_value=st.floats(0.0, 0.9),  # below 1: running fewer lines costs some output
    substituted=st.sampled_from([0.0, 0.3]),
)
def test_with_no_supply_each_plant_halts_on_the_day_its_triage_and_substitution_predict(
    seed, cover, triage, priority, extra_value, substituted
):
    value = priority + extra_value * (1.0 - priority)
    model = _zero_supply_plants(
        seed,
        triage,
        priority,
        value,
        **_every_sector("initial_cover_median_days", cover),
        **_every_sector("substitution_share", substituted),
        **_every_sector("substitution_ramp_days", 0.0),
    )
    ind = model.industry
    assert ind.landed.sum() == 0.0
    expected, at_once = _predicted_halt_day(ind.initial_plant_stock, ind.use, triage, priority, substituted)
    expected[expected >= model.clock.n_days] = -1  # still running at the horizon
    got = ind.first_halt_day
    assert ((got >= 0) == (expected >= 0)).mean() > 0.98  # only a plant halting at the horizon may differ
    both = (got >= 0) & (expected >= 0)
    assert np.abs(got[both] - expected[both]).max() <= 1
    # a plant slows before it halts, unless it had under a day of priority lines on its first short day
    slows = ind.first_slowdown_day
    assert (slows[both & ~at_once] < got[both & ~at_once]).all()
    assert (slows[both & at_once] == got[both & at_once]).all()
    # and never restarts: halted plants only accumulate
    assert (np.diff(ind.halted, axis=0) >= 0).all()


def test_with_no_supply_output_follows_the_triage_path_and_lost_output_stays_under_its_ceiling():
    triage, priority, value = 8.0, 0.5, 0.75
    model = _zero_supply_plants(3, triage, priority, value, **_every_sector("substitution_share", 0.0))
    ind = model.industry
    # each plant's output, day by day, worked out from its stock and use alone
    n_days = model.clock.n_days
    stock = ind.initial_plant_stock.copy()
    lost = np.zeros((n_days, len(SECTORS)))
    halted = np.zeros(stock.size, dtype=bool)
    for day in range(n_days):
        cover = stock / ind.use
        x = np.where(cover < triage, np.maximum(cover / triage, priority), 1.0)
        halted |= cover * (1 + 1e-9) < priority
        x = np.where(halted, 0.0, np.minimum(x, cover))
        y = np.where(x >= 1.0, 1.0, value + (x - priority) * (1 - value) / (1 - priority))
        y[halted] = 0.0
        stock -= x * ind.use
        lost[day] = np.bincount(ind.sector, weights=ind.output_weight * (1.0 - y), minlength=len(SECTORS))
    np.testing.assert_allclose(ind.lost_output, lost, atol=1e-9)
    # output falls gradually: no sector loses more than 1 - v of its output before a plant halts
    for i in range(len(SECTORS)):
        first_halt = np.flatnonzero(ind.halted[:, i] > 0)
        before = ind.lost_output[: first_halt[0] if first_halt.size else n_days, i]
        assert before.max() <= 1.0 - value + 1e-12
        assert (before > 0).any()  # and some output was lost to triage before any halt
    # lost output only grows (no stock comes back), never above the whole sector, and reaches it
    assert (np.diff(ind.lost_output, axis=0) >= -1e-12).all()
    assert ind.lost_output.max() <= 1.0 + 1e-12
    auto = SECTORS.index("auto")
    assert ind.lost_output[-1, auto] == pytest.approx(1.0)


def test_with_ramped_substitution_a_plant_runs_longer_and_loses_less():
    base = {"seed": 4, "triage": 6.0, "priority": 0.5, "value": 0.7}
    none = _zero_supply_plants(**base, **_every_sector("substitution_share", 0.0))
    some = _zero_supply_plants(
        **base, **_every_sector("substitution_share", 0.4), **_every_sector("substitution_ramp_days", 30.0)
    )
    a, b = none.industry, some.industry
    np.testing.assert_array_equal(a.initial_plant_stock, b.initial_plant_stock)
    assert (b.first_slowdown_day == a.first_slowdown_day).all()  # substitution starts after the slowdown
    halted = a.first_halt_day >= 0
    assert (b.first_halt_day[halted] >= a.first_halt_day[halted]).all()
    assert (b.first_halt_day[halted] > a.first_halt_day[halted]).mean() > 0.5
    assert (b.lost_output.sum(axis=0) <= a.lost_output.sum(axis=0) + 1e-9).all()
    # the substituted share ramps up to its ceiling and no further
    assert b.substituted.max() == pytest.approx(0.4)


@pytest.mark.parametrize("allocation", ["tied", "first_come", "proportional"])
def test_with_unconstrained_supply_no_plant_slows_and_no_output_is_lost(allocation):
    model = _run(6, **{"supply.unconstrained": True, "industry.allocation": allocation})
    ind = model.industry
    assert (ind.first_slowdown_day == -1).all() and (ind.first_halt_day == -1).all()
    assert ind.slowed.sum() == 0 and ind.halted.sum() == 0
    assert ind.lost_output.sum() == 0.0
    assert (model.series()["output_share_auto"] == 100.0).all()
    o = model.outcomes()
    assert o["output_lost_pct_of_year_auto"] == 0.0 and np.isnan(o["first_slowdown_auto"])


def _industry_fed(seed: int, scale: float) -> Any:
    """The baseline's plants (replication ``seed``) fed ``scale`` times a fixed random pattern of
    lots, each a fortnight of a plant's use (common random numbers: the same for every scale)."""
    spec = BASELINE.spec
    streams = Streams(seed, 0)
    params, _ = draw_parameters(spec, streams)
    model = Replication(spec, params, streams)
    ind = model.industry
    rng = np.random.default_rng(seed)
    pattern = 14.0 * (rng.random((model.clock.n_days, ind.use.size)) < 1.0 / 14.0)
    by_plant = scale * pattern * ind.use
    by_sector = np.stack([np.bincount(ind.sector, weights=row, minlength=len(SECTORS)) for row in by_plant])
    ind.run_through(model.clock.n_days - 1, by_sector, by_plant)
    return ind


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_less_supply_never_gives_more_output(seed):
    # the same plants and the same lots, scaled down from more than full supply to nothing
    outputs = []
    for scale in (1.2, 1.0, 0.8, 0.6, 0.4, 0.2, 0.0):
        ind = _industry_fed(seed, scale)
        outputs.append((1.0 - ind.lost_output).sum(axis=0))  # sector-days of output made
    outputs = np.array(outputs)
    assert (np.diff(outputs, axis=0) <= 1e-9).all(), outputs
    assert outputs[-1].sum() < outputs[0].sum()


def test_sector_days_lost_are_the_sum_of_daily_lost_shares():
    model = _run(5)
    ind, o, s = model.industry, model.outcomes(), model.series()
    for i, name in enumerate(SECTORS):
        daily = s[f"lost_output_{name}"] / 100.0
        assert o[f"lost_output_days_{name}"] == pytest.approx(daily.sum(), rel=1e-12)
        assert o[f"output_lost_pct_of_year_{name}"] == pytest.approx(100.0 * daily.sum() / 365.0, rel=1e-12)
        np.testing.assert_allclose(s[f"output_share_{name}"], 100.0 - s[f"lost_output_{name}"])
        # a halted plant loses all its output, a slowed one part: halted weight <= lost <= halted + slowed
        assert (ind.halted[:, i] + ind.slowed[:, i] <= ind.plants_per_sector[i]).all()
        if o[f"plants_ever_halted_{name}"] > 0:
            assert o[f"first_slowdown_{name}"] <= o[f"first_stoppage_{name}"]
    # macro's magnet channel reads the same shares (the GDP sum of sector-days lost)
    p = model.params.macro
    va = np.array([p.value_added_share_pct[sec] for sec in SECTORS])
    expected = float(va @ ind.lost_output.sum(axis=0)) * p.output_multiplier / 365
    assert s["gdp_loss_magnet"][-1] == pytest.approx(expected)


@pytest.mark.parametrize("lots", [1, 6])
def test_with_normal_shipments_all_year_no_plant_slows(lots):
    # no export controls before the horizon: each plant's own supplier gets its normal flow, in whole
    # lots, and its buffer absorbs the lumps; triage (at most the reorder point) never starts
    model = _run(7, **{"licensing.controls_start": dt.date(2026, 6, 1), "supply.lots_per_licence": lots})
    ind = model.industry
    assert (ind.first_slowdown_day == -1).all()
    assert ind.lost_output.sum() == 0.0 and ind.slowed.sum() == 0


def test_first_come_queue_order_is_numpys_stable_sort():
    """The hand-written merge sort (it spares numba's generic sort a second of compile) orders the
    queue as ``np.argsort(kind="mergesort")``: by order time, equal times by plant index."""
    from sim.core.sorting import sort_stably

    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 3, 5, 8, 17, 100):
        for ties in (False, True):
            key = rng.integers(0, 4, size=n + 2).astype(float) if ties else rng.random(n + 2)
            items = rng.permutation(n + 2).astype(np.int64)
            got = items.copy()
            sort_stably(got, n, key)
            want = items[:n][np.argsort(key[items[:n]], kind="mergesort")]
            assert got[:n].tolist() == want.tolist()
            assert got[n:].tolist() == items[n:].tolist()  # beyond k: untouched
