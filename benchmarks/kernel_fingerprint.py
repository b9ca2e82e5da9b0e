"""A fingerprint of what the compiled kernels compute: outcomes, parameters and daily series of
every scenario in ``scenarios/`` at a fixed seed, and of the baseline with each switch the
scenarios leave at one value (allocation rule, unconstrained supply, military files), as one
SHA-256 per case and one overall.

For changes that must not change a number (how kernels are compiled, where their cache lives,
kernels rewritten for a shorter compile): run it before and after and compare the digests::

    python benchmarks/kernel_fingerprint.py            # 6 replications per scenario, ~10 s warm
    python benchmarks/kernel_fingerprint.py --reps 20

A digest says only "same" or "different"; ``tests/test_reproducibility.py`` says what must hold.
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np

from sim.model.replication import simulate
from sim.scenario.loader import list_scenarios, load_scenario

#: The baseline with a switch set otherwise (every scenario shipped uses "tied" and "hold").
VARIANTS: dict[str, dict[str, object]] = {
    "baseline+first_come": {"industry.allocation": "first_come"},
    "baseline+proportional": {"industry.allocation": "proportional"},
    "baseline+unconstrained": {"supply.unconstrained": True},
    "baseline+military_review": {"licensing.review.military_handling": "review"},
}


def scenario_digest(name: str, reps: int, seed: int, changes: dict[str, object] | None = None) -> str:
    """SHA-256 of ``reps`` replications of scenario ``name``: outcomes, parameters, series bytes."""
    spec = load_scenario(name).spec
    digest = hashlib.sha256()
    for rep in range(reps):
        model, parameters = simulate(spec, seed, rep, changes=changes)
        series_of = model.series()
        for table in (model.outcomes(), parameters):
            for key in sorted(table):
                digest.update(f"{key}={table[key]!r}\n".encode())
        for key in sorted(series_of):
            series = np.ascontiguousarray(series_of[key])
            digest.update(f"{key}:{series.dtype}:{series.shape}\n".encode())
            digest.update(series.tobytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=6, help="replications per scenario")
    parser.add_argument("--seed", type=int, default=20250611, help="master seed")
    args = parser.parse_args()
    overall = hashlib.sha256()
    cases = [(path.stem, path.stem, None) for path in list_scenarios()]
    cases += [(label, "baseline", changes) for label, changes in VARIANTS.items()]
    for label, name, changes in cases:
        value = scenario_digest(name, args.reps, args.seed, changes)
        overall.update(value.encode())
        print(f"{label:26s} {value[:16]}")
    print(f"{'all':26s} {overall.hexdigest()[:16]}  ({args.reps} replications each, seed {args.seed})")


if __name__ == "__main__":
    main()
