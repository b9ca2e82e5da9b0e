"""Daily series on disk: every replication's paths in chunk files, or only their daily quantiles.

A run of 1,000 replications has ~56 daily series of 274 days each: ~15 million
numbers, far more than its scalar-outcome table. They are never held whole in
memory. Workers pack each finished chunk of replications into one compressed
``.npz`` file (float32, one array of shape (replications, days) per series,
plus ``rep``); the main process writes that file atomically and forgets it.

Layout, under ``FOLDER/series/``::

    reps-0000000-0000024.npz   one chunk: ``rep`` and one (reps x days) array per series
    quantiles.npz              ``levels``, ``n``, ``NAME`` (levels x days) and, for
                               categorical series, ``NAME.shares`` (codes x days)

What a run keeps (``SeriesKept``):

- ``all``: every chunk file: fan charts, single paths (``plot --paths``), calibration.
- ``quantiles``: chunk files while the run goes (so Ctrl-C keeps them and
  ``--resume`` can finish), reduced to ``quantiles.npz`` when the run is
  complete: enough for fan charts and the negotiation-state chart, a few
  hundred KB whatever the number of replications.
- ``none``: no daily series at all; outcomes and parameters only.

float32 keeps counts exact up to 16.7 million and other values to ~7 digits,
more than the 4 decimals the earlier CSV kept.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np

from sim.core.domain import DEADLINE_OUTCOMES
from sim.results import safe_io

#: What reading a damaged ``.npz`` chunk raises (an empty, cut or overwritten file).
_DAMAGED = (EOFError, ValueError, OSError, KeyError, zipfile.BadZipFile, zlib.error)


@contextmanager
def _chunk(path) -> Iterator:
    """``np.load`` of a series chunk; a damaged chunk is a :class:`ResultsError` naming it.

    (An empty file makes numpy raise ``EOFError``, which the command line would otherwise
    take for the end of input and abort on.)
    """
    try:
        data = np.load(path)
    except _DAMAGED as exc:
        raise safe_io.ResultsError(
            f"{path}: not a readable series chunk ({type(exc).__name__}); the folder was damaged: "
            "delete the chunk and finish it with `tradesim run --resume`"
        ) from None
    with data:
        try:
            yield data
        except _DAMAGED as exc:
            raise safe_io.ResultsError(
                f"{path}: a series chunk that cannot be read whole ({type(exc).__name__}: {str(exc)[:80]})"
            ) from None


SeriesKept = Literal["all", "quantiles", "none"]
SERIES_KEPT: tuple[str, ...] = ("all", "quantiles", "none")

#: Daily quantiles kept by ``--series quantiles`` (fan charts draw 5-25-50-75-95).
QUANTILE_LEVELS: tuple[float, ...] = (0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99)

#: Series whose values are codes, not amounts: kept as the share of replications per code
#: (negotiation_state: 0 while the truce holds, then 1 + the index of the deadline outcome).
CATEGORICAL_CODES: dict[str, int] = {"negotiation_state": 1 + len(DEADLINE_OUTCOMES)}

#: ``--series auto`` keeps every path up to this many replications, only quantiles beyond
#: (every path of 1,000 baseline replications is ~26 MB on disk).
AUTO_ALL_UP_TO = 1000

SUBFOLDER = "series"


def resolve_kept(choice: str, reps: int) -> SeriesKept:
    """What ``--series CHOICE`` keeps for a run of ``reps`` replications (``auto`` decides by size)."""
    if choice == "auto":
        return "all" if reps <= AUTO_ALL_UP_TO else "quantiles"
    if choice not in SERIES_KEPT:
        raise ValueError(f"--series must be auto, {', '.join(SERIES_KEPT)}; got {choice!r}")
    return choice  # type: ignore[return-value]


QUANTILES_FILE = "quantiles.npz"
_CHUNK = re.compile(r"^reps-(\d{7})-(\d{7})\.npz$")


def pack_chunk(reps: Sequence[int], series: Sequence[dict[str, np.ndarray]]) -> bytes:
    """One chunk of replications' daily series as compressed ``.npz`` bytes (done in the worker)."""
    arrays = {"rep": np.asarray(reps, dtype=np.int64)}
    arrays |= {name: np.stack([s[name] for s in series]).astype(np.float32) for name in series[0]}
    return npz_bytes(arrays)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """Arrays as ``.npz`` bytes that ``np.load`` reads, deflated at level 1.

    ``np.savez_compressed`` deflates at zlib's default level 6: for daily series
    that takes twice as long for files 3% smaller, and a worker spent more time
    compressing a replication's series than simulating its plants.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def chunk_path(folder: Path, reps: Sequence[int]) -> Path:
    """Where the chunk holding ``reps`` (in increasing order) is written."""
    return folder / SUBFOLDER / f"reps-{reps[0]:07d}-{reps[-1]:07d}.npz"


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write next to the final name, fsync, then rename: a chunk file is whole or absent."""
    safe_io.write_bytes_atomic(path, data)


def chunk_files(folder: Path) -> list[Path]:
    """The chunk files of a results folder, in replication order."""
    sub = folder / SUBFOLDER
    if not sub.is_dir():
        return []
    return sorted(p for p in sub.iterdir() if _CHUNK.match(p.name))


def chunk_reps(path: Path) -> np.ndarray:
    """The replications a chunk file holds."""
    with _chunk(path) as data:
        return data["rep"]


def chunk_is_whole(path: Path) -> bool:
    """Whether a chunk file reads back whole: a zip archive whose every member passes its CRC."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None and "rep.npy" in archive.namelist()
    except _DAMAGED:
        return False


def stored_reps(folder: Path) -> set[int]:
    """Every replication whose daily series are on disk as paths."""
    return {int(r) for path in chunk_files(folder) for r in chunk_reps(path)}


def series_names(folder: Path) -> list[str]:
    """The daily series held in a folder's chunk files or quantile file (empty if none)."""
    files = chunk_files(folder)
    source = files[0] if files else folder / SUBFOLDER / QUANTILES_FILE
    if not source.is_file():
        return []
    with _chunk(source) as data:
        skip = {"rep", "levels", "n"}
        return [n for n in data.files if n not in skip and not n.endswith(".shares")]


def read_paths(
    folder: Path, name: str, reps: Sequence[int] | None = None, dtype: type = np.float64
) -> np.ndarray:
    """One series, every replication (or ``reps``) in replication order: (replications, days).

    Filled in place, chunk by chunk: memory is the result plus one chunk.
    """
    files = chunk_files(folder)
    held = [chunk_reps(path) for path in files]
    every = np.sort(np.concatenate(held)) if held else np.empty(0, np.int64)
    wanted = every if reps is None else every[np.isin(every, reps)]
    values: np.ndarray | None = None
    for path, rep in zip(files, held, strict=True):
        keep = np.isin(rep, wanted)
        if not keep.any():
            continue
        with _chunk(path) as data:
            block = data[name][keep]
        if values is None:
            values = np.empty((wanted.size, block.shape[1]), dtype=dtype)
        values[np.searchsorted(wanted, rep[keep])] = block
    return values if values is not None else np.empty((0, 0), dtype=dtype)


def daily_quantiles(values: np.ndarray, levels: Sequence[float], block_days: int = 32) -> np.ndarray:
    """Quantiles across replications, day by day: (levels, days). Days with no value give NaN.

    The same numbers as ``np.nanquantile(values, levels, axis=0)`` (linear
    interpolation), computed by one sort per block of days instead of numpy's
    day-by-day loop over columns that hold a NaN, which for a thousand
    replications of fifty series took seconds. In float64, a block of days at a
    time, so temporaries are one block, not the whole series.
    """
    q = np.asarray(levels, dtype=np.float64)[:, None]
    out = np.empty((q.shape[0], values.shape[1]))
    for first in range(0, values.shape[1], block_days):
        block = np.sort(values[:, first : first + block_days].astype(np.float64), axis=0)  # NaN last
        n = (~np.isnan(block)).sum(axis=0)
        virtual = (n - 1) * q  # numpy's linear method, computed as numpy computes it
        below = np.floor(virtual)
        gamma = virtual - below
        last = np.maximum(n - 1, 0)
        lo = np.clip(below.astype(np.int64), 0, last)
        hi = np.clip(below.astype(np.int64) + 1, 0, last)
        a = np.take_along_axis(block, lo, axis=0)
        b = np.take_along_axis(block, hi, axis=0)
        diff = b - a
        result = np.where(gamma >= 0.5, b - diff * (1.0 - gamma), a + diff * gamma)  # numpy's _lerp
        result[:, n == 0] = np.nan
        out[:, first : first + block_days] = result
    return out


def daily_shares(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Share of replications (0-1) in each code, day by day: (codes, days)."""
    return np.stack([(codes == k).mean(axis=0) for k in range(n_codes)])


def reduce_to_quantiles(folder: Path) -> None:
    """Replace the chunk files by daily quantiles (and shares), one series at a time.

    Memory: one series across every replication, as stored (replications x days
    float32, ~1 kB per replication: the order of the scalar-outcome table), never
    the whole set. The quantile file is written before any chunk is removed.
    """
    files = chunk_files(folder)
    if not files:
        return
    if (folder / SUBFOLDER / QUANTILES_FILE).exists():  # reduced already, killed while removing chunks
        for path in files:
            path.unlink()
        return
    arrays: dict[str, np.ndarray] = {"levels": np.array(QUANTILE_LEVELS)}
    for name in series_names(folder):
        values = read_paths(folder, name, dtype=np.float32)
        arrays["n"] = np.array(values.shape[0])
        arrays[name] = daily_quantiles(values, QUANTILE_LEVELS)
        if name in CATEGORICAL_CODES:
            arrays[f"{name}.shares"] = daily_shares(values, CATEGORICAL_CODES[name])
    write_bytes_atomic(folder / SUBFOLDER / QUANTILES_FILE, npz_bytes(arrays))
    for path in files:
        path.unlink()


def read_quantiles(folder: Path, name: str, levels: Sequence[float]) -> np.ndarray | None:
    """Stored daily quantiles of one series at ``levels`` (None if not stored, or a level is missing)."""
    path = folder / SUBFOLDER / QUANTILES_FILE
    if not path.is_file():
        return None
    with _chunk(path) as data:
        stored = [float(x) for x in data["levels"]]
        if name not in data.files or any(not np.isclose(stored, q).any() for q in levels):
            return None
        rows = [int(np.flatnonzero(np.isclose(stored, q))[0]) for q in levels]
        return data[name][rows]


def read_shares(folder: Path, name: str) -> np.ndarray | None:
    """Stored daily shares per code of a categorical series (None if not stored)."""
    path = folder / SUBFOLDER / QUANTILES_FILE
    if not path.is_file():
        return None
    with _chunk(path) as data:
        key = f"{name}.shares"
        return data[key] if key in data.files else None


def quantile_count(folder: Path) -> int | None:
    """How many replications the stored quantiles summarise."""
    path = folder / SUBFOLDER / QUANTILES_FILE
    if not path.is_file():
        return None
    with _chunk(path) as data:
        return int(data["n"]) if "n" in data.files else None
