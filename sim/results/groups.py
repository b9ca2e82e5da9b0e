"""Reading the folders that group runs: a comparison (one run per scenario) and a branches folder
(one run per branch of a fork, with the model's own odds of each branch).

Plots, reports and the branch experiments read them from here, so a folder moved or copied
elsewhere still opens: a member is looked for beside the manifest first.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.results.folder import Results, ResultsError, read_results
from sim.results.kinds import expect

#: Each replication's date of the fork and the model's probability of each branch.
WEIGHTS_FILE = "branch_probabilities.csv"


def read_comparison(folder: Path) -> dict[str, Results]:
    """A comparison folder's scenarios, reference first: name -> its results."""
    found = expect(folder, "compare", "comparison")
    return {name: read_results(path) for name, path in found.members().items()}


@dataclass
class Branches:
    """A branches folder read back."""

    folder: Path
    manifest: dict
    results: dict[str, Results]  # branch -> its results folder
    reps: np.ndarray  # replications, in the order of ``probability``'s rows
    probability: dict[str, np.ndarray]  # branch -> the model's chance of it, per replication
    fork_dates: np.ndarray  # datetime64[D], per replication

    def odds(self) -> dict[str, float]:
        """The model's own chance of each branch: its probability at the fork, averaged over replications."""
        return {b: float(p.mean()) if p.size else float("nan") for b, p in self.probability.items()}


def read_branches(folder: Path, command: str = "reweight") -> Branches:
    """Open a folder written by ``tradesim branches`` (:class:`ResultsError` if it is another kind)."""
    found = expect(folder, command, "branches")
    path = found.folder / WEIGHTS_FILE
    if not path.is_file():
        raise ResultsError(f"{found.folder}: a branches folder without its {WEIGHTS_FILE}")
    try:  # a damaged table (cut short, binary, text in a cell) is one line naming it
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        branches = found.manifest["branches"]
        reps = np.array([int(r["rep"]) for r in rows])
        probability = {b: np.array([float(r[b]) for r in rows]) for b in branches}
        dates = np.array([np.datetime64(r["fork_date"]) for r in rows], dtype="datetime64[D]")
    except (ValueError, TypeError, KeyError) as exc:  # a short row's missing cells are None
        raise ResultsError(
            f"{path}: damaged ({type(exc).__name__}: {str(exc)[:120]}); run `tradesim branches` again"
        ) from None
    results = {b: read_results(p) for b, p in found.members().items()}
    return Branches(found.folder, found.manifest, results, reps, probability, dates)
