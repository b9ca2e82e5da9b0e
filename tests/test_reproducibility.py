"""Same seed, same results, whatever the number of workers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.streams import Streams, replication_seed
from sim.experiments.run import run_experiment
from sim.model.replication import Replication, run_replication
from sim.results.folder import read_results
from sim.scenario.param_types import with_changes
from sim.scenario.sampling import draw_parameters


def test_replication_seed_equals_spawned_child():
    children = np.random.SeedSequence(123).spawn(5)
    for rep, child in enumerate(children):
        ours = replication_seed(123, rep)
        assert ours.generate_state(4).tolist() == child.generate_state(4).tolist()


def test_named_streams_do_not_shift_each_other():
    a, b = Streams(7, 0), Streams(7, 0)
    a.generator("licensing.review").random(100)  # using one stream...
    assert a.generator("licensing.arrivals").random() == b.generator("licensing.arrivals").random()
    assert (
        Streams(7, 1).generator("licensing.arrivals").random() != b.generator("licensing.arrivals").random()
    )


def test_same_seed_same_replication(baseline):
    r1 = run_replication(baseline.spec, 99, 3)
    r2 = run_replication(baseline.spec, 99, 3)
    assert r1.outcomes == r2.outcomes
    assert r1.parameters == r2.parameters
    for name in r1.series:
        assert np.array_equal(r1.series[name], r2.series[name])
    r3 = run_replication(baseline.spec, 100, 3)
    assert r3.outcomes != r1.outcomes


@pytest.mark.slow
def test_results_identical_serial_two_processes_and_a_local_dask_cluster(baseline, tmp_path):
    folders = []
    for name, workers, dask in (("serial", 1, None), ("processes", 2, None), ("dask", 2, "local")):
        out = tmp_path / name
        run_experiment(baseline, reps=6, master_seed=2025, out=out, workers=workers, dask=dask)
        folders.append(out)
    for table in ("outcomes.csv", "parameters.csv"):
        serial = (folders[0] / table).read_bytes()
        assert serial == (folders[1] / table).read_bytes(), table
        assert serial == (folders[2] / table).read_bytes(), table
    serial, *others = (read_results(f) for f in folders)
    assert len(serial.series_names()) > 40
    for other in others:  # chunk files differ in size by engine; the series they hold do not
        for name in serial.series_names():
            assert np.array_equal(serial.series(name), other.series(name), equal_nan=True), name


def test_scenarios_share_parameter_draws(baseline):
    """Common random numbers: a parameter two scenarios share gets the same draw."""
    from sim.scenario.loader import load_scenario

    other = load_scenario("green_channel")
    a = run_replication(baseline.spec, 5, 2).parameters
    b = run_replication(other.spec, 5, 2).parameters
    shared = set(a) & set(b)
    assert len(shared) > 40
    assert all(a[k] == b[k] for k in shared)


@pytest.mark.parametrize("master_seed", [0, 1, 20250404, 2**40 + 7, 2**64 + 3])
def test_compiled_parameter_uniforms_equal_numpys_seed_sequence(master_seed):
    # the compiled hashing must give exactly what SeedSequence(master, spawn_key=...) gives
    from sim.core.streams import Streams, stream_key

    paths = ["licensing.arrivals_per_day", "supply.lots_per_licence", "x", "a.b.c.d.e"]
    for rep in (0, 1, 999, 2**33):
        got = Streams(master_seed, rep).parameter_uniforms(paths).tolist()
        for path, value in zip(paths, got, strict=True):
            key = (rep, stream_key("parameters"), stream_key(path))
            ss = np.random.SeedSequence(master_seed, spawn_key=key)
            hi, lo = ss.generate_state(2, np.uint32)
            assert value == ((int(hi) << 21 | int(lo) >> 11) + 0.5) / 2.0**53
            assert 0.0 < value < 1.0


@pytest.mark.parametrize("unconstrained", [False, True])
def test_days_closed_in_stretches_or_one_at_a_time_give_the_same_replication(baseline, unconstrained):
    """The model closes quiet days in stretches (sim.model.replication); pausing at every midnight forces one
    day at a time, which must give the same numbers, bit for bit, and publish each day's state."""
    spec = baseline.spec
    changes = {"supply.unconstrained": True} if unconstrained else {}

    def build() -> Replication:
        streams = Streams(11, 4)
        params, _ = draw_parameters(spec, streams)
        return Replication(spec, with_changes(params, changes), streams)

    stretches, daily = build(), build()
    closed: dict[int, list[tuple[int, int]]] = {id(stretches): [], id(daily): []}
    for model in (stretches, daily):
        close, calls = model._close_days, closed[id(model)]
        model._close_days = lambda first, last, close=close, calls=calls: (  # type: ignore[method-assign]
            calls.append((first, last)),
            close(first, last),
        )
    stretches.run()
    n_days = daily.clock.n_days
    for day in range(1, n_days):
        daily.run_until(day)
        state = daily.state
        assert state.day == day - 1
        assert state.market.price_index == daily.market.price[day - 1]
        assert state.macro.gdp_loss_pct == daily.macro.cumulative[day - 1]
        assert state.negotiation.us_pain == daily.negotiation.us_pain[day - 1]
        assert state.licensing.backlog == daily.licensing.backlog_end_of_day[day - 1]
    daily.run()
    assert daily.outcomes() == pytest.approx(stretches.outcomes(), rel=0, abs=0, nan_ok=True)
    a, b = stretches.series(), daily.series()
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=True), name
    # the comparison means something only if one run closed stretches and the other single days
    n_stretches = len(closed[id(stretches)])
    assert n_stretches < n_days / 5
    assert all(first == last for first, last in closed[id(daily)])
