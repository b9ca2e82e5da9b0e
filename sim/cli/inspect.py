"""Commands that read scenarios and sources: ``list``, ``validate``, ``show``, ``sources``, ``diff``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import sim.cli.ui as ui
from sim.cli.ui import ScenarioArgument, app
from sim.core.limits import MAX_REPS

PANEL = "Scenarios and sources"


@app.command("list", rich_help_panel=PANEL, epilog="Example: `tradesim list`")
def list_command() -> None:
    """List the scenarios in `scenarios/` with a one-line description each."""
    from sim.scenario.loader import ScenarioError, list_scenarios, load_scenario

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
    ui.out.print(table)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim validate scenarios/*.toml` · `tradesim validate my_what_if.toml`",
)
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or names to check.")],
) -> None:
    """Check scenario files: keys, types, ranges, dates, parent scenarios and sources.

    Exits with code 2 and one line per problem (file, key, what is allowed) if any is wrong.
    """
    from sim.scenario.loader import ScenarioError, load_scenario

    bad = 0
    for ref in files:
        try:
            s = load_scenario(ref)
        except ScenarioError as exc:
            bad += 1
            for p in exc.problems:
                ui.err.print(f"[bold red]error:[/] {p}", highlight=False, soft_wrap=True)
            continue
        ui.say(f"[green]ok[/] {s.path} ({s.name}: {s.spec.description})")
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
) -> None:
    """List the figures taken from the source articles (the registry in `seeds/`).

    Each figure has an id, a value and unit, the article it comes from, what it
    measures (in our words), how reliable it is, and which scenario parameters and
    calibration targets use it.
    """
    from sim.experiments.calibration import load_targets
    from sim.scenario.sources import article_of, load_registry

    registry = load_registry().figures
    targets = load_targets()
    if figure is not None:
        if figure not in registry:
            ui.fail(f"no figure {figure!r} in the registry (see `tradesim sources`)")
        f = registry[figure]
        value = f.value.isoformat() if hasattr(f.value, "isoformat") else f.value
        ui.say(f"[bold]{figure}[/]")
        lines = [
            ("value", f"{value} {f.unit}" if f.unit != "qualitative" else str(value)),
            ("range (our reading)", f"{f.low} - {f.high}" if f.low is not None else "-"),
            ("article", article_of(f).citation()),
            ("measures", f.measures),
            ("reliability", f.reliability),
            ("note", f.note or "-"),
        ]
        for key, text in lines:
            ui.out.print(f"  {key + ':':<21}{text}", highlight=False, soft_wrap=True)
        ui.say("  used by parameters:")
        for use in f.used_by or ["(no scenario parameter)"]:
            ui.say(f"    {use}")
        checked = [name for name, t in targets.items() if t.figure == figure]
        ui.say(f"  calibration targets: {', '.join(checked) if checked else '-'}")
        return
    table = Table(title="Figures from the source articles (seeds/figures.toml)", title_justify="left")
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("article", overflow="fold")
    table.add_column("reliability", no_wrap=True)
    table.add_column("used by", justify="right")
    table.add_column("measures", overflow="fold")
    for fid, f in registry.items():
        value = f.value.isoformat() if hasattr(f.value, "isoformat") else f.value
        shown = str(value) if f.unit == "qualitative" else f"{value} {f.unit}"
        n_targets = sum(t.figure == fid for t in targets.values())
        used = f"{len(f.used_by)} params" + (f", {n_targets} target(s)" if n_targets else "")
        table.add_row(fid, shown, article_of(f).short(), f.reliability, used, f.measures)
    ui.out.print(table)
    ui.out.print("Articles (`tradesim sources --figure ID` gives a figure's in full):", highlight=False)
    for article in {id(article_of(f)): article_of(f) for f in registry.values()}.values():
        ui.out.print(f"  {article.citation()}", highlight=False, markup=False, soft_wrap=True)


@app.command(
    rich_help_panel=PANEL,
    epilog="Examples: `tradesim show baseline` · `tradesim show scenarios/no_deal.toml`",
)
def show(scenario: ScenarioArgument) -> None:
    """Print a scenario as resolved: every parameter, its value or distribution, and its source.

    Parameters inherited through `extends` are shown with the file that set them.
    """
    from sim.scenario.sampling import iter_parameters

    loaded = ui.load(scenario)
    table = Table(title=f"{loaded.name}: {loaded.spec.description}", title_justify="left")
    table.add_column("parameter", style="bold", overflow="fold")
    table.add_column("value or distribution", overflow="fold")
    table.add_column("source", overflow="fold")
    table.add_column("set in", no_wrap=True)
    for path, dist in iter_parameters(loaded.spec):
        origin = loaded.origins.get(path, "")
        table.add_row(path, dist.describe(), dist.source or "-", Path(origin).stem if origin else "-")
    for c in loaded.spec.correlations:
        table.add_row(f"rank correlation: {c.between[0]} ~ {c.between[1]}", f"{c.rank:+.2f}", c.source, "-")
    ui.out.print(table)


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
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="Local processes.")] = None,
) -> None:
    """What differs between two scenarios: parameters (with sources), and with --reps, outcomes.

    Plain text that reads well in a code review. Outcome shifts are paired on
    common random numbers: median and 90% interval of B minus A, replication
    by replication.
    """
    from sim.experiments.compare import format_diff, format_value, paired_shifts, parameter_changes

    a, b = ui.load(scenario_a), ui.load(scenario_b)
    changed = parameter_changes(a, b)
    lines = [f"--- {a.name}", f"+++ {b.name}", f"{len(changed)} parameter(s) differ"]
    for c in changed:
        lines.append(f"  {c.path}")
        lines.append(f"    - {c.before}   ({c.before_source})" if c.before else "    - (absent)")
        lines.append(f"    + {c.after}   ({c.after_source})" if c.after else "    + (absent)")
    for line in lines:
        ui.out.print(line, highlight=False, markup=False, soft_wrap=True)
    if reps < 2:
        return
    rows = paired_shifts(a, b, reps, seed, ui.workers_or_default(workers))
    ui.out.print(f"\noutcome shifts, {b.name} minus {a.name}, paired ({reps} replications, seed {seed}):")
    for r in rows:
        if r.diff_low == 0 and r.diff_high == 0:
            continue  # unchanged in every replication
        ui.say(
            f"  {r.outcome:<42} {format_diff(r.diff_median, r.kind):>12}"
            f"  ({format_diff(r.diff_low, r.kind)} to {format_diff(r.diff_high, r.kind)})"
            f"   now {format_value(r.median, r.kind)} {r.unit}"
        )
