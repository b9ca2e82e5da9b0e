"""What every command shares: the typer app, the consoles, options declared once, and rendering.

Kept light on purpose: ``tradesim --help`` imports this module and the command
modules, so nothing here (or at the top of a command module) may import numba,
scipy, matplotlib, SALib, dask or pandas; commands import the library inside
their bodies.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from sim.results.key_outcomes import KEY_OUTCOMES  # a small table, no heavy import

if TYPE_CHECKING:
    from sim.scenario.loader import LoadedScenario, ScenarioError


class _Commands(typer.core.TyperGroup):
    """The command group: a results folder that cannot be used as asked is one line, in every command.

    A folder another run is writing, a damaged manifest, a full disk, a dead worker: the library
    raises :class:`sim.results.safe_io.ResultsError` naming the folder or file, and whichever command
    met it exits 2 with that line (the commands need not each remember to catch it).
    """

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from sim.results.safe_io import ResultsError  # standard library only: cheap

            if isinstance(exc, ResultsError):
                fail(str(exc))
            raise


app = typer.Typer(
    cls=_Commands,
    name="tradesim",
    help="Monte Carlo simulator of the 2025 US-China rare-earth standoff.\n\n"
    "Start with `tradesim list`, then `tradesim run baseline`.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
# Width: the terminal's, else $COLUMNS, else 80 (piped); tables fit it without cutting a figure.
out = Console()
err = Console(stderr=True)
#: The output format of the command running: ``table``, ``csv`` or ``json`` (see :func:`use_format`).
FORMAT = "table"


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
    global FORMAT
    FORMAT = "table"  # each command sets its own (use_format)


# --- options shared by several commands (declared once) ----------------------------------------


def _dask_answers(ctx: typer.Context, address: str | None) -> str | None:
    """Check ``--dask`` as it is parsed: a scheduler that does not answer is one line, before any folder."""
    if address and not ctx.resilient_parsing:
        from sim.experiments.cluster import check_scheduler
        from sim.results.safe_io import ResultsError

        try:
            check_scheduler(address)
        except ResultsError as exc:
            fail(str(exc))
    return address


#: ``--dask``: every command that runs many replications can send them to a Dask cluster.
DaskOption = Annotated[
    str | None,
    typer.Option(
        help="Run on a Dask cluster: its scheduler address, or `local` to start one here.",
        callback=_dask_answers,
    ),
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
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="`table` (for people), `csv` or `json` (the same figures for a machine, on stdout; "
        "JSON: one object per table, one per line).",
    ),
]
AllOption = Annotated[
    bool, typer.Option("--all", help="Every outcome, by its code name (default: the key few, in words).")
]
OutcomesOption = Annotated[
    list[str] | None, typer.Option("--outcome", help="Outcome to show (repeatable). Default: a key few.")
]


# --- failing, loading, folders -----------------------------------------------------------------


def fail(problems: ScenarioError | str, code: int = 2) -> NoReturn:
    """Print one line per problem on stderr and exit with ``code`` (2: bad input)."""
    from sim.cli.tables import bounded

    lines = getattr(problems, "problems", None) or [problems]
    for line in lines:
        # bounded: a message that repeats a huge wrong value must not flood the terminal, but a
        # message of our own (a path to resume from, say) is never cut: 1,500 characters is room
        err.print(
            Text.assemble(("error:", "bold red"), " ", bounded(line, 1500)), highlight=False, soft_wrap=True
        )
    raise typer.Exit(code)


def warn(label: str, text: str, style: str = "yellow") -> None:
    """A warning on stderr: ``label`` in ``style``, ``text`` as plain text (never markup)."""
    from sim.cli.tables import bounded

    err.print(Text.assemble((label, style), " ", bounded(text, 2000)), highlight=False, soft_wrap=True)


def use_format(fmt: str) -> str:
    """Check ``--format`` and make it the command's: in csv or json, chatter goes to stderr."""
    global FORMAT
    from sim.cli.tables import FORMATS

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    FORMAT = fmt
    return fmt


def load(ref: str) -> LoadedScenario:
    """A scenario by name or path, or exit 2 with its problems."""
    from sim.scenario.loader import ScenarioError, load_scenario

    try:
        return load_scenario(ref)
    except ScenarioError as exc:
        fail(exc)
    except OSError as exc:  # a name too long for a path, a folder given as a file
        fail(f"{ref}: {exc.strerror or exc}")


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


def start_compiling(dask: str | None = None) -> None:
    """If nothing is compiled yet, start compiling the model on the other cores now, while the
    command imports and loads the scenario (``sim.core.kernel_cache.start_early``). Not for a
    remote Dask cluster: its workers compile for themselves."""
    if dask in (None, "local"):
        from sim.core.kernel_cache import start_early

        start_early(["sim.model.replication"])  # imports every subsystem: every kernel's warm-up


def prepare_model(quiet: bool = False) -> None:
    """Compile the model's kernels, or load them from the disk cache (see ``sim.core.jit``).

    Compiling takes some seconds, once after install (on the idle cores at once); saying so keeps a
    first run from looking stuck.
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


def say(text: str, *values: object) -> None:
    """A plain line on stdout (stderr in csv/json): never highlighted, never wrapped.

    ``text`` may hold Rich markup; ``values`` fill its ``{}`` as plain text, so a name or
    description read from a file is never taken for markup (nor its escapes for the terminal's).
    """
    from rich.markup import escape

    from sim.cli.tables import clean

    line = text.format(*(escape(clean(v)) for v in values)) if values else text
    (out if FORMAT == "table" else err).print(line, highlight=False, soft_wrap=True)


def para(text: str, indent: int = 0, hang: int = 2) -> None:
    """Plain text from files or the library, wrapped to the console (words and web addresses kept whole)."""
    import textwrap

    from sim.cli.tables import clean

    console = out if FORMAT == "table" else err
    first, rest = " " * indent, " " * (indent + hang)
    for line in clean(text).split("\n"):
        wrapped = textwrap.wrap(
            line.strip(),
            max(20, console.width),
            initial_indent=first,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
        for piece in wrapped:
            console.print(piece, markup=False, highlight=False, soft_wrap=True)


def table(grid) -> None:
    """Print a :class:`sim.cli.tables.Grid` in the command's format."""
    from sim.cli.tables import emit

    emit(grid, FORMAT, out)


def plain(value: float) -> str:
    """A number as every table writes it (:func:`sim.cli.tables.number`), ``-`` when missing."""
    from sim.cli.tables import number

    return number(value)


def sd(variance: float) -> str:
    """A variance shown as a standard deviation, in the outcome's own unit."""
    return "-" if math.isnan(variance) else plain(math.sqrt(max(0.0, variance)))


def median_and_range(median: float, low: float, high: float, kind: str) -> str:
    """A narrow table cell: the median over its 5%-95% range."""
    from sim.results.summary import format_value

    return f"{format_value(median, kind)}\n({format_value(low, kind)} to {format_value(high, kind)})"


def print_summary(results, every: bool = False) -> None:
    """The outcome table of a run: median and 90% interval; the key outcomes in words, or ``every`` one."""
    from sim.cli.tables import Column, Grid, clean, unit_after
    from sim.results.summary import summarise

    n = len(next(iter(results.outcomes.values())))
    rows = {r.name: r for r in summarise(results)}
    name = clean(results.manifest["scenario"]["name"])
    title = f"Outcomes of {name}: median and 90% interval over {n} replications"
    if every:
        grid = Grid(
            title,
            [Column("outcome\nunit", "outcome"), Column("median"), Column("5%"), Column("95%")],
            caption="Yes/no outcomes: the share of replications, with its 90% interval.",
        )
        ordered = list(rows.values())
        for i, r in enumerate(ordered):
            unit = unit_after(r.median, r.unit)
            grid.add(
                f"{r.name}\n  {unit}" if unit else r.name,
                r.median,
                r.low,
                r.high,
                record={"outcome": r.name, "median": r.median, "5%": r.low, "95%": r.high, "unit": r.unit},
                end_section=i + 1 < len(ordered) and ordered[i + 1].group != r.group,
            )
    else:
        grid = Grid(
            title,
            [Column("outcome", prose=True), Column("median"), Column("5%"), Column("95%")],
            caption="Shares of runs: the share of replications where it happens, with its 90% interval. "
            "`--all` lists every outcome; each replication's are in outcomes.csv in the results folder.",
        )
        for key, label in KEY_OUTCOMES.items():
            r = rows.get(key)
            if r is not None:
                grid.add(
                    label,
                    r.median,
                    r.low,
                    r.high,
                    record={
                        "outcome": key,
                        "label": label,
                        "median": r.median,
                        "5%": r.low,
                        "95%": r.high,
                        "unit": r.unit,
                    },
                )
    table(grid)


def print_paths(label: str, paths) -> None:
    """One ``LABEL: PATH`` line per file written."""
    for path in paths:
        say(label + ": {}", path)


def print_plots(paths) -> None:
    """ONE line for where the charts went: their folder and how many."""
    paths = [Path(p) for p in paths if p is not None]
    if not paths:
        return
    folders = sorted({str(p.parent) for p in paths})
    where = folders[0] if len(folders) == 1 else ", ".join(folders)
    say("plots: {} ({} charts)", where, len(paths))
