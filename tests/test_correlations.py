"""Rank correlations between uncertain parameters, honoured by sampling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from sim.core.streams import Streams
from sim.scenario.loader import ScenarioError, load_scenario
from sim.scenario.sampling import draw_flat

A = "licensing.review.review_capacity_per_day"
B = "market.price_pressure_per_day"
C = "licensing.initial_backlog"


def _with(write_scenario, body: str):
    path = write_scenario("corr", f'extends = "baseline"\ndescription = "correlated"\n{body}')
    return load_scenario(path).spec


@pytest.mark.parametrize("rank", [-0.6, 0.3, 0.8])
def test_achieved_rank_correlation_matches_the_scenario(write_scenario, rank):
    spec = _with(
        write_scenario,
        f'[[correlations]]\nbetween = ["{A}", "{B}"]\nrank = {rank}\nsource = "what-if: test"\n',
    )
    draws = [draw_flat(spec, Streams(5, rep)) for rep in range(1500)]
    a = np.array([d[A] for d in draws])
    b = np.array([d[B] for d in draws])
    rho = spearmanr(a, b).statistic
    assert abs(rho - rank) < 0.06, rho
    # each parameter keeps its own distribution: uniform(2, 15) stays inside its bounds and fills them
    assert a.min() >= 2 and a.max() <= 15 and a.max() - a.min() > 12
    # the first parameter (in name order) keeps exactly its uncorrelated draw: common random numbers hold
    base = load_scenario("baseline").spec
    plain = [draw_flat(base, Streams(5, rep)) for rep in range(20)]
    first = min(A, B)
    assert [d[first] for d in draws[:20]] == [d[first] for d in plain]
    # a parameter outside the correlation is untouched
    assert [d[C] for d in draws[:20]] == [d[C] for d in plain]


def test_correlations_that_cannot_hold_together_are_refused(write_scenario):
    body = (
        f'[[correlations]]\nbetween = ["{A}", "{B}"]\nrank = 0.95\nsource = "what-if: x"\n'
        f'[[correlations]]\nbetween = ["{B}", "{C}"]\nrank = 0.95\nsource = "what-if: x"\n'
        f'[[correlations]]\nbetween = ["{A}", "{C}"]\nrank = -0.95\nsource = "what-if: x"\n'
    )
    with pytest.raises(ScenarioError) as info:
        _with(write_scenario, body)
    assert "not positive definite" in str(info.value)


def test_a_correlation_needs_uncertain_parameters(write_scenario):
    body = (
        f'[[correlations]]\nbetween = ["licensing.licence_term_days", "{A}"]\n'
        'rank = 0.5\nsource = "what-if: x"\n'
    )
    with pytest.raises(ScenarioError) as info:
        _with(write_scenario, body)
    assert "licensing.licence_term_days" in str(info.value) and "not an uncertain parameter" in str(
        info.value
    )
