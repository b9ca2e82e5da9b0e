"""The public Python API (``import sim``): every name documented, one result shape, dates as dates."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import sim
from sim.results.catalogue import OUTCOMES, SERIES

from .test_sensitivity import TOY_TOML

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numba", "scipy", "matplotlib", "SALib", "dask", "pandas")
DATE_OUTCOMES = [name for name, m in OUTCOMES.items() if m.kind == "date"]


def _modules_loaded_by(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the names -------------------------------------------------------------------------------------


def test_every_public_name_exists_and_has_its_own_docstring():
    assert len(sim.__all__) == len(set(sim.__all__))
    for name in sim.__all__:
        if name == "__version__":
            assert isinstance(sim.__version__, str)
            continue
        value = getattr(sim, name)
        assert inspect.isfunction(value) or inspect.isclass(value), f"sim.{name} is not a function or class"
        doc = value.__doc__ or ""
        # a dataclass without a docstring gets its signature as __doc__: not documentation
        assert doc.strip() and not doc.startswith(f"{value.__name__}("), f"sim.{name} has no docstring"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = sim.no_such_thing


def test_import_sim_loads_none_of_the_heavy_libraries():
    assert _modules_loaded_by("import sim") == []


@pytest.mark.parametrize(
    "args", [["--help"], ["run", "--help"], ["sensitivity", "--help"], ["play", "--help"]]
)
def test_help_loads_none_of_the_heavy_libraries(args):
    code = f"from sim.cli import app\ntry:\n    app({args!r})\nexcept SystemExit:\n    pass"
    assert _modules_loaded_by(code) == []


def test_list_loads_none_of_the_heavy_libraries():
    # validating the scenarios (when their remembered rows are stale) needs pydantic, never these
    code = "from sim.cli import app\ntry:\n    app(['list'])\nexcept SystemExit:\n    pass"
    assert _modules_loaded_by(code) == []


# --- a run ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> sim.RunResult:
    return sim.run("baseline", reps=3, seed=5, folder=tmp_path_factory.mktemp("api") / "run", workers=1)


def test_to_frame_has_one_row_per_replication_and_date_outcomes_as_datetime64(run):
    frame = run.to_frame()
    assert frame.index.name == "rep" and list(frame.index) == [0, 1, 2]
    on_disk = pd.read_csv(run.folder / "outcomes.csv", index_col="rep")
    assert list(frame.columns) == list(on_disk.columns)
    for name in frame.columns:
        if name in DATE_OUTCOMES:
            assert frame[name].dtype.kind == "M", name
            written = pd.to_datetime(on_disk[name])  # ISO dates in the table
            assert frame[name].equals(written.astype(frame[name].dtype).rename(name)), name
        else:
            assert frame[name].dtype == float, name
            np.testing.assert_array_equal(frame[name].to_numpy(), on_disk[name].to_numpy(dtype=float))


def test_to_xarray_is_replication_by_date_with_units(run):
    data = run.to_xarray(["backlog", "stock_auto"])
    assert data.backlog.dims == ("replication", "date")
    assert data.backlog.attrs["units"] == SERIES["backlog"].unit
    assert data.stock_auto.attrs["units"] == SERIES["stock_auto"].unit == "tonnes"
    assert data.date.dtype.kind == "M" and str(data.date.values[0])[:10] == str(run.dates[0])
    assert list(data.replication.values) == [0, 1, 2]
    np.testing.assert_array_equal(data.backlog.values, run.results.series("backlog"))


def test_plot_returns_a_figure_for_a_series_a_sector_prefix_and_an_outcome(run):
    for name in ("backlog", "plants_halted", "gdp_loss_year_end_pct"):
        assert isinstance(run.plot(name), Figure), name
    with pytest.raises(ValueError, match="neither"):
        run.plot("no_such_series")


def test_summary_is_the_table_tradesim_run_prints(run):
    table = run.summary()
    assert {"median", "low", "high", "unit"} <= set(table.columns)
    assert "gdp_loss_year_end_pct" in table.index


def test_one_replication_in_memory_equals_the_same_replication_on_disk(run):
    """Same scenario, seed and replication: the same outcomes, whether written or not, dates as dates."""
    one = sim.replicate("baseline", seed=5, rep=1)
    row = one.to_frame().iloc[0]
    written = run.to_frame().loc[1]
    for name in written.index:
        if name in DATE_OUTCOMES:
            assert row[name] == written[name] or (pd.isna(row[name]) and pd.isna(written[name])), name
        else:
            assert row[name] == written[name] or (np.isnan(row[name]) and np.isnan(written[name])), name
    assert one.to_xarray(["backlog"]).backlog.dims == ("replication", "date")


def test_open_results_reads_back_the_same_run(run):
    again = sim.open_results(run.folder)
    assert isinstance(again, sim.RunResult)
    assert again.to_frame().equals(run.to_frame())


# --- the other experiments, on small designs ----------------------------------------------------------


@pytest.fixture(scope="module")
def comparison(tmp_path_factory) -> sim.ComparisonResult:
    folder = tmp_path_factory.mktemp("api") / "cmp"
    return sim.compare(["deal_by_deadline", "snap_back"], reps=3, seed=5, folder=folder, workers=1)


def test_comparison_has_the_same_shape(comparison):
    frame = comparison.to_frame()
    assert frame.index.names == ["scenario", "rep"]
    assert set(frame.index.get_level_values("scenario")) == {"deal_by_deadline", "snap_back"}
    assert all(frame[name].dtype.kind == "M" for name in DATE_OUTCOMES if name in frame)
    dates = comparison.summary("first_stoppage_auto")
    assert dates["median"].dtype.kind == "M" and dates["diff_median"].dtype == float
    gdp = comparison.summary("gdp_loss_year_end_pct")
    assert gdp["median"].dtype == float and np.isnan(gdp["diff_median"].iloc[0])
    assert comparison.to_xarray(["backlog"]).backlog.dims == ("scenario", "replication", "date")
    assert isinstance(comparison.plot(), Figure) and isinstance(comparison.plot("deadline"), Figure)
    assert isinstance(sim.open_results(comparison.folder), sim.ComparisonResult)


def test_paired_shift_in_the_summary_is_the_median_of_the_replication_differences(comparison):
    frame = comparison.to_frame()["gdp_loss_year_end_pct"]
    shift = (frame.loc["snap_back"] - frame.loc["deal_by_deadline"]).median()
    row = comparison.summary("gdp_loss_year_end_pct").set_index("scenario").loc["snap_back"]
    assert row["diff_median"] == pytest.approx(shift)


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("api") / "toy.toml"
    path.write_text(TOY_TOML)
    return path


def test_sensitivity_frame_ranks_the_dominant_parameter_first(toy):
    analysis = sim.sensitivity(toy, "applications_total", samples=4, seed=1, workers=1)
    frame = analysis.to_frame()
    assert list(frame.columns) == ["mu_star", "mu_star_conf", "sigma"]
    assert frame.index[0] == "licensing.arrivals_per_day"
    assert frame["mu_star"].is_monotonic_decreasing
    assert frame.loc["licensing.trusted_firm_share", "mu_star"] == 0.0
    assert isinstance(analysis.plot(), Figure)


def test_sweep_frame_has_the_design_columns_and_rises_with_the_filing_rate(toy, tmp_path):
    swept = sim.sweep(
        toy, {"licensing.arrivals_per_day": (50, 150, 3)}, reps=2, folder=tmp_path / "sw", workers=1
    )
    frame = swept.to_frame()
    assert {"point", "licensing.arrivals_per_day", "rep", "applications_total"} <= set(frame.columns)
    medians = swept.summary()["applications_total"].to_numpy()
    assert np.all(np.diff(medians) > 0)  # more filings a day, more applications: a known sign
    assert isinstance(swept.plot("applications_total"), Figure)
    assert isinstance(sim.open_results(tmp_path / "sw"), sim.SweepResult)


def test_variance_result_has_the_same_shape(toy):
    split = sim.variance(toy, ["applications_total"], param_sets=3, seeds=2, seed=1, workers=1)
    frame = split.to_frame()
    assert frame.index.names == ["param_set", "seed"] and len(frame) == 6
    dates = [name for name in DATE_OUTCOMES if name in frame]
    assert dates  # the model's day numbers come back as dates inside the toy's calendar
    for name in dates:
        assert frame[name].dtype.kind == "M"
        known = frame[name].dropna()
        assert ((known >= "2025-01-01") & (known <= "2025-03-01")).all(), name
    assert split.summary().loc["applications_total", "dominant"] in ("parameters", "chance", "neither")
    assert isinstance(split.plot(), Figure)


def test_branches_result_has_the_same_shape(tmp_path):
    forked = sim.branches(
        "baseline", "truce_deadline", reps=2, seed=3, only=["deal", "snap_back"], folder=tmp_path, workers=1
    )
    assert forked.names == ["deal", "snap_back"]
    assert forked.to_frame().index.names == ["branch", "rep"]
    assert forked.probabilities()["fork_date"].dtype.kind == "M"
    mixed = forked.reweight({"deal": 1.0})
    deal = forked.summary("gdp_loss_year_end_pct").set_index("scenario").loc["deal"]
    assert mixed.loc["gdp_loss_year_end_pct", "median"] == pytest.approx(deal["median"])
    assert forked.to_xarray(["backlog"]).backlog.dims == ("branch", "replication", "date")
    assert isinstance(forked.plot(), Figure)
