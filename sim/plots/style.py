"""One look for every figure: the palette, the type sizes, and one colour and label per thing.

A deadline outcome, a negotiation state, a sector or a scenario has the same
colour and the same words in every chart that shows it (a run's stacked
states, a comparison's bars, a branches fan, the tournament), so a room that
learned "green is a deal" in one chart can read the next. Value axes choose
their decimals from the tick step, not from the data, and count axes tick on
whole numbers.
"""

from __future__ import annotations

import hashlib
import itertools

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import Formatter, MaxNLocator

#: Okabe-Ito colours, safe for the common forms of colour blindness.
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#555555",
)
SKY, YELLOW = "#56B4E9", "#F0E442"
LIGHT_GREY = "#CCCCCC"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, GREY)

#: Type sizes for a projected room.
RC = {
    "font.size": 15,
    "axes.titlesize": 19,
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

SECTOR_LABELS: dict[str, str] = {
    "auto": "Auto",
    "electronics_industrial": "Electronics and industrial",
    "aerospace": "Aerospace",
    "defence": "Defence",
}
SECTOR_COLOURS: dict[str, str] = {
    "auto": BLUE,
    "electronics_industrial": GREEN,
    "aerospace": ORANGE,
    "defence": VERMILLION,
}

#: The four ways the truce deadline can end (keys as in ``sim.core.domain.DEADLINE_OUTCOMES``).
OUTCOME_COLOURS: dict[str, str] = {
    "deal": GREEN,
    "extension": BLUE,
    "snap_back": ORANGE,
    "escalation": VERMILLION,
}
OUTCOME_LABELS: dict[str, str] = {
    "deal": "deal",
    "extension": "extension",
    "snap_back": "snap-back",
    "escalation": "escalation",
}
#: Before any deadline outcome: the truce.
TRUCE_COLOUR, TRUCE_LABEL = LIGHT_GREY, "truce (before the deadline)"

#: The shipped scenarios, each with its own colour; any other scenario gets a stable one by name.
SCENARIO_COLOURS: dict[str, str] = {
    "baseline": GREY,
    "deal_by_deadline": GREEN,
    "extension_90_days": BLUE,
    "snap_back": ORANGE,
    "no_deal": VERMILLION,
    "chip_escalation": PURPLE,
    "green_channel": SKY,
    "court_strikes_tariffs": YELLOW,
    "industrial_policy": "#8C564B",
    "military_release": "#1B9E77",
}


def in_words(description: str) -> str:
    """A catalogue description as a room reads it: without the "CUMULATIVE: " or "LEVEL: " tag.

    The tags tell readers of code which GDP measure a name holds; the unit a chart or table
    prints beside it already ends ", cumulative".
    """
    for tag in ("CUMULATIVE: ", "LEVEL: "):
        description = description.removeprefix(tag)
    return description


def outcome_colour(outcome: str) -> str:
    """The colour of a deadline outcome (or a branch named after one), ``snap-back`` or ``snap_back``."""
    return OUTCOME_COLOURS.get(outcome.replace("-", "_"), GREY)


def outcome_label(outcome: str) -> str:
    """How a deadline outcome is written for people: ``snap-back``, never ``snap_back``."""
    return OUTCOME_LABELS.get(outcome.replace("-", "_"), outcome.replace("_", " "))


def scenario_colour(name: str) -> str:
    """A scenario's colour: fixed for the shipped ones, stable by name for any other."""
    if name in SCENARIO_COLOURS:
        return SCENARIO_COLOURS[name]
    digest = int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16)
    return PALETTE[digest % len(PALETTE)]


def cycle(n: int) -> list[str]:
    """``n`` distinct colours in the palette's order (for things with no colour of their own)."""
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def _decimals_for_step(step: float) -> int:
    """Decimals that show ticks ``step`` apart exactly (0.25 -> 2, 0.5 -> 1, 20 -> 0)."""
    for decimals in range(0, 6):
        if abs(round(step, decimals) - step) <= 1e-9 * max(1.0, abs(step)):
            return decimals
    return 6


def value_axis(ax: plt.Axes, integer: bool = False, axis: str = "y") -> None:
    """Tick labels with thousands separators and the decimals the tick step needs.

    ``integer`` ticks only on whole numbers (counts of plants, files, turns).
    """
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins="auto", integer=integer, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(StepFormatter(target, integer))


class StepFormatter(Formatter):
    """A value axis's tick labels: thousands separated, as many decimals as the tick step needs.

    The step is read from the ticks being labelled, once for all of them (:meth:`format_ticks`,
    how an axis labels its ticks); a label asked for alone reads the axis's ticks. Reading the
    axis's ticks for every label located them again each time: ~12% of a fan chart's CPU time.
    """

    def __init__(self, axis, integer: bool = False):
        self.target = axis
        self.integer = integer

    def format_ticks(self, values) -> list[str]:
        self.set_locs(values)
        decimals = self._decimals(values)
        return [self._text(x, decimals) for x in values]

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self._text(x, self._decimals(self.target.get_majorticklocs()))

    def _decimals(self, ticks) -> int:
        if self.integer:
            return 0
        step = min((abs(b - a) for a, b in itertools.pairwise(ticks) if b != a), default=1.0)
        return _decimals_for_step(step)

    @staticmethod
    def _text(x: float, decimals: int) -> str:
        text = f"{x:,.{decimals}f}"
        return text.removeprefix("-") if text.strip("-0.,") == "" else text  # never "-0.0"


class MonthTicks(mdates.MonthLocator):
    """A tick on the first of each month, located once per view of the dates.

    Laying out and drawing a chart asks an axis for its ticks ~15 times, and a month locator
    walks a calendar rule each time (~6% of a fan chart's CPU time); the ticks depend on the
    dates shown and nothing else, so they are kept until the view changes.
    """

    def __init__(self) -> None:
        super().__init__()
        self._view: tuple[float, float] | None = None
        self._ticks: np.ndarray = np.empty(0)

    def __call__(self):
        view = tuple(float(v) for v in self.axis.get_view_interval())
        if view != self._view:
            self._ticks = np.asarray(super().__call__(), dtype=float)
            self._view = view  # type: ignore[assignment]
        return self._ticks.copy()


# --- titles and legends that never hide anything ----------------------------------------------


def _titles(fig: plt.Figure) -> list:
    """Every title text of a figure: its suptitle and each axes' three titles."""
    texts = [fig._suptitle] if getattr(fig, "_suptitle", None) is not None else []
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title]
    return [t for t in texts if t.get_text()]


def renderer_of(fig: plt.Figure):
    """A renderer to measure text with (a figure closed in pyplot keeps only a bare canvas)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def printable(text: str) -> str:
    """``text`` with control characters (an ANSI escape in a scenario's name) written as escapes."""
    return "".join(
        ch if ch == "\n" or ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def fit_titles(fig: plt.Figure, margin_px: float = 8.0) -> None:
    """Wrap every title that would run past the figure's edges, between words.

    A title is centred on its axes (or on the figure): it fits when half its width fits on
    each side of its centre. Text widths do not depend on the layout, so this runs before
    the figure is laid out and saved; long descriptions (a one-parameter sweep's) stay whole.
    """
    import textwrap

    renderer = renderer_of(fig)
    width_px = fig.bbox.width
    for text in _titles(fig):
        text.set_text(printable(text.get_text()))  # a name from a file may hold an escape character
        x_fig = fig.transFigure.inverted().transform(text.get_transform().transform(text.get_position()))[0]
        ha = text.get_horizontalalignment()
        for _ in range(8):
            box = text.get_window_extent(renderer)
            centre = x_fig * width_px
            if ha == "center":
                room = 2 * min(centre, width_px - centre) - 2 * margin_px
            elif ha == "left":
                room = width_px - centre - margin_px
            else:
                room = centre - margin_px
            if box.width <= room:
                break
            lines = text.get_text().split("\n")
            longest = max(len(line) for line in lines)
            chars = max(12, int(longest * max(room, 1.0) / box.width) - 1)
            text.set_text("\n".join(w for line in lines for w in textwrap.wrap(line, chars) or [""]))


def headroom_for_legend(ax: plt.Axes, legend, pad: float = 0.05) -> None:
    """Raise the y-axis top so the data sits below an upper legend (the legend never hides a line).

    Measured on the legend as drawn at the axes' current size; ``pad`` is a share of the axes'
    height left between them.
    """
    renderer = renderer_of(ax.figure)
    legend_box = legend.get_window_extent(renderer)
    axes_box = ax.get_window_extent(renderer)
    free = (legend_box.y0 - axes_box.y0) / axes_box.height - pad  # share of the height below the legend
    low, high = ax.get_ylim()
    data_top = ax.dataLim.y1
    if 0.2 < free < 1 and data_top > low:
        ax.set_ylim(low, max(high, low + (data_top - low) / free))
