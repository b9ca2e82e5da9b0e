"""Fault injection: a run killed, starved of disk or raced never damages its folder, and resumes exactly.

Each faulty run is compared with one uninterrupted run of the same scenario and seed: the
tables must be byte-identical and the daily series equal, whatever happened on the way.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import sim.results.safe_io as safe_io
from sim.cli import app
from sim.experiments.run import run_experiment
from sim.results.folder import read_results
from sim.results.safe_io import LOCK_FILE, FolderBusy, FolderLock

ROOT = Path(__file__).resolve().parents[1]
REPS, SEED = 40, 11  # enough that a run is still going when a test acts on it
runner = CliRunner()


@pytest.fixture(scope="module")
def reference(baseline, tmp_path_factory) -> Path:
    """The uninterrupted run every faulty one must end equal to."""
    folder = tmp_path_factory.mktemp("reference")
    run_experiment(baseline, REPS, SEED, folder, workers=1)
    return folder


def assert_same_results(folder: Path, reference: Path) -> None:
    for table in ("outcomes.csv", "parameters.csv"):
        assert (folder / table).read_bytes() == (reference / table).read_bytes(), table
    got, want = read_results(folder), read_results(reference)
    assert got.manifest["complete"] is True
    for name in ("backlog", "stock_auto"):
        np.testing.assert_array_equal(got.series(name), want.series(name))
    assert not list(folder.rglob("*.part")) and not list(folder.rglob("*.tmp"))


#: ``tradesim`` whose run, once its first rows are on disk, says so (a file) and waits for the
#: test's go-ahead (another file): a test kills it, or tries a second run on its folder, while it
#: surely is mid-run, however loaded the machine (a sleep, or a race with the run's speed, would
#: not be: on a quiet machine the run could finish first, on a loaded one not start in time).
_GATED_CLI = """
import pathlib, sys, time
import sim.results.writer as writer
wrote, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
real = writer.ResultsWriter.write_chunk
def write_chunk(self, chunk):
    real(self, chunk)
    if not go.exists():
        wrote.touch()
        while not go.exists():
            time.sleep(0.01)
writer.ResultsWriter.write_chunk = write_chunk
sys.argv = ["tradesim", *sys.argv[3:]]
from sim.cli import main
main()
"""


def _wait_for_file(path: Path, proc: subprocess.Popen, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def _start_run(folder: Path, workers: int = 2) -> subprocess.Popen:
    """A run in its own process, held after its first rows (``folder.parent/wrote``) until ``go``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    args = ["run", "baseline", "--reps", str(REPS), "--seed", str(SEED), "--workers", str(workers)]
    wrote, go = folder.parent / "wrote", folder.parent / "go"
    gated = [sys.executable, "-c", _GATED_CLI, str(wrote), str(go)]
    options = ["--out", str(folder), "--no-plots", "--quiet", "--force-workers"]
    return subprocess.Popen(
        [*gated, *args, *options], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _children(pid: int) -> list[int]:
    """The run's pool workers: its children forked from it (same command line), not the helper
    processes it may start with a command of their own (a cold cache's compiling children)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    own = Path(f"/proc/{pid}/cmdline").read_bytes()
    forked = []
    for child in found:
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == own:
                forked.append(child)
        except FileNotFoundError:  # exited meanwhile
            pass
    return forked


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited


def _resume(folder: Path) -> None:
    result = runner.invoke(app, ["run", "--resume", str(folder), "--workers", "1", "--no-plots", "-q"])
    assert result.exit_code == 0, result.output


linux_only = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")


@linux_only
@pytest.mark.slow
def test_sigkill_of_the_main_process_leaves_a_folder_resume_finishes_exactly(tmp_path, reference):
    folder = tmp_path / "run"
    proc = _start_run(folder)
    _wait_for_file(tmp_path / "wrote", proc)  # held after its first rows: surely not finished
    workers = _children(proc.pid)
    assert workers, "the run has worker processes"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "workers outlived their killed parent"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["complete"] is False and manifest["master_seed"] == SEED
    _resume(folder)
    assert_same_results(folder, reference)


@linux_only
@pytest.mark.slow
def test_sigkill_of_a_worker_is_one_line_and_resume_finishes_exactly(tmp_path, reference):
    folder = tmp_path / "run"
    proc = _start_run(folder)
    _wait_for_file(tmp_path / "wrote", proc)
    os.kill(_children(proc.pid)[0], signal.SIGKILL)
    (tmp_path / "go").touch()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    assert "worker process died" in stderr and "--resume" in stderr
    assert "Traceback" not in stderr
    _resume(folder)
    assert_same_results(folder, reference)


_HALF_SENT = """
import multiprocessing, os, struct, sys, time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from sim.experiments.run import run_chunks, watched_map

POOL = None

def task(chunk):
    if chunk == [0]:  # die in the middle of sending a result: a header promising a megabyte, ten bytes
        os.write(POOL._result_queue._writer.fileno(), struct.pack("!i", 2**20) + bytes(10))
        os._exit(1)
    time.sleep(60)
    return chunk

if __name__ == "__main__":
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as POOL:
        try:
            if sys.argv[1] == "run_chunks":
                run_chunks(POOL, task, [[0], [1]], lambda result: None, in_flight=2)
            else:  # the map that reduces daily quantiles on a run's workers
                list(watched_map(POOL)(task, [[0], [1]]))
        except BrokenProcessPool:
            print("broken")
"""


@linux_only
@pytest.mark.parametrize("waiting_in", ["run_chunks", "watched_map"])
def test_a_worker_dying_while_sending_its_result_breaks_the_run_instead_of_hanging_it(tmp_path, waiting_in):
    """CPython's pool waits forever for the rest of a half-sent result (its own check for dead
    workers never runs): the run's watch on its workers must break the pool (``raise_if_a_worker_died``).
    Without it this script hangs; the test gives it a minute."""
    script = tmp_path / "half_sent.py"
    script.write_text(_HALF_SENT)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, str(script), waiting_in]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "broken"


def test_a_full_disk_is_one_line_naming_the_file_and_resume_finishes_exactly(
    tmp_path, reference, monkeypatch
):
    """Writing fails with ENOSPC on the third file synced (a series chunk), as on a full disk."""
    real = safe_io.fsync_file
    calls = []

    def disk_full(fh):
        calls.append(fh)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fh)

    monkeypatch.setattr(safe_io, "fsync_file", disk_full)
    folder = tmp_path / "run"
    args = ["run", "baseline", "--reps", str(REPS), "--seed", str(SEED), "--workers", "1"]
    result = runner.invoke(app, [*args, "--out", str(folder), "--no-plots", "-q"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert "No space left on device" in result.output and "errno 28 ENOSPC" in result.output
    assert "series/reps-" in result.output  # the file that could not be written
    assert json.loads((folder / "manifest.json").read_text())["complete"] is False
    monkeypatch.setattr(safe_io, "fsync_file", real)
    _resume(folder)
    assert_same_results(folder, reference)


@pytest.mark.slow
def test_a_second_run_on_a_folder_being_written_is_refused_naming_the_first(tmp_path, reference):
    folder, wrote, go = tmp_path / "run", tmp_path / "wrote", tmp_path / "go"
    proc = _start_run(folder, workers=1)
    try:
        _wait_for_file(wrote, proc)  # the first run holds the folder and waits
        for args in (["run", "--resume", str(folder)], ["run", "baseline", "--out", str(folder), "--force"]):
            result = runner.invoke(app, [*args, "--reps", "2"] if "--force" in args else args)
            assert result.exit_code == 2, result.output
            assert f"in use by another tradesim run (process {proc.pid})" in result.output
    finally:
        go.touch()
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert_same_results(folder, reference)  # the first run was not disturbed


def test_two_writers_in_one_process_exclude_each_other(tmp_path):
    with FolderLock(tmp_path), pytest.raises(FolderBusy, match=f"process {os.getpid()}"):
        FolderLock(tmp_path).acquire()
    with FolderLock(tmp_path):  # released: free again
        pass


def test_force_on_a_used_folder_leaves_no_old_file(tmp_path, baseline):
    used, fresh = tmp_path / "used", tmp_path / "fresh"
    run_experiment(baseline, 6, 1, used, workers=1)
    (used / "plots").mkdir()
    (used / "plots" / "old.png").write_bytes(b"old")
    (used / "outcomes.csv.part").write_text("rep\n999\n")
    args = ["run", "baseline", "--reps", "3", "--seed", "2", "--workers", "1", "--no-plots", "-q"]
    assert runner.invoke(app, [*args, "--out", str(used), "--force"]).exit_code == 0
    assert runner.invoke(app, [*args, "--out", str(fresh)]).exit_code == 0

    def files(folder: Path) -> set[str]:
        return {str(p.relative_to(folder)) for p in folder.rglob("*")}

    assert files(used) == files(fresh)
    for table in ("outcomes.csv", "parameters.csv"):
        assert (used / table).read_bytes() == (fresh / table).read_bytes()


def test_force_refuses_a_folder_with_files_tradesim_did_not_write(tmp_path):
    (tmp_path / "thesis.docx").write_text("precious")
    result = runner.invoke(app, ["run", "baseline", "--reps", "1", "--out", str(tmp_path), "--force"])
    assert result.exit_code == 2 and "did not write" in result.output
    assert (tmp_path / "thesis.docx").read_text() == "precious"


def test_a_fresh_writer_removes_what_a_previous_run_left(tmp_path, baseline):
    run_experiment(baseline, 6, 1, tmp_path, workers=1)
    run_experiment(baseline, 2, 1, tmp_path, workers=1)
    assert len(read_results(tmp_path).series("backlog")) == 2
    names = sorted(p.name for p in (tmp_path / "series").iterdir())
    assert names and all(int(n[13:20]) <= 1 for n in names), names  # reps-FIRST...-LAST...npz
    assert (tmp_path / LOCK_FILE).is_file()


@pytest.mark.parametrize("name", ["/some/dir", "../../x", ".."])
def test_a_scenario_name_never_chooses_where_results_go(tmp_path, monkeypatch, write_scenario, name):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    path = write_scenario("evil", f'extends = "baseline"\nname = {json.dumps(name)}\ndescription = "x"\n')
    before = set(tmp_path.rglob("*"))
    args = ["--reps", "2", "--seed", "1", "--workers", "1", "--no-plots", "-q"]
    assert runner.invoke(app, ["run", str(path), *args]).exit_code == 0
    result = runner.invoke(app, ["compare", "baseline", str(path), *args, "--out", "cmp"])
    assert result.exit_code == 0, result.output
    made = set(tmp_path.rglob("*")) - before
    assert made and all(p.is_relative_to(work / "results") or p.is_relative_to(work / "cmp") for p in made)
    assert not Path("/some/dir").exists()
    manifest = json.loads((work / "cmp" / "manifest.json").read_text())
    assert all(Path(f).parent == Path("cmp") for f in manifest["folders"].values())


@pytest.mark.parametrize("out", ["/dev/null", "file"])
def test_out_must_be_a_folder(tmp_path, out):
    target = tmp_path / "file" if out == "file" else Path(out)
    if out == "file":
        target.write_text("keep")
    result = runner.invoke(app, ["run", "baseline", "--reps", "1", "--out", str(target)])
    assert result.exit_code == 2 and "is not a folder" in result.output
    if out == "file":
        assert target.read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_out_that_cannot_be_written_is_refused_before_running(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = runner.invoke(app, ["run", "baseline", "--reps", "1", "--out", str(locked / "r")])
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 2 and "cannot write there" in result.output and "EACCES" in result.output


def _read_only_mount() -> Path | None:
    for candidate in ("/sys", "/proc/sys", "/usr"):
        try:
            if os.statvfs(candidate).f_flag & os.ST_RDONLY:
                return Path(candidate)
        except OSError:
            continue
    return None


@pytest.mark.skipif(_read_only_mount() is None, reason="no read-only file system mounted here")
def test_out_on_a_read_only_file_system_is_refused(tmp_path):
    out = _read_only_mount() / "tradesim-r"
    result = runner.invoke(app, ["run", "baseline", "--reps", "1", "--out", str(out)])
    assert result.exit_code == 2 and "cannot write there" in result.output, result.output


def test_sizes_beyond_the_limits_are_refused(tmp_path):
    result = runner.invoke(app, ["run", "baseline", "--reps", "1000000000000", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and not (tmp_path / "r").exists()
    vary = "licensing.renewal_probability=0.1:0.9:1000000000"
    result = runner.invoke(app, ["sweep", "baseline", "--vary", vary, "--out", str(tmp_path / "s")])
    assert result.exit_code == 2 and "at most 10,000" in result.output


def test_workers_are_capped_at_the_cores_unless_forced(capsys):
    from sim.cli import ui
    from sim.core.limits import cores_available

    assert ui.workers_or_default(1000) == cores_available()
    assert ui.workers_or_default(1000, force=True) == 1000


@pytest.mark.parametrize("kind", ["fifo", "folder", "device", "no parent"])
def test_report_out_is_a_regular_file_or_a_new_path(tmp_path, reference, kind):
    special = {"device": Path("/dev/null"), "no parent": tmp_path / "nowhere" / "r.html"}
    target = special.get(kind, tmp_path / "t")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    result = runner.invoke(app, ["report", str(reference), "--out", str(target)])
    assert result.exit_code == 2, result.output
    assert kind != "fifo" or not target.is_file()
    assert not list(tmp_path.glob("*.tmp"))


# --- results from the code the manifest names ----------------------------------------------------


def _in_copy(package: Path, code: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(package.parent), XDG_CACHE_HOME=str(package.parent / "cache"))
    env.pop("NUMBA_CACHE_DIR", None)
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, env=env, cwd=package.parent, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_kernel_cache_and_manifest_hash_follow_every_source_they_depend_on(tmp_path):
    """An edit of a kernel another module calls (queue.serve_day, called by review) moves the cache."""
    import shutil

    copy = tmp_path / "sim"
    shutil.copytree(ROOT / "sim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    probe = "import sim.core.jit as j, sim.core.version as v; print(j._CACHE_DIR, v.source_hash())"
    before_dir, before_hash = _in_copy(copy, probe).split()
    with (copy / "model" / "licensing" / "queue.py").open("a") as fh:
        fh.write("\n# an edit\n")
    after_dir, after_hash = _in_copy(copy, probe).split()
    assert before_dir != after_dir and before_hash != after_hash
    assert Path(after_dir).parent == Path(before_dir).parent  # one cache folder, a subfolder per source
    assert not Path(after_dir).is_relative_to(copy)  # never inside the package (pip uninstall)
    with (copy / "cli" / "run.py").open("a") as fh:  # not kernel code: same kernels, other source
        fh.write("\n# an edit\n")
    cli_dir, cli_hash = _in_copy(copy, probe).split()
    assert cli_dir == after_dir and cli_hash != after_hash


def test_the_manifest_names_the_source_it_ran(reference):
    from sim.core.version import source_hash

    assert json.loads((reference / "manifest.json").read_text())["source_sha256"] == source_hash()


class _FakeClient:
    def __init__(self, hashes=None, error=None):
        self.hashes, self.error = hashes, error

    def run(self, func):
        if self.error:
            raise self.error
        return self.hashes


def test_dask_workers_with_other_code_are_refused_naming_both():
    from sim.core.version import source_hash
    from sim.experiments.run import check_worker_sources
    from sim.results.safe_io import ResultsError

    here = source_hash()
    check_worker_sources(_FakeClient({"tcp://a:1": here}))  # same code: accepted
    with pytest.raises(ResultsError, match=f"tcp://b:2 runs other.*source 0123456789ab.*source {here[:12]}"):
        check_worker_sources(_FakeClient({"tcp://a:1": here, "tcp://b:2": "0123456789abcdef"}))
    with pytest.raises(ResultsError, match="cannot run tradesim: ModuleNotFoundError"):
        check_worker_sources(_FakeClient(error=ModuleNotFoundError("No module named 'sim'")))


@linux_only
def test_a_forked_worker_does_not_hold_its_parents_lock(tmp_path):
    """Workers are forked while the run holds its lock: their copies are closed at once."""
    with FolderLock(tmp_path) as lock:
        pid = os.fork()
        if pid == 0:  # the child: is the lock file among its open files?
            held = any(
                os.path.realpath(f"/proc/self/fd/{fd}") == str(lock.path)
                for fd in os.listdir("/proc/self/fd")
            )
            os._exit(1 if held else 0)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_run_begun_by_other_code_is_not_resumed(tmp_path, baseline):
    from sim.experiments.run import resume_experiment
    from sim.results.safe_io import ResultsError

    run_experiment(baseline, 2, 1, tmp_path, workers=1)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest |= {"source_sha256": "0" * 64, "complete": False}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match=r"other tradesim code \(source 000000000000\)"):
        resume_experiment(tmp_path, workers=1)
