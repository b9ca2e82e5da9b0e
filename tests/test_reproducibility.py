"""Same seed, same results, whatever the number of workers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiment import run_experiment
from sim.model import run_replication
from sim.results import read_results
from sim.streams import Streams, replication_seed


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
    from sim.loader import load_scenario

    other = load_scenario("green_channel")
    a = run_replication(baseline.spec, 5, 2).parameters
    b = run_replication(other.spec, 5, 2).parameters
    shared = set(a) & set(b)
    assert len(shared) > 40
    assert all(a[k] == b[k] for k in shared)


@pytest.mark.parametrize("master_seed", [0, 1, 20250404, 2**40 + 7, 2**64 + 3])
def test_compiled_parameter_uniforms_equal_numpys_seed_sequence(master_seed):
    # the compiled hashing must give exactly what SeedSequence(master, spawn_key=...) gives
    from sim.streams import Streams, stream_key

    paths = ["licensing.arrivals_per_day", "supply.lots_per_licence", "x", "a.b.c.d.e"]
    for rep in (0, 1, 999, 2**33):
        got = Streams(master_seed, rep).parameter_uniforms(paths).tolist()
        for path, value in zip(paths, got, strict=True):
            key = (rep, stream_key("parameters"), stream_key(path))
            ss = np.random.SeedSequence(master_seed, spawn_key=key)
            hi, lo = ss.generate_state(2, np.uint32)
            assert value == ((int(hi) << 21 | int(lo) >> 11) + 0.5) / 2.0**53
            assert 0.0 < value < 1.0
