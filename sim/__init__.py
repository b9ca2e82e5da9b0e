"""tradesim: a discrete-event Monte Carlo simulator of the 2025 US-China rare-earth standoff.

The Python API (what the notebooks use)::

    import sim

    run = sim.run("baseline", reps=200, seed=1)   # a RunResult
    run.to_frame()                                # outcomes, one row per replication (dates as dates)
    run.plot("backlog")                           # a matplotlib Figure: the fan chart of a daily series
    run.to_xarray(["backlog"])                    # daily series, replication x date, units as attributes
    sim.compare(["deal_by_deadline", "snap_back"], reps=100, seed=1).summary()

Every experiment (``run``, ``compare``, ``sweep``, ``sensitivity``, ``variance``,
``branches``) returns a result object of one shape: ``.to_frame()``, ``.plot()``,
``.summary()``, and ``.to_xarray()`` where it holds daily series. The names are
imported when first used (PEP 562), so ``import sim`` stays cheap.

Layers (each imports only from the layers below it; a test walks the imports)::

    cli            the ``tradesim`` command: parse, call one library function, render
    api            the Python API's experiments and result objects (re-exported here)
    workshop       the negotiation game, strategies, tournament, forecasts and scoring
    experiments    runs, compare, sweep, sensitivity, variance, branches, discovery, calibration
    plots          charts and the HTML report, drawn from results (never simulates)
    results        the results folder: outcome catalogue, writing, reading, summaries
    model          one replication: SimPy environment and the seven subsystems
    scenario       schema, distributions, loading with inheritance, sampling, sources
    core           domain vocabulary, calendar clock, random streams, compiled kernels

``experiments`` and ``plots`` are peers, and so are ``results`` and ``model``:
neither of a pair imports the other. There are no import circles.

Data flows one way: scenario file -> validated scenario (:mod:`sim.scenario.schema`)
-> parameter draws per replication (:mod:`sim.scenario.sampling`) -> model
(:mod:`sim.model.replication`, one SimPy environment and the subsystem modules sharing
:class:`sim.model.state.ModelState`) -> results folder (:mod:`sim.results`) -> plots
and reports (:mod:`sim.plots`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim.core.version import __version__

#: Public name -> the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    # scenarios
    "load": "sim.api.experiments",
    "list_scenarios": "sim.api.experiments",
    "uncertain_parameters": "sim.api.experiments",
    "ScenarioError": "sim.scenario.loader",
    # experiments, each returning a result object
    "run": "sim.api.experiments",
    "resume": "sim.api.experiments",
    "compare": "sim.api.experiments",
    "sweep": "sim.api.experiments",
    "sensitivity": "sim.api.experiments",
    "variance": "sim.api.experiments",
    "branches": "sim.api.experiments",
    "replicate": "sim.api.experiments",
    "open_results": "sim.api.experiments",
    # the result objects
    "RunResult": "sim.api.results",
    "ComparisonResult": "sim.api.results",
    "SweepResult": "sim.api.analyses",
    "SensitivityAnalysis": "sim.api.analyses",
    "VarianceResult": "sim.api.analyses",
    "BranchesResult": "sim.api.results",
    "Replication": "sim.api.results",
    # the negotiation game
    "Game": "sim.workshop.game",
    "play": "sim.workshop.game",
    "make_strategy": "sim.workshop.strategies",
    "format_moves": "sim.workshop.moves",
    "status_lines": "sim.workshop.view",
    "record_of": "sim.workshop.records",
    "replay_game": "sim.workshop.records",
    "changed_record": "sim.workshop.records",
    "replay_with_reactions": "sim.workshop.records",
    "differences": "sim.workshop.records",
    "game_history_chart": "sim.workshop.charts",
    "key_dates": "sim.experiments.run",
    "run_tournament": "sim.workshop.tournament",
    "tournament_figure": "sim.workshop.tournament",
    # predict, then reveal
    "append_forecast": "sim.workshop.forecast",
    "read_forecasts": "sim.workshop.forecast",
    "score_forecasts": "sim.workshop.forecast",
    "forecast_figure": "sim.workshop.forecast_charts",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later uses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # editors and type checkers see the names without importing them at run time
    from sim.api.analyses import SensitivityAnalysis, SweepResult, VarianceResult
    from sim.api.experiments import (
        branches,
        compare,
        list_scenarios,
        load,
        open_results,
        replicate,
        resume,
        run,
        sensitivity,
        sweep,
        uncertain_parameters,
        variance,
    )
    from sim.api.results import BranchesResult, ComparisonResult, Replication, RunResult
    from sim.experiments.run import key_dates
    from sim.scenario.loader import ScenarioError
    from sim.workshop.charts import game_history_chart
    from sim.workshop.forecast import append_forecast, read_forecasts, score_forecasts
    from sim.workshop.forecast_charts import forecast_figure
    from sim.workshop.game import Game, play
    from sim.workshop.moves import format_moves
    from sim.workshop.records import (
        changed_record,
        differences,
        record_of,
        replay_game,
        replay_with_reactions,
    )
    from sim.workshop.strategies import make_strategy
    from sim.workshop.tournament import run_tournament, tournament_figure
    from sim.workshop.view import status_lines
