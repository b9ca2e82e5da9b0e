"""One replication of the standoff: a SimPy environment and the seven subsystems it drives.

:mod:`sim.model.replication` builds and runs a replication; each subsystem is a
module named as the design names it (licensing, supply, industry, market,
tariffs, negotiation, macro), and :mod:`sim.model.state` is the state they share.
"""
