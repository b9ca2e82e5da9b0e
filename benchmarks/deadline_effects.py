"""Issue 17 measures of the truce deadline: what a lapse does to China-to-US flows, and GDP.

For two scenarios on common random numbers (same seed, same replications) this prints,
per scenario, China-to-US arrivals and US licences approved after the deadline as a
share of normal, and the share of the deadline's year-end GDP effect (first scenario
minus second) that is tariff drag. Run from the repository root:

    python benchmarks/deadline_effects.py no_deal extension_90_days --reps 200 --seed 1
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np

from sim.core.domain import DESTINATIONS
from sim.model.replication import simulate
from sim.model.supply import contracts_per_day
from sim.scenario.loader import load_scenario


def measure(name: str, reps: int, seed: int) -> dict[str, np.ndarray]:
    spec = load_scenario(name).spec
    names = ("arrivals_after", "arrivals_q4", "approvals_after", "output", "tariffs")
    out: dict[str, list[float]] = {k: [] for k in names}
    us = DESTINATIONS.index("us")
    for rep in range(reps):
        model, _ = simulate(spec, seed, rep)
        clock = model.clock
        deadline = int(model.outcomes()["deadline_date"])
        q4 = clock.day(dt.date(2025, 10, 1))
        supply = model.supply
        china = supply.arriving[: clock.n_days].sum(axis=1)
        normal = float(supply.normal_china_flow.sum())
        out["arrivals_after"].append(china[deadline + 1 :].mean() / normal)
        out["arrivals_q4"].append(china[q4:].mean() / normal)
        approved = model.licensing.decided_per_day[: clock.n_days, 1, :, us].sum(axis=1)
        contracts = float(contracts_per_day(model.params.licensing).sum())
        out["approvals_after"].append(approved[deadline + 1 :].mean() / contracts)
        macro = model.macro.series()
        out["output"].append(float(macro["gdp_loss_output"][-1]))
        out["tariffs"].append(float(macro["gdp_loss_tariffs"][-1]))
    return {k: np.array(v) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs=2)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    results = {name: measure(name, args.reps, args.seed) for name in args.scenarios}
    for name, r in results.items():
        print(
            f"{name}: China-to-US arrivals after the deadline / normal: "
            f"median {np.median(r['arrivals_after']):.3f} "
            f"(Oct-Dec {np.median(r['arrivals_q4']):.3f}); US approvals after / normal contracts: "
            f"median {np.median(r['approvals_after']):.3f}; "
            f"year-end GDP loss output {np.mean(r['output']):.3f}% "
            f"+ tariffs {np.mean(r['tariffs']):.3f}%"
        )
    a, b = (results[n] for n in args.scenarios)
    d_out = float(np.mean(a["output"] - b["output"]))
    d_tar = float(np.mean(a["tariffs"] - b["tariffs"]))
    total = d_out + d_tar
    print(
        f"deadline effect ({args.scenarios[0]} - {args.scenarios[1]}), mean year-end GDP loss: "
        f"{total:.3f} pp, of which tariff drag {d_tar:.3f} pp = {d_tar / total:.0%}, "
        f"magnet output {d_out:.3f} pp"
    )


if __name__ == "__main__":
    main()
