"""Tables written one finished unit of work at a time: an interrupted run keeps them and resumes.

A sweep's design points and a sensitivity analysis's model runs are appended,
in order, to ``TABLE.part`` beside the table, flushed after each unit, and the
file is renamed over the table when the run stops, finished or interrupted.
Resuming reads the table back, copies it to ``.part`` and appends after its
last row, so a finished table has the same bytes whether or not it was
interrupted on the way. (A Monte Carlo run's rows arrive out of order and its
daily series go to their own files: :class:`sim.results.folder.ResultsWriter`.)
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sim.results.safe_io import fsync_file, writing


class ResumableTable:
    """A CSV table grown a unit of work at a time; ``resume=True`` keeps the rows it already has."""

    def __init__(self, path: Path, resume: bool = False):
        self.path = Path(path)
        self._part = self.path.with_name(self.path.name + ".part")
        self.header: list[str] = []
        self.kept: list[list[str]] = []  # rows already in the table when resumed, as text
        if resume and self.path.is_file():
            with self.path.open(newline="") as fh:
                rows = list(csv.reader(fh))
            if rows:
                self.header, self.kept = rows[0], rows[1:]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.header:
            self._part.write_bytes(self.path.read_bytes())
        self._fh = self._part.open("a" if self.header else "w", newline="")
        self._writer = csv.writer(self._fh)

    def append(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Add one finished unit's rows (the header first, if the table has none yet)."""
        with writing(self._part):
            if not self.header:
                self.header = list(header)
                self._writer.writerow(self.header)
            self._writer.writerows(rows)
            self._fh.flush()

    def close(self) -> None:
        """Put the table in place under its final name, its bytes on the disk first."""
        with writing(self.path):
            fsync_file(self._fh)
            self._fh.close()
            os.replace(self._part, self.path)

    def __enter__(self) -> ResumableTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
