"""Where the package's data lives: a source checkout beside the package, or the copy inside a wheel."""

from __future__ import annotations

import re
from pathlib import Path

#: The ``sim`` package folder.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def data_dir(name: str) -> Path | None:
    """``scenarios`` or ``seeds``: the checkout's folder (editable install) or the wheel's copy, if any."""
    for candidate in (PACKAGE_DIR.parent / name, PACKAGE_DIR / "_data" / name):
        if candidate.is_dir():
            return candidate
    return None


#: What a folder name made from text may hold: letters, digits, ``.``, ``_`` and ``-``.
_UNSAFE = re.compile(r"[^\w.-]+")

#: Longest folder name made from text (file systems allow 255 bytes; a timestamp is added).
_MAX_NAME = 80


def safe_name(text: str, fallback: str = "scenario") -> str:
    """``text`` as one harmless folder name: never a path, never ``.`` or ``..``, never hidden.

    A scenario's ``name`` is text inside a file that may come from anyone; output folders are named
    after it (``results/NAME-TIMESTAMP``, ``OUT/NAME`` in a comparison). ``"/some/dir"`` or
    ``"../../x"`` must not choose where results are written: separators and other characters
    become ``_``, leading dots and dashes go, and the result is at most 80 characters.
    """
    cleaned = _UNSAFE.sub("_", text).lstrip(".-_")[:_MAX_NAME].rstrip(".")
    return cleaned or fallback
