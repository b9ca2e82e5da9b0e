"""The HTML report tells the story in order, captions every figure in words, and shows only ours."""

from __future__ import annotations

import re
import shutil

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.plots.report import STORY, build_report
from sim.results.folder import read_results


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    result = CliRunner().invoke(
        app, ["run", "baseline", "--reps", "4", "--seed", "2", "--workers", "1", "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_report_opens_with_the_key_outcomes_in_words_and_lists_every_outcome_last(run_folder):
    from sim.results.key_outcomes import KEY_OUTCOMES

    html = build_report(read_results(run_folder))
    headings = re.findall(r'<h2 id="([a-z-]+)">', html)
    assert headings[:3] == ["contents", "key-outcomes", "licences"], headings
    assert headings[-2:] == ["outcomes", "parameters"], headings  # every outcome after the figures
    top = html[html.index('id="key-outcomes"') : html.index('id="licences"')]
    assert "gdp_loss" not in top and "US GDP lost by year-end, both channels" in top  # words, not code
    assert sum(label in top for label in KEY_OUTCOMES.values()) >= 12
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert not any("CUMULATIVE" in c for c in captions), captions  # a tag for code, not a room
    licences = html[html.index('id="licences"') : html.index('id="shipments"')]
    assert licences.index("not yet decided") < licences.index("approved that day")  # the backlog first


@pytest.mark.slow
def test_report_follows_the_story_with_contents_and_worded_captions(run_folder, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(run_folder, out)
    plots = out / "plots"
    shutil.copy(next(plots.glob("*.png")), plots / "holiday_photo.png")  # someone else's file
    html = build_report(read_results(out))
    headings = re.findall(r'<h2 id="([a-z]+)">', html)
    story = [anchor for anchor, _, _ in STORY]
    chapters = [h for h in headings if h in story]
    assert chapters == sorted(chapters, key=story.index)  # licences ... gdp, in the story's order
    assert chapters[0] == "licences" and chapters[-1] == "gdp" and "plants" in chapters
    for anchor in ["outcomes", *chapters, "parameters"]:
        assert f'href="#{anchor}"' in html  # the table of contents links every part
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert len(captions) == len(list(plots.glob("*.png"))) - 1  # every figure but the stranger's
    assert not any(".png" in c or "_" in c for c in captions), captions
    assert "holiday_photo" not in html
    assert "(issue " not in html  # no internal tracker references in user-facing text


def test_no_user_facing_text_names_an_internal_tracker_issue():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in [*root.glob("scenarios/*.toml"), *root.glob("seeds/*.toml")]:
        assert not re.search(r"\(issue \d+\)|issue \d+\)", path.read_text(encoding="utf-8")), path
