"""The scenario list (``tradesim list``) without validating every scenario on every call.

Validating a scenario (merging its parents, pydantic, its sources, the domain checks) costs
about 10 ms, and importing the validator about 0.2 s; ``tradesim list`` shows every scenario.
So each valid scenario's row is remembered in the user's cache folder (``scenario-list.json``
beside the compiled kernels, ``sim.core.kernel_cache``) with the SHA-256 of every file that made
it (the scenario, each parent, the figures registry) and of the code that validated it
(``sim/scenario`` and ``sim/core``), under the scenario folder that named parents are looked
up in (``TRADESIM_SCENARIO_DIR``). A row is reused only while all of them are byte for byte
unchanged; otherwise, and for an invalid scenario (never remembered), the scenario is loaded
and validated as ``tradesim validate`` does.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sim.core import kernel_cache
from sim.core.paths import data_dir
from sim.core.version import source_hash
from sim.scenario.files import SCENARIO_DIR_ENV

_FILE = "scenario-list.json"
#: The code that validates a scenario.
_VALIDATOR = ("scenario", "core")


@dataclass(frozen=True)
class ScenarioRow:
    """One line of ``tradesim list``: ``problem`` is the first problem of an invalid scenario."""

    name: str
    extends: str
    description: str
    problem: str | None = None


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _registry() -> Path | None:
    seeds = data_dir("seeds")
    return seeds / "figures.toml" if seeds is not None else None


def _validated(path: Path) -> tuple[ScenarioRow, dict[str, str] | None]:
    """Load and validate ``path``: its row, and the files it was made from (None when invalid)."""
    from sim.scenario.loader import ScenarioError, load_scenario

    try:
        s = load_scenario(path)
    except ScenarioError as exc:
        return ScenarioRow(path.stem, "", "", f"invalid: {exc.problems[0].message}"), None
    files = [*s.chain, *filter(None, [_registry()])]
    hashes = {str(f): _sha(f) for f in files}
    row = ScenarioRow(s.name, s.spec.extends or "", s.spec.description)
    return row, (hashes if all(hashes.values()) else None)  # type: ignore[return-value]


def scenario_rows(paths: list[Path]) -> list[ScenarioRow]:
    """The row of each scenario file in ``paths``: remembered while nothing it depends on changed."""
    store = kernel_cache.cache_root() / _FILE
    # a parent named without a path is looked up in TRADESIM_SCENARIO_DIR first: part of the key
    code = f"{source_hash(_VALIDATOR)}:{os.environ.get(SCENARIO_DIR_ENV, '')}"
    try:
        saved = json.loads(store.read_text(encoding="utf-8"))
        entries: dict = saved["rows"] if saved.get("code") == code else {}
    except (OSError, ValueError, KeyError, TypeError):
        entries = {}
    rows, changed = [], False
    for path in paths:
        key = str(path.resolve())
        entry = entries.get(key)
        try:
            if entry and all(_sha(Path(f)) == h for f, h in entry["files"].items()):
                rows.append(ScenarioRow(**entry["row"]))
                continue
        except (TypeError, AttributeError):  # a damaged entry: validate again
            pass
        row, files = _validated(path)
        rows.append(row)
        if files is not None:
            entries[key] = {"files": files, "row": asdict(row)}
            changed = True
        elif entries.pop(key, None) is not None:
            changed = True
    if changed:
        _save(store, {"code": code, "rows": {k: e for k, e in entries.items() if Path(k).exists()}})
    return rows


def _save(store: Path, data: dict) -> None:
    """Write ``store`` whole (a temporary file, then a rename), or not at all: it is only a cache."""
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=store.parent, prefix=".scenario-list-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, store)
    except OSError:
        pass
