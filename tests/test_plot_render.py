"""Charts written cheaply must look exactly as ``savefig`` would have drawn them.

:func:`sim.plots.render.write_figure` lays a figure out once and draws it once (``savefig``
draws it twice), and writes an opaque PNG as RGB at a quicker zlib level; a batch of charts
draws on one figure per shape; the tick helpers locate ticks once per labelling or per view.
Each test states what must not change: the pixels, the labels, the ticks.
"""

from __future__ import annotations

import datetime as dt

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.ticker import MaxNLocator
from PIL import Image

from sim.plots.render import figures_reused, subplots, write_figure
from sim.plots.style import RC, MonthTicks, value_axis


def _chart(**figure) -> plt.Figure:
    """A chart as the real ones are: constrained layout, a two-line title, dates, a legend below."""
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(8, 5), layout="constrained", **figure)
        days = np.arange("2025-01-01", "2025-12-31", dtype="datetime64[D]")
        values = 1000 * (1 + np.sin(np.arange(days.size) / 30.0))
        ax.fill_between(days, 0.8 * values, 1.2 * values, alpha=0.3, label="band")
        ax.plot(days, values, label="median")
        ax.set_title("A title that says what\nscenario: test, 10 replications")
        ax.set_ylabel("Applications")
        ax.xaxis.set_major_locator(MonthTicks())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
        value_axis(ax)
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    return fig


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA"))


def test_a_chart_written_once_has_the_pixels_savefig_draws(tmp_path):
    fig = _chart()
    fig.savefig(tmp_path / "savefig.png", dpi=100)
    plt.close(fig)
    fig = _chart()
    write_figure(fig, tmp_path / "once.png")
    plt.close(fig)
    assert np.array_equal(_pixels(tmp_path / "savefig.png"), _pixels(tmp_path / "once.png"))


def test_a_chart_is_drawn_once_where_savefig_draws_it_twice(tmp_path):
    def draws(write) -> int:
        fig = _chart()
        count = []
        fig.canvas.mpl_connect("draw_event", lambda event: count.append(event))
        write(fig)
        plt.close(fig)
        return len(count)

    assert draws(lambda fig: fig.savefig(tmp_path / "a.png", dpi=100)) == 2  # the dry run, then the drawing
    assert draws(lambda fig: write_figure(fig, tmp_path / "b.png")) == 1


def test_a_written_figure_keeps_its_layout_engine_and_lays_itself_out_again(tmp_path):
    fig = _chart()
    engine = fig.get_layout_engine()
    write_figure(fig, tmp_path / "a.png")
    assert fig.get_layout_engine() is engine
    before = fig.axes[0].get_position().bounds
    fig.axes[0].set_ylabel("A label\non three\nlines")  # wider: the axes must give way when redrawn
    fig.canvas.draw()
    assert fig.axes[0].get_position().x0 > before[0]
    plt.close(fig)


def test_an_opaque_chart_is_written_as_rgb_and_a_transparent_one_keeps_its_alpha(tmp_path):
    fig = _chart()
    write_figure(fig, tmp_path / "opaque.png")
    plt.close(fig)
    image = Image.open(tmp_path / "opaque.png")
    assert image.mode == "RGB"
    assert image.info["dpi"] == pytest.approx((100, 100), abs=0.01)
    assert image.size == (800, 500)

    with plt.rc_context({"savefig.transparent": True}):
        fig = _chart()
        fig.savefig(tmp_path / "savefig.png", dpi=100)
        write_figure(fig, tmp_path / "transparent.png")
    plt.close(fig)
    assert Image.open(tmp_path / "transparent.png").mode == "RGBA"
    assert np.array_equal(_pixels(tmp_path / "savefig.png"), _pixels(tmp_path / "transparent.png"))


def test_an_svg_is_written_by_savefig_as_before(tmp_path):
    fig = _chart()
    write_figure(fig, tmp_path / "chart.svg")
    plt.close(fig)
    assert (tmp_path / "chart.svg").read_text().lstrip().startswith("<?xml")


def test_tick_labels_read_the_tick_step_once_and_say_what_a_label_alone_says(monkeypatch):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 2.6])
    value_axis(ax)
    ticks = ax.yaxis.get_majorticklocs()
    calls = []
    original = MaxNLocator.__call__
    monkeypatch.setattr(MaxNLocator, "__call__", lambda self: calls.append(1) or original(self))
    labels = ax.yaxis.get_major_formatter().format_ticks(ticks)
    assert calls == []  # the step comes from the ticks handed over, not from locating them again
    assert labels == [ax.yaxis.get_major_formatter()(x) for x in ticks]  # each alone locates them
    assert calls
    assert {"0.0", "0.5", "1.0", "2.5"} <= set(labels)
    plt.close(fig)


def test_month_ticks_fall_on_the_first_of_each_month_and_follow_the_view():
    fig, ax = plt.subplots()
    ax.plot(np.array(["2025-01-01", "2025-12-31"], dtype="datetime64[D]"), [0, 1])
    ax.xaxis.set_major_locator(MonthTicks())
    ax.set_xlim(np.datetime64("2025-01-01"), np.datetime64("2025-12-31"))
    ticks = [mdates.num2date(t).date() for t in ax.xaxis.get_majorticklocs()]
    assert ticks == [dt.date(2025, m, 1) for m in range(1, 13)]
    assert np.array_equal(
        ax.xaxis.get_majorticklocs(),
        mdates.MonthLocator(tz=None).tick_values(dt.datetime(2025, 1, 1), dt.datetime(2025, 12, 31)),
    )
    ax.set_xlim(np.datetime64("2025-03-15"), np.datetime64("2025-06-15"))  # a new view: new ticks
    ticks = [mdates.num2date(t).date() for t in ax.xaxis.get_majorticklocs()]
    assert ticks == [dt.date(2025, 4, 1), dt.date(2025, 5, 1), dt.date(2025, 6, 1)]
    plt.close(fig)


def _reused_chart(path, title: str, suptitle: str | None, legend: bool) -> plt.Figure:
    with plt.rc_context(RC):
        fig, ax = subplots((8, 5), reuse=True)
        ax.plot([0, 1, 2], [0, 2, 1], label="a line")
        ax.set_title(title)
        if suptitle:
            fig.suptitle(suptitle)
        if legend:
            handles, labels = ax.get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", frameon=False)
        write_figure(fig, path)
    return fig


def test_a_chart_drawn_on_a_reused_figure_has_the_pixels_of_one_drawn_on_a_new_figure(tmp_path):
    fresh = _reused_chart(tmp_path / "fresh.png", "Second", None, legend=False)  # not in a batch: new
    plt.close(fresh)
    with figures_reused():
        first = _reused_chart(tmp_path / "first.png", "First", "A suptitle", legend=True)
        second = _reused_chart(tmp_path / "second.png", "Second", None, legend=False)
    assert second is first  # one figure for the shape, cleared
    assert not second.legends and second._suptitle is None  # nothing left over from the first chart
    assert np.array_equal(_pixels(tmp_path / "fresh.png"), _pixels(tmp_path / "second.png"))


def test_a_figure_that_may_be_handed_back_is_never_reused():
    with figures_reused():
        a, _ = subplots((8, 5))
        b, _ = subplots((8, 5))
        c, _ = subplots((8, 5), reuse=True)
        d, _ = subplots((8, 5), reuse=True)
        with plt.rc_context({"figure.facecolor": "#eeeeee"}):
            e, _ = subplots((8, 5), reuse=True)  # another style: its own figure
    assert a is not b and c is d and e is not c
    for fig in (a, b):
        plt.close(fig)
