"""tradesim: a discrete-event Monte Carlo simulator of the 2025 US-China rare-earth standoff.

Layers (each imports only from the layers below it; a test walks the imports)::

    cli            the ``tradesim`` command: parse, call one library function, render
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

from sim.core.version import __version__

__all__ = ["__version__"]
