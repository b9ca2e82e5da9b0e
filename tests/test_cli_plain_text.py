"""Text from files or users is printed as text, and discovery's boxes are a table like any other.

A scenario may be named ``a [/bold] b`` with an ANSI escape in it: every command that
prints that name must show it literally (never parse it as Rich markup, which raised
``MarkupError`` or swallowed the text) and show the escape escaped (never send it to
the terminal). ``discover`` prints its boxes through the shared table renderer, so every
figure stays whole at 80 columns and ``--format csv|json`` gives them to a machine.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

import sim.cli.ui as ui
from sim.cli import app

runner = CliRunner()
TRICKY = "a [/bold] b [red]c\x1b[31m"
SHOWN = "a [/bold] b [red]c\\x1b[31m"  # as it must appear: literally, the escape escaped


@pytest.fixture
def tricky_scenario(write_scenario) -> Path:
    """A scenario whose name holds Rich markup and an ANSI escape."""
    text = 'extends = "baseline"\nname = "a [/bold] b [red]c\\u001b[31m"\ndescription = "tricky"\n'
    return write_scenario("tricky", text)


def _plain(result) -> str:
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output, "an escape from a file reached the terminal"
    return result.output


# --- names from files through each command that prints them ------------------------------------


def test_play_prints_a_scenario_name_with_markup_as_plain_text(tricky_scenario, tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "out", Console(width=200))
    args = ["play", str(tricky_scenario), "--us", "hawk", "--china", "dove", "--seed", "2"]
    output = _plain(runner.invoke(app, [*args, "--out", str(tmp_path / "g")]))
    assert f"The negotiation game on {SHOWN} (seed 2" in output


def test_tournament_prints_a_scenario_name_with_markup_as_plain_text(tricky_scenario, tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "out", Console(width=200))
    args = ["tournament", str(tricky_scenario), "-n", "2", "--strategy", "hawk", "--strategy", "dove"]
    output = _plain(runner.invoke(app, [*args, "--out", str(tmp_path / "t"), "-q"]))
    assert f"tournament on {SHOWN}:" in output


def test_a_bad_move_echoing_markup_is_shown_as_typed(monkeypatch):
    """What a team types comes back in the refusal literally (``[/bold]`` broke the prompt loop)."""
    from sim.cli.workshop import TerminalTeam

    captured = Console(width=200, file=io.StringIO())
    monkeypatch.setattr(ui, "err", captured)
    typed = iter(["tariff=[/bold]\x1b[31m", "pass"])
    monkeypatch.setattr("typer.prompt", lambda *a, **k: next(typed))
    status = type("Status", (), {"is_decision": False})()
    assert TerminalTeam("us").choose("us", status, []) == {}
    shown = captured.file.getvalue()
    assert "not a move:" in shown and "[/bold]\\x1b[31m" in shown and "\x1b" not in shown


# --- discover's table -----------------------------------------------------------------------------


def _discovery():
    from sim.experiments.discover import Box, Discovery

    long_rules = [
        "negotiation.china.escalation_propensity_when_pained > 0.7312",
        "tariffs.court_ruling.strike_probability <= 0.4417",
        "licensing.fast_track_review_capacity_files_per_day > 123.4",
    ]
    prim = Box(long_rules[:2], 0.6321, 0.8765, 40, 0.8125, 16, 0.5432, 0.9512, chance=False)
    leaf = Box(long_rules, 0.5123, 0.7777, 30, 0.3333, 9, 0.0711, 0.7012, chance=True)
    low = Box(["negotiation.us.concede_base <= -2.1"], 0.1, 0.05, 20, 0.1, 10, 0.0, 0.4)
    return Discovery(
        condition=f"gdp_loss_year_end_pct > 0.4 in {TRICKY}",
        cases=61,
        total=180,
        boxes=[leaf, low],
        chosen=leaf,
        importances=[("negotiation.china.escalation_propensity_when_pained", 0.61)],
        prim=prim,
        base_rate=61 / 180,
        holdout=60,
        notes=[f"a note naming {TRICKY}"],
    )


@pytest.fixture
def fake_discovery(monkeypatch, tmp_path):
    """``discover`` on a folder, with the library's search replaced by a known answer."""
    import sim.experiments.discover as library
    import sim.plots.discovery as charts

    found = _discovery()
    sample = library.Sample(tmp_path, "baseline", {}, [], np.zeros((0, 0)))
    monkeypatch.setattr(library, "read_sample", lambda folder: sample)
    monkeypatch.setattr(library, "cases_of_interest", lambda *a: (np.zeros(0, bool), found.condition))
    monkeypatch.setattr(library, "discover", lambda *a: found)
    monkeypatch.setattr(charts, "discovery_tradeoff", lambda found, path, label: path)
    return found


def _args(tmp_path: Path, *extra: str) -> list[str]:
    return ["discover", str(tmp_path), "--outcome", "gdp_loss_year_end_pct", "--above", "0.4", *extra]


@pytest.mark.parametrize("width", [80, 60])
def test_discover_table_keeps_every_rule_and_figure_whole(fake_discovery, tmp_path, monkeypatch, width):
    from sim.cli.tables import percent

    monkeypatch.setattr(ui, "out", Console(width=width))
    output = _plain(runner.invoke(app, _args(tmp_path)))
    assert SHOWN in output  # the condition and the note: plain text
    words = output.split()
    for box in (fake_discovery.prim, *fake_discovery.boxes):
        for rule in box.rules:
            name, _, bound = rule.split(" ")
            assert name in words and bound in words, rule  # never folded mid-name
        for share in (box.coverage, box.density, box.holdout_density, box.holdout_low, box.holdout_high):
            assert percent(share) in output
    assert "holds" in output and "no better than chance" in output and "below base rate" in output
    table = output[output.index("Boxes:") :]
    lines = [line for line in table.splitlines() if len(line) > width and str(tmp_path) not in line]
    assert not lines, lines


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_discover_gives_its_boxes_to_a_machine(fake_discovery, tmp_path, fmt):
    result = runner.invoke(app, [*_args(tmp_path, "--format", fmt)])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        rows = json.loads(result.stdout.splitlines()[0])["rows"]
    else:
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["box"] for r in rows] == ["PRIM", "tree (chosen)", "tree"]
    assert math.isclose(float(rows[0]["coverage"]), 0.6321)
    assert rows[1]["rules"].startswith("negotiation.china.escalation_propensity_when_pained > 0.7312 and ")
    assert [r["verdict"] for r in rows] == ["holds", "no better than chance", "below base rate"]


# --- plot --list ---------------------------------------------------------------------------------


@pytest.fixture
def drawable(monkeypatch):
    """``plot --list`` on a folder that can draw a few known series and outcomes."""
    import sim.plots.redraw as redraw

    found = redraw.Drawable(
        ["backlog", "plants_halted_electronics_industrial"],
        ["gdp_loss_year_end_pct", "plants_ever_halted_electronics_industrial"],
        False,
    )
    monkeypatch.setattr(redraw, "drawable", lambda folder: found)
    return found


@pytest.mark.parametrize("width", [80, 60])
def test_plot_list_names_each_series_and_outcome_with_its_unit_and_meaning(
    drawable, tmp_path, monkeypatch, width
):
    from sim.results.catalogue import OUTCOMES, SERIES

    monkeypatch.setattr(ui, "out", Console(width=width))
    output = _plain(runner.invoke(app, ["plot", str(tmp_path), "--list"]))
    assert not [line for line in output.splitlines() if len(line) > width]
    words = output.split()
    for name in drawable.series:
        assert name in words and SERIES[name].unit in output
    for name in drawable.outcomes:
        assert name in words and OUTCOMES[name].unit in output
    for word in SERIES["backlog"].description.replace(",", "").split():  # the meaning, in words
        assert word in output.replace(",", "").split()


def test_plot_list_gives_a_machine_one_row_per_name(drawable, tmp_path):
    result = runner.invoke(app, ["plot", str(tmp_path), "--list", "--format", "json"])
    assert result.exit_code == 0, result.output
    tables = [json.loads(line) for line in result.stdout.splitlines()]
    assert [[r["name"] for r in t["rows"]] for t in tables] == [drawable.series, drawable.outcomes]
    assert tables[1]["rows"][0]["unit"] == "% of annual US GDP, cumulative"


def test_a_share_that_rounds_to_ten_percent_is_written_like_its_neighbours():
    from sim.cli.tables import percent

    assert percent(0.0999) == "10%"  # not "10.0%" beside "49%"
    assert percent(0.0994) == "9.9%"


def test_sources_write_a_whole_number_figure_without_decimals():
    from sim.cli.tables import number
    from sim.scenario.sources import load_registry

    whole = {
        fid: f
        for fid, f in load_registry().figures.items()
        if isinstance(f.value, float) and f.value.is_integer() and f.unit != "qualitative"
    }
    assert whole, "the registry has whole-number figures (7 elements, 6 months)"
    result = runner.invoke(app, ["sources", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout.splitlines()[0])["rows"]}
    for fid, f in whole.items():
        assert rows[fid]["value"] == f"{number(f.value)} {f.unit}", rows[fid]  # 7 elements, not 7.0


def test_a_stacked_row_names_each_line_of_a_paired_cell():
    """Calibration stacked its "figure / reliability" cell as "figure reliability: 20,000-90,000"."""
    from sim.cli.tables import Column, Grid, layout

    grid = Grid(
        "",
        [Column("target"), Column("figure\nreliability", "figure", paired=True)]
        + [Column(f"a header long enough {i}") for i in range(4)],
    )
    grid.add("pending_applications_june", "20,000-90,000\nreported", "1", "2", "3", "4")
    lines = [line.strip() for line, _ in layout(grid, 60)]
    assert "figure: 20,000-90,000" in lines and "reliability: reported" in lines


#: Every command that prints a table (plot: with --list).
TABLE_COMMANDS = (
    *("list", "sources", "show", "diff", "calibrate", "run", "compare", "branches", "reweight"),
    *("sensitivity", "variance", "discover", "replay", "play", "tournament", "forecast score", "plot"),
)


@pytest.mark.parametrize("name", TABLE_COMMANDS)
def test_every_command_that_prints_a_table_takes_format(name):
    import typer

    command = typer.main.get_command(app)
    for part in name.split():
        command = command.commands[part]
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert "--format" in options, f"tradesim {name} prints a table but takes no --format"
