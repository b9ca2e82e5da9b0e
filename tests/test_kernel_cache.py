"""Where the compiled kernels are kept, and a cold cache compiled by several processes at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.core import kernel_cache
from sim.core.kernel_cache import WarmUp, share

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"


def _fresh(code: str, **env_changes: str | None) -> str:
    """Run ``code`` in a fresh interpreter with the environment changed; its last stdout line."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.strip().splitlines()[-1]


_WHERE = "import sim.core.jit as j; print(j._CACHE_DIR)"


def test_the_cache_lives_in_the_users_cache_folder_never_in_the_package(tmp_path):
    # a cache inside the package outlived `pip uninstall`, and the leftover folder kept `import sim` working
    if sys.platform == "darwin" or os.name == "nt":
        pytest.skip("XDG_CACHE_HOME is the Linux convention")
    where = Path(_fresh(_WHERE, NUMBA_CACHE_DIR=None, XDG_CACHE_HOME=str(tmp_path)))
    assert where.parent == tmp_path / "tradesim"
    assert where.name.startswith("tradesim-numba-")
    assert not where.is_relative_to(PACKAGE)


def test_platform_cache_folders(monkeypatch, tmp_path):
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert kernel_cache.user_cache_root() == tmp_path / "Library" / "Caches" / "tradesim"
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert kernel_cache.user_cache_root() == tmp_path / ".cache" / "tradesim"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG rule: ignore a relative one
    assert kernel_cache.user_cache_root() == tmp_path / ".cache" / "tradesim"


def test_numba_cache_dir_given_by_the_user_holds_the_cache(tmp_path):
    where = Path(_fresh(_WHERE, NUMBA_CACHE_DIR=str(tmp_path / "mine")))
    assert where.parent == tmp_path / "mine"
    # a child process inherits the folder of this version, and keeps it
    assert Path(_fresh(_WHERE, NUMBA_CACHE_DIR=str(where))) == where


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_cache_folder_falls_back_to_a_temporary_one(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        where = Path(_fresh(_WHERE, NUMBA_CACHE_DIR=None, XDG_CACHE_HOME=str(locked)))
    finally:
        locked.chmod(0o700)
    assert not where.is_relative_to(locked)
    assert where.parent.name == f"tradesim-{os.getuid()}"


def test_a_user_cache_folder_that_cannot_be_written_gives_a_temporary_one(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(kernel_cache, "user_cache_root", lambda: tmp_path / "home-cache")
    assert kernel_cache.cache_root() == tmp_path / "home-cache"
    monkeypatch.setattr(kernel_cache, "_writable", lambda folder: False)
    assert kernel_cache.cache_root() == kernel_cache._temporary_root()
    assert kernel_cache._temporary_root().parent == Path(tempfile.gettempdir())


def _w(name: str, seconds: float, group: str | None = None) -> WarmUp:
    return WarmUp(name, lambda: None, seconds, group or name)


def test_shares_balance_compile_time_and_keep_a_group_in_one_process():
    warm_ups = [_w("a", 3.0), _w("b", 2.0), _w("c", 2.0), _w("q", 1.0, "b"), _w("d", 1.0)]
    shares = share(warm_ups, 2)
    # largest group first to the least loaded share: a (3) and b+q (3), then c (2) to the first, d (1)
    assert [[w.name for w in s] for s in shares] == [["a", "c"], ["b", "q", "d"]]
    assert [sum(w.compile_s for w in s) for s in shares] == [5.0, 4.0]
    assert [[w.name for w in s] for s in share(warm_ups, 1)] == [["a", "b", "q", "c", "d"]]
    assert len(share(warm_ups, 16)) == 4  # no more processes than groups
    # a process that imported the modules in another order gets the same shares
    assert [sorted(w.name for w in s) for s in share(warm_ups[::-1], 2)] == [["a", "c"], ["b", "d", "q"]]


def test_the_compile_is_shared_by_the_idle_cores_only(monkeypatch):
    monkeypatch.delenv("TRADESIM_COMPILE_PROCESSES", raising=False)
    monkeypatch.setattr(kernel_cache, "usable_cpus", lambda: 4)
    for busy_fraction, processes in ((0.05, 4), (0.5, 2), (1.0, 1)):  # measured now (Linux)
        monkeypatch.setattr(kernel_cache, "_busy_fraction_now", lambda f=busy_fraction: f)
        assert kernel_cache.compile_processes() == processes
    monkeypatch.setattr(kernel_cache, "_busy_fraction_now", lambda: None)  # no /proc: load average
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert kernel_cache.compile_processes() == 4
    monkeypatch.setattr(os, "getloadavg", lambda: (2.1, 2.0, 2.0))
    assert kernel_cache.compile_processes() == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))  # busy: one process, as before
    assert kernel_cache.compile_processes() == 1
    monkeypatch.setenv("TRADESIM_COMPILE_PROCESSES", "3")
    assert kernel_cache.compile_processes() == 3


@pytest.mark.skipif(not Path("/proc/stat").is_file(), reason="reads /proc/stat (Linux)")
def test_a_core_kept_busy_now_is_counted_busy_whatever_the_load_average_says():
    """Known answer: a process spinning on a core makes at least most of one core busy, measured
    over a tenth of a second (the load average would take a minute to see it)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # started and spinning
        busy = kernel_cache.busy_cores(kernel_cache.usable_cpus())
    finally:
        spinner.kill()
        spinner.wait()
    assert busy >= 0.6


def test_a_cold_cache_filled_by_two_processes_is_loaded_without_compiling(tmp_path):
    """Known answer: each share's kernels are compiled once, by its own process, into the disk cache;
    a fresh process then loads every one of them (cache hits, no misses) and finds the cache ready."""
    code = """
import json, sim.model.macro, sim.model.market, sim.model.negotiation
from sim.core import jit, kernel_cache
picked = [jit._WARM_UPS[n] for n in ("macro", "market", "negotiation")]
used = kernel_cache.compile_in_processes(picked, processes=2)
print(json.dumps(used))
"""
    assert json.loads(_fresh(code, NUMBA_CACHE_DIR=str(tmp_path))) == 2
    check = """
import json, sim.model.macro as a, sim.model.market as b, sim.model.negotiation as c
from sim.core import jit
for n in ("macro", "market", "negotiation"):
    jit.warm_up_named(n)
kernels = [a._macro_days, b._market_days, c.pain_of, c._pain_days]
print(json.dumps([[sum(k.stats.cache_hits.values()), sum(k.stats.cache_misses.values())] for k in kernels]))
"""
    for hits, misses in json.loads(_fresh(check, NUMBA_CACHE_DIR=str(tmp_path))):
        assert hits >= 1 and misses == 0


def test_children_started_early_compile_the_shares_the_parent_expects(tmp_path):
    """``start_early`` starts a child before this process has imported anything of the model; the
    child's share is the one this process leaves to it, so after the parent's own share and the
    wait, every kernel loads from the cache."""
    code = """
import json
from sim.core import kernel_cache
modules = ["sim.model.macro", "sim.model.market", "sim.model.negotiation"]
started = kernel_cache.start_early(modules)
import importlib
for m in modules:
    importlib.import_module(m)
from sim.core import jit
used = kernel_cache.compile_in_processes(list(jit._WARM_UPS.values()))
print(json.dumps([started, used]))
"""
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "TRADESIM_COMPILE_PROCESSES": "2"}
    assert json.loads(_fresh(code, **env)) == [True, 2]
    check = """
import json, sim.model.macro as a, sim.model.market as b, sim.model.negotiation as c
from sim.core import jit
for w in list(jit._WARM_UPS.values()):
    w.func()
kernels = [a._macro_days, b._market_days, c.pain_of, c._pain_days]
print(json.dumps([sum(k.stats.cache_misses.values()) for k in kernels]))
"""
    assert json.loads(_fresh(check, NUMBA_CACHE_DIR=str(tmp_path))) == [0, 0, 0, 0]


def test_cache_command_shows_clears_and_keeps_other_programs_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    (tmp_path / "tradesim-numba-0123456789abcdef" / "model_x").mkdir(parents=True)
    (tmp_path / "tradesim-numba-0123456789abcdef" / "model_x" / "k.nbc").write_bytes(b"x" * 2048)
    (tmp_path / "someone-else").mkdir()
    runner = CliRunner()
    shown = runner.invoke(app, ["cache"])
    assert shown.exit_code == 0, shown.output
    assert str(tmp_path) in shown.output and "another version" in shown.output
    cleared = runner.invoke(app, ["cache", "--clear"])
    assert cleared.exit_code == 0, cleared.output
    assert "deleted 1" in cleared.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["someone-else"]


def test_after_warm_up_a_replication_compiles_nothing(baseline):
    """The warm-ups call every kernel with the argument types a replication passes: otherwise each
    worker would compile what they missed, one kernel at a time, after the parent's shared compile."""
    from numba.core import event

    from sim.model.replication import simulate, warm_up

    warm_up()
    compiled: list[str] = []

    class Listener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            compiled.append(str((ev.data or {}).get("dispatcher")))

        def on_end(self, ev: event.Event) -> None:
            pass

    switches = [
        {},
        {"industry.allocation": "first_come"},
        {"industry.allocation": "proportional"},
        {"supply.unconstrained": True},
        {"licensing.review.military_handling": "review"},
    ]
    with event.install_listener("numba:compile", Listener()):
        for changes in switches:
            model, _ = simulate(baseline.spec, 7, 0, changes=changes)
            model.outcomes()
            model.series()
    assert compiled == []


def test_compiling_writes_nothing_into_an_installed_package(tmp_path):
    """Issue 19: `pip uninstall` removes the files it installed; a compiled cache inside the package
    stayed behind, and the leftover folder kept `import sim` working. Compile a kernel from a copy of
    the package (as installed): the cache is written under the user's cache folder, none in the copy."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(site), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("NUMBA_CACHE_DIR", None)
    code = "import sim.model.macro\nfrom sim.core import jit\njit.warm_up_named('macro')\n"
    code += "print(jit._CACHE_DIR)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    where = Path(done.stdout.strip().splitlines()[-1])
    assert where.is_relative_to(tmp_path / "cache" / "tradesim")
    assert list(where.rglob("*.nbi")) and list(where.rglob("*.nbc"))
    leftovers = [p for p in (site / "sim").rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    shipped = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert {p.relative_to(site) for p in leftovers} <= {p.relative_to(ROOT) for p in shipped}
