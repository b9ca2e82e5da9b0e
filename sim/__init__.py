"""tradesim: a discrete-event Monte Carlo simulator of the 2025 US-China rare-earth standoff.

Data flows one way: scenario file -> validated scenario (:mod:`sim.scenario`) ->
parameter draws per replication (:mod:`sim.sampling`) -> model (:mod:`sim.model`,
one SimPy environment and the subsystem modules sharing :class:`sim.state.ModelState`)
-> results folder (:mod:`sim.results`) -> plots and reports (:mod:`sim.plots`).
"""

__version__ = "0.1.0"
