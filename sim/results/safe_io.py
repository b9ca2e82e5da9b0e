"""Writing results folders so that nothing already there is damaged: locks, atomic files, clear errors.

Three rules every writer of a results folder follows:

- **One writer at a time.** A run holds an operating-system lock (``fcntl.flock``) on
  ``FOLDER/.tradesim.lock`` while it writes; a second run on the same folder is refused,
  naming the holder's process id. The kernel drops the lock when the process dies, however
  it dies, so a killed run never leaves a stale lock that blocks ``--resume``.
- **Whole files or none.** Every file is written to a temporary name in the same folder,
  flushed and fsynced, then renamed over its final name (``write_bytes_atomic``).
- **A failed write is one line.** An ``OSError`` while writing (a full disk, a file size
  limit, a read-only file system) becomes :class:`WriteFailed`, naming the file and the
  errno, which the command line prints without a traceback.
"""

from __future__ import annotations

import errno as errno_codes
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock (Windows runs are not locked)
    fcntl = None  # type: ignore[assignment]

#: The lock file inside a results folder (kept there: removing it would race with a waiting run).
LOCK_FILE = ".tradesim.lock"


class ResultsError(Exception):
    """A results folder that cannot be read, resumed or written as asked."""


class FolderBusy(ResultsError):
    """Another process holds the folder's lock."""


class WriteFailed(ResultsError):
    """Writing a file failed (disk full, read-only, size limit): names the file and the errno."""

    def __init__(self, path: Path | str, exc: OSError):
        code = errno_codes.errorcode.get(exc.errno or 0, "?")
        super().__init__(f"{path}: cannot write: {exc.strerror or exc} (errno {exc.errno} {code})")
        self.path, self.errno = Path(path), exc.errno


@contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Turn an ``OSError`` raised inside the block into :class:`WriteFailed` naming ``path``."""
    try:
        yield
    except WriteFailed:
        raise
    except OSError as exc:
        raise WriteFailed(exc.filename or path, exc) from exc


def fsync_file(fh) -> None:
    """Flush a file object's buffers to the disk (Python's, then the kernel's)."""
    fh.flush()
    os.fsync(fh.fileno())


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary name beside it, fsync, rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with tmp.open("wb") as fh:
                fh.write(data)
                fsync_file(fh)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


@contextmanager
def atomic_text(path: Path | str) -> Iterator[TextIO]:
    """Write a text file (CSV: ``newline=""``) whole or not at all, as :func:`write_bytes_atomic` does.

    The block writes to a temporary name beside ``path``; when it ends the file is fsynced and
    renamed over ``path``. If the block (or the disk) fails, the temporary file is removed and
    ``path`` keeps what it held before.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with tmp.open("w", newline="", encoding="utf-8") as fh:
                yield fh
                fsync_file(fh)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def replace_synced(tmp: Path, path: Path) -> None:
    """Rename a finished temporary file over ``path`` once its bytes are on the disk."""
    with writing(path):
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)


class FolderLock:
    """An exclusive, non-blocking lock on a results folder, held until :meth:`release` or exit.

    The holder's process id is written into the lock file, so a refused run can name it.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        if fcntl is None or self._fd is not None:
            return self
        with writing(self.path):
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno_codes.EWOULDBLOCK, errno_codes.EAGAIN):
                raise FolderBusy(
                    f"{self.folder}: in use by another tradesim run (process {holder}); "
                    "wait for it to finish, or choose another --out"
                ) from None
            raise WriteFailed(self.path, exc) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        _HELD.add(fd)
        return self

    def release(self) -> None:
        if self._fd is not None:
            _HELD.discard(self._fd)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


#: Lock files this process holds open. A forked worker closes its copies at once, so a lock
#: never outlives the run that took it (a lock lasts while any process holds its file open).
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_HELD):
        with suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


def clear_folder(folder: Path) -> None:
    """Empty a folder for ``--force``: every entry but the lock goes, so no old file is mixed in.

    Refused (:class:`ResultsError`) when the folder holds anything tradesim did not write at its
    top level, so ``--force`` never deletes a user's own files, and when another run holds it.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return
    entries = [p for p in folder.iterdir() if p.name != LOCK_FILE]
    if not entries:
        return
    if not (folder / "manifest.json").is_file() and not all(_ours(p) for p in entries):
        strange = next(p for p in entries if not _ours(p))
        raise ResultsError(
            f"{folder}: holds files tradesim did not write (such as {strange.name}); "
            "--force empties only results folders: choose another --out"
        )
    with FolderLock(folder), writing(folder):
        for path in entries:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


#: Top-level names a results folder may hold without a manifest (an interrupted write's leftovers).
_OUR_SUFFIXES = (".csv", ".part", ".tmp", ".npz", ".json", ".html", ".png", ".svg", ".toml")
_OUR_FOLDERS = ("series", "plots", "changed")  # changed: `play --replay --change`'s changed game


def _ours(path: Path) -> bool:
    if path.is_dir():
        return path.name in _OUR_FOLDERS or (path / "manifest.json").is_file()
    return path.name.endswith(_OUR_SUFFIXES)


def load_manifest(path: Path | str) -> dict:
    """A folder's ``manifest.json`` as a dict, or :class:`ResultsError` saying plainly why not.

    A results folder that was damaged (emptied, truncated, overwritten with something else)
    must give one line naming the file, never a traceback from the JSON parser.
    """
    import json

    path = Path(path)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path.parent}: not a results folder (no manifest.json)") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not text (damaged?); a manifest is UTF-8 JSON") from None
    except ValueError as exc:
        raise ResultsError(f"{path}: not valid JSON ({str(exc)[:120]}); the folder may be damaged") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot be read ({exc.strerror})") from None
    if not isinstance(manifest, dict):
        raise ResultsError(f"{path}: a manifest is a JSON object, this is {type(manifest).__name__}")
    return manifest
