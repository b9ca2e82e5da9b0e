"""The export-licence applications of one replication, held as columns of numbers.

A replication files tens of thousands of applications. Each one is a row in
these growable numpy columns, never a Python object or a SimPy process (see
PERFORMANCE.md): the review engine in :mod:`sim.licensing` moves row indices
through queues and fills in start, finish and decision times in bulk.
"""

from __future__ import annotations

import numpy as np

#: How an application came about.
KIND_NEW, KIND_RENEWAL, KIND_REAPPLICATION, KIND_BACKLOG = 0, 1, 2, 3
KINDS = ("new", "renewal", "reapplication", "initial_backlog")

_COLUMNS: dict[str, tuple[type, float]] = {
    "filed": (np.float64, np.nan),  # day (fractional) the application was filed
    "sector": (np.int8, -1),  # index into domain.SECTORS
    "destination": (np.int8, -1),  # index into domain.DESTINATIONS
    "lane": (np.int8, -1),  # index into domain.LANES
    "kind": (np.int8, -1),  # KIND_*
    "started": (np.float64, np.nan),  # day a reviewer took it up
    "finished": (np.float64, np.nan),  # day the reviewer finished with it
    "decided": (np.float64, np.nan),  # day the decision was issued
    "approved": (np.int8, -1),  # 1 approved, 0 rejected, -1 not decided yet
}


class ApplicationTable:
    """Growable columns, one row per application, in filing order of creation."""

    def __init__(self, capacity: int = 4096):
        self.size = 0
        self._cols = {name: np.full(capacity, fill, dtype=dtype) for name, (dtype, fill) in _COLUMNS.items()}

    def __len__(self) -> int:
        return self.size

    def column(self, name: str) -> np.ndarray:
        """The filled part of a column (a view: writes go to the table)."""
        return self._cols[name][: self.size]

    def raw(self, name: str) -> np.ndarray:
        """The whole backing array of a column, for fancy-index writes by row number."""
        return self._cols[name]

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Append rows given as equal-length arrays; return their row numbers."""
        n = len(next(iter(columns.values())))
        need = self.size + n
        if need > len(self._cols["filed"]):
            new_cap = max(need, 2 * len(self._cols["filed"]))
            for name, (dtype, fill) in _COLUMNS.items():
                grown = np.full(new_cap, fill, dtype=dtype)
                grown[: self.size] = self._cols[name][: self.size]
                self._cols[name] = grown
        rows = np.arange(self.size, need)
        for name, values in columns.items():
            self._cols[name][self.size : need] = values
        self.size = need
        return rows
