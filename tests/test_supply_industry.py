"""Shipments, plant stocks and prices: conservation, analytic depletion, and the limits of supply."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sim.core.domain import SECTORS
from sim.core.streams import Streams
from sim.model import plant_day as rows
from sim.model.replication import Replication, simulate
from sim.scenario.loader import load_scenario
from sim.scenario.param_types import with_changes
from sim.scenario.sampling import ParamTree, draw_parameters

TOL = 1e-6  # tonnes; sums of thousands of floats
#: Loaded once here, not as a fixture, so that hypothesis does not print it with every example.
BASELINE = load_scenario("baseline")


def _replication(baseline, seed: int, end: dt.date = dt.date(2025, 9, 30), **changes: Any) -> Replication:
    """A baseline replication with some drawn parameters replaced (dotted paths, ``__`` for dots)."""
    spec = baseline.spec
    spec = spec.model_copy(update={"calendar": spec.calendar.model_copy(update={"end": end})})
    return simulate(spec, seed, 0, changes={k.replace("__", "."): v for k, v in changes.items()})[0]


def _every_sector(name: str, value: Any) -> dict[str, Any]:
    return {f"industry__sectors__{s}__{name}": value for s in SECTORS}


#: A plant with no lines to spare: it cannot triage, so it runs at full output until its stock
#: covers less than a day and then halts (the limit case of triage; tests/test_plants.py has the rest)
NO_TRIAGE = {"industry__priority_magnet_share": 1.0, "industry__priority_output_share": 1.0}


def _zero_supply() -> dict[str, Any]:
    """No US licences, nothing at sea on day 0, no distributor stock, nothing from elsewhere."""
    return {
        "licensing__destination_share__us": 0.0,
        "supply__pre_controls_flow": 0.0,
        "supply__outside_china_share": ParamTree(neodymium=0.0, dysprosium=0.0, samarium=0.0),
        "industry__distributor_stock_days": 0.0,
        **_every_sector("parts_pipeline_days", 0.0),
    }


def _check_tonnes(model: Replication) -> None:
    """Shipped = used + in stock + in transit, every day and sector; nothing negative."""
    ind, sup = model.industry, model.supply
    start = ind.initial_stock + ind.initial_distributor + sup.initial_in_transit
    shipped = np.cumsum(sup.shipped_per_day(), axis=0)
    used = np.cumsum(ind.used, axis=0)
    in_transit = sup.in_transit()
    held = ind.plant_stock + ind.distributor_stock
    np.testing.assert_allclose(start + shipped, used + held + in_transit, rtol=1e-9, atol=TOL)
    # what industry received is exactly what supply landed
    np.testing.assert_allclose(ind.landed, sup.arrivals_per_day(), rtol=1e-12, atol=TOL)
    assert (ind.stock >= 0).all()
    assert (ind.plant_stock >= -TOL).all() and (ind.distributor_stock >= -TOL).all()
    assert (in_transit >= -TOL).all()
    # no sector uses more than its full use; until a sector's first slowdown (and so before any
    # substitution) every plant of it runs a full day
    full = np.broadcast_to(ind.sector_demand, ind.used.shape)
    assert (ind.used <= full * (1 + 1e-9)).all()
    for i in range(len(SECTORS)):
        slowdowns = ind.first_slowdown_day[ind.sector == i]
        first = slowdowns[slowdowns >= 0].min() if (slowdowns >= 0).any() else ind.used.shape[0]
        np.testing.assert_allclose(ind.used[:first, i], full[:first, i], rtol=1e-9)
        assert (ind.lost_output[:first, i] == 0.0).all()
    assert (ind.lost_output >= 0).all() and (ind.lost_output <= 1 + 1e-12).all()
    assert (ind.halted + ind.slowed <= ind.plants_per_sector).all() and (ind.halted >= 0).all()


def test_baseline_conserves_tonnes(baseline):
    model = _replication(baseline, seed=5, end=dt.date(2025, 12, 31))
    _check_tonnes(model)
    # the baseline is a real shortage: some plants halt, prices rise, then supply returns
    assert model.industry.halted.sum() > 0
    assert model.market.price.max() > 100.0
    assert model.industry.landed[-30:].sum() > 0


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    lead=st.floats(0.5, 60),
    cv=st.floats(0, 1.5),
    lots=st.integers(1, 12),
    distributor=st.floats(0, 40),
    cover=st.floats(0.1, 200),
    cover_sigma=st.floats(0, 1.5),
    reorder=st.floats(0, 30),
    extra=st.floats(0.5, 90),
    restart=st.floats(1, 20),
    unconstrained=st.booleans(),
    allocation=st.sampled_from(["first_come", "proportional", "tied"]),
)
def test_tonnes_conserve_for_random_parameters(
    seed, lead, cv, lots, distributor, cover, cover_sigma, reorder, extra, restart, unconstrained, allocation
):
    model = _replication(
        BASELINE,
        seed,
        supply__lead_time_mean_days=lead,
        supply__lead_time_cv=cv,
        supply__lots_per_licence=lots,
        supply__unconstrained=unconstrained,
        industry__distributor_stock_days=distributor,
        industry__allocation=allocation,
        **_every_sector("parts_pipeline_days", distributor),  # magnets inside parts, conserved too
        **_every_sector("initial_cover_median_days", cover),
        **_every_sector("initial_cover_sigma", cover_sigma),
        **_every_sector("reorder_point_days", reorder),
        **_every_sector("order_up_to_days", reorder + extra),
        **_every_sector("restart_cover_days", restart),
        **_every_sector("triage_cover_days", max(reorder, 1.0)),
    )
    _check_tonnes(model)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    cover=st.floats(0.5, 150),
    cover_sigma=st.floats(0, 1.2),
    size_sigma=st.floats(0, 1.5),
    allocation=st.sampled_from(["first_come", "proportional", "tied"]),
)
@example(seed=0, cover=3.0, cover_sigma=0.0, size_sigma=1.0, allocation="first_come")
def test_with_no_supply_a_plant_that_cannot_triage_halts_when_its_starting_stock_runs_out(
    seed, cover, cover_sigma, size_sigma, allocation
):
    model = _replication(
        BASELINE,
        seed,
        industry__allocation=allocation,
        **NO_TRIAGE,
        **_zero_supply(),
        **_every_sector("initial_cover_median_days", cover),
        **_every_sector("initial_cover_sigma", cover_sigma),
        **_every_sector("plant_size_sigma", size_sigma),
    )
    ind = model.industry
    assert ind.landed.sum() == 0.0
    # a plant runs every day its stock covers a full day, and halts on the first day it does not;
    # "covers" allows the model's 1e-9 relative rounding, so exactly k days of stock is k days
    # even when stock / use computes as 2.9999999996 (found by hypothesis: cover 3, no spread)
    expected = np.floor(ind.initial_plant_stock / ind.use * (1.0 + 1e-9)).astype(np.int64)
    expected[expected >= model.clock.n_days] = -1  # still running at the horizon
    np.testing.assert_array_equal(ind.first_halt_day, expected)
    # and never restarts: halted plants only accumulate
    assert (np.diff(ind.halted, axis=0) >= 0).all()
    _check_tonnes(model)
    # with orders going unfilled and nothing arriving, the price climbs and never falls
    price = model.market.price
    assert price[-1] > 100.0
    assert (np.diff(price) >= 0).all()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    cover=st.floats(0.0, 100),
    reorder=st.floats(1, 30),
    extra=st.floats(0.5, 60),
    allocation=st.sampled_from(["first_come", "proportional", "tied"]),
)
def test_with_unconstrained_supply_no_plant_halts_and_the_price_stays_flat(
    seed, cover, reorder, extra, allocation
):
    model = _replication(
        BASELINE,
        seed,
        supply__unconstrained=True,
        industry__allocation=allocation,
        **_every_sector("initial_cover_median_days", max(cover, 1e-3)),
        **_every_sector("reorder_point_days", reorder),
        **_every_sector("order_up_to_days", reorder + extra),
        **_every_sector("triage_cover_days", reorder),  # at most the reorder point, as the schema checks
    )
    assert model.industry.halted.sum() == 0
    assert model.industry.slowed.sum() == 0 and model.industry.lost_output.sum() == 0.0
    assert (model.industry.first_halt_day == -1).all()
    assert (model.market.price == 100.0).all()
    _check_tonnes(model)


def test_held_military_licences_starve_defence_not_auto(baseline):
    # every defence file is military-use material, and military files are held
    model = _replication(baseline, seed=3, licensing__military_share__defence=1.0)
    sup = model.supply
    controls = sup.controls_day
    defence, auto = SECTORS.index("defence"), SECTORS.index("auto")
    cleared = controls + int(np.ceil(model.params.licensing.cleared_days_max))  # lots cleared before
    assert sup.shipped[cleared:, defence].sum() == 0.0
    assert sup.shipped[cleared:, auto].sum() > 0.0
    # defence plants still get what came before the controls, and its outside-China share
    assert model.industry.landed[:, defence].sum() > 0.0


def test_contracts_running_at_the_rule_carry_the_normal_imports(baseline):
    model = _replication(baseline, seed=9)
    sup = model.supply
    # the US contracts caught by the rule, each at its daily rate, carry a day of normal imports
    assert (sup.contracts_at_start > 0).all()
    np.testing.assert_allclose(sup.contracts_at_start * sup.tonnes_per_contract_day, sup.normal_china_flow)
    # a full licence term ships the contract's rate times the term, in equal lots
    np.testing.assert_allclose(sup.tonnes_per_licence, sup.tonnes_per_contract_day * sup.term_days)


def test_outside_china_supply_ramps_up_only_when_switched_on(baseline):
    off = _replication(baseline, seed=4)
    on = _replication(
        baseline,
        seed=4,
        supply__ramp__enabled=True,
        supply__ramp__start=dt.date(2025, 5, 1),
        supply__ramp__ramp_days=60.0,
    )
    day = on.clock.day(dt.date(2025, 8, 1))
    assert (on.supply.outside[day] > off.supply.outside[day]).all()
    assert np.allclose(on.supply.outside[:20], off.supply.outside[:20])
    assert on.industry.halted.sum() <= off.industry.halted.sum()


def test_first_come_fills_oldest_orders_whole_and_proportional_shares_out(baseline):
    first = _replication(baseline, seed=8, industry__allocation="first_come")
    shared = _replication(baseline, seed=8, industry__allocation="proportional")
    # same plants, same supply up to the first shortage; rationing differs after it
    np.testing.assert_array_equal(first.industry.initial_plant_stock, shared.industry.initial_plant_stock)
    _check_tonnes(first)
    _check_tonnes(shared)
    # queueing for whole orders lets the plants at the back run dry sooner
    assert first.industry.first_halt_day[first.industry.first_halt_day >= 0].min() <= (
        shared.industry.first_halt_day[shared.industry.first_halt_day >= 0].min()
    )


def test_first_come_allocation_serves_the_queue_in_order(baseline):
    model = _replication(baseline, seed=2, end=dt.date(2025, 4, 10))
    ind = model.industry
    auto = np.flatnonzero(ind.sector == 0)[:4]
    ind.open_orders[:] = 0.0
    ind.open_orders[auto] = [5.0, 3.0, 4.0, 2.0]
    ind.order_time[auto] = [3.2, 1.5, 2.9, 1.1]  # queue: plants 3, 1, 2, 0
    ind.distributor[:] = 0.0
    ind.distributor[0] = 6.0
    delivered = ind._first_come()
    np.testing.assert_allclose(delivered[auto], [0.0, 3.0, 1.0, 2.0])
    assert delivered.sum() == 6.0


def _unstarted(baseline, seed: int, end: dt.date = dt.date(2025, 9, 30), **changes: Any) -> Replication:
    """Like ``_replication`` but not yet run, so a test can rewire it first."""
    spec = baseline.spec
    spec = spec.model_copy(update={"calendar": spec.calendar.model_copy(update={"end": end})})
    streams = Streams(seed, 0)
    params, _ = draw_parameters(spec, streams)
    params = with_changes(params, {path.replace("__", "."): value for path, value in changes.items()})
    return Replication(spec, params, streams)


def _cut_off(model: Replication, plant: int) -> None:
    """Give ``plant`` no share of its sector's contracts or flow; its neighbours share its part."""
    ind = model.industry
    weight = ind.use.copy()
    weight[plant] = 0.0
    model.supply.tie_to_plants(ind.sector, weight)


def test_tied_plant_cut_off_from_supply_halts_on_its_day_while_supplied_plants_never_do(baseline):
    # no controls before the horizon: normal shipments all year, every plant served by its own supplier
    model = _unstarted(
        baseline,
        seed=11,
        industry__allocation="tied",
        **NO_TRIAGE,
        industry__distributor_stock_days=0.0,
        **_every_sector("parts_pipeline_days", 0.0),
        licensing__controls_start=dt.date(2026, 6, 1),
        **_every_sector("initial_cover_median_days", 30.5),  # not a whole day: no rounding edge
        **_every_sector("initial_cover_sigma", 0.0),
    )
    ind = model.industry
    starved = int(np.flatnonzero(ind.sector == SECTORS.index("auto"))[0])
    _cut_off(model, starved)
    model.run()
    # the cut-off plant runs exactly on its own stock, then stays down: nothing reaches it
    assert ind.first_halt_day[starved] == int(np.floor(ind.initial_plant_stock[starved] / ind.use[starved]))
    assert not ind.running[starved] and ind.stock[starved] < ind.use[starved]
    # every other plant of every sector gets its share of normal supply and never halts
    others = np.arange(ind.sector.size) != starved
    assert (ind.first_halt_day[others] == -1).all()
    _check_tonnes(model)


def test_tied_licences_feed_only_the_plant_they_were_bought_for(baseline):
    # nothing unlicensed: no pipeline at sea, no supply from outside China, no distributor stock;
    # reviews approve every civil file quickly, so licensed lots flow to auto plants
    changes = dict(_zero_supply())
    changes.pop("licensing__destination_share__us")
    model = _unstarted(
        baseline,
        seed=12,
        industry__allocation="tied",
        **NO_TRIAGE,
        licensing__review__review_capacity_per_day=2000.0,
        licensing__review__min_review_days=5.0,
        licensing__review__approval_probability__auto=1.0,
        licensing__timeline=ParamTree(),
        **changes,
    )
    ind, sup = model.industry, model.supply
    starved = int(np.flatnonzero(ind.sector == SECTORS.index("auto"))[0])
    _cut_off(model, starved)
    model.run()
    auto = ind.sector == SECTORS.index("auto")
    assert sup.arriving_tied[:, auto].sum() > 0.0  # licensed auto lots landed ...
    assert sup.arriving_tied[:, starved].sum() == 0.0  # ... none at the plant no contract was bought for
    # a lot lands whole at one plant: a plant gets whole lots, not a slice of every landing
    lot = sup.tonnes_per_licence[SECTORS.index("auto")] / sup.lots_per_licence
    lots = sup.arriving_tied[:, auto] / lot
    np.testing.assert_allclose(lots, np.round(lots), atol=1e-6)
    # (a pool split by use would reach every fed plant on every day something lands)
    fed = auto & (np.arange(auto.size) != starved)
    landing = sup.arriving_tied[:, fed][sup.arriving_tied[:, fed].sum(axis=1) > 0]
    assert (landing == 0).any(axis=1).mean() > 0.5
    assert ind.first_halt_day[starved] == int(np.floor(ind.initial_plant_stock[starved] / ind.use[starved]))
    # the starved plant stays down to the end; the others got their contracts and most run at the
    # end (a plant with a small share may wait long for its next one, or have bought no contract:
    # a contract keeps its buyer when renewed; how many depends on the draws)
    assert not ind.running[starved]
    assert (sup.arriving_tied[:, fed].sum(axis=0) > 0).mean() > 0.9
    assert ind.running[fed].mean() > 0.5
    _check_tonnes(model)


def test_tied_supply_stops_the_first_auto_plant_earlier_than_a_shared_pool(baseline):
    # A pool refills any plant that runs low until the whole sector is dry; tied plants halt when
    # their own supply does, so the first halt comes earlier (same draws of everything else).
    spec = baseline.spec
    spec = spec.model_copy(update={"calendar": spec.calendar.model_copy(update={"end": dt.date(2025, 8, 1)})})
    earlier = []
    for rep in range(12):
        first = {}
        for rule in ("first_come", "tied"):
            model = simulate(spec, 3, rep, changes={"industry.allocation": rule})[0]
            # no halt before the horizon's end: censored at the day after it (a lower bound)
            day = model.outcomes()["first_stoppage_auto"]
            first[rule] = model.clock.n_days if np.isnan(day) else day
        if min(first.values()) < model.clock.n_days:  # neither halts: nothing to compare
            earlier.append(first["first_come"] - first["tied"])
    earlier = np.array(earlier)
    assert earlier.size >= 6
    assert np.median(earlier) > 3.0  # days
    assert (earlier > 0).mean() >= 0.75


def test_a_forked_tied_replication_continues_exactly_as_the_original(baseline):
    # tied supply adds state (each plant's supplier stock, lots booked per plant, the buyer stream):
    # a copy taken mid-run must carry all of it and share none of it with the original
    straight = _unstarted(baseline, seed=13, industry__allocation="tied")
    straight.run()
    model = _unstarted(baseline, seed=13, industry__allocation="tied")
    model.run_until(45)
    twin = model.fork()
    assert twin.supply.arriving_tied is not model.supply.arriving_tied
    assert twin.industry.supplier is not model.industry.supplier
    model.run()
    twin.run()
    for run in (model, twin):
        np.testing.assert_array_equal(run.industry.first_halt_day, straight.industry.first_halt_day)
        np.testing.assert_array_equal(run.supply.arriving_tied, straight.supply.arriving_tied)
        np.testing.assert_array_equal(run.industry.supplier, straight.industry.supplier)
        np.testing.assert_equal(run.outcomes(), straight.outcomes())  # NaN (no halt) equals NaN


def test_lead_times_and_buyers_do_not_depend_on_the_draw_block_size(baseline, monkeypatch):
    # lots and contracts use their streams' numbers in order, whatever the size of the blocks
    # they are drawn in: blocks far smaller than a day's lots (several refills a day) change nothing
    import sim.model.supply

    runs = []
    for block in (sim.model.supply.DRAW_BLOCK, 7):
        monkeypatch.setattr(sim.model.supply, "DRAW_BLOCK", block)
        runs.append(_replication(baseline, seed=14, end=dt.date(2025, 7, 31), supply__lots_per_licence=6))
    default, small = runs
    for name in ("shipped", "arriving", "arriving_tied", "initial_in_transit"):
        np.testing.assert_array_equal(getattr(small.supply, name), getattr(default.supply, name), name)
    np.testing.assert_array_equal(small.industry.first_halt_day, default.industry.first_halt_day)


def test_outside_share_table_equals_the_share_worked_out_day_by_day():
    """The per-day table of supply from outside China is built in one go (ramp-ups included)."""
    from sim.core.clock import Clock
    from sim.model.supply import Supply, SupplyState

    spec = load_scenario("industrial_policy").spec  # a ramp-up of non-Chinese supply
    clock = Clock(spec.calendar.start, spec.calendar.end)
    ramps = 0
    for rep in range(4):
        streams = Streams(1, rep)
        params, _ = draw_parameters(spec, streams)
        supply = Supply(clock, params, streams, SupplyState())
        ramps += supply.ramp_enabled and 0 < supply.ramp_start < clock.n_days
        by_day = np.array([supply.outside_share(day) for day in range(clock.n_days)])
        assert np.array_equal(supply._outside_share, by_day)
    assert ramps > 0


@pytest.mark.parametrize("allocation", ["tied", "first_come", "proportional"])
def test_magnets_inside_parts_keep_a_plant_running_exactly_their_days_longer(baseline, allocation):
    # Nothing lands and distributors hold nothing: a plant runs on its own stock, then on the
    # magnets built into parts on their way to it (``parts_pipeline_days`` of its use), and halts
    # on the first day the two together do not cover a full day. Cover 30.5 + 10.25 days: day 40.
    model = _replication(
        baseline,
        7,
        industry__allocation=allocation,
        **NO_TRIAGE,
        **(_zero_supply() | _every_sector("parts_pipeline_days", 10.25)),
        **_every_sector("parts_pipeline_sigma", 0.0),
        **_every_sector("initial_cover_median_days", 30.5),
        **_every_sector("initial_cover_sigma", 0.0),
    )
    ind = model.industry
    assert ind.landed.sum() == 0.0
    np.testing.assert_array_equal(ind.first_halt_day, np.full(ind.sector.size, 40))
    # the pipeline is counted upstream of the plants and drains to nothing, tonnes conserved
    np.testing.assert_allclose(ind.initial_distributor, 10.25 * ind.sector_demand)
    assert ind.distributor_stock[-1].max() < TOL
    _check_tonnes(model)


def test_parts_pipeline_stays_full_while_supply_is_normal(baseline):
    # Unconstrained supply (the validation switch): suppliers fill every order at once, so the
    # magnets inside parts are never drawn on (a buffer for a shortage, not stock that drains).
    model = _replication(
        baseline,
        11,
        supply__unconstrained=True,
        **_every_sector("parts_pipeline_days", 21.0),
    )
    full = model.industry._plants[rows.PIPELINE_FULL]
    np.testing.assert_allclose(model.industry._plants[rows.PIPELINE], full, rtol=1e-12)
    assert full.sum() > 0.0
    _check_tonnes(model)
