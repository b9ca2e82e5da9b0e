"""Scenarios as data: the schema, parameter distributions, loading with inheritance, sampling, sources.

A scenario file is validated once at load (:mod:`sim.scenario.loader` against
:mod:`sim.scenario.schema`); each replication then draws one parameter set
(:mod:`sim.scenario.sampling`), which the model reads as typed, frozen classes
generated from the schema (:mod:`sim.scenario.params`, written by
:mod:`sim.scenario.typed_params`). Every parameter cites a figure of the sources
registry (:mod:`sim.scenario.sources`) or says it is an assumption.
"""
