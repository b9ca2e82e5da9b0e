"""Damaged results folders fed to every command that reads one: a clear error, never a traceback.

A generated corpus (hypothesis) damages one file of a real results folder — empties it,
truncates it, overwrites it with binary, flips a byte, puts text in a number's cell, or
deletes it — and runs one reading command on it. The command must finish with exit 0 (it
could still do its job) or 2 (one line saying what is wrong), never raise, and never change
the folder's tables, manifest or series (only `run --resume` may write, as it finishes runs).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

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


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(FILES),
    how=st.sampled_from(DAMAGE),
    where=st.floats(0.0, 0.99),
    command=st.sampled_from(sorted(COMMANDS)),
)
def test_a_damaged_folder_gets_a_clear_error_and_is_left_as_it_was(
    pristine, tmp_path, target, how, where, command
):
    folder = tmp_path / f"damaged-{target}-{how}-{command}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(pristine, folder)
    _damage(folder / target, how, where)
    before = _fingerprint(folder)
    result = runner.invoke(app, COMMANDS[command](folder))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{target}/{how} {command}: {result.exception!r}"
    )
    assert result.exit_code in (0, 2), (target, how, command, result.output[-400:])
    assert "Traceback" not in result.output
    if command != "resume":
        assert _fingerprint(folder) == before, (target, how, command)


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
