"""Redrawing figures from a saved results folder (a run, a comparison or branches), never re-simulating.

What ``tradesim plot`` draws: every default figure, one daily series as a fan
chart, or one scalar outcome (a histogram; violins side by side for a comparison
or for the branches of a fork). Other folders are refused in one line that says
what they are and which commands read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.plots.charts import (
    branch_fans,
    draw_comparison_plots,
    draw_default_plots,
    fan_chart,
    outcome_histogram,
    outcome_violins,
    sweep_panels,
)
from sim.results.folder import Results, ResultsError, read_results
from sim.results.groups import read_branches
from sim.results.kinds import FolderKind, expect

#: What ``plot`` reads (``report`` reads all but a sweep).
DRAWN = ("run", "comparison", "branches", "sweep")


@dataclass
class Drawable:
    """What a results folder can draw: its daily series and its scalar outcomes."""

    series: list[str]
    outcomes: list[str]
    comparison: bool


def open_folder(folder: Path, command: str = "plot") -> tuple[FolderKind, dict[str, Results]]:
    """A run, comparison or branches folder and its results by scenario or branch (else ``ResultsError``)."""
    found = expect(Path(folder), command, *DRAWN)
    if found.name == "sweep":
        return found, {}
    if found.name == "run":
        results = read_results(found.folder)
        return found, {results.manifest["scenario"]["name"]: results}
    return found, {name: read_results(path) for name, path in found.members().items()}


def drawable(folder: Path) -> Drawable:
    """What ``tradesim plot --list`` lists."""
    found, results = open_folder(folder)
    if found.name == "sweep":
        return Drawable([], _sweep_outcomes(found), True)
    first = next(iter(results.values()))
    return Drawable(first.series_names(), [n for n in first.outcomes if n != "rep"], found.name != "run")


def _sweep_outcomes(found: FolderKind) -> list[str]:
    """The outcome columns of a sweep's table."""
    import csv

    with (found.folder / "outcomes.csv").open(newline="") as fh:
        header = next(csv.reader(fh), [])
    varied = {v["path"] for v in found.manifest["sweep"]["varied"]}
    return [h for h in header if h not in varied and h not in ("point", "rep")]


def _redraw_sweep(found: FolderKind, series: str | None, outcome: str | None, fmt: str) -> list[Path]:
    """A sweep's panels of one outcome against each varied parameter (GDP lost by default)."""
    if series:
        raise ResultsError(f"{found.folder}: a sweep keeps no daily series; draw an outcome (--outcome)")
    available = _sweep_outcomes(found)
    name = outcome or next(
        (o for o in ("gdp_loss_year_end_pct", "backlog_at_deadline") if o in available), None
    )
    if name is None or name not in available:
        raise ResultsError(
            f"{found.folder}: no outcome {name!r} in this sweep (available: {', '.join(available)})"
        )
    sweep = found.manifest["sweep"]
    varied = [v["path"] for v in sweep["varied"]]
    plots = found.folder / "plots"
    return [
        sweep_panels(
            found.folder / "outcomes.csv", varied, name, plots / f"{name}_sweep.{fmt}", sweep["scenario"]
        )
    ]


def redraw(
    folder: Path,
    series: str | None = None,
    outcome: str | None = None,
    fmt: str = "png",
    paths: int = 0,
    workers: int = 1,
) -> list[Path]:
    """Draw into ``folder/plots``: the default figures, a fan chart of ``series`` or a chart of ``outcome``.

    ``paths`` adds that many single replications to a fan chart (a run's folder only); the default
    figures of a run or a comparison are drawn on up to ``workers`` processes.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"--format must be png or svg, got {fmt!r}")
    folder = Path(folder)
    found, results = open_folder(folder)
    plots = folder / "plots"
    if found.name == "sweep":
        return _redraw_sweep(found, series, outcome, fmt)
    if found.name == "branches":
        if outcome:
            return [outcome_violins(results, outcome, plots / f"{outcome}_by_branch.{fmt}", per="branch")]
        first = next(iter(results.values()))
        if series and series not in first.series_names():
            raise ResultsError(
                f"{folder}: series {series!r} is not in these branches "
                f"(available: {', '.join(first.series_names()) or 'none kept'})"
            )
        forked = read_branches(folder, "plot")
        return [branch_fans(forked, plots / f"branches.{fmt}", (series,) if series else None)]
    if found.name == "comparison":
        if outcome:
            return [outcome_violins(results, outcome, plots / f"{outcome}_by_scenario.{fmt}")]
        if series:
            return [fan_chart(r, series, plots / f"{series}_{name}_fan.{fmt}") for name, r in results.items()]
        return draw_comparison_plots(results, folder, fmt, workers)
    one = next(iter(results.values()))
    if series:
        suffix = f"_{paths}paths" if paths else ""
        return [fan_chart(one, series, plots / f"{series}_fan{suffix}.{fmt}", sample_paths=paths)]
    if outcome:
        return [outcome_histogram(one, outcome, plots / f"{outcome}_hist.{fmt}")]
    return draw_default_plots(one, fmt, workers)
