"""Where the package's data lives: a source checkout beside the package, or the copy inside a wheel."""

from __future__ import annotations

from pathlib import Path

#: The ``sim`` package folder.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def data_dir(name: str) -> Path | None:
    """``scenarios`` or ``seeds``: the checkout's folder (editable install) or the wheel's copy, if any."""
    for candidate in (PACKAGE_DIR.parent / name, PACKAGE_DIR / "_data" / name):
        if candidate.is_dir():
            return candidate
    return None
