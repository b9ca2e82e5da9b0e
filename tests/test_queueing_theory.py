"""The licence queue alone, configured as M/M/c, agrees with Erlang C."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.queueing import erlang_c_wait, mmc_scenario, simulate_queue_waits


def test_erlang_c_formula_matches_known_values():
    # M/M/1: Wq = rho / (mu - lambda); M/M/2 with a = 1: P(wait) = 1/3, Wq = 1/3
    assert erlang_c_wait(0.5, 1.0, 1) == pytest.approx(1.0)
    assert erlang_c_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        erlang_c_wait(2.0, 1.0, 2)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arrivals_per_day", "reviewers", "mean_review_days", "days"),
    [
        (50.0, 10, 0.1, 500),  # utilisation 0.5
        (900.0, 100, 0.1, 60),  # utilisation 0.9
        (45.0, 5, 0.1, 400),  # utilisation 0.9, few reviewers, many days
    ],
)
def test_mean_wait_matches_erlang_c(arrivals_per_day, reviewers, mean_review_days, days):
    scenario = mmc_scenario(arrivals_per_day, reviewers, mean_review_days, days)
    warm_up = days * 0.1
    means = []
    for rep in range(12):
        filed, waits = simulate_queue_waits(scenario, master_seed=2025, rep=rep)
        means.append(waits[filed > warm_up].mean())
    means = np.array(means)
    half_width = 3 * means.std(ddof=1) / np.sqrt(len(means))
    theory = erlang_c_wait(arrivals_per_day, 1 / mean_review_days, reviewers)
    assert abs(means.mean() - theory) <= half_width, (means.mean(), theory, half_width)


def test_queue_without_reviewers_decides_nothing():
    scenario = mmc_scenario(100.0, 0, 0.1, 20)
    filed, _ = simulate_queue_waits(scenario, master_seed=1)
    assert filed.size == 0
