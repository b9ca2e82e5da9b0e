"""The negotiation: pain moves decisions the right way, deadline outcomes do what they say,
and what-ifs compare the right way on common random numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.core.domain import DEADLINE_OUTCOMES
from sim.model.negotiation import concede_probability, deadline_outcome
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
    assert tariff[after] == p.us_on_china_pct
    assert model.tariffs.china[after] == p.china_on_us_pct
    if outcome == "deal":
        assert reviewers[after] > reviewers[deadline]
        assert model.licensing.regime.min_review_days == p.licensing.min_review_days
    else:  # snap-back and escalation cut China's review capacity
        assert reviewers[after] < reviewers[deadline]
    if outcome == "escalation":
        assert model.negotiation.chip[after] == 1


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
    model = _replication(baseline.spec, 2)
    s = model.series()
    june = model.clock.day(dt.date(2025, 6, 30))
    assert s["us_pain"][june] > s["us_pain"][0] >= 0
    assert (s["china_pain"] >= 0).all()
    assert isinstance(model.params.negotiation, NegotiationParams)
