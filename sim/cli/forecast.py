"""``tradesim forecast``: predict, then reveal (collect a class's forecasts, then score them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

import sim.cli.ui as ui
from sim.cli.ui import ForceWorkersOption, FormatOption, WorkersOption, app
from sim.core.limits import MAX_REPS

T = TypeVar("T")

forecast_app = typer.Typer(
    help="Predict, then reveal: collect a class's forecasts before a run, then score them against it.\n\n"
    "Start with `tradesim forecast add class.csv --name Ana`, then `tradesim forecast score class.csv`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(forecast_app, name="forecast", rich_help_panel="Workshop")


def _ask(prompt: str, parse: Callable[[str], T], given: str | None) -> T:
    """Parse an option's value, or prompt until the answer parses (each mistake explained)."""
    if given is not None:
        try:
            return parse(given)
        except ValueError as exc:
            ui.fail(str(exc))
    while True:
        answer = typer.prompt(prompt)
        try:
            return parse(answer)
        except ValueError as exc:
            ui.warn("not understood:", str(exc))


def _parse_quantiles(count: int, levels) -> Callable[[str], list[float]]:
    from sim.workshop.scoring import check_quantiles

    def parse(text: str) -> list[float]:
        try:
            values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"{text!r}: type {count} numbers separated by commas") from None
        if len(values) != count:
            raise ValueError(f"{text!r}: type {count} numbers separated by commas, got {len(values)}")
        check_quantiles(levels, values)
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
        str | None,
        typer.Option(
            help="The probability of the event: 30%, 30 or 0.3 all read as 30% (a number below 1 is a "
            "fraction; the line printed says how it was read). Asked if not given."
        ),
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
    from sim.workshop.forecast import ForecastError, append_forecast, read_probability
    from sim.workshop.reveal import questions_for

    try:
        asked = questions_for(file, event, quantity, levels)
    except ForecastError as exc:
        ui.fail("\n".join(exc.problems))
    except ValueError as exc:
        ui.fail(str(exc))
    shown = "/".join(f"{100 * q:g}" for q in asked.levels)
    readings: list[str] = []

    def parse_p(text: str) -> float:
        p, how = read_probability(text)
        readings.append(how)
        return p

    p = _ask(
        f"{name}: probability (30% or 0.3) that {OUTCOMES[asked.event].description} [{asked.event}]",
        parse_p,
        probability,
    )
    ui.say("{}", readings[-1])
    measure = OUTCOMES[asked.quantity]
    q = _ask(
        f"{name}: your {shown}% quantiles of {measure.description}, in {measure.unit} "
        f"(lowest first, comma-separated)",
        _parse_quantiles(len(asked.levels), asked.levels),
        quantiles,
    )
    try:
        forecasts = append_forecast(
            file, name, {asked.event: p}, {asked.quantity: (asked.levels, q)}, replace=replace
        )
    except ForecastError as exc:
        ui.fail("\n".join(exc.problems))
    from sim.cli.tables import percent

    ui.say(
        "saved {}: {} for {}; {}% quantiles of {}: {} -> {} ({} participant(s))",
        name,
        percent(p),
        asked.event,
        shown,
        asked.quantity,
        ", ".join(f"{v:g}" for v in q),
        file,
        len(forecasts.names),
    )


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
        int, typer.Option("--reps", "-n", min=2, max=MAX_REPS, help="Without a results folder: replications.")
    ] = 200,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Without a results folder: master seed. Default: a fresh one.")
    ] = None,
    workers: WorkersOption = None,
    force_workers: ForceWorkersOption = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Where the run goes (without FOLDER). Default: results/forecast-TIMESTAMP."
        ),
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Reveal: score every forecast in the class file against the simulated distribution.

    Probabilities get a Brier score, quantiles a CRPS (both: lower is better), each
    beside what the model itself scores. Prints the class ranked by mean rank over the
    questions, and writes `forecast_scores.csv` and a figure of the forecasts beside
    the simulated distribution into the results folder.
    """
    from sim.experiments.run import run_experiment
    from sim.results.folder import ResultsError
    from sim.workshop.forecast import ForecastError, read_forecasts
    from sim.workshop.reveal import reveal

    ui.use_format(fmt)
    try:
        forecasts = read_forecasts(file)
    except ForecastError as exc:
        ui.fail("\n".join(exc.problems))
    if not forecasts.names:
        ui.fail(f"{file}: no forecasts yet (add some with `tradesim forecast add {file} --name NAME`)")
    if folder is not None and (
        scenario != "baseline" or reps != 200 or seed is not None or out_dir is not None
    ):
        ui.warn("note:", f"scoring against {folder}; --scenario, --reps, --seed and --out are ignored")
    if folder is None:
        loaded = ui.load(scenario)
        folder = ui.empty_folder(out_dir or ui.default_folder("forecast"))
        master_seed = ui.master_seed(seed)
        ui.say(f"running {{}}: {reps} replications, seed {master_seed} -> {{}}", loaded.name, folder)
        with ui.progress("simulating replications") as bar:
            task = bar.add_task("run", total=reps)
            report = run_experiment(
                loaded,
                reps,
                master_seed,
                folder,
                ui.workers_or_default(workers, force_workers),
                progress=lambda k: bar.advance(task, k),
            )
        if report.interrupted:
            ui.fail(f"interrupted; nothing scored ({report.reps_completed} replications in {folder})", 130)
    try:
        revealed = reveal(forecasts, folder)
    except (ResultsError, FileNotFoundError) as exc:
        ui.fail(str(exc))
    except ForecastError as exc:
        ui.fail("\n".join(exc.problems))
    _print_scoreboard(revealed.board, revealed.scenario)
    ui.say("scores: {}", revealed.scores)
    ui.print_paths("plot", revealed.figures)


def _print_scoreboard(board, scenario: str) -> None:
    from sim.cli.tables import Column, Grid, number
    from sim.workshop.forecast import MODEL_FREQUENCY, MODEL_ITSELF, MODEL_QUANTILES

    questions = list(board.samples)
    runs = next(iter(board.samples.values())).size
    rules = {q: "Brier" if board.for_outcome(q)[0].rule == "brier" else "CRPS" for q in questions}
    grid = Grid(
        f"Forecasts scored against {runs} replications of {scenario} (lower scores are better)",
        [
            Column("rank"),
            Column("name", left=True),
            *(Column(f"{q}\nforecast · {rules[q]}", q) for q in questions),
        ],
        caption="Brier: mean of (p - outcome)^2 over runs. CRPS: distance between forecast and simulated "
        "distributions, in the outcome's unit. Rank: mean over the questions answered.",
    )
    by_name = {(s.name, s.outcome): s for s in board.scores}

    def cell(found) -> str:
        return f"{found.forecast} · {number(found.score)}" if found else "-"

    def record(rank, name, found: dict) -> dict:
        row = {"rank": rank, "name": name}
        for q in questions:
            s = found.get(q)
            row[f"{q} forecast"] = s.forecast if s else ""
            row[f"{q} {rules[q]}"] = s.score if s else ""
        return row

    for label, refs in (
        ("model", [MODEL_FREQUENCY, MODEL_QUANTILES]),
        ("model, whole distribution", [MODEL_ITSELF]),
    ):
        found = {}
        for q in questions:
            hits = [by_name[(r, q)] for r in refs if (r, q) in by_name]
            if hits:
                found[q] = hits[0]
        grid.add(
            "",
            label,
            *(cell(found.get(q)) if q in found else "" for q in questions),
            record=record("", label, found),
            end_section=label != "model",
        )
    for name, mean_rank in board.ranking():
        found = {q: by_name[(name, q)] for q in questions if (name, q) in by_name}
        cells = [cell(found.get(q)) for q in questions]
        grid.add(f"{mean_rank:g}", name, *cells, record=record(mean_rank, name, found))
    ui.table(grid)
