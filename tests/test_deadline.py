"""The truce deadline: one date that everything reads, outcomes that act on licensing, and the
deadline an extension creates, which a scenario file can force (issue 17, points 4 and 9)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest

from sim.core.domain import DESTINATIONS
from sim.experiments.branches import branch_scenario, fork_point, run_forked, select_branches
from sim.experiments.run import key_dates
from sim.model.replication import simulate
from sim.plots.charts import _deadline_words
from sim.scenario.loader import ScenarioError, load_scenario
from sim.workshop.game import Game

US = DESTINATIONS.index("us")
AUGUST_10 = dt.date(2025, 8, 10)


def _forced(us: str, china: str, later: tuple[str, str] | None = None) -> dict[str, str]:
    changes = {
        "negotiation.decision_points.truce_deadline.force_us": us,
        "negotiation.decision_points.truce_deadline.force_china": china,
    }
    if later is not None:
        changes["negotiation.decision_points.extended_deadline.force_us"] = later[0]
        changes["negotiation.decision_points.extended_deadline.force_china"] = later[1]
    return changes


def test_a_lapse_closes_the_fast_track_and_lowers_china_to_us_shipments_against_the_extension(baseline):
    """Same seed, same replication (common random numbers): only the deadline's outcome differs.

    After a lapse the US fast track is closed and every file waits the statutory
    period again, so fewer US licences are approved in the three months after the
    deadline, and fewer tonnes arrive from China once the lots in transit have landed.
    The extension's own later deadline is forced to another extension, so that the
    window compares London terms with a lapse and nothing else.
    """
    lower_approvals = lower_arrivals = 0
    reps = range(6)
    for rep in reps:
        lapse = simulate(baseline.spec, 3, rep, changes=_forced("hold", "hold"))[0]
        extension = simulate(baseline.spec, 3, rep, changes=_forced("concede", "hold", ("concede", "hold")))[
            0
        ]
        day = lapse.clock.day(AUGUST_10)
        assert (
            lapse.outcomes()["deadline_snap_back"] == 1.0
            and extension.outcomes()["deadline_extension"] == 1.0
        )
        assert not lapse.licensing.regime.fast_track and extension.licensing.regime.fast_track
        assert lapse.licensing.regime.min_review_days >= 30  # the statutory wait is back
        # everything before the outcome takes effect is the same path
        np.testing.assert_array_equal(lapse.supply.arriving[: day + 1], extension.supply.arriving[: day + 1])
        approved = [
            m.licensing.decided_per_day[day + 1 : day + 91, 1, :, US].sum() for m in (lapse, extension)
        ]
        arrived = [m.supply.arriving[day + 31 : day + 121].sum() for m in (lapse, extension)]
        lower_approvals += approved[0] < approved[1]
        lower_arrivals += arrived[0] < arrived[1]
    assert lower_approvals == len(reps)
    assert lower_arrivals == len(reps)


@pytest.mark.parametrize("outcome", ["snap_back", "escalation"])
def test_lapse_and_escalation_set_the_licensing_regime_the_scenario_gives(baseline, outcome):
    us, china = {"snap_back": ("hold", "hold"), "escalation": ("escalate", "hold")}[outcome]
    model = simulate(baseline.spec, 8, 0, changes=_forced(us, china))[0]
    change = model.params.negotiation.outcomes[outcome].licensing
    regime = model.licensing.regime
    assert regime.fast_track is False and regime.green_channel is False
    assert regime.min_review_days == change.min_review_days
    assert regime.review_capacity_per_day == change.review_capacity_per_day
    assert regime.approval_probability["auto"] == change.approval_probability["auto"]
    assert regime.military_handling == "hold"


def test_escalation_tightens_licensing_more_than_a_lapse(baseline):
    """On common random numbers an escalation leaves fewer reviewers and approves fewer files
    (after a lapse, with Europe served first, US files are already scarce: never more of them)."""
    for rep in range(4):
        lapse = simulate(baseline.spec, 2, rep, changes=_forced("hold", "hold"))[0]
        escalation = simulate(baseline.spec, 2, rep, changes=_forced("escalate", "hold"))[0]
        after = lapse.clock.day(AUGUST_10) + 1
        assert escalation.licensing.reviewers_per_day[after] < lapse.licensing.reviewers_per_day[after]
        approved = [m.licensing.decided_per_day[after:, 1].sum() for m in (lapse, escalation)]
        assert approved[1] < approved[0]
        us = [m.licensing.decided_per_day[after:, 1, :, US].sum() for m in (lapse, escalation)]
        assert us[1] <= us[0]


MOVED = """
extends = "baseline"
description = "deadline moved a month later"

[calendar]
truce_deadline = { value = 2025-09-10, source = "what-if: a later deadline" }

[negotiation.decision_points.truce_deadline]
force_us = { value = "hold", source = "what-if: lapse" }
force_china = { value = "hold", source = "what-if: lapse" }
"""


def test_moving_the_deadline_moves_every_measure_and_mark_that_depends_on_it(write_scenario):
    loaded = load_scenario(write_scenario("moved", MOVED))
    spec = loaded.spec
    model = simulate(spec, 4, 0)[0]
    day = model.clock.day(dt.date(2025, 9, 10))
    old = model.clock.day(AUGUST_10)
    o = model.outcomes()
    # the decision's day: decided on the new date, in force from the day after
    deadline = next(d for d in model.negotiation.decisions if d.kind == "deadline")
    assert deadline.day == day + 1 and o["deadline_date"] == day
    # the backlog and tariff at the deadline are read on the new date
    assert o["backlog_at_deadline"] == model.licensing.backlog_end_of_day[day]
    assert o["us_tariff_at_deadline"] == model.tariffs.us[day] == 55.0
    # the tariffs snap back the day after the new deadline, not the old one
    assert model.tariffs.us[old + 1] == 55.0 and model.tariffs.us[day + 1] == 145.0
    assert model.negotiation.status[day] == 0 and model.negotiation.status[day + 1] > 0
    # plot marks, branches and the game read the same date
    marks = {m["label"]: m["date"] for m in key_dates(loaded)}
    assert marks["Truce deadline"] == "2025-09-10" and "2025-08-10" not in marks.values()
    folder = SimpleNamespace(manifest={"key_dates": key_dates(loaded)})  # what a chart reads
    assert _deadline_words({"moved": folder}) == "10 September 2025 truce deadline"
    assert fork_point(spec, "2025-09-10").name == "truce_deadline"
    point = select_branches(fork_point(spec, "truce_deadline"), ["deal"])
    forked = run_forked(spec, {"deal": branch_scenario(loaded, point, "deal").spec}, point, 4, 0)
    assert forked.fork_day == day + 1
    game = Game(spec, 4, 0)
    deadline_turns = []
    while (status := game.advance()) is not None:
        if status.decision and "deadline" in status.decision:
            deadline_turns.append(status.day)
        game.move({}, {})
    assert deadline_turns == [day + 1]


def test_a_deadline_point_with_its_own_date_is_refused_naming_the_calendar(write_scenario):
    path = write_scenario(
        "old_key",
        'extends = "baseline"\ndescription = "old key"\n'
        "[negotiation.decision_points.truce_deadline]\n"
        'date = { value = 2025-09-10, source = "what-if: x" }\n',
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problem = info.value.problems[0]
    assert problem.key.startswith("negotiation.decision_points.truce_deadline")
    assert "calendar.truce_deadline" in problem.message and "remove `date`" in problem.message


FORCED_LATER = """
extends = "baseline"
description = "extended in August, lapses in November"

[negotiation]
extension_days = { value = 60, source = "what-if: a shorter extension" }

[negotiation.decision_points.truce_deadline]
force_us = { value = "concede", source = "what-if: extension" }
force_china = { value = "hold", source = "what-if: extension" }

[negotiation.decision_points.extended_deadline]
force_us = { value = "hold", source = "what-if: lapse at the extended deadline" }
force_china = { value = "hold", source = "what-if: lapse at the extended deadline" }
"""


def test_the_extended_deadline_is_forced_from_the_scenario_file(write_scenario):
    spec = load_scenario(write_scenario("later", FORCED_LATER)).spec
    for rep in range(3):
        model = simulate(spec, 6, rep, changes={"tariffs.court_ruling.strike_probability": 0.0})[0]
        first, second = (d for d in model.negotiation.decisions if d.kind == "deadline")
        assert (first.name, first.outcome) == ("truce_deadline", "extension")
        assert (second.name, second.us, second.china, second.outcome) == (
            "extended_deadline",
            "hold",
            "hold",
            "snap_back",
        )
        assert second.day - first.day == 60  # extension_days from the file
        assert model.tariffs.us[second.day] == 145.0 and model.tariffs.us[second.day - 1] == 55.0
        assert not model.licensing.regime.fast_track


def test_an_extended_deadline_cannot_name_a_deadline_that_does_not_exist(write_scenario):
    path = write_scenario(
        "dangling",
        'extends = "baseline"\ndescription = "x"\n'
        '[negotiation.decision_points.extended_deadline]\nafter = "no_such_deadline"\n',
    )
    with pytest.raises(ScenarioError, match="no_such_deadline"):
        load_scenario(path)


def test_forking_at_a_deadline_only_an_extension_reaches_is_refused_with_the_reason(baseline):
    with pytest.raises(ValueError, match="reached only after an extension of truce_deadline"):
        fork_point(baseline.spec, "extended_deadline")
