"""The package's version and the hash of its source, recorded in every manifest.

``__version__`` is read by ``sim.__version__`` too. A version number does not say which code
ran: an editable install changes under it. ``source_hash()`` does: a SHA-256 over every
``sim/**/*.py`` file (its path inside the package and its bytes), so a manifest names the exact
code, and Dask workers running other code are refused (``sim.experiments.run``).
``source_hash(KERNEL_SOURCES)`` keys the compiled kernels' disk cache (``sim.core.jit``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__version__ = "0.1.0"

#: The subpackages whose code the compiled kernels are made of, or read constants from.
KERNEL_SOURCES: tuple[str, ...] = ("core", "model")

_PACKAGE = Path(__file__).resolve().parents[1]


@cache
def source_hash(subpackages: tuple[str, ...] | None = None) -> str:
    """SHA-256 (hex) of the package's Python source, or of some of its subpackages only.

    Reads ~100 small files: a few milliseconds, once per process. (hashlib is imported here:
    ``import sim`` and ``tradesim --help`` read this module for the version only.)
    """
    import hashlib

    roots = [_PACKAGE / s for s in subpackages] if subpackages else [_PACKAGE]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
