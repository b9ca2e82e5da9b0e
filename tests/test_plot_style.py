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


@pytest.mark.slow
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


def test_a_comparison_leaves_out_an_outcome_identical_in_every_scenario(folders, tmp_path):
    same = {"a": folders["baseline"], "b": folders["baseline"]}
    drawn = charts.draw_comparison_plots(same, tmp_path)
    assert not any("_by_scenario" in p.name for p in drawn)
    drawn = charts.draw_comparison_plots(folders, tmp_path)
    assert any("gdp_loss_year_end_pct_by_scenario" in p.name for p in drawn)


# --- nothing hidden: titles inside the figure, legends and key-date labels off the data ---------


def _titles(fig) -> list:
    texts = [fig._suptitle] if fig._suptitle is not None else []
    texts += [t for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title)]
    return [t for t in texts if t.get_text()]


def _drawn(fig):
    """Lay the figure out as it was saved; its renderer (a kept figure has left pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _assert_titles_inside(fig) -> None:
    renderer = _drawn(fig)
    for text in _titles(fig):
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1 and box.x1 <= fig.bbox.width + 1, (text.get_text(), box, fig.bbox)
        assert box.y1 <= fig.bbox.height + 1, (text.get_text(), box)


def _data_tops(ax, x0: float, x1: float) -> float:
    """The highest point any line or band of ``ax`` reaches between display x0 and x1 (display y)."""
    points = [line.get_xydata() for line in ax.get_lines() if len(line.get_xdata()) > 2]
    points += [path.vertices for coll in ax.collections for path in coll.get_paths()]
    top = -np.inf
    for xy in points:
        xy = np.asarray(xy, dtype=float)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if xy.size == 0:
            continue
        shown = ax.transData.transform(xy)
        under = shown[(shown[:, 0] >= x0) & (shown[:, 0] <= x1)]
        if under.size:
            top = max(top, float(under[:, 1].max()))
    return top


def _assert_clear_of_data(ax, box) -> None:
    """Nothing ``ax`` draws as data reaches up into ``box`` (a legend's or a label's, display units)."""
    axes_box = ax.get_window_extent()
    if box.x1 < axes_box.x0 or box.x0 > axes_box.x1 or box.y1 < axes_box.y0 or box.y0 > axes_box.y1:
        return  # outside the plotting area
    assert _data_tops(ax, box.x0, box.x1) <= box.y0 + 1, box


def test_a_one_parameter_sweep_title_stays_inside_the_figure(tmp_path):
    table = tmp_path / "outcomes.csv"
    rows = ["negotiation.us.concede_base,gdp_loss_year_end_pct"]
    rows += [f"{x},{0.3 + 0.1 * k}" for x in (-2.5, -2.0, -1.5, -1.0) for k in range(3)]
    table.write_text("\n".join(rows) + "\n")
    with charts.kept_figures() as figures:
        charts.sweep_panels(table, ["negotiation.us.concede_base"], "gdp_loss_year_end_pct", None, "baseline")
    (fig,) = figures
    _assert_titles_inside(fig)
    assert "CUMULATIVE:" not in fig._suptitle.get_text()  # a tag for code readers, not a room


@pytest.mark.parametrize("series", ["backlog", "price_index", "approvals", "gdp_loss"])
def test_fan_legend_and_key_date_labels_never_cover_the_bands(folders, series):
    with charts.kept_figures() as figures:
        charts.fan_chart(folders["snap_back"], series, None)
    (fig,) = figures
    renderer = _drawn(fig)
    ax = fig.axes[0]
    legends = [ax.get_legend(), *fig.legends]
    for legend in filter(None, legends):
        _assert_clear_of_data(ax, legend.get_window_extent(renderer))
    labels = [t for t in ax.texts if t.get_text().strip()]
    assert labels, "key dates labelled"
    for text in labels:
        _assert_clear_of_data(ax, text.get_window_extent(renderer))
    _assert_titles_inside(fig)


def test_game_chart_legends_sit_above_the_lines(baseline, tmp_path):
    from sim.workshop.charts import game_history_chart
    from sim.workshop.game import Game, play
    from sim.workshop.strategies import make_strategy

    game = Game(baseline.spec, 2, 0)
    params = game.model.params
    result = play(
        game,
        make_strategy("hawk", "us", params, game.streams),
        make_strategy("dove", "china", params, game.streams),
    )
    with charts.kept_figures() as figures:
        game_history_chart(result, None, "hawk vs dove")
    (fig,) = figures
    renderer = _drawn(fig)
    with_legend = [ax for ax in fig.axes if ax.get_legend() is not None]
    assert len(with_legend) >= 3  # plants by sector, tariffs, pains
    for ax in with_legend:
        _assert_clear_of_data(ax, ax.get_legend().get_window_extent(renderer))
    _assert_titles_inside(fig)


@pytest.mark.slow
def test_every_chart_of_a_run_and_a_comparison_keeps_its_titles_inside(folders, tmp_path):
    with charts.kept_figures() as figures:
        charts.draw_default_plots(folders["snap_back"])
        charts.draw_comparison_plots(folders, tmp_path)
    assert len(figures) >= 12
    for fig in figures:
        _assert_titles_inside(fig)


def test_a_control_character_in_a_title_is_written_as_an_escape():
    fig, ax = plt.subplots()
    ax.set_title("game on a [/bold] b\x1b[31m")
    with charts.kept_figures() as figures:
        charts._save(fig, None)
    assert figures[0].axes[0].get_title() == "game on a [/bold] b\\x1b[31m"


def test_a_histogram_of_plant_days_writes_thousands_with_a_separator(folders, kept):
    charts.outcome_histogram(folders["snap_back"], "halted_plant_days_auto", charts.Path("h.png"))
    (fig,) = kept
    ax = fig.axes[0]
    ax.set_xlim(0, 7000)  # the range a snap-back's idle plant-days reach
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "2,000" in labels and "2000" not in labels, labels


def test_sector_panels_shipments_and_state_charts_keep_legends_and_labels_off_the_data(folders):
    with charts.kept_figures() as figures:
        charts.sector_fan_panels(folders["snap_back"], "stock", None, "Magnet stock")
        charts.shipments_fan(folders["snap_back"], None)
        charts.negotiation_state_shares(folders["snap_back"], None)
    sectors, shipments, state = figures
    for fig in (sectors, shipments):
        renderer = _drawn(fig)
        for ax in fig.axes:
            for legend in filter(None, [ax.get_legend(), *fig.legends]):
                _assert_clear_of_data(ax, legend.get_window_extent(renderer))
            for text in ax.texts:
                _assert_clear_of_data(ax, text.get_window_extent(renderer))
        _assert_titles_inside(fig)
    renderer = _drawn(state)  # a stacked share fills its axes: the legend goes beside it
    legend_box = state.axes[0].get_legend().get_window_extent(renderer)
    assert legend_box.x0 >= state.axes[0].get_window_extent(renderer).x1
