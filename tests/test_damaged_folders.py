"""Damaged results folders fed to every command that reads one: a clear error, never a traceback.

A generated corpus (hypothesis) damages one file of a real results folder — empties it,
truncates it, overwrites it with binary, flips a byte, puts text in a number's cell, or
deletes it — and runs one reading command on it. The command must finish with exit 0 (it
could still do its job) or 2 (one line saying what is wrong), never raise, and never change
a file that was there before (new files, such as a report or scores, may appear). Only a
resume that goes ahead (exit 0) may rewrite the folder, as it finishes the work.

Four kinds of folder are damaged: a run's (read by report, replay, discover, plot, forecast
score and run --resume), a branches folder (reweight), an interrupted sweep (sweep --resume)
and an interrupted sensitivity analysis (sensitivity --resume).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app

pytestmark = pytest.mark.slow

runner = CliRunner()
FILES = ("manifest.json", "outcomes.csv", "parameters.csv", "series")
DAMAGE = ("empty", "truncate", "binary", "flip", "text_cell", "delete")
COMMANDS = {
    "report": lambda d: ["report", str(d)],
    "replay": lambda d: ["replay", str(d), "--rep", "1"],
    "discover": lambda d: ["discover", str(d), "--outcome", "deadline", "--equals", "snap-back"],
    "resume": lambda d: ["run", "--resume", str(d), "-q", "--no-plots"],
    "plot-one": lambda d: ["plot", str(d), "--series", "backlog"],
    "forecast": None,  # forecast score CLASS_FILE FOLDER: the class file comes from a fixture
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pristine") / "run"
    result = runner.invoke(
        app, ["run", "baseline", "--reps", "4", "--seed", "2", "--workers", "1", "--out", str(folder), "-q"]
    )
    assert result.exit_code == 0, result.output
    return folder


def _damage(path: Path, how: str, where: float) -> None:
    if path.is_dir():
        path = sorted(path.glob("*.npz"))[0]
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncate":
        path.write_bytes(data[: int(len(data) * where)])
    elif how == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif how == "flip":
        i = min(len(data) - 1, int(len(data) * where))
        path.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :])
    elif how == "text_cell":
        lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
        if len(lines) > 2 and path.suffix == ".csv":
            cells = lines[2].split(",")
            cells[min(len(cells) - 1, int(len(cells) * where))] = "abc"
            lines[2] = ",".join(cells)
        path.write_text("".join(lines), encoding="utf-8")
    elif how == "delete":
        path.unlink()


def _fingerprint(folder: Path) -> dict[str, str]:
    keep = [
        p for p in folder.rglob("*") if p.is_file() and "plots" not in p.parts and p.name != "report.html"
    ]
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in keep}


def _run_damaged(pristine: Path, copy: Path, target: str, how: str, where: float, args, resumes: bool):
    """Copy ``pristine``, damage ``target`` in it, run the command and check the one rule."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(pristine, copy)
    _damage(copy / target, how, where)
    before = _fingerprint(copy)
    result = runner.invoke(app, args(copy))
    what = f"{target}/{how} {args(copy)[:2]}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{what}: {result.exception!r}"
    )
    assert result.exit_code in (0, 2), (what, result.output[-400:])
    assert "Traceback" not in result.output
    if not (resumes and result.exit_code == 0):
        after = _fingerprint(copy)
        changed = [name for name, digest in before.items() if after.get(name) != digest]
        assert not changed, (what, changed)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(FILES),
    how=st.sampled_from(DAMAGE),
    where=st.floats(0.0, 0.99),
    command=st.sampled_from(sorted(COMMANDS)),
)
def test_a_damaged_folder_gets_a_clear_error_and_is_left_as_it_was(
    pristine, class_file, tmp_path, target, how, where, command
):
    folder = tmp_path / f"damaged-{command}"
    args = (
        COMMANDS[command]
        if command != "forecast"
        else (lambda d: ["forecast", "score", str(class_file), str(d)])
    )
    _run_damaged(pristine, folder, target, how, where, args, resumes=command == "resume")


@pytest.fixture(scope="module")
def class_file(tmp_path_factory) -> Path:
    """A class's forecasts, kept outside the folders damaged (forecast score reads both)."""
    file = tmp_path_factory.mktemp("class") / "class.csv"
    add = ["forecast", "add", str(file), "--name", "Ana", "--probability", "30", "--quantiles", "0.4,0.9,1.8"]
    assert runner.invoke(app, add).exit_code == 0
    return file


# --- branches, sweep and sensitivity folders ----------------------------------------------------


@pytest.fixture(scope="module")
def pristine_branches(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pristine") / "branches"
    args = ["branches", "baseline", "--at", "truce_deadline", "--reps", "2", "--seed", "2", "-w", "1"]
    result = runner.invoke(
        app, [*args, "--branches", "deal,snap_back", "--no-plots", "-q", "--out", str(folder)]
    )
    assert result.exit_code == 0, result.output
    return folder


BRANCH_FILES = (
    "manifest.json", "branch_probabilities.csv", "outcomes.csv", "deal/manifest.json", "deal/outcomes.csv",
    "snap_back/series",
)  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(BRANCH_FILES),
    how=st.sampled_from(DAMAGE),
    where=st.floats(0.0, 0.99),
    weights=st.sampled_from([None, "deal=1,snap_back=3"]),
)
def test_reweight_on_a_damaged_branches_folder_is_a_clear_error(
    pristine_branches, tmp_path, target, how, where, weights
):
    def args(d: Path) -> list[str]:
        return ["reweight", str(d), *(["--weights", weights] if weights else [])]

    _run_damaged(pristine_branches, tmp_path / "branches", target, how, where, args, resumes=False)


def _interrupt_after(n: int):
    calls = []

    def tick(k: int) -> None:
        calls.append(k)
        if len(calls) == n:
            raise KeyboardInterrupt

    return tick


@pytest.fixture(scope="module")
def pristine_sweep(tmp_path_factory) -> Path:
    """A sweep of three points, interrupted after the first: --resume has work to do."""
    from sim.experiments.sweep import Vary, design_points, run_sweep
    from sim.scenario.loader import load_scenario

    folder = tmp_path_factory.mktemp("pristine") / "sweep"
    varies = [Vary("licensing.renewal_probability", 0.2, 0.8, 3)]
    report = run_sweep(
        load_scenario("baseline"), varies, design_points(varies), 1, 5, folder, progress=_interrupt_after(1)
    )
    assert report.interrupted and report.points_done == 1
    return folder


@pytest.fixture(scope="module")
def pristine_sensitivity(tmp_path_factory) -> Path:
    """A Morris screen of the toy queue (3 parameters, 8 runs), interrupted after 3 runs."""
    from sim.experiments.sensitivity import SensitivityInterrupted, run_sensitivity
    from sim.scenario.loader import load_scenario
    from tests.test_sensitivity import TOY_TOML

    root = tmp_path_factory.mktemp("pristine")
    (root / "toy.toml").write_text(TOY_TOML)
    toy = load_scenario(root / "toy.toml")
    folder = root / "sensitivity"
    with pytest.raises(SensitivityInterrupted):
        run_sensitivity(
            toy.spec, "applications_total", "morris", 2, 3, 1, _interrupt_after(3), folder=folder,
            scenario_name="toy",
        )  # fmt: skip
    return folder


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(["manifest.json", "outcomes.csv"]),
    how=st.sampled_from(DAMAGE),
    where=st.floats(0.0, 0.99),
)
def test_sweep_resume_on_a_damaged_folder_is_a_clear_error(pristine_sweep, tmp_path, target, how, where):
    def args(d: Path) -> list[str]:
        return ["sweep", "--resume", str(d), "-w", "1", "--outcome", "backlog_peak"]

    _run_damaged(pristine_sweep, tmp_path / "sweep", target, how, where, args, resumes=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(["manifest.json", "evaluations.csv"]),
    how=st.sampled_from(DAMAGE),
    where=st.floats(0.0, 0.99),
)
def test_sensitivity_resume_on_a_damaged_folder_is_a_clear_error(
    pristine_sensitivity, tmp_path, target, how, where
):
    def args(d: Path) -> list[str]:
        return ["sensitivity", "--resume", str(d), "-w", "1"]

    _run_damaged(pristine_sensitivity, tmp_path / "sensitivity", target, how, where, args, resumes=True)


def test_discover_refuses_two_conditions_at_once(pristine):
    result = runner.invoke(
        app,
        ["discover", str(pristine), "--outcome", "gdp_loss_year_end_pct", "--above", "0.3", "--below", "0.5"],
    )
    assert result.exit_code == 2 and "not --above and --below" in result.output


def test_a_binary_game_file_is_refused_in_one_line(tmp_path):
    game = tmp_path / "x.game.toml"
    game.write_bytes(bytes(range(256)))
    result = runner.invoke(app, ["play", "--replay", str(game)])
    assert result.exit_code == 2 and "not text" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- a resume repairs a damaged row instead of keeping it or gluing onto it ---------------------


def _flip_middle(path: Path) -> None:
    data = path.read_bytes()
    i = len(data) // 2
    path.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :])


def test_run_resume_simulates_a_damaged_row_again_ending_with_the_undamaged_table(pristine, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(pristine, folder)
    _flip_middle(folder / "outcomes.csv")
    result = runner.invoke(app, ["run", "--resume", str(folder), "-q", "--no-plots", "-w", "1"])
    assert result.exit_code == 0, result.output
    assert (folder / "outcomes.csv").read_bytes() == (pristine / "outcomes.csv").read_bytes()


def test_sweep_resume_of_a_table_cut_mid_row_ends_with_the_uninterrupted_table(pristine_sweep, tmp_path):
    from sim.experiments.sweep import Vary, design_points, run_sweep
    from sim.scenario.loader import load_scenario

    whole = tmp_path / "whole"
    varies = [Vary("licensing.renewal_probability", 0.2, 0.8, 3)]
    run_sweep(load_scenario("baseline"), varies, design_points(varies), 1, 5, whole)
    cut = tmp_path / "cut"
    shutil.copytree(whole, cut)
    table = (cut / "outcomes.csv").read_bytes()
    (cut / "outcomes.csv").write_bytes(table[: int(len(table) * 0.6)])  # a point and a half
    manifest = (pristine_sweep / "manifest.json").read_text().replace(str(pristine_sweep), str(cut))
    (cut / "manifest.json").write_text(manifest)  # marked incomplete, as an interrupted sweep's
    result = runner.invoke(app, ["sweep", "--resume", str(cut), "-w", "1", "--outcome", "backlog_peak"])
    assert result.exit_code == 0, result.output
    assert (cut / "outcomes.csv").read_bytes() == (whole / "outcomes.csv").read_bytes()


def test_a_sweep_resume_refused_for_foreign_columns_leaves_the_table_as_it_was(pristine_sweep, tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(pristine_sweep, folder)
    table = folder / "outcomes.csv"
    table.write_text(table.read_text().replace("point,", "pt,", 1))
    before = _fingerprint(folder)
    result = runner.invoke(app, ["sweep", "--resume", str(folder), "-w", "1"])
    assert result.exit_code == 2 and "its columns are not this sweep's" in result.output, result.output
    assert _fingerprint(folder) == before and not list(folder.glob("*.part"))


def test_run_resume_replaces_a_damaged_series_chunk_with_the_undamaged_one(pristine, tmp_path):
    from sim.results.folder import read_results

    folder = tmp_path / "run"
    shutil.copytree(pristine, folder)
    chunk = sorted((folder / "series").glob("*.npz"))[0]
    _flip_middle(chunk)
    result = runner.invoke(app, ["run", "--resume", str(folder), "-q", "--no-plots", "-w", "1"])
    assert result.exit_code == 0, result.output
    assert chunk.read_bytes() == (pristine / "series" / chunk.name).read_bytes()
    np.testing.assert_array_equal(
        read_results(folder).series("backlog"), read_results(pristine).series("backlog")
    )


def test_reweight_of_a_cut_short_probability_table_names_it(pristine_branches, tmp_path):
    folder = tmp_path / "branches"
    shutil.copytree(pristine_branches, folder)
    table = folder / "branch_probabilities.csv"
    table.write_bytes(table.read_bytes()[: int(table.stat().st_size * 0.75)])  # a row's cells missing
    result = runner.invoke(app, ["reweight", str(folder)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"{table}: damaged" in result.output.replace("\n", "")
