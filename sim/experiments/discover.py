"""Scenario discovery: under which assumptions does an outcome of interest happen?

Given a results folder (each replication's drawn parameters and its outcomes),
mark the replications where the outcome of interest happens (a GDP loss above
1%, a snap-back at the deadline, ...) and find boxes in parameter space where
those cases concentrate. A shallow decision tree (scikit-learn) proposes the
boxes: each leaf is a box, a conjunction of parameter ranges. For each box:

* coverage: the share of all cases of interest that fall inside it;
* density: the share of the box's replications that are cases of interest.

A good box has both high: it explains most cases and is mostly cases. Two searches propose
boxes, as the field does (Bryant and Lempert 2010; EMA Workbench): PRIM
(:mod:`sim.experiments.prim`: peeling, then pasting; its trajectory shows the coverage-density
trade-off) and a shallow decision tree (scikit-learn; each leaf is a box). In each, the chosen
box is the densest one whose coverage is at least ``min_coverage``; where no tree leaf reaches
it, the discovery says so instead of choosing silently.

With many uncertain parameters and few replications any search also finds density in noise.
So boxes are found on a *training* share of the replications and judged on the others (the
*holdout*): each box's density there, with an exact binomial interval widened for the number
of boxes judged (Bonferroni). A box whose holdout interval includes the base rate (the share of
cases in all replications) is flagged *no better than chance*: a candidate, not a finding.

Any folder with drawn parameters per replication can be searched: a run, a comparison (its
scenarios pooled, with one yes/no column per scenario) and a sweep (grid or Latin hypercube:
the varied parameters).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.core.domain import DEADLINE_OUTCOMES
from sim.experiments import prim
from sim.results.catalogue import OUTCOMES
from sim.results.folder import ResultsError
from sim.results.kinds import expect

#: Share of replications used to find boxes; the rest judge them.
TRAIN_SHARE = 2 / 3
#: Chance that any box is called better than chance when none is (family-wise, Bonferroni).
FAMILY_ERROR = 0.10


@dataclass
class Box:
    """A region of parameter space, found on the training replications and judged on the holdout."""

    rules: list[str]  # e.g. "market.price_pressure_per_day > 0.0091"
    coverage: float  # on the training replications
    density: float  # on the training replications
    size: int  # training replications inside
    holdout_density: float = math.nan
    holdout_size: int = 0
    holdout_low: float = 0.0  # interval of the holdout density (Bonferroni-widened)
    holdout_high: float = 1.0
    chance: bool = True  # the holdout interval includes the base rate: no better than chance


@dataclass
class Discovery:
    condition: str
    cases: int
    total: int
    boxes: list[Box]  # every tree leaf, densest first
    chosen: Box | None  # the tree's chosen leaf; None where no leaf reaches min_coverage
    importances: list[tuple[str, float]]  # parameters the tree used, most important first
    prim_trajectory: list[Box] = field(default_factory=list)  # peeling, whole space first
    prim: Box | None = None  # PRIM's chosen box, after pasting
    base_rate: float = math.nan
    holdout: int = 0  # replications kept aside to judge boxes
    notes: list[str] = field(default_factory=list)  # what the reader must know (warnings)


@dataclass
class Sample:
    """What discovery searches: each replication's drawn parameters and its outcomes."""

    folder: Path
    label: str  # for titles: the scenario, or the scenarios of a comparison
    outcomes: dict[str, np.ndarray]
    names: list[str]
    x: np.ndarray  # (replications, parameters)


def _number(cell: str) -> float:
    if cell == "":
        return math.nan
    try:
        return float(cell)
    except ValueError:
        return float(np.datetime64(cell, "D").astype("int64"))  # a date; text raises ValueError


def _outcome_column(name: str, cells: list[str]) -> np.ndarray:
    if name in OUTCOMES and OUTCOMES[name].kind == "date":
        return np.array([np.datetime64(c) if c else np.datetime64("NaT") for c in cells])
    return np.array([float(c) if c else math.nan for c in cells])


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _numeric_columns(rows: list[dict[str, str]], names: list[str]) -> tuple[list[str], list[np.ndarray]]:
    kept, columns = [], []
    for name in names:
        try:
            columns.append(np.array([_number(r[name]) for r in rows]))
        except ValueError:
            continue  # text choices are left out
        kept.append(name)
    return kept, columns


def read_sample(folder: Path) -> Sample:
    """The replications of a run, a comparison (pooled) or a sweep, ready to search.

    A damaged table (a cell that is not a number, a missing column or file) is a
    :class:`ResultsError` naming the folder, not a traceback.
    """
    found = expect(Path(folder), "discover", "run", "comparison", "sweep")
    try:
        return _sample(found)
    except (ValueError, KeyError, csv.Error, UnicodeDecodeError, FileNotFoundError) as exc:
        raise ResultsError(
            f"{found.folder}: its tables cannot be read ({type(exc).__name__}: {str(exc)[:120]}); damaged?"
        ) from None


def _sample(found) -> Sample:
    folder = found.folder
    if found.name == "sweep":
        header, rows = _read(folder / "outcomes.csv")
        varied = [v["path"] for v in found.manifest["sweep"]["varied"]]
        names, columns = _numeric_columns(rows, varied)
        skip = {"point", "rep", *varied}
        outcomes = {n: _outcome_column(n, [r[n] for r in rows]) for n in header if n not in skip}
        label = (
            f"{found.manifest['sweep']['scenario']} ({found.manifest['sweep'].get('design', 'grid')} sweep)"
        )
    else:
        header, rows = _read(folder / "outcomes.csv")
        outcomes = {n: _outcome_column(n, [r[n] for r in rows]) for n in header if n != "scenario"}
        key = (lambda r: (r["scenario"], r["rep"])) if found.name == "comparison" else (lambda r: r["rep"])
        p_header, p_rows = _read(folder / "parameters.csv")
        by_key = {key(r): r for r in p_rows}
        aligned = [by_key[key(r)] for r in rows]
        names, columns = _numeric_columns(aligned, [n for n in p_header if n not in ("rep", "scenario")])
        if found.name == "comparison":
            scenarios = found.manifest["comparison"]
            for s in scenarios[1:]:  # the reference is where every indicator is 0
                names.append(f"scenario is {s}")
                columns.append(np.array([float(r["scenario"] == s) for r in rows]))
            label = " vs ".join(scenarios)
        else:
            label = found.manifest["scenario"]["name"]
    x = np.column_stack(columns) if columns else np.empty((len(rows), 0))
    return Sample(folder, label, outcomes, names, x)


def cases_of_interest(results, outcome: str, above=None, below=None, equals=None) -> tuple[np.ndarray, str]:
    """A yes/no array over replications, and the condition in words (``results``: a Sample or Results)."""
    given = [
        flag for flag, v in (("--above", above), ("--below", below), ("--equals", equals)) if v is not None
    ]
    if len(given) > 1:
        raise ResultsError(
            f"give one of --above, --below or --equals, not {' and '.join(given)} "
            "(for a range, discover each side in turn)"
        )
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


def holdout_split(n: int, seed: int = 0) -> np.ndarray:
    """True for the replications that find boxes, False for those that judge them (same n, same split)."""
    order = np.random.default_rng(seed).permutation(n)
    train = np.zeros(n, dtype=bool)
    train[order[: int(round(TRAIN_SHARE * n))]] = True
    return train


def judge(box: Box, inside: np.ndarray, y: np.ndarray, base_rate: float, boxes_judged: int) -> None:
    """Fill in a box's holdout density and its interval, and flag it if no better than chance."""
    from scipy.stats import beta

    n, k = int(inside.sum()), int(y[inside].sum())
    tail = FAMILY_ERROR / max(boxes_judged, 1) / 2
    box.holdout_size = n
    box.holdout_density = k / n if n else math.nan
    box.holdout_low = float(beta.ppf(tail, k, n - k + 1)) if k > 0 else 0.0
    box.holdout_high = float(beta.ppf(1 - tail, k + 1, n - k)) if k < n else 1.0
    box.chance = n == 0 or box.holdout_low <= base_rate


def discover(
    sample: Sample,
    y: np.ndarray,
    condition: str,
    max_depth: int = 3,
    min_coverage: float = 0.5,
    only: list[str] | None = None,
    seed: int = 0,
) -> Discovery:
    """Find boxes with PRIM and a shallow tree on training replications; judge them on the holdout."""
    from sklearn.tree import DecisionTreeClassifier

    keep = [j for j, n in enumerate(sample.names) if not only or n.startswith(tuple(only))]
    keep = [j for j in keep if np.ptp(np.nan_to_num(sample.x[:, j])) > 0]
    names = [sample.names[j] for j in keep]
    x = np.nan_to_num(sample.x[:, keep]) if keep else np.empty((len(y), 0))
    cases = int(y.sum())
    if cases == 0 or cases == len(y):
        raise ResultsError(f"{condition} holds in {cases} of {len(y)} replications: nothing to separate")
    if not names:
        raise ResultsError(
            "no parameter varies between replications" + (f" under {', '.join(only)}" if only else "")
        )
    train = holdout_split(len(y), seed)
    xt, yt, xh, yh = x[train], y[train], x[~train], y[~train]
    if yt.sum() == 0 or yt.sum() == len(yt):
        raise ResultsError(f"{condition}: too few cases ({cases} of {len(y)}) to find and then judge a box")
    base_rate = cases / len(y)
    notes: list[str] = []

    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(3, len(yt) // 40), random_state=0)
    tree.fit(xt, yt)
    t = tree.tree_
    leaf_train, leaf_hold = tree.apply(xt), tree.apply(xh)
    leaves: list[tuple[Box, int]] = []

    def walk(node: int, rules: list[str]) -> None:
        if t.children_left[node] == -1:  # a leaf
            inside = leaf_train == node
            size, hits = int(inside.sum()), int((yt & inside).sum())
            leaves.append(
                (Box(rules, hits / max(int(yt.sum()), 1), hits / size if size else 0.0, size), node)
            )
            return
        name, cut = names[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], [*rules, f"{name} <= {prim.bound(cut)}"])
        walk(t.children_right[node], [*rules, f"{name} > {prim.bound(cut)}"])

    walk(0, [])
    trajectory = prim.peel(xt, yt)
    pasted = prim.paste(xt, yt, prim.choose(trajectory, min_coverage))
    judged = len(leaves) + 1
    for box, node in leaves:
        judge(box, leaf_hold == node, yh, base_rate, judged)
    boxes = sorted((b for b, _ in leaves), key=lambda b: (-b.density, -b.coverage))
    eligible = [b for b in boxes if b.coverage >= min_coverage]
    chosen = eligible[0] if eligible else None
    if chosen is None:
        best = max(b.coverage for b in boxes)
        notes.append(
            f"no tree leaf covers {100 * min_coverage:.0f}% of the cases "
            f"(the best covers {100 * best:.0f}%): a tree splits the cases among its leaves; "
            "lower --min-coverage or --depth, or read PRIM's box"
        )
    prim_box = Box(
        prim.rules(pasted, names), pasted.coverage, pasted.density, int(round(pasted.mass * len(yt)))
    )
    judge(prim_box, pasted.inside(xh), yh, base_rate, judged)
    prim_path = [
        Box(prim.rules(b, names), b.coverage, b.density, int(round(b.mass * len(yt)))) for b in trajectory
    ]
    if prim_box.coverage < min_coverage:
        notes.append(f"PRIM's box covers less than {100 * min_coverage:.0f}% of the cases")
    flagged = [b for b in [prim_box, *boxes] if b.chance and b.rules and b.density > base_rate]
    if flagged:
        notes.append(
            f"{len(flagged)} box(es) no better than chance on the {len(yh)} held-out replications "
            "(their density's interval includes the base rate): candidates, not findings; "
            "run more replications or search fewer parameters (--only)"
        )
    order = np.argsort(-tree.feature_importances_)
    importances = [
        (names[i], float(tree.feature_importances_[i])) for i in order if tree.feature_importances_[i] > 0
    ]
    return Discovery(
        condition, cases, len(y), boxes, chosen, importances, prim_path, prim_box, base_rate, len(yh), notes
    )
