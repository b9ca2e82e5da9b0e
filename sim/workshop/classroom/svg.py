"""Small charts drawn on the server as inline SVG: no script, no chart library, nothing from a CDN.

Two kinds: a line of values over the turns so far (what the terminal game shows
as sparklines, with its axis labelled), and a distribution (a histogram of the
model's replications) with the class's games marked on it as points. Numbers
are formatted here, text is escaped, and every chart has a title for screen
readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

BLUE = "#0072B2"  # Okabe-Ito, as the project's other charts
VERMILLION = "#D55E00"
GREY = "#999999"


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.0f}"
    return f"{value:.2f}"


def line_chart(
    title: str,
    labels: Sequence[str],
    lines: dict[str, Sequence[float]],
    width: int = 320,
    height: int = 120,
) -> str:
    """Values over the turns: one polyline per named series (the first blue, the second vermillion)."""
    pad_l, pad_r, pad_t, pad_b = 44, 8, 22, 18
    values = [v for series in lines.values() for v in series if math.isfinite(v)]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:
        high = low + 1.0
    n = max(len(labels), 2)
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + w * i / (n - 1)

    def y(v: float) -> float:
        return pad_t + h * (1.0 - (v - low) / (high - low))

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="4" y="14" class="t">{escape(title)}</text>',
        f'<line x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}" stroke="{GREY}"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 8}" class="a" text-anchor="end">{_fmt(high)}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + h}" class="a" text-anchor="end">{_fmt(low)}</text>',
    ]
    if labels:
        parts.append(f'<text x="{pad_l}" y="{height - 4}" class="a">{escape(labels[0])}</text>')
        if len(labels) > 1:
            parts.append(
                f'<text x="{pad_l + w}" y="{height - 4}" class="a" text-anchor="end">'
                f"{escape(labels[-1])}</text>"
            )
    colours = [BLUE, VERMILLION]
    for k, (name, series) in enumerate(lines.items()):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(series) if math.isfinite(v))
        colour = colours[k % 2]
        if len(series) == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(series[0]):.1f}" r="3" fill="{colour}"/>')
        else:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        if len(lines) > 1:
            parts.append(
                f'<text x="{pad_l + w}" y="{14 + 0 * k}" dx="{-60 * (1 - k)}" class="a" fill="{colour}" '
                f'text-anchor="end">{escape(name)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def distribution_chart(
    title: str,
    unit: str,
    sample: np.ndarray,
    points: Sequence[tuple[str, float]],
    width: int = 560,
    height: int = 170,
    bins: int = 24,
) -> str:
    """A histogram of the model's replications with the class's games as labelled points on it."""
    pad_l, pad_r, pad_t, pad_b = 12, 12, 24, 40
    data = np.asarray(sample, dtype=float)
    data = data[np.isfinite(data)]
    marks = [(label, v) for label, v in points if math.isfinite(v)]
    every = np.concatenate([data, [v for _, v in marks]]) if marks else data
    if every.size == 0:
        return ""
    low, high = float(every.min()), float(every.max())
    if high == low:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(data, bins=bins, range=(low, high))
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    top = max(int(counts.max()), 1)

    def x(v: float) -> float:
        return pad_l + w * (v - low) / (high - low)

    parts = [
        f'<svg class="chart wide" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="4" y="15" class="t">{escape(title)}</text>',
    ]
    for c, e0, e1 in zip(counts, edges[:-1], edges[1:], strict=True):
        bh = h * c / top
        parts.append(
            f'<rect x="{x(e0):.1f}" y="{pad_t + h - bh:.1f}" width="{max(0.5, x(e1) - x(e0) - 1):.1f}" '
            f'height="{bh:.1f}" fill="{GREY}" opacity="0.6"/>'
        )
    axis_y = pad_t + h
    parts.append(f'<line x1="{pad_l}" y1="{axis_y}" x2="{pad_l + w}" y2="{axis_y}" stroke="#555"/>')
    parts.append(f'<text x="{pad_l}" y="{axis_y + 14}" class="a">{_fmt(low)}</text>')
    parts.append(
        f'<text x="{pad_l + w}" y="{axis_y + 14}" class="a" text-anchor="end">'
        f"{_fmt(high)} {escape(unit)}</text>"
    )
    for k, (label, v) in enumerate(marks):
        cx = x(v)
        cy = axis_y - 6 - 12 * (k % 4)
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{VERMILLION}" stroke="white"/>')
        parts.append(
            f'<text x="{cx:.1f}" y="{axis_y + 26 + 10 * (k % 2)}" class="a" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
