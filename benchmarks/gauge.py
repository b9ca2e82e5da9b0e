"""The speed gauge every benchmark prints beside its timings.

Shared virtual machines slow down and speed up by a factor of two within the hour; the CPU
seconds of a fixed pure-Python loop, read beside the timings, say which state they were taken in.
Imported by the scripts in this folder (run as ``python benchmarks/NAME.py``, which puts this
folder on the path).
"""

from __future__ import annotations

import time


def speed_gauge() -> float:
    """CPU seconds of a fixed 10-million-step pure-Python loop: this machine's speed right now."""
    c0 = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - c0
