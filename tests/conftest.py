"""Shared fixtures: real scenario files, and a helper to write bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.loader import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline() -> LoadedScenario:
    return load_scenario("baseline")


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario file into a temporary folder that also holds a copy of baseline."""
    (tmp_path / "baseline.toml").write_text((SCENARIOS / "baseline.toml").read_text())

    def write(name: str, text: str) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        return path

    return write
