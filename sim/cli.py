"""The ``tradesim`` command (also ``python -m sim``).

Thin by design: each command parses its options, calls one library function
and renders the result. Anything the CLI does can be done from Python with
the same functions (see the notebooks).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim import __version__
from sim.experiment import default_workers, new_master_seed, run_experiment
from sim.loader import ScenarioError, list_scenarios, load_scenario
from sim.results import read_results
from sim.summary import summarise

app = typer.Typer(
    name="tradesim",
    help="Monte Carlo simulator of the 2025 US-China rare-earth standoff.\n\n"
    "Start with `tradesim list`, then `tradesim run baseline`.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
# Rich assumes 80 columns when output is not a terminal: too narrow for the outcome table.
out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)


def _fail(problems: ScenarioError | str, code: int = 2) -> None:
    lines = problems.problems if isinstance(problems, ScenarioError) else [problems]
    for line in lines:
        err.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


#: ``--dask``: every command that runs many replications can send them to a Dask cluster.
DaskOption = Annotated[
    str | None,
    typer.Option(help="Run on a Dask cluster: its scheduler address, or `local` to start one here."),
]


#: ``--series``: which daily series a run keeps on disk (outcomes and parameters are always kept).
SeriesOption = Annotated[
    str,
    typer.Option(
        "--series",
        help="Daily series kept: `all` (every replication's path: fan charts, `plot --paths`, "
        "calibration), `quantiles` (daily 1-99% quantiles only: fan charts, a few hundred KB), "
        "`none` (outcomes only), or `auto`: all up to 1,000 replications, quantiles beyond.",
    ),
]


def _load(ref: str):
    """A scenario by name or path, or exit 2 with its problems."""
    try:
        return load_scenario(ref)
    except ScenarioError as exc:
        _fail(exc)


def _empty_folder(folder: Path, force: bool = False) -> Path:
    """Refuse to write into a non-empty folder unless forced: earlier results are never mixed in."""
    if folder.exists() and any(folder.iterdir()) and not force:
        _fail(f"{folder}: folder exists and is not empty (choose another --out, or --force)")
    return folder


def _progress(label: str, quiet: bool = False) -> Progress:
    """A progress bar on stderr that disappears when done."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )


def _version(value: bool) -> None:
    if value:
        out.print(f"tradesim {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Monte Carlo simulator of the 2025 US-China rare-earth standoff."""


@app.command("list", epilog="Example: `tradesim list`")
def list_command() -> None:
    """List the scenarios in `scenarios/` with a one-line description each."""
    table = Table(title="Scenarios", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("extends")
    table.add_column("description")
    for path in list_scenarios():
        try:
            s = load_scenario(path)
            table.add_row(s.name, s.spec.extends or "", s.spec.description)
        except ScenarioError as exc:
            table.add_row(path.stem, "", f"[red]invalid: {exc.problems[0].message}[/]")
    out.print(table)


@app.command(epilog="Examples: `tradesim validate scenarios/*.toml` · `tradesim validate my_what_if.toml`")
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or names to check.")],
) -> None:
    """Check scenario files: keys, types, ranges, dates, parent scenarios and sources.

    Exits with code 2 and one line per problem (file, key, what is allowed) if any is wrong.
    """
    bad = 0
    for ref in files:
        try:
            s = load_scenario(ref)
        except ScenarioError as exc:
            bad += 1
            for p in exc.problems:
                err.print(f"[bold red]error:[/] {p}", highlight=False, soft_wrap=True)
            continue
        out.print(f"[green]ok[/] {s.path} ({s.name}: {s.spec.description})", highlight=False)
    if bad:
        raise typer.Exit(2)


@app.command(
    epilog="Examples: `tradesim run baseline` · "
    "`tradesim run baseline --reps 1000 --seed 7 --workers 2 --out results/base7` · "
    "`tradesim run my_what_if.toml --reps 50` · "
    "`tradesim run baseline --reps 20000 --series quantiles` · `tradesim run --resume results/base7`"
)
def run(
    scenario: Annotated[
        str | None, typer.Argument(help="A scenario name from `tradesim list`, or a path.")
    ] = None,
    reps: Annotated[int, typer.Option("--reps", "-n", min=1, help="Replications to run.")] = 200,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Master seed. Same seed, same results. Default: a fresh one."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Local processes. Default: all cores."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder. Default: results/SCENARIO-TIMESTAMP."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Write into an existing, non-empty results folder.")] = False,
    plots: Annotated[bool, typer.Option(help="Draw the default plots after the run.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    dask: DaskOption = None,
    series: SeriesOption = "auto",
    resume: Annotated[
        Path | None,
        typer.Option(help="Finish an interrupted run in this folder (its own scenario, seed and settings)."),
    ] = None,
) -> None:
    """Run a Monte Carlo experiment of a scenario and summarise its outcomes.

    Prints the median and 90% interval of every outcome and writes a results folder:
    tidy CSV tables (outcomes, sampled parameters), daily series (`series/`, see
    `--series`), a manifest and plots. Results are written as replications finish;
    Ctrl-C stops cleanly and keeps every finished replication; `--resume DIR` finishes
    the run without recomputing them.
    """
    from sim.experiment import resume_experiment
    from sim.results import ResultsError
    from sim.series_store import resolve_kept

    n_workers = workers or default_workers()
    if resume is not None:
        folder = resume
        try:
            previous = read_results(folder)
        except (ResultsError, FileNotFoundError) as exc:
            _fail(f"cannot resume: {exc}")
        manifest = previous.manifest
        if "reps_requested" not in manifest:
            _fail(f"{folder}: not a results folder of `tradesim run` (nothing to resume)")
        done = len(previous.outcomes.get("rep", []))
        reps = int(manifest["reps_requested"])
        out.print(
            f"[bold]{manifest['scenario']['name']}[/]: resuming {folder}: {done} of {reps} replications "
            f"on disk, seed {manifest['master_seed']}, {n_workers} worker(s)",
            highlight=False,
        )
    else:
        if scenario is None:
            _fail("run needs a SCENARIO (or --resume DIR)")
        try:
            kept = resolve_kept(series, reps)
        except ValueError as exc:
            _fail(str(exc))
        loaded = _load(scenario)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = _empty_folder(out_dir or Path("results") / f"{loaded.name}-{stamp}", force)
        master_seed = new_master_seed() if seed is None else seed
        done = 0
        out.print(
            f"[bold]{loaded.name}[/]: {loaded.spec.description}\n"
            f"{reps} replications, seed {master_seed}, {n_workers} worker(s), daily series: {kept} "
            f"-> {folder}",
            highlight=False,
        )
    with _progress("simulating replications", quiet) as bar:
        task = bar.add_task("run", total=reps, completed=done)
        advance = lambda k: bar.advance(task, k)  # noqa: E731 - a one-line callback
        try:
            if resume is not None:
                report = resume_experiment(folder, n_workers, progress=advance, dask=dask)
            else:
                report = run_experiment(
                    loaded, reps, master_seed, folder, n_workers, progress=advance, dask=dask, series=kept
                )
        except ResultsError as exc:
            _fail(str(exc))
    if report.reps_completed == 0:
        _fail(f"interrupted before any replication finished; {folder} holds empty tables", 130)
    results = read_results(folder)
    _print_summary(results)
    if plots:
        from sim.plots import draw_default_plots

        for path in draw_default_plots(results):
            out.print(f"plot: {path}", highlight=False)
    out.print(f"results: {folder}", highlight=False)
    if report.interrupted:
        err.print(
            f"[yellow]interrupted:[/] kept {report.reps_completed} of {reps} replications "
            f"(manifest marked incomplete); finish with `tradesim run --resume {folder}`",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(130)


@app.command(epilog="Examples: `tradesim sources` · `tradesim sources --figure magnet_price_rise_may_2025`")
def sources(
    figure: Annotated[
        str | None, typer.Option("--figure", "-f", help="Show one figure and everything that uses it.")
    ] = None,
) -> None:
    """List the figures taken from the source articles (the registry in `seeds/`).

    Each figure has an id, a value and unit, the article it comes from, what it
    measures (in our words), how reliable it is, and which scenario parameters and
    calibration targets use it.
    """
    from sim.calibration import load_targets
    from sim.figures import load_registry

    registry = load_registry().figures
    targets = load_targets()
    if figure is not None:
        if figure not in registry:
            _fail(f"no figure {figure!r} in the registry (see `tradesim sources`)")
        f = registry[figure]
        value = f.value.isoformat() if hasattr(f.value, "isoformat") else f.value
        out.print(f"[bold]{figure}[/]", highlight=False)
        lines = [
            ("value", f"{value} {f.unit}" if f.unit != "qualitative" else str(value)),
            ("range (our reading)", f"{f.low} - {f.high}" if f.low is not None else "-"),
            ("source file", f.source_file),
            ("measures", f.measures),
            ("reliability", f.reliability),
            ("note", f.note or "-"),
        ]
        for key, text in lines:
            out.print(f"  {key + ':':<21}{text}", highlight=False, soft_wrap=True)
        uses = f.used_by or ["(no scenario parameter)"]
        out.print("  used by parameters:", highlight=False)
        for use in uses:
            out.print(f"    {use}", highlight=False)
        checked = [name for name, t in targets.items() if t.figure == figure]
        out.print(f"  calibration targets: {', '.join(checked) if checked else '-'}", highlight=False)
        return
    table = Table(title="Figures from the source articles (seeds/figures.toml)", title_justify="left")
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", no_wrap=True)
    table.add_column("reliability", no_wrap=True)
    table.add_column("used by", justify="right")
    table.add_column("measures", overflow="fold")
    for fid, f in registry.items():
        value = f.value.isoformat() if hasattr(f.value, "isoformat") else f.value
        shown = str(value) if f.unit == "qualitative" else f"{value} {f.unit}"
        n_targets = sum(t.figure == fid for t in targets.values())
        used = f"{len(f.used_by)} params" + (f", {n_targets} target(s)" if n_targets else "")
        table.add_row(fid, shown, f.source_file[:3], f.reliability, used, f.measures)
    out.print(table)


@app.command(epilog="Examples: `tradesim show baseline` · `tradesim show scenarios/no_deal.toml`")
def show(
    scenario: Annotated[str, typer.Argument(help="A scenario name from `tradesim list`, or a path.")],
) -> None:
    """Print a scenario as resolved: every parameter, its value or distribution, and its source.

    Parameters inherited through `extends` are shown with the file that set them.
    """
    from sim.sampling import iter_parameters

    loaded = _load(scenario)
    table = Table(
        title=f"{loaded.name}: {loaded.spec.description}",
        title_justify="left",
    )
    table.add_column("parameter", style="bold", overflow="fold")
    table.add_column("value or distribution", overflow="fold")
    table.add_column("source", overflow="fold")
    table.add_column("set in", no_wrap=True)
    for path, dist in iter_parameters(loaded.spec):
        origin = loaded.origins.get(path, "")
        table.add_row(path, dist.describe(), dist.source or "-", Path(origin).stem if origin else "-")
    for c in loaded.spec.correlations:
        table.add_row(f"rank correlation: {c.between[0]} ~ {c.between[1]}", f"{c.rank:+.2f}", c.source, "-")
    out.print(table)


@app.command(epilog="Examples: `tradesim calibrate` · `tradesim calibrate baseline --reps 400 --workers 2`")
def calibrate(
    scenarios: Annotated[
        list[str] | None, typer.Argument(help="Only the targets of these scenarios (default: all).")
    ] = None,
    reps: Annotated[int, typer.Option("--reps", "-n", min=2, help="Replications per scenario.")] = 100,
    seed: Annotated[int, typer.Option(min=0, help="Master seed (fixed, so CI runs are stable).")] = 1,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Local processes. Default: all cores.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Keep the results folders here (default: discarded).")
    ] = None,
    dask: DaskOption = None,
) -> None:
    """Compare the model with the figures reported in the sources.

    For each calibration target (`seeds/calibration.toml`) it runs the target's
    scenario, computes the same quantity from the results tables, and prints the
    figure beside the model's median and 90% interval, with whether the figure is
    inside. Unverified and contradicted figures are shown, never checked. Exits 1
    when a reliable target falls outside, so CI can run it.
    """
    import tempfile

    from sim.calibration import evaluate, failures, load_targets

    targets = load_targets()
    wanted = sorted({t.scenario for t in targets.values()})
    if scenarios:
        unknown = [s for s in scenarios if s not in wanted]
        if unknown:
            _fail(f"no calibration targets for {', '.join(unknown)} (targets cover: {', '.join(wanted)})")
        wanted = [s for s in wanted if s in scenarios]
    n_workers = workers or default_workers()
    with tempfile.TemporaryDirectory(prefix="tradesim-calibrate-") as tmp:
        base = out_dir or Path(tmp)
        results = {}
        for name in wanted:
            loaded = _load(name)
            folder = _empty_folder(base / name)
            with _progress(f"{name:<20}") as bar:
                task = bar.add_task("run", total=reps)
                run_experiment(
                    loaded,
                    reps,
                    seed,
                    folder,
                    n_workers,
                    progress=lambda k, t=task: bar.advance(t, k),
                    dask=dask,
                )
            results[name] = read_results(folder)
        rows = evaluate(targets, results)
    table = Table(
        title=f"Calibration: figures from the sources beside the model ({reps} replications, seed {seed})",
        title_justify="left",
        caption="Figures: `tradesim sources --figure ID`. Quantities are computed from the results tables.",
        caption_justify="left",
    )
    table.add_column("target\n[dim]scenario: model quantity[/]", overflow="fold", min_width=28)
    table.add_column("figure\n[dim]reliability[/]", overflow="fold", min_width=11, max_width=13)
    for column in ("median", "5%", "95%"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("check", overflow="fold", min_width=12, max_width=16)
    table.add_column("result", no_wrap=True, min_width=10)
    colour = {"inside": "green", "outside": "red", "shown only": "yellow"}
    notes = []
    for r in rows:
        table.add_row(
            f"[bold]{r.target}[/]\n[dim]{r.scenario}: {r.quantity}[/]",
            f"{r.figure_value}\n[dim]{r.reliability}[/]",
            r.median,
            r.low,
            r.high,
            r.check,
            f"[{colour[r.status]}]{r.status}[/]",
        )
        if r.reason:
            notes.append(f"  {r.target}: {r.reason}")
    out.print(table)
    if notes:
        out.print("Notes:\n" + "\n".join(notes), highlight=False)
    missed = failures(rows)
    if missed:
        err.print(f"[red]{len(missed)} reliable target(s) outside:[/] {', '.join(r.target for r in missed)}")
        raise typer.Exit(1)


@app.command(
    name="compare",
    epilog="Examples: `tradesim compare baseline deal_by_deadline snap_back --reps 200 --seed 1` · "
    "`tradesim compare baseline green_channel -n 50 --out results/green`",
)
def compare_command(
    scenarios: Annotated[
        list[str], typer.Argument(help="Two or more scenarios; the first is the reference.")
    ],
    reps: Annotated[int, typer.Option("--reps", "-n", min=2, help="Replications per scenario.")] = 200,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed, shared by every scenario. Default: a fresh one.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Local processes. Default: all cores.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Comparison folder. Default: results/compare-TIMESTAMP."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Write into an existing, non-empty folder.")] = False,
    plots: Annotated[bool, typer.Option(help="Draw the comparison plots.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    dask: DaskOption = None,
    series: SeriesOption = "auto",
) -> None:
    """Run several scenarios on common random numbers and compare their outcomes.

    Replication i of every scenario shares its random streams and the draws of
    every parameter the scenarios have in common, so each scenario's shift against
    the first is taken replication by replication (a paired difference, shown as
    its median and 90% interval). Writes one results folder per scenario (with its
    daily series, see `--series`), the outcome and parameter tables with a `scenario`
    column, `comparison.csv` and plots.
    """
    from sim.compare import compare, format_diff, format_value, write_combined_tables
    from sim.series_store import resolve_kept

    if len(scenarios) < 2:
        _fail("compare needs at least two scenarios")
    try:
        kept = resolve_kept(series, reps)
    except ValueError as exc:
        _fail(str(exc))
    if len(set(scenarios)) < len(scenarios):
        _fail("each scenario may appear once")
    loaded = {}
    for name in scenarios:
        spec = _load(name)
        loaded[spec.name] = spec
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _empty_folder(out_dir or Path("results") / f"compare-{stamp}", force)
    master_seed = new_master_seed() if seed is None else seed
    n_workers = workers or default_workers()
    out.print(
        f"comparing {', '.join(loaded)}: {reps} replications each, seed {master_seed}, "
        f"{n_workers} worker(s) -> {folder}",
        highlight=False,
    )
    results = {}
    for name, spec in loaded.items():
        with _progress(f"{name:<22}", quiet) as bar:
            task = bar.add_task("run", total=reps)
            report = run_experiment(
                spec,
                reps,
                master_seed,
                folder / name,
                n_workers,
                progress=lambda k, t=task: bar.advance(t, k),
                dask=dask,
                series=kept,
            )
        if report.interrupted:
            _fail(f"interrupted during {name}; finished scenarios are in {folder}", 130)
        results[name] = read_results(folder / name)
    rows = compare(results)
    write_combined_tables(folder, results, rows)
    names = list(results)
    table = Table(
        title=f"Outcomes by scenario: median (5%-95%); below, the paired shift against {names[0]}",
        title_justify="left",
        caption="Yes/no outcomes: share of replications; shifts in percentage points.",
        caption_justify="left",
    )
    table.add_column("outcome", style="bold", overflow="fold", min_width=24)
    for name in names:
        table.add_column(name, justify="right", overflow="fold")
    by_outcome: dict[str, list] = {}
    for row in rows:
        by_outcome.setdefault(row.outcome, []).append(row)
    for outcome, cells in by_outcome.items():
        kind = cells[0].kind
        texts = []
        for c in cells:
            text = (
                f"{format_value(c.median, kind)} ({format_value(c.low, kind)}-{format_value(c.high, kind)})"
            )
            if c.scenario != names[0]:
                text += (
                    f"\n[dim]{format_diff(c.diff_median, kind)} "
                    f"({format_diff(c.diff_low, kind)} to {format_diff(c.diff_high, kind)})[/]"
                )
            texts.append(text)
        table.add_row(f"{outcome}\n[dim]{cells[0].unit}[/]", *texts)
    out.print(table)
    if plots:
        from sim.plots import draw_comparison_plots

        for path in draw_comparison_plots(results, folder):
            out.print(f"plot: {path}", highlight=False)
    out.print(f"results: {folder} (comparison.csv, one folder per scenario)", highlight=False)


@app.command(
    epilog="Examples: `tradesim plot results/baseline-20251123` · "
    "`tradesim plot results/base --series stock_auto` · "
    "`tradesim plot results/base --outcome gdp_loss_q3_pct` · `tradesim plot results/base --list`"
)
def plot(
    folder: Annotated[Path, typer.Argument(help="A results folder from `run` or `compare`.")],
    series: Annotated[
        str | None, typer.Option("--series", "-s", help="Draw one daily series as a fan chart.")
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="Draw one scalar outcome (histogram; side by side for a comparison)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="png or svg.")] = "png",
    paths: Annotated[
        int,
        typer.Option(
            "--paths", min=0, max=12, help="With --series: also draw this many single replications."
        ),
    ] = 0,
    list_only: Annotated[bool, typer.Option("--list", help="List what can be drawn.")] = False,
) -> None:
    """Redraw figures from a saved results folder, without re-running the model.

    With no option it redraws every default figure into FOLDER/plots. `--series`
    draws a fan chart (median, 50% and 90% bands over calendar dates, key dates
    marked); `--outcome` a histogram, or violins side by side for a comparison.
    """
    import json

    from sim.plots import (
        draw_comparison_plots,
        draw_default_plots,
        fan_chart,
        outcome_histogram,
        outcome_violins,
    )
    from sim.results import ResultsError

    if fmt not in ("png", "svg"):
        _fail(f"--format must be png or svg, got {fmt!r}")
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        _fail(f"{folder}: not a results folder (no manifest.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    try:
        if "comparison" in manifest:
            results = {name: read_results(Path(path)) for name, path in manifest["folders"].items()}
            first = next(iter(results.values()))
            if list_only:
                _list_drawable(first, comparison=True)
                return
            if outcome:
                drawn = [outcome_violins(results, outcome, folder / "plots" / f"{outcome}_by_scenario.{fmt}")]
            elif series:
                drawn = [
                    fan_chart(r, series, folder / "plots" / f"{series}_{name}_fan.{fmt}")
                    for name, r in results.items()
                ]
            else:
                drawn = draw_comparison_plots(results, folder, fmt)
        else:
            results_one = read_results(folder)
            if list_only:
                _list_drawable(results_one, comparison=False)
                return
            if series:
                suffix = f"_{paths}paths" if paths else ""
                drawn = [
                    fan_chart(
                        results_one,
                        series,
                        folder / "plots" / f"{series}_fan{suffix}.{fmt}",
                        sample_paths=paths,
                    )
                ]
            elif outcome:
                drawn = [outcome_histogram(results_one, outcome, folder / "plots" / f"{outcome}_hist.{fmt}")]
            else:
                drawn = draw_default_plots(results_one, fmt)
    except ResultsError as exc:
        _fail(str(exc))
    for path in drawn:
        out.print(f"plot: {path}", highlight=False)


@app.command(
    epilog="Examples: `tradesim replay results/baseline-20251123 --rep 17` · "
    "`tradesim replay results/cmp/snap_back --rep 3`"
)
def replay(
    folder: Annotated[
        Path, typer.Argument(help="A results folder from `run` (or one scenario of `compare`).")
    ],
    rep: Annotated[int, typer.Option("--rep", "-r", min=0, help="The replication to re-run.")],
) -> None:
    """Re-run exactly one replication from a saved results folder and print its story.

    The manifest holds the scenario as resolved and the master seed, so the
    replication is rebuilt with the same parameters and random streams; its
    outcomes are checked against the saved row. Then its event log: policy
    events, decisions, tariff changes, halts and restarts, with dates.
    """
    from sim.replay import event_log
    from sim.replay import replay as replay_one
    from sim.results import ResultsError

    try:
        replayed = replay_one(folder, rep)
    except (ResultsError, FileNotFoundError) as exc:
        _fail(str(exc))
    model = replayed.model
    out.print(
        f"[bold]{model.scenario.name}[/], replication {rep} (master seed {replayed.master_seed})",
        highlight=False,
    )
    if replayed.mismatches:
        err.print(
            f"[yellow]warning:[/] {len(replayed.mismatches)} outcome(s) differ from the saved row "
            f"(results written by another version?): {', '.join(replayed.mismatches[:6])}"
        )
    else:
        out.print("re-run matches the saved outcomes exactly", highlight=False)
    table = Table(title="What happened", title_justify="left")
    table.add_column("date", no_wrap=True)
    table.add_column("subsystem", no_wrap=True)
    table.add_column("event", overflow="fold")
    for event in event_log(model):
        table.add_row(event.date.isoformat(), event.subsystem, event.text)
    out.print(table)


@app.command(
    epilog="Examples: `tradesim diff baseline snap_back` · "
    "`tradesim diff baseline my_what_if.toml --reps 100`"
)
def diff(
    scenario_a: Annotated[str, typer.Argument(help="The reference scenario (name or path).")],
    scenario_b: Annotated[str, typer.Argument(help="The scenario compared with it.")],
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=0, help="Also run both and show paired outcome shifts.")
    ] = 0,
    seed: Annotated[int, typer.Option(min=0, help="Master seed for --reps.")] = 1,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="Local processes.")] = None,
) -> None:
    """What differs between two scenarios: parameters (with sources), and with --reps, outcomes.

    Plain text that reads well in a code review. Outcome shifts are paired on
    common random numbers: median and 90% interval of B minus A, replication
    by replication.
    """
    import tempfile

    from sim.compare import compare, format_diff, format_value
    from sim.sampling import iter_parameters

    a, b = _load(scenario_a), _load(scenario_b)
    pa = {path: d for path, d in iter_parameters(a.spec)}
    pb = {path: d for path, d in iter_parameters(b.spec)}
    changed = []
    for path in sorted(set(pa) | set(pb)):
        da, db = pa.get(path), pb.get(path)
        if da is not None and db is not None and da.describe() == db.describe() and da.source == db.source:
            continue
        changed.append((path, da, db))
    lines = [f"--- {a.name}", f"+++ {b.name}", f"{len(changed)} parameter(s) differ"]
    for path, da, db in changed:
        lines.append(f"  {path}")
        lines.append(f"    - {da.describe()}   ({da.source})" if da else "    - (absent)")
        lines.append(f"    + {db.describe()}   ({db.source})" if db else "    + (absent)")
    for line in lines:
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    if reps < 2:
        return
    with tempfile.TemporaryDirectory(prefix="tradesim-diff-") as tmp:
        results = {}
        for loaded in (a, b):
            run_experiment(
                loaded, reps, seed, Path(tmp) / loaded.name, workers or default_workers(), series="none"
            )
            results[loaded.name] = read_results(Path(tmp) / loaded.name)
        rows = [r for r in compare(results) if r.scenario == b.name]
    out.print(f"\noutcome shifts, {b.name} minus {a.name}, paired ({reps} replications, seed {seed}):")
    for r in rows:
        if r.diff_low == 0 and r.diff_high == 0:
            continue  # unchanged in every replication
        out.print(
            f"  {r.outcome:<42} {format_diff(r.diff_median, r.kind):>12}"
            f"  ({format_diff(r.diff_low, r.kind)} to {format_diff(r.diff_high, r.kind)})"
            f"   now {format_value(r.median, r.kind)} {r.unit}",
            highlight=False,
        )


@app.command(
    epilog="Examples: `tradesim report results/baseline-20251123` · "
    "`tradesim report results/base --out workshop.html`"
)
def report(
    folder: Annotated[Path, typer.Argument(help="A results folder from `run`.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write it. Default: FOLDER/report.html.")
    ] = None,
) -> None:
    """Write one self-contained HTML report of a results folder, to email or project.

    Figures are embedded and nothing is fetched from the network: the scenario
    description, the outcome table, the figures and every parameter with its source.
    """
    from sim.report import write_report
    from sim.results import ResultsError

    try:
        results = read_results(folder)
        if "comparison" in results.manifest:
            _fail(f"{folder}: a comparison folder; report one of its scenario folders")
        path = write_report(results, out_file)
    except (ResultsError, FileNotFoundError) as exc:
        _fail(str(exc))
    out.print(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)", highlight=False)


@app.command(
    epilog="Examples: `tradesim sensitivity baseline --outcome gdp_loss_year_end_pct` · "
    "`tradesim sensitivity baseline --method sobol --samples 64 --outcome halted_plant_days_auto -w 2` · "
    "`tradesim sensitivity --resume results/sensitivity_baseline_gdp_loss_year_end_pct_morris`"
)
def sensitivity(
    scenario: Annotated[
        str | None, typer.Argument(help="A scenario name from `tradesim list`, or a path.")
    ] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="The scalar outcome to explain.")] = None,
    method: Annotated[
        str, typer.Option(help="morris (screening, cheap) or sobol (variance shares).")
    ] = "morris",
    samples: Annotated[
        int,
        typer.Option(
            "--samples", "-n", min=2, help="Trajectories (Morris) or base samples (Sobol, a power of 2)."
        ),
    ] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the design and of the model's streams.")] = 1,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Local processes. Default: all cores.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the table and chart. Default: results/.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="Parameters to show.")] = 15,
    dask: DaskOption = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Finish an interrupted analysis: its runs folder (OUT/sensitivity_...)."),
    ] = None,
) -> None:
    """Rank a scenario's uncertain parameters by their influence on one outcome (SALib).

    Each parameter varies over its own distribution (1st to 99th percentile). Every model
    run uses the same random streams, so the ranking reflects the parameters, not luck.
    Writes `sensitivity_SCENARIO_OUTCOME_METHOD.csv` (indices), a tornado chart, and a
    folder of the same name holding every model run as it finishes: Ctrl-C keeps them,
    `--resume FOLDER` runs only the rest.
    """
    import csv
    import json

    from sim.outcomes import OUTCOMES
    from sim.plots import tornado
    from sim.results import scenario_from_manifest
    from sim.sampling import uncertain_parameters
    from sim.sensitivity import SensitivityInterrupted, fmt, run_sensitivity, runs_needed

    if resume is not None:
        manifest_path = resume / "manifest.json"
        if not manifest_path.is_file():
            _fail(f"{resume}: not a sensitivity runs folder (no manifest.json)")
        saved = json.loads(manifest_path.read_text(encoding="utf-8"))
        if "sensitivity" not in saved:
            _fail(f"{resume}: not a sensitivity runs folder")
        spec = scenario_from_manifest(saved)
        name = saved["scenario"]["name"] or resume.name
        outcome, method = saved["sensitivity"]["outcome"], saved["sensitivity"]["method"]
        samples, seed = int(saved["sensitivity"]["samples"]), int(saved["seed"])
        folder = resume.parent
    else:
        if scenario is None or outcome is None:
            _fail("sensitivity needs a SCENARIO and --outcome (or --resume FOLDER)")
        loaded = _load(scenario)
        spec, name, folder = loaded.spec, loaded.name, out_dir or Path("results")
    if method not in ("morris", "sobol"):
        _fail(f"--method must be morris or sobol, got {method!r}")
    if outcome not in OUTCOMES:
        _fail(f"unknown outcome {outcome!r}; one of: {', '.join(OUTCOMES)}")
    if method == "sobol" and samples & (samples - 1):
        _fail(f"--samples must be a power of 2 for sobol (got {samples})")
    k = len(uncertain_parameters(spec))
    total = runs_needed(k, samples, method)  # type: ignore[arg-type]
    n_workers = workers or default_workers()
    stem = f"sensitivity_{name}_{outcome}_{method}"
    runs = folder / stem
    out.print(
        f"{name}: {method} on {k} uncertain parameters, {total} model runs, {n_workers} worker(s) -> {runs}",
        highlight=False,
    )
    with _progress("simulating") as bar:
        task = bar.add_task("run", total=total)
        try:
            result = run_sensitivity(
                spec,
                outcome,
                method,  # type: ignore[arg-type]
                samples,
                seed,
                n_workers,
                progress=lambda n: bar.advance(task, n),
                dask=dask,
                folder=runs,
                resume=resume is not None,
                scenario_name=name,
            )
        except SensitivityInterrupted as stop:
            err.print(
                f"[yellow]interrupted:[/] kept {stop.done} of {stop.total} model runs; "
                f"finish with `tradesim sensitivity --resume {runs}`",
                highlight=False,
                soft_wrap=True,  # a path to copy, never broken across lines
            )
            raise typer.Exit(130) from None
        except ValueError as exc:
            _fail(str(exc))
    tmp = folder / f"{stem}.csv.part"
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        head = ["mu_star", "mu_star_conf", "sigma"] if method == "morris" else ["ST", "ST_conf", "S1"]
        writer.writerow(["parameter", *head])
        for i in result.ranked():
            writer.writerow([result.names[i], result.index[i], result.conf[i], result.other[i]])
    tmp.replace(folder / f"{stem}.csv")
    table = Table(title=f"What drives {outcome} in {name} ({method})", title_justify="left")
    table.add_column("parameter", style="bold", overflow="fold")
    if method == "morris":
        names = ("mu*", "± 95%", "sigma")
    else:
        names = ("total ST", "± 95%", "first-order S1")
    for name in names:
        table.add_column(name, justify="right")
    for i in result.ranked()[:top]:
        table.add_row(result.names[i], fmt(result.index[i]), fmt(result.conf[i]), fmt(result.other[i]))
    out.print(table)
    if result.filled:
        err.print(
            f"[yellow]note:[/] {result.filled} run(s) had no value of {outcome}; "
            "set to the largest value seen"
        )
    chart = tornado(result, folder / f"{stem}.png", name, top)
    out.print(f"table: {folder / (stem + '.csv')}\nplot: {chart}", highlight=False)


@app.command(
    epilog="Examples: `tradesim sweep baseline --vary licensing.arrivals_per_day=150:350:5 --reps 20` · "
    "`tradesim sweep baseline --vary market.price_pressure_per_day=0.004:0.016 "
    "--vary industry.distributor_stock_days=0:30 --lhs 40 --reps 10 --outcome price_rise_may_2025_pct`"
)
def sweep(
    scenario: Annotated[
        str | None, typer.Argument(help="A scenario name from `tradesim list`, or a path.")
    ] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option("--vary", help="PATH=LOW:HIGH[:STEPS], in the parameter's own units; repeat."),
    ] = None,
    reps: Annotated[int, typer.Option("--reps", "-n", min=1, help="Replications per design point.")] = 10,
    lhs: Annotated[
        int | None, typer.Option(min=2, help="A Latin hypercube of this many points instead of a full grid.")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Master seed (and the hypercube's seed).")] = 1,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Local processes. Default: all cores.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Sweep folder. Default: results/sweep-TIMESTAMP.")
    ] = None,
    outcome: Annotated[
        list[str] | None,
        typer.Option("--outcome", help="Outcomes to plot (repeat). Default: GDP loss by year-end."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Write into an existing, non-empty folder.")] = False,
    dask: DaskOption = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Finish an interrupted sweep in this folder (its own settings are used)."),
    ] = None,
) -> None:
    """Run a grid or Latin-hypercube sweep over named parameters.

    Each design point fixes the varied parameters and runs the same replications
    (common random numbers). Writes `outcomes.csv` with the design columns beside
    every outcome, a manifest, and a plot of each chosen outcome against each
    varied parameter.
    """
    import json

    from pydantic import ValidationError

    from sim.outcomes import OUTCOMES
    from sim.plots import sweep_panels
    from sim.sweep import Vary, design_points, parse_vary, run_sweep

    if resume is not None:
        manifest_path = resume / "manifest.json"
        if not manifest_path.is_file():
            _fail(f"{resume}: not a sweep folder (no manifest.json)")
        saved = json.loads(manifest_path.read_text(encoding="utf-8"))
        if "sweep" not in saved:
            _fail(f"{resume}: not a sweep folder")
        loaded = _load(saved["sweep"]["scenario_file"])
        varies = [Vary(**v) for v in saved["sweep"]["varied"]]
        reps, seed = int(saved["reps_per_point"]), int(saved["master_seed"])
        lhs = len(saved["sweep"]["design_points"]) if saved["sweep"]["design"] == "latin hypercube" else None
    else:
        if scenario is None or not vary:
            _fail("sweep needs a SCENARIO and at least one --vary (or --resume DIR)")
        loaded = _load(scenario)
        try:
            varies = [parse_vary(v, loaded.spec) for v in vary]
        except ValueError as exc:
            _fail(str(exc))
    outcomes = outcome or ["gdp_loss_year_end_pct" if loaded.spec.has_us_side else "backlog_at_deadline"]
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        _fail(f"unknown outcome(s) {', '.join(unknown)}; one of: {', '.join(OUTCOMES)}")
    if resume is not None:
        points = np.array(saved["sweep"]["design_points"], dtype=float)
        folder = resume
    else:
        points = design_points(varies, lhs, seed)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = _empty_folder(out_dir or Path("results") / f"sweep-{stamp}", force)
    n_workers = workers or default_workers()
    total = len(points) * reps
    out.print(
        f"{loaded.name}: {len(points)} design points x {reps} replications = {total} runs, "
        f"{n_workers} worker(s) -> {folder}",
        highlight=False,
    )
    with _progress("simulating") as bar:
        task = bar.add_task("run", total=total)
        try:
            report = run_sweep(
                loaded,
                varies,
                points,
                reps,
                seed,
                folder,
                n_workers,
                progress=lambda k: bar.advance(task, k),
                design="latin hypercube" if lhs else "grid",
                dask=dask,
                resume=resume is not None,
            )
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            _fail(f"a design point is not a valid scenario: {problems}")
        except ValueError as exc:
            _fail(str(exc))
    table = report.table
    if report.interrupted:
        err.print(
            f"[yellow]interrupted:[/] kept {report.points_done} of {report.points} design points; "
            f"finish with `tradesim sweep --resume {folder}`"
        )
        raise typer.Exit(130)
    for name in outcomes:
        path = sweep_panels(
            table, [v.path for v in varies], name, folder / "plots" / f"{name}_sweep.png", loaded.name
        )
        out.print(f"plot: {path}", highlight=False)
    out.print(f"results: {table}", highlight=False)


@app.command(
    epilog="Examples: `tradesim discover results/base --outcome gdp_loss_year_end_pct --above 1.0` · "
    "`tradesim discover results/base --outcome deadline --equals snap-back`"
)
def discover(
    folder: Annotated[Path, typer.Argument(help="A results folder from `run`.")],
    outcome: Annotated[str, typer.Option("--outcome", help="The outcome (or `deadline` with --equals).")],
    above: Annotated[
        str | None, typer.Option(help="Cases: the outcome is above this value (or date).")
    ] = None,
    below: Annotated[
        str | None, typer.Option(help="Cases: the outcome is below this value (or date).")
    ] = None,
    equals: Annotated[
        str | None,
        typer.Option(
            help="Cases: the outcome equals this (deadline: deal, extension, snap-back, escalation)."
        ),
    ] = None,
    depth: Annotated[int, typer.Option(min=1, max=6, help="Depth of the tree (rules per box).")] = 3,
    min_coverage: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="The chosen box covers at least this share of cases.")
    ] = 0.5,
    only: Annotated[
        list[str] | None,
        typer.Option(help="Search only parameters under this prefix (repeat), e.g. negotiation."),
    ] = None,
) -> None:
    """Find where in parameter space an outcome of interest happens (scenario discovery).

    Marks the replications where it happens, fits a shallow decision tree to the
    drawn parameters (scikit-learn), and reports its leaves as boxes with their
    coverage (share of cases inside) and density (share of the box that are cases).
    Answers questions such as "under which assumptions does the truce collapse?".
    """
    from sim.discover import cases_of_interest
    from sim.discover import discover as find_boxes
    from sim.plots import discovery_tradeoff
    from sim.results import ResultsError

    try:
        results = read_results(folder)
        y, condition = cases_of_interest(results, outcome, above, below, equals)
        found = find_boxes(results, y, condition, depth, min_coverage, only)
    except (ResultsError, FileNotFoundError) as exc:
        _fail(str(exc))
    out.print(
        f"[bold]{condition}[/]: {found.cases} of {found.total} replications "
        f"({100 * found.cases / found.total:.0f}%)",
        highlight=False,
    )
    table = Table(title="Candidate boxes (tree leaves), densest first", title_justify="left")
    table.add_column("box", overflow="fold")
    table.add_column("coverage", justify="right")
    table.add_column("density", justify="right")
    table.add_column("runs", justify="right")
    for box in found.boxes:
        mark = " [bold red](chosen)[/]" if box is found.chosen else ""
        table.add_row(
            " and ".join(box.rules) + mark,
            f"{100 * box.coverage:.0f}%",
            f"{100 * box.density:.0f}%",
            str(box.size),
        )
    out.print(table)
    if found.importances:
        out.print(
            "parameters that matter: "
            + ", ".join(f"{name} ({share:.2f})" for name, share in found.importances[:6]),
            highlight=False,
        )
    name = f"discover_{outcome}_{(above or below or equals or '').replace(':', '-')}.png"
    path = discovery_tradeoff(found, folder / "plots" / name, results.manifest["scenario"]["name"])
    out.print(f"plot: {path}", highlight=False)


def _list_drawable(results, comparison: bool) -> None:
    out.print("[bold]daily series[/] (--series):", highlight=False)
    out.print("  " + ", ".join(results.series_names()), highlight=False, soft_wrap=True)
    out.print(
        "[bold]scalar outcomes[/] (--outcome" + (", side by side):" if comparison else ", histogram):"),
        highlight=False,
    )
    out.print("  " + ", ".join(n for n in results.outcomes if n != "rep"), highlight=False, soft_wrap=True)


def _print_summary(results) -> None:
    n = len(next(iter(results.outcomes.values())))
    table = Table(
        title=f"Outcomes of {results.manifest['scenario']['name']}: median and 90% interval "
        f"over {n} replications",
        title_justify="left",
    )
    table.add_column("outcome", style="bold", no_wrap=True)
    table.add_column("median", justify="right")
    table.add_column("5%", justify="right")
    table.add_column("95%", justify="right")
    table.add_column("unit", overflow="fold")
    rows = summarise(results)
    for i, row in enumerate(rows):
        last_of_group = i + 1 == len(rows) or rows[i + 1].group != row.group
        table.add_row(row.name, row.median, row.low, row.high, row.unit, end_section=last_of_group)
    table.caption = "Yes/no outcomes (unit '% of replications'): share of replications and its 90% interval."
    table.caption_justify = "left"
    out.print(table)


def main() -> None:
    """Entry point of ``python -m sim``."""
    app(prog_name="tradesim")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
