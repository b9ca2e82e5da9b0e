"""Where scenario files are found: light enough for ``tradesim list`` (no pydantic, no numpy)."""

from __future__ import annotations

import os
from pathlib import Path

from sim.core.paths import data_dir

SCENARIO_DIR_ENV = "TRADESIM_SCENARIO_DIR"


def scenario_dirs() -> list[Path]:
    """Folders searched for scenarios named without a path, in order."""
    dirs: list[Path] = []
    if os.environ.get(SCENARIO_DIR_ENV):
        dirs.append(Path(os.environ[SCENARIO_DIR_ENV]))
    shipped = data_dir("scenarios")  # a source checkout (editable install) or an installed wheel
    if shipped is not None:
        dirs.append(shipped)
    return [d for d in dirs if d.is_dir()]


def list_scenarios() -> list[Path]:
    """Every scenario file in the first scenario folder that exists."""
    dirs = scenario_dirs()
    return sorted(dirs[0].glob("*.toml")) if dirs else []
