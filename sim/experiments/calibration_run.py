"""Running what the calibration targets need: each target's scenario, at a fixed seed, then the check.

:mod:`sim.experiments.calibration` defines the targets and evaluates them on results;
this module runs the scenarios (``tradesim calibrate``, or a notebook) and hands
the results to it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.experiments.calibration import CalibrationRow, GdpChannelRow, evaluate, gdp_by_channel, load_targets
from sim.experiments.run import run_experiment
from sim.results.folder import read_results
from sim.scenario.loader import load_scenario


def calibration_scenarios(only: Sequence[str] | None = None) -> list[str]:
    """The scenarios the targets are checked on (all, or ``only`` those; ``ValueError`` for others)."""
    wanted = sorted({t.scenario for t in load_targets().values()})
    if only:
        unknown = [s for s in only if s not in wanted]
        if unknown:
            raise ValueError(
                f"no calibration targets for {', '.join(unknown)} (targets cover: {', '.join(wanted)})"
            )
        wanted = [s for s in wanted if s in only]
    return wanted


@dataclass
class Calibration:
    """The calibration table's rows (one per target) and the GDP-by-channel table's rows."""

    targets: list[CalibrationRow]
    gdp_channels: list[GdpChannelRow]


def run_calibration(
    scenarios: Sequence[str],
    reps: int,
    seed: int,
    folder: Path | None = None,
    workers: int | None = None,
    progress: Callable[[str, int], None] | None = None,
    dask: str | None = None,
) -> Calibration:
    """Run each scenario (into ``folder/NAME``, or a temporary folder) and evaluate every target.

    Returns the rows of :func:`sim.experiments.calibration.evaluate` and of
    :func:`sim.experiments.calibration.gdp_by_channel`. Raises
    :class:`sim.scenario.loader.ScenarioError` for a scenario that does not load.
    """
    targets = load_targets()
    with tempfile.TemporaryDirectory(prefix="tradesim-calibrate-") as tmp:
        base = Path(folder) if folder is not None else Path(tmp)
        results = {}
        for name in scenarios:
            tick = (lambda k, n=name: progress(n, k)) if progress else None
            run_experiment(load_scenario(name), reps, seed, base / name, workers, tick, dask=dask)
            results[name] = read_results(base / name)
        return Calibration(evaluate(targets, results), gdp_by_channel(results))
