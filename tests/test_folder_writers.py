"""Every experiment that writes a results folder writes whole files and holds the folder's lock.

``run`` was made safe first (``tests/test_faults.py``); these pin the same two rules on the
other writers — compare's combined tables, ``variance``'s tables, ``branches``' probability
(weights) and difference files, ``sweep`` and ``sensitivity`` — and the one rule of the
command line: a folder that cannot be used as asked is one line and exit 2, in any command.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.results.safe_io as safe_io
from sim.cli import app
from sim.results.safe_io import FolderBusy, FolderLock

runner = CliRunner()


@pytest.fixture
def synced(monkeypatch) -> list[str]:
    """The names of the files fsynced while the test runs (each is then renamed to its final name)."""
    names: list[str] = []
    real = safe_io.fsync_file

    def record(fh) -> None:
        names.append(Path(fh.name).name)
        real(fh)

    monkeypatch.setattr(safe_io, "fsync_file", record)
    return names


def test_compare_syncs_its_combined_tables_before_renaming_them(tmp_path, baseline, synced):
    from sim.experiments.compare import run_comparison
    from sim.scenario.loader import load_scenario

    entries = {"baseline": baseline, "snap_back": load_scenario("snap_back")}
    run_comparison(entries, 2, 3, tmp_path, workers=1)
    assert {"outcomes.csv.tmp", "parameters.csv.tmp", "comparison.csv.tmp"} <= set(synced)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.part"))


def test_variance_syncs_both_tables_before_renaming_them(tmp_path, baseline, synced):
    from sim.experiments.variance import run_variance

    run_variance(baseline.spec, ["backlog_peak"], 3, 2, 2, folder=tmp_path, workers=1)
    assert {"nested_outcomes.csv.tmp", "variance.csv.tmp"} <= set(synced)
    assert (tmp_path / "variance.csv").is_file() and not list(tmp_path.glob("*.tmp"))


def test_branches_syncs_its_weights_and_differences_before_renaming_them(tmp_path, baseline, synced):
    from sim.experiments.branches import run_branches

    run_branches(baseline, "truce_deadline", 1, 3, tmp_path, workers=1, branches=["deal", "snap_back"])
    wanted = {"branch_probabilities.csv.tmp", "branch_differences.csv.tmp", "comparison.csv.tmp"}
    assert wanted <= set(synced)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.part"))


def _compare(folder: Path, baseline) -> None:
    from sim.experiments.compare import run_comparison

    run_comparison({"a": baseline, "b": baseline}, 1, 3, folder, workers=1)


def _variance(folder: Path, baseline) -> None:
    from sim.experiments.variance import run_variance

    run_variance(baseline.spec, None, 3, 2, 2, folder=folder, workers=1)


def _branches(folder: Path, baseline) -> None:
    from sim.experiments.branches import run_branches

    run_branches(baseline, "truce_deadline", 1, 3, folder, workers=1)


def _sweep(folder: Path, baseline) -> None:
    from sim.experiments.sweep import Vary, design_points, run_sweep

    varies = [Vary("licensing.renewal_probability", 0.2, 0.8, 2)]
    run_sweep(baseline, varies, design_points(varies), 1, 3, folder)


def _sensitivity(folder: Path, baseline) -> None:
    from sim.experiments.sensitivity import run_sensitivity

    run_sensitivity(baseline.spec, "backlog_peak", samples=1, folder=folder)


WRITERS = {
    "compare": _compare,
    "variance": _variance,
    "branches": _branches,
    "sweep": _sweep,
    "sensitivity": _sensitivity,
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_folder_another_writer_holds_is_refused_untouched(tmp_path, baseline, writer):
    """The test holds the lock itself (as a running command would): no timing involved."""
    with FolderLock(tmp_path):
        with pytest.raises(FolderBusy, match="in use by another tradesim run"):
            WRITERS[writer](tmp_path, baseline)
        assert [p.name for p in tmp_path.iterdir()] == [safe_io.LOCK_FILE]


def test_a_results_folder_problem_is_one_line_and_exit_2_in_any_command(tmp_path, monkeypatch):
    """``variance`` does not catch ResultsError itself: the command group turns it into one line."""
    import sim.experiments.variance as variance

    def busy(*args, **kwargs):
        raise FolderBusy(f"{tmp_path}: in use by another tradesim run (process 4242)")

    monkeypatch.setattr(variance, "run_variance", busy)
    args = ["variance", "baseline", "--param-sets", "2", "--seeds", "2", "-q", "--out", str(tmp_path / "v")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "in use by another tradesim run (process 4242)" in result.output


# --- places that cannot be written, as root too ------------------------------------------------
# The real-permission tests in test_faults.py skip as root (root writes anywhere) or where no
# read-only file system is mounted. These inject the operating system's own refusal (EROFS,
# EACCES) for one folder, in the same calls the command makes, so they run everywhere.


@pytest.fixture
def refuse_writes(monkeypatch):
    """``refuse_writes(folder, errno)``: creating or writing anything inside ``folder`` fails so."""
    import errno as errno_codes
    import io
    import os

    refused: dict[Path, int] = {}
    real_mkdir, real_open, real_os_open = os.mkdir, io.open, os.open

    def inside(path) -> int | None:
        try:
            p = Path(os.fsdecode(path)).absolute()
        except TypeError:  # a file descriptor
            return None
        return next((code for folder, code in refused.items() if p == folder or folder in p.parents), None)

    def fail(code: int, path) -> OSError:
        return OSError(code, os.strerror(code), os.fsdecode(path))

    def mkdir(path, *args, **kwargs):
        code = inside(path)
        if code is not None and not Path(os.fsdecode(path)).is_dir():
            raise fail(code, path)
        return real_mkdir(path, *args, **kwargs)

    def open_(path, mode="r", *args, **kwargs):
        code = inside(path) if isinstance(mode, str) and set(mode) & set("wax+") else None
        if code is not None:
            raise fail(code, path)
        return real_open(path, mode, *args, **kwargs)

    def os_open(path, flags, *args, **kwargs):
        code = inside(path) if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) else None
        if code is not None:
            raise fail(code, path)
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(io, "open", open_)
    monkeypatch.setattr(os, "open", os_open)

    def refuse(folder: Path, code: int = errno_codes.EROFS) -> Path:
        refused[Path(folder).absolute()] = code
        return folder

    return refuse


UNWRITABLE_COMMANDS = {
    "run": ["run", "baseline", "--reps", "1"],
    "compare": ["compare", "baseline", "snap_back", "--reps", "2"],
    "variance": ["variance", "baseline", "--param-sets", "2", "--seeds", "2"],
    "sweep": ["sweep", "baseline", "--vary", "licensing.renewal_probability=0.2:0.8:2", "--reps", "1"],
    "branches": ["branches", "baseline", "--at", "truce_deadline", "--reps", "1"],
}


@pytest.mark.parametrize("code", ["EROFS", "EACCES"])
@pytest.mark.parametrize("command", sorted(UNWRITABLE_COMMANDS))
def test_an_out_that_cannot_be_written_is_refused_before_running_even_as_root(
    tmp_path, refuse_writes, command, code
):
    import errno

    place = refuse_writes(tmp_path / "place", getattr(errno, code))
    result = runner.invoke(app, [*UNWRITABLE_COMMANDS[command], "--out", str(place / "r")])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"--out {place / 'r'}: cannot write there" in result.output and code in result.output
    assert not place.exists()


@pytest.mark.parametrize("code", ["EROFS", "EACCES"])
def test_a_report_that_cannot_be_written_is_one_line_and_leaves_nothing(tmp_path, refuse_writes, code):
    import errno

    from sim.experiments.run import run_experiment
    from sim.scenario.loader import load_scenario

    folder = tmp_path / "run"
    run_experiment(load_scenario("baseline"), 2, 1, folder, workers=1)
    place = tmp_path / "place"
    place.mkdir()
    refuse_writes(place, getattr(errno, code))
    result = runner.invoke(app, ["report", str(folder), "--out", str(place / "r.html")])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "cannot write" in result.output and str(place) in result.output
    assert not list(place.iterdir())
