"""The negotiation: pain moves decisions the right way, deadline outcomes do what they say,
and what-ifs compare the right way on common random numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.domain import DEADLINE_OUTCOMES
from sim.model.negotiation import concede_probability, deadline_outcome, economy_array, pain_of
from sim.model.replication import Replication, simulate
from sim.scenario.loader import load_scenario
from sim.scenario.params import NegotiationParams

from .conftest import SCENARIOS

FORCED = {
    "deal": ("concede", "concede"),
    "extension": ("concede", "hold"),
    "snap_back": ("hold", "hold"),
    "escalation": ("escalate", "hold"),
}


def _replication(spec, seed: int, rep: int = 0, court: bool = True, **deadline_changes) -> Replication:
    changes = {f"negotiation.decision_points.truce_deadline.{k}": v for k, v in deadline_changes.items()}
    if not court:
        changes["tariffs.court_ruling.strike_probability"] = 0.0
    return simulate(spec, seed, rep, changes=changes)[0]


@given(
    pain=st.floats(-5, 50),
    more=st.floats(0, 50),
    base=st.floats(-20, 20),
    per_pain=st.floats(0, 10),
)
def test_more_pain_never_lowers_the_chance_of_conceding(pain, more, base, per_pain):
    assert concede_probability(pain + more, base, per_pain) >= concede_probability(pain, base, per_pain)


def test_a_negative_pain_slope_is_refused(write_scenario):
    from sim.scenario.loader import ScenarioError

    path = write_scenario(
        "bad",
        'extends = "baseline"\ndescription = "bad"\n'
        '[negotiation.us]\nconcede_per_pain = { value = -1, source = "what-if: x" }\n',
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems[0].key == "negotiation.us.concede_per_pain"


def test_deadline_outcome_table():
    assert deadline_outcome("concede", "concede") == "deal"
    assert deadline_outcome("concede", "hold") == "extension"
    assert deadline_outcome("hold", "concede") == "extension"
    assert deadline_outcome("hold", "hold") == "snap_back"
    assert deadline_outcome("escalate", "hold") == "escalation"
    assert deadline_outcome("hold", "escalate") == "escalation"
    assert deadline_outcome("escalate", "concede") == "extension"


@pytest.mark.parametrize("outcome", DEADLINE_OUTCOMES)
def test_forcing_each_deadline_outcome_has_its_effect_the_next_day(baseline, outcome):
    us, china = FORCED[outcome]
    model = _replication(baseline.spec, seed=12, court=False, force_us=us, force_china=china)
    p = model.params.negotiation.outcomes[outcome]
    deadline = model.clock.day(dt.date(2025, 8, 10))
    after = deadline + 1
    o = model.outcomes()
    assert o[f"deadline_{outcome}"] == 1.0
    assert model.negotiation.status[deadline] == 0 and model.negotiation.status[after] > 0
    tariff = model.tariffs.us
    reviewers = model.licensing.reviewers_per_day
    if outcome == "extension":
        assert tariff[after] == tariff[deadline]
        assert reviewers[after] == reviewers[deadline]
        # the next deadline comes extension_days later
        later = [d for d in model.negotiation.decisions if d.kind == "deadline"]
        assert len(later) >= 2 and later[1].day - later[0].day == int(model.params.negotiation.extension_days)
        return
    if outcome == "deal":  # a concession keeps the level in force where the drawn one is higher
        assert tariff[after] == min(p.us_on_china_pct, tariff[deadline])
        assert model.tariffs.china[after] == min(p.china_on_us_pct, model.tariffs.china[deadline])
    else:
        assert tariff[after] == p.us_on_china_pct
        assert model.tariffs.china[after] == p.china_on_us_pct
    if outcome == "deal":
        assert reviewers[after] > reviewers[deadline]
        assert model.licensing.regime.min_review_days <= p.licensing.min_review_days
    else:  # snap-back and escalation cut China's review capacity
        assert reviewers[after] < reviewers[deadline]
    if outcome == "escalation":
        assert model.negotiation.chip[after] == 1


def _deal_after_mild_terms(baseline, seed: int, **regime) -> tuple[Replication, int]:
    """A forced deal at the truce deadline, with tariffs cut to 10/10 (and ``regime``) the day before."""
    from sim.core.streams import Streams
    from sim.scenario.param_types import with_changes
    from sim.scenario.sampling import ParamTree, draw_parameters

    streams = Streams(seed, 0)
    params, _ = draw_parameters(baseline.spec, streams)
    forced = {"force_us": "concede", "force_china": "concede"}
    params = with_changes(
        params, {f"negotiation.decision_points.truce_deadline.{k}": v for k, v in forced.items()}
    )
    model = Replication(baseline.spec, params, streams)
    deadline = model.clock.day(dt.date(2025, 8, 10))
    model.run_until(deadline)
    model.tariffs.set_levels(us=10.0, china=10.0)
    if regime:
        model.licensing.apply_policy(ParamTree(regime), float(model.today))
    model.run()
    return model, deadline


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_deal_never_raises_a_tariff_already_below_its_drawn_level(baseline, seed):
    # both tariffs at 10% before the deadline; the deal draws the US level from 20-40%
    model, deadline = _deal_after_mild_terms(baseline, seed)
    assert model.outcomes()["deadline_deal"] == 1.0
    drawn = model.params.negotiation.outcomes.deal.us_on_china_pct
    assert drawn > 10.0  # the deal's own level would have been a rise
    after = deadline + 1
    assert model.tariffs.us[deadline] == 10.0 and model.tariffs.china[deadline] == 10.0
    assert model.tariffs.us[after] <= 10.0 and model.tariffs.china[after] <= 10.0


def test_a_deal_never_slows_the_review_or_lengthens_its_wait(baseline):
    # a review faster than any deal draws (capacity 5000 a day, 2-day wait, every file approved)
    fast = {"review_capacity_per_day": 5000.0, "min_review_days": 2.0, "fast_track": True}
    model, _ = _deal_after_mild_terms(baseline, 7, approval_probability={"auto": 1.0}, **fast)
    deal = model.params.negotiation.outcomes.deal.licensing
    assert deal.review_capacity_per_day < 5000.0 and deal.min_review_days > 2.0
    regime = model.licensing.regime
    assert regime.review_capacity_per_day >= 5000.0
    assert regime.min_review_days <= 2.0
    assert regime.fast_track and regime.approval_probability["auto"] == 1.0


@pytest.mark.slow
def test_snap_back_costs_more_gdp_than_a_deal_on_common_random_numbers():
    deal = load_scenario("deal_by_deadline").spec
    snap = load_scenario("snap_back").spec
    pairs = []
    for rep in range(10):
        a = _replication(deal, 5, rep).outcomes()["gdp_loss_year_end_pct"]
        b = _replication(snap, 5, rep).outcomes()["gdp_loss_year_end_pct"]
        pairs.append((a, b))
    pairs = np.array(pairs)
    assert (pairs[:, 1] > pairs[:, 0]).mean() >= 0.8
    assert np.median(pairs[:, 1]) > np.median(pairs[:, 0])


def test_court_ruling_caps_the_us_tariff_for_good():
    spec = load_scenario("court_strikes_tariffs").spec
    model = _replication(spec, 3, force_us="hold", force_china="hold")  # snap-back after the deadline
    ruling = model.clock.day(model.params.tariffs.court_ruling.date)
    cap = model.params.tariffs.court_ruling.fallback_us_on_china_pct
    assert (model.tariffs.us[ruling:] <= cap).all()
    assert model.tariffs.state.struck_down


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_scenario_runs(path):
    spec = load_scenario(path).spec
    for rep in range(2):
        model = _replication(spec, 1, rep) if spec.negotiation else None
        assert model is not None
        o = model.outcomes()
        assert sum(o[f"deadline_{name}"] for name in DEADLINE_OUTCOMES) == 1.0
        assert o["gdp_loss_year_end_pct"] >= o["gdp_loss_q3_pct"] > 0


def test_chip_controls_slow_licensing_and_hold_military_files():
    spec = load_scenario("chip_escalation").spec
    base = load_scenario("baseline").spec
    esc = _replication(spec, 4)
    ref = _replication(base, 4)
    rule = esc.clock.day(esc.params.negotiation.decision_points.chip_rule.date)
    assert esc.negotiation.chip[rule] == 1 and ref.negotiation.chip[rule] == 0
    assert esc.licensing.reviewers_per_day[rule] < ref.licensing.reviewers_per_day[rule]


def test_forced_decisions_do_not_shift_other_draws(baseline):
    a = _replication(baseline.spec, 9, force_us="hold")
    b = _replication(baseline.spec, 9, force_us="concede")
    deadline = a.clock.day(dt.date(2025, 8, 10))
    # everything before the deadline is the same path
    np.testing.assert_array_equal(a.industry.halted[:deadline], b.industry.halted[:deadline])
    assert a.negotiation.decisions[0] == b.negotiation.decisions[0]


def test_pain_rises_with_a_shortage(baseline):
    """Same replication with and without the controls' shortage: idle plants and dear magnets hurt the US."""
    controlled = _replication(baseline.spec, 2, court=False)
    free = simulate(
        baseline.spec,
        2,
        0,
        changes={"supply.unconstrained": True, "tariffs.court_ruling.strike_probability": 0.0},
    )[0]
    june = controlled.clock.day(dt.date(2025, 6, 30))
    assert controlled.industry.lost_output[june].sum() > 0 == free.industry.lost_output[june].sum()
    assert controlled.negotiation.us_pain[june] > free.negotiation.us_pain[june]
    assert (controlled.negotiation.china_pain >= 0).all() and (controlled.negotiation.us_pain >= 0).all()
    assert isinstance(controlled.params.negotiation, NegotiationParams)


# --- leverage: pain on one money scale, from what the other side withholds ---------------------------

#: A day's state for ``pain_of``: idle value added (% of GDP), price index, licences in force
#: (share of normal), US tariff, China's tariff (percent), chip controls (0 or 1)
STATE = st.tuples(
    st.floats(0, 5),
    st.floats(100, 400),
    st.floats(0, 1),
    st.floats(0, 200),
    st.floats(0, 200),
    st.sampled_from([0.0, 1.0]),
)
#: which input moves, by how much, and whose pain it must raise: (index in STATE, sign, side hurt)
WITHHOLDING = {
    "china idles US plants": (0, 1, "us"),
    "china's magnets get dearer": (1, 1, "us"),
    "china tariffs US exports": (4, 1, "us"),
    "us tariffs China's exports": (3, 1, "china"),
    "us tech controls": (5, 1, "china"),
    "china licenses fewer magnets": (2, -1, "china"),  # China's own cost
}


@pytest.fixture(scope="module")
def drawn(baseline):
    from sim.core.streams import Streams
    from sim.scenario.sampling import draw_parameters

    return draw_parameters(baseline.spec, Streams(1, 0))[0]


@settings(deadline=None)  # the first call loads the compiled kernel
@given(state=STATE, what=st.sampled_from(sorted(WITHHOLDING)), step=st.floats(0.01, 100))
def test_leverage_is_monotone_more_pain_on_a_side_raises_its_chance_of_conceding(drawn, state, what, step):
    """Whatever raises a side's pain raises its chance of conceding, for each side."""
    index, sign, side = WITHHOLDING[what]
    more = list(state)
    more[index] = more[index] + sign * step
    more[0], more[2] = max(0.0, more[0]), min(1.0, max(0.0, more[2]))
    more[5] = min(1.0, more[5])
    economy = economy_array(drawn)
    before = dict(zip(("us", "china"), pain_of(*state, economy), strict=True))
    after = dict(zip(("us", "china"), pain_of(*more, economy), strict=True))
    assert after[side] >= before[side] >= 0
    p = drawn.negotiation[side]
    assert concede_probability(after[side], p.concede_base, p.concede_per_pain) >= concede_probability(
        before[side], p.concede_base, p.concede_per_pain
    )


def test_pressure_can_pay_raising_one_sides_withholding_raises_the_other_sides_pain(drawn):
    """Each side's threats reach the other side's pain, on one money scale ($bn a month)."""
    economy = economy_array(drawn)
    london = (0.1, 130.0, 0.8, 55.0, 10.0, 0.0)
    us, china = pain_of(*london, economy)
    # what China withholds hurts the US: plants idle, magnets dearer, its tariff on US exports
    assert pain_of(0.5, *london[1:], economy)[0] > us
    assert pain_of(0.1, 200.0, *london[2:], economy)[0] > us
    assert pain_of(*london[:4], 125.0, 0.0, economy)[0] > us
    # what the US withholds hurts China: its tariff on Chinese exports, technology controls
    assert pain_of(*london[:3], 145.0, 10.0, 0.0, economy)[1] > china
    assert pain_of(*london[:5], 1.0, economy)[1] > china
    # a 100-point tariff on China's exports weighs far more than all its magnet revenue
    magnets_all_lost = pain_of(0.1, 100.0, 0.0, 0.0, 10.0, 0.0, economy)[1]
    tariff = pain_of(0.1, 100.0, 1.0, 100.0, 10.0, 0.0, economy)[1]
    assert tariff > 5 * magnets_all_lost
    # the trade a tariff stops saturates: never more than the trade there was
    assert (
        pain_of(0.0, 100.0, 1.0, 1e6, 0.0, 0.0, economy)[1]
        <= float(drawn.macro.us_imports_from_china_pct_of_gdp)
        / 100
        * drawn.negotiation.economy.us_gdp_bn_per_year
        / 12
    )


TALKS = """
extends = "baseline"
description = "July talks"

[negotiation.decision_points.july_talks]
date = {{ value = 2025-07-01, source = "what-if: new talks" }}
kind = "talks"
force_us = {{ value = "{us}", source = "what-if: x" }}
force_china = {{ value = "{china}", source = "what-if: x" }}

[negotiation.decision_points.truce_deadline]
force_us = {{ value = "concede", source = "what-if: extension, to compare like with like" }}
force_china = {{ value = "hold", source = "what-if: extension" }}
"""


def test_pressure_at_talks_raises_the_other_sides_pain_on_common_random_numbers(write_scenario):
    """China escalating at talks (fast track closed) hurts the US; the US escalating hurts China."""
    specs = {
        (us, china): load_scenario(write_scenario(f"t_{us}_{china}", TALKS.format(us=us, china=china))).spec
        for us, china in (("hold", "hold"), ("hold", "escalate"), ("escalate", "hold"))
    }
    us_hurt, china_hurt = [], []
    for rep in range(6):
        runs = {k: simulate(spec, 5, rep)[0] for k, spec in specs.items()}
        day = runs["hold", "hold"].clock.day(dt.date(2025, 9, 15))
        base = runs["hold", "hold"].negotiation
        us_hurt.append(runs["hold", "escalate"].negotiation.us_pain[day] - base.us_pain[day])
        china_hurt.append(runs["escalate", "hold"].negotiation.china_pain[day] - base.china_pain[day])
        assert not runs["hold", "escalate"].licensing.regime.fast_track
    assert min(china_hurt) > 0
    assert np.mean(us_hurt) > 0 and np.mean(np.array(us_hurt) > 0) >= 0.8
