"""A comparison of scenarios that differ only at decision points shares their history up to the first.

Known answer: sharing is an optimisation, so every file of every scenario's folder must be the
bytes a separate run of that scenario writes (manifests aside: they record when and how). A fork
taken too late (after a differing point fired in one scenario) or a state not adopted would show
up as different outcomes, parameters or series.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.compare import ComparisonInterrupted, run_comparison
from sim.experiments.run import resume_experiment, run_experiment
from sim.experiments.shared_history import plan_shared_history
from sim.results.folder import read_results
from sim.scenario.loader import load_scenario

DEADLINE = ["baseline", "deal_by_deadline", "extension_90_days", "snap_back", "no_deal"]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and not p.name.endswith(".lock")
    }


def _separate(names: list[str], reps: int, seed: int, out: Path, workers: int, series: str = "all") -> None:
    for name in names:
        run_experiment(load_scenario(name), reps, seed, out / name, workers, series=series)


def _assert_same_folders(shared: Path, separate: Path, names: list[str]) -> None:
    for name in names:
        a, b = _files(shared / name), _files(separate / name)
        assert sorted(a) == sorted(b), name
        different = [f for f in a if a[f] != b[f]]
        assert not different, f"{name}: {different} differ from a separate run"


def test_scenarios_that_differ_only_at_decision_points_share_a_history():
    loaded = {n: load_scenario(n) for n in [*DEADLINE, "chip_escalation"]}
    plan = plan_shared_history(loaded)
    assert plan is not None and plan.reference == "baseline"
    assert plan.changed["deal_by_deadline"] == {"truce_deadline"}
    assert plan.changed["snap_back"] == {"truce_deadline", "october_talks"}  # a new round of talks
    assert plan.changed["chip_escalation"] == {"chip_rule"}  # a point in July, before the deadline
    # a licensing or tariff change may act from the first day: no shared history
    for other in ("green_channel", "court_strikes_tariffs", "industrial_policy"):
        assert plan_shared_history({"baseline": loaded["baseline"], other: load_scenario(other)}) is None
    assert plan_shared_history({"baseline": loaded["baseline"]}) is None


@pytest.mark.parametrize(("workers", "series"), [(1, "all"), (2, "quantiles")])
def test_a_shared_comparison_writes_the_bytes_of_separate_runs(tmp_path, workers, series):
    names = [*DEADLINE, "chip_escalation"]  # forks in July (chip rule) and at the deadline
    loaded = {n: load_scenario(n) for n in names}
    run_comparison(loaded, 5, 11, tmp_path / "shared", workers, series=series)
    _separate(names, 5, 11, tmp_path / "separate", workers, series)
    _assert_same_folders(tmp_path / "shared", tmp_path / "separate", names)
    manifest = json.loads((tmp_path / "shared" / "snap_back" / "manifest.json").read_text())
    assert manifest["shared_history"] == {
        "reference": "baseline",
        "forked_at": ["chip_rule", "october_talks", "truce_deadline"],
    }
    assert manifest["complete"] is True and manifest["reps_completed"] == 5


def test_a_deadline_reached_by_extension_forks_before_the_deadline_it_extends(write_scenario, tmp_path):
    """Forcing the extended deadline differs from the day the first deadline fires (it creates the
    follower), not from the follower's own date: a later fork would keep the reference's follower."""
    folder = write_scenario(
        "extension_then_deal",
        'extends = "extension_90_days"\ndescription = "the extended deadline ends in a deal"\n'
        "[negotiation.decision_points.extended_deadline]\n"
        'force_us = { value = "concede", source = "what-if: a deal at the extended deadline" }\n'
        'force_china = { value = "concede", source = "what-if: a deal at the extended deadline" }\n',
    ).parent
    (folder / "extension_90_days.toml").write_text(Path("scenarios/extension_90_days.toml").read_text())
    names = ["extension_90_days", "extension_then_deal"]
    loaded = {n: load_scenario(folder / f"{n}.toml") for n in names}
    assert plan_shared_history(loaded).changed == {"extension_then_deal": {"extended_deadline"}}
    run_comparison(loaded, 4, 3, tmp_path / "shared", 1)
    for name in names:
        run_experiment(loaded[name], 4, 3, tmp_path / "separate" / name, 1)
    _assert_same_folders(tmp_path / "shared", tmp_path / "separate", names)
    # the forced follower did change the outcome: a deal at the extended deadline in every replication
    deals = (tmp_path / "shared" / "extension_then_deal" / "outcomes.csv").read_text()
    assert deals != (tmp_path / "shared" / "extension_90_days" / "outcomes.csv").read_text()


def test_ctrl_c_keeps_every_scenarios_finished_replications_and_each_folder_resumes(tmp_path):
    names = ["deal_by_deadline", "no_deal"]
    loaded = {n: load_scenario(n) for n in names}
    told: list[tuple[str, int]] = []

    def progress(name: str, n: int) -> None:
        told.append((name, n))
        if len(told) == 3:  # the second chunk: the first scenario's rows written, the second's not yet
            raise KeyboardInterrupt

    with pytest.raises(ComparisonInterrupted, match="interrupted during every scenario"):
        run_comparison(loaded, 8, 5, tmp_path / "shared", 1, progress)
    for name in names:
        manifest = json.loads((tmp_path / "shared" / name / "manifest.json").read_text())
        assert manifest["complete"] is False and 0 < manifest["reps_completed"] < 8
        resume_experiment(tmp_path / "shared" / name, 1)
    _separate(names, 8, 5, tmp_path / "separate", 1)
    for name in names:  # a resume cuts its chunk files differently; their rows and series are the same
        shared = read_results(tmp_path / "shared" / name)
        separate = read_results(tmp_path / "separate" / name)
        for table in ("outcomes.csv", "parameters.csv"):
            assert (shared.folder / table).read_bytes() == (separate.folder / table).read_bytes()
        for series in ("backlog", "gdp_loss", "us_pain"):
            assert np.array_equal(shared.series(series), separate.series(series), equal_nan=True)


@pytest.mark.parametrize("date", ["2025-04-02", "2025-12-31"])  # the calendar's first and last days
def test_a_fork_on_the_first_or_last_day_still_gives_separate_runs_bytes(write_scenario, tmp_path, date):
    path = write_scenario(
        "talks",
        f'extends = "baseline"\ndescription = "talks on {date}"\n'
        "[negotiation.decision_points.talks_now]\n"
        f'date = {{ value = {date}, source = "what-if: talks on that day" }}\n'
        'kind = "talks"\n'
        'force_us = { value = "concede", source = "what-if: a concession" }\n'
        'force_china = { value = "concede", source = "what-if: a concession" }\n',
    )
    loaded = {"baseline": load_scenario(path.parent / "baseline.toml"), "talks": load_scenario(path)}
    run_comparison(loaded, 3, 8, tmp_path / "shared", 1)
    for name, scenario in loaded.items():
        run_experiment(scenario, 3, 8, tmp_path / "separate" / name, 1)
    _assert_same_folders(tmp_path / "shared", tmp_path / "separate", list(loaded))


def test_a_fork_copies_only_waiting_files_and_filed_rows_and_continues_as_the_original():
    """The copy at a fork drops the review queue's served slots and the table's unwritten rows
    (``ReviewQueue.__deepcopy__``, ``ApplicationTable.__deepcopy__``); the copy and the original,
    run on, give the same outcomes and series to the bit."""
    from sim.core.streams import Streams
    from sim.model.replication import Replication
    from sim.scenario.sampling import draw_parameters

    spec = load_scenario("baseline").spec
    streams = Streams(21, 4)
    params, _ = draw_parameters(spec, streams)
    model = Replication(spec, params, streams)
    model.run_until(model.negotiation.pending_point("truce_deadline").fire_day)
    queue, apps = model.licensing.queue, model.licensing.apps
    assert (queue.head > 0).any()  # files served: slots the copy can drop
    twin = model.fork()
    assert not twin.licensing.queue.head.any()
    assert np.array_equal(twin.licensing.queue.tail, queue.tail - queue.head)
    for lane in range(queue.n_lanes):
        live = slice(queue.head[lane], queue.tail[lane])
        assert np.array_equal(
            twin.licensing.queue.lane_rows[lane, : queue.tail[lane] - queue.head[lane]],
            queue.lane_rows[lane, live],
        )
    assert twin.licensing.apps.size == apps.size
    assert np.array_equal(twin.licensing.apps.column("filed"), apps.column("filed"), equal_nan=True)
    twin.run()
    model.run()
    ours, theirs = twin.outcomes(), model.outcomes()
    assert list(ours) == list(theirs)
    assert np.array_equal(
        np.array(list(ours.values()), float), np.array(list(theirs.values()), float), equal_nan=True
    )
    for name, values in model.series().items():
        assert np.array_equal(twin.series()[name], values, equal_nan=True), name
