"""The built wheel, installed away from the clone, carries everything a user needs.

An editable install reads scenarios and seeds from the checkout; a wheel must
carry its own copies (``sim/_data``). Build the wheel once, unpack it into a
fresh folder, and run commands from outside the clone with only that folder on
the path (the dependencies come from this environment).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.mark.slow
def test_wheel_is_named_for_the_project_and_carries_data_and_licence(wheel):
    assert wheel.name.startswith("tradesim_rare_earths-")  # not "tradesim": taken on the index
    names = zipfile.ZipFile(wheel).namelist()
    assert "sim/_data/scenarios/baseline.toml" in names
    assert "sim/_data/seeds/figures.toml" in names
    assert any(n.endswith("licenses/LICENSE") or n.endswith("/LICENSE") for n in names), names[-10:]
    assert not any("__pycache__" in n for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tradesim = sim.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_installed_wheel_runs_commands_from_outside_the_clone(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("TRADESIM_SCENARIO_DIR", None)

    def tradesim(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "sim", *args], cwd=elsewhere, env=env, capture_output=True, text=True
        )

    where = subprocess.run(
        [sys.executable, "-c", "import sim; print(sim.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    listed = tradesim("list")
    assert listed.returncode == 0, listed.stderr
    assert "baseline" in listed.stdout and "no_deal" in listed.stdout
    shown = tradesim("show", "baseline")
    assert shown.returncode == 0 and "initial_backlog" in shown.stdout, shown.stderr
    sources = tradesim("sources")
    assert sources.returncode == 0 and "geneva" in sources.stdout.lower(), sources.stderr


def test_wheel_carries_the_workshop_pages_and_script(wheel):
    """`tradesim workshop` works offline from the installed package: no asset comes from a CDN."""
    names = zipfile.ZipFile(wheel).namelist()
    base = "sim/workshop/classroom/"
    for asset in ("templates/team.html", "templates/facilitator.html", "static/live.js", "static/style.css"):
        assert base + asset in names, asset
    for name in names:
        if name.startswith(base) and name.endswith((".html", ".js", ".css")):
            text = zipfile.ZipFile(wheel).read(name).decode()
            assert "http://" not in text and "https://" not in text and "//cdn" not in text, name
