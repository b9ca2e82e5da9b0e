"""What every command shares: the typer app, the consoles, options declared once, and rendering.

Kept light on purpose: ``tradesim --help`` imports this module and the command
modules, so nothing here (or at the top of a command module) may import numba,
scipy, matplotlib, SALib, dask or pandas; commands import the library inside
their bodies.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

if TYPE_CHECKING:
    from sim.scenario.loader import LoadedScenario, ScenarioError

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


def _version(value: bool) -> None:
    if value:
        from sim.core.version import __version__

        out.print(f"tradesim {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Monte Carlo simulator of the 2025 US-China rare-earth standoff."""


# --- options shared by several commands (declared once) ----------------------------------------

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
WorkersOption = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Local processes. Default: all cores.")
]
ForceWorkersOption = Annotated[
    bool, typer.Option("--force-workers", help="Allow more --workers than the cores available.")
]
ForceOption = Annotated[bool, typer.Option(help="Write into an existing, non-empty folder.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
ScenarioArgument = Annotated[str, typer.Argument(help="A scenario name from `tradesim list`, or a path.")]
OptionalScenarioArgument = Annotated[
    str | None, typer.Argument(help="A scenario name from `tradesim list`, or a path.")
]
OutcomesOption = Annotated[
    list[str] | None, typer.Option("--outcome", help="Outcome to show (repeatable). Default: a key few.")
]


# --- failing, loading, folders -----------------------------------------------------------------


def fail(problems: ScenarioError | str, code: int = 2) -> NoReturn:
    """Print one line per problem on stderr and exit with ``code`` (2: bad input)."""
    lines = getattr(problems, "problems", None) or [problems]
    for line in lines:
        err.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load(ref: str) -> LoadedScenario:
    """A scenario by name or path, or exit 2 with its problems."""
    from sim.scenario.loader import ScenarioError, load_scenario

    try:
        return load_scenario(ref)
    except ScenarioError as exc:
        fail(exc)


def stamp() -> str:
    """The timestamp that names default output folders."""
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def default_folder(stem: str) -> Path:
    """``results/STEM-TIMESTAMP``: where a command writes when given no ``--out``.

    ``stem`` often holds a scenario's name, text from a file: it is made a harmless folder name
    (``sim.core.paths.safe_name``), so a scenario can never choose where results go.
    """
    from sim.core.paths import safe_name

    return Path("results") / f"{safe_name(stem)}-{stamp()}"


def empty_folder(folder: Path, force: bool = False) -> Path:
    """A folder to write results into: new, empty, or (``force``) a results folder emptied first.

    Earlier results are never mixed in: ``--force`` removes everything a previous run left
    (and refuses a folder holding files tradesim did not write, or one another run is writing).
    An existing file, a device such as ``/dev/null``, or a folder that cannot be written (a
    read-only file system, no permission) is refused here, before any work starts.
    """
    import errno
    import os

    from sim.results.safe_io import ResultsError, clear_folder

    if folder.exists() and not folder.is_dir():
        fail(f"--out {folder}: exists and is not a folder (choose a new path or an empty folder)")
    if folder.exists() and any(folder.iterdir()):
        if not force:
            fail(f"{folder}: folder exists and is not empty (choose another --out, or --force)")
        try:
            clear_folder(folder)
        except ResultsError as exc:
            fail(str(exc))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".tradesim-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        code = errno.errorcode.get(exc.errno or 0, "?")
        fail(f"--out {exc.filename or folder}: cannot write there: {os.strerror(exc.errno or 0)} ({code})")
    return folder


def master_seed(seed: int | None) -> int:
    """The seed given, or a fresh one."""
    from sim.experiments.run import new_master_seed

    return new_master_seed() if seed is None else seed


def workers_or_default(workers: int | None, force: bool = False) -> int:
    """The ``--workers`` given, or every core; more workers than cores only when ``force``d.

    Processes beyond the cores available only compete for them (and ``--workers 1000`` forked
    a thousand processes): the number is capped, with a note, unless ``--force-workers``.
    """
    from sim.core.limits import cores_available

    cores = cores_available()
    if workers is None:
        return cores
    if workers > cores and not force:
        err.print(
            f"note: --workers {workers}: {cores} core(s) available, using {cores} "
            "(--force-workers to start more processes anyway)",
            highlight=False,
        )
        return cores
    return workers


def check_outcomes(names: list[str] | None) -> None:
    """Exit 2 naming any ``--outcome`` the catalogue does not know."""
    from sim.results.catalogue import OUTCOMES

    unknown = [n for n in names or [] if n not in OUTCOMES]
    if unknown:
        fail(f"--outcome: unknown {', '.join(unknown)} (allowed: {', '.join(OUTCOMES)})")


# --- progress ----------------------------------------------------------------------------------


def prepare_model(quiet: bool = False) -> None:
    """Compile the model's kernels, or load them from the disk cache (see ``sim.core.jit``).

    Compiling takes some seconds, once after install; saying so keeps a first run from looking stuck.
    """
    from sim.model.replication import warm_up

    if quiet:
        warm_up()
        return
    with err.status("Preparing the model (compiled once after install, then cached)…"):
        warm_up()


def progress(label: str, quiet: bool = False) -> Progress:
    """A progress bar on stderr that disappears when done; the model is compiled first."""
    prepare_model(quiet)
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )


class NamedBars:
    """One progress bar per named part of a study (a scenario, a branch), added as each starts.

    Its instances are the ``progress(name, done)`` callbacks the library's multi-part runs take.
    """

    def __init__(self, bars: Progress, total: int, width: int = 22):
        self.bars, self.total, self.width, self.tasks = bars, total, width, {}

    def __call__(self, name: str, done: int) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.bars.add_task(name, total=self.total)
        self.bars.advance(self.tasks[name], done)


def named_progress(quiet: bool = False) -> Progress:
    """Like :func:`progress`, with each bar labelled by its task's name."""
    prepare_model(quiet)
    return Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )


# --- rendering ---------------------------------------------------------------------------------


def say(text: str) -> None:
    """A plain line on stdout (paths, counts): never highlighted, never wrapped."""
    out.print(text, highlight=False)


def plain(value: float) -> str:
    """A number as the summary tables write it, ``-`` when missing."""
    from sim.results.summary import decimals_for, format_number

    return "-" if math.isnan(value) else format_number(value, decimals_for(value, "count"))


def sd(variance: float) -> str:
    """A variance shown as a standard deviation, in the outcome's own unit."""
    return "-" if math.isnan(variance) else plain(math.sqrt(max(0.0, variance)))


def median_and_range(median: float, low: float, high: float, kind: str) -> str:
    """A narrow table cell: the median over its 5%-95% range."""
    from sim.experiments.compare import format_value

    return f"{format_value(median, kind)}\n({format_value(low, kind)}-{format_value(high, kind)})"


def print_summary(results) -> None:
    """The outcome table of a run: median and 90% interval, grouped by subsystem."""
    from rich.table import Table

    from sim.results.summary import summarise

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


def print_paths(label: str, paths) -> None:
    """One ``LABEL: PATH`` line per file written."""
    for path in paths:
        say(f"{label}: {path}")
