"""Commands that read scenarios and sources: ``list``, ``validate``, ``show``, ``sources``, ``diff``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import ForceWorkersOption, FormatOption, ScenarioArgument, WorkersOption, app
from sim.core.limits import MAX_REPS

PANEL = "Scenarios and sources"


@app.command("list", rich_help_panel=PANEL, epilog="Example: `tradesim list`")
def list_command(fmt: FormatOption = "table") -> None:
    """List the scenarios in `scenarios/` with a one-line description each."""
    from sim.cli.tables import Column, Grid
    from sim.scenario.files import list_scenarios
    from sim.scenario.listing import scenario_rows  # remembered rows: no validator to import

    ui.use_format(fmt)
    grid = Grid(
        "Scenarios", [Column("name"), Column("extends", left=True), Column("description", prose=True)]
    )
    for row in scenario_rows(list_scenarios()):
        grid.add(row.name, row.extends, row.problem or row.description)
    ui.table(grid)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim validate scenarios/*.toml` · `tradesim validate my_what_if.toml`",
)
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or names, or saved games, to check.")],
) -> None:
    """Check scenario files: keys, types, ranges, dates, parent scenarios and sources.

    A saved game (`*.game.toml`) is checked too: its keys, moves, and dates inside its scenario.
    Exits with code 2 and one line per problem (file, key, what is allowed) if any is wrong.
    """
    from rich.text import Text

    from sim.cli.tables import bounded
    from sim.scenario.loader import ScenarioError, load_scenario

    bad = 0
    for ref in files:
        try:
            if ref.endswith(".game.toml"):  # the model's game layer is imported only for a game
                from sim.workshop.records import load_game, load_record_scenario

                record = load_game(ref)
                s = load_record_scenario(record, Path(ref).parent, ref)
                ui.say("[green]ok[/] {} (a game of {}, {} turns)", ref, s.name, len(record.turns))
                continue
            s = load_scenario(ref)
        except ValueError as exc:  # a game file's problem (GameFileError), the file named
            bad += 1
            ui.err.print(Text.assemble(("error:", "bold red"), " ", bounded(str(exc))), soft_wrap=True)
            continue
        except ScenarioError as exc:
            bad += 1
            for p in exc.problems:
                ui.err.print(Text.assemble(("error:", "bold red"), " ", bounded(p)), soft_wrap=True)
            continue
        ui.say("[green]ok[/] {} ({}: {})", s.path, s.name, s.spec.description)
    if bad:
        raise typer.Exit(2)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim sources` · `tradesim sources --figure magnet_price_rise_may_2025`",
)
def sources(
    figure: Annotated[
        str | None, typer.Option("--figure", "-f", help="Show one figure and everything that uses it.")
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """List the figures taken from the source articles (the registry in `seeds/`).

    Each figure has an id, a value and unit, the article it comes from, what it
    measures (in our words), how reliable it is, and which scenario parameters and
    calibration targets use it.
    """
    from sim.cli.tables import Column, Grid, clean, number

    def _figure_value(value):  # a date as ISO, a number by the one rule (7, not 7.0), text as written
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    from sim.experiments.calibration import load_targets
    from sim.scenario.sources import article_of, load_registry

    ui.use_format(fmt)
    registry = load_registry().figures
    targets = load_targets()
    if figure is not None:
        if figure not in registry:
            ui.fail(f"no figure {clean(figure)!r} in the registry (see `tradesim sources`)")
        f = registry[figure]
        value = _figure_value(f.value)
        ui.say("[bold]{}[/]", figure)
        lines = [
            ("value", f"{value} {f.unit}" if f.unit != "qualitative" else str(value)),
            ("range (our reading)", f"{f.low} - {f.high}" if f.low is not None else "-"),
            ("article", article_of(f).citation()),
            ("measures", f.measures),
            ("reliability", f.reliability),
            ("note", f.note or "-"),
        ]
        for key, text in lines:
            ui.say(f"  {key + ':':<21}" + "{}", text)
        ui.say("  used by parameters:")
        for use in f.used_by or ["(no scenario parameter)"]:
            ui.say("    {}", use)
        checked = [name for name, t in targets.items() if t.figure == figure]
        ui.say("  calibration targets: {}", ", ".join(checked) if checked else "-")
        return
    grid = Grid(
        "Figures from the source articles (seeds/figures.toml)",
        [
            Column("id"),
            Column("value", prose=True),
            Column("article", prose=True),
            Column("reliability", left=True),
            Column("used by", prose=True),
            Column("measures", prose=True),
        ],
    )
    for fid, f in registry.items():
        value = _figure_value(f.value)
        shown = str(value) if f.unit == "qualitative" else f"{value} {f.unit}"
        n_targets = sum(t.figure == fid for t in targets.values())
        used = f"{len(f.used_by)} params" + (f", {n_targets} target(s)" if n_targets else "")
        grid.add(fid, shown, article_of(f).short(), f.reliability, used, f.measures)
    ui.table(grid)
    if ui.FORMAT != "table":
        return
    ui.para("Articles (`tradesim sources --figure ID` gives a figure's in full):")
    for article in {id(article_of(f)): article_of(f) for f in registry.values()}.values():
        ui.para(article.citation(), indent=2)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim show baseline` · `tradesim show scenarios/no_deal.toml`",
)
def show(scenario: ScenarioArgument, fmt: FormatOption = "table") -> None:
    """Print a scenario as resolved: every parameter, its value or distribution, and its source.

    Parameters inherited through `extends` are shown with the file that set them.
    """
    from sim.cli.tables import Column, Grid
    from sim.scenario.sampling import iter_parameters

    ui.use_format(fmt)
    loaded = ui.load(scenario)
    grid = Grid(
        f"{loaded.name}: {loaded.spec.description}",
        [
            Column("parameter"),
            Column("value or distribution", prose=True),
            Column("source", prose=True),
            Column("set in", left=True),
        ],
    )
    for path, dist in iter_parameters(loaded.spec):
        origin = loaded.origins.get(path, "")
        grid.add(path, dist.describe(), dist.source or "-", Path(origin).stem if origin else "-")
    for c in loaded.spec.correlations:
        grid.add(f"rank correlation: {c.between[0]} ~ {c.between[1]}", f"{c.rank:+.2f}", c.source, "-")
    ui.table(grid)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim diff baseline snap_back` · "
    "`tradesim diff baseline my_what_if.toml --reps 100`",
)
def diff(
    scenario_a: Annotated[str, typer.Argument(help="The reference scenario (name or path).")],
    scenario_b: Annotated[str, typer.Argument(help="The scenario compared with it.")],
    reps: Annotated[
        int,
        typer.Option(
            "--reps", "-n", min=0, max=MAX_REPS, help="Also run both and show paired outcome shifts."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(min=0, help="Master seed for --reps.")] = 1,
    workers: WorkersOption = None,
    force_workers: ForceWorkersOption = False,
    fmt: FormatOption = "table",
) -> None:
    """What differs between two scenarios: parameters (with sources), and with --reps, outcomes.

    Plain text that reads well in a code review. Outcome shifts are paired on
    common random numbers: median and 90% interval of B minus A, replication
    by replication.
    """
    from sim.cli.tables import Column, Grid, unit_after
    from sim.experiments.compare import paired_shifts, parameter_changes
    from sim.results.summary import format_diff, format_value

    ui.use_format(fmt)
    a, b = ui.load(scenario_a), ui.load(scenario_b)
    changed = parameter_changes(a, b)
    if ui.FORMAT == "table":
        lines = [f"--- {a.name}", f"+++ {b.name}", f"{len(changed)} parameter(s) differ"]
        for line in lines:
            ui.para(line)
        for c in changed:
            ui.para(c.path, indent=2)
            ui.para(f"- {c.before}   ({c.before_source})" if c.before else "- (absent)", indent=4)
            ui.para(f"+ {c.after}   ({c.after_source})" if c.after else "+ (absent)", indent=4)
    else:
        grid = Grid(
            f"parameters, {b.name} against {a.name}",
            [Column(h) for h in ("parameter", "before", "before source", "after", "after source")],
        )
        for c in changed:
            grid.add(c.path, c.before or "", c.before_source or "", c.after or "", c.after_source or "")
        ui.table(grid)
    if reps < 2:
        return
    rows = paired_shifts(a, b, reps, seed, ui.workers_or_default(workers, force_workers))
    grid = Grid(
        f"outcome shifts, {b.name} minus {a.name}, paired ({reps} replications, seed {seed}): "
        "median and 90% interval; outcomes unchanged in every replication left out",
        [*(Column(h) for h in ("outcome", "shift", "90% interval", "now")), Column("unit", prose=True)],
    )
    for r in rows:
        if r.diff_low == 0 and r.diff_high == 0:
            continue  # unchanged in every replication
        now = format_value(r.median, r.kind)
        grid.add(
            r.outcome,
            format_diff(r.diff_median, r.kind),
            f"{format_diff(r.diff_low, r.kind)} to {format_diff(r.diff_high, r.kind)}",
            now,
            unit_after(now, r.unit),
        )
    ui.table(grid)
