"""Every teaching notebook runs top to bottom, as a student would run it, using only ``import sim``."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import sim

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        f"{path.name} is stored with outputs; clear them before committing"
    )
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _private_uses(source: str) -> list[str]:
    """Imports of sim's modules, and ``sim.X`` for an X outside ``sim.__all__``, in one code cell."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("sim.")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sim":
            if node.module != "sim":
                found.append(f"from {node.module} import ...")
            else:
                found += [f"from sim import {a.name}" for a in node.names if a.name not in sim.__all__]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "sim"
            and node.attr not in sim.__all__
        ):
            found.append(f"sim.{node.attr}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_only_the_public_api(path):
    cells = _code_cells(path)
    assert any("import sim" in cell for cell in cells)
    private = [use for cell in cells for use in _private_uses(cell)]
    assert not private, f"{path.name} reaches past `import sim`: {private}"


def test_the_notebook_check_sees_a_private_import():
    assert _private_uses("from sim.experiments.run import run_experiment\nimport sim.plots") == [
        "from sim.experiments.run import ...",
        "sim.plots",
    ]
    assert _private_uses("import sim\nsim.results.folder") == ["sim.results"]
    assert _private_uses("import sim\nsim.run('baseline')") == []
