"""Sizes a command accepts: beyond them a request is a typo or a mistake, refused with a clear error.

Chosen so that no sensible study is refused and no mistaken one exhausts the machine:

- ``MAX_REPS``: replications of one run. A baseline replication takes ~0.25 s of a core
  (``benchmarks/README.md``), so a million is about three days on 1 core; beyond, the
  scalar-outcome table held in memory (~1 kB a replication) and the chunk list grow without
  bound (``--reps 1000000000000`` ran out of memory).
- ``MAX_DESIGN_POINTS``: points of a sweep's design (the product of every ``--vary``'s steps,
  or ``--lhs``): ten thousand points of even 10 replications is 100,000 model runs;
  ``--vary P=1:2:1000000000`` tried to allocate 7 GiB.

assumption: round numbers well above any study in the project's docs, not measured limits.
"""

from __future__ import annotations

import os

MAX_REPS = 1_000_000
MAX_DESIGN_POINTS = 10_000


def cores_available() -> int:
    """Cores this process may run on (its CPU affinity where the system says, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
