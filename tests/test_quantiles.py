"""Exact quantiles by counting (sim.core.quantiles) against numpy's, to the bit."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.quantiles import quantiles

LEVELS = (0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 1.0, 1 / 3)


@pytest.mark.parametrize("n", [*range(1, 12), 100, 4095, 4097, 50_000])
def test_equal_to_numpys_quantile_for_every_size(n):
    rng = np.random.default_rng(n)
    for values in (
        rng.random(n),
        rng.lognormal(3.0, 1.5, n),  # skewed: most values in a few bins
        np.round(rng.random(n) * 7.0),  # heavy ties
        np.concatenate([np.full(n - 1, 2.5), [1e9]])[:n],  # one outlier: every other value in one bin
        -rng.exponential(5.0, n),
    ):
        assert quantiles(values, LEVELS) == np.quantile(values, LEVELS).tolist()


def test_constant_and_empty_samples():
    assert quantiles(np.full(10, 4.25), (0.5, 0.9)) == [4.25, 4.25]
    assert all(np.isnan(quantiles(np.empty(0), (0.5, 0.9))))
