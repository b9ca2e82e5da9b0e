"""Every folder the product writes, against every command that reads folders: it works, or it
refuses in one line (exit 2) that names the folder, what kind it is and which commands read it.
Never a traceback.

The folders are small real ones, written by the commands themselves.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.results.folder import ResultsError
from sim.results.kinds import KINDS, folder_kind
from tests.test_sensitivity import TOY_TOML

runner = CliRunner()
SEED = ["--seed", "2", "--workers", "1"]


def _invoke(args: list[str]):
    return runner.invoke(app, [str(a) for a in args], terminal_width=200)


def _ok(args: list[str]) -> None:
    result = _invoke(args)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """One folder of each kind, written by its command (a few replications each)."""
    root = tmp_path_factory.mktemp("kinds")
    toy = root / "toy.toml"
    toy.write_text(TOY_TOML)
    f = {kind: root / kind for kind in KINDS}
    _ok(["run", "baseline", "-n", "6", *SEED, "-o", f["run"], "-q", "--no-plots"])
    _ok(["compare", "baseline", "snap_back", "-n", "3", *SEED, "-o", f["comparison"], "-q", "--no-plots"])
    _ok(["branches", "baseline", "--at", "truce_deadline", "-n", "2", *SEED, "-o", f["branches"], "-q"])
    _ok(
        [
            *["sweep", "baseline", "--vary", "negotiation.us.concede_base=-2.5:-1.0"],
            *["--vary", "tariffs.court_ruling.strike_probability=0.1:0.9", "--lhs", "3", "-n", "2", *SEED],
            *["-o", f["sweep"]],
        ]
    )
    _ok(["sensitivity", toy, "--outcome", "applications_total", "-n", "2", *SEED, "-o", f["sensitivity"]])
    _ok(
        [
            *["variance", toy, "--outcome", "applications_total", "--param-sets", "2", "--seeds", "2"],
            *[*SEED, "-o", f["variance"], "-q", "--no-plots"],
        ]
    )
    _ok(
        [
            "tournament",
            "-n",
            "2",
            "--strategy",
            "hawk",
            "--strategy",
            "dove",
            *SEED,
            "-o",
            f["tournament"],
            "-q",
        ]
    )
    _ok(["play", "baseline", "--us", "hawk", "--china", "dove", "--seed", "2", "-o", f["game"]])
    return f


def _outcomes_table(folder: Path) -> Path:
    return folder / "outcomes.csv"


def _split(folder: Path, outcome: str = "gdp_loss_year_end_pct") -> str:
    """A threshold with half the replications above it (so there is something to separate)."""
    with _outcomes_table(folder).open(newline="") as fh:
        values = np.sort([float(r[outcome]) for r in csv.DictReader(fh)])
    mid = len(values) // 2
    return f"{(values[mid - 1] + values[mid]) / 2:.6g}"


def _command(name: str, folder: Path, kind: str) -> list:
    if name == "discover":
        above = _split(folder) if kind in ("run", "comparison", "sweep") else "1"
        return ["discover", folder, "--outcome", "gdp_loss_year_end_pct", "--above", above]
    return {
        "plot": ["plot", folder],
        "report": ["report", folder],
        "replay": ["replay", folder, "--rep", "0"],
        "replay --scenario": [
            "replay",
            folder,
            "--rep",
            "0",
            "--scenario",
            {"comparison": "snap_back"}.get(kind, "deal"),
        ],
        "reweight": ["reweight", folder],
        "run --resume": ["run", "--resume", folder, "-q", "--workers", "1"],
        "sweep --resume": ["sweep", "--resume", folder, "--workers", "1"],
        "sensitivity --resume": ["sensitivity", "--resume", folder, "--workers", "1"],
    }[name]


#: What works; every other pair must be refused clearly.
WORKS = {
    ("run", "plot"),
    ("run", "report"),
    ("run", "replay"),
    ("run", "discover"),
    ("comparison", "plot"),
    ("comparison", "report"),
    ("comparison", "replay --scenario"),
    ("comparison", "discover"),
    ("branches", "plot"),
    ("branches", "report"),
    ("branches", "replay --scenario"),
    ("branches", "reweight"),
    ("sweep", "discover"),
    ("sweep", "plot"),
    ("run", "run --resume"),  # a finished run: nothing left to simulate
    ("sweep", "sweep --resume"),
    ("sensitivity", "sensitivity --resume"),
}
COMMANDS = (
    "plot",
    "report",
    "replay",
    "replay --scenario",
    "discover",
    "reweight",
    "run --resume",
    "sweep --resume",
    "sensitivity --resume",
)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_folder_kind_is_told_apart(folders, kind):
    assert folder_kind(folders[kind]).name == kind


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_command_reads_or_refuses_every_folder_kind_clearly(folders, kind, command):
    result = _invoke(_command(command, folders[kind], kind))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if (kind, command) in WORKS:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert str(folders[kind]) in message or folders[kind].name in message
    if command != "replay" or kind not in ("comparison", "branches"):
        # the refusal names the kind and what reads it
        assert KINDS[kind].words.split(" (")[0] in message, message
    else:
        assert "--scenario" in message  # a comparison or branches folder: say which member


@pytest.mark.slow
def test_discover_reads_a_latin_hypercube_sweep_over_its_varied_parameters(folders):
    result = _invoke(_command("discover", folders["sweep"], "sweep"))
    assert result.exit_code == 0, result.output
    assert "PRIM" in result.output and "held-out density" in result.output
    from sim.experiments.discover import read_sample

    sample = read_sample(folders["sweep"])
    assert sample.names == ["negotiation.us.concede_base", "tariffs.court_ruling.strike_probability"]
    assert sample.x.shape == (6, 2)  # 3 design points x 2 replications, the varied values as drawn


@pytest.mark.slow
def test_comparison_report_puts_the_scenarios_side_by_side(folders):
    _ok(["report", folders["comparison"]])
    text = (folders["comparison"] / "report.html").read_text(encoding="utf-8")
    for part in (
        "Comparison: baseline vs snap_back",
        "Key outcomes compared",
        "How the truce deadline ends",
        "Key outcomes side by side",
        "Each scenario day by day",
        "Every outcome compared",
    ):
        assert part in text
    assert text.count("<img") >= 1 + 2 * 2  # deadline bars, then at least two fans per scenario
    assert "snap_back: " in text and "baseline: " in text  # each scenario's fans, captioned
    key = text.split("</table>")[0]  # the first table: the key outcomes
    assert "US GDP lost by year-end, both channels" in key  # the key table in words, code name below


@pytest.mark.slow
def test_branches_report_shows_the_fork_the_models_odds_and_each_branch(folders):
    _ok(["report", folders["branches"]])
    text = (folders["branches"] / "report.html").read_text(encoding="utf-8")
    assert "The fork and the model&#x27;s odds" in text or "The fork and the model's odds" in text
    odds = [int(v) for v in re.findall(r"<td class=num>(\d+)%</td></tr>", text.split('id="table"')[0])]
    assert len(odds) == 4 and abs(sum(odds) - 100) <= 2  # one chance per branch, adding up to one
    for branch in ("deal", "extension", "snap-back", "escalation"):  # one label per outcome, as in charts
        assert f"<th>{branch}</th>" in text
    assert "One history, then each branch" in text


def test_a_folder_tradesim_did_not_write_is_refused_in_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ResultsError, match="not a results folder"):
        folder_kind(tmp_path)
    result = _invoke(["report", tmp_path])
    assert result.exit_code == 2 and "not a results folder" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_the_python_api_opens_the_same_kinds_and_refuses_the_rest_alike(folders, kind):
    import sim

    if kind in ("run", "comparison", "branches", "sweep"):
        assert sim.open_results(folders[kind]) is not None
    else:
        with pytest.raises(ResultsError, match=KINDS[kind].words.split(" (")[0]):
            sim.open_results(folders[kind])


@pytest.mark.slow
def test_branch_violins_wear_each_deadline_outcomes_own_colour(folders):
    from matplotlib.colors import to_hex

    from sim.plots.charts import kept_figures, outcome_violins
    from sim.plots.style import OUTCOME_COLOURS
    from sim.results.groups import read_branches

    forked = read_branches(folders["branches"])
    with kept_figures() as figures:
        outcome_violins(forked.results, "gdp_loss_year_end_pct", None, per="branch")
    ax = figures[0].axes[0]
    bars = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
    assert [to_hex(b.get_color()[0]) for b in bars] == [OUTCOME_COLOURS[b].lower() for b in forked.results]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["deal", "extension", "snap-back", "escalation"]
    assert "per branch" in ax.get_title()
