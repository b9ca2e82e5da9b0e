"""GDP by channel (subsystem 7): magnets and tariffs, levels and cumulative losses."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.core.clock import Clock
from sim.core.domain import SECTORS
from sim.experiments.run import run_experiment
from sim.model.macro import CHANNELS, QUARTERS, Macro, MacroState, tariff_drag_pct, trade_after_tariff_pct
from sim.model.replication import simulate
from sim.results.catalogue import OUTCOMES
from sim.results.folder import read_results
from sim.scenario.sampling import ParamTree

#: The GDP outcome stems: two quarterly levels and two cumulative losses.
STEMS = ("gdp_level_loss_q3", "gdp_level_loss_year_end", "gdp_loss_q3", "gdp_loss_year_end")


def _macro_params(**changes: float) -> ParamTree:
    """A small fixed [macro] section: hand-checkable numbers."""
    p = ParamTree(
        value_added_share_pct=ParamTree(auto=1.5, electronics_industrial=1.0, aerospace=0.5, defence=0.4),
        output_multiplier=2.0,
        us_imports_from_china_pct_of_gdp=1.5,
        us_exports_to_china_pct_of_gdp=0.5,
        us_import_elasticity=3.0,
        us_export_elasticity=3.0,
        us_tariff_output_share=0.5,
        china_tariff_output_share=0.8,
    )
    p.update(changes)
    return ParamTree(macro=p)


def _full_year_clock() -> Clock:
    return Clock(dt.date(2025, 4, 2), dt.date(2025, 12, 31))


# --- the magnet channel ---------------------------------------------------------------------------


def test_magnet_channel_is_lost_share_times_value_added_times_multiplier():
    clock = _full_year_clock()
    macro = Macro(clock, _macro_params(), MacroState())
    lost = np.zeros((clock.n_days, len(SECTORS)))
    q3_first, q3_last = (clock.day(d) for d in QUARTERS["q3"])
    lost[q3_first : q3_last + 1] = [0.2, 0.1, 0.0, 0.5]  # auto, electronics, aerospace, defence
    macro.run_through(0, clock.n_days - 1, lost, 0.0, 0.0)
    # by hand: 2.0 x (1.5 x 0.2 + 1.0 x 0.1 + 0.5 x 0 + 0.4 x 0.5) = 2.0 x 0.6 = 1.2% of GDP a day
    o = macro.outcomes()
    assert o["gdp_level_loss_q3_magnet_pct"] == pytest.approx(1.2)
    assert o["gdp_level_loss_q3_pct"] == pytest.approx(1.2)
    assert o["gdp_level_loss_year_end_magnet_pct"] == 0.0  # a level: back on its path once plants run
    # cumulative: 92 days of Q3 at 1.2% of GDP are 1.2 x 92 / 365 % of a year's GDP, and stay lost
    assert o["gdp_loss_q3_magnet_pct"] == pytest.approx(1.2 * 92 / 365)
    assert o["gdp_loss_year_end_magnet_pct"] == pytest.approx(1.2 * 92 / 365)
    assert macro.state.gdp_loss_pct == pytest.approx(1.2 * 92 / 365)
    assert o["gdp_level_loss_q3_tariff_pct"] == o["gdp_loss_year_end_tariff_pct"] == 0.0


def test_quarter_outside_the_horizon_is_not_a_number():
    clock = Clock(dt.date(2025, 4, 2), dt.date(2025, 9, 15))  # ends inside Q3
    macro = Macro(clock, _macro_params(), MacroState())
    macro.run_through(0, clock.n_days - 1, np.zeros((clock.n_days, len(SECTORS))), 30.0, 10.0)
    assert all(np.isnan(v) for v in macro.outcomes().values())


# --- the tariff channel ---------------------------------------------------------------------------


@pytest.mark.parametrize("elasticity", [2.0, 2.5, 3.0, 4.0])
def test_tariff_drag_saturates_below_the_trade_lost(elasticity):
    trade, share = 1.5, 0.5
    tariffs = np.concatenate([np.linspace(0, 200, 201), [300, 500, 1000, 5000]])
    drag = np.array([tariff_drag_pct(t, trade, elasticity, share) for t in tariffs])
    lost_trade = trade - np.array([trade_after_tariff_pct(t, trade, elasticity) for t in tariffs])
    assert drag[0] == 0.0
    assert (np.diff(drag) > 0).all()  # a higher tariff always costs more ...
    assert (drag <= share * lost_trade + 1e-12).all()  # ... but never more than the trade it stops
    bound = share * trade / (elasticity - 1)  # the drag's limit as imports vanish
    at_145, at_500 = (tariff_drag_pct(t, trade, elasticity, share) for t in (145.0, 500.0))
    assert at_500 <= bound <= share * trade
    # saturation: 145% -> 500% adds under half again; a linear drag would multiply it by 3.4
    assert at_500 / at_145 < 1.5
    assert at_500 - at_145 < 0.25 * share * trade


def test_tariff_drag_is_the_old_linear_rule_for_small_tariffs_and_a_known_value_at_100_percent():
    # small t: share x t x trade (the buyers pay the tariff on nearly the whole old volume)
    assert tariff_drag_pct(1.0, 1.5, 3.0, 0.5) == pytest.approx(0.5 * 0.01 * 1.5, rel=0.02)
    # elasticity 2, tariff 100%: integral of V0 (1 + u)^-2 from 0 to 1 = V0 / 2
    assert tariff_drag_pct(100.0, 1.5, 2.0, 0.5) == pytest.approx(0.5 * 1.5 / 2)


def test_both_sides_tariffs_drag_and_add_up():
    clock = _full_year_clock()
    no_loss = np.zeros((clock.n_days, len(SECTORS)))
    levels = {}
    for us, china in ((55.0, 0.0), (0.0, 10.0), (55.0, 10.0)):
        macro = Macro(clock, _macro_params(), MacroState())
        macro.run_through(0, clock.n_days - 1, no_loss, us, china)
        levels[us, china] = macro.outcomes()["gdp_level_loss_q3_tariff_pct"]
    assert levels[55.0, 0.0] > 0 and levels[0.0, 10.0] > 0
    assert levels[55.0, 10.0] == pytest.approx(levels[55.0, 0.0] + levels[0.0, 10.0])
    assert levels[55.0, 0.0] == pytest.approx(tariff_drag_pct(55.0, 1.5, 3.0, 0.5))
    assert levels[0.0, 10.0] == pytest.approx(tariff_drag_pct(10.0, 0.5, 3.0, 0.8))


# --- in the model -----------------------------------------------------------------------------------


def test_no_tariffs_and_no_shortage_cost_no_gdp_in_either_channel(baseline):
    changes = {
        "supply.unconstrained": True,
        "tariffs.us_on_china_pct": 0.0,
        "tariffs.china_on_us_pct": 0.0,
        "tariffs.timeline": ParamTree(),
        "negotiation.outcomes.snap_back.us_on_china_pct": 0.0,
        "negotiation.outcomes.snap_back.china_on_us_pct": 0.0,
        "negotiation.outcomes.escalation.us_on_china_pct": 0.0,
        "negotiation.outcomes.escalation.china_on_us_pct": 0.0,
        "negotiation.outcomes.deal.us_on_china_pct": 0.0,
        "negotiation.outcomes.deal.china_on_us_pct": 0.0,
        "negotiation.talks.us_escalation_tariff_rise_points": 0.0,
        **{f"industry.sectors.{s}.reorder_point_days": 5.0 for s in SECTORS},
        **{f"industry.sectors.{s}.order_up_to_days": 30.0 for s in SECTORS},
        # triage starts at most at the reorder point (the schema checks it), so a fed plant never slows
        **{f"industry.sectors.{s}.triage_cover_days": 5.0 for s in SECTORS},
    }
    model = simulate(baseline.spec, 6, 0, changes=changes)[0]
    assert model.tariffs.us.max() == model.tariffs.china.max() == 0.0
    assert model.industry.lost_output.max() == 0.0
    series = model.series()
    for name in (
        "gdp_loss",
        "gdp_level_loss",
        *(f"gdp_{k}_{c}" for k in ("loss", "level_loss") for c in CHANNELS),
    ):
        assert series[name].max() == 0.0, name
    assert all(v == 0.0 for k, v in model.outcomes().items() if k.startswith("gdp_")), model.outcomes()


def test_model_gdp_channels_follow_industry_and_tariffs_day_by_day(baseline):
    model = simulate(baseline.spec, 6, 0)[0]
    p = model.params.macro
    va = np.array([p.value_added_share_pct[s] for s in SECTORS])
    magnet = p.output_multiplier * model.industry.lost_output @ va
    tariff = np.array(
        [
            model.macro.tariff_drag_pct(us, cn)
            for us, cn in zip(model.tariffs.us, model.tariffs.china, strict=True)
        ]
    )
    s = model.series()
    np.testing.assert_allclose(s["gdp_level_loss_magnet"], magnet)
    np.testing.assert_allclose(s["gdp_level_loss_tariff"], tariff)
    np.testing.assert_allclose(s["gdp_loss_magnet"], np.cumsum(magnet) / 365)
    np.testing.assert_allclose(s["gdp_loss_tariff"], np.cumsum(tariff) / 365)
    assert model.state.macro.gdp_loss_pct == pytest.approx(s["gdp_loss"][-1])


def test_gdp_channels_sum_to_the_total_in_every_replication(baseline, tmp_path):
    run_experiment(baseline, 6, 3, tmp_path / "run", workers=1)
    results = read_results(tmp_path / "run")
    for stem in STEMS:
        total = results.outcomes[f"{stem}_pct"]
        parts = sum(results.outcomes[f"{stem}_{c}_pct"] for c in CHANNELS)
        assert np.isfinite(total).all() and total.size == 6
        np.testing.assert_allclose(total, parts, rtol=1e-9, atol=1e-12, err_msg=stem)
        assert (results.outcomes[f"{stem}_tariff_pct"] > 0).all()  # tariffs hold all year
    for kind in ("gdp_loss", "gdp_level_loss"):
        total = results.series(kind)
        parts = sum(results.series(f"{kind}_{c}") for c in CHANNELS)
        assert total.shape[0] == 6
        # stored as float32 (sim.results.series_store): equal to float32 rounding
        np.testing.assert_allclose(total, parts, rtol=1e-6, atol=1e-9, err_msg=kind)


def test_every_gdp_outcome_says_whether_it_is_a_level_or_cumulative():
    """In its unit, which the manifest and the summary print, and in its meaning."""
    gdp = {name: m for name, m in OUTCOMES.items() if name.startswith("gdp_")}
    assert len(gdp) == len(STEMS) * (len(CHANNELS) + 1)
    for name, m in gdp.items():
        kind = "LEVEL" if name.startswith("gdp_level") else "CUMULATIVE"
        assert m.description.startswith(f"{kind}:"), name
        assert m.unit.endswith(kind.lower()) and ("annual" in m.unit) == (kind == "CUMULATIVE"), name
