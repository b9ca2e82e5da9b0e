"""A process that compiles a share of the kernels into the disk cache, then exits.

``python -m sim.core.compile_child MODULE:NAME ...``, started by
``sim.core.kernel_cache.compile_in_processes``: import each named module (which registers its
warm-ups with ``sim.core.jit``) and run the named warm-ups. ``python -m sim.core.compile_child
--share I/N MODULE...``, started by ``kernel_cache.start_early`` before the parent knows the
warm-ups: import the modules (the whole model) and run share ``I`` of ``N``
(``kernel_cache.share``, as the parent computes it). The cache folder is the parent's (its
``NUMBA_CACHE_DIR``, or the same default).
"""

from __future__ import annotations

import importlib
import sys

from sim.core import jit


def main(addresses: list[str]) -> None:
    """Compile the warm-ups named ``module:name``, or share ``I`` of ``N`` (``--share I/N``)."""
    if addresses[:1] == ["--share"]:
        from sim.core.kernel_cache import share

        index, processes = (int(x) for x in addresses[1].split("/"))
        for module in addresses[2:]:
            importlib.import_module(module)
        shares = share(list(jit._WARM_UPS.values()), processes)
        for w in shares[index] if index < len(shares) else []:
            w.func()
        return
    for address in addresses:
        module, _, name = address.partition(":")
        importlib.import_module(module)
        jit.warm_up_named(name)


if __name__ == "__main__":
    main(sys.argv[1:])
