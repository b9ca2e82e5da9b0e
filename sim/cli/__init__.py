"""The ``tradesim`` command (also ``python -m sim``).

Thin by design: each command parses its options, calls one library function
and renders the result. Anything the CLI does can be done from Python with
the same functions (see the notebooks).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.core.version import __version__
from sim.experiments.run import default_workers, new_master_seed, run_experiment
from sim.model.replication import warm_up
from sim.results.folder import read_results
from sim.results.summary import decimals_for, format_number, summarise
from sim.scenario.loader import ScenarioError, list_scenarios, load_scenario

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


#: Options shared by the commands that run many replications.
WorkersOption = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Local processes. Default: all cores.")
]
ForceOption = Annotated[bool, typer.Option(help="Write into an existing, non-empty folder.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


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
    """A progress bar on stderr that disappears when done; the model is compiled first."""
    _prepare_model(quiet)
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )


def _prepare_model(quiet: bool = False) -> None:
    """Compile the model's kernels, or load them from the disk cache (see ``sim.core.jit``).

    Compiling takes some seconds, once after install; saying so keeps a first run from looking stuck.
    """
    if quiet:
        warm_up()
        return
    with err.status("Preparing the model (compiled once after install, then cached)…"):
        warm_up()


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
    quiet: QuietOption = False,
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
    from sim.experiments.run import resume_experiment
    from sim.results.folder import ResultsError
    from sim.results.series_store import resolve_kept

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
        from sim.plots.charts import draw_default_plots

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
    from sim.experiments.calibration import load_targets
    from sim.scenario.sources import load_registry

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
    from sim.scenario.sampling import iter_parameters

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
    workers: WorkersOption = None,
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

    from sim.experiments.calibration import evaluate, failures, load_targets

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
        list[str],
        typer.Argument(
            help="Two or more scenarios; the first is the reference. A saved game (`*.game.toml` from "
            "`tradesim play`) counts as a scenario: its moves are fixed, the luck varies by replication."
        ),
    ],
    reps: Annotated[int, typer.Option("--reps", "-n", min=2, help="Replications per scenario.")] = 200,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed, shared by every scenario. Default: a fresh one.")
    ] = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Comparison folder. Default: results/compare-TIMESTAMP."),
    ] = None,
    force: ForceOption = False,
    plots: Annotated[bool, typer.Option(help="Draw the comparison plots.")] = True,
    quiet: QuietOption = False,
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
    from sim.experiments.compare import compare, format_diff, format_value, write_combined_tables
    from sim.results.series_store import resolve_kept

    if len(scenarios) < 2:
        _fail("compare needs at least two scenarios")
    try:
        kept = resolve_kept(series, reps)
    except ValueError as exc:
        _fail(str(exc))
    if len(set(scenarios)) < len(scenarios):
        _fail("each scenario may appear once")
    loaded = {}
    games = {}  # saved games given in place of a scenario: name -> record (see `tradesim play`)
    for name in scenarios:
        if _is_game_file(name):
            record, spec = _load_game(Path(name))
            game_name = Path(name).name.removesuffix(".game.toml")
            if game_name == "game":  # `tradesim play` saves game.game.toml: name it by its folder
                game_name = Path(name).resolve().parent.name
            if game_name in loaded:
                _fail(f"{name}: a scenario or game named {game_name!r} is already compared; rename the file")
            games[game_name] = record
            loaded[game_name] = spec
            continue
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
            if name in games:
                from sim.workshop.tournament import run_game_experiment

                run_game_experiment(
                    games[name],
                    spec,
                    name,
                    reps,
                    master_seed,
                    folder / name,
                    n_workers,
                    progress=lambda k, t=task: bar.advance(t, k),
                )
                results[name] = read_results(folder / name)
                continue
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
        from sim.plots.charts import draw_comparison_plots

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

    from sim.plots.charts import (
        draw_comparison_plots,
        draw_default_plots,
        fan_chart,
        outcome_histogram,
        outcome_violins,
    )
    from sim.results.folder import ResultsError

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
    from sim.experiments.replay import event_log
    from sim.experiments.replay import replay as replay_one
    from sim.results.folder import ResultsError

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

    from sim.experiments.compare import compare, format_diff, format_value
    from sim.scenario.sampling import iter_parameters

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
    from sim.plots.report import write_report
    from sim.results.folder import ResultsError

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
    workers: WorkersOption = None,
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

    from sim.experiments.sensitivity import SensitivityInterrupted, fmt, run_sensitivity, runs_needed
    from sim.plots.charts import tornado
    from sim.results.catalogue import OUTCOMES
    from sim.results.folder import scenario_from_manifest
    from sim.scenario.sampling import uncertain_parameters

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
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Sweep folder. Default: results/sweep-TIMESTAMP.")
    ] = None,
    outcome: Annotated[
        list[str] | None,
        typer.Option("--outcome", help="Outcomes to plot (repeat). Default: GDP loss by year-end."),
    ] = None,
    force: ForceOption = False,
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

    from sim.experiments.sweep import Vary, design_points, parse_vary, run_sweep
    from sim.plots.charts import sweep_panels
    from sim.results.catalogue import OUTCOMES

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
    from sim.experiments.discover import cases_of_interest
    from sim.experiments.discover import discover as find_boxes
    from sim.plots.charts import discovery_tradeoff
    from sim.results.folder import ResultsError

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


#: Outcomes printed after forking unless --outcome picks others.
BRANCH_OUTCOMES = (
    "gdp_loss_year_end_pct",
    "halted_plant_days_auto",
    "halted_plant_days_defence",
    "price_index_at_end",
    "us_tariff_mean",
    "licences_in_force_at_end",
    "extensions",
)


@app.command(
    epilog="Examples: `tradesim branches baseline --at 2025-08-10 --reps 200 --seed 1` · "
    "`tradesim branches snap_back --at october_talks "
    "--branches us-concede_china-concede,us-hold_china-hold` · "
    "`tradesim branches baseline --at truce_deadline "
    "--weights deal=0.2,extension=0.5,snap_back=0.2,escalation=0.1`"
)
def branches(
    scenario: Annotated[str, typer.Argument(help="A scenario name from `tradesim list`, or a path.")],
    at: Annotated[
        str,
        typer.Option(
            help="The decision point to fork at: its date (YYYY-MM-DD) or its name in the scenario."
        ),
    ],
    reps: Annotated[int, typer.Option("--reps", "-n", min=1, help="Replications, each forked.")] = 200,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed. Same seed, same branches. Default: a fresh one.")
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--branches",
            help="Comma-separated branches to run (default: all). A deadline's: deal, extension, snap_back, "
            "escalation; talks': us-DECISION_china-DECISION.",
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            help="Branch probabilities for the combined distribution, e.g. `deal=0.2,extension=0.5`. "
            "Default: the model's own, per replication."
        ),
    ] = None,
    outcomes: Annotated[
        list[str] | None, typer.Option("--outcome", help="Outcome to show (repeatable). Default: a key few.")
    ] = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Branches folder. Default: results/SCENARIO-branches-TIMESTAMP."),
    ] = None,
    force: ForceOption = False,
    plots: Annotated[bool, typer.Option(help="Draw the forked fan chart.")] = True,
    quiet: QuietOption = False,
    dask: DaskOption = None,
) -> None:
    """Fork every replication at a decision point and continue it once per branch.

    Each replication is simulated once up to the start of the decision point's day;
    the whole model state (queues, licences in force, shipments, stocks, plants,
    prices, tariffs, negotiation, random streams) is copied there and each copy
    continues with both sides' decisions forced to one branch. The history before
    the fork is the same in every branch; after it, branches share their random
    draws, so branch-against-branch differences are paired. Writes one results
    folder per branch, tables with a `branch` column, `branch_differences.csv`,
    `branch_probabilities.csv` (the model's own chance of each branch in each
    replication) and a chart. `tradesim reweight DIR` recombines them later.
    """
    from sim.experiments.branches import (
        fork_point,
        parse_weights,
        read_branches,
        run_branches,
        select_branches,
    )

    loaded = _load(scenario)
    try:
        point = select_branches(fork_point(loaded.spec, at), only.split(",") if only else None)
        chosen = parse_weights(weights, list(point.branches)) if weights else None
    except ValueError as exc:
        _fail(f"{loaded.path}: {exc}")
    _check_outcomes(outcomes)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _empty_folder(out_dir or Path("results") / f"{loaded.name}-branches-{stamp}", force)
    master_seed = new_master_seed() if seed is None else seed
    n_workers = workers or default_workers()
    out.print(
        f"[bold]{loaded.name}[/] forked at {point.name} into {', '.join(point.branches)}: "
        f"{reps} replications, seed {master_seed}, {n_workers} worker(s) -> {folder}",
        highlight=False,
    )
    with _progress("forking replications", quiet) as bar:
        task = bar.add_task("run", total=reps)
        try:
            report = run_branches(
                loaded,
                point.name,
                reps,
                master_seed,
                folder,
                n_workers,
                list(point.branches),
                progress=lambda k: bar.advance(task, k),
                dask=dask,
            )
        except ValueError as exc:
            _fail(f"{loaded.path}: {exc}")
    if report.reps_completed == 0:
        _fail(f"interrupted before any replication finished; {folder} holds empty tables", 130)
    forked = read_branches(folder)
    _print_branches(forked, chosen, outcomes or list(BRANCH_OUTCOMES))
    if plots:
        from sim.plots.charts import branch_fans

        out.print(f"plot: {branch_fans(forked, folder / 'plots' / 'branches.png')}", highlight=False)
    out.print(f"results: {folder} (one folder per branch; branch_differences.csv)", highlight=False)
    if report.interrupted:
        err.print(f"[yellow]interrupted:[/] kept {report.reps_completed} of {reps} replications")
        raise typer.Exit(130)


@app.command(
    epilog="Examples: `tradesim reweight results/baseline-branches-X` · "
    "`tradesim reweight results/baseline-branches-X --weights deal=0.6,extension=0.4`"
)
def reweight(
    folder: Annotated[Path, typer.Argument(help="A folder written by `tradesim branches`.")],
    weights: Annotated[
        str | None,
        typer.Option(
            help="Branch probabilities, e.g. `deal=0.2,extension=0.5,snap_back=0.2,escalation=0.1` "
            "(scaled to add up to one; branches left out get zero). "
            "Default: the model's own, per replication."
        ),
    ] = None,
    outcomes: Annotated[
        list[str] | None, typer.Option("--outcome", help="Outcome to show (repeatable). Default: a key few.")
    ] = None,
) -> None:
    """Recombine stored branches into one outcome distribution for given branch probabilities.

    Nothing is re-run: each replication's branches are mixed with the weights given
    (or the model's own probabilities, drawn from each side's pain at the fork).
    """
    from sim.experiments.branches import parse_weights, read_branches

    try:
        forked = read_branches(folder)
        chosen = parse_weights(weights, list(forked.results)) if weights else None
    except (ValueError, OSError, KeyError) as exc:
        _fail(f"{folder}: {exc}")
    _check_outcomes(outcomes)
    _print_branches(forked, chosen, outcomes or list(BRANCH_OUTCOMES))


@app.command(
    epilog="Examples: `tradesim variance baseline --outcome gdp_loss_year_end_pct` · "
    "`tradesim variance baseline --outcome first_stoppage_auto --param-sets 60 --seeds 10 --seed 1`"
)
def variance(
    scenario: Annotated[str, typer.Argument(help="A scenario name from `tradesim list`, or a path.")],
    outcomes: Annotated[
        list[str] | None,
        typer.Option("--outcome", help="Outcome to split (repeatable). Default: GDP loss and auto halts."),
    ] = None,
    param_sets: Annotated[int, typer.Option(min=2, help="Parameter draws.")] = 40,
    seeds: Annotated[int, typer.Option(min=2, help="Replications (random seeds) per parameter draw.")] = 8,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed. Same seed, same split. Default: a fresh one.")
    ] = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder. Default: results/SCENARIO-variance-TIMESTAMP.")
    ] = None,
    force: ForceOption = False,
    plots: Annotated[bool, typer.Option(help="Draw one strip chart per outcome.")] = True,
    quiet: QuietOption = False,
    dask: DaskOption = None,
) -> None:
    """Split an outcome's spread into uncertain parameters (ignorance) and chance (luck).

    Runs nested replications: PARAM_SETS draws of the scenario's uncertain parameters,
    each simulated with SEEDS different random seeds. Between-set spread is what the
    parameters do; within-set spread is chance, which no research can narrow. Prints
    each part (variance and standard deviation) with 90% intervals from resampling
    parameter sets, the parameters' share, and which dominates. Writes
    `nested_outcomes.csv`, `variance.csv` and a strip chart per outcome.
    """
    from sim.experiments.variance import nested_outcomes, outcome_table, split_variance, write_tables
    from sim.results.catalogue import OUTCOMES

    loaded = _load(scenario)
    _check_outcomes(outcomes)
    names = outcomes or [
        n for n in ("gdp_loss_year_end_pct", "halted_plant_days_auto", "backlog_peak") if n in OUTCOMES
    ]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _empty_folder(out_dir or Path("results") / f"{loaded.name}-variance-{stamp}", force)
    master_seed = new_master_seed() if seed is None else seed
    n_workers = workers or default_workers()
    total = param_sets * seeds
    out.print(
        f"[bold]{loaded.name}[/]: {param_sets} parameter sets x {seeds} seeds = {total} replications, "
        f"seed {master_seed}, {n_workers} worker(s) -> {folder}",
        highlight=False,
    )
    try:
        with _progress("nested replications", quiet) as bar:
            task = bar.add_task("run", total=total)
            nested = nested_outcomes(
                loaded.spec, master_seed, param_sets, seeds, n_workers, lambda k: bar.advance(task, k), dask
            )
    except KeyboardInterrupt:
        _fail("interrupted: a variance split needs every parameter set; nothing was written", 130)
    missing = [n for n in names if n not in nested[0][0]]
    if missing:
        _fail(f"{loaded.path}: this scenario does not produce {', '.join(missing)}")
    rng = np.random.default_rng(master_seed)
    splits = [split_variance(outcome_table(nested, n), n, rng=rng) for n in names]
    write_tables(folder, nested, splits)
    table = Table(
        title=f"Where the spread comes from: {loaded.name}, {param_sets} parameter sets x {seeds} seeds "
        "(standard deviations, 90% intervals)",
        title_justify="left",
        caption="Parameters: Var(E\\[outcome | parameters]); chance: E\\[Var(outcome | parameters)]. "
        "Standard deviations shown; the share is of the variance.",
        caption_justify="left",
    )
    for column in (
        "outcome",
        "mean",
        "total sd",
        "parameters sd",
        "chance sd",
        "parameter share",
        "dominant",
    ):
        table.add_column(column, justify="left" if column in ("outcome", "dominant") else "right")
    for s in splits:
        table.add_row(
            f"{s.outcome}\n[dim]{s.unit}[/]",
            _plain(s.mean),
            _sd(s.total),
            f"{_sd(s.parameters)}\n[dim]({_sd(s.parameters_low)}-{_sd(s.parameters_high)})[/]",
            f"{_sd(s.chance)}\n[dim]({_sd(s.chance_low)}-{_sd(s.chance_high)})[/]",
            f"{100 * s.parameter_share:.0f}%\n[dim]({100 * s.parameter_share_low:.0f}-"
            f"{100 * s.parameter_share_high:.0f}%)[/]",
            s.dominant,
        )
    out.print(table)
    if plots:
        from sim.plots.charts import variance_strips

        for s in splits:
            path = variance_strips(
                outcome_table(nested, s.outcome), s, folder / "plots" / f"{s.outcome}.png", loaded.name
            )
            out.print(f"plot: {path}", highlight=False)
    out.print(f"results: {folder} (variance.csv, nested_outcomes.csv)", highlight=False)


def _plain(value: float) -> str:
    return "-" if math.isnan(value) else format_number(value, decimals_for(value, "count"))


def _sd(variance: float) -> str:
    """A variance shown as a standard deviation, in the outcome's own unit."""
    return "-" if math.isnan(variance) else _plain(math.sqrt(max(0.0, variance)))


def _check_outcomes(names: list[str] | None) -> None:
    from sim.results.catalogue import OUTCOMES

    unknown = [n for n in names or [] if n not in OUTCOMES]
    if unknown:
        _fail(f"--outcome: unknown {', '.join(unknown)} (allowed: {', '.join(OUTCOMES)})")


def _print_branches(forked, weights: dict[str, float] | None, names: list[str]) -> None:
    """Per-branch medians, paired shifts against the first branch, and the recombined distribution."""
    from sim.experiments.branches import reweight as mix
    from sim.experiments.compare import compare, format_diff, format_value

    rows = [r for r in compare(forked.results) if r.outcome in names]
    mixture = {r.outcome: r for r in mix(forked, weights)}
    branches = list(forked.results)
    point = forked.manifest["fork_point"]["name"]
    table = Table(
        title=f"Forked at {point}: median (5%-95%) per branch; below, the paired shift against {branches[0]}",
        title_justify="left",
        caption="Model's chance: the mean over replications of each branch's probability from the pain "
        "at the fork. Combined: the branches mixed with "
        + ("the weights given." if weights else "the model's own probabilities, replication by replication."),
        caption_justify="left",
    )
    table.add_column("outcome", style="bold", overflow="fold", min_width=22)
    for b in branches:
        table.add_column(b, justify="right", overflow="fold")
    table.add_column("combined", justify="right", overflow="fold", style="bold")
    chance = [f"{100 * float(forked.probability[b].mean()):.0f}%" for b in branches]
    shown = [f"{100 * weights[b]:.0f}%" for b in branches] if weights else chance
    table.add_row("model's chance", *chance, "")
    if weights:
        table.add_row("weight used", *shown, "")
    table.rows[-1].end_section = True
    by_outcome: dict[str, list] = {}
    for row in rows:
        by_outcome.setdefault(row.outcome, []).append(row)
    for outcome in names:
        cells = by_outcome.get(outcome)
        if not cells:
            continue
        kind = cells[0].kind
        texts = []
        for c in cells:
            text = _median_and_range(c.median, c.low, c.high, kind)
            if c.scenario != branches[0]:
                text += (
                    f"\n[dim]{format_diff(c.diff_median, kind)}\n({format_diff(c.diff_low, kind)} to "
                    f"{format_diff(c.diff_high, kind)})[/]"
                )
            texts.append(text)
        m = mixture[outcome]
        combined = (
            format_value(m.mean, kind) if kind == "flag" else _median_and_range(m.median, m.low, m.high, kind)
        )
        table.add_row(f"{outcome}\n[dim]{cells[0].unit}[/]", *texts, combined)
    out.print(table)


def _median_and_range(median: float, low: float, high: float, kind: str) -> str:
    """A narrow table cell: the median over its 5%-95% range."""
    from sim.experiments.compare import format_value

    return f"{format_value(median, kind)}\n({format_value(low, kind)}-{format_value(high, kind)})"


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


# --- tradesim forecast: predict, then reveal (workshops) ---------------------------------------

forecast_app = typer.Typer(
    help="Predict, then reveal: collect a class's forecasts before a run, then score them against it.\n\n"
    "Start with `tradesim forecast add class.csv --name Ana`, then `tradesim forecast score class.csv`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(forecast_app, name="forecast")


def _ask(prompt: str, parse, given: str | None):
    """Parse an option's value, or prompt until the answer parses (each mistake explained)."""
    if given is not None:
        try:
            return parse(given)
        except ValueError as exc:
            _fail(str(exc))
    while True:
        answer = typer.prompt(prompt)
        try:
            return parse(answer)
        except ValueError as exc:
            err.print(f"[bold red]not understood:[/] {exc}", highlight=False)


def _parse_numbers(count: int):
    def parse(text: str) -> list[float]:
        try:
            values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"{text!r}: type {count} numbers separated by commas") from None
        if len(values) != count:
            raise ValueError(f"{text!r}: type {count} numbers separated by commas, got {len(values)}")
        return values

    return parse


@forecast_app.command(
    "add",
    epilog="Examples: `tradesim forecast add class.csv --name Ana` (asks for each number) · "
    "`tradesim forecast add class.csv --name Ben --probability 30 --quantiles 0.4,0.9,1.8` · "
    "`tradesim forecast add class.csv --name Teacher --event deadline_deal "
    "--quantity halted_plant_days_auto --levels 10,50,90`",
)
def forecast_add(
    file: Annotated[Path, typer.Argument(help="The class forecasts file (CSV; created if absent).")],
    name: Annotated[str, typer.Option("--name", help="The participant's name, as shown on the scoreboard.")],
    event: Annotated[
        str | None,
        typer.Option(
            help="Yes/no outcome to give a probability for. Default: the file's, or deadline_snap_back."
        ),
    ] = None,
    quantity: Annotated[
        str | None,
        typer.Option(
            help="Numeric outcome to give quantiles for. Default: the file's, or gdp_loss_year_end_pct."
        ),
    ] = None,
    levels: Annotated[
        str | None,
        typer.Option(help="Quantile levels in %, comma-separated. Default: the file's, or 5,50,95."),
    ] = None,
    probability: Annotated[
        str | None, typer.Option(help="The probability of the event, in % (asked if not given).")
    ] = None,
    quantiles: Annotated[
        str | None,
        typer.Option(help="The quantiles, comma-separated, lowest level first (asked if not given)."),
    ] = None,
    replace: Annotated[bool, typer.Option(help="Replace this participant's earlier forecast.")] = False,
) -> None:
    """Add one participant's forecast to the class file, before the run is revealed.

    Asks for the probability of a yes/no outcome (default: the truce lapses and tariffs
    snap back) and for quantiles of a quantity (default: US GDP lost by year-end,
    5/50/95%). Every answer is checked as it is typed; the file is a plain CSV.
    """
    from sim.results.catalogue import OUTCOMES
    from sim.workshop.forecast import (
        DEFAULT_EVENT,
        DEFAULT_LEVELS,
        DEFAULT_QUANTITY,
        ForecastError,
        append_forecast,
        check_event,
        check_quantity,
        parse_levels,
        parse_probability,
        read_forecasts,
    )

    asked_events, asked_quantities, asked_levels = [], [], None
    if file.is_file():
        try:
            asked_events, asked_quantities, asked_levels = read_forecasts(file).questions()
        except ForecastError as exc:
            _fail("\n".join(exc.problems))
    try:
        event_name = check_event(event or (asked_events[0] if asked_events else DEFAULT_EVENT))
        quantity_name = check_quantity(
            quantity or (asked_quantities[0] if asked_quantities else DEFAULT_QUANTITY)
        )
        level_values = parse_levels(levels) if levels else (asked_levels or DEFAULT_LEVELS)
    except ValueError as exc:
        _fail(str(exc))
    shown = "/".join(f"{100 * q:g}" for q in level_values)
    p = _ask(
        f"{name}: probability (%) that {OUTCOMES[event_name].description} [{event_name}]",
        parse_probability,
        probability,
    )
    measure = OUTCOMES[quantity_name]
    q = _ask(
        f"{name}: your {shown}% quantiles of {measure.description}, in {measure.unit} "
        f"(lowest first, comma-separated)",
        _parse_quantiles(len(level_values), level_values),
        quantiles,
    )
    try:
        forecasts = append_forecast(
            file, name, {event_name: p}, {quantity_name: (level_values, q)}, replace=replace
        )
    except ForecastError as exc:
        _fail("\n".join(exc.problems))
    out.print(
        f"saved {name}: {100 * p:.0f}% for {event_name}; {shown}% quantiles of {quantity_name}: "
        f"{', '.join(f'{v:g}' for v in q)} -> {file} ({len(forecasts.names)} participant(s))",
        highlight=False,
    )


def _parse_quantiles(count: int, levels):
    from sim.workshop.scoring import check_quantiles

    numbers = _parse_numbers(count)

    def parse(text: str) -> list[float]:
        values = numbers(text)
        check_quantiles(levels, values)
        return values

    return parse


@forecast_app.command(
    "score",
    epilog="Examples: `tradesim forecast score class.csv results/baseline-20251123` · "
    "`tradesim forecast score class.csv --scenario baseline --reps 200 --seed 7`",
)
def forecast_score(
    file: Annotated[Path, typer.Argument(help="The class forecasts file.")],
    folder: Annotated[
        Path | None, typer.Argument(help="A results folder from `run`. Omit it to run --scenario now.")
    ] = None,
    scenario: Annotated[
        str, typer.Option(help="Without a results folder: the scenario to run (name or path).")
    ] = "baseline",
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=2, help="Without a results folder: replications.")
    ] = 200,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Without a results folder: master seed. Default: a fresh one.")
    ] = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Where the run goes (without FOLDER). Default: results/forecast-TIMESTAMP."
        ),
    ] = None,
) -> None:
    """Reveal: score every forecast in the class file against the simulated distribution.

    Probabilities get a Brier score, quantiles a CRPS (both: lower is better), each
    beside what the model itself scores. Prints the class ranked by mean rank over the
    questions, and writes `forecast_scores.csv` and a figure of the forecasts beside
    the simulated distribution into the results folder.
    """
    from sim.results.folder import ResultsError
    from sim.workshop.forecast import ForecastError, read_forecasts, score_forecasts, write_scores
    from sim.workshop.forecast_charts import forecast_figure

    try:
        forecasts = read_forecasts(file)
    except ForecastError as exc:
        _fail("\n".join(exc.problems))
    if not forecasts.names:
        _fail(f"{file}: no forecasts yet (add some with `tradesim forecast add {file} --name NAME`)")
    if folder is not None and (
        scenario != "baseline" or reps != 200 or seed is not None or out_dir is not None
    ):
        err.print(
            f"[yellow]note:[/] scoring against {folder}; --scenario, --reps, --seed and --out are ignored"
        )
    if folder is None:
        loaded = _load(scenario)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = _empty_folder(out_dir or Path("results") / f"forecast-{stamp}")
        master_seed = new_master_seed() if seed is None else seed
        n_workers = workers or default_workers()
        out.print(
            f"running {loaded.name}: {reps} replications, seed {master_seed} -> {folder}", highlight=False
        )
        with _progress("simulating replications") as bar:
            task = bar.add_task("run", total=reps)
            report = run_experiment(
                loaded, reps, master_seed, folder, n_workers, progress=lambda k: bar.advance(task, k)
            )
        if report.interrupted:
            _fail(f"interrupted; nothing scored ({report.reps_completed} replications in {folder})", 130)
    try:
        results = read_results(folder)
        if "comparison" in results.manifest:
            _fail(f"{folder}: a comparison folder; score against one of its scenario folders")
        board = score_forecasts(forecasts, results.outcomes, where=str(folder))
    except (ResultsError, FileNotFoundError) as exc:
        _fail(str(exc))
    except ForecastError as exc:
        _fail("\n".join(exc.problems))
    _print_scoreboard(board, results.manifest["scenario"]["name"])
    scores = write_scores(board, folder / "forecast_scores.csv")
    events, quantities, _ = forecasts.questions()
    name = results.manifest["scenario"]["name"]
    pairs = list(zip(quantities, events, strict=False))
    drawn = [
        forecast_figure(board, folder / "plots" / f"forecasts_{q}_{e}.png", name, q, e) for q, e in pairs
    ]
    for extra in quantities[len(pairs) :]:
        drawn.append(
            forecast_figure(board, folder / "plots" / f"forecasts_{extra}.png", name, quantity=extra)
        )
    for extra in events[len(pairs) :]:
        drawn.append(forecast_figure(board, folder / "plots" / f"forecasts_{extra}.png", name, event=extra))
    out.print(f"scores: {scores}", highlight=False)
    for path in drawn:
        out.print(f"plot: {path}", highlight=False)


def _print_scoreboard(board, scenario: str) -> None:
    from sim.workshop.forecast import MODEL_FREQUENCY, MODEL_ITSELF, MODEL_QUANTILES

    questions = list(board.samples)
    runs = next(iter(board.samples.values())).size
    table = Table(
        title=f"Forecasts scored against {runs} replications of {scenario} (lower scores are better)",
        title_justify="left",
        caption="Brier: mean of (p - outcome)^2 over runs. CRPS: distance between forecast and simulated "
        "distributions, in the outcome's unit. Rank: mean over the questions answered.",
        caption_justify="left",
    )
    table.add_column("rank", justify="right")
    table.add_column("name", style="bold", overflow="fold")
    for q in questions:
        rule = "Brier" if board.for_outcome(q)[0].rule == "brier" else "CRPS"
        table.add_column(f"{q}\n[dim]forecast · {rule}[/]", justify="right", overflow="fold")
    by_name = {(s.name, s.outcome): s for s in board.scores}

    def cell(name: str, q: str) -> str:
        s = by_name.get((name, q))
        return f"{s.forecast} · {s.score:#.3g}" if s else "-"

    for label, refs in (
        ("model", [MODEL_FREQUENCY, MODEL_QUANTILES]),
        ("model, whole distribution", [MODEL_ITSELF]),
    ):
        cells = []
        for q in questions:
            found = [by_name[(r, q)] for r in refs if (r, q) in by_name]
            cells.append(f"{found[0].forecast} · {found[0].score:#.3g}" if found else "")
        table.add_row("", f"[dim]{label}[/]", *cells, style="dim", end_section=label != "model")
    for name, mean_rank in board.ranking():
        table.add_row(f"{mean_rank:g}", name, *(cell(name, q) for q in questions))
    out.print(table)


# --- the negotiation game (issue 9): `play` and `tournament` ----------------------------------


def _is_game_file(ref: str) -> bool:
    from sim.workshop.records import is_game_file

    return is_game_file(ref)


def _load_game(path: Path):
    """A saved game and its scenario, or exit 2 naming the file, the key and what is allowed."""
    from sim.workshop.records import GameFileError, load_game, load_record_scenario

    try:
        record = load_game(path)
        return record, load_record_scenario(record, path.parent)
    except GameFileError as exc:
        _fail(str(exc))
    except ScenarioError as exc:
        _fail(exc)


def _player(side: str, name: str):
    from sim.workshop.strategies import STRATEGIES

    if name != "human" and name not in STRATEGIES:
        _fail(f"--{side} {name}: must be human or one of {', '.join(STRATEGIES)}")
    return name


class _TerminalTeam:
    """A team at the keyboard: prompts for its moves and asks again after a bad one."""

    def __init__(self, side: str):
        self.name = "human"
        self.side = side

    def choose(self, side, status, history):
        from sim.workshop.moves import SIDE_NAMES, MoveError, parse_moves

        while True:
            hint = " (a stance counts this turn)" if status.is_decision else ""
            text = typer.prompt(f"{SIDE_NAMES[side]} move{hint}", default="pass", show_default=True)
            if text.strip().lower() in ("help", "?"):
                from sim.workshop.view import vocabulary_lines

                for line in vocabulary_lines(side):
                    out.print(line, highlight=False)
                continue
            try:
                return parse_moves(side, text)
            except MoveError as exc:
                err.print(f"[bold red]not a move:[/] {exc}", highlight=False, soft_wrap=True)


def _show_outcomes(result, title: str) -> None:
    from sim.workshop.records import KEY_OUTCOMES

    table = Table(title=title, title_justify="left")
    table.add_column("outcome", style="bold")
    table.add_column("value", justify="right")
    table.add_column("unit")
    values = result.game_outcomes()
    for name, unit in KEY_OUTCOMES.items():
        table.add_row(name, f"{values[name]:.3f}", unit)
    out.print(table)


@app.command(
    name="play",
    epilog="Examples: `tradesim play` (two teams at one keyboard) · `tradesim play --china hawk --seed 7` · "
    "`tradesim play --us tit-for-tat --china pain-driven` · "
    "`tradesim play --replay results/game/game.game.toml` · "
    "`tradesim play --replay results/game/game.game.toml --change 3=us:tariff=100` · "
    "`tradesim play --replay my.game.toml --change '5=china:pace=fast stance=concede'`",
)
def play_command(
    scenario: Annotated[
        str, typer.Argument(help="A scenario name from `tradesim list`, or a path.")
    ] = "baseline",
    us: Annotated[
        str,
        typer.Option(
            "--us",
            help="Who plays the US: human (types moves; `help` lists them), tit-for-tat, hawk, dove "
            "or pain-driven.",
        ),
    ] = "human",
    china: Annotated[
        str, typer.Option("--china", help="Who plays China: human, tit-for-tat, hawk, dove or pain-driven.")
    ] = "human",
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed (the game's luck). Default: a fresh one.")
    ] = None,
    rep: Annotated[int, typer.Option(min=0, help="Replication of the seed to play in.")] = 0,
    start: Annotated[str, typer.Option(help="First turn, YYYY-MM-DD.")] = "2025-06-16",
    every: Annotated[
        int, typer.Option(min=1, help="Days between turns (talks and deadlines add turns).")
    ] = 14,
    replay_file: Annotated[
        Path | None, typer.Option("--replay", help="Replay a saved game (`*.game.toml`) exactly.")
    ] = None,
    change: Annotated[
        list[str] | None,
        typer.Option(
            help="With --replay: TURN=SIDE:MOVES replaces one side's moves at one turn and shows what that "
            "change alone did (same random draws; every other move as saved, strategies are not re-run). "
            "SIDE is us or china; MOVES as typed in the game, e.g. 3=us:tariff=100 or "
            "'5=china:pace=fast stance=concede' or 4=us:pass. Repeatable."
        ),
    ] = None,
    react: Annotated[
        bool,
        typer.Option(
            help="With --change: a side played by a built-in strategy chooses again after the change "
            "(tit-for-tat answers it); a team's moves stay as saved, by date."
        ),
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the game file and chart. Default: results/game-TIMESTAMP."
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Play the negotiation as a turn-based game: the US team against the China team.

    Turns come every two simulated weeks from mid-June, plus the talks and the truce
    deadline. At each turn both teams see the backlog, plant stocks and halts, the
    magnet price, GDP lost and both pains, and type their moves (`tariff=80 chips=tighten`,
    `pace=slow stance=escalate`, or `pass`); either side can be a built-in strategy. At a
    deadline the two stances decide the outcome (deal, extension, snap-back, escalation).
    The game is saved (`game.game.toml`) with a chart of its history; `--replay` plays it
    again exactly, `--change` replays it with one move changed, and `tradesim compare
    baseline FILE.game.toml` runs its moves over many replications.

    Moves of the US: `tariff=N` (% on Chinese goods), `chips=tighten|ease`,
    `stance=concede|hold|escalate`. Moves of China: `tariff=N` (% on US goods),
    `pace=slow|normal|fast`, `green_channel=on|off`, `military=hold|review`, `stance=...`.
    A stance counts at talks and deadlines; left out there, it is drawn from the side's pain.
    """
    from sim.experiments.run import key_dates
    from sim.workshop.charts import game_history_chart
    from sim.workshop.game import Game, describe_turn, play
    from sim.workshop.moves import SIDES
    from sim.workshop.records import record_of, save_game, save_game_tables
    from sim.workshop.strategies import make_strategy
    from sim.workshop.view import status_lines, vocabulary_lines

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if change and replay_file is None:
        _fail("--change needs --replay FILE (the game to change)")
    if react and not change:
        _fail("--react needs --change TURN=SIDE:MOVES (the move the strategies react to)")
    if replay_file is not None:
        _replay_command(replay_file, change or [], out_dir, force, stamp, react)
        return
    players = {"us": _player("us", us), "china": _player("china", china)}
    loaded = _load(scenario)
    try:
        first_turn = dt.date.fromisoformat(start)
    except ValueError:
        _fail(f"--start {start}: not a date (write YYYY-MM-DD, e.g. 2025-06-16)")
    folder = _empty_folder(out_dir or Path("results") / f"game-{stamp}", force)
    master_seed = new_master_seed() if seed is None else seed
    try:
        game = Game(loaded.spec, master_seed, rep, first_turn, every)
    except ValueError as exc:
        _fail(f"{loaded.name}: {exc}")
    teams = {
        side: _TerminalTeam(side)
        if players[side] == "human"
        else make_strategy(players[side], side, game.model.params, game.streams)
        for side in SIDES
    }
    out.print(
        f"[bold]The negotiation game[/] on {loaded.name} (seed {master_seed}, replication {rep}): "
        f"US: {players['us']}, China: {players['china']}",
        highlight=False,
    )
    for side in SIDES:
        if players[side] == "human":
            for line in vocabulary_lines(side):
                out.print(line, highlight=False)

    def on_turn(status, turn) -> None:
        if turn is None:
            out.rule()
            for line in status_lines(status, game.statuses):
                out.print(line, highlight=False)
            return
        out.print(f"[bold]{describe_turn(turn)}[/]", highlight=False)
        for note in turn.notes:
            out.print(f"  [yellow]note:[/] {note}", highlight=False)

    try:
        result = play(game, teams["us"], teams["china"], on_turn)
    except typer.Abort:
        _fail(f"input ended at turn {len(game.statuses)} before the game did; nothing saved", 1)
    # a scenario file is saved by its full path (a name is found again in scenarios/)
    scenario_ref = str(loaded.path) if Path(scenario).suffix == ".toml" else scenario
    record = record_of(scenario_ref, game, players)
    saved = save_game(record, folder / "game.game.toml")
    save_game_tables(result, folder)
    for d in game.model.negotiation.decisions:
        if d.day >= game.start_day:
            what = f" -> {d.outcome.replace('_', '-')}" if d.outcome else ""
            out.print(
                f"{game.model.clock.date(d.day)} {d.name}: US {d.us}, China {d.china}{what}", highlight=False
            )
    _show_outcomes(result, f"End of the game ({game.model.clock.end})")
    chart = game_history_chart(
        result,
        folder / "game.png",
        f"Negotiation game on {loaded.name}: US {players['us']} vs China {players['china']}",
        key_dates=key_dates(loaded),
    )
    out.print(f"game saved: {saved} (replay: tradesim play --replay {saved})", highlight=False)
    out.print(f"tables: {folder / 'outcomes.json'}, {folder / 'series.csv'}", highlight=False)
    out.print(f"chart: {chart}", highlight=False)


def _replay_command(
    path: Path, changes: list[str], out_dir: Path | None, force: bool, stamp: str, react: bool = False
) -> None:
    from sim.experiments.run import key_dates
    from sim.workshop.charts import game_history_chart
    from sim.workshop.game import describe_turn
    from sim.workshop.moves import MoveError, parse_change
    from sim.workshop.records import (
        GameFileError,
        changed_record,
        differences,
        first_divergence,
        record_of,
        replay_game,
        replay_with_reactions,
        save_game,
        save_game_tables,
    )

    record, loaded = _load_game(path)
    _, result = replay_game(record, loaded)
    folder = _empty_folder(out_dir or Path("results") / f"replay-{stamp}", force)
    title = f"{record.players['us']} (US) vs {record.players['china']} (China) on {loaded.name}"
    if not changes:
        for turn in result.turns:
            out.print(describe_turn(turn), highlight=False)
            for note in turn.notes:
                out.print(f"  [yellow]note:[/] {note}", highlight=False)
        _show_outcomes(result, f"Replay of {path} (seed {record.seed}, replication {record.rep})")
        save_game_tables(result, folder)
        chart = game_history_chart(
            result, folder / "game.png", f"Replay: {title}", key_dates=key_dates(loaded)
        )
        out.print(f"chart: {chart}", highlight=False)
        return
    changed = record
    try:
        parsed = [parse_change(text) for text in changes]
        targets = [(turn, side) for turn, side, _ in parsed]
        if len(set(targets)) < len(targets):
            raise MoveError("--change names one side's turn twice; put all its moves in one --change")
        if react:
            reacted, other = replay_with_reactions(record, loaded, parsed)
            changed = record_of(record.scenario, reacted, record.players)
        else:
            for turn, side, moves in parsed:
                changed = changed_record(changed, turn, side, moves)
            _, other = replay_game(changed, loaded)
    except (MoveError, GameFileError) as exc:
        _fail(str(exc))
    for turn in other.turns:
        for note in turn.notes:
            out.print(f"[yellow]note[/] (changed game, turn {turn.turn}): {note}", highlight=False)
    table = Table(
        title=f"Same luck, different choice: {', '.join(changes)}{' (strategies react)' if react else ''} "
        f"(seed {record.seed}, replication {record.rep})",
        title_justify="left",
    )
    for column in ("outcome", "as played", "changed", "shift", "unit"):
        table.add_column(column, justify="left" if column in ("outcome", "unit") else "right")
    for d in differences(result, other):
        table.add_row(d.outcome, f"{d.original:.3f}", f"{d.changed:.3f}", f"{d.shift:+.3f}", d.unit)
    out.print(table)
    diverged = first_divergence(result, other)
    out.print(
        f"first day that differs: {diverged}" if diverged else "the change made no difference at all",
        highlight=False,
    )
    saved = save_game(changed, folder / "changed.game.toml")
    save_game_tables(other, folder / "changed")
    chart = game_history_chart(
        result,
        folder / "changed.png",
        f"What the change did: {title}",
        changed=other,
        key_dates=key_dates(loaded),
    )
    out.print(f"changed game: {saved}\nchart: {chart}", highlight=False)


@app.command(
    epilog="Examples: `tradesim tournament` · "
    "`tradesim tournament baseline --reps 20 --seed 1 --workers 2` · "
    "`tradesim tournament chip_escalation --strategy hawk --strategy dove --reps 10`",
)
def tournament(
    scenario: Annotated[
        str, typer.Argument(help="A scenario name from `tradesim list`, or a path.")
    ] = "baseline",
    reps: Annotated[int, typer.Option("--reps", "-n", min=2, help="Replications per pairing.")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Master seed. Same seed, same tables.")] = 1,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Local processes.")] = 1,
    strategy: Annotated[
        list[str] | None, typer.Option(help="Only these strategies (repeat). Default: all four.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Tournament folder. Default: results/tournament-TIMESTAMP."),
    ] = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Play every US strategy against every China strategy and rank them (an Axelrod-style tournament).

    Each pairing plays the same replications (common random numbers). The US is ranked
    on GDP lost by year-end and its mean pain, China on its mean pain (lower is better),
    each averaged over all its games with a 90% interval. Writes `games.csv` (one row
    per game), `ranking.csv`, `manifest.json` and `tournament.png`.
    """
    from sim.workshop.charts import tournament_chart
    from sim.workshop.strategies import STRATEGIES
    from sim.workshop.tournament import pairing_means, run_tournament

    names = tuple(strategy) if strategy else STRATEGIES
    bad = [s for s in names if s not in STRATEGIES]
    if bad:
        _fail(f"--strategy {bad[0]}: must be one of {', '.join(STRATEGIES)}")
    loaded = _load(scenario)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = _empty_folder(out_dir or Path("results") / f"tournament-{stamp}", force)
    games = len(names) ** 2 * reps
    out.print(
        f"tournament on {loaded.name}: {len(names)} strategies a side, {games} games, seed {seed}",
        highlight=False,
    )
    with _progress("playing games", quiet) as bar:
        task = bar.add_task("play", total=games)
        report = run_tournament(
            loaded, reps, seed, folder, workers, names, progress=lambda k: bar.advance(task, k)
        )
    for side, label in (("us", "US"), ("china", "China")):
        table = Table(
            title=f"Ranking of the {label} strategies (lower is better; mean and 90% interval)",
            title_justify="left",
        )
        for column in ("measure", "rank", "strategy", "games", "mean", "90% interval"):
            table.add_column(column, justify="left" if column in ("measure", "strategy") else "right")
        for row in (r for r in report.ranking if r["side"] == side):
            table.add_row(
                f"{row['measure']} ({row['unit']})",
                str(row["rank"]),
                row["strategy"],
                str(row["games"]),
                f"{row['mean']:.3f}",
                f"{row['low']:.3f} to {row['high']:.3f}",
            )
        out.print(table)
    order = list(names)
    means = {m: pairing_means(report.games, order, m) for m in ("gdp_loss_year_end_pct", "china_pain_mean")}
    chart = tournament_chart(
        means,
        order,
        order,
        folder / "tournament.png",
        f"Tournament of strategies on {loaded.name} ({reps} replications per pairing, seed {seed})",
    )
    out.print(f"tables: {folder / 'games.csv'}, {folder / 'ranking.csv'}\nchart: {chart}", highlight=False)


def main() -> None:
    """Entry point of ``python -m sim``."""
    app(prog_name="tradesim")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


# `tradesim workshop` (issue 20) lives in its own module; the lead re-wires it after the CLI split.
from sim.cli.classroom import register as _register_workshop  # noqa: E402

_register_workshop(app)
