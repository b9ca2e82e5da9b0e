"""Writing a chart to a PNG file with one layout, one drawing and a quick encoding.

A default fan chart cost ~0.24 s of CPU, and three things in ``Figure.savefig`` made up half:

- *The layout ran inside a dry run.* ``savefig`` of a figure with a layout engine (every chart
  here is ``constrained``) first draws the whole figure with drawing switched off, only to run
  the layout inside that draw, then draws it again for real: every tick located, formatted and
  measured twice over, ~20% of the chart. :func:`write_figure` runs the layout engine itself,
  once, at the resolution the file is written at, then saves the figure with no engine for the
  one real drawing (what ``savefig`` does after its dry run) and puts the engine back, so a
  figure kept open lays itself out again when it changes. The positions are those ``savefig``
  computes: the pixels are the same.
- *The PNG kept an alpha channel every pixel of which is opaque* (the charts have a white
  background), a quarter of the bytes to filter and compress for nothing. An opaque image is
  written as RGB: the same colours.
- *Pillow compresses at zlib level 6*, ~40% slower than level 1 for files ~5% smaller; the two
  changes together encode in ~55% of the time, and the files come out about as large as before.

And a batch of charts written one after another (a run's default figures) draws on one figure per
shape, cleared between charts (:func:`figures_reused`, :func:`subplots`): no new figure, canvas
and pixel buffer each time, and the text the charts share ("Jan", a title's font) is measured
once per process, as matplotlib keeps text sizes per renderer.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from PIL import Image, PngImagePlugin

#: Every chart is written at this resolution (pixels per inch).
DPI = 100

#: zlib level of the PNG files (Pillow's default is 6): see the module's docstring.
PNG_COMPRESS_LEVEL = 1


def write_figure(fig: plt.Figure, path: Path, dpi: int = DPI) -> None:
    """Write ``fig`` to ``path`` (PNG or SVG, by its suffix); a PNG with one layout and one drawing."""
    if path.suffix.lower() != ".png" or fig.dpi != dpi:  # laid out at the dpi it is drawn at, or not here
        fig.savefig(path, dpi=dpi)  # a vector file lays itself out at 72 dpi inside savefig
        return
    engine = fig.get_layout_engine()
    if isinstance(engine, PlaceHolderLayoutEngine):
        engine = None
    if engine is not None:
        with suppress(ValueError):  # what Figure.draw tolerates too (a figure too small for its decorations)
            engine.execute(fig)
        # No engine at all ("none" would leave a placeholder, and savefig dry-runs any engine):
        # laid out, the drawing below leaves the positions as they are.
        with plt.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)
    pixels = io.BytesIO()
    try:
        fig.savefig(pixels, dpi=dpi, format="rgba")  # drawn as for a PNG, the pixels kept as they are
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    write_png(pixels.getbuffer(), int(fig.bbox.height), path, dpi)


def write_png(rgba: memoryview | bytes, height_px: int, path: Path, dpi: int = DPI) -> None:
    """Write rows of RGBA pixels (8 bits each, top row first) to a PNG file, as RGB when all are opaque.

    The file carries the resolution and the "Software" note that ``savefig`` writes.
    """
    pixels = np.frombuffer(rgba, dtype=np.uint8).reshape(height_px, -1, 4)
    image = Image.frombuffer("RGBA", (pixels.shape[1], height_px), pixels, "raw", "RGBA", 0, 1)
    if bool((pixels[:, :, 3] == 255).all()):
        image = image.convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{mpl.__version__}, https://matplotlib.org/")
    image.save(path, format="png", dpi=(dpi, dpi), pnginfo=info, compress_level=PNG_COMPRESS_LEVEL)


#: Figures by shape while :func:`figures_reused` is in force; None outside it.
_reusable: dict[tuple, Figure] | None = None


@contextmanager
def figures_reused() -> Iterator[None]:
    """Within this block :func:`subplots` asked to reuse hands out one figure per shape, cleared."""
    global _reusable
    outer, _reusable = _reusable, {}
    try:
        yield
    finally:
        _reusable = outer


def reuse_figures_from_now() -> None:
    """Reuse figures for the rest of this process's life (a process that only draws)."""
    global _reusable
    if _reusable is None:
        _reusable = {}


def subplots(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, reuse: bool = False, **grid):
    """``plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **grid)``, or the same shape
    on a figure drawn before and cleared, when ``reuse`` (a chart written to a file and closed, never
    handed back) and within :func:`figures_reused`.

    A reused figure is made as pyplot makes one, under the style in force when it is first asked for;
    the key holds the figure's settings read from that style, so another style gets its own figure.
    """
    if not reuse or _reusable is None:
        return plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **grid)
    settings = tuple(mpl.rcParams[k] for k in _FIGURE_SETTINGS)
    key = (tuple(figsize), settings)
    fig = _reusable.get(key)
    if fig is None:
        fig = _reusable[key] = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
    else:  # the axes let go of first: clearing them, as Figure.clear does, costs as much as new ones
        for ax in fig.axes:
            fig.delaxes(ax)
        fig.clear()
    return fig, fig.subplots(nrows, ncols, **grid)


#: The settings a figure reads when it is made (the rest are read by what is drawn on it).
_FIGURE_SETTINGS = (
    "figure.dpi",
    "figure.facecolor",
    "figure.edgecolor",
    "figure.frameon",
    "figure.constrained_layout.h_pad",
    "figure.constrained_layout.w_pad",
    "figure.constrained_layout.hspace",
    "figure.constrained_layout.wspace",
)
