"""The HTML report tells the story in order, captions every figure in words, and shows only ours."""

from __future__ import annotations

import re
import shutil

from typer.testing import CliRunner

from sim.cli import app
from sim.plots.report import STORY, build_report
from sim.results.folder import read_results


def test_report_follows_the_story_with_contents_and_worded_captions(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", "baseline", "--reps", "4", "--seed", "2", "--workers", "1", "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
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
