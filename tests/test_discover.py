"""Scenario discovery's known answers: a box planted among noise is found; noise yields no finding.

The data are made, not simulated: the outcome happens exactly inside a box of two parameters
(``p4 > 0.6`` and ``p11 < 0.5``) among 30 uniform parameters, so the right answer is known
before searching. On pure noise (the outcome drawn independently of every parameter) every box
a search proposes must be flagged as no better than chance on the held-out replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.experiments import prim
from sim.experiments.discover import Sample, discover

N, P = 600, 30


def _planted(seed: int = 3) -> tuple[Sample, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (N, P))
    y = (x[:, 4] > 0.6) & (x[:, 11] < 0.5)
    return Sample(Path("."), "toy", {}, [f"p{j}" for j in range(P)], x), y


def _bounds(rules: list[str]) -> dict[str, float]:
    """``{"p4 >": 0.6, "p11 <": 0.5}`` from rules such as ``p4 >= 0.601`` or ``p11 <= 0.49``."""
    out = {}
    for rule in rules:
        name, op, value = rule.split()
        out[f"{name} {op[0]}"] = float(value)
    return out


def test_prim_finds_the_planted_box_and_it_holds_on_held_out_runs():
    sample, y = _planted()
    found = discover(sample, y, "planted", max_depth=2, min_coverage=0.8)
    bounds = _bounds(found.prim.rules)
    assert set(bounds) == {"p4 >", "p11 <"}  # only the two parameters that matter
    assert bounds["p4 >"] == pytest.approx(0.6, abs=0.05)
    assert bounds["p11 <"] == pytest.approx(0.5, abs=0.05)
    assert found.prim.coverage >= 0.8 and found.prim.holdout_density > 0.85
    assert not found.prim.chance


def test_tree_finds_the_planted_box_too():
    sample, y = _planted()
    found = discover(sample, y, "planted", max_depth=2, min_coverage=0.8)
    assert found.chosen is not None
    bounds = _bounds(found.chosen.rules)
    assert set(bounds) == {"p4 >", "p11 <"}
    assert bounds["p4 >"] == pytest.approx(0.6, abs=0.05)
    assert bounds["p11 <"] == pytest.approx(0.5, abs=0.05)
    assert found.chosen.holdout_density > 0.85 and not found.chosen.chance
    assert not found.notes  # nothing to warn about


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_on_pure_noise_every_box_is_flagged_as_no_better_than_chance(seed):
    sample, _ = _planted(seed)
    y = np.random.default_rng(100 + seed).uniform(0, 1, N) < 0.3
    found = discover(sample, y, "noise", max_depth=3, min_coverage=0.5)
    for box in [found.prim, *found.boxes]:
        assert box.chance, box
    assert any("no better than chance" in note for note in found.notes)


def test_min_coverage_is_honoured_or_the_discovery_says_why_not():
    sample, y = _planted()
    found = discover(sample, y, "planted", max_depth=2, min_coverage=0.5)
    assert found.prim.coverage >= 0.5
    # A tree of depth 3 splits the cases among leaves: none covers all of them.
    strict = discover(sample, y, "planted", max_depth=3, min_coverage=1.0)
    if strict.chosen is None:
        assert any("no tree leaf covers 100%" in note for note in strict.notes)
    else:
        assert strict.chosen.coverage >= 1.0
    assert min(b.coverage for b in strict.prim_trajectory) < 1.0  # the trade-off is traced


def test_peeling_raises_density_and_lowers_coverage_step_by_step():
    sample, y = _planted()
    path = prim.peel(sample.x, y)
    assert path[0].coverage == 1.0 and path[0].density == pytest.approx(y.mean())
    coverages = [b.coverage for b in path]
    assert coverages == sorted(coverages, reverse=True)
    assert max(b.density for b in path) == 1.0


def test_pasting_widens_an_overshot_box_back_to_the_true_bound():
    sample, y = _planted()
    lower, upper = np.full(P, -np.inf), np.full(P, np.inf)
    lower[4], upper[11] = 0.8, 0.3  # tighter than the true box: every run inside is a case
    tight = prim._box(sample.x, y, lower, upper)
    pasted = prim.paste(sample.x, y, tight)
    assert pasted.density == 1.0 and pasted.coverage > tight.coverage
    assert pasted.lower[4] == pytest.approx(0.6, abs=0.03)
    assert pasted.upper[11] == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize(
    ("value", "text"),
    [(22_800.4, "22800"), (0.009123, "0.009123"), (1.0, "1"), (-2.5, "-2.5"), (1.234e8, "123400000")],
)
def test_a_box_bound_reads_as_a_plain_number_never_in_e_notation(value, text):
    from sim.experiments.prim import bound

    assert bound(value) == text
