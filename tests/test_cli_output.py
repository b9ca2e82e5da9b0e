"""What the room reads: every table whole at 80 and 60 columns, one rule for numbers, plain text from files.

Each command's table is rendered at a narrow width and every figure the library
computed must appear intact (never cut to a stub), no line may run past the width,
and ``--format csv|json`` must give a machine the same figures.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

import sim.cli.ui as ui
from sim.cli import app
from sim.cli.tables import Column, Grid, bounded, clean, layout, number, percent, render, unit_after

runner = CliRunner()
WIDTHS = (80, 60)


@pytest.fixture
def width(request, monkeypatch):
    """The console's width for the test (a fresh console writing to the runner's stdout)."""
    monkeypatch.setattr(ui, "out", Console(width=request.param))
    return request.param


def _fits(text: str, width: int) -> None:
    """No line past ``width``, but for one unbreakable word (a long parameter name, a web address)
    and the lines naming a folder (a path to copy is never broken)."""
    long = [
        line
        for line in text.splitlines()
        if len(line) > width
        and "/tmp/" not in line
        and len(line) - len(max(line.split(), key=len)) > width // 2
    ]
    assert not long, f"lines past {width} columns: {long[:3]}"


# --- the layout --------------------------------------------------------------------------------


def _wide_grid() -> Grid:
    grid = Grid(
        "A title long enough to wrap at sixty columns, and then some more words",
        [Column("outcome"), *(Column(f"scenario_number_{i}") for i in range(4)), Column("combined")],
    )
    for k in range(3):
        grid.add(
            f"outcome_{k}\n  unit",
            *(f"{12345.678 * (i + k):,.1f}\n(1,234 to 98,765)" for i in range(4)),
            f"{-0.0123 * (k + 1):+.4f}",
        )
    return grid


@pytest.mark.parametrize("w", [120, 100, 80, 60, 40])
def test_a_wide_table_keeps_every_figure_and_header_whole_at_any_width(w):
    grid = _wide_grid()
    text = render(grid, "table", w)
    _fits(text, max(w, 40))
    for column in grid.columns:
        assert column.header in text, column.header
    for row in grid.rows:
        for cell in row:
            for line in cell.split("\n"):
                assert line.strip() in text, line


def test_a_table_that_fits_is_side_by_side_and_one_too_wide_is_stacked():
    grid = Grid("t", [Column("name"), Column("value")])
    grid.add("alpha", "1,234")
    side = [line for line, _ in layout(grid, 80)]
    assert any("alpha" in line and "1,234" in line for line in side)
    stacked = [line for line, _ in layout(_wide_grid(), 80)]
    assert "  combined: -0.0123" in stacked


def test_prose_wraps_and_figures_do_not():
    grid = Grid("", [Column("name"), Column("figure"), Column("text", prose=True)])
    grid.add("a", "123,456,789.5", "word " * 40)
    text = render(grid, "table", 60)
    _fits(text, 60)
    assert "123,456,789.5" in text
    assert text.count("word") == 40


def test_csv_and_json_give_the_cells_or_the_typed_record():
    grid = Grid("T", [Column("name"), Column("two\nlines", "two lines")])
    grid.add("a", "1\n(0 to 2)")
    grid.add("b", "3", record={"name": "b", "two lines": 3})
    rows = list(csv.DictReader(io.StringIO(render(grid, "csv", 80))))
    assert rows[0] == {"name": "a", "two lines": "1 (0 to 2)"}
    doc = json.loads(render(grid, "json", 80))
    assert doc["table"] == "T" and doc["rows"][1] == {"name": "b", "two lines": 3}


# --- one rule for numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (6068.0, "6,068"),  # whole numbers: no decimals (was "6068.000 plant-days")
        (6068.4567, "6,068"),  # 100 and more: no decimals
        (42.0, "42"),
        (14.56, "14.6"),  # otherwise three significant digits
        (1.2345, "1.23"),
        (0.012345, "0.0123"),
        (0.0004, "0.000400"),  # a small value never shows as 0.00
        (0.0, "0"),
        (float("nan"), "-"),
        (None, "-"),
    ],
)
def test_one_rule_for_every_number(value, text):
    assert number(value) == text


def test_signed_numbers_and_percentages_written_once():
    assert number(3.5, signed=True) == "+3.50"
    assert percent(0.14) == "14%"
    assert percent(0.097) == "9.7%"
    assert percent(0.003) == "0.3%"
    assert percent(1.0) == "100%"
    assert unit_after("14%", "% of replications") == "of replications"  # never "14% % of replications"
    assert unit_after("1.2", "%") == "%"


# --- plain text from files ---------------------------------------------------------------------


def test_control_characters_are_escaped_and_long_values_bounded():
    assert clean("red \x1b[31mALERT\x1b[0m") == "red \\x1b[31mALERT\\x1b[0m"
    assert "\x1b" not in clean("\x1b]0;title\x07") and "\x07" not in clean("\x1b]0;title\x07")
    assert clean("two\nlines") == "two\nlines"
    long = bounded("x" * 100_000)
    assert len(long) < 400 and "100,000 characters" in long


@pytest.fixture
def markup_scenario(write_scenario):
    """A scenario whose description holds Rich markup and an ANSI escape."""
    return write_scenario("tricky", 'extends = "baseline"\ndescription = "a [/bold] b [red]c\\u001b[31m"\n')


def test_validate_show_and_list_print_markup_from_files_as_plain_text(markup_scenario, monkeypatch):
    monkeypatch.setattr(ui, "out", Console(width=80))
    for args in (["validate", str(markup_scenario)], ["show", str(markup_scenario)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "a [/bold] b [red]c\\x1b[31m" in result.output
        assert "\x1b" not in result.output
    monkeypatch.setenv("TRADESIM_SCENARIO_DIR", str(markup_scenario.parent))  # the first folder is listed
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    assert "a [/bold] b [red]c\\x1b[31m" in result.output


def test_an_error_echoing_a_huge_value_is_bounded():
    result = runner.invoke(app, ["show", "x" * 50_000])
    assert result.exit_code == 2
    assert len(result.output) < 2_000, len(result.output)


def test_run_prints_a_scenario_description_with_markup_as_plain_text(markup_scenario, tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "out", Console(width=80))
    monkeypatch.setattr("sim.experiments.run.run_experiment", _no_run)
    result = runner.invoke(app, ["run", str(markup_scenario), "-n", "1", "--out", str(tmp_path / "r"), "-q"])
    assert "a [/bold] b [red]c\\x1b[31m" in result.output, result.output


class _Stop(Exception):
    pass


def _no_run(*args, **kwargs):
    raise _Stop


# --- the commands at 80 and 60 columns ---------------------------------------------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "base"
    result = runner.invoke(
        app, ["run", "baseline", "-n", "4", "--seed", "2", "-w", "1", "--out", str(out), "-q", "--no-plots"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def branches_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("branches") / "br"
    result = runner.invoke(
        app,
        [
            *("branches", "baseline", "--at", "truce_deadline", "-n", "3", "--seed", "1", "-w", "1"),
            *("--out", str(out), "-q", "--no-plots"),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_run_table_shows_the_key_outcomes_in_words_with_every_figure(run_folder, width):
    from sim.results.folder import read_results
    from sim.results.summary import summarise

    results = read_results(run_folder)
    rows = {r.name: r for r in summarise(results)}
    console = Console(width=width, record=True, file=io.StringIO())
    ui.out = console
    ui.print_summary(results)
    text = console.export_text()
    _fits(text, width)
    assert "gdp_loss" not in text  # plain words, not code names
    assert "US GDP lost by" in text and "first US auto plant" in text
    shown = [k for k in ui.KEY_OUTCOMES if k in rows]
    assert 10 <= len(shown) <= 16
    for key in shown:
        for cell in (rows[key].median, rows[key].low, rows[key].high):
            assert cell in text, (key, cell)
    assert "% %" not in text


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_run_all_lists_every_outcome_whole(run_folder, width):
    from sim.results.folder import read_results
    from sim.results.summary import summarise

    console = Console(width=width, record=True, file=io.StringIO())
    ui.out = console
    results = read_results(run_folder)
    ui.print_summary(results, every=True)
    text = console.export_text()
    _fits(text, width)
    for r in summarise(results):
        assert r.name in text
        for cell in (r.median, r.low, r.high):
            assert cell in text, (r.name, cell)
    assert "% of replications" not in text.replace("of replications", "")  # the % is on the value


def test_key_outcomes_are_in_the_catalogue():
    from sim.results.catalogue import OUTCOMES

    assert set(ui.KEY_OUTCOMES) <= set(OUTCOMES)


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_reweight_shows_the_combined_column_whole(branches_folder, width):
    from sim.experiments.branches import parse_weights, read_branches
    from sim.experiments.branches import reweight as mix
    from sim.results.summary import format_value

    result = runner.invoke(app, ["reweight", str(branches_folder), "--weights", "deal=0.6,extension=0.4"])
    assert result.exit_code == 0, result.output
    _fits(result.output, width)
    assert "combined:" in result.output or "combined" in result.output.split("\n")[2]
    forked = read_branches(branches_folder)
    weights = parse_weights("deal=0.6,extension=0.4", list(forked.results))
    for m in mix(forked, weights):
        if m.outcome == "gdp_loss_year_end_pct":
            for v in (m.median, m.low, m.high):
                assert format_value(v, m.kind) in result.output


@pytest.mark.slow
def test_reweight_as_json_gives_the_combined_figure(branches_folder):
    result = runner.invoke(app, ["reweight", str(branches_folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.splitlines()[0])
    rows = {r.get("outcome"): r for r in doc["rows"]}
    assert rows["gdp_loss_year_end_pct"]["combined"]


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_compare_of_four_scenarios_keeps_every_figure(tmp_path, width):
    from sim.experiments.compare import compare
    from sim.results.folder import read_results
    from sim.results.summary import format_diff, format_value

    out = tmp_path / "cmp"
    args = ["compare", "baseline", "deal_by_deadline", "snap_back", "no_deal", "-n", "2", "--seed", "1"]
    result = runner.invoke(app, [*args, "-w", "1", "--out", str(out), "-q", "--no-plots"])
    assert result.exit_code == 0, result.output
    _fits(result.output, width)
    for name in ("baseline", "deal_by_deadline", "snap_back", "no_deal"):
        assert f"{name}:" in result.output
    names = ("baseline", "deal_by_deadline", "snap_back", "no_deal")
    for row in compare({n: read_results(out / n) for n in names}):
        if row.outcome in ui.KEY_OUTCOMES:
            assert format_value(row.median, row.kind) in result.output
            if row.scenario != "baseline":
                assert format_diff(row.diff_median, row.kind) in result.output


@pytest.mark.parametrize("width", WIDTHS, indirect=True)
@pytest.mark.parametrize(
    "command", [["list"], ["show", "baseline"], ["sources"], ["diff", "baseline", "no_deal"]]
)
def test_listing_commands_fit_and_keep_names_whole(command, width):
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    _fits(result.output, width)
    if command == ["show", "baseline"]:
        from sim.scenario.sampling import iter_parameters

        for path, _ in iter_parameters(ui.load("baseline").spec):
            assert path in result.output
    if command == ["sources"]:
        from sim.scenario.sources import load_registry

        for fid in load_registry().figures:
            assert fid in result.output


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_list_and_show_as_csv_or_json(fmt):
    result = runner.invoke(app, ["show", "baseline", "--format", fmt])
    assert result.exit_code == 0
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert {r["parameter"] for r in rows} >= {"licensing.initial_backlog"}
    else:
        assert json.loads(result.stdout)["rows"][0]["parameter"]


def test_an_unknown_format_is_refused():
    result = runner.invoke(app, ["list", "--format", "xml"])
    assert result.exit_code == 2 and "table, csv, json" in result.output


@pytest.mark.parametrize("w", WIDTHS)
def test_variance_calibration_and_tournament_tables_keep_every_figure(w, monkeypatch):
    from types import SimpleNamespace

    from sim.cli.calibrate import _print_calibration, _print_gdp_channels
    from sim.cli.uncertainty import _print_splits

    console = Console(width=w, record=True, file=io.StringIO())
    monkeypatch.setattr(ui, "out", console)
    split = SimpleNamespace(
        outcome="halted_plant_days_auto",
        unit="plant-days",
        mean=6068.0,
        total=4.0e6,
        parameters=3.0e6,
        parameters_low=2.5e6,
        parameters_high=3.5e6,
        chance=1.0e6,
        chance_low=0.8e6,
        chance_high=1.2e6,
        parameter_share=0.75,
        parameter_share_low=0.6,
        parameter_share_high=0.9,
        dominant="parameters",
    )
    _print_splits([split], "baseline", 40, 8)
    row = SimpleNamespace(
        target="auto_plants_halted_by_june",
        scenario="baseline",
        quantity="share of runs with an auto halt before June",
        figure_value="yes (reported)",
        reliability="reported",
        median="62%",
        low="48%",
        high="75%",
        check="share >= 50%",
        status="inside",
        reason="",
        informed=[],
        cited_by=[],
    )
    _print_calibration([row], 100, 1)
    gdp = SimpleNamespace(
        scenario="baseline",
        meaning="LEVEL Q3",
        cells={"magnet": (0.61, 0.2, 1.4)} | {"tariff": (0.12, 0.1, 0.2), "total": (0.74, 0.3, 1.6)},
    )
    _print_gdp_channels([gdp])
    text = console.export_text()
    _fits(text, w)
    for figure in ("6,068", "2,000", "1,732", "1,581", "1,871", "1,000", "75%", "60%", "90%", "parameters"):
        assert figure in text, figure
    for figure in ("62%", "48%", "75%", "inside", "0.61 [0.20, 1.40]", "0.74 [0.30, 1.60]"):
        assert figure in text, figure
    assert "6068.000" not in text


# --- the tornado chart names its scenario ------------------------------------------------------


def test_tornado_subtitle_names_the_scenario_not_a_loop_variable(tmp_path, monkeypatch):
    import sim.experiments.sensitivity as sensitivity
    import sim.plots.charts as charts

    def fake_run(spec, outcome, method, samples, seed, workers, **kwargs):
        names = ["sigma", "licensing.initial_backlog", "market.price_pressure_per_day"]
        return sensitivity.SensitivityResult(
            method="morris",
            outcome=outcome,
            names=names,
            index=np.array([3.25, 2.0, 1.0]),
            conf=np.array([0.1, 0.2, 0.3]),
            other=np.array([0.5, 0.6, 0.7]),
            design=np.zeros((4, 3)),
            values=np.arange(4.0),
            filled=0,
        )

    figures = []
    monkeypatch.setattr(sensitivity, "run_sensitivity", fake_run)
    monkeypatch.setattr(charts, "_save", lambda fig, path: figures.append(fig))
    monkeypatch.setattr(ui, "out", Console(width=80))
    result = runner.invoke(
        app,
        [
            "sensitivity",
            "green_channel",
            "--outcome",
            "gdp_loss_year_end_pct",
            "-n",
            "2",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    (fig,) = figures
    title = fig._suptitle.get_text()
    assert "scenario: green_channel" in title, title
    assert "sigma" in result.output and "3.25" in result.output  # the table: 3 significant digits


# --- forecast add: 0.3, 30 and 30% -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored", "said"),
    [("0.3", 0.3, "as 30%"), ("30", 0.3, "as 30%"), ("30%", 0.3, "as 30%"), ("0.3%", 0.003, "as 0.3%")],
)
def test_forecast_add_reads_a_fraction_or_a_percentage_and_says_which(tmp_path, typed, stored, said):
    from sim.workshop.forecast import read_forecasts

    file = tmp_path / "class.csv"
    result = runner.invoke(
        app,
        ["forecast", "add", str(file), "--name", "Ana", "--probability", typed, "--quantiles", "0.4,0.9,1.8"],
    )
    assert result.exit_code == 0, result.output
    assert said in result.output
    assert read_forecasts(file).probabilities[0].probability == pytest.approx(stored)


def test_forecast_add_never_glues_a_row_onto_a_last_line_without_newline(tmp_path):
    from sim.workshop.forecast import read_forecasts

    file = tmp_path / "class.csv"
    args = ["--probability", "30%", "--quantiles", "0.4,0.9,1.8"]
    assert runner.invoke(app, ["forecast", "add", str(file), "--name", "Ana", *args]).exit_code == 0
    file.write_text(file.read_text().rstrip("\n"))  # saved by an editor without a final newline
    result = runner.invoke(app, ["forecast", "add", str(file), "--name", "Ben [/bold]", *args])
    assert result.exit_code == 0, result.output  # a name is plain text, never markup
    assert "saved Ben [/bold]: 30%" in result.output
    assert set(read_forecasts(file).names) == {"Ana", "Ben [/bold]"}


# --- sweep --resume remembers its outcomes -----------------------------------------------------


def test_sweep_resume_plots_the_outcomes_it_was_started_with(tmp_path, monkeypatch):
    import sim.experiments.sweep as sweep

    folder = tmp_path / "sw"
    plotted: list[str] = []
    monkeypatch.setattr(
        sweep, "_run_point", lambda spec, seed, reps: [{"price_index_at_end": 100.0 + seed}] * reps
    )
    monkeypatch.setattr(
        "sim.plots.charts.sweep_panels",
        lambda table, varied, outcome, path, scenario: plotted.append(outcome),
    )
    args = ["sweep", "baseline", "--vary", "licensing.initial_backlog=20000:50000:2", "-n", "1", "-w", "1"]
    first = runner.invoke(app, [*args, "--outcome", "price_index_at_end", "--out", str(folder)])
    assert first.exit_code == 0, first.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sweep"]["outcomes"] == ["price_index_at_end"]
    plotted.clear()
    again = runner.invoke(app, ["sweep", "--resume", str(folder), "-w", "1"])
    assert again.exit_code == 0, again.output
    assert plotted == ["price_index_at_end"]


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_forecast_scoreboard_keeps_every_score(run_folder, tmp_path, width):
    file = tmp_path / "class.csv"
    for name, p in (("Ana", "30%"), ("Ben", "0.7")):
        args = ["forecast", "add", str(file), "--name", name, "--probability", p]
        args += ["--quantiles", "0.4,0.9,1.8"]
        assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["forecast", "score", str(file), str(run_folder)])
    assert result.exit_code == 0, result.output
    _fits(result.output, width)
    with (run_folder / "forecast_scores.csv").open() as fh:
        for row in csv.DictReader(fh):
            assert number(float(row["score"])) in result.output, row
            assert row["forecast"] in result.output, row


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_tournament_ranking_keeps_every_mean_and_interval(tmp_path, width):
    out = tmp_path / "t"
    args = ["tournament", "baseline", "-n", "2", "--strategy", "hawk", "--strategy", "dove"]
    result = runner.invoke(app, [*args, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    _fits(result.output, width)
    with (out / "ranking.csv").open() as fh:
        for row in csv.DictReader(fh):
            for key in ("mean", "low", "high"):
                assert number(float(row[key])) in result.output, (row, key)
            assert row["measure"] in result.output
