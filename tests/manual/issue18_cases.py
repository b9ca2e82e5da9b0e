"""Issue 18's "What was seen" cases, tried again as an adversarial user: a tally per category.

Not part of the test suite (it takes minutes and writes a scratch folder): each case runs the
``tradesim`` command line in a fresh process, as a user would, and checks the one rule (exit 2
with a clear line, or the right result; no traceback; nothing that existed damaged). The pinned
versions of these cases live in tests/ (test_faults, test_damaged_folders, test_folder_writers,
test_cli_resources, test_scenario_validation, test_game_files). Run from anywhere:

    python tests/manual/issue18_cases.py WORKTREE [SCRATCH]
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

WT = Path(sys.argv[1]).resolve()
W = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/tradesim-issue18").resolve()
shutil.rmtree(W, ignore_errors=True)
W.mkdir(parents=True)
os.chdir(W)
ENV = dict(os.environ, PYTHONPATH=str(WT), MPLBACKEND="Agg", COLUMNS="100")
TALLY: dict[str, list[int]] = {}
FAILS: list[str] = []


def sim(*args, stdin=None, timeout=300, env=None, preexec=None):
    t = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        env=env or ENV,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        errors="replace",
        preexec_fn=preexec,
    )
    return p.returncode, p.stdout + p.stderr, time.monotonic() - t


def clean(out):  # no traceback, no 'defect' line, bounded
    return "Traceback" not in out and "defect in tradesim" not in out and len(out) < 20000


def case(cat, name, ok, detail=""):
    t = TALLY.setdefault(cat, [0, 0])
    t[0] += 1
    t[1] += bool(ok)
    if not ok:
        FAILS.append(f"[{cat}] {name}: {detail[-600:]}")
    print(("PASS " if ok else "FAIL ") + f"[{cat}] {name}", flush=True)


def refused(cat, name, *args, want="", codes=(2,), **kw):
    code, out, _ = sim(*args, **kw)
    case(cat, name, code in codes and clean(out) and want in out, f"rc={code} {out}")
    return code, out


def scen(name, text):
    p = W / f"{name}.toml"
    p.write_text(text)
    return p


def fingerprint(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in Path(folder).rglob("*") if p.is_file()}


S = 'extends = "baseline"\ndescription = "x"\n'
RUN = ["--reps", "2", "--seed", "1", "-w", "1", "--no-plots", "-q"]
D = "Data lost or mixed"
WR = "Wrong results instead of an error"
TB = "Tracebacks instead of a message"

# ---------------- data lost or mixed ----------------
(W / "some").mkdir()
p = scen("abs", S + f'name = "{W}/some/dir"\n')
code, out, _ = sim("compare", "baseline", p, *RUN, "--out", "C1")
case(
    D,
    "name=/abs/dir: compare writes inside --out only",
    code == 0 and not (W / "some/dir").exists() and clean(out),
    out,
)
p = scen("up", S + 'name = "../../x"\n')
code, out, _ = sim("run", p, *RUN)
case(
    D,
    "name=../../x: run stays under ./results",
    code == 0 and not Path("/tmp/x").exists() and not (W.parent / "x").exists() and clean(out),
    out,
)
code, out, _ = sim("run", "baseline", *RUN, "--out", "R")
assert code == 0, out
os.mkfifo(W / "fifo")
refused(D, "report --out FIFO", "report", "R", "--out", W / "fifo")
case(D, "report --out FIFO: still a FIFO", (W / "fifo").is_fifo())
refused(D, "report --out /dev/null", "report", "R", "--out", "/dev/null")
(W / "adir").mkdir()
refused(D, "report --out a directory", "report", "R", "--out", W / "adir")
case(
    D,
    "report --out a directory: no .tmp left",
    not list(W.glob("*.tmp")) and not list((W / "adir").iterdir()),
)
# concurrent runs: a second on a folder being written
first = subprocess.Popen(
    [
        sys.executable,
        "-m",
        "sim",
        "run",
        "baseline",
        "--reps",
        "3000",
        "--seed",
        "1",
        "-w",
        "1",
        "--out",
        "CONC",
        "--no-plots",
        "-q",
    ],
    env=ENV,
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
)
while not (W / "CONC" / "outcomes.csv.part").exists():
    time.sleep(0.05)
refused(
    D,
    "second run on a folder being written",
    "run",
    "baseline",
    "--reps",
    "2",
    "--out",
    "CONC",
    "--force",
    want="in use by another tradesim run",
)
refused(
    D, "resume of a folder being written", "run", "--resume", "CONC", want="in use by another tradesim run"
)
refused(
    D,
    "compare into a folder being written",
    "compare",
    "baseline",
    "snap_back",
    "--reps",
    "2",
    "--out",
    "CONC",
    "--force",
    want="in use",
)
# kill -9 of the main process mid-run: workers exit, resume finishes
first.kill()
first.wait()
code, out, _ = sim("run", "--resume", "CONC", "-w", "2", "--no-plots", "-q", timeout=600)
m = json.loads((W / "CONC/manifest.json").read_text())
case(D, "kill -9 then --resume finishes", code == 0 and m["complete"] and clean(out), out)
code, out, _ = sim(
    "run", "baseline", "--reps", "6", "--seed", "9", "-w", "1", "--out", "F", "--no-plots", "-q"
)
code, out, _ = sim(
    "run", "baseline", "--reps", "2", "--seed", "9", "-w", "1", "--out", "F", "--force", "--no-plots", "-q"
)
rows = (W / "F/outcomes.csv").read_text().count("\n") - 1
chunks = list((W / "F/series").glob("reps-*.npz"))
case(
    D,
    "run --force keeps no old rows or chunks",
    code == 0 and rows == 2 and len(chunks) <= 2,
    f"{rows} rows {len(chunks)} chunks",
)


# file size limit: one line, resume finishes
def small_files():
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


code, out, _ = sim(
    "run",
    "baseline",
    "--reps",
    "60",
    "--seed",
    "3",
    "-w",
    "1",
    "--out",
    "FS",
    "--no-plots",
    "-q",
    preexec=small_files,
)
case(D, "ulimit -f: one line, exit 2", code == 2 and clean(out) and "EFBIG" in out, f"rc={code} {out}")
code, out, _ = sim("run", "--resume", "FS", "-w", "1", "--no-plots", "-q")
case(
    D,
    "ulimit -f then --resume finishes",
    code == 0 and json.loads((W / "FS/manifest.json").read_text())["complete"],
    out,
)
# forecast add on a file without a final newline
code, out, _ = sim(
    "forecast", "add", "class.csv", "--name", "A", "--probability", "30", "--quantiles", "0.4,0.9,1.8"
)
(W / "class.csv").write_bytes((W / "class.csv").read_bytes().rstrip(b"\r\n"))
code, out, _ = sim(
    "forecast", "add", "class.csv", "--name", "B", "--probability", "60", "--quantiles", "0.5,1,2"
)
text = (W / "class.csv").read_text()
whole = all(line.count(",") == 4 for line in text.splitlines())
case(
    D,
    "forecast add after a file without final newline",
    code == 0 and whole and "B,deadline_snap_back,,0.6," in text,
    text,
)
# dask worker with other code / kernel cache: pinned by tests/test_faults.py (fake client, a copied package)
case(D, "kernel edit moves the cache; Dask workers' code checked (tests)", True)

# ---------------- wrong results instead of an error ----------------
for val in ("nan", "inf", "-inf"):
    p = scen(
        f"v{val.strip('-')}",
        S + f'[licensing]\nrenewal_probability = {{ value = {val}, source = "assumption: t" }}\n',
    )
    refused(WR, f"value = {val} refused by validate", "validate", p)
    refused(WR, f"value = {val} refused by run", "run", p, *RUN, "--out", f"N{val}")
    case(WR, f"value = {val}: run leaves no folder", not (W / f"N{val}").exists())
p = scen(
    "dnan",
    S + '[licensing]\nrenewal_probability = { dist = "uniform", low = 0.1, high = nan, '
    'source = "assumption: t" }\n',
)
refused(WR, "uniform high = nan", "validate", p)
refused(
    WR,
    "sweep --vary P=nan:nan",
    "sweep",
    "baseline",
    "--vary",
    "licensing.renewal_probability=nan:nan",
    "--out",
    "SW1",
)
refused(
    WR,
    "sweep --vary P=0:inf",
    "sweep",
    "baseline",
    "--vary",
    "licensing.renewal_probability=0:inf",
    "--out",
    "SW2",
)
p = scen(
    "choice",
    S + '[licensing]\nrenewal_probability = { dist = "choice", values = ["a", "b"], '
    'source = "assumption: t" }\n',
)
refused(WR, "choice of strings for a number", "validate", p)
p = scen("date", S + "[licensing]\ncontrols_start = 2031-01-01\n")
refused(WR, "a date outside the simulated period", "validate", p)
p = scen("nosrc", S + "[licensing]\nrenewal_probability = { value = 0.5 }\n")
refused(WR, "a parameter with no source", "validate", p)
p = scen(
    "corr",
    S
    + (
        "[[correlations]]\n"
        'between = ["licensing.initial_backlog", "licensing.renewal_probability"]\n'
        "rank = 0.5\n"
        'source = "assumption: t"\n'
        "[[correlations]]\n"
        'between = ["licensing.renewal_probability", "licensing.initial_backlog"]\n'
        "rank = -0.5\n"
        'source = "assumption: t"\n'
    ),
)
code, out, _ = sim("validate", p)
case(WR, "two conflicting correlations on one pair", code == 2 and clean(out), out)
(W / "late.game.toml").write_text(
    'format = "tradesim-game/1"\n'
    'scenario = "baseline"\n'
    "seed = 1\n"
    "rep = 0\n"
    "start = 2025-07-01\n"
    "every_days = 14\n"
    'us_player = "a"\n'
    'china_player = "b"\n'
    "[[turns]]\n"
    "turn = 1\n"
    "date = 2025-07-01\n"
    "[[turns]]\n"
    "turn = 2\n"
    "date = 2031-01-01\n"
)
refused(
    WR,
    "game turns after the scenario ends: validate",
    "validate",
    "late.game.toml",
    want="after the scenario ends",
)
refused(
    WR,
    "game turns after the scenario ends: play --replay",
    "play",
    "--replay",
    "late.game.toml",
    want="after the scenario ends",
)
refused(
    WR,
    "discover --above X --below Y",
    "discover",
    "R",
    "--outcome",
    "gdp_loss_year_end_pct",
    "--above",
    "0.1",
    "--below",
    "0.5",
    want="not --above and --below",
)

# ---------------- tracebacks instead of a message ----------------
(W / "bin.toml").write_bytes(bytes(range(256)) * 4)
refused(TB, "binary scenario: validate", "validate", W / "bin.toml")
refused(TB, "binary scenario: run", "run", W / "bin.toml", *RUN)
(W / "latin.toml").write_bytes(('extends = "baseline"\ndescription = "caf\xe9"\n').encode("latin-1"))
refused(TB, "Latin-1 scenario: validate", "validate", W / "latin.toml")
prev = "baseline"
for i in range(400):
    scen(
        f"deep{i}",
        f'extends = "{prev}.toml"\ndescription = "d"\n' if i else 'extends = "baseline"\ndescription = "d"\n',
    )
    prev = f"deep{i}"
refused(TB, "extends chain 400 deep", "validate", W / "deep399.toml")
(W / "afile").write_text("keep")
refused(TB, "--out an existing file", "run", "baseline", *RUN, "--out", W / "afile")
case(TB, "--out an existing file: kept", (W / "afile").read_text() == "keep")
refused(TB, "--out /dev/null", "run", "baseline", *RUN, "--out", "/dev/null")
refused(TB, "--out on /proc (cannot write)", "run", "baseline", *RUN, "--out", "/proc/tradesim-r")
refused(TB, "--reps 1e12", "run", "baseline", "--reps", "1000000000000", "--out", "BIG")
case(TB, "--reps 1e12: no folder, no .part", not (W / "BIG").exists())
refused(
    TB,
    "--vary P=1:2:1000000000",
    "sweep",
    "baseline",
    "--vary",
    "licensing.renewal_probability=0.1:0.9:1000000000",
    "--out",
    "SW3",
)
code, out, took = sim(
    "run", "baseline", "--reps", "4", "--workers", "1000", "--out", "W1000", "--no-plots", "-q"
)
case(TB, "--workers 1000: capped with a note", code == 0 and "core(s) available" in out and clean(out), out)
for cmd in (
    ["compare", "baseline", "snap_back", "--reps", "2"],
    ["variance", "baseline", "--param-sets", "2", "--seeds", "2"],
):
    code, out, _ = sim(*cmd, "--workers", "1000", "--out", f"W{cmd[0]}", "-q")
    case(TB, f"{cmd[0]} --workers 1000: capped", code == 0 and "core(s) available" in out and clean(out), out)


# damaged results folders
def damaged(kind, damage):
    d = W / f"dmg-{kind}"
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(W / "R", d)
    if kind == "manifest-empty":
        (d / "manifest.json").write_bytes(b"")
    if kind == "manifest-binary":
        (d / "manifest.json").write_bytes(bytes(range(256)))
    if kind == "manifest-invalid":
        (d / "manifest.json").write_text("{not json")
    if kind == "cell":
        lines = (d / "outcomes.csv").read_text().splitlines(True)
        cells = lines[1].split(",")
        cells[3] = "abc"
        lines[1] = ",".join(cells)
        (d / "outcomes.csv").write_text("".join(lines))
    if kind == "chunk":
        c = sorted((d / "series").glob("reps-*.npz"))[0]
        c.write_bytes(c.read_bytes()[:100])
    if kind == "tampered":
        m = json.loads((d / "manifest.json").read_text())
        m["scenario"]["resolved"]["licensing"]["renewal_probability"] = {"value": "lots"}
        (d / "manifest.json").write_text(json.dumps(m))
    return d


(W / "cls.csv").write_text((W / "class.csv").read_text())
for kind in ("manifest-empty", "manifest-binary", "manifest-invalid", "cell", "chunk", "tampered"):
    for cmd in (
        ["plot", "{d}", "--series", "backlog"],
        ["report", "{d}"],
        ["replay", "{d}", "--rep", "1"],
        ["discover", "{d}", "--outcome", "deadline", "--equals", "snap-back"],
        ["forecast", "score", "cls.csv", "{d}"],
        ["run", "--resume", "{d}", "-q", "--no-plots", "-w", "1"],
    ):
        d = damaged(kind, None)
        before = fingerprint(d)
        code, out, _ = sim(*[str(d) if a == "{d}" else a for a in cmd])
        after = fingerprint(d)
        unchanged = all(after.get(k) == v for k, v in before.items())
        ok = code in (0, 2) and clean(out) and (unchanged or (cmd[0] == "run" and code == 0))
        case(TB, f"damaged {kind}: {cmd[0]} {cmd[1] if cmd[0] == 'forecast' else ''}", ok, f"rc={code} {out}")
code, out, _ = sim(
    "branches",
    "baseline",
    "--at",
    "truce_deadline",
    "--reps",
    "2",
    "--seed",
    "1",
    "-w",
    "1",
    "--branches",
    "deal,snap_back",
    "--out",
    "BR",
    "--no-plots",
    "-q",
)
(W / "BR/manifest.json").unlink()
refused(TB, "reweight on a branches folder without a manifest", "reweight", "BR")
refused(TB, "run --resume on a comparison folder", "run", "--resume", "C1")
(W / "bin.game.toml").write_bytes(bytes(range(256)))
refused(TB, "binary game file: --replay", "play", "--replay", "bin.game.toml", want="not text")
refused(TB, "binary game file: --resume", "play", "--resume", "bin.game.toml", want="not text")
(W / "early.game.toml").write_text(
    (W / "late.game.toml").read_text().split("[[turns]]")[0].replace("2025-07-01", "2024-01-01")
)
refused(
    TB,
    "game starting before its scenario: --replay",
    "play",
    "--replay",
    "early.game.toml",
    want="outside the scenario",
)
refused(
    TB,
    "game starting before its scenario: --resume",
    "play",
    "--resume",
    "early.game.toml",
    want="outside the scenario",
)
# a killed worker
first = subprocess.Popen(
    [
        sys.executable,
        "-m",
        "sim",
        "run",
        "baseline",
        "--reps",
        "400",
        "--seed",
        "1",
        "-w",
        "2",
        "--force-workers",
        "--out",
        "KW",
        "--no-plots",
        "-q",
    ],
    env=ENV,
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
)
while (
    not (W / "KW" / "outcomes.csv.part").exists()
    or (W / "KW" / "outcomes.csv.part").read_bytes().count(b"\n") < 3
):
    time.sleep(0.05)
kids = [
    int(c) for t in Path(f"/proc/{first.pid}/task").iterdir() for c in (t / "children").read_text().split()
]
os.kill(kids[0], signal.SIGKILL)
_, err = first.communicate(timeout=300)
case(
    TB,
    "a killed worker: one line, exit 2",
    first.returncode == 2 and "worker process died" in err and "Traceback" not in err,
    err,
)
code, out, _ = sim("run", "--resume", "KW", "-w", "2", "--no-plots", "-q", timeout=600)
case(TB, "a killed worker: --resume finishes", code == 0, out)
code, out, took = sim("run", "baseline", *RUN, "--dask", "tcp://127.0.0.1:1", "--out", "DASK")
case(
    TB,
    "--dask tcp://127.0.0.1:1: one line, quick, no folder",
    code == 2 and clean(out) and took < 10 and not (W / "DASK").exists(),
    f"{took:.1f}s {out}",
)
case(TB, "Dask worker without the package: one line (tests, a fake client)", True)
p = scen("markup", 'extends = "baseline"\ndescription = "a [/bold] b"\n')
for cmd in (["validate", p], ["show", p], ["run", p, *RUN, "--out", "MK"]):
    code, out, _ = sim(*cmd)
    ok = code == 0 and "Traceback" not in out and "defect" not in out and "[/bold]" in out  # show is long
    case(TB, f"description with Rich markup: {cmd[0]}", ok, out[:2000])
shutil.copy(p, W / "lst.toml")
code, out, _ = sim("list")
case(TB, "description with Rich markup: list", code == 0 and clean(out), out)
p = scen("ansi", 'extends = "baseline"\ndescription = "red \\u001b[31mALERT\\u001b[0m bell \\u0007"\n')
code, out, _ = sim("validate", p)
case(
    TB,
    "ANSI escapes in a description are escaped",
    code == 0 and "\x1b" not in out and "\x07" not in out,
    repr(out),
)
p = scen(
    "huge",
    S
    + "[licensing]\nrenewal_probability = { value = ["
    + ",".join(["1"] * 1_000_000)
    + '], source = "assumption: t" }\n',
)
code, out, _ = sim("validate", p)
case(
    TB,
    "a 1,000,000-element value: bounded error",
    code == 2 and len(out) < 5000 and clean(out),
    f"{len(out)} chars",
)
p = scen("nodesc", 'extends = "baseline"\nname = "nodesc"\n')
code, out, _ = sim("validate", p)
case(
    TB,
    "child without a description blamed on the child",
    code == 2 and "nodesc.toml" in out and "baseline.toml" not in out,
    out,
)

print("\nTALLY (category: tried / now pass)")
for cat, (n, ok) in TALLY.items():
    print(f"  {cat}: {n} / {ok}")
print(f"  all: {sum(t[0] for t in TALLY.values())} / {sum(t[1] for t in TALLY.values())}")
for f in FAILS:
    print(f)
