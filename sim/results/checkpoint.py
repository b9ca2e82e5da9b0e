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
import datetime as dt
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sim.results.safe_io import fsync_file, writing


class ResumableTable:
    """A CSV table grown a unit of work at a time; ``resume=True`` keeps the rows it already has.

    Resuming keeps the table's whole, well-formed rows up to the first that is not (a file
    cut short, a byte flipped, text where a number was): the rest is simulated again, so a
    damaged table is repaired, never glued onto. The table itself is only replaced when the
    run closes it: a run refused before it adds a row (:meth:`close` with ``failed``) leaves
    the file exactly as it was.
    """

    def __init__(self, path: Path, resume: bool = False):
        self.path = Path(path)
        self._part = self.path.with_name(self.path.name + ".part")
        self.header: list[str] = []
        self.kept: list[list[str]] = []  # rows already in the table when resumed, as text
        self._added = 0  # rows appended by this run
        if resume and self.path.is_file():
            with writing(self.path):
                self.header, self.kept = whole_rows(self.path.read_bytes())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with writing(self._part):
            self._fh = self._part.open("w", newline="")
            self._writer = csv.writer(self._fh)
            self._rewrite()

    def _rewrite(self) -> None:
        """Start the ``.part`` file again from the header and the rows kept."""
        self._fh.seek(0)
        self._fh.truncate()
        if self.header:
            self._writer.writerow(self.header)
            self._writer.writerows(self.kept)
        self._fh.flush()

    def keep_first(self, n: int) -> None:
        """Keep only the first ``n`` rows of those resumed (the rest are run again)."""
        if n < len(self.kept):
            self.kept = self.kept[:n]
            with writing(self._part):
                self._rewrite()

    def append(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Add one finished unit's rows (the header first, if the table has none yet)."""
        with writing(self._part):
            if not self.header:
                self.header = list(header)
                self._writer.writerow(self.header)
            rows = list(rows)
            self._writer.writerows(rows)
            self._fh.flush()
            self._added += len(rows)

    def close(self, failed: bool = False) -> None:
        """Put the table in place under its final name, its bytes on the disk first.

        ``failed`` (the run stopped on an error): when it added no row, the table is left as
        it was and the ``.part`` file removed, so a refused resume changes nothing.
        """
        if failed and not self._added:
            self._fh.close()
            self._part.unlink(missing_ok=True)
            return
        with writing(self.path):
            fsync_file(self._fh)
            self._fh.close()
            os.replace(self._part, self.path)

    def __enter__(self) -> ResumableTable:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.close(failed=exc_type is not None)


def whole_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    """A table's header and its leading whole, well-formed rows; ``([], [])`` if the header is damaged.

    A row counts when it ends with a line break, has as many cells as the header, a whole
    number first (the run or design point) and, in every other cell, what a writer writes: a
    number, an ISO date or nothing. Reading stops at the first row that does not.
    """
    text = data.decode("utf-8", errors="replace")
    text = text[: text.rfind("\n") + 1]  # a last line without its line break was cut short
    lines = list(csv.reader(text.splitlines(keepends=True)))
    if not lines or not lines[0] or any("\ufffd" in h or not h for h in lines[0]):
        return [], []
    header, rows = lines[0], []
    for row in lines[1:]:
        if len(row) != len(header) or not row[0].isdigit() or not all(map(written_cell, row[1:])):
            break
        rows.append(row)
    return header, rows


def written_cell(cell: str) -> bool:
    """Whether a table cell could have been written by tradesim: a number, an ISO date or nothing."""
    if cell == "":
        return True
    try:
        float(cell)
    except ValueError:
        try:
            dt.date.fromisoformat(cell)
        except ValueError:
            return False
    return True
