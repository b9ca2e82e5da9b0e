"""A process that compiles a share of the kernels into the disk cache, then exits.

``python -m sim.core.compile_child MODULE:NAME ...``, started by
``sim.core.kernel_cache.compile_in_processes``: import each named module (which registers its
warm-ups with ``sim.core.jit``) and run the named warm-ups. The cache folder comes from
``NUMBA_CACHE_DIR``, set by the parent.
"""

from __future__ import annotations

import importlib
import sys

from sim.core import jit


def main(addresses: list[str]) -> None:
    """Compile the warm-ups named ``module:name``."""
    for address in addresses:
        module, _, name = address.partition(":")
        importlib.import_module(module)
        jit.warm_up_named(name)


if __name__ == "__main__":
    main(sys.argv[1:])
