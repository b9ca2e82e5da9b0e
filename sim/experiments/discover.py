"""Scenario discovery: under which assumptions does an outcome of interest happen?

Given a results folder (each replication's drawn parameters and its outcomes),
mark the replications where the outcome of interest happens (a GDP loss above
1%, a snap-back at the deadline, ...) and find boxes in parameter space where
those cases concentrate. A shallow decision tree (scikit-learn) proposes the
boxes: each leaf is a box, a conjunction of parameter ranges. For each box:

* coverage: the share of all cases of interest that fall inside it;
* density: the share of the box's replications that are cases of interest.

A good box has both high: it explains most cases and is mostly cases. The
tree's leaves trace the trade-off; the chosen box is the densest one whose
coverage is at least ``min_coverage``.

With many uncertain parameters and few replications a tree will also split on
noise: boxes are candidates to examine, not findings. Run more replications,
or restrict the search to a group of parameters (``only``).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.core.domain import DEADLINE_OUTCOMES
from sim.results.folder import Results, ResultsError


@dataclass
class Box:
    """A region of parameter space: one leaf of the tree."""

    rules: list[str]  # e.g. "market.price_pressure_per_day > 0.0091"
    coverage: float
    density: float
    size: int  # replications inside


@dataclass
class Discovery:
    condition: str
    cases: int
    total: int
    boxes: list[Box]  # every leaf, densest first
    chosen: Box | None
    importances: list[tuple[str, float]]  # parameters the tree used, most important first


def cases_of_interest(
    results: Results, outcome: str, above=None, below=None, equals=None
) -> tuple[np.ndarray, str]:
    """A yes/no array over replications, and the condition in words."""
    if outcome == "deadline" and equals is not None:
        name = str(equals).replace("-", "_")
        if name not in DEADLINE_OUTCOMES:
            raise ResultsError(f"--equals for the deadline must be one of {', '.join(DEADLINE_OUTCOMES)}")
        flag = results.outcomes.get(f"deadline_{name}")
        if flag is None:
            raise ResultsError(f"{results.folder}: no deadline outcomes in this results folder")
        return np.nan_to_num(flag) > 0.5, f"the deadline ends in {name.replace('_', '-')}"
    if outcome not in results.outcomes:
        raise ResultsError(f"{results.folder}: no outcome {outcome!r}")
    values = results.outcomes[outcome]
    if values.dtype.kind == "M":
        values = values.astype("datetime64[D]").astype("int64").astype(float)
        to_num = lambda v: float(np.datetime64(str(v), "D").astype("int64"))  # noqa: E731
    else:
        to_num = float
    if above is not None:
        return np.nan_to_num(values, nan=-np.inf) > to_num(above), f"{outcome} > {above}"
    if below is not None:
        return np.nan_to_num(values, nan=np.inf) < to_num(below), f"{outcome} < {below}"
    if equals is not None:
        return values == to_num(equals), f"{outcome} = {equals}"
    raise ResultsError("say which cases interest you: --above, --below or --equals")


def _parameters(
    folder: Path, reps: np.ndarray, only: list[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """Numeric parameters that vary between replications, rows aligned with ``reps``.

    ``only`` keeps the parameters whose dotted path starts with one of these prefixes.
    """
    with (folder / "parameters.csv").open(newline="") as fh:
        rows = {int(r["rep"]): r for r in csv.DictReader(fh)}
    names, columns = [], []
    for name in next(iter(rows.values())):
        if name == "rep" or (only and not name.startswith(tuple(only))):
            continue
        try:
            col = np.array([float(rows[int(rep)][name]) for rep in reps])
        except ValueError:
            try:  # dates
                col = np.array(
                    [float(np.datetime64(rows[int(rep)][name], "D").astype("int64")) for rep in reps]
                )
            except ValueError:
                continue  # text choices are left out
        if np.ptp(col) > 0:
            names.append(name)
            columns.append(col)
    return names, np.column_stack(columns) if columns else np.empty((len(reps), 0))


def discover(
    results: Results,
    y: np.ndarray,
    condition: str,
    max_depth: int = 3,
    min_coverage: float = 0.5,
    only: list[str] | None = None,
) -> Discovery:
    """Fit a shallow tree to the cases of interest and report its leaves as boxes."""
    from sklearn.tree import DecisionTreeClassifier

    reps = results.outcomes["rep"].astype(int)
    names, x = _parameters(results.folder, reps, only)
    cases = int(y.sum())
    if cases == 0 or cases == len(y):
        raise ResultsError(f"{condition} holds in {cases} of {len(y)} replications: nothing to separate")
    if not names:
        raise ResultsError(
            "no parameter varies between replications" + (f" under {', '.join(only)}" if only else "")
        )
    min_leaf = max(3, int(math.ceil(0.05 * len(y))))
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=0).fit(x, y)
    t = tree.tree_
    boxes: list[Box] = []

    def walk(node: int, rules: list[str]) -> None:
        if t.children_left[node] == -1:  # a leaf
            inside = tree.apply(x) == node
            size = int(inside.sum())
            hits = int((y & inside).sum())
            boxes.append(Box(rules, hits / cases, hits / size if size else 0.0, size))
            return
        name, cut = names[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], [*rules, f"{name} <= {cut:.4g}"])
        walk(t.children_right[node], [*rules, f"{name} > {cut:.4g}"])

    walk(0, [])
    boxes.sort(key=lambda b: (-b.density, -b.coverage))
    eligible = [b for b in boxes if b.coverage >= min_coverage]
    chosen = eligible[0] if eligible else max(boxes, key=lambda b: b.coverage * b.density)
    order = np.argsort(-tree.feature_importances_)
    importances = [
        (names[i], float(tree.feature_importances_[i])) for i in order if tree.feature_importances_[i] > 0
    ]
    return Discovery(condition, cases, len(y), boxes, chosen, importances)
