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
  complete (one series per worker process at a time, on the run's own pool):
  enough for fan charts and the negotiation-state chart, a few hundred KB
  whatever the number of replications. The quantiles are exact, numpy's
  ``nanquantile``: no approximation enters.
- ``none``: no daily series at all; outcomes and parameters only.

float32 keeps counts exact up to 16.7 million and other values to ~7 digits,
more than the 4 decimals the earlier CSV kept.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
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
    """The replications a chunk file holds (read once per process and version of the file)."""
    stat = Path(path).stat()
    return _chunk_reps(str(path), (stat.st_ino, stat.st_size, stat.st_mtime_ns))


@lru_cache(maxsize=4096)
def _chunk_reps(path: str, _stamp: tuple[int, int, int]) -> np.ndarray:
    reps = read_member(Path(path), "rep")
    reps.flags.writeable = False  # shared by every caller
    return reps


#: Where one array lies in a chunk file: (offset of its local header, compressed size, CRC-32, method).
_Member = tuple[int, int, int, int]


@lru_cache(maxsize=4096)
def _directory(path: str, _stamp: tuple[int, int, int]) -> dict[str, _Member]:
    """A chunk file's table of contents, read once per process and file version (``_stamp``)."""
    with zipfile.ZipFile(path) as archive:
        return {
            info.filename.removesuffix(".npy"): (
                info.header_offset,
                info.compress_size,
                info.CRC,
                info.compress_type,
            )
            for info in archive.infolist()
        }


def _array(npy: bytes) -> np.ndarray:
    """The array in ``.npy`` bytes (what ``np.lib.format.read_array`` gives), its header parsed once.

    numpy parses a header with ``ast.literal_eval``, ~0.1 ms: as much as decompressing a chunk's
    series. Every chunk of a run has the same few headers. (Versions other than 1 and 2, which
    numpy writes only for non-ASCII field names, are left to numpy.)
    """
    if npy[:6] != b"\x93NUMPY" or npy[6] not in (1, 2):
        return np.lib.format.read_array(io.BytesIO(npy), allow_pickle=False)
    length = npy[8:10] if npy[6] == 1 else npy[8:12]
    start = 8 + len(length) + int.from_bytes(length, "little")
    dtype, shape, fortran_order = _npy_header(npy[:start])
    array = np.frombuffer(npy, dtype=dtype, count=math.prod(shape), offset=start)
    return array.reshape(shape, order="F" if fortran_order else "C")


@lru_cache(maxsize=256)
def _npy_header(header: bytes) -> tuple[np.dtype, tuple[int, ...], bool]:
    fh = io.BytesIO(header[8:])
    read = np.lib.format.read_array_header_1_0 if header[6] == 1 else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read(fh)
    if dtype.hasobject:
        raise ValueError("object arrays are not series")
    return dtype, shape, fortran_order


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name and extra-field lengths


def read_member(path: Path, name: str) -> np.ndarray:
    """One array of a chunk file, read directly from its offset (what ``np.load(path)[name]`` gives).

    ``np.load`` parses the zip file's table of contents at every opening: reading one series from
    each of 200 chunk files, for each of ~70 series, was 14,000 parses, most of the ten seconds that
    reducing 5,000 replications to quantiles took. The table is read once per file here, and each
    array's bytes are checked against their CRC-32, so a damaged chunk is still refused by name.
    """
    try:
        stat = Path(path).stat()
        offset, size, crc, method = _directory(str(path), (stat.st_ino, stat.st_size, stat.st_mtime_ns))[name]
        with open(path, "rb") as fh:
            fh.seek(offset)
            signature, name_length, extra_length = _LOCAL_HEADER.unpack(fh.read(_LOCAL_HEADER.size))
            if signature != b"PK\x03\x04":
                raise zipfile.BadZipFile("no local header where the table of contents says")
            fh.seek(offset + _LOCAL_HEADER.size + name_length + extra_length)
            raw = fh.read(size)
        data = zlib.decompress(raw, -15) if method == zipfile.ZIP_DEFLATED else raw
        if method not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or zlib.crc32(data) != crc:
            raise zipfile.BadZipFile(f"{name}: bad CRC-32 or compression")
        return _array(data)
    except (*_DAMAGED, struct.error) as exc:
        raise safe_io.ResultsError(
            f"{path}: not a readable series chunk ({type(exc).__name__}); the folder was damaged: "
            "delete the chunk and finish it with `tradesim run --resume`"
        ) from None


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
        keep = slice(None) if reps is None else np.isin(rep, wanted)  # every chunk whole, or some of it
        if not rep[keep].size:
            continue
        block = read_member(path, name)[keep]
        if values is None:
            values = np.empty((wanted.size, block.shape[1]), dtype=dtype)
        values[np.searchsorted(wanted, rep[keep])] = block
    return values if values is not None else np.empty((0, 0), dtype=dtype)


def daily_quantiles(values: np.ndarray, levels: Sequence[float], block_days: int = 32) -> np.ndarray:
    """Quantiles across replications, day by day: (levels, days). Days with no value give NaN.

    The same numbers as ``np.nanquantile(values, levels, axis=0)`` (linear
    interpolation), computed by one sort per block of days instead of numpy's
    day-by-day loop over columns that hold a NaN, which for a thousand
    replications of fifty series took seconds. Each block is sorted as stored (float32
    from a results folder: converting to float64 is exact and keeps the order, so the
    order statistics are the same numbers) with each day's values contiguous, which
    sorted 100,000 replications four times as fast as float64 across the rows; the
    interpolation is in float64. A block of days at a time, so temporaries are one
    block, not the whole series.
    """
    q = np.asarray(levels, dtype=np.float64)[:, None]
    out = np.empty((q.shape[0], values.shape[1]))
    for first in range(0, values.shape[1], block_days):
        block = np.ascontiguousarray(values[:, first : first + block_days].T)  # (days, replications)
        block.sort(axis=1)  # NaN last
        n = (~np.isnan(block)).sum(axis=1)
        virtual = (n - 1) * q  # numpy's linear method, computed as numpy computes it
        below = np.floor(virtual)
        gamma = virtual - below
        last = np.maximum(n - 1, 0)
        lo = np.clip(below.astype(np.int64), 0, last)
        hi = np.clip(below.astype(np.int64) + 1, 0, last)
        a = np.take_along_axis(block, lo.T, axis=1).T.astype(np.float64)
        b = np.take_along_axis(block, hi.T, axis=1).T.astype(np.float64)
        diff = b - a
        result = np.where(gamma >= 0.5, b - diff * (1.0 - gamma), a + diff * gamma)  # numpy's _lerp
        result[:, n == 0] = np.nan
        out[:, first : first + block_days] = result
    return out


def daily_shares(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Share of replications (0-1) in each code, day by day: (codes, days)."""
    return np.stack([(codes == k).mean(axis=0) for k in range(n_codes)])


#: Maps a reduction over the series (``map(function, names)``): the builtin, or a process pool's.
SeriesMap = Callable[[Callable[[str], dict[str, np.ndarray]], Iterable[str]], Iterable[dict[str, np.ndarray]]]


def reduce_series(folder: Path, name: str) -> dict[str, np.ndarray]:
    """One series' entries of ``quantiles.npz``: ``n``, its daily quantiles and, if categorical, shares.

    Memory: that series across every replication, as stored (replications x days float32,
    ~1 kB per replication), read chunk by chunk.
    """
    values = read_paths(folder, name, dtype=np.float32)
    arrays = {"n": np.array(values.shape[0]), name: daily_quantiles(values, QUANTILE_LEVELS)}
    if name in CATEGORICAL_CODES:
        arrays[f"{name}.shares"] = daily_shares(values, CATEGORICAL_CODES[name])
    return arrays


def reduce_to_quantiles(folder: Path, map_series: SeriesMap = map) -> None:
    """Replace the chunk files by daily quantiles (and shares), one series at a time.

    ``map_series`` reduces the series, in this process (the builtin ``map``) or one per
    worker process at a time (a pool's ``map``, see ``sim.experiments.run``): each series
    is independent, and the file holds the same arrays in the same order either way. The
    quantile file is written before any chunk is removed.
    """
    files = chunk_files(folder)
    if not files:
        return
    if (folder / SUBFOLDER / QUANTILES_FILE).exists():  # reduced already, killed while removing chunks
        for path in files:
            path.unlink()
        return
    arrays: dict[str, np.ndarray] = {"levels": np.array(QUANTILE_LEVELS)}
    for reduced in map_series(partial(reduce_series, folder), series_names(folder)):
        arrays |= reduced  # "n" keeps its place after "levels", as each series repeats it
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
