"""A stand-in for the model, to time the run machinery at 100,000 replications in minutes.

Imported into a process (or preloaded into Dask workers with ``dask worker --preload
benchmarks/stored_model.py``), it replaces ``sim.experiments.run.run_replication`` by one real
replication of the scenario, computed once per process, handed out under every replication
number with its daily series scaled by a factor that depends only on the replication number
(so daily quantiles sort real-looking, distinct numbers). Everything else is the real run:
chunks, packing and compressing the series on the workers, the writer, the quantile reduction.
The results depend only on the scenario, seed and replication number, as the model's do, so
two engines must write the same bytes.
"""

from __future__ import annotations

from dataclasses import replace

import sim.experiments.run as experiment
from sim.core.replication_result import ReplicationResult
from sim.model.replication import run_replication
from sim.results.series_store import CATEGORICAL_CODES

_STORED: dict[int, ReplicationResult] = {}


def stored_replication(spec, master_seed: int, rep: int) -> ReplicationResult:
    """Replication 0 of ``spec``, simulated once here, as replication ``rep`` (series scaled)."""
    if master_seed not in _STORED:
        _STORED[master_seed] = run_replication(spec, master_seed, 0)
    stored = _STORED[master_seed]
    factor = 1.0 + ((rep * 7919) % 1000) / 1000.0  # 1 to 2, a different value for nearby reps
    series = {
        name: values if name in CATEGORICAL_CODES else values * factor  # codes stay codes
        for name, values in stored.series.items()
    }
    return replace(stored, rep=rep, series=series)


experiment.run_replication = stored_replication
