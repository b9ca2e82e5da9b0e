"""What one replication hands on: its drawn parameters, scalar outcomes and daily series.

Defined below both the model, which produces it, and the results layer, which
writes it, so that neither needs the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class ReplicationResult:
    """Everything one replication produced."""

    rep: int
    parameters: dict[str, Any]  # dotted path -> drawn value
    outcomes: dict[str, float]  # name -> value (dates as day numbers)
    series: dict[str, np.ndarray]  # name -> one value per simulated day
