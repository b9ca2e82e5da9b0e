"""Redrawing figures from a saved results folder (a run or a comparison), never re-simulating.

What ``tradesim plot`` draws: every default figure, one daily series as a fan
chart, or one scalar outcome (a histogram; violins side by side for a comparison).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sim.plots.charts import (
    draw_comparison_plots,
    draw_default_plots,
    fan_chart,
    outcome_histogram,
    outcome_violins,
)
from sim.results.folder import Results, ResultsError, read_results


@dataclass
class Drawable:
    """What a results folder can draw: its daily series and its scalar outcomes."""

    series: list[str]
    outcomes: list[str]
    comparison: bool


def open_folder(folder: Path) -> tuple[dict, dict[str, Results]]:
    """The manifest of a run or comparison folder and its results by scenario (``ResultsError`` if none)."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ResultsError(f"{folder}: not a results folder (no manifest.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if "comparison" in manifest:
        return manifest, {name: read_results(Path(path)) for name, path in manifest["folders"].items()}
    results = read_results(folder)
    return manifest, {results.manifest["scenario"]["name"]: results}


def drawable(folder: Path) -> Drawable:
    """What ``tradesim plot --list`` lists."""
    manifest, results = open_folder(folder)
    first = next(iter(results.values()))
    return Drawable(first.series_names(), [n for n in first.outcomes if n != "rep"], "comparison" in manifest)


def redraw(
    folder: Path, series: str | None = None, outcome: str | None = None, fmt: str = "png", paths: int = 0
) -> list[Path]:
    """Draw into ``folder/plots``: the default figures, a fan chart of ``series`` or a chart of ``outcome``.

    ``paths`` adds that many single replications to a fan chart (a run's folder only).
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"--format must be png or svg, got {fmt!r}")
    folder = Path(folder)
    manifest, results = open_folder(folder)
    plots = folder / "plots"
    if "comparison" in manifest:
        if outcome:
            return [outcome_violins(results, outcome, plots / f"{outcome}_by_scenario.{fmt}")]
        if series:
            return [fan_chart(r, series, plots / f"{series}_{name}_fan.{fmt}") for name, r in results.items()]
        return draw_comparison_plots(results, folder, fmt)
    one = next(iter(results.values()))
    if series:
        suffix = f"_{paths}paths" if paths else ""
        return [fan_chart(one, series, plots / f"{series}_fan{suffix}.{fmt}", sample_paths=paths)]
    if outcome:
        return [outcome_histogram(one, outcome, plots / f"{outcome}_hist.{fmt}")]
    return draw_default_plots(one, fmt)
