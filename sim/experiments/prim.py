"""PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), as scenario discovery uses it.

Scenario discovery (Bryant and Lempert 2010; EMA Workbench's ``prim``) looks for a box, a
range on a few parameters, inside which an outcome of interest is common. PRIM finds it by
*peeling*: starting from the box holding every replication, it repeatedly cuts off the thin
slice (a share ``alpha`` of the box's replications, from the low or high end of one parameter)
whose removal raises the density of cases most, until the box holds fewer than ``min_mass`` of
all replications. Each step trades coverage (share of all cases still inside) for density
(share of the box that are cases); the sequence of boxes is the *peeling trajectory*, from
which the analyst picks one. *Pasting* then widens the chosen box again wherever a slice can be
added back without lowering its density (peeling is greedy and can overshoot).

Boxes are found on some replications and judged on others (:mod:`sim.experiments.discover`):
PRIM, like any search over many parameters, finds density in noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PrimBox:
    """A box: bounds per parameter (``-inf``/``inf`` where unrestricted) and how it does on its data."""

    lower: np.ndarray
    upper: np.ndarray
    coverage: float
    density: float
    mass: float  # share of all replications inside

    def inside(self, x: np.ndarray) -> np.ndarray:
        return np.all((x >= self.lower) & (x <= self.upper), axis=1)

    def restricted(self) -> list[int]:
        """The parameters this box restricts."""
        return [j for j in range(len(self.lower)) if np.isfinite(self.lower[j]) or np.isfinite(self.upper[j])]


def _box(x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> PrimBox:
    inside = np.all((x >= lower) & (x <= upper), axis=1)
    n_in = int(inside.sum())
    hits = int(y[inside].sum())
    cases = max(int(y.sum()), 1)
    return PrimBox(lower.copy(), upper.copy(), hits / cases, hits / n_in if n_in else 0.0, n_in / len(y))


def peel(x: np.ndarray, y: np.ndarray, alpha: float = 0.05, min_mass: float = 0.05) -> list[PrimBox]:
    """The peeling trajectory: every box from the whole space down to ``min_mass`` of the data."""
    n, p = x.shape
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    trajectory = [_box(x, y, lower, upper)]
    inside = np.ones(n, dtype=bool)
    while inside.sum() > min_mass * n:
        best: tuple[float, int, str, float, np.ndarray] | None = None
        xin, yin = x[inside], y[inside]
        for j in range(p):
            for side in ("low", "high"):
                cut = np.quantile(xin[:, j], alpha if side == "low" else 1 - alpha)
                keep = xin[:, j] >= cut if side == "low" else xin[:, j] <= cut
                if keep.all():  # a discrete parameter: the quantile removes nothing, so cut past it
                    values = np.unique(xin[:, j])
                    if len(values) < 2:
                        continue
                    cut = values[1] if side == "low" else values[-2]
                    keep = xin[:, j] >= cut if side == "low" else xin[:, j] <= cut
                kept = int(keep.sum())
                if kept == 0 or kept < min_mass * n:
                    continue
                density = float(yin[keep].mean())
                if best is None or density > best[0]:
                    best = (density, j, side, float(cut), keep)
        if best is None:
            break
        _, j, side, cut, keep = best
        if side == "low":
            lower[j] = cut
        else:
            upper[j] = cut
        inside[np.flatnonzero(inside)[~keep]] = False
        trajectory.append(_box(x, y, lower, upper))
    return trajectory


def paste(x: np.ndarray, y: np.ndarray, box: PrimBox, alpha: float = 0.05) -> PrimBox:
    """Widen ``box`` one slice at a time wherever that does not lower its density."""
    lower, upper = box.lower.copy(), box.upper.copy()
    current = _box(x, y, lower, upper)
    n_step = max(1, int(round(alpha * current.mass * len(y))))
    while True:
        best: PrimBox | None = None
        for j in range(x.shape[1]):
            for side in ("low", "high"):
                bound = lower[j] if side == "low" else upper[j]
                if not np.isfinite(bound):
                    continue
                others = np.all(
                    (np.delete(x, j, axis=1) >= np.delete(lower, j))
                    & (np.delete(x, j, axis=1) <= np.delete(upper, j)),
                    axis=1,
                )
                outside = x[others, j]
                outside = np.sort(outside[outside < bound] if side == "low" else outside[outside > bound])
                if outside.size == 0:
                    continue
                new = (
                    outside[-min(n_step, outside.size)]
                    if side == "low"
                    else outside[min(n_step, outside.size) - 1]
                )
                lo, hi = lower.copy(), upper.copy()
                if side == "low":
                    lo[j] = new if outside.size > n_step else -np.inf
                else:
                    hi[j] = new if outside.size > n_step else np.inf
                trial = _box(x, y, lo, hi)
                if trial.density >= current.density and (best is None or trial.density > best.density):
                    best = trial
        if best is None or best.mass <= current.mass:
            return current
        lower, upper, current = best.lower.copy(), best.upper.copy(), best


def choose(trajectory: list[PrimBox], min_coverage: float) -> PrimBox:
    """The densest box on the trajectory that still covers ``min_coverage`` of the cases."""
    eligible = [b for b in trajectory if b.coverage >= min_coverage]
    return max(eligible or trajectory[:1], key=lambda b: (b.density, b.coverage))


def bound(value: float) -> str:
    """A box's bound as a person reads it: 4 significant digits, never in e-notation (22800, 0.00912)."""
    return np.format_float_positional(float(value), precision=4, unique=False, fractional=False, trim="-")


def rules(box: PrimBox, names: list[str]) -> list[str]:
    """The box in words, one rule per bound."""
    out = []
    for j in box.restricted():
        if np.isfinite(box.lower[j]):
            out.append(f"{names[j]} >= {bound(box.lower[j])}")
        if np.isfinite(box.upper[j]):
            out.append(f"{names[j]} <= {bound(box.upper[j])}")
    return out
