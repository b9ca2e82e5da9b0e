"""Scenarios as data: the schema, parameter distributions, loading with inheritance, sampling, sources.

A scenario file is validated once at load (:mod:`sim.scenario.loader` against
:mod:`sim.scenario.schema`); each replication then draws one parameter set
(:mod:`sim.scenario.sampling`). Every parameter cites a figure of the sources
registry (:mod:`sim.scenario.sources`) or says it is an assumption.
"""
