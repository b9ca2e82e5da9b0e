"""The figures registry: every number taken from the source articles.

``seeds/figures.toml`` lists each figure once, with its value, unit, the
article it comes from, what it measures (in our words) and how far it can be
trusted. Scenario parameters cite figures as ``source = "fig:ID"``; calibration
targets cite them too. ``seeds/articles.toml`` records each article by outlet,
title, date and web address (the articles' texts are not in the repository).
Both are data, validated here like scenarios.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.core.paths import PACKAGE_DIR, data_dir
from sim.scenario.schema import is_param_table

Reliability = Literal["reported", "estimate", "unverified", "contradicted"]


class Figure(BaseModel):
    """One figure from one source article."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float | dt.date | str
    low: float | dt.date | None = None
    high: float | dt.date | None = None
    unit: str
    source_file: str
    measures: str
    reliability: Reliability
    note: str | None = None
    used_by: list[str] = []


class Article(BaseModel):
    """One source article: facts about it, never its text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outlet: str
    title: str
    date: dt.date
    date_note: str | None = None
    url: str
    note: str | None = None

    def short(self) -> str:
        """The outlet's name and the date, for a table column."""
        name = self.outlet.split(",")[0].split(" (")[0]
        return f"{name}, {self.date.isoformat()}"

    def citation(self) -> str:
        """One line a reader can follow: outlet, title, date and address."""
        return f"{self.outlet}, \u201c{self.title}\u201d, {self.date.isoformat()}, {self.url}"


class Registry(BaseModel):
    """All figures, keyed by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    figures: dict[str, Figure]


def registry_path() -> Path:
    """Where the registry lives: the checkout's ``seeds/`` or the installed copy."""
    seeds = data_dir("seeds")
    if seeds is not None and (seeds / "figures.toml").is_file():
        return seeds / "figures.toml"
    raise FileNotFoundError("seeds/figures.toml not found next to the sim package")


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """Read and validate the registry once per process."""
    path = registry_path()
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:  # the registry ships with the code: a bug, said plainly
        raise ValueError(f"{path} is not a valid figures registry:\n{exc}") from None


class Articles(BaseModel):
    """Every source article, keyed by the file name that figures cite in ``source_file``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    articles: dict[str, Article]


@lru_cache(maxsize=1)
def load_articles() -> dict[str, Article]:
    """Read and validate ``seeds/articles.toml`` once per process; keys are ``source_file`` names."""
    path = registry_path().with_name("articles.toml")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    try:
        return {Path(k).stem: v for k, v in Articles.model_validate(data).articles.items()}
    except ValidationError as exc:  # shipped with the code, like the registry
        raise ValueError(f"{path} is not a valid list of articles:\n{exc}") from None


def article_of(figure: Figure) -> Article:
    """The article a figure comes from."""
    return load_articles()[Path(figure.source_file).stem]


def figure_id(source: str | None) -> str | None:
    """The figure id cited by a source string such as ``fig:licence_term_six_months``."""
    if not source or not source.startswith("fig:"):
        return None
    return source.removeprefix("fig:").strip().split()[0].rstrip(";,")


def figure_usage(scenario_files: list[Path]) -> dict[str, list[str]]:
    """Which parameters of which scenario files cite each figure: ``{id: ["file:param", ...]}``."""

    usage: dict[str, list[str]] = {}

    def walk(node: object, prefix: str, stem: str) -> None:
        if is_param_table(node):
            fig = figure_id(node.get("source"))  # type: ignore[union-attr]
            if fig:
                usage.setdefault(fig, []).append(f"{stem}:{prefix}")
            return
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else key, stem)

    for path in sorted(scenario_files):
        with path.open("rb") as fh:
            walk(tomllib.load(fh), "", path.stem)
    return {k: sorted(v) for k, v in sorted(usage.items())}


def write_used_by(registry: Path, scenario_files: list[Path]) -> int:
    """Rewrite every ``used_by`` line of the registry from what the scenarios cite.

    The registry stays hand-edited TOML with its comments; only the ``used_by``
    line of each figure is replaced. Returns how many lines changed.
    """
    usage = figure_usage(scenario_files)
    lines = registry.read_text(encoding="utf-8").splitlines(keepends=True)
    current: str | None = None
    changed = 0
    for i, line in enumerate(lines):
        if line.startswith("[figures.") and line.rstrip().endswith("]"):
            current = line.strip()[len("[figures.") : -1]
        elif line.startswith("used_by") and current is not None:
            new = "used_by = [" + ", ".join(f'"{u}"' for u in usage.get(current, [])) + "]\n"
            if new != line:
                lines[i] = new
                changed += 1
    tmp = registry.with_name(registry.name + ".tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    os.replace(tmp, registry)
    load_registry.cache_clear()
    return changed


if __name__ == "__main__":  # maintainers: python -m sim.scenario.sources
    n = write_used_by(registry_path(), sorted((PACKAGE_DIR.parent / "scenarios").glob("*.toml")))
    print(f"used_by: {n} figure(s) updated in {registry_path()}")
