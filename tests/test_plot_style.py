"""Charts read back from their figure objects: tick labels, titles and colours.

Each test draws a real chart from a real (small) results folder, keeps the
figure instead of closing it, and reads what a person would see: a tick label
must say the value it stands at, counts tick on whole numbers, and a deadline
outcome has one colour and one label in every chart.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from typer.testing import CliRunner

import sim.plots.charts as charts
from sim.cli import app
from sim.plots.style import OUTCOME_COLOURS, value_axis
from sim.results.folder import read_results

runner = CliRunner()


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    out = tmp_path_factory.mktemp("style") / "cmp"
    result = runner.invoke(
        app,
        [
            "compare",
            "baseline",
            "snap_back",
            "--reps",
            "6",
            "--seed",
            "5",
            "--workers",
            "1",
            "--out",
            str(out),
            "-q",
            "--no-plots",
        ],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    return {name: read_results(out / name) for name in ("baseline", "snap_back")}


@pytest.fixture
def kept(monkeypatch):
    """Figures the charts would have saved and closed, kept for reading."""
    figures: list[plt.Figure] = []
    monkeypatch.setattr(charts, "_save", lambda fig, path: figures.append(fig))
    yield figures
    for fig in figures:
        plt.close(fig)


def _tick_labels(ax) -> list[tuple[float, str]]:
    ax.figure.canvas.draw()
    lo, hi = ax.get_ylim()
    return [
        (float(t.get_position()[1]), t.get_text())
        for t in ax.get_yticklabels()
        if lo - 1e-9 <= t.get_position()[1] <= hi + 1e-9 and t.get_text()
    ]


@pytest.mark.parametrize("top", [0.11, 0.8, 1.1, 2.6, 13.0, 4500.0])
def test_each_tick_label_says_the_value_it_stands_at(top):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, top])
    value_axis(ax)
    labels = _tick_labels(ax)
    assert len(labels) >= 3
    for value, text in labels:
        assert float(text.replace(",", "")) == pytest.approx(value, abs=1e-9), (top, labels)
    decimals = {len(text.partition(".")[2]) for _, text in labels}
    assert len(decimals) == 1, labels  # evenly spaced ticks, one precision
    plt.close(fig)


def test_gdp_fan_ticks_read_as_the_values_they_mark(folders, kept):
    charts.fan_chart(folders["baseline"], "gdp_loss", charts.Path("gdp.png"))
    (fig,) = kept
    for value, text in _tick_labels(fig.axes[0]):
        assert float(text.replace(",", "")) == pytest.approx(value, abs=1e-9)


def test_counts_of_plants_tick_on_whole_numbers(folders, kept):
    charts.sector_fan_panels(folders["snap_back"], "plants_halted", charts.Path("p.png"), "Plants halted")
    (fig,) = kept
    for ax in fig.axes:
        for value, text in _tick_labels(ax):
            assert value == int(value) and "." not in text, (ax.get_title(), text)


def _legend_colours(fig) -> dict[str, str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    out = {}
    for legend in legends:
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            colour = handle.get_facecolor() if hasattr(handle, "get_facecolor") else handle.get_color()
            colour = colour[0] if np.ndim(colour) == 2 else colour
            out[text.get_text()] = mcolors.to_hex(colour)
    return out


def test_a_deadline_outcome_has_one_colour_and_one_label_in_every_chart(folders, kept):
    charts.negotiation_state_shares(folders["snap_back"], charts.Path("state.png"))
    charts.deadline_outcome_bars(folders, charts.Path("bars.png"))
    state, bars = (_legend_colours(fig) for fig in kept)
    for outcome, colour in OUTCOME_COLOURS.items():
        label = outcome.replace("_", "-")
        assert state[label] == bars[label] == colour.lower(), (outcome, state, bars)
    assert not any("snap_back" in text for text in [*state, *bars])
    assert "10 August" not in kept[1].axes[0].get_title()  # the deadline's date is not hard-wired


def test_a_comparison_leaves_out_an_outcome_identical_in_every_scenario(folders, tmp_path):
    same = {"a": folders["baseline"], "b": folders["baseline"]}
    drawn = charts.draw_comparison_plots(same, tmp_path)
    assert not any("_by_scenario" in p.name for p in drawn)
    drawn = charts.draw_comparison_plots(folders, tmp_path)
    assert any("gdp_loss_year_end_pct_by_scenario" in p.name for p in drawn)
