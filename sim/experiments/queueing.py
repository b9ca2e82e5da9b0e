"""Queueing theory the licence review must agree with.

Configured as M/M/c (constant policy, Poisson filings, exponential review,
``c`` reviewers, no statutory minimum, one lane), the licence queue is a
textbook queue whose mean wait for a reviewer is given by the Erlang C
formula. The tests and ``benchmarks/`` build that configuration here, through
the real scenario schema and the real model, not a copy of the queue.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from sim.model.replication import simulate
from sim.scenario.schema import Scenario


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of an M/M/c queue (same time unit as the rates)."""
    a = arrival_rate / service_rate  # offered load
    rho = a / servers
    if rho >= 1:
        raise ValueError(f"utilisation (={rho:.3f}) must be < 1 for a steady state")
    head = sum(a**k / math.factorial(k) for k in range(servers))
    tail = a**servers / (math.factorial(servers) * (1 - rho))
    p_wait = tail / (head + tail)
    return p_wait / (servers * service_rate - arrival_rate)


def mmc_scenario(arrivals_per_day: float, reviewers: int, mean_review_days: float, days: int) -> Scenario:
    """The licensing model set up as a plain M/M/c queue over ``days`` days."""
    start = dt.date(2025, 1, 1)
    p = {"value": 0.0, "source": "assumption: M/M/c validation"}
    shares = {"auto": 1.0, "electronics_industrial": 0.0, "aerospace": 0.0, "defence": 0.0}
    return Scenario.model_validate(
        {
            "name": "mmc",
            "description": f"M/M/{reviewers} validation queue",
            "calendar": {
                "start": start,
                "end": start + dt.timedelta(days=days - 1),
                "truce_deadline": start,
            },
            "licensing": {
                "controls_start": start,
                "initial_backlog": 0,
                "arrivals_per_day": arrivals_per_day,
                "licence_term_days": 182,
                "renewal_probability": p,
                "renewal_lead_days": 0,
                "reapply_probability": p,
                "reapply_delay_days": 0,
                "trusted_firm_share": p,
                "sector_share": shares,
                "destination_share": {"us": 0.0, "eu": 0.0, "other": 1.0},
                "military_share": {k: 0.0 for k in shares},
                "review": {
                    "review_capacity_per_day": reviewers / mean_review_days,
                    "mean_review_days": mean_review_days,
                    "min_review_days": 0,
                    "approval_probability": {k: 0.5 for k in shares},
                    "fast_track": False,
                    "fast_track_min_review_days": 0,
                    "fast_track_approval_probability": 0.5,
                    "green_channel": False,
                    "green_channel_min_review_days": 0,
                    "europe_first": False,
                    "military_handling": "hold",
                    "military_approval_probability": 0.0,
                },
            },
        }
    )


def simulate_queue_waits(scenario: Scenario, master_seed: int, rep: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Run one replication; return filing days and days waited for a reviewer (started files)."""
    model, _ = simulate(scenario, master_seed, rep)
    apps = model.licensing.apps
    started = apps.column("started")
    ok = ~np.isnan(started)
    return apps.column("filed")[ok], started[ok] - apps.column("filed")[ok]
