"""Proper scoring rules: how far a forecast was from what the model simulated.

A scoring rule is *proper* when a forecaster expects the best score by saying
what they believe, so a class cannot game it by hedging or exaggerating.

* **Brier score** of a probability ``p`` of a yes/no outcome: the mean of
  ``(p - 1[outcome happened])**2`` over replications. 0 is perfect; always
  saying 50% earns 0.25; the simulated frequency ``f`` earns ``f (1 - f)``, the
  best any single probability can do.
* **CRPS** (continuous ranked probability score) of a forecast distribution F at
  a value y: the integral of ``(F(t) - 1[t >= y])**2`` over t. It is in the
  quantity's own unit and equals the absolute error when F is a single number.
  A few quantiles become a distribution as a **piecewise-linear CDF** through
  the points (quantile value, level), with uniform tails beyond the outermost
  quantiles at the density of the neighbouring inner segment, until the CDF
  reaches 0 and 1 (for 5/50/95%, the tail below the 5% quantile is a ninth of
  the 5%-50% distance wide). The integral is then exact, segment by segment.
  We do not use the pinball-loss (quantile score) approximation: with three
  quantiles it is coarse, and it is not in the quantity's unit.
* The lowest CRPS any forecast can expect against a sample is the CRPS of the
  sample itself: half the mean absolute difference of two simulated values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def check_quantiles(levels: Sequence[float], values: Sequence[float]) -> None:
    """Quantiles must be finite and never decrease as the level rises (ValueError says which)."""
    if len(levels) != len(values):
        raise ValueError(f"{len(values)} value(s) given for {len(levels)} quantile level(s)")
    if len(levels) < 2:
        raise ValueError("give at least two quantiles")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("quantiles must be finite numbers")
    for i in range(1, len(levels)):
        q0, v0, q1, v1 = levels[i - 1], values[i - 1], levels[i], values[i]
        if v1 < v0:
            raise ValueError(
                f"the {100 * q1:g}% quantile ({v1:g}) is below the {100 * q0:g}% quantile ({v0:g}); "
                "a higher level needs a value at least as large"
            )


def brier_score(probability: float, outcomes: np.ndarray) -> float:
    """Mean over replications of (probability - 1[outcome])**2; ``outcomes`` are 1 or 0."""
    y = np.asarray(outcomes, dtype=float)
    return float(np.mean((probability - y) ** 2))


def quantile_cdf(levels: Sequence[float], values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The piecewise-linear CDF through the quantiles, with uniform tails: its knots (x, F).

    Each tail has the density of its neighbouring segment, so it ends where the
    CDF reaches 0 (or 1). Equal quantiles make a jump (a point mass).
    """
    check_quantiles(levels, values)
    q = np.asarray(levels, dtype=float)
    v = np.asarray(values, dtype=float)
    lower_width = (v[1] - v[0]) * q[0] / (q[1] - q[0])
    upper_width = (v[-1] - v[-2]) * (1.0 - q[-1]) / (q[-1] - q[-2])
    x = np.concatenate([[v[0] - lower_width], v, [v[-1] + upper_width]])
    cdf = np.concatenate([[0.0], q, [1.0]])
    return x, cdf


def crps_piecewise(x: np.ndarray, cdf: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Exact CRPS of a piecewise-linear CDF (knots ``x``, ``cdf`` from 0 to 1) at each observed value.

    CRPS(F, y) = integral of F(t)**2 for t < y plus (1 - F(t))**2 for t >= y. On a
    segment where F is linear from a to b over a width w, the integral of F**2 is
    w (a**2 + a b + b**2) / 3, so each segment is split at y and summed.
    """
    y = np.asarray(observed, dtype=float)[:, None]
    x0, x1 = x[:-1][None, :], x[1:][None, :]
    f0, f1 = cdf[:-1][None, :], cdf[1:][None, :]
    width = x1 - x0
    slope = np.divide(f1 - f0, width, out=np.zeros_like(width), where=width > 0)
    cut = np.clip(y, x0, x1)  # where each segment is split by y
    f_cut = f0 + slope * (cut - x0)
    below = (cut - x0) * (f0**2 + f0 * f_cut + f_cut**2) / 3.0
    g_cut, g1 = 1.0 - f_cut, 1.0 - f1
    above = (x1 - cut) * (g_cut**2 + g_cut * g1 + g1**2) / 3.0
    total = (below + above).sum(axis=1)
    outside = np.maximum(x[0] - y[:, 0], 0.0) + np.maximum(y[:, 0] - x[-1], 0.0)  # F is 0 or 1 there
    return total + outside


def crps_quantiles(levels: Sequence[float], values: Sequence[float], sample: np.ndarray) -> float:
    """Mean CRPS of a quantile forecast over a simulated sample (see the module docstring)."""
    x, cdf = quantile_cdf(levels, values)
    return float(np.mean(crps_piecewise(x, cdf, sample)))


def crps_floor(sample: np.ndarray) -> float:
    """Half the mean absolute difference of two simulated values: the CRPS of the sample itself."""
    s = np.sort(np.asarray(sample, dtype=float))
    n = s.size
    # sum over pairs |x_i - x_j| from the sorted values: sum_i (2i - n + 1) x_i, counted twice
    pairs = 2.0 * np.sum((2.0 * np.arange(n) - n + 1.0) * s)
    return float(pairs / (2.0 * n * n))
