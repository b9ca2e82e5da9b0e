"""The export-licence applications of one replication, held as columns of numbers.

A replication files tens of thousands of applications. Each one is a row in
these growable numpy columns, never a Python object or a SimPy process (one
process per application costs over ten times more; see ``benchmarks/``): the
review engine in :mod:`sim.model.licensing.review` moves row indices
through queues and fills in start, finish and decision times in bulk.

Each file is for one export contract, which ships on a fixed cadence (DESIGN.md
subsystem 2). A licence covers the contract for ``cover`` days of its schedule,
starting when the contract's earlier licence (or its pre-rule clearance) runs
out, ``prev_end``, or at the decision if that is later: a renewal continues
the same contract and so adds no tonnage, and an early renewal waits for the
licence it continues. New contracts and renewals cover a full licence term;
a contract caught by the rule covers what was left of its current term.
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
    # --- the contract a file is for (see the module docstring)
    "contract": (np.int64, -1),  # row of the contract's first file (a renewal's is its licence's)
    "cover": (np.float64, np.nan),  # days of the contract's schedule a licence on this file covers
    "prev_end": (np.float64, np.nan),  # day the contract is licensed (or cleared) through when filed
    "valid_to": (np.float64, np.nan),  # day an approved licence ends: max(decided, prev_end) + cover
    "next_licence": (np.int64, -1),  # next US licence decided on the same day (a linked list)
}


class ApplicationTable:
    """Growable columns, one row per application, in filing order of creation.

    Rows past ``size`` are unwritten memory: whoever files a row writes every
    column of it (the compiled day in :mod:`sim.model.licensing.review` writes the fill value
    of each column a decision fills in later). Filling a hundred thousand rows
    ahead with NaN would cost more than the filing itself.
    """

    def __init__(self, capacity: int = 4096):
        self.size = 0
        self._cols = {name: np.empty(capacity, dtype=dtype) for name, (dtype, _) in _COLUMNS.items()}

    def __len__(self) -> int:
        return self.size

    def __deepcopy__(self, memo: dict) -> ApplicationTable:
        """A copy of the filed rows, with room for as many rows as this (a fork of the model).

        Rows past ``size`` are unwritten memory here too, so only the filed ones are copied:
        at a fork in the summer that is about half of what ``copy.deepcopy`` would move.
        """
        twin = ApplicationTable.__new__(ApplicationTable)
        memo[id(self)] = twin
        twin.size = self.size
        twin._cols = {}
        for name, column in self._cols.items():
            twin._cols[name] = np.empty_like(column)
            twin._cols[name][: self.size] = column[: self.size]
        return twin

    def column(self, name: str) -> np.ndarray:
        """The filled part of a column (a view: writes go to the table)."""
        return self._cols[name][: self.size]

    def columns(self, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        """The whole backing arrays of several columns, for compiled code that fills rows in."""
        return tuple(self._cols[name] for name in names)

    def raw(self, name: str) -> np.ndarray:
        """The whole backing array of a column, for fancy-index writes by row number."""
        return self._cols[name]

    def reserve(self, need: int) -> None:
        """Grow every column (at least doubling) to hold ``need`` rows."""
        if need <= len(self._cols["filed"]):
            return
        new_cap = max(need, 2 * len(self._cols["filed"]))
        for name, (dtype, _) in _COLUMNS.items():
            grown = np.empty(new_cap, dtype=dtype)
            grown[: self.size] = self._cols[name][: self.size]
            self._cols[name] = grown
