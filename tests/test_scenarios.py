"""Scenario files: inheritance, validation, and one clear message per mistake."""

from __future__ import annotations

import pytest

from sim.scenario.distributions import Fixed, Uniform
from sim.scenario.loader import ScenarioError, list_scenarios, load_scenario
from sim.scenario.sampling import iter_parameters

from .conftest import SCENARIOS


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_scenario_file_validates(path):
    loaded = load_scenario(path)
    assert loaded.spec.description


def test_list_finds_the_scenario_files():
    names = {p.stem for p in list_scenarios()}
    assert {"baseline", "green_channel"} <= names


def test_child_inherits_baseline_and_changes_only_what_it_says(baseline):
    child = load_scenario("green_channel")
    assert child.chain[-1].name == "baseline.toml"
    assert child.spec.licensing.review == baseline.spec.licensing.review
    assert "green_channel" in child.spec.licensing.timeline
    assert set(baseline.spec.licensing.timeline) < set(child.spec.licensing.timeline)
    assert child.origins["licensing.timeline.green_channel.date"].endswith("green_channel.toml")
    assert child.origins["licensing.initial_backlog"].endswith("baseline.toml")


def test_a_parameter_is_replaced_whole_not_merged(write_scenario):
    path = write_scenario(
        "fixed",
        'extends = "baseline"\ndescription = "x"\n'
        '[licensing]\narrivals_per_day = { value = 100, source = "what-if: test" }\n',
    )
    spec = load_scenario(path).spec
    assert isinstance(spec.licensing.arrivals_per_day, Fixed)
    assert spec.licensing.arrivals_per_day.value == 100
    assert isinstance(load_scenario("baseline").spec.licensing.initial_backlog, Uniform)


def test_every_baseline_parameter_names_its_source(baseline):
    for path, dist in iter_parameters(baseline.spec):
        assert dist.source, f"{path} has no source"
        assert dist.source.startswith(("fig:", "assumption:")), path


BAD_CASES = {
    "unknown key": (
        "[licensing]\narrivals_per_dya = 100\n",
        "licensing.arrivals_per_dya",
        "unknown key (allowed here: controls_start",
    ),
    "wrong type": (
        '[licensing]\narrivals_per_day = "many"\n',
        "licensing.arrivals_per_day",
        "must be a number",
    ),
    "probability above one": (
        '[licensing]\nrenewal_probability = { dist = "uniform", low = 0.5, high = 1.2 }\n',
        "licensing.renewal_probability",
        "within [0.0, 1.0]",
    ),
    "end before start": (
        "[calendar]\nstart = 2025-04-02\nend = 2025-03-01\n",
        "calendar",
        "end (2025-03-01) must be after start (2025-04-02)",
    ),
    "unknown distribution": (
        '[licensing]\narrivals_per_day = { dist = "gamma", low = 1, high = 2 }\n',
        "licensing.arrivals_per_day",
        "unknown distribution 'gamma' (allowed: uniform, triangular",
    ),
    "unknown figure id": (
        '[licensing]\narrivals_per_day = { value = 3, source = "fig:no_such_figure" }\n',
        "licensing.arrivals_per_day.source",
        "unknown figure id 'no_such_figure'",
    ),
    "reorder point above order-up-to level": (
        '[industry.sectors.auto]\nreorder_point_days = { value = 50, source = "what-if: x" }\n',
        "industry.sectors.auto",
        "reorder_point_days (up to 50) must not exceed order_up_to_days (from 25)",
    ),
    "plants not a whole number": (
        "[industry.sectors.defence]\nplants = 2.5\n",
        "industry.sectors.defence.plants",
        "valid integer",
    ),
    "bad military handling": (
        '[licensing.review]\nmilitary_handling = "sell"\n',
        "licensing.review",
        "military_handling must be one of hold, reject, review",
    ),
}


@pytest.mark.parametrize("case", BAD_CASES, ids=list(BAD_CASES))
def test_bad_file_gives_one_clear_problem(write_scenario, case):
    body, key, message = BAD_CASES[case]
    path = write_scenario("bad", f'extends = "baseline"\ndescription = "bad"\n{body}')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].file == str(path)
    assert problems[0].key == key
    assert message in problems[0].message


def test_missing_parent_is_named(write_scenario):
    path = write_scenario("orphan", 'extends = "no_such_parent"\ndescription = "x"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.key == "extends"
    assert "parent scenario 'no_such_parent' not found (available: baseline" in problem.message


def test_error_in_parent_names_the_parent_file(write_scenario, tmp_path):
    (tmp_path / "baseline.toml").write_text(
        (SCENARIOS / "baseline.toml").read_text().replace("licence_term_days", "licence_term_dayz")
    )
    child = write_scenario("child", 'extends = "baseline"\ndescription = "x"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    files = {p.file for p in info.value.problems}
    assert str(tmp_path / "baseline.toml") in files


def test_cycle_in_extends_is_reported(write_scenario):
    write_scenario("a", 'extends = "b"\ndescription = "a"\n')
    path = write_scenario("b", 'extends = "a"\ndescription = "b"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(path)


def test_not_toml_is_reported(write_scenario):
    path = write_scenario("broken", "description = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(path)


def test_us_side_sections_go_together(write_scenario):
    # baseline as a scenario of its own, with its [industry] tables cut out
    text = (SCENARIOS / "baseline.toml").read_text()
    start = text.index("[industry]")
    end = text.index("[market]")
    path = write_scenario("partial", text[:start] + text[end:])
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "missing: industry" in str(info.value)
