"""The figures registry: valid, cited correctly, and its used_by lists true."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sim.scenario.loader import load_scenario
from sim.scenario.sources import figure_usage, load_registry

from .conftest import SCENARIOS

SEEDS = SCENARIOS.parent.parent / "shared" / "seeds"


def test_registry_validates_and_names_real_source_files():
    registry = load_registry()
    assert len(registry.figures) > 30
    files = {f.source_file for f in registry.figures.values()}
    assert all(name.endswith(".txt") and name[:3].isdigit() for name in files)
    if SEEDS.is_dir():  # the source articles sit beside the checkout in this workplace
        assert files <= {p.name for p in SEEDS.glob("*.txt")}


def test_used_by_matches_what_the_scenarios_cite():
    usage = figure_usage(list(SCENARIOS.glob("*.toml")))
    registry = load_registry()
    for fig_id, figure in registry.figures.items():
        assert sorted(figure.used_by) == usage.get(fig_id, []), fig_id


def test_every_cited_figure_exists():
    known = set(load_registry().figures)
    for fig_id in figure_usage(list(SCENARIOS.glob("*.toml"))):
        assert fig_id in known


def test_unverified_claim_is_not_used_as_a_parameter():
    registry = load_registry()
    unverified = {k for k, f in registry.figures.items() if f.reliability == "unverified"}
    usage = figure_usage(list(SCENARIOS.glob("*.toml")))
    assert not unverified & set(usage)
    for path in SCENARIOS.glob("*.toml"):
        load_scenario(path)


def test_every_figure_names_an_article_recorded_by_outlet_title_date_and_address():
    from sim.scenario.sources import article_of, load_articles, load_registry

    articles = load_articles()
    assert len(articles) == 5
    for article in articles.values():
        assert article.url.startswith("https://") and article.title and article.outlet
        assert dt.date(2025, 4, 1) <= article.date <= dt.date(2025, 7, 1)
    for fid, figure in load_registry().figures.items():
        assert Path(figure.source_file).stem in articles, (
            f"{fid}: {figure.source_file} is not in articles.toml"
        )
        assert article_of(figure).citation().startswith(article_of(figure).outlet)


def test_sources_names_articles_by_outlet_title_date_and_address_never_a_file_name():
    from typer.testing import CliRunner

    from sim.cli import app

    listing = CliRunner().invoke(app, ["sources"], terminal_width=200).output
    one = CliRunner().invoke(app, ["sources", "--figure", "ford_chicago_plant_halt_date"], terminal_width=200)
    for text in (listing, one.output):
        assert ".txt" not in text
    assert "https://rareearthexchanges.com/news/" in listing and "Arab News" in listing
    assert "Rare Earth Exchanges" in one.output and "2025-06-10" in one.output
