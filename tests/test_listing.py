"""`tradesim list` remembers each valid scenario's row, and forgets it when what made it changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sim.scenario.listing import scenario_rows

ROOT = Path(__file__).resolve().parents[1]


def _rows(folder: Path, cache: Path) -> list:
    os.environ["NUMBA_CACHE_DIR"] = str(cache)  # the user's cache folder: the rows' store
    try:
        return scenario_rows(sorted(folder.glob("*.toml")))
    finally:
        del os.environ["NUMBA_CACHE_DIR"]


def test_an_edit_of_a_parent_reaches_the_list_of_its_child(write_scenario, tmp_path):
    child = write_scenario("child", 'extends = "baseline"\ndescription = "a child"\n')
    cache = tmp_path / "cache"
    first = {r.name: r for r in _rows(child.parent, cache)}
    assert first["child"].description == "a child" and first["child"].problem is None
    assert first["child"].extends == "baseline"
    stored = json.loads((cache / "scenario-list.json").read_text())
    assert str(child.resolve()) in stored["rows"]
    # the child is unchanged; its parent now has a key the schema refuses
    parent = child.parent / "baseline.toml"
    parent.write_text(parent.read_text() + "\nno_such_key = 1\n")
    again = {r.name: r for r in _rows(child.parent, cache)}
    assert again["child"].problem is not None and again["child"].problem.startswith("invalid: ")
    assert str(child.resolve()) not in json.loads((cache / "scenario-list.json").read_text())["rows"]


def test_a_remembered_list_imports_no_validator(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(tmp_path))
    probe = (
        "import sys\nfrom sim.cli import app\ntry:\n    app(['list'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('sim.scenario.loader', 'sim.scenario.schema', 'numpy') if m in sys.modules])"
    )
    run = [sys.executable, "-c", probe]
    first = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert "baseline" in first.stdout
    second = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert second.stdout.strip().splitlines()[-1] == "[]"
    assert first.stdout.splitlines()[:-1] == second.stdout.splitlines()[:-1]  # the same table
