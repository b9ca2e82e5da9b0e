"""Where the compiled kernels live, and how a cold cache is compiled on the idle cores at once.

**Where.** In the user's cache folder, never inside the package: ``$XDG_CACHE_HOME/tradesim``
(``~/.cache/tradesim``) on Linux, ``~/Library/Caches/tradesim`` on macOS,
``%LOCALAPPDATA%\\tradesim\\Cache`` on Windows; a folder ``tradesim-USER`` in the temporary
directory when that one cannot be written; ``NUMBA_CACHE_DIR`` when the user sets it. Inside it,
one folder per version of the kernels' source (``tradesim-numba-HASH``, see ``sim.core.jit``),
so an upgrade or an edit compiles afresh and never loads stale code. A cache inside the package
outlived ``pip uninstall`` (the leftover folder kept ``import sim`` working); a per-user folder
does not, and ``tradesim cache --clear`` removes it. Each user account compiles once: a shared
machine (a JupyterHub) can point every account's ``NUMBA_CACHE_DIR`` at one writable folder and
fill it once with ``tradesim cache --build``.

**How fast.** Compiling every kernel takes 10-15 s of CPU (numba's typing and LLVM, one kernel
after another). A cold cache is filled by one process per idle core at once: the registered warm-ups
(``sim.core.jit.on_warm_up``) are shared among them, largest first, each child
compiling its share into the disk cache while this process compiles its own; this process then
loads the rest from disk. Warm-ups that compile a kernel of another are declared in one group and
stay in one process, so nothing is compiled twice. A file ``ready-TAG`` in the folder says the
cache is complete for this Python, numba and CPU, so a warm start spawns nothing.
``TRADESIM_COMPILE_PROCESSES=1`` compiles in this process only.

This module imports neither numba nor the model: ``sim.core.jit`` reads the folder from it before
numba is imported, and the processes compile the modules they are named.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.core.version import KERNEL_SOURCES, source_hash

#: How a kernel cache folder of this package is named: PREFIX + 16 hex digits of the source hash.
PREFIX = "tradesim-numba-"
#: Processes that compile a cold cache (default: one per usable core).
PROCESSES_ENV = "TRADESIM_COMPILE_PROCESSES"
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class WarmUp:
    """A function that calls a module's kernels once on tiny inputs, compiling or loading them.

    ``compile_s`` is its compile time on a cold cache (CPU seconds on the 2-core development
    machine, ``benchmarks/bench_startup.py --kernels``), used only to share the work between
    processes; ``group`` keeps warm-ups whose kernels call each other in one process.
    """

    name: str
    func: Callable[[], None]
    compile_s: float
    group: str

    @property
    def address(self) -> str:
        """``module:name``: how a fresh process finds it (importing the module registers it)."""
        return f"{self.func.__module__}:{self.name}"


# --- where -------------------------------------------------------------------------------------


def user_cache_root() -> Path:
    """tradesim's folder in the user's cache directory, by the platform's convention."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "tradesim"
    if os.name == "nt":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "tradesim" / "Cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache") / "tradesim"


def _temporary_root() -> Path:
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"tradesim-{user}"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def cache_root() -> Path:
    """The folder that holds a ``tradesim-numba-HASH`` folder per version of the kernels.

    A ``NUMBA_CACHE_DIR`` set by the user is that folder; one set by a parent tradesim process
    (named ``tradesim-numba-HASH``) stands for its parent folder.
    """
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        path = Path(given).expanduser()
        return path.parent if path.name.startswith(PREFIX) else path
    root = user_cache_root()
    return root if _writable(root) else _temporary_root()


def cache_dir() -> Path:
    """The kernels' disk cache for this exact source."""
    return cache_root() / f"{PREFIX}{source_hash(KERNEL_SOURCES)[:16]}"


def cache_folders(root: Path | None = None) -> list[Path]:
    """Every kernel cache folder under ``root`` (this version's and older ones)."""
    root = cache_root() if root is None else root
    return sorted(p for p in root.glob(f"{PREFIX}*") if p.is_dir()) if root.is_dir() else []


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder``."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def clear(root: Path | None = None) -> list[Path]:
    """Delete every kernel cache folder under ``root``; returns the folders deleted.

    Only ``tradesim-numba-*`` folders go: a ``NUMBA_CACHE_DIR`` shared with other programs keeps
    their caches. The next run compiles again.
    """
    gone = cache_folders(root)
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return gone


# --- complete or not -----------------------------------------------------------------------------


def _ready_tag() -> str:
    """What a cached kernel is valid for besides its source: Python, numba and the CPU it targets."""
    import llvmlite.binding as llvm
    import numba

    cpu = os.environ.get("NUMBA_CPU_NAME") or llvm.get_host_cpu_name()
    return f"{sys.implementation.cache_tag}-numba{numba.__version__}-{cpu}"


def ready_marker(folder: Path | None = None) -> Path:
    """The file that says ``folder`` holds every kernel, compiled for this Python, numba and CPU."""
    return (cache_dir() if folder is None else folder) / f"ready-{_ready_tag()}"


def is_ready(folder: Path | None = None) -> bool:
    """Whether every kernel was compiled into ``folder`` (this version's cache) already."""
    return ready_marker(folder).is_file()


def mark_ready(folder: Path | None = None) -> None:
    """Record that every kernel is in the cache (after all warm-ups ran in one process)."""
    marker = ready_marker(folder)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:  # a read-only cache: the next start checks each kernel, as numba does anyway
        pass


# --- compiling a cold cache on the idle cores -------------------------------------------------


def usable_cpus() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def compile_processes() -> int:
    """How many processes compile a cold cache: ``TRADESIM_COMPILE_PROCESSES``, or one per idle core.

    Sharing the compile costs about 2 s of CPU more in all (each process starts numba and
    compiles numba's own helpers again): it pays on idle cores, and on cores busy with other
    work it was slower than one process (measured on 2 cores at a load average of 4: 23-28 s
    against 18-19 s). So only idle cores share it (:func:`busy_cores`).
    """
    given = os.environ.get(PROCESSES_ENV, "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    cpus = usable_cpus()
    return max(1, min(cpus, round(cpus - busy_cores(cpus))))


def busy_cores(cpus: int) -> float:
    """How many of ``cpus`` cores other work keeps busy now.

    Measured over a tenth of a second from ``/proc/stat`` where there is one (Linux): the
    1-minute load average lags by a minute, so right after ``pip install`` (the README's first
    command installs, then runs) it still counts the installer and would keep the compile on
    one core. Elsewhere (macOS, Windows) the load average, or nothing.
    """
    now = _busy_fraction_now()
    if now is not None:
        return now * cpus
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows: no load average
        return 0.0


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies of all cores since boot, from ``/proc/stat``; None where unreadable."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    values = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return values[3] + values[4], sum(values)


def _busy_fraction_now(interval_s: float = 0.1) -> float | None:
    """Share of all cores' time spent busy over ``interval_s`` (0 idle .. 1 all busy)."""
    before = _cpu_times()
    if before is None:
        return None
    time.sleep(interval_s)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return None
    return 1.0 - (after[0] - before[0]) / (after[1] - before[1])


def share(warm_ups: Sequence[WarmUp], processes: int) -> list[list[WarmUp]]:
    """Warm-ups in at most ``processes`` shares of near-equal compile time, a group never split.

    Largest group first, each to the share with the least so far (the LPT rule: within 4/3 of
    the best split). Empty shares are dropped; the first share is the largest.
    """
    groups: dict[str, list[WarmUp]] = {}
    for w in warm_ups:
        groups.setdefault(w.group, []).append(w)
    loads = [0.0] * max(1, processes)
    shares: list[list[WarmUp]] = [[] for _ in loads]
    # by compile time, then name: the same shares whatever order the modules were imported in
    # (a child started early imports them in its own order)
    for _, members in sorted(groups.items(), key=lambda kv: (-sum(w.compile_s for w in kv[1]), kv[0])):
        least = loads.index(min(loads))
        shares[least].extend(members)
        loads[least] += sum(w.compile_s for w in members)
    order = sorted(range(len(shares)), key=lambda i: -loads[i])
    return [shares[i] for i in order if shares[i]]


def _child_env() -> dict[str, str]:
    """This process's environment, with the folder holding ``sim`` first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), env.get("PYTHONPATH")) if p)
    env[PROCESSES_ENV] = "1"
    return env


#: Processes started by ``start_early``, and how many shares the warm-ups were split into.
_EARLY: list[subprocess.Popen] = []
_EARLY_SHARES = 0


def start_early(modules: Sequence[str]) -> bool:
    """Start compiling a cold cache now, in other processes, while this one gets ready.

    A command that will simulate calls this first thing, before its own imports and the
    scenario (most of a second): each child imports ``modules`` (which register every warm-up
    the command will run), shares the warm-ups as
    ``share`` does for ``compile_processes()`` processes and compiles its share; this process
    compiles share 0 when it warms up (``compile_in_processes``). Costs one file lookup when the
    cache is ready (any ``ready-*`` marker counts here; ``is_ready`` checks the exact one later).
    Children still running when this process exits (it failed before warming up) are stopped.
    Returns whether children were started.
    """
    global _EARLY_SHARES
    if _EARLY or any(cache_dir().glob("ready-*")):
        return False
    processes = compile_processes()
    if processes < 2:
        return False
    for index in range(1, processes):
        share_of = f"{index}/{processes}"
        command = [sys.executable, "-m", "sim.core.compile_child", "--share", share_of, *modules]
        try:
            _EARLY.append(_spawn(command))
        except OSError:
            break
    _EARLY_SHARES = processes if _EARLY else 0
    if _EARLY:
        atexit.register(_stop, _EARLY)
    return bool(_EARLY)


def _spawn(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, env=_child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(children: list[subprocess.Popen]) -> None:
    """Stop children still compiling (interrupted, or never waited for)."""
    for child in children:
        if child.poll() is None:
            child.kill()
            child.wait()


def compile_in_processes(warm_ups: Sequence[WarmUp], processes: int | None = None) -> int:
    """Fill a cold cache: each share of the warm-ups compiled by its own process at once.

    This process runs the first share; the others run in fresh interpreters (``python -m
    sim.core.compile_child MODULE:NAME ...``), which write what they compile to the disk cache
    and exit. Returns how many processes compiled. A child that fails costs nothing but time:
    whatever it did not compile is compiled when this process's warm-ups run afterwards.
    """
    if _EARLY and processes is None:  # children started by start_early compile shares 1, 2, ...
        children, shares = list(_EARLY), share(warm_ups, _EARLY_SHARES)
        _EARLY.clear()
    else:
        children, shares = [], share(warm_ups, compile_processes() if processes is None else processes)
        if len(shares) <= 1:
            return 1
    try:
        if not children:
            for part in shares[1:]:
                try:
                    children.append(
                        _spawn([sys.executable, "-m", "sim.core.compile_child", *(w.address for w in part)])
                    )
                except OSError:  # no interpreter to start: this process compiles the rest afterwards
                    break
        for w in shares[0] if shares else []:
            w.func()
        for child in children:
            child.wait()
    finally:
        _stop(children)  # interrupted: no compile left running behind us
    return len(shares)
