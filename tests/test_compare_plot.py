"""Comparisons on common random numbers, and figures redrawn from saved results."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.compare import compare
from sim.results.folder import read_results

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    result = runner.invoke(
        app,
        [
            "compare",
            "baseline",
            "deal_by_deadline",
            "snap_back",
            "--reps",
            "6",
            "--seed",
            "4",
            "--workers",
            "1",
            "--out",
            str(out),
            "-q",
        ],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_compare_writes_tidy_tables_with_a_scenario_column(comparison):
    out, text = comparison
    assert "paired shift against baseline" in text
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert list(outcomes["scenario"].unique()) == ["baseline", "deal_by_deadline", "snap_back"]
    assert len(outcomes) == 18
    for name in ("baseline", "deal_by_deadline", "snap_back"):  # daily series stay per scenario
        series = read_results(out / name).series_frame(["gdp_loss"])
        assert len(series) == 6 * 274 and list(series.columns) == ["rep", "date", "gdp_loss"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reference"] == "baseline" and manifest["master_seed"] == 4
    for name in ("deadline_outcomes", "gdp_loss_year_end_pct_by_scenario"):
        png = out / "plots" / f"{name}.png"
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 15_000


def test_paired_differences_equal_those_from_the_tables(comparison):
    out, _ = comparison
    table = pd.read_csv(out / "outcomes.csv")
    base = table[table.scenario == "baseline"].set_index("rep")["gdp_loss_year_end_pct"]
    snap = table[table.scenario == "snap_back"].set_index("rep")["gdp_loss_year_end_pct"]
    paired = (snap - base).to_numpy()
    rows = pd.read_csv(out / "comparison.csv")
    row = rows[(rows.outcome == "gdp_loss_year_end_pct") & (rows.scenario == "snap_back")].iloc[0]
    assert np.isclose(row.diff_median, np.quantile(paired, 0.5))
    assert np.isclose(row.diff_low, np.quantile(paired, 0.05))
    assert np.isclose(row["median"], np.quantile(snap, 0.5))
    # common random numbers: everything before the deadline is the same path in every scenario
    pre = rows[(rows.outcome == "backlog_at_deadline") & (rows.scenario != "baseline")]
    assert (pre.diff_median == 0).all() and (pre.diff_low == 0).all() and (pre.diff_high == 0).all()


def test_compare_flags_are_shares(comparison):
    out, _ = comparison
    results = {n: read_results(out / n) for n in ("baseline", "deal_by_deadline")}
    rows = [r for r in compare(results) if r.outcome == "deadline_deal"]
    assert rows[1].median == 1.0  # every replication of deal_by_deadline ends in a deal


def test_plot_redraws_from_saved_results_without_rerunning(comparison, tmp_path):
    out, _ = comparison
    base = out / "baseline"
    for png in (base / "plots").glob("*.png"):
        png.unlink()
    result = runner.invoke(app, ["plot", str(base)], terminal_width=200)
    assert result.exit_code == 0, result.output
    drawn = sorted(p.name for p in (base / "plots").glob("*.png"))
    assert {"backlog_fan.png", "stock_by_sector.png", "negotiation_state.png", "gdp_loss_fan.png"} <= set(
        drawn
    )
    result = runner.invoke(app, ["plot", str(base), "--series", "stock_auto", "--format", "svg"])
    assert result.exit_code == 0 and (base / "plots" / "stock_auto_fan.svg").read_text().startswith("<?xml")
    result = runner.invoke(app, ["plot", str(base), "--series", "price_index", "--paths", "3"])
    assert result.exit_code == 0 and (base / "plots" / "price_index_fan_3paths.png").read_bytes()[:8] == PNG
    result = runner.invoke(app, ["plot", str(base), "--outcome", "first_stoppage_auto"])
    assert result.exit_code == 0 and (base / "plots" / "first_stoppage_auto_hist.png").read_bytes()[:8] == PNG
    result = runner.invoke(app, ["plot", str(out), "--outcome", "price_rise_peak_pct"])
    assert result.exit_code == 0 and (out / "plots" / "price_rise_peak_pct_by_scenario.png").is_file()


def test_plot_lists_and_refuses_clearly(comparison, tmp_path):
    out, _ = comparison
    result = runner.invoke(app, ["plot", str(out / "baseline"), "--list"], terminal_width=200)
    assert result.exit_code == 0 and "stock_auto" in result.output and "gdp_loss_q3_pct" in result.output
    result = runner.invoke(app, ["plot", str(out / "baseline"), "--series", "no_such_series"])
    assert result.exit_code == 2 and "no_such_series" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["plot", str(tmp_path)])
    assert result.exit_code == 2 and "not a results folder" in result.output


def test_replay_rebuilds_one_replication_and_tells_its_story(comparison):
    out, _ = comparison
    result = runner.invoke(app, ["replay", str(out / "snap_back"), "--rep", "2"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "re-run matches the saved outcomes exactly" in result.output
    assert "export controls take effect" in result.output
    assert "truce_deadline: US holds, China holds -> snap-back" in result.output
    assert "US tariff on China 55% -> 145%" in result.output
    result = runner.invoke(app, ["replay", str(out / "snap_back"), "--rep", "99"])
    assert result.exit_code == 2 and "no replication 99" in result.output


def test_diff_lists_changed_parameters_with_sources_and_paired_shifts():
    result = runner.invoke(app, ["diff", "baseline", "deal_by_deadline", "--reps", "3", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "negotiation.decision_points.truce_deadline.force_us" in result.output
    assert "+ concede   (what-if: the US signs a comprehensive deal)" in result.output
    assert "outcome shifts, deal_by_deadline minus baseline" in result.output
    assert "backlog_at_deadline" not in result.output  # unchanged in every replication: left out


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_report_opens_in_a_real_browser_with_every_figure(comparison, tmp_path):
    if not CHROMIUM:
        # CI installs Chromium (.ci/run) and must not skip this; a laptop without it may.
        assert not os.environ.get("CI"), "CI needs Chromium for this test (Debian: apt-get install chromium)"
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    out, _ = comparison
    folder = out / "deal_by_deadline"
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    report = (folder / "report.html").read_text(encoding="utf-8")
    figures = sorted((folder / "plots").glob("*.png"))
    assert len(figures) >= 10
    # self-contained: no script, nothing fetched from anywhere
    assert "<script" not in report
    assert not re.search(r'(src|href)="(https?:|//|file:)', report)
    # a test harness around the report asks the browser how many images decoded
    probe = (
        "<script>window.addEventListener('load', () => { const im = [...document.images];"
        "document.body.dataset.images = im.length;"
        "document.body.dataset.broken = im.filter(i => !(i.complete && i.naturalWidth > 0)).length; });"
        "</script></body>"
    )
    harness = tmp_path / "harness.html"
    harness.write_text(report.replace("</body>", probe), encoding="utf-8")
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
            "--dump-dom",
            harness.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    images = re.search(r'data-images="(\d+)"', dom)
    broken = re.search(r'data-broken="(\d+)"', dom)
    assert images and broken, dom[:500]
    assert int(images.group(1)) == len(figures)
    assert int(broken.group(1)) == 0
    assert "deal_by_deadline" in dom and "gdp_loss_year_end_pct" in dom
    assert "fig:export_licence_term_months" in dom  # the parameter table with sources


def test_figures_are_images_of_the_expected_size(comparison):
    out, _ = comparison
    for png in [*(out / "baseline" / "plots").glob("*.png"), *(out / "plots").glob("*.png")]:
        head = png.read_bytes()[:24]
        assert head[:8] == PNG, png
        width, height = struct.unpack(">II", head[16:24])
        assert 1000 <= width <= 1600 and 650 <= height <= 1100, (png.name, width, height)
